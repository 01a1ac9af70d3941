/**
 * `npm run rebuild -- --lost <site> --mode failover|rebuild|disk|failback [--only <service>]...
 *   [--dry-run] [--yes] [--status FILE] [--allow-stale] [--from N] [--log FILE] [--disk-path DIR]`
 *
 * --disk-path: where the carry datastore lives on the carry disk, relative to
 * the disk's root (PBS mounts a removable datastore itself); default retzien-carry.
 *
 * The disaster runbook: estimates every way back, then prints (--dry-run) or runs
 * the steps of the chosen one. Its `--target` URNs come from the offline plan.
 * Exit 0 done, 1 the runbook cannot go on (a step failed, a stale or missing
 * status, no room), 2 bad arguments. Nothing runs before every check has passed.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { namespaceOf } from "../src/backup/names";
import { API_TOKEN_VARIABLE, apiTokenProblems, siteTokenVariable } from "../src/config/api-token";
import { stackConfigSchema } from "../src/config/stack-config";
import { type Problem, formatProblem, problem } from "../src/problems";
import { validateSiteSpecs } from "../src/program";
import { formatMinutes } from "../src/runbook/estimate";
import { pulumiVersionProblem } from "../src/runbook/pulumi-cli";
import { type RunbookContext, checkRequest, planRunbook } from "../src/runbook/runbook";
import { type Step, pulumiStackOf } from "../src/runbook/step";
import type { SiteSpec } from "../src/site/schema";
import { reportFromText } from "../src/status/pbs-api";
import { allSites } from "../stacks/sites";
import { parseCommandLine } from "./lib/command-line";
import { exitAfterFlush } from "./lib/exit";
import { planStacks } from "./lib/offline-plan";
import { probeHost } from "./lib/pbs-probe";
import { renderHeader, renderSteps, shellWord } from "./lib/runbook-render";
import { readProjectName, readStackFile, sshDestinationOf } from "./lib/stack-file";
import { runSteps } from "./lib/step-runner";

const ROOT = resolve(__dirname, "..");
const USAGE =
  "usage: npm run rebuild -- --lost <site> --mode failover|rebuild|disk|failback [--only <service>]... [--dry-run] [--yes]\n" +
  "                          [--status FILE] [--allow-stale] [--from N] [--log FILE] [--disk-path DIR] [--kept-host]";

type Args = {
  lost?: string;
  mode?: string;
  only?: string[];
  "dry-run"?: boolean;
  yes?: boolean;
  status?: string;
  "allow-stale"?: boolean;
  from?: string;
  log?: string;
  "disk-path"?: string;
  "kept-host"?: boolean;
};

function refuse(code: number, problems: Problem[]): number {
  process.stderr.write(`${problems.map(formatProblem).join("\n")}\n`);
  if (code === 2) process.stderr.write(`${USAGE}\n`);
  return code;
}

/**
 * The survivor's PBS report of its copies of the lost site: --status FILE (a
 * status probe's answer saved earlier), or the probe run over SSH on the
 * survivor (never in a dry run).
 */
function readStatus(args: Args, survivorSsh: string, survivor: SiteSpec, lost: string): RunbookContext["status"] | Problem {
  const namespaces = [namespaceOf(lost)];
  const datastore = survivor.backupServer.datastore;
  if (args.status !== undefined) {
    let text: string;
    try {
      text = readFileSync(args.status, "utf8");
    } catch (error) {
      return problem("--status", args.status, `a readable answer of the status probe (${(error as NodeJS.ErrnoException).code ?? "unreadable"})`);
    }
    const parsed = reportFromText(text, datastore, namespaces, args.status);
    return parsed.ok ? { report: parsed.report, source: args.status } : (parsed.problems[0] as Problem);
  }
  if (args["dry-run"]) return undefined;
  const report = probeHost({ dest: survivorSsh, datastore, namespaces });
  if ("error" in report) return problem("status", `no answer from ${survivorSsh}'s PBS (${report.error})`, "the survivor's PBS listing of the copies, or --status FILE");
  return { report, source: `${survivorSsh}'s PBS` };
}

async function main(): Promise<number> {
  const parsed = parseCommandLine(
    {
      lost: { type: "string" },
      mode: { type: "string" },
      only: { type: "string", multiple: true },
      "dry-run": { type: "boolean" },
      yes: { type: "boolean" },
      status: { type: "string" },
      "allow-stale": { type: "boolean" },
      from: { type: "string" },
      log: { type: "string" },
      "disk-path": { type: "string" },
      "kept-host": { type: "boolean" },
    },
    `${USAGE}\nSee docs/runbook.md.`,
  );
  if (typeof parsed === "number") return parsed;
  const args: Args = parsed;
  const missing = (["lost", "mode"] as const).filter((k) => args[k] === undefined);
  if (missing.length > 0) return refuse(2, missing.map((k) => problem(`--${k}`, undefined, k === "lost" ? "the site that was lost" : "failover, rebuild, disk or failback")));

  const { sites, problems } = validateSiteSpecs(allSites);
  if (problems.length > 0) return refuse(1, problems);
  const project = readProjectName(ROOT);
  const sshOf = new Map(sites.map((s) => [s.name, sshDestinationOf(ROOT, project, s.name)]));

  // Arguments first, with no plan and no status: a typo must not cost a minute.
  const request = {
    lost: args.lost as string,
    mode: args.mode as string,
    only: args.only ?? [],
    diskPath: args["disk-path"] ?? "retzien-carry",
    allowStale: args["allow-stale"] ?? false,
    keptHost: args["kept-host"] ?? false,
  };
  const precheck = checkRequest(request, sites);
  if (!precheck.ok) return refuse(2, precheck.problems);
  const status = readStatus(args, sshOf.get(precheck.survivor.name) ?? "", precheck.survivor, request.lost);
  if (status !== undefined && "path" in status) return refuse(1, [status]);

  const planned = await planStacks(ROOT);
  if (!planned.ok) return refuse(1, planned.problems);
  const plans = new Map(planned.plan.stacks.map((s) => [s.stack, s.resources]));
  // Validated already: the plan above ran the survivor's program with it.
  const survivorHosting = stackConfigSchema.shape.hosting.parse(readStackFile(ROOT, precheck.survivor.name).config[`${project}:hosting`]);
  const result = planRunbook(request, { sites, plans, sshOf, survivorHosting, ...(status ? { status } : {}) });
  if (!result.ok) return refuse(result.problems.some((p) => p.path.startsWith("--")) ? 2 : 1, result.problems);
  const rb = result.runbook;

  const from = args.from === undefined ? 1 : Number(args.from);
  if (rb.blocked === undefined && (!Number.isInteger(from) || from < 1 || from > rb.steps.length)) {
    return refuse(2, [problem("--from", args.from, `a step number from 1 to ${rb.steps.length}`)]);
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  for (const line of renderHeader(rb)) out(line);
  out("");
  // A chosen mode that cannot be taken, or a failover (the path meant to meet the target) that misses it:
  // exit 1, the estimates above saying what the others take and the reason what would change it.
  const chosen = rb.estimates.find((e) => e.mode === rb.mode);
  const missed = rb.blocked !== undefined || (rb.mode === "failover" && chosen?.meetsTarget === false);
  if (rb.mode === "failover" && rb.blocked === undefined && chosen?.meetsTarget === false) {
    out(
      chosen.unreachable !== undefined
        ? `  failover misses the target: ${rb.lost.recovery.mostVisible} cannot be reached (${chosen.unreachable})`
        : `  failover misses the target: ${rb.lost.recovery.mostVisible} is back after ${formatMinutes(chosen.firstBack?.minutes ?? chosen.minutes)}, held by ${chosen.firstBack?.bottleneck ?? "its steps"}`,
    );
  }
  if (rb.blocked !== undefined) return refuse(1, [problem(`--mode ${rb.mode}`, "cannot be taken", rb.blocked)]);
  if (args["dry-run"]) {
    for (const line of renderSteps(rb)) out(line);
    return missed ? 1 : 0;
  }
  if (rb.leftOut !== undefined) {
    // Running part of a site is a decision for a person: it must be asked for by name.
    return refuse(1, [
      problem(
        `failover of all of ${rb.lost.name}`,
        `${rb.leftOut.services.map((c) => c.name).join(", ")} without room on ${rb.survivor.name}`,
        `a failover of what fits, asked for by name: ${rb.services.map((c) => `--only ${c.name}`).join(" ")}`,
      ),
    ]);
  }
  const resume = [
    "npm run rebuild --",
    `--lost ${rb.lost.name}`,
    `--mode ${rb.mode}`,
    ...(args.only ?? []).map((o) => `--only ${shellWord(o)}`),
    ...(args.status ? [`--status ${shellWord(args.status)}`] : []),
    ...(args["allow-stale"] ? ["--allow-stale"] : []),
    ...(args["disk-path"] ? [`--disk-path ${shellWord(args["disk-path"])}`] : []),
    ...(args["kept-host"] ? ["--kept-host"] : []),
    ...(args.yes ? ["--yes"] : []),
  ].join(" ");
  // The steps' own CLI, before the first of them runs: an old one would stop the rebuild at its first step.
  if (rb.steps.slice(from - 1).some((s) => s.argv?.[0] === "pulumi")) {
    const version = spawnSync("pulumi", ["version"], { encoding: "utf8" });
    const tooOld = pulumiVersionProblem(version.status === 0 ? version.stdout : undefined);
    if (tooOld !== undefined) return refuse(1, [tooOld]);
  }
  // One process runs every step: each stack's deploy token is read now, under its site's name, and handed to its steps.
  const stacks = [...new Set(rb.steps.slice(from - 1).map(pulumiStackOf).filter((s): s is string => s !== undefined))];
  const tokens = new Map(stacks.map((s) => [s, process.env[siteTokenVariable(s)]]));
  const tokenProblems = stacks.flatMap((s) => apiTokenProblems(tokens.get(s), false, siteTokenVariable(s)));
  if (tokenProblems.length > 0) return refuse(1, tokenProblems);
  const envOf = (step: Step): Record<string, string> => {
    const stack = pulumiStackOf(step);
    return stack === undefined ? {} : { [API_TOKEN_VARIABLE]: tokens.get(stack) ?? "" };
  };
  const logFile = args.log ?? `rebuild-${rb.lost.name}-${rb.mode}-${new Date().toISOString().replace(/[:.]/g, "-")}.log`;
  out(`Log: ${logFile}`);
  const run = await runSteps({ steps: rb.steps, from, yes: args.yes ?? false, logFile, resumeCommand: resume, out, envOf });
  return run.ok ? 0 : 1;
}

main().then(exitAfterFlush, (error: unknown) => {
  process.stderr.write(`rebuild failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  exitAfterFlush(3);
});
