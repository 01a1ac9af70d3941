/**
 * The shell that installs a holder's restore drills: the drill script, the list
 * of guests with their checks, and a systemd service and timer at the drill's
 * schedule. Pure; the script itself is scripts/host/restore-drill.sh.
 */
import { type HostCommands, shq } from "../backup/pbs-commands";
import { failureMailUnit, folderOf, installScript, unitText, writeLines } from "../host/host-files";
import { type DrillPlan, drilledGuests } from "./plan";

export const DRILL_PATHS = {
  script: "/usr/local/lib/retzien/restore-drill.sh",
  mailer: "/usr/local/lib/retzien/drill-failed.sh",
  failedUnit: "/etc/systemd/system/retzien-restore-drill-failed.service",
  guests: "/etc/retzien/drill/guests.tsv",
  results: "/var/lib/retzien/drill/results.json",
  unit: "/etc/systemd/system/retzien-restore-drill.service",
  timer: "/etc/systemd/system/retzien-restore-drill.timer",
} as const;

/** One line of the guests file: VMID, storage, expected text, then the check's words, tab-separated. */
function guestLine(g: DrillPlan["guests"][number]): string {
  return [String(g.vmid), g.storage, g.expect, ...g.command].join("\t");
}

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
  const failed = failureMailUnit({ unit: "retzien-restore-drill.service", mailer: DRILL_PATHS.mailer, mailTo, subject: "restore drill FAILED", attach: DRILL_PATHS.results });
  // Not Persistent: a drill missed while the host was off must not run at boot, maybe in the night.
  const timer = unitText("[Unit]", "Description=retzien: restore drills", "[Timer]", `OnCalendar=${plan.schedule}`, "Persistent=false", "[Install]", "WantedBy=timers.target");
  return {
    create: [
      "set -eu",
      `install -d -m 755 ${shq(folderOf(DRILL_PATHS.script))} ${shq(folderOf(DRILL_PATHS.results))}`,
      `install -d -m 700 ${shq(folderOf(DRILL_PATHS.guests))}`,
      ...installScript(DRILL_PATHS.script, scripts.drill),
      ...installScript(DRILL_PATHS.mailer, scripts.mailer),
      writeLines(DRILL_PATHS.guests, guests.map(guestLine)),
      writeLines(DRILL_PATHS.unit, [service]),
      writeLines(DRILL_PATHS.timer, [timer]),
      writeLines(DRILL_PATHS.failedUnit, [failed]),
      "systemctl daemon-reload",
      "systemctl enable --now retzien-restore-drill.timer",
      "",
    ].join("\n"),
    // The results stay: they are the record of the drills that ran.
    delete: [
      "set -eu",
      "systemctl disable --now retzien-restore-drill.timer || true",
      `rm -f ${[DRILL_PATHS.timer, DRILL_PATHS.unit, DRILL_PATHS.failedUnit, DRILL_PATHS.script, DRILL_PATHS.mailer, DRILL_PATHS.guests].map(shq).join(" ")}`,
      "systemctl daemon-reload",
      "",
    ].join("\n"),
  };
}
