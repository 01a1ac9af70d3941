/**
 * `npm run plan [-- --stack NAME] [--json]`: the complete plan of every site,
 * offline — the real program under mocks, no Proxmox, no Pulumi CLI, no secret.
 * Exit 1 with the list of problems, and nothing else, when a spec or config is wrong.
 */
import { resolve } from "node:path";
import { formatProblem } from "../src/problems";
import { parseCommandLine } from "./lib/command-line";
import { exitAfterFlush } from "./lib/exit";
import { planStacks } from "./lib/offline-plan";
import { renderBackupPlan, renderSummary, renderTokenRoles, renderTree } from "./lib/plan-render";

const USAGE =
  "usage: npm run plan -- [--stack NAME]... [--json]\nRuns every stack's program under mocks with its Pulumi.<stack>.yaml and prints what it would declare.";

async function main(): Promise<number> {
  const values = parseCommandLine({ stack: { type: "string", multiple: true }, json: { type: "boolean" } }, USAGE);
  if (typeof values === "number") return values;
  const result = await planStacks(resolve(__dirname, ".."), values.stack ? { stacks: values.stack } : {});
  if (!result.ok) {
    process.stderr.write(`${result.problems.map(formatProblem).join("\n")}\n`);
    return 1;
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result.plan, null, 2)}\n`);
    return 0;
  }
  for (const stack of result.plan.stacks) {
    process.stdout.write(`\n== stack ${stack.stack} (project ${stack.project}) ==\n${renderTree(stack).join("\n")}\n`);
    for (const line of renderBackupPlan(stack)) process.stdout.write(`${line}\n`);
    for (const w of stack.warnings) process.stdout.write(`warning: ${w}\n`);
  }
  process.stdout.write(`\n${renderTokenRoles().join("\n")}\n`);
  process.stdout.write(`\n${result.plan.stacks.map(renderSummary).join("\n")}\n`);
  return 0;
}

main().then(exitAfterFlush, (error: unknown) => {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`plan failed: ${text}\n(RETZIEN_PLAN_STACK_TRACES=1 npm run plan shows where, if no stack trace is above)\n`);
  exitAfterFlush(3);
});
