/**
 * One night, predicted: how long each site's backup takes with change detection
 * `metadata` (a walk of every file, then only the changed bytes read), when each
 * holder's pull starts (after the source's backup) and how long it takes (the
 * source's new chunks over the pair's budget), against the night window; and
 * what the first, full copy costs. Pure: the plan, the components (the sync
 * schedule) and the docs read the same figures.
 */
import { formatMinuteOfDay, dailyMinuteOf } from "../rules/calendar";
import type { ContainerSpec, SiteSpec } from "../site/schema";
import type { SyncDirection } from "../offsite/directions";
import { BACKUP_ASSUMPTIONS as A } from "./assumptions";

const GIB = 1024 ** 3;
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** GiB a night writes anew in one guest (what a `metadata` backup re-reads). */
export const changedGiBOf = (c: ContainerSpec): number => (c.dataSizeGiB * c.dailyChangePercent) / 100;
/** GiB of new chunks one night adds to a datastore for one guest. */
export const newChunksGiBOf = (c: ContainerSpec): number => changedGiBOf(c) * c.compressionRatio;
/** GiB of the first, full snapshot of a guest. */
export const fullGiBOf = (c: ContainerSpec): number => c.dataSizeGiB * c.compressionRatio;

const sum = (cs: readonly ContainerSpec[], f: (c: ContainerSpec) => number) => cs.reduce((s, c) => s + f(c), 0);
const hoursToRead = (gib: number) => (gib * 1024) / A.readMiBps / 3600;
/** GiB an hour through a link at `mbps`, after protocol overhead. */
export const gibPerHourAt = (mbps: number): number => (mbps * 1e6 * A.linkEfficiency * 3600) / 8 / GIB;

export function minuteOfTime(hhmm: string): number {
  const [h = "0", m = "0"] = hhmm.split(":");
  return Number(h) * 60 + Number(m);
}

/** Minutes from `from` forward to `to` on a 24 h clock. */
export const minutesBetween = (from: number, to: number) => (((to - from) % 1440) + 1440) % 1440;

/** Whether minute `m` falls inside the window from `from` to `to` of a 24 h clock (its end excluded; an empty window holds nothing). */
const insideWindow = (m: number, from: number, to: number): boolean => minutesBetween(from, m) < minutesBetween(from, to);

/** Whether two windows `HH:MM`-`HH:MM` of a 24 h clock meet (an empty one counts a minute). */
export function windowsMeet(a: { start: string; end: string }, b: { start: string; end: string }): boolean {
  const [aStart, bStart] = [minuteOfTime(a.start), minuteOfTime(b.start)];
  const aLength = minutesBetween(aStart, minuteOfTime(a.end)) || 1;
  const bLength = minutesBetween(bStart, minuteOfTime(b.end)) || 1;
  return minutesBetween(aStart, bStart) < aLength || minutesBetween(bStart, aStart) < bLength;
}

/** A site's nightly backup to its own PBS. */
export interface BackupNight {
  readonly site: string;
  readonly start: string;
  /** Every file's metadata compared with the previous snapshot. */
  readonly walkHours: number;
  /** Changed bytes read, chunked and stored. */
  readonly changedGiB: number;
  readonly hours: number;
  readonly end: string;
  /** The site's quiet hours: the backup starts inside them, and a backup still running at their end is a problem. */
  readonly nightStartsAt: string;
  readonly nightEndsAt: string;
  /** Whether it starts inside the quiet hours. */
  readonly startsInNight: boolean;
  /** Minutes left between its predicted end and the night's end (negative: it overruns). */
  readonly slackMinutes: number;
  /** The first backup (or the first after mode `legacy`) reads everything. */
  readonly firstHours: number;
  readonly fits: boolean;
}

/** One holder's nightly pull of one source. */
export interface SyncNight {
  readonly source: string;
  readonly holder: string;
  readonly budgetMbps: number;
  /** Calendar event of the holder's sync job. */
  readonly schedule: string;
  readonly start: string;
  readonly newChunksGiB: number;
  readonly hours: number;
  readonly end: string;
  /** The source's night ends then: its upload is the members' again. */
  readonly windowEnd: string;
  readonly windowHours: number;
  readonly fits: boolean;
  /**
   * The first sync of each group is a full transfer, and PBS runs it as one job to
   * its end: not a night at a time, but days on end, the line and the holder's PBS
   * taken meanwhile. Longer than the night's window, it is carried on a disk instead
   * (docs/backup.md, "The first copy").
   */
  readonly seed: { readonly gib: number; readonly hours: number; readonly days: number; readonly longerThanNight: boolean };
}

/** The predicted night of a site's backup. */
export function backupNightOf(site: SiteSpec): BackupNight {
  const start = dailyMinuteOf(site.backup.schedule) ?? 0;
  const dataGiB = sum(site.containers, (c) => c.dataSizeGiB);
  const changedGiB = sum(site.containers, changedGiBOf);
  const walkHours = dataGiB / A.metadataWalkGiBPerHour;
  const hours = walkHours + hoursToRead(changedGiB);
  const endMinute = start + Math.ceil(hours * 60);
  const [nightStart, nightEnd] = [minuteOfTime(site.uplink.nightStartsAt), minuteOfTime(site.uplink.nightEndsAt)];
  const startsInNight = insideWindow(start, nightStart, nightEnd);
  const nightMinutes = startsInNight ? minutesBetween(start, nightEnd) : 0;
  return {
    site: site.name,
    start: formatMinuteOfDay(start),
    walkHours: round(walkHours),
    changedGiB: round(changedGiB),
    hours: round(hours),
    end: formatMinuteOfDay(endMinute),
    nightStartsAt: site.uplink.nightStartsAt,
    nightEndsAt: site.uplink.nightEndsAt,
    startsInNight,
    slackMinutes: Math.floor(nightMinutes - hours * 60),
    firstHours: round(hoursToRead(dataGiB)),
    fits: startsInNight && hours * 60 <= nightMinutes,
  };
}

/** The minute of the day the holder's pull starts: after the source's backup, a margin, on a quarter hour. */
export function syncStartMinute(source: SiteSpec): number {
  const backup = backupNightOf(source);
  const start = dailyMinuteOf(source.backup.schedule) ?? 0;
  const ready = start + Math.ceil(backup.hours * 60) + A.syncMarginMinutes;
  return (Math.ceil(ready / 15) * 15) % 1440;
}

/** The predicted night of one direction. */
export function syncNightOf(direction: SyncDirection, source: SiteSpec): SyncNight {
  const start = syncStartMinute(source);
  const rate = gibPerHourAt(direction.budgetMbps);
  const newChunksGiB = sum(source.containers, newChunksGiBOf);
  const hours = newChunksGiB / rate;
  // The source's quiet hours: a pull that would start outside them has no window
  // at all (not the whole next day).
  const nightStart = minuteOfTime(source.uplink.nightStartsAt);
  const nightEnd = minuteOfTime(source.uplink.nightEndsAt);
  const windowMinutes = insideWindow(start, nightStart, nightEnd) ? minutesBetween(start, nightEnd) : 0;
  const seedGiB = sum(source.containers, fullGiBOf);
  const seedHours = seedGiB / rate;
  return {
    source: direction.source,
    holder: direction.holder,
    budgetMbps: direction.budgetMbps,
    schedule: `*-*-* ${formatMinuteOfDay(start)}`,
    start: formatMinuteOfDay(start),
    newChunksGiB: round(newChunksGiB),
    hours: round(hours),
    end: formatMinuteOfDay(start + Math.ceil(hours * 60)),
    windowEnd: source.uplink.nightEndsAt,
    windowHours: round(windowMinutes / 60),
    fits: hours * 60 <= windowMinutes,
    seed: { gib: round(seedGiB), hours: round(seedHours, 1), days: round(seedHours / 24, 1), longerThanNight: seedHours * 60 > windowMinutes },
  };
}
