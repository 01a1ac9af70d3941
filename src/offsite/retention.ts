/**
 * Retention rules in the two spellings Proxmox uses: the `prune-backups` map of a
 * backup job, and the `--keep-*` settings of the pull script (empty = not set).
 */
import type { RetentionSpec } from "../spec/schema";

const RULES: [keyof RetentionSpec, string][] = [
  ["keepLast", "keep-last"],
  ["keepDaily", "keep-daily"],
  ["keepWeekly", "keep-weekly"],
  ["keepMonthly", "keep-monthly"],
  ["keepYearly", "keep-yearly"],
];

/** Proxmox's `prune-backups` map (values are strings in the provider's schema). */
export function pruneBackupsOf(retention: RetentionSpec): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, option] of RULES) {
    const value = retention[field];
    if (value !== undefined) out[option] = String(value);
  }
  return out;
}

/** Every rule as a string, `""` where not set, for the pull script's KEEP_* settings. */
export function pruneKeepOptions(retention: RetentionSpec): Record<keyof RetentionSpec, string> {
  return Object.fromEntries(RULES.map(([field]) => [field, retention[field] === undefined ? "" : String(retention[field])])) as Record<
    keyof RetentionSpec,
    string
  >;
}
