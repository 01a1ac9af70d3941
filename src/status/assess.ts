/**
 * The operator's daily glance, decided: for each site, each guest's newest
 * snapshot at home and newest copy at every holder with their ages, the last
 * run of each PBS job (pulls, prunes, verify, GC), the datastore's usage against
 * the planner's prediction, and every problem that needs a person. Pure: the
 * hosts' reports are read over SSH by the CLI and passed in. What a host or its
 * PBS did not answer is "unknown", never taken for "none".
 */
import { heldStorageOf, namespaceOf, pruneJobOf, syncJobOf, verifyJobOf } from "../backup/names";
import { DRILL_OVERDUE_DAYS, drillPlanFor, drilledGuests } from "../drill/plan";
import type { SyncDirection } from "../offsite/directions";
import type { SiteSpec } from "../site/schema";
import { type DrillResult, type PbsJob, type PbsReport, type PbsSnapshot, newestByGuest } from "./pbs-report";
import { mailSettingChecks, settingHolds } from "./mail-settings";

/** Used share of a datastore above which it is an alarm. */
export const FULL_SHARE = 0.9;
/** Used bytes above the planner's prediction by this factor: the plan is wrong, or something grew. */
export const OVER_PREDICTION = 1.25;
/** A dead-man watch that has not run for longer than this has stopped: a daily run, and two hours' grace. */
export const WATCH_OVERDUE_HOURS = 26;
/** A message in a host's mail queue longer than this is an alarm that does not leave it (Postfix retries for days). */
export const MAIL_STUCK_HOURS = 1;
/** A snapshot dated further than this after the host's clock is forged, or the clock is wrong. */
export const FUTURE_TOLERANCE_SECONDS = 3600;

/** A guest's last restore drill at a holder: its result, none yet, not drilled there (does not fit), or unknown. */
export type DrillSeen =
  | { readonly at: string; readonly ageDays: number; readonly ok: boolean; readonly reason: string; readonly restoreSeconds: number; readonly bytes: number }
  | "never"
  | "not drilled"
  | "unknown";

/** The dead-man watch on a holder: its last run, none yet, not kept (the host holds nothing), or unknown. */
export type WatchSeen =
  | { readonly at: string; readonly ageHours: number; readonly ok: boolean; readonly alarms: readonly string[] }
  | "never"
  | "not kept"
  | "unknown";

/** A host's mail queue, where its alarms wait when they cannot leave: its messages, no Postfix there, or unknown. */
export type MailQueueSeen = { readonly messages: number; readonly oldestHours: number | null; readonly reasons: readonly string[] } | "no postfix" | "unknown";

export interface SnapshotGlance {
  /** Snapshot time, ISO 8601. */
  readonly time: string;
  readonly ageHours: number;
  readonly verified: PbsSnapshot["verified"];
}

/** A guest's newest snapshot somewhere: found, none there, or unknown (the host or PBS did not answer). */
export type SnapshotSeen = SnapshotGlance | "none" | "unknown";

export interface GuestGlance {
  readonly vmid: number;
  readonly name: string;
  readonly home: SnapshotSeen;
  /** The newest copy at each holder, by holder. */
  readonly copies: Record<string, SnapshotSeen>;
  /** The last restore drill of that copy at each holder, by holder. */
  readonly drills: Record<string, DrillSeen>;
}

/** What became of a job's last run. */
export type JobStatus = "ok" | "warnings" | "failed" | "running" | "never ran" | "not configured" | "unknown";

export interface JobGlance {
  readonly kind: PbsJob["kind"];
  readonly id: string;
  readonly status: JobStatus;
  /** PBS's `last-run-state` as it gave it (`OK`, `WARNINGS: 2`, the error), null when none. */
  readonly state: string | null;
  readonly endedAt: string | null;
  readonly ageHours: number | null;
  readonly nextRun: string | null;
}

export interface SiteGlance {
  readonly site: string;
  readonly reachable: boolean;
  readonly guests: GuestGlance[];
  readonly jobs: JobGlance[];
  /** Its dead-man watch over the sites whose copies it holds. */
  readonly watch: WatchSeen;
  /** The host's own mail queue, which its alarms pass through. */
  readonly mailQueue: MailQueueSeen;
  /** The Postfix settings that make mail leave, as read on the host and in the guests. */
  readonly mailSettings: MailSettingSeen[] | "unknown";
  /** Null when the host or its PBS gave no usage. */
  readonly datastore: { name: string; usedGiB: number; totalGiB: number; usedPercent: number; predictedGiB: number | null } | null;
}

/** One mail setting read: its value (null: unreadable) and whether it is the spec's. */
export interface MailSettingSeen {
  readonly what: string;
  readonly value: string | null;
  readonly ok: boolean;
}

export interface Glance {
  readonly sites: SiteGlance[];
  readonly problems: string[];
}

const hours = (seconds: number) => Math.round((seconds / 3600) * 10) / 10;
/** An age over its limit, shown so that it reads as over it: 30.02 h, not 30 h against 30. */
const hoursOver = (seconds: number, limit: number) => (hours(seconds) > limit ? hours(seconds) : Math.round((seconds / 3600) * 100) / 100);
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
 * The probe's errors as problems, one line per cause: when PBS is down every
 * request fails the same way, and one line says it better than seven.
 */
export function groupErrors(errors: readonly string[]): string[] {
  const byCause = new Map<string, string[]>();
  const other: string[] = [];
  for (const e of errors) {
    const m = /^GET (\S+): (.*)$/.exec(e);
    if (m === null) other.push(e);
    else byCause.set(m[2]!, [...(byCause.get(m[2]!) ?? []), m[1]!]);
  }
  return [
    ...other.map((e) => `status probe: ${e}`),
    ...[...byCause].map(([cause, paths]) => `PBS did not answer ${paths.length === 1 ? `GET ${paths[0]}` : `${paths.length} requests (GET ${paths[0]}, ...)`}: ${cause}`),
  ];
}

/** A job's status and, when it needs a person, why. */
function judgeJob(site: string, kind: PbsJob["kind"], id: string, found: PbsJob | undefined, read: boolean): { status: JobStatus; problem?: string } {
  const what = `${site}: PBS ${kind} job ${id}`;
  if (!read) return { status: "unknown" };
  if (found === undefined) {
    // PBS lists a pull job only to a token with Remote.Audit on its remote: say so, it is the likely cause.
    const hint = kind === "sync" ? " (or the status token lacks Remote.Audit on its remote)" : "";
    return { status: "not configured", problem: `${what} is not configured${hint}` };
  }
  if (found.lastRunState === null) return found.lastRunUpid === null ? { status: "never ran", problem: `${what} has never run` } : { status: "running" };
  if (found.lastRunState === "OK") return { status: "ok" };
  if (/^WARNINGS/.test(found.lastRunState)) return { status: "warnings", problem: `${what} ended with ${found.lastRunState} (its task log says which)` };
  return { status: "failed", problem: `${what} failed: ${found.lastRunState}` };
}

/**
 * Assesses every site from the hosts' reports (`error` for a host that could
 * not be read). Ages are taken against each host's own clock (`report.now`);
 * a site's `offsite.staleAfterHours` bounds its snapshots at home and its
 * copies at every holder.
 * @param predictedGiB the planner's footprint of each site's datastore; a site
 *   missing here is not compared with a prediction.
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
  const judge = (where: string, source: string, label: string, ns: string, vmid: number, limit: number): SnapshotSeen => {
    const report = reportOf(where);
    const listed = report?.namespaces[ns];
    if (report === undefined || listed === undefined) return "unknown"; // the host's or PBS's own problem says why
    const all = listed.filter((s) => s.type === "ct" && Number(s.id) === vmid);
    const forged = all.filter((s) => s.time > report.now + FUTURE_TOLERANCE_SECONDS);
    for (const s of forged) {
      // At a holder it counts as the newest: pulls never fill in behind it and prune drops real copies first.
      const trust = where === source ? "" : `; ${where} must not trust it (pulls stop behind it, prune counts it as the newest): remove it there once ${source} is checked`;
      problems.push(`${label} at ${where}: a snapshot dated ${iso(s.time)}, ${hours(s.time - report.now)} h after ${where}'s clock (forged, or a wrong clock: never restore it${trust})`);
    }
    const sane = all.filter((s) => !forged.includes(s));
    const failed = sane.filter((s) => s.verified === "failed").sort((a, b) => b.time - a.time);
    if (failed.length > 0) {
      problems.push(`${label} at ${where}: ${failed.length} snapshot${failed.length > 1 ? "s" : ""} failed verification (${failed.map((s) => iso(s.time)).join(", ")})`);
    }
    const newest = newestByGuest(sane).get(vmid);
    if (newest === undefined) {
      problems.push(`${label} has no snapshot at ${where}`);
      return "none";
    }
    const ageHours = hours(report.now - newest.time);
    // Compared unrounded, as the holder's watch compares: 30.02 h is over a 30 h limit even if shown as 30.
    if (report.now - newest.time > limit * 3600) problems.push(`${label} at ${where}: newest snapshot ${hoursOver(report.now - newest.time, limit)} h old (limit ${limit} h)`);
    return { time: iso(newest.time), ageHours, verified: newest.verified };
  };

  /** The VMIDs of `source` whose copies `holder` drills (its scratch datastore takes them), or undefined for an unknown holder. */
  const drilledAt = (holder: string, source: SiteSpec): ReadonlySet<number> | undefined => {
    const holderSpec = sites.find((s) => s.name === holder);
    return holderSpec === undefined ? undefined : new Set(drilledGuests(drillPlanFor(holderSpec, [source])).map((g) => g.vmid));
  };
  /** The last drill of a guest's copy at a holder, judged: failed, never run, or overdue is a problem. */
  const judgeDrill = (holder: string, drilled: ReadonlySet<number> | undefined, source: SiteSpec, vmid: number, label: string): DrillSeen => {
    if (drilled === undefined) return "unknown";
    if (!drilled.has(vmid)) return "not drilled";
    const report = reportOf(holder);
    if (report?.drills === undefined) return "unknown";
    const last: DrillResult | undefined = (report.drills ?? []).filter((d) => d.vmid === vmid && d.storage === heldStorageOf(source.name)).sort((a, b) => b.at - a.at)[0];
    if (last === undefined) {
      problems.push(`${label}: never drilled at ${holder} (no restore of its copy proven yet)`);
      return "never";
    }
    const ageDays = Math.round(((report.now - last.at) / 86_400) * 10) / 10;
    if (!last.ok) problems.push(`${label}: the restore drill at ${holder} of ${iso(last.at)} FAILED: ${last.reason}`);
    if (report.now - last.at > DRILL_OVERDUE_DAYS * 86_400) problems.push(`${label}: last restore drill at ${holder} ${ageDays} days ago (limit ${DRILL_OVERDUE_DAYS}): is its timer running?`);
    return { at: iso(last.at), ageDays, ok: last.ok, reason: last.reason, restoreSeconds: last.restoreSeconds, bytes: last.bytes };
  };

  /** A host's mail queue, judged: a message waiting over an hour is an alarm that does not leave the host. */
  const judgeMailQueue = (name: string, report: PbsReport | undefined): MailQueueSeen => {
    if (report?.mailQueue === undefined) return "unknown";
    if (report.mailQueue === null) return "no postfix";
    const q = report.mailQueue;
    const oldestHours = q.oldest === null ? null : hours(report.now - q.oldest);
    if (q.oldest !== null && report.now - q.oldest > MAIL_STUCK_HOURS * 3600) {
      problems.push(
        `${name}: ${q.messages} mail(s) stuck in the host's queue, the oldest for ${oldestHours} h${q.reasons.length === 0 ? "" : ` (${q.reasons.join("; ")})`}: its alarms do not leave it (postqueue -p on the host; its relayhost)`,
      );
    }
    return { messages: q.messages, oldestHours, reasons: q.reasons };
  };
  /** A host's mail settings, judged against the spec's: each one that differs is a problem, with how to set it. */
  const judgeMailSettings = (site: SiteSpec, report: PbsReport | undefined): SiteGlance["mailSettings"] => {
    const read = report?.postconf;
    if (read === undefined) return "unknown";
    return mailSettingChecks(site).map((check) => {
      const value = read[check.key] ?? null;
      // Unreadable: the probe's errors say why (a guest not running, say).
      if (value === null) return { what: check.what, value, ok: false };
      const ok = settingHolds(check, value);
      if (!ok) problems.push(`${site.name}: ${check.what} is "${value}", expected "${check.expected}": ${check.fix}`);
      return { what: check.what, value, ok };
    });
  };
  /** A holder's watch, judged: never run, or not run for a day and more, is a problem (its alarms are the others' problems). */
  const judgeWatch = (name: string, keeps: boolean, report: PbsReport | undefined): WatchSeen => {
    if (!keeps) return "not kept";
    if (report?.watch === undefined) return "unknown";
    if (report.watch === null) {
      problems.push(`${name}: its dead-man watch has never run (is retzien-watch.timer enabled?)`);
      return "never";
    }
    const ageHours = hours(report.now - report.watch.at);
    if (report.now - report.watch.at > WATCH_OVERDUE_HOURS * 3600) problems.push(`${name}: its dead-man watch last ran ${ageHours} h ago (limit ${WATCH_OVERDUE_HOURS} h): is retzien-watch.timer running?`);
    return { at: iso(report.watch.at), ageHours, ok: report.watch.ok, alarms: report.watch.alarms };
  };

  for (const [name, r] of reports) if ("error" in r) problems.push(`${name}: unreachable (${r.error})`);
  const glances = sites.map((site): SiteGlance => {
    const here = reportOf(site.name);
    if (reports.get(site.name) === undefined) problems.push(`${site.name}: not probed`);
    for (const e of groupErrors(here?.errors ?? [])) problems.push(`${site.name}: ${e}`);
    const holders = directions.filter((d) => d.source === site.name).map((d) => d.holder);
    const holds = directions.filter((d) => d.holder === site.name).map((d) => d.source);
    const limit = site.offsite.staleAfterHours;

    const drilledBy = new Map(holders.map((holder) => [holder, drilledAt(holder, site)]));
    const guests = site.containers.map((c): GuestGlance => {
      const label = `${site.name}: ${c.name} (${c.vmid})`;
      const ns = namespaceOf(site.name);
      const home = judge(site.name, site.name, label, ns, c.vmid, limit);
      const copies = Object.fromEntries(holders.map((holder) => [holder, judge(holder, site.name, label, ns, c.vmid, limit)]));
      const drills = Object.fromEntries(holders.map((holder) => [holder, judgeDrill(holder, drilledBy.get(holder), site, c.vmid, label)]));
      return { vmid: c.vmid, name: c.name, home, copies, drills };
    });

    const jobs = expectedJobs(site, holds).map(({ kind, id }): JobGlance => {
      const found = here?.jobs.find((j) => j.kind === kind && j.id === id);
      const read = here !== undefined && (here.jobKindsRead?.includes(kind) ?? true);
      const { status, problem } = judgeJob(site.name, kind, id, found, read);
      if (problem !== undefined) problems.push(problem);
      const ended = found?.lastRunEndtime ?? null;
      // A pull is held to its source's limit, as the holder's dead-man watch holds it: one that
      // stopped running leaves the copies to age unseen until they pass that limit too.
      const source = kind === "sync" ? sites.find((s) => syncJobOf(s.name) === id) : undefined;
      if (source !== undefined && ended !== null && here !== undefined && here.now - ended > source.offsite.staleAfterHours * 3600) {
        problems.push(`${site.name}: PBS sync job ${id} last ended ${hoursOver(here.now - ended, source.offsite.staleAfterHours)} h ago (limit ${source.offsite.staleAfterHours} h): is it still scheduled?`);
      }
      const next = found?.nextRun ?? null;
      return {
        kind,
        id,
        status,
        state: found?.lastRunState ?? null,
        endedAt: ended === null ? null : iso(ended),
        ageHours: ended === null || here === undefined ? null : hours(here.now - ended),
        nextRun: next === null ? null : iso(next),
      };
    });

    const watch = judgeWatch(site.name, holds.length > 0, here);
    const mailQueue = judgeMailQueue(site.name, here);
    const mailSettings = judgeMailSettings(site, here);

    let datastore: SiteGlance["datastore"] = null;
    if (here?.datastore) {
      const d = here.datastore;
      const predicted = predictedGiB.get(site.name) ?? null;
      const usedPercent = d.totalBytes > 0 ? Math.round((d.usedBytes / d.totalBytes) * 100) : 0;
      datastore = { name: d.name, usedGiB: gib(d.usedBytes), totalGiB: gib(d.totalBytes), usedPercent, predictedGiB: predicted };
      if (d.totalBytes > 0 && d.usedBytes / d.totalBytes > FULL_SHARE) {
        problems.push(`${site.name}: PBS datastore ${d.name} is ${usedPercent} % full (${gib(d.usedBytes)} of ${gib(d.totalBytes)} GiB, limit ${FULL_SHARE * 100} %)`);
      }
      if (predicted !== null && d.usedBytes / 1024 ** 3 > predicted * OVER_PREDICTION) {
        problems.push(
          `${site.name}: PBS datastore ${d.name} holds ${gib(d.usedBytes)} GiB, more than ${OVER_PREDICTION} x the planner's ${predicted} GiB: correct the spec (dataSizeGiB, dailyChangePercent) and run npm run plan`,
        );
      }
    } else if (here !== undefined && here.errors.length === 0) {
      // With errors, the PBS line above already says why there is no usage.
      problems.push(`${site.name}: PBS datastore ${site.backupServer.datastore} gave no usage (missing? disk not mounted?)`);
    }
    return { site: site.name, reachable: here !== undefined, guests, jobs, watch, mailQueue, mailSettings, datastore };
  });
  return { sites: glances, problems };
}
