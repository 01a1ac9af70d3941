/**
 * The shell that installs a holder's restore drills: the drill script, the list
 * of guests with their checks, and a systemd service and timer at the drill's
 * schedule. Pure; the script itself is scripts/host/restore-drill.sh.
 */
import { type HostCommands, folderOf } from "../backup/pbs-commands";
import { failureMailUnit, timedUnitCommands, unitText } from "../host/host-files";
import { type DrillPlan, drilledGuests } from "./plan";

export const DRILL_PATHS = {
  script: "/usr/local/lib/retzien/restore-drill.sh",
  mailer: "/usr/local/lib/retzien/drill-failed.sh",
  guests: "/etc/retzien/drill/guests.tsv",
  results: "/var/lib/retzien/drill/results.json",
} as const;

/** One line of the guests file: VMID, storage, expected text, then the check's words, tab-separated. */
function guestLine(g: DrillPlan["guests"][number]): string {
  return [String(g.vmid), g.storage, g.expect, ...g.command].join("\t");
}

/** The drill's systemd unit (service and timer): the runbook pauses the timer during a failover. */
export const DRILL_UNIT = "retzien-restore-drill";

/**
 * Create-or-update and delete of the drills on a holder.
 * @param scripts the drill script and the mailer of its failures (scripts/host/unit-failed.sh), as committed.
 * @param mailTo who is mailed when a drill fails or does not run.
 */
export function drillCommands(plan: DrillPlan, scripts: { drill: string; mailer: string }, mailTo: readonly string[]): HostCommands {
  const guests = drilledGuests(plan);
  const execStart = [
    DRILL_PATHS.script,
    `--guests ${DRILL_PATHS.guests}`,
    `--scratch ${plan.scratch.first}:${plan.scratch.last}`,
    `--datastore ${plan.datastore}`,
    `--max-minutes ${plan.maxMinutesPerGuest}`,
    `--results ${DRILL_PATHS.results}`,
  ].join(" ");
  const service = unitText(
    "[Unit]",
    "Description=retzien: restore drills of the copies this host holds",
    // A failed drill, or one that could not run, is mailed to the operators at once.
    "OnFailure=retzien-restore-drill-failed.service",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${execStart}`,
    // Every guest at its longest, and a margin: a hung drill is killed, and its trap destroys the scratch guest.
    `TimeoutStartSec=${guests.length * plan.maxMinutesPerGuest + 10}min`,
    // After that TERM, the script stops and destroys its scratch guest: give it the time.
    "TimeoutStopSec=15min",
  );
  const failed = failureMailUnit({ unit: `${DRILL_UNIT}.service`, mailer: DRILL_PATHS.mailer, mailTo, subject: "restore drill FAILED", attach: DRILL_PATHS.results });
  // Not Persistent: a drill missed while the host was off must not run at boot, maybe in the night.
  const timer = unitText("[Unit]", "Description=retzien: restore drills", "[Timer]", `OnCalendar=${plan.schedule}`, "Persistent=false", "[Install]", "WantedBy=timers.target");
  return timedUnitCommands({
    name: DRILL_UNIT,
    scripts: [
      { path: DRILL_PATHS.script, content: scripts.drill },
      { path: DRILL_PATHS.mailer, content: scripts.mailer },
    ],
    files: [{ path: DRILL_PATHS.guests, lines: guests.map(guestLine) }],
    // The results stay: they are the record of the drills that ran.
    stateDirs: [folderOf(DRILL_PATHS.results)],
    service,
    timer,
    failed,
  });
}
