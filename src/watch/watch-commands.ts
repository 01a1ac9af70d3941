/**
 * The shell that installs a holder's dead-man watch: the status probe and the
 * watch's judge (scripts/host/status-probe.sh, scripts/host/watch-copies.pl),
 * the list of what to check with its limits, a daily systemd timer, and the
 * mail to the operators when the watch alarms or cannot run. Pure.
 */
import { type HostCommands, folderOf } from "../backup/pbs-commands";
import { failureMailUnit, timedUnitCommands, unitText } from "../host/host-files";
import type { WatchPlan } from "./plan";

export const WATCH_PATHS = {
  probe: "/usr/local/lib/retzien/status-probe.sh",
  judge: "/usr/local/lib/retzien/watch-copies.pl",
  mailer: "/usr/local/lib/retzien/watch-failed.sh",
  checks: "/etc/retzien/watch/checks.tsv",
  /** Its last run, for `npm run status` (the probe reads it). */
  results: "/var/lib/retzien/watch/last.json",
} as const;

/** The watch's checks, one a line, as scripts/host/watch-copies.pl reads them. */
export function watchChecks(plan: WatchPlan): string[] {
  const label = (source: string, g: { vmid: number; name: string }) => `${source}: ${g.name} (${g.vmid})`;
  return [
    ["datastore", plan.datastore],
    ...plan.sources.flatMap((s) => [
      ["pull", s.pullJob, s.source, String(s.maxAgeHours)],
      ...s.guests.map((g) => ["copy", s.namespace, String(g.vmid), label(s.source, g), String(s.maxAgeHours)]),
    ]),
    ...plan.drills.map((d) => ["drill", d.storage, String(d.vmid), label(d.source, d), String(plan.drillMaxAgeDays)]),
  ].map((fields) => {
    if (fields.some((f) => /[\t\n]/.test(f))) throw new Error(`a watch check would break its line: ${JSON.stringify(fields)}`);
    return fields.join("\t");
  });
}

/**
 * Create-or-update and delete of a holder's watch.
 * @param scripts the probe, the judge and the failure mailer (scripts/host/unit-failed.sh), as committed.
 */
export function watchCommands(plan: WatchPlan, scripts: { probe: string; judge: string; mailer: string }): HostCommands {
  const probe = [WATCH_PATHS.probe, "--datastore", plan.datastore, ...plan.sources.flatMap((s) => ["--ns", s.namespace])].join(" ");
  const service = unitText(
    "[Unit]",
    "Description=retzien: dead-man watch of the copies this host holds",
    // An alarm, or a watch that could not run, is mailed to the operators with these lines.
    "OnFailure=retzien-watch-failed.service",
    "[Service]",
    "Type=oneshot",
    // pipefail: a probe that fails fails the watch, and is mailed too.
    `ExecStart=/bin/bash -c 'set -o pipefail; ${probe} | ${WATCH_PATHS.judge} --watch ${WATCH_PATHS.checks} --results ${WATCH_PATHS.results}'`,
    "TimeoutStartSec=10min",
  );
  const failed = failureMailUnit({ unit: "retzien-watch.service", mailer: WATCH_PATHS.mailer, mailTo: plan.mailTo, subject: "dead-man ALARM" });
  // Persistent: a watch missed while this host was off runs when it is back; it only reads.
  const timer = unitText("[Unit]", "Description=retzien: dead-man watch", "[Timer]", `OnCalendar=*-*-* ${plan.at}`, "Persistent=true", "[Install]", "WantedBy=timers.target");
  return timedUnitCommands({
    name: "retzien-watch",
    scripts: [
      { path: WATCH_PATHS.probe, content: scripts.probe },
      { path: WATCH_PATHS.judge, content: scripts.judge },
      { path: WATCH_PATHS.mailer, content: scripts.mailer },
    ],
    files: [{ path: WATCH_PATHS.checks, lines: watchChecks(plan) }],
    // Its last run stays: the record of what it said.
    stateDirs: [folderOf(WATCH_PATHS.results)],
    service,
    timer,
    failed,
  });
}
