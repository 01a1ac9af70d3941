/**
 * The restore drills of each holder, planned and checked before anything is
 * declared: which copies it restores, into which scratch VMIDs and datastore,
 * when (never while a backup or a pull runs on that host), and which guests its
 * scratch datastore cannot take (a warning: that copy cannot be drilled, nor
 * failed over, there). Pure.
 */
import { type BusyWindow, busyWindowsOf } from "../backup/maintenance";
import { backupNightOf, syncNightOf, windowsMeet } from "../backup/night";
import { heldStorageOf } from "../backup/names";
import { directionsOf } from "../offsite/directions";
import type { PairingEntry } from "../offsite/pairing";
import { type Problem, problem } from "../problems";
import { formatMinuteOfDay, timeOfDay } from "../rules/calendar";
import type { SiteSpec } from "../site/schema";

/** A guest's last restore drill older than this is overdue: a weekly drill, and a day's grace. */
export const DRILL_OVERDUE_DAYS = 8;

export interface DrillGuest {
  readonly source: string;
  readonly vmid: number;
  readonly name: string;
  /** The PVE storage its copies are read from (`pbs-<source>`). */
  readonly storage: string;
  readonly command: readonly string[];
  readonly expect: string;
  /** What its restore writes (thin volumes: its data, not its sizes). */
  readonly needGiB: number;
  readonly fits: boolean;
}

export interface DrillPlan {
  readonly site: string;
  readonly schedule: string;
  readonly start: string;
  /** When the last guest's drill must have ended: start + guests x maxMinutesPerGuest. */
  readonly end: string;
  readonly scratch: { readonly first: number; readonly last: number };
  readonly datastore: string;
  /** What the scratch datastore has left once this site's own volumes are counted. */
  readonly freeGiB: number;
  readonly maxMinutesPerGuest: number;
  readonly guests: readonly DrillGuest[];
}

/** The guests the drill restores: those the scratch datastore can take. */
export function drilledGuests(plan: DrillPlan): DrillPlan["guests"] {
  return plan.guests.filter((g) => g.fits);
}

/** Space this site's own containers allocate on a datastore, GiB. */
function allocatedGiB(site: SiteSpec, datastore: string): number {
  return site.containers.reduce(
    (sum, c) => sum + (c.rootDisk.datastore === datastore ? c.rootDisk.sizeGiB : 0) + c.mountPoints.filter((m) => m.datastore === datastore).reduce((s, m) => s + m.sizeGiB, 0),
    0,
  );
}

/** The drills of one holder. Assumes validated specs and pairing. */
export function drillPlanOf(holder: SiteSpec, sites: readonly SiteSpec[], pairing: readonly PairingEntry[]): DrillPlan {
  const sources = directionsOf(pairing, sites).filter((d) => d.holder === holder.name).map((d) => sites.find((s) => s.name === d.source) as SiteSpec);
  return drillPlanFor(holder, sources);
}

/** The drills of one holder of the copies of `sources`. */
export function drillPlanFor(holder: SiteSpec, sources: readonly SiteSpec[]): DrillPlan {
  const store = holder.datastores.find((d) => d.id === holder.drill.datastore);
  const freeGiB = Math.max(0, (store?.sizeGiB ?? 0) - allocatedGiB(holder, holder.drill.datastore));
  const guests = sources.flatMap((source) =>
    source.containers.map((c) => ({
      source: source.name,
      vmid: c.vmid,
      name: c.name,
      storage: heldStorageOf(source.name),
      command: c.healthCheck.command,
      expect: c.healthCheck.expect,
      needGiB: c.dataSizeGiB,
      fits: c.dataSizeGiB <= freeGiB,
    })),
  );
  const start = timeOfDay(holder.drill.schedule) ?? 0;
  return {
    site: holder.name,
    schedule: holder.drill.schedule,
    start: formatMinuteOfDay(start),
    // Only the guests that fit are drilled: the others take no time.
    end: formatMinuteOfDay(start + guests.filter((g) => g.fits).length * holder.drill.maxMinutesPerGuest),
    scratch: holder.drill.scratchVmids,
    datastore: holder.drill.datastore,
    freeGiB,
    maxMinutesPerGuest: holder.drill.maxMinutesPerGuest,
    guests,
  };
}

/** What runs on a host at night: its backup, the pulls it runs, and the pulls that read it. */
function busyWindows(site: SiteSpec, sites: readonly SiteSpec[], pairing: readonly PairingEntry[]): BusyWindow[] {
  const pulls = directionsOf(pairing, sites)
    .filter((d) => d.holder === site.name || d.source === site.name)
    .map((d) => syncNightOf(d, sites.find((s) => s.name === d.source) as SiteSpec));
  return busyWindowsOf(site.name, [backupNightOf(site)], pulls);
}

/**
 * Every problem of the drills: scratch ranges disjoint from every site's VMIDs
 * and from each other, a scratch datastore that takes containers, and a
 * schedule at one time of day that no backup or pull of that host overlaps.
 */
export function drillProblems(sites: readonly SiteSpec[], pairing: readonly PairingEntry[], planned: readonly SiteSpec[] = sites): Problem[] {
  const problems: Problem[] = [];
  for (const [i, site] of sites.entries()) {
    const base = `sites.${site.name}.drill`;
    const { first, last } = site.drill.scratchVmids;
    if (first > last) problems.push(problem(`${base}.scratchVmids`, site.drill.scratchVmids, "first <= last"));
    for (const [j, other] of sites.entries()) {
      // Two scratch ranges that meet are one problem, named at the later site.
      const ranges = [{ what: `sites.${other.name}.vmidRange`, ...other.vmidRange }, ...(j < i ? [{ what: `sites.${other.name}.drill.scratchVmids`, ...other.drill.scratchVmids }] : [])];
      for (const r of ranges.filter((x) => first <= x.last && x.first <= last)) {
        problems.push(problem(`${base}.scratchVmids`, site.drill.scratchVmids, `a range disjoint from ${r.what} ${r.first}..${r.last} (a drill must never touch a real guest)`));
      }
    }
    const store = site.datastores.find((d) => d.id === site.drill.datastore);
    if (!store?.content.includes("rootdir")) problems.push(problem(`${base}.datastore`, site.drill.datastore, 'a datastore of this site with content "rootdir"'));
    const start = timeOfDay(site.drill.schedule);
    if (start === null) {
      problems.push(problem(`${base}.schedule`, site.drill.schedule, 'a calendar event at one time of day, such as "sat 13:00"'));
      continue;
    }
    // How long the drills run, and what they must keep clear of, are counted from the night's plan.
    if (!planned.includes(site)) continue;
    const plan = drillPlanOf(site, planned, pairing);
    const drilled = drilledGuests(plan).length;
    const length = drilled * site.drill.maxMinutesPerGuest;
    // A run of a day or more meets every window of the host: its clash with each would say nothing more.
    if (length >= 1440) {
      problems.push(problem(`${base}.maxMinutesPerGuest`, site.drill.maxMinutesPerGuest, `at most ${Math.floor(1439 / drilled)} minutes: ${drilled} guests are drilled in one run${drilled < plan.guests.length ? " (the others do not fit its scratch datastore)" : ""}, which must end within the day`));
      continue;
    }
    for (const busy of busyWindows(site, planned, pairing)) {
      if (windowsMeet({ start: plan.start, end: plan.end }, busy)) {
        problems.push(problem(`${base}.schedule`, site.drill.schedule, `a time clear of ${busy.what} (${busy.start}-${busy.end}): ${drilled} drill(s) take up to ${plan.start}-${plan.end}`));
      }
    }
  }
  return problems;
}

/** The guests a holder's scratch datastore cannot take. */
export function drillWarnings(plan: DrillPlan): string[] {
  return plan.guests
    .filter((g) => !g.fits)
    .map((g) => `drill of ${g.source}'s ${g.name} (${g.vmid}) on ${plan.site}: its ${g.needGiB} GiB do not fit the ${plan.freeGiB} GiB left on ${plan.datastore}, so it is not drilled there (nor could it fail over there)`);
}
