/**
 * The status file the offsite pull leaves on the holder
 * (`/var/lib/retzien-offsite-pull/<site>/status.json`): which copy of each guest
 * it holds, how old, how big. The runbook restores from it and refuses one that
 * is missing, malformed or stale.
 */
import { z } from "zod";
import { type Problem, problem } from "../problems";
import { parseWithProblems } from "../rules/schema-problems";

const guestSchema = z.object({
  vmid: z.number().int(),
  type: z.enum(["lxc", "qemu"]).nullable(),
  newestCopy: z.string().nullable(),
  newestCopyBytes: z.number().nullable().optional(),
  ageHours: z.number().nullable(),
  stale: z.boolean(),
});

export const pullStatusSchema = z.object({
  version: z.literal(1),
  peer: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  ok: z.boolean(),
  dryRun: z.boolean(),
  bytesOnWire: z.number(),
  guests: z.array(guestSchema),
  errors: z.array(z.string()),
});

export type PullStatus = z.output<typeof pullStatusSchema>;
export type GuestCopy = PullStatus["guests"][number];

/** Parses the text of a status file; problems name the file. */
export function parsePullStatus(text: string, source: string): { ok: true; status: PullStatus } | { ok: false; problems: Problem[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [problem(source, `text that is not JSON (${(error as Error).message})`, "the status.json the offsite pull writes")] };
  }
  const parsed = parseWithProblems(pullStatusSchema, json, source);
  return parsed.ok ? { ok: true, status: parsed.value } : parsed;
}

/**
 * The copies to restore, one per VMID, checked: the status is about `site`, the
 * last run is not older than `maxAgeHours`, every VMID has a copy, and no copy is
 * stale (unless `allowStale`).
 */
export function copiesToRestore(
  status: PullStatus,
  options: { site: string; vmids: readonly number[]; maxAgeHours: number; now: Date; source: string; allowStale: boolean },
): { ok: true; copies: Map<number, GuestCopy & { newestCopy: string }> } | { ok: false; problems: Problem[] } {
  const problems: Problem[] = [];
  const { source } = options;
  if (status.peer !== options.site) problems.push(problem(`${source}.peer`, status.peer, `the status of the copies of ${options.site}`));
  const runAge = (options.now.getTime() - Date.parse(status.finishedAt)) / 3_600_000;
  if (!Number.isFinite(runAge)) problems.push(problem(`${source}.finishedAt`, status.finishedAt, "an ISO 8601 time"));
  else if (runAge > options.maxAgeHours && !options.allowStale) {
    problems.push(problem(`${source}.finishedAt`, `a last pull ${runAge.toFixed(1)} h ago`, `one within ${options.maxAgeHours} h (or --allow-stale, knowing the copies may be old)`));
  }
  const copies = new Map<number, GuestCopy & { newestCopy: string }>();
  for (const vmid of options.vmids) {
    const guest = status.guests.find((g) => g.vmid === vmid);
    if (guest?.newestCopy === null || guest?.newestCopy === undefined) {
      problems.push(problem(`${source}.guests[${vmid}]`, "no copy", "a tested copy of every guest to restore"));
      continue;
    }
    if (guest.stale && !options.allowStale) {
      problems.push(problem(`${source}.guests[${vmid}]`, `a copy ${guest.ageHours} h old`, `a fresh copy (or --allow-stale, knowing ${guest.ageHours} h of data would be lost)`));
    }
    copies.set(vmid, guest as GuestCopy & { newestCopy: string });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, copies };
}
