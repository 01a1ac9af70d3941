/**
 * Each PBS's own jobs placed against the night: prune, GC and verify work on
 * the datastore's disk, the one the night's backup and pulls write to and read
 * from, so each runs outside the night's work there, from the first start to
 * the last end: after the night's last write, what prune and GC free includes
 * that night's. The backup disk is the datastore's alone, so by day they take
 * nothing from the members. Pure.
 */
import { type Problem, problem } from "../problems";
import { formatMinuteOfDay, parseCalendarEvent, timeOfDay } from "../rules/calendar";
import type { SiteSpec } from "../site/schema";
import type { DatastoreFootprint } from "./capacity";
import { type BackupNight, type SyncNight, hoursToRead, minuteOfTime, minutesBetween, windowsMeet } from "./night";

/** A job that uses a host's PBS at night, with its predicted hours. */
export interface BusyWindow {
  readonly what: string;
  readonly start: string;
  readonly end: string;
}

/** The night's work on `site`'s PBS: its own backup, the pulls it runs, and the pulls that read it. */
export function busyWindowsOf(site: string, backups: readonly BackupNight[], syncs: readonly SyncNight[]): BusyWindow[] {
  return [
    ...backups.filter((b) => b.site === site).map((b) => ({ what: `${site}'s backup`, start: b.start, end: b.end })),
    ...syncs.filter((s) => s.holder === site || s.source === site).map((s) => ({ what: `the pull ${s.source} -> ${s.holder}`, start: s.start, end: s.end })),
  ];
}

/** One of a PBS's own jobs, placed. */
export interface MaintenanceJob {
  readonly job: "prune" | "GC" | "verify";
  /** Where the spec sets its schedule. */
  readonly path: string;
  readonly schedule: string;
  /** HH:MM, or null when the schedule does not fire at one time of day. */
  readonly start: string | null;
  /** Its predicted end: verify re-reads at most every chunk; prune and GC are counted as a start. */
  readonly end: string | null;
  /** Minutes from the end of the night's last work on this PBS to its start. */
  readonly afterNightMinutes: number | null;
  /** Whether it would run inside the night's work on this PBS. */
  readonly inNight: boolean;
}

export interface MaintenancePlan {
  readonly site: string;
  /** The night's work on this PBS: what it is, from its first start to its last end (HH:MM). */
  readonly night: BusyWindow;
  readonly jobs: readonly MaintenanceJob[];
}

/** The night's work as one window, each job read from the start of the site's quiet hours (all begin inside them). */
function nightOf(busy: readonly BusyWindow[], nightStartsAt: string): BusyWindow {
  const from = minuteOfTime(nightStartsAt);
  const offsets = busy.map((b) => {
    const start = minutesBetween(from, minuteOfTime(b.start));
    return { start, end: start + minutesBetween(minuteOfTime(b.start), minuteOfTime(b.end)) };
  });
  const start = Math.min(...offsets.map((o) => o.start));
  const end = Math.max(...offsets.map((o) => o.end));
  return { what: busy.map((b) => b.what).join(", "), start: formatMinuteOfDay(from + start), end: formatMinuteOfDay(from + end) };
}

/**
 * The prune, GC and verify of `site`'s PBS against the night's work on it.
 * Verify re-reads every chunk of the snapshots not verified for
 * `outdatedAfterDays`: at most the datastore's data, at `readMiBps`.
 */
export function maintenancePlanOf(site: SiteSpec, datastore: DatastoreFootprint, backups: readonly BackupNight[], syncs: readonly SyncNight[]): MaintenancePlan {
  const night = nightOf(busyWindowsOf(site.name, backups, syncs), site.uplink.nightStartsAt);
  const pbs = `sites.${site.name}.backupServer`;
  const dataGiB = datastore.totalGiB - datastore.marginGiB;
  const verifyMinutes = Math.ceil(hoursToRead(dataGiB) * 60);
  const place = (job: MaintenanceJob["job"], path: string, schedule: string, minutes: number): MaintenanceJob => {
    const start = timeOfDay(schedule);
    if (start === null) return { job, path, schedule, start: null, end: null, afterNightMinutes: null, inNight: false };
    const window = { start: formatMinuteOfDay(start), end: formatMinuteOfDay(start + minutes) };
    return {
      job,
      path,
      schedule,
      ...window,
      afterNightMinutes: minutesBetween(minuteOfTime(night.end), start),
      inNight: windowsMeet(window, night),
    };
  };
  return {
    site: site.name,
    night,
    jobs: [
      place("prune", `${pbs}.pruneSchedule`, site.backupServer.pruneSchedule, 0),
      place("GC", `${pbs}.gcSchedule`, site.backupServer.gcSchedule, 0),
      place("verify", `${pbs}.verify.schedule`, site.backupServer.verify.schedule, verifyMinutes),
    ],
  };
}

/**
 * What refuses a PBS's own jobs: a schedule at more than one time of day, or one
 * inside the night's work on that PBS. A night that does not fit (a backup
 * outside the quiet hours, a pull past their end) is refused as such first: the
 * jobs are placed against it once it is fixed. A schedule that is no calendar
 * event at all is the site rules' to report.
 */
export function maintenanceProblems(plan: MaintenancePlan, nightFits: boolean): Problem[] {
  return plan.jobs.flatMap((j) => {
    if (j.start === null) {
      return parseCalendarEvent(j.schedule).ok ? [problem(j.path, j.schedule, `a calendar event at one time of day, such as "*-*-* 08:00" (the ${j.job} of ${plan.site}'s PBS is placed against the night)`)] : [];
    }
    if (!j.inNight || !nightFits) return [];
    const span = j.end === j.start ? `at ${j.start}` : `${j.start}-${j.end}`;
    return [
      problem(
        j.path,
        j.schedule,
        `a time clear of the night's work on ${plan.site}'s PBS, ${plan.night.start}-${plan.night.end} (${plan.night.what}): its ${j.job} would run ${span} on the same backup disk${j.job === "verify" ? "" : ", before the night's last snapshots are in"}`,
      ),
    ];
  });
}
