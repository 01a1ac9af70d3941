/**
 * PBS's prune selection, modelled in plain code: which snapshots of one group a
 * `keep-*` retention keeps. The planner counts the distinct snapshots a
 * retention holds (each costs its new chunks), and the threat model measures
 * what forged, future-dated snapshots can make a holder's prune remove.
 *
 * The rules follow PBS's `compute_prune_info`: newest first, `keep-last` first,
 * then hourly, daily, weekly (ISO week), monthly, yearly; each rule keeps the
 * newest snapshot of each period not already kept by an earlier rule, and
 * periods that an earlier rule already covers do not use up its count.
 * Protected snapshots are never removed. Times are UTC epoch seconds here; PBS
 * uses the host's local time, which shifts period edges but not the counts.
 */
import type { RetentionSpec } from "../site/schema";

export interface ModelSnapshot {
  /** Epoch seconds. */
  readonly time: number;
  readonly protected?: boolean;
}

type PeriodOf = (time: number) => string;

const day = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);

/** ISO 8601 week, `2026-W48`. */
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

const RULES: [keyof RetentionSpec, PeriodOf][] = [
  ["keepLast", (t) => String(t)],
  ["keepDaily", day],
  ["keepWeekly", isoWeek],
  ["keepMonthly", (t) => new Date(t * 1000).toISOString().slice(0, 7)],
  ["keepYearly", (t) => new Date(t * 1000).toISOString().slice(0, 4)],
];

/** The times of the snapshots a retention keeps (protected ones included), newest first. */
export function keptBy(retention: RetentionSpec, snapshots: readonly ModelSnapshot[]): number[] {
  const list = [...snapshots].sort((a, b) => b.time - a.time);
  const kept = new Set<number>(list.filter((s) => s.protected === true).map((s) => s.time));
  for (const [field, periodOf] of RULES) {
    const count = retention[field];
    if (count === undefined) continue;
    const covered = new Set(list.filter((s) => kept.has(s.time)).map((s) => periodOf(s.time)));
    const taken = new Set<string>();
    for (const s of list) {
      if (kept.has(s.time)) continue;
      const period = periodOf(s.time);
      if (covered.has(period) || taken.has(period)) continue;
      if (taken.size >= count) break;
      taken.add(period);
      kept.add(s.time);
    }
  }
  return list.filter((s) => kept.has(s.time)).map((s) => s.time);
}

const DAY = 86_400;
/** A fixed Monday, so the counts never depend on the day the plan runs. */
const MODEL_START = Date.UTC(2026, 0, 5, 1, 30) / 1000;

/**
 * How many distinct snapshots a retention holds at most once it has run for a
 * while, with one snapshot a night: the number the planner multiplies by the
 * nightly new chunks. Counted by running {@link keptBy} over 400 nights (more
 * than a year, so monthly and yearly rules fill) and taking the largest count of
 * the last 100.
 */
export function distinctSnapshotsKept(retention: RetentionSpec): number {
  const key = JSON.stringify(RULES.map(([field]) => retention[field] ?? null));
  const known = countCache.get(key);
  if (known !== undefined) return known;
  const nights = 400;
  let held: ModelSnapshot[] = [];
  let most = 0;
  for (let n = 0; n < nights; n += 1) {
    held.push({ time: MODEL_START + n * DAY });
    const kept = new Set(keptBy(retention, held));
    held = held.filter((s) => kept.has(s.time));
    if (n >= nights - 100) most = Math.max(most, held.length);
  }
  countCache.set(key, most);
  return most;
}

/** Counts already made: every stack plans both sites, and the same few retentions come back. */
const countCache = new Map<string, number>();

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
