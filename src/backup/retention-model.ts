/**
 * PBS's prune selection, modelled in plain code: which snapshots of one group a
 * `keep-*` retention keeps. The planner counts the distinct snapshots a
 * retention holds (each costs its new chunks), and the threat model measures
 * what forged, future-dated snapshots can make a holder's prune remove.
 *
 * It follows `compute_prune_info` and `mark_selections` in proxmox-backup's
 * pbs-datastore/src/prune.rs (read at v4.2.0) rule by rule: the snapshots newest
 * first; the rules in PBS's order (keep-last, then daily, weekly by ISO week,
 * monthly, yearly; PBS's keep-hourly is not in the spec); each rule marks every
 * snapshot not yet marked, in order:
 * - a protected one `protected`, which neither counts for the rule nor makes
 *   its period covered for a later one (only a `keep` mark does);
 * - one whose period an earlier rule's `keep` covers is left unmarked;
 * - the first of a period new to the rule is kept, unless the rule already took
 *   its count of periods, which ends the rule there;
 * - a later one of a period the rule took is marked `remove`, and stays so:
 *   no later rule can keep it.
 * Unmarked at the end is removed. Not modelled: an unfinished snapshot (no
 * manifest), which PBS keeps while it is the newest. Times are UTC epoch seconds
 * here; PBS takes periods in the host's local time, which shifts their edges,
 * not the counts.
 */
import type { RetentionSpec } from "../site/schema";

export interface ModelSnapshot {
  /** Epoch seconds. */
  readonly time: number;
  readonly protected?: boolean;
}

type PeriodOf = (time: number) => string;

const day = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);

/** ISO 8601 week, `2026-W48` (PBS: strftime's `%G/%V`). */
function isoWeek(t: number): string {
  const d = new Date(Math.floor(t / 86400) * 86400 * 1000);
  const weekday = (d.getUTCDay() + 6) % 7; // Monday = 0
  d.setUTCDate(d.getUTCDate() - weekday + 3); // the Thursday of this week decides its year
  const year = d.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(year, 0, 4));
  firstThursday.setUTCDate(firstThursday.getUTCDate() - ((firstThursday.getUTCDay() + 6) % 7) + 3);
  const week = 1 + Math.round((d.getTime() - firstThursday.getTime()) / (7 * 86400 * 1000));
  return `${year}-W${week}`;
}

/** The rules in the order compute_prune_info applies them, with the period each keeps one snapshot of. */
const RULES: [keyof RetentionSpec, PeriodOf][] = [
  ["keepLast", (t) => String(t)],
  ["keepDaily", day],
  ["keepWeekly", isoWeek],
  ["keepMonthly", (t) => new Date(t * 1000).toISOString().slice(0, 7)],
  ["keepYearly", (t) => new Date(t * 1000).toISOString().slice(0, 4)],
];

export type PruneMark = "keep" | "protected" | "remove";

/** What a prune with `retention` does to each snapshot of one group, by time. */
export function pruneMarks(retention: RetentionSpec, snapshots: readonly ModelSnapshot[]): Map<number, PruneMark> {
  const list = [...snapshots].sort((a, b) => b.time - a.time);
  const mark = new Map<number, PruneMark>();
  for (const [field, periodOf] of RULES) {
    const count = retention[field];
    if (count === undefined) continue;
    const alreadyIncluded = new Set(list.filter((s) => mark.get(s.time) === "keep").map((s) => periodOf(s.time)));
    const included = new Set<string>();
    for (const s of list) {
      if (mark.has(s.time)) continue;
      if (s.protected === true) {
        mark.set(s.time, "protected");
        continue;
      }
      const period = periodOf(s.time);
      if (alreadyIncluded.has(period)) continue;
      if (!included.has(period)) {
        if (included.size >= count) break;
        included.add(period);
        mark.set(s.time, "keep");
      } else {
        mark.set(s.time, "remove");
      }
    }
  }
  return new Map(list.map((s) => [s.time, s.protected === true ? "protected" : (mark.get(s.time) ?? "remove")]));
}

/** The times of the snapshots a retention keeps (protected ones included), newest first. */
export function keptBy(retention: RetentionSpec, snapshots: readonly ModelSnapshot[]): number[] {
  return [...pruneMarks(retention, snapshots)].filter(([, m]) => m !== "remove").map(([time]) => time);
}

const DAY = 86_400;
/** A fixed Monday, so the counts never depend on the day the plan runs. */
const MODEL_START = Date.UTC(2026, 0, 5, 1, 30) / 1000;

/** Nights long enough for every rule of `retention` to fill: each rule's count of its periods, at their longest. */
function fillingNights(retention: RetentionSpec): number {
  const r = retention;
  return (r.keepLast ?? 0) + (r.keepDaily ?? 0) + 7 * (r.keepWeekly ?? 0) + 31 * (r.keepMonthly ?? 0) + 366 * (r.keepYearly ?? 0);
}

/** What a retention holds once it has filled, with one snapshot a night. */
export interface RetentionShape {
  /** The most distinct snapshots it keeps at once. */
  readonly kept: number;
  /** The most nights between the newest snapshot and the oldest it keeps. */
  readonly spanNights: number;
}

/**
 * What a retention holds once it has run for a while, with one snapshot a night
 * and a prune after each: how many distinct snapshots at most (the number the
 * planner multiplies by the nightly rewritten chunks) and how far back the
 * oldest goes (how long deleted new data stays held). Counted by running
 * {@link pruneMarks} night after night until every rule has filled, then over
 * one more year (so every month, ISO-week and year edge passes), taking the
 * largest of each.
 */
export function retentionShape(retention: RetentionSpec): RetentionShape {
  const key = JSON.stringify(RULES.map(([field]) => retention[field] ?? null));
  const known = shapeCache.get(key);
  if (known !== undefined) return known;
  const filled = fillingNights(retention);
  const nights = filled + 366;
  let held: ModelSnapshot[] = [];
  let kept = 0;
  let spanNights = 0;
  for (let n = 0; n < nights; n += 1) {
    const now = MODEL_START + n * DAY;
    held.push({ time: now });
    const keep = new Set(keptBy(retention, held));
    held = held.filter((s) => keep.has(s.time));
    if (n >= filled) {
      kept = Math.max(kept, held.length);
      spanNights = Math.max(spanNights, Math.round((now - Math.min(...held.map((s) => s.time))) / DAY));
    }
  }
  const shape = { kept, spanNights };
  shapeCache.set(key, shape);
  return shape;
}

/** The most distinct snapshots a retention holds once it has filled ({@link retentionShape}). */
export const distinctSnapshotsKept = (retention: RetentionSpec): number => retentionShape(retention).kept;

/** Shapes already counted: every stack plans both sites, and the same few retentions come back. */
const shapeCache = new Map<string, RetentionShape>();

/** What one run of a PBS pull does to a group at the holder. */
export interface PullRun {
  /** Snapshots the holder did not have. */
  readonly added: ModelSnapshot[];
  /**
   * Snapshots the holder had and fetches again: the manifest is downloaded anew
   * and, when it differs, the holder's copy is replaced by what the source serves
   * under that time (pull_snapshot).
   */
  readonly resynced: ModelSnapshot[];
}

/**
 * One run of a PBS pull on one group, as proxmox-backup's `pull_group` picks
 * the snapshots (src/server/pull.rs, v4.2.0; v3.4.0 the same):
 * - the source's list is sorted by time; with `transfer-last N` every snapshot
 *   before its last N is skipped ("cutoff", counted over the whole list, not
 *   over the new ones);
 * - a snapshot older than the holder's last synced one is skipped (a pull never
 *   fills gaps), but the last synced one itself is always fetched again;
 * - with `resync-corrupt`, a held snapshot whose verification failed is fetched
 *   again whatever its age or position.
 * `failed` holds the times of the holder's snapshots whose verification failed.
 */
export function pullGroup(
  held: readonly ModelSnapshot[],
  served: readonly ModelSnapshot[],
  options: { transferLast?: number; resyncCorrupt?: boolean; failed?: ReadonlySet<number> } = {},
): PullRun {
  const heldTimes = new Set(held.map((s) => s.time));
  const lastSync = Math.max(-Infinity, ...held.map((s) => s.time));
  const list = [...served].sort((a, b) => a.time - b.time);
  const cutoff = options.transferLast === undefined ? 0 : Math.max(0, list.length - options.transferLast);
  const taken = list.filter((s, pos) => {
    if (options.resyncCorrupt === true && heldTimes.has(s.time) && options.failed?.has(s.time) === true) return true;
    if (lastSync > s.time) return false;
    return !(pos < cutoff && lastSync !== s.time);
  });
  return { added: taken.filter((s) => !heldTimes.has(s.time)), resynced: taken.filter((s) => heldTimes.has(s.time)) };
}
