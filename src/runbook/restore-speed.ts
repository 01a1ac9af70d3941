/**
 * How fast a restore goes: measured by the survivor's restore drills when its
 * PBS listing was read and a drill of the lost site's copies passed there, else
 * the assumption (src/runbook/assumptions.ts). The runbook says which.
 */
import { heldStorageOf } from "../backup/names";
import type { PbsReport } from "../status/pbs-report";
import { ASSUMPTIONS } from "./assumptions";

export type RestoreSpeed =
  | { readonly kind: "measured"; readonly mibps: number; readonly at: string; readonly host: string }
  | { readonly kind: "assumed"; readonly mibps: number };

/**
 * The slowest restore among the passed drills of `lost`'s copies on the
 * survivor's newest run (the slowest, so the estimate is not the lucky guest's).
 */
export function restoreSpeedOf(lost: string, survivor: string, report: PbsReport | undefined): RestoreSpeed {
  const passed = (report?.drills ?? []).filter((d) => d.ok && d.storage === heldStorageOf(lost) && d.restoreSeconds > 0 && d.bytes > 0);
  if (passed.length === 0) return { kind: "assumed", mibps: ASSUMPTIONS.restoreMiBps };
  const slowest = passed.map((d) => ({ at: d.at, mibps: d.bytes / 1024 ** 2 / d.restoreSeconds })).sort((a, b) => a.mibps - b.mibps)[0]!;
  const newest = Math.max(...passed.map((d) => d.at));
  return { kind: "measured", mibps: Math.round(slowest.mibps * 10) / 10, at: new Date(newest * 1000).toISOString().slice(0, 10), host: survivor };
}

/** `restore at 37.5 MiB/s, measured by the drills on rouans of 2026-11-21` or `... assumed`. */
export function describeRestoreSpeed(speed: RestoreSpeed): string {
  return speed.kind === "measured"
    ? `restores at ${speed.mibps} MiB/s, measured by the drills on ${speed.host} of ${speed.at}`
    : `restores at ${speed.mibps} MiB/s, assumed (no drill measured it: src/runbook/assumptions.ts)`;
}
