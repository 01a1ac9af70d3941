/**
 * `npm run bench [-- --quick] [--json]`: how fast the offline plan is, for the
 * committed stacks and for a site grown to 10, 100 and 250 containers, each in
 * a fresh process as `npm run plan` runs; then the real engine's up and preview
 * of both stacks (the CLI npm run engine:build made), beside the offline plan. Progress goes to stderr; the figures
 * to stdout. Exit 0 when every consistency check holds and every goal is met, 1
 * when one fails or is missed, 2 on bad usage. (The rsync shipping this bench measured before the move to PBS
 * is history in docs/performance.md.)
 */
import { parseCommandLine } from "../lib/command-line";
import { exitAfterFlush } from "../lib/exit";
import { type BenchDocument, consistencyChecks, exitCode, goals } from "./checks";
import { describeMachine } from "./machine";
import { measureEngine } from "./engine-speed";
import { measurePlanSpeed } from "./plan-speed";
import { renderText } from "./render";

const USAGE = `usage: npm run bench -- [--quick] [--json] [--plan-node-arg ARG]...
  --quick            plan sizes 10 and 100, one run each: about 15 s (CI runs this)
  --json             one JSON document with every figure on stdout
  --plan-node-arg A  extra node option for the plan-speed processes (e.g. --stack-trace-limit=0)`;

async function main(): Promise<number> {
  const values = parseCommandLine({ quick: { type: "boolean" }, json: { type: "boolean" }, "plan-node-arg": { type: "string", multiple: true } }, USAGE);
  if (typeof values === "number") return values;
  const quick = values.quick === true;
  const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
  const t0 = performance.now();
  const plan = measurePlanSpeed(quick ? [10, 100] : [10, 100, 250], quick ? 1 : 5, values["plan-node-arg"] ?? [], log);
  const engine = await measureEngine(log);
  const partial: Omit<BenchDocument, "checks" | "goals"> = {
    version: 2,
    quick,
    command: ["npm run bench --", ...process.argv.slice(2)].join(" ").replace(/ --$/, ""),
    machine: describeMachine(),
    plan,
    engine,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
  const doc: BenchDocument = { ...partial, goals: goals(partial), checks: consistencyChecks(partial) };
  process.stdout.write(values.json ? `${JSON.stringify(doc, null, 2)}\n` : renderText(doc));
  return exitCode(doc.checks, doc.goals);
}

main().then(exitAfterFlush, (error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  exitAfterFlush(1);
});
