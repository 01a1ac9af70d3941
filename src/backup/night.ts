/**
 * One night, predicted: how long each site's backup takes with change detection
 * `metadata` (a walk of every file, then only the changed bytes read), when each
 * holder's pull starts (as late as still ends inside the source's night with a
 * margin, so a backup that overruns is still pulled that night) and how long it
 * takes (the source's new chunks at the pair's `rate-in`), against the night
 * window; and what the first, full copy costs. Pure: the plan, the components
 * (the sync schedule) and the docs read the same figures.
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
/** Hours to read `gib` from a PBS disk at `readMiBps`. */
export const hoursToRead = (gib: number): number => (gib * 1024) / A.readMiBps / 3600;
/** Files a guest's walk visits: its data over its mean file size. */
export const filesOf = (c: ContainerSpec): number => (c.dataSizeGiB * 1024 * 1024) / c.meanFileKiB;
/** GiB an hour of a pull held to `mbps` by its `rate-in`, less its waits between chunks. */
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
  /** Every file's metadata compared with the previous snapshot: priced per file. */
  readonly walkHours: number;
  readonly files: number;
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
  /** The holder's sync job. */
  readonly jobId: string;
  /** Its share of the line, and the `rate-in` PBS is held to (the budget less the bytes the line adds; unrounded). */
  readonly budgetMbps: number;
  readonly payloadMbps: number;
  /** Calendar event of the holder's sync job. */
  readonly schedule: string;
  readonly start: string;
  readonly newChunksGiB: number;
  readonly hours: number;
  readonly end: string;
  /** The source's quiet hours begin then, and end at windowEnd: its upload is the members' again. */
  readonly nightStartsAt: string;
  readonly windowEnd: string;
  readonly windowHours: number;
  /** Minutes the source's backup may overrun and still be pulled this night (its predicted end to the pull's start). */
  readonly backupSlackMinutes: number;
  /** Minutes between the pull's predicted end and the window's end (negative: it overruns). */
  readonly endSlackMinutes: number;
  readonly fits: boolean;
  /**
   * The first sync of each group is a full transfer, and PBS runs it as one job to
   * its end: not a night at a time, but days on end, the line and the holder's PBS
   * taken meanwhile. Longer than the source's quiet hours, it is carried on a disk
   * instead (docs/backup.md, "The first copy"); longer than the nightly pull's late
   * slot only, it is started by hand when the night begins.
   */
  readonly seed: { readonly gib: number; readonly hours: number; readonly days: number; readonly longerThanNight: boolean; readonly longerThanSlot: boolean };
}

/** The predicted night of a site's backup. */
export function backupNightOf(site: SiteSpec): BackupNight {
  const start = dailyMinuteOf(site.backup.schedule) ?? 0;
  const dataGiB = sum(site.containers, (c) => c.dataSizeGiB);
  const changedGiB = sum(site.containers, changedGiBOf);
  const files = sum(site.containers, filesOf);
  const walkHours = files / A.metadataWalkFilesPerSecond / 3600;
  const hours = walkHours + hoursToRead(changedGiB);
  const endMinute = start + Math.ceil(hours * 60);
  const [nightStart, nightEnd] = [minuteOfTime(site.uplink.nightStartsAt), minuteOfTime(site.uplink.nightEndsAt)];
  const startsInNight = insideWindow(start, nightStart, nightEnd);
  const nightMinutes = startsInNight ? minutesBetween(start, nightEnd) : 0;
  return {
    site: site.name,
    start: formatMinuteOfDay(start),
    walkHours: round(walkHours),
    files: Math.round(files),
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

/**
 * When the holder's pull starts, minute of the day, on a quarter hour: as late
 * as still ends `pullEndMarginMinutes` before the source's night does, so the
 * time to spare goes to a backup that overruns (an unfinished snapshot is not
 * pulled, and the copy would be a day old); never before the backup's predicted
 * end and `syncMarginMinutes`. A night too short for both starts it at the
 * earliest, and the plan refuses it.
 */
function pullStartMinute(source: SiteSpec, backup: BackupNight, pullMinutes: number): number {
  const backupStart = minuteOfTime(backup.start);
  const earliest = Math.ceil((backupStart + Math.ceil(backup.hours * 60) + A.syncMarginMinutes) / 15) * 15;
  // Counted from the backup's start, so a night across midnight compares as one line.
  const nightLeft = minutesBetween(backupStart, minuteOfTime(source.uplink.nightEndsAt));
  const latest = Math.floor((backupStart + nightLeft - pullMinutes - A.pullEndMarginMinutes) / 15) * 15;
  return Math.max(earliest, latest) % 1440;
}

/** The predicted night of one direction. */
export function syncNightOf(direction: SyncDirection, source: SiteSpec): SyncNight {
  const rate = gibPerHourAt(direction.payloadMbps);
  const newChunksGiB = sum(source.containers, newChunksGiBOf);
  const hours = newChunksGiB / rate;
  const backup = backupNightOf(source);
  const start = pullStartMinute(source, backup, Math.ceil(hours * 60));
  const backupEnd = minuteOfTime(backup.end);
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
    jobId: direction.jobId,
    budgetMbps: direction.budgetMbps,
    payloadMbps: direction.payloadMbps,
    schedule: `*-*-* ${formatMinuteOfDay(start)}`,
    start: formatMinuteOfDay(start),
    newChunksGiB: round(newChunksGiB),
    hours: round(hours),
    end: formatMinuteOfDay(start + Math.ceil(hours * 60)),
    nightStartsAt: source.uplink.nightStartsAt,
    windowEnd: source.uplink.nightEndsAt,
    windowHours: round(windowMinutes / 60),
    backupSlackMinutes: minutesBetween(backupEnd, start),
    endSlackMinutes: Math.floor(windowMinutes - hours * 60),
    fits: hours * 60 <= windowMinutes,
    seed: {
      gib: round(seedGiB),
      hours: round(seedHours, 1),
      days: round(seedHours / 24, 1),
      longerThanNight: seedHours * 60 > minutesBetween(nightStart, nightEnd),
      longerThanSlot: seedHours * 60 > windowMinutes,
    },
  };
}
