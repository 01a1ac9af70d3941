/**
 * The shell that installs a holder's restore drills: the drill script, the list
 * of guests with their checks, and a systemd service and timer at the drill's
 * schedule. Pure; the script itself is scripts/host/restore-drill.sh.
 */
import { type HostCommands, shq } from "../backup/pbs-commands";
import type { DrillPlan } from "./plan";

export const DRILL_PATHS = {
  script: "/usr/local/lib/retzien/restore-drill.sh",
  mailer: "/usr/local/lib/retzien/drill-failed.sh",
  failedUnit: "/etc/systemd/system/retzien-restore-drill-failed.service",
  guests: "/etc/retzien/drill/guests.tsv",
  results: "/var/lib/retzien/drill/results.json",
  unit: "/etc/systemd/system/retzien-restore-drill.service",
  timer: "/etc/systemd/system/retzien-restore-drill.timer",
} as const;

const HEREDOC = "RETZIEN_DRILL_SCRIPT_END";

/** One line of the guests file: VMID, storage, expected text, then the check's words, tab-separated. */
function guestLine(g: DrillPlan["guests"][number]): string {
  return [String(g.vmid), g.storage, g.expect, ...g.command].join("\t");
}

/** The guests the drill restores: those the scratch datastore can take. */
export function drilledGuests(plan: DrillPlan): DrillPlan["guests"] {
  return plan.guests.filter((g) => g.fits);
}

/** A file written whole through a quoted here-document (no expansion in it). */
function writeFile(path: string, content: string): string[] {
  if (content.includes(HEREDOC)) throw new Error(`${path} would contain ${HEREDOC}, which ends its here-document`);
  return [`cat > ${shq(path)} <<'${HEREDOC}'`, content.replace(/\n$/, ""), HEREDOC, `chmod 755 ${shq(path)}`];
}

/**
 * Create-or-update and delete of the drills on a holder.
 * @param scripts the drill script and the mailer of its failures, as committed.
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
  const service = [
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
  ].join("\n");
  const failed = ["[Unit]", "Description=retzien: mail the operators a failed restore drill", "[Service]", "Type=oneshot", `ExecStart=${DRILL_PATHS.mailer} ${mailTo.join(",")} ${DRILL_PATHS.results}`].join("\n");
  // Not Persistent: a drill missed while the host was off must not run at boot, maybe in the night.
  const timer = ["[Unit]", "Description=retzien: restore drills", "[Timer]", `OnCalendar=${plan.schedule}`, "Persistent=false", "[Install]", "WantedBy=timers.target"].join("\n");
  return {
    create: [
      "set -eu",
      `install -d -m 755 ${shq(DRILL_PATHS.script.replace(/\/[^/]+$/, ""))} /var/lib/retzien/drill`,
      `install -d -m 700 ${shq(DRILL_PATHS.guests.replace(/\/[^/]+$/, ""))}`,
      ...writeFile(DRILL_PATHS.script, scripts.drill),
      ...writeFile(DRILL_PATHS.mailer, scripts.mailer),
      `printf '%s\\n' ${guests.map((g) => shq(guestLine(g))).join(" ")} > ${shq(DRILL_PATHS.guests)}`,
      `printf '%s\\n' ${shq(service)} > ${shq(DRILL_PATHS.unit)}`,
      `printf '%s\\n' ${shq(timer)} > ${shq(DRILL_PATHS.timer)}`,
      `printf '%s\\n' ${shq(failed)} > ${shq(DRILL_PATHS.failedUnit)}`,
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
