/**
 * The dead-man alarm of each holder, planned and checked before anything is
 * declared. A host that burns or is stolen sends nothing, so the site that
 * holds its copies watches for its silence: once a day, at `offsite.watchAt`,
 * the holder reads its own PBS and mails the operators when a source's newest
 * copy is older than the source's `staleAfterHours`, when its last pull failed
 * or is as old, or when a drill of its copies failed or is overdue. Pure: the
 * thresholds and what they catch, in hours, for the plan and the host's watch.
 */
import { type SyncNight, backupNightOf, minuteOfTime, minutesBetween, syncNightOf } from "../backup/night";
import { namespaceOf, syncJobOf } from "../backup/names";
import { DRILL_OVERDUE_DAYS, type DrillPlan, drilledGuests } from "../drill/plan";
import { directionsOf } from "../offsite/directions";
import type { PairingEntry } from "../offsite/pairing";
import { type Problem, problem } from "../problems";
import { dailyMinuteOf, formatMinuteOfDay } from "../rules/calendar";
import type { SiteSpec } from "../site/schema";

/** One source whose copies a holder watches. */
export interface WatchedSource {
  readonly source: string;
  /** The namespace of the holder's datastore its copies are in. */
  readonly namespace: string;
  /** The holder's pull job of it. */
  readonly pullJob: string;
  /** A newest copy, or a last pull, older than this is an alarm: the source's `staleAfterHours`. */
  readonly maxAgeHours: number;
  /** The oldest the newest copy is on a good night: from the source's backup start to the pull's end, plus a day. */
  readonly goodNightHours: number;
  /** When the source's backup starts and the holder's pull of it ends (planned). */
  readonly backupStart: string;
  readonly pullStart: string;
  readonly pullEnd: string;
  /** A source alive but not backing up: the watch alarms this many hours after the backup it missed. */
  readonly silentSeenAfterHours: number;
  readonly guests: readonly { readonly vmid: number; readonly name: string }[];
}

export interface WatchPlan {
  readonly site: string;
  /** Time of day the watch runs, every day. */
  readonly at: string;
  /** The holder's datastore, where the copies are. */
  readonly datastore: string;
  readonly mailTo: readonly string[];
  /** The Gotify server its alarms are pushed to as well, or null (mail only). */
  readonly gotify: string | null;
  readonly sources: readonly WatchedSource[];
  /** The drilled copies: the last drill of each must have passed, within `drillMaxAgeDays`. */
  readonly drills: readonly { readonly source: string; readonly vmid: number; readonly name: string; readonly storage: string }[];
  readonly drillMaxAgeDays: number;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** The oldest the newest copy is at the holder on a good night: from the source's backup start to the pull's end, plus a day. */
function goodNightHours(source: SiteSpec, pull: SyncNight): number {
  return round1(24 + minutesBetween(minuteOfTime(backupNightOf(source).start), minuteOfTime(pull.end)) / 60);
}

/** The watch of one holder. Assumes validated specs and pairing (watchProblems). */
export function watchPlanOf(holder: SiteSpec, sites: readonly SiteSpec[], pairing: readonly PairingEntry[], drill: DrillPlan): WatchPlan {
  const at = dailyMinuteOf(holder.offsite.watchAt) ?? 0;
  const sources = directionsOf(pairing, sites)
    .filter((d) => d.holder === holder.name)
    .map((d): WatchedSource => {
      const source = sites.find((s) => s.name === d.source) as SiteSpec;
      const backupStart = minuteOfTime(backupNightOf(source).start);
      const pull = syncNightOf(d, source);
      const maxAgeHours = source.offsite.staleAfterHours;
      // A missed backup's copy would have been taken at backupStart; the one held is a day older.
      // The watch alarms at its first run where that copy is older than maxAgeHours.
      const alarmMinute = backupStart + maxAgeHours * 60;
      const seenAfter = maxAgeHours * 60 + minutesBetween(alarmMinute % 1440, at) - 1440;
      return {
        source: source.name,
        namespace: namespaceOf(source.name),
        pullJob: syncJobOf(source.name),
        maxAgeHours,
        goodNightHours: goodNightHours(source, pull),
        backupStart: formatMinuteOfDay(backupStart),
        pullStart: pull.start,
        pullEnd: pull.end,
        silentSeenAfterHours: round1(seenAfter / 60),
        guests: source.containers.map((c) => ({ vmid: c.vmid, name: c.name })),
      };
    });
  return {
    site: holder.name,
    at: formatMinuteOfDay(at),
    datastore: holder.backupServer.datastore,
    mailTo: holder.backup.mailTo,
    gotify: holder.backup.gotify?.server ?? null,
    sources,
    drills: drilledGuests(drill).map((g) => ({ source: g.source, vmid: g.vmid, name: g.name, storage: g.storage })),
    drillMaxAgeDays: DRILL_OVERDUE_DAYS,
  };
}

/**
 * Every problem of the watches: a `watchAt` that is not one time of day, and a
 * source's `staleAfterHours` below what a good night leaves at one of its
 * holders (it would alarm every day, and an alarm every day is read by nobody).
 */
export function watchProblems(sites: readonly SiteSpec[], pairing: readonly PairingEntry[], planned: readonly SiteSpec[] = sites): Problem[] {
  const problems: Problem[] = [];
  for (const site of sites) {
    if (dailyMinuteOf(site.offsite.watchAt) === null) {
      problems.push(problem(`sites.${site.name}.offsite.watchAt`, site.offsite.watchAt, 'a time of day such as "09:00" (the watch runs every day)'));
    }
  }
  // A good night is counted from the plan's nights, so only for the sites that could be planned.
  for (const d of directionsOf(pairing, planned)) {
    const source = planned.find((s) => s.name === d.source) as SiteSpec;
    const pull = syncNightOf(d, source);
    const goodNight = goodNightHours(source, pull);
    if (source.offsite.staleAfterHours < goodNight) {
      problems.push(
        problem(
          `sites.${source.name}.offsite.staleAfterHours`,
          source.offsite.staleAfterHours,
          `at least ${goodNight}: on a good night the newest copy at ${d.holder} is up to ${goodNight} h old (backup ${backupNightOf(source).start}, pull ends ${pull.end}, then a day), so less alarms every day`,
        ),
      );
    }
  }
  return problems;
}

/**
 * What would keep an alarm from being read in time: a limit so loose that a
 * source that stops backing up but still answers is seen more than a day later,
 * and alarms that go by mail only (the association's mailbox may be served
 * from the very site that fell silent).
 */
export function watchWarnings(plan: WatchPlan): string[] {
  const late = plan.sources
    .filter((s) => s.silentSeenAfterHours > 24)
    .map(
      (s) =>
        `dead-man watch of ${s.source} on ${plan.site}: a missed backup is alarmed only ${s.silentSeenAfterHours} h later; lower sites.${s.source}.offsite.staleAfterHours (${s.maxAgeHours}) towards ${s.goodNightHours}`,
    );
  const mailOnly =
    plan.gotify === null && plan.sources.length > 0
      ? [
          `dead-man watch on ${plan.site}: its alarms go by mail only, to ${plan.mailTo.join(", ")}; if that mailbox is served from ${plan.sources.map((s) => s.source).join(" or ")}, an alarm about that site is read only once it is back: add a Gotify server outside both sites (sites.${plan.site}.backup.gotify) or an address outside the association`,
        ]
      : [];
  return [...late, ...mailOnly];
}
