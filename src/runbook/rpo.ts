/**
 * How much data each guest loses (RPO): what was written after the snapshot the
 * survivor holds. Read from the survivor's PBS listing when there is one (the
 * age of the newest copy), otherwise bounded from the night plan: the copy of
 * last night's backup is at the survivor once its pull has ended, so a loss just
 * after that costs the hours since the backup, and a loss just before it costs a
 * day more (the survivor still holds the night before's).
 */
import { backupNightOf, minuteOfTime, minutesBetween, syncNightOf } from "../backup/night";
import { directionOf } from "../offsite/directions";
import type { ContainerSpec, SiteSpec } from "../site/schema";

export type GuestRpo =
  | { readonly vmid: number; readonly name: string; readonly kind: "measured"; readonly hours: number; readonly snapshot: string }
  | {
      readonly vmid: number;
      readonly name: string;
      readonly kind: "planned";
      /** A loss right after the pull of last night's backup ended. */
      readonly bestHours: number;
      /** A loss right before it ended: the copy is the night before's. */
      readonly worstHours: number;
      readonly backupStart: string;
      readonly pullEnd: string;
    };

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * The RPO of each guest to bring back.
 * @param held age and snapshot time of the copy the runbook restores, by VMID, when the survivor's PBS was read.
 */
export function rpoOf(
  lost: SiteSpec,
  survivor: SiteSpec,
  services: readonly ContainerSpec[],
  held?: ReadonlyMap<number, { readonly ageHours: number; readonly snapshot: string }>,
): GuestRpo[] {
  const backup = backupNightOf(lost);
  const pull = syncNightOf(directionOf(survivor, lost), lost);
  // The snapshot is taken at the backup's start at the earliest: count from there.
  const sinceBackup = minutesBetween(minuteOfTime(backup.start), minuteOfTime(pull.end)) / 60;
  return services.map((c) => {
    const copy = held?.get(c.vmid);
    if (copy !== undefined) return { vmid: c.vmid, name: c.name, kind: "measured", hours: copy.ageHours, snapshot: copy.snapshot };
    return {
      vmid: c.vmid,
      name: c.name,
      kind: "planned",
      bestHours: round1(sinceBackup),
      worstHours: round1(sinceBackup + 24),
      backupStart: backup.start,
      pullEnd: pull.end,
    };
  });
}

/** One line per guest, as the runbook's header prints it. */
export function describeRpo(rpo: GuestRpo, survivor: string): string {
  const who = `${rpo.name} (${rpo.vmid})`;
  if (rpo.kind === "measured") return `${who}: ${rpo.hours} h of writes (newest copy at ${survivor}: ${rpo.snapshot})`;
  return (
    `${who}: ${rpo.bestHours} to ${rpo.worstHours} h of writes (last night's backup from ${rpo.backupStart} is at ${survivor} once ` +
    `its pull ends, ${rpo.pullEnd}; a loss before then leaves the night before's)`
  );
}
