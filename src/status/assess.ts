/**
 * The operator's daily glance, decided: for each site, each guest's newest
 * snapshot at home and newest copy at every holder with their ages, the last
 * run of each PBS job (pulls, prunes, verify, GC), the datastore's usage against
 * the planner's prediction, and every problem that needs a person. Pure: the
 * hosts' reports are read over SSH by the CLI and passed in.
 */
import { namespaceOf, pruneJobOf, syncJobOf, verifyJobOf } from "../backup/names";
import type { SyncDirection } from "../offsite/directions";
import type { SiteSpec } from "../site/schema";
import { type PbsJob, type PbsReport, type PbsSnapshot, newestByGuest } from "./pbs-report";

/** Used share of a datastore above which it is an alarm. */
export const FULL_SHARE = 0.9;
/** Used bytes above the planner's prediction by this factor: the plan is wrong, or something grew. */
export const OVER_PREDICTION = 1.25;
/** A snapshot dated further than this after the host's clock is forged, or the clock is wrong. */
export const FUTURE_TOLERANCE_SECONDS = 3600;

export interface SnapshotGlance {
  /** Snapshot time, ISO 8601. */
  readonly time: string;
  readonly ageHours: number;
  readonly verified: PbsSnapshot["verified"];
}

export interface GuestGlance {
  readonly vmid: number;
  readonly name: string;
  readonly home: SnapshotGlance | null;
  /** The newest copy at each holder, by holder. */
  readonly copies: Record<string, SnapshotGlance | null>;
}

export interface JobGlance {
  readonly kind: PbsJob["kind"];
  readonly id: string;
  readonly state: string | null;
  readonly endedAt: string | null;
  readonly ageHours: number | null;
}

export interface SiteGlance {
  readonly site: string;
  readonly reachable: boolean;
  readonly guests: GuestGlance[];
  readonly jobs: JobGlance[];
  readonly datastore: { name: string; usedGiB: number; totalGiB: number; predictedGiB: number | null } | null;
}

export interface Glance {
  readonly sites: SiteGlance[];
  readonly problems: string[];
}

const hours = (seconds: number) => Math.round((seconds / 3600) * 10) / 10;
const gib = (bytes: number) => Math.round((bytes / 1024 ** 3) * 10) / 10;
const iso = (epoch: number) => new Date(epoch * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The jobs a site's PBS must have: a pull per source it holds, a prune per namespace, a verify, GC. */
function expectedJobs(site: SiteSpec, holds: readonly string[]): { kind: PbsJob["kind"]; id: string }[] {
  const store = site.backupServer.datastore;
  return [
    ...holds.map((s) => ({ kind: "sync" as const, id: syncJobOf(s) })),
    ...[site.name, ...holds].map((ns) => ({ kind: "prune" as const, id: pruneJobOf(namespaceOf(ns)) })),
    { kind: "verify", id: verifyJobOf(store) },
    { kind: "gc", id: store },
  ];
}

/**
 * Assesses every site from the hosts' reports (`error` for a host that could
 * not be read). Ages are taken against each host's own clock (`report.now`).
 * @param predictedGiB the planner's footprint of each site's datastore.
 */
export function assess(
  sites: readonly SiteSpec[],
  directions: readonly SyncDirection[],
  reports: ReadonlyMap<string, PbsReport | { error: string }>,
  predictedGiB: ReadonlyMap<string, number>,
): Glance {
  const problems: string[] = [];
  const reportOf = (name: string): PbsReport | undefined => {
    const r = reports.get(name);
    return r !== undefined && !("error" in r) ? r : undefined;
  };
  /** The newest snapshot of a guest in a namespace of a host's report, judged against that host's clock. */
  const judge = (where: string, label: string, report: PbsReport, ns: string, vmid: number, limit: number): SnapshotGlance | null => {
    const all = (report.namespaces[ns] ?? []).filter((s) => Number(s.id) === vmid);
    const forged = all.filter((s) => s.time > report.now + FUTURE_TOLERANCE_SECONDS);
    for (const s of forged) {
      problems.push(`${label} at ${where}: a snapshot dated ${iso(s.time)}, ${hours(s.time - report.now)} h after ${where}'s clock (forged, or a wrong clock: never restore it, and look at the source)`);
    }
    const newest = newestByGuest(all.filter((s) => !forged.includes(s))).get(vmid);
    if (newest === undefined) {
      problems.push(`${label} has no snapshot at ${where}`);
      return null;
    }
    const ageHours = hours(report.now - newest.time);
    if (ageHours > limit) problems.push(`${label} at ${where}: newest snapshot ${ageHours} h old (limit ${limit} h)`);
    if (newest.verified === "failed") problems.push(`${label} at ${where}: the newest snapshot failed verification (${iso(newest.time)})`);
    return { time: iso(newest.time), ageHours, verified: newest.verified };
  };

  for (const [name, r] of reports) if ("error" in r) problems.push(`${name}: unreachable (${r.error})`);
  const glances = sites.map((site): SiteGlance => {
    const here = reportOf(site.name);
    if (reports.get(site.name) === undefined) problems.push(`${site.name}: not probed`);
    for (const e of here?.errors ?? []) problems.push(`${site.name}: PBS did not answer: ${e}`);
    const holders = directions.filter((d) => d.source === site.name).map((d) => d.holder);
    const holds = directions.filter((d) => d.holder === site.name).map((d) => d.source);

    const guests = site.containers.map((c): GuestGlance => {
      const label = `${site.name}: ${c.name} (${c.vmid})`;
      const home = here === undefined ? null : judge(site.name, label, here, namespaceOf(site.name), c.vmid, site.offsite.staleAfterHours);
      const copies: Record<string, SnapshotGlance | null> = {};
      for (const holder of holders) {
        const report = reportOf(holder);
        const limit = sites.find((s) => s.name === holder)?.offsite.staleAfterHours ?? site.offsite.staleAfterHours;
        copies[holder] = report === undefined ? null : judge(holder, label, report, namespaceOf(site.name), c.vmid, limit);
      }
      return { vmid: c.vmid, name: c.name, home, copies };
    });

    const jobs = expectedJobs(site, holds).map(({ kind, id }): JobGlance => {
      const found = here?.jobs.find((j) => j.kind === kind && j.id === id);
      if (here !== undefined) {
        if (found === undefined) problems.push(`${site.name}: PBS ${kind} job ${id} is not configured`);
        else if (found.lastRunState === null) problems.push(`${site.name}: PBS ${kind} job ${id} has never run`);
        else if (found.lastRunState !== "OK") problems.push(`${site.name}: PBS ${kind} job ${id} failed: ${found.lastRunState}`);
      }
      const ended = found?.lastRunEndtime ?? null;
      return { kind, id, state: found?.lastRunState ?? null, endedAt: ended === null ? null : iso(ended), ageHours: ended === null || here === undefined ? null : hours(here.now - ended) };
    });

    let datastore: SiteGlance["datastore"] = null;
    if (here?.datastore) {
      const d = here.datastore;
      const predicted = predictedGiB.get(site.name) ?? null;
      datastore = { name: d.name, usedGiB: gib(d.usedBytes), totalGiB: gib(d.totalBytes), predictedGiB: predicted };
      if (d.totalBytes > 0 && d.usedBytes / d.totalBytes > FULL_SHARE) {
        problems.push(`${site.name}: PBS datastore ${d.name} is ${Math.round((d.usedBytes / d.totalBytes) * 100)} % full (${gib(d.usedBytes)} of ${gib(d.totalBytes)} GiB)`);
      }
      if (predicted !== null && gib(d.usedBytes) > predicted * OVER_PREDICTION) {
        problems.push(`${site.name}: PBS datastore ${d.name} holds ${gib(d.usedBytes)} GiB, more than 1.25 x the planner's ${predicted} GiB: correct the spec (dataSizeGiB, dailyChangePercent) and run npm run plan`);
      }
    } else if (here !== undefined) {
      problems.push(`${site.name}: PBS datastore ${site.backupServer.datastore} gave no usage (missing? disk not mounted?)`);
    }
    return { site: site.name, reachable: here !== undefined, guests, jobs, datastore };
  });
  return { sites: glances, problems };
}
