/**
 * The runbook as text: the estimates up front, then numbered steps with their
 * exact commands, as `--dry-run` prints them and the run log records them.
 */
import { ASSUMPTIONS } from "../../src/runbook/assumptions";
import { type PathEstimate, formatMinutes } from "../../src/runbook/estimate";
import { describeRestoreSpeed } from "../../src/runbook/restore-speed";
import { describeRpo } from "../../src/runbook/rpo";
import type { Runbook } from "../../src/runbook/runbook";
import type { Step } from "../../src/runbook/step";

/** Quotes one argument for a POSIX shell, only when needed. */
export function shellWord(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(argv: readonly string[]): string {
  return argv.map(shellWord).join(" ");
}

/** What was lost, who survives, and every path's estimate with the recommendation. */
export function renderHeader(rb: Runbook): string[] {
  const target = formatMinutes(ASSUMPTIONS.targetMinutes);
  const lines = [
    `Lost site: ${rb.lost.name} (${rb.lost.location}); services: ${rb.services.map((c) => `${c.name} (${c.vmid})`).join(", ")}`,
    `Survivor: ${rb.survivor.name}, holding the copies in its PBS (storage ${rb.copiesStorage})`,
    rb.statusSource === undefined
      ? "Copy sizes: estimated from the spec's data sizes (no PBS listing read)"
      : `Copies and their sizes: from ${rb.statusSource}`,
    "",
    `Estimated time back in service (target: ${rb.lost.recovery.mostVisible} back in under ${target}, the DNS TTL included):`,
    ...rb.estimates.flatMap((e) =>
      e.feasible
        ? [
            `  ${e.mode.padEnd(9)}${formatMinutes(e.minutes).padStart(13)}  ${e.meetsTarget ? "meets the target" : "misses the target"}`,
            ...(e.firstBack === undefined ? [] : [`             ${e.firstBack.service} back after ${formatMinutes(e.firstBack.minutes)}, held by ${e.firstBack.bottleneck}`]),
            ...(e.unreachable === undefined ? [] : [`             ${rb.lost.recovery.mostVisible} runs but cannot be reached: ${e.unreachable}`]),
            ...(e.longest === undefined ? [] : [`             longest step: ${e.longest.title} (${formatMinutes(e.longest.minutes)})`]),
          ]
        : [`  ${e.mode.padEnd(9)}  not possible: ${e.why}`],
    ),
    `  (${describeRestoreSpeed(rb.restoreSpeed)}; the links' rates come from the spec's uplinks, the rest from src/runbook/assumptions.ts)`,
  ];
  if (rb.leftOut !== undefined) {
    lines.push(
      `  The failover brings back ${rb.services.map((c) => c.name).join(", ")} only: ${rb.leftOut.services.map((c) => `${c.name} (${c.vmid})`).join(", ")} ` +
        `cannot run on ${rb.survivor.name} (${rb.leftOut.why}); bring ${rb.leftOut.services.length === 1 ? "it" : "them"} back with --mode disk --only ${rb.leftOut.services.map((c) => c.name).join(" --only ")}.`,
    );
  }
  const best = rb.recommended;
  const back = (e: PathEstimate) => formatMinutes(e.firstBack?.minutes ?? e.minutes);
  if (best === undefined) lines.push("  No path can be taken.");
  else if (best.meetsTarget) lines.push(`  Fastest: ${best.mode} (${rb.lost.recovery.mostVisible} back after ${back(best)}), within the target.`);
  else lines.push(`  Fastest: ${best.mode} (${rb.lost.recovery.mostVisible} back after ${back(best)}). No path meets the ${target} target for ${rb.lost.name}.`);
  lines.push("", "Data lost (RPO), per guest: the writes after the copy that comes back:", ...rb.rpo.map((r) => `  ${describeRpo(r, rb.survivor.name)}`));
  return lines;
}

/** One numbered step: title, estimate, what it changes, the command or what to do. */
export function renderStep(step: Step, n: number): string[] {
  const kind = step.argv === undefined ? "by hand" : step.destructive ? "changes things: asks first" : "runs";
  return [
    `${String(n).padStart(2)}. ${step.title} (~${formatMinutes(step.minutes)}, ${kind})`,
    ...(step.notes ?? []).map((note) => `      - ${note}`),
    ...(step.argv === undefined ? [] : [`      $ ${commandLine(step.argv)}`]),
  ];
}

export function renderSteps(rb: Runbook): string[] {
  const total = rb.steps.reduce((s, st) => s + st.minutes, 0);
  const withClock = rb.estimates.find((e) => e.mode === rb.mode)?.minutes ?? total;
  const waits = withClock > total ? ` (${formatMinutes(withClock)} with the waits that run beside them)` : "";
  return [`Steps (${rb.mode}), about ${formatMinutes(total)}${waits}:`, ...rb.steps.flatMap((s, i) => renderStep(s, i + 1))];
}
