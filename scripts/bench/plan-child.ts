/**
 * One offline plan in a fresh process, for the plan-speed figures: either both
 * committed stacks (`planStacks`, what `npm run plan` runs) or the Rouans stack
 * with N generated containers (the real `declareStack` fed through
 * test/fixtures/program-with-sites.ts, as the stack tests do). Prints one JSON
 * line: the milliseconds of the plan itself (after the process has started and
 * loaded its modules) and what it declared.
 * Usage: plan-child.ts committed | plan-child.ts sites N
 */
import { resolve } from "node:path";
import { runStackUnderMocks } from "../lib/mock-engine";
import { planStacks } from "../lib/offline-plan";
import { readProjectName, readStackFile } from "../lib/stack-file";
import { exitAfterFlush } from "../lib/exit";
import { sitesWithContainers } from "./generated-sites";

const ROOT = resolve(__dirname, "..", "..");

async function main(): Promise<number> {
  const [what, count] = process.argv.slice(2);
  const t0 = performance.now();
  let resources = 0;
  if (what === "committed") {
    const result = await planStacks(ROOT);
    if (!result.ok) throw new Error(`the committed stacks do not plan: ${JSON.stringify(result.problems)}`);
    resources = result.plan.stacks.reduce((n, s) => n + s.resources.length, 0);
  } else if (what === "sites" && /^\d+$/.test(count ?? "")) {
    (globalThis as { __retzienSites?: unknown }).__retzienSites = sitesWithContainers(Number(count));
    const run = await runStackUnderMocks({
      projectRoot: ROOT,
      project: readProjectName(ROOT),
      stack: "rouans",
      ...readStackFile(ROOT, "rouans"),
      main: "test/fixtures/program-with-sites.ts",
    });
    resources = run.resources.length;
  } else {
    throw new Error("usage: plan-child.ts committed | plan-child.ts sites N");
  }
  process.stdout.write(`${JSON.stringify({ planMs: performance.now() - t0, resources })}\n`);
  return 0;
}

main().then(exitAfterFlush, (error: unknown) => {
  process.stderr.write(`plan-child: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  exitAfterFlush(1);
});
