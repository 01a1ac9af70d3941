/**
 * The users' CI (.github/workflows/preview.yml), checked offline by a real
 * validator — action-validator, which holds SchemaStore's github-workflow schema —
 * and for the structure this project relies on: the triggers, one preview per
 * stack file, `--expect-no-changes`, the secrets the README tells a fork to set,
 * and no secret ever written to the log.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { parse, stringify } from "yaml";
import { stackNames } from "../../scripts/lib/offline-plan";
import { skipUnless } from "../helpers/system-tools";

const ROOT = resolve(__dirname, "..", "..");
const TEXT = readFileSync(join(ROOT, ".github", "workflows", "preview.yml"), "utf8");

interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string;
  "runs-on"?: string;
  strategy?: { matrix?: { stack?: string[] } };
  env?: unknown;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  concurrency: { group: string };
  jobs: Record<string, Job>;
}
const workflow = parse(TEXT) as Workflow;
const jobs = workflow.jobs as { checks: Job; preview: Job };

/** Secret names the workflow reads, `secrets.NAME`. */
const secretsUsed = [...new Set([...TEXT.matchAll(/\$\{\{\s*secrets\.([A-Za-z0-9_]+)\s*\}\}/g)].map((m) => m[1] as string))].sort();

/** Secret names in the table of the README's "The users' CI" section. */
function secretsInReadme(): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.search(/^## The users' CI\b/m);
  assert.notEqual(start, -1, 'README.md has no "## The users\' CI" section naming the secrets a fork must set');
  const rest = readme.slice(start + 3);
  const section = rest.slice(0, rest.search(/^## /m) === -1 ? undefined : rest.search(/^## /m));
  return [...section.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1] as string).sort();
}

test("action-validator accepts the committed workflow", () => {
  assert.deepEqual(validateWorkflow(TEXT).errors, []);
});

test("action-validator refuses broken copies: a job without runs-on, a misspelt key", () => {
  const noRunsOn = parse(TEXT) as Workflow;
  delete noRunsOn.jobs["checks"]?.["runs-on"];
  const errors = JSON.stringify(validateWorkflow(stringify(noRunsOn)).errors);
  assert.match(errors, /"path":"\/jobs\/checks\/runs-on","title":"This property is required"/);

  const misspelt = parse(TEXT) as Workflow & Record<string, unknown>;
  misspelt["permission"] = misspelt.permissions;
  delete (misspelt as Partial<Workflow>).permissions;
  assert.match(JSON.stringify(validateWorkflow(stringify(misspelt)).errors), /Additional property 'permission' is not allowed/);

  const badStep = parse(TEXT) as Workflow;
  (badStep.jobs["preview"]?.steps[1] as Record<string, unknown>)["uses-with"] = { x: 1 };
  assert.match(JSON.stringify(validateWorkflow(stringify(badStep)).errors), /"path":"\/jobs\/preview\/steps\/1"/);
});

test("triggers: pull requests, pushes and a daily drift check; minimal permissions; one run per ref", () => {
  assert.deepEqual(Object.keys(workflow.on).sort(), ["pull_request", "push", "schedule", "workflow_dispatch"]);
  const schedule = workflow.on["schedule"] as { cron: string }[];
  assert.equal(schedule.length, 1);
  assert.match(schedule[0]?.cron ?? "", /^\d{1,2} \d{1,2} \* \* \*$/, "once a day");
  assert.deepEqual(workflow.permissions, { contents: "read", "pull-requests": "write" });
  assert.match(workflow.concurrency.group, /\$\{\{ github\.ref \}\}/);
});

test("checks job: Node from .nvmrc with the npm cache, then the project's commands in order", () => {
  const steps = jobs.checks.steps;
  assert.ok(steps[0]?.uses?.startsWith("actions/checkout@"));
  assert.ok(steps[1]?.uses?.startsWith("actions/setup-node@"));
  assert.deepEqual(steps[1]?.with, { "node-version-file": ".nvmrc", cache: "npm" });
  assert.equal(readFileSync(join(ROOT, ".nvmrc"), "utf8").trim(), "24");
  const commands = steps.map((s) => s.run).filter((r): r is string => r !== undefined && r.startsWith("npm "));
  assert.deepEqual(commands, ["npm ci --no-audit --no-fund", "npm run typecheck", "npm run lint", "npm test", "npm run plan", "npm run diagram -- --check"]);
});

test("preview job: one per stack file, after the checks, pulumi preview --expect-no-changes --diff --refresh, diff posted on the PR", () => {
  const preview = jobs.preview;
  assert.equal(preview.needs, "checks");
  assert.deepEqual(preview.strategy?.matrix?.stack, stackNames(ROOT));
  const run = preview.steps.find((s) => s.id === "preview");
  assert.match(run?.run ?? "", /^\s*pulumi preview --stack "\$STACK" --expect-no-changes --diff --refresh --non-interactive /m);
  assert.equal(run?.env?.["STACK"], "${{ matrix.stack }}");
  assert.ok(preview.steps.some((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.["command"] === undefined), "pulumi/actions installs the CLI");
  const comment = preview.steps.find((s) => s.uses?.startsWith("actions/github-script@"));
  assert.match(comment?.if ?? "", /github\.event_name == 'pull_request'/);
  assert.match(String(comment?.with?.["script"]), /issues\.createComment/);
  const verdict = preview.steps.find((s) => s.name === "Fail when the host differs from the code");
  assert.match(verdict?.if ?? "", /steps\.preview\.outputs\.status != '0'/);
});

test("preview job: without the secrets every step after the check is skipped, and the summary says so", () => {
  const [check, ...rest] = jobs.preview.steps;
  assert.equal(check?.id, "secrets");
  assert.match(check?.run ?? "", /present=false[\s\S]*GITHUB_STEP_SUMMARY/);
  for (const step of rest) assert.match(step.if ?? "", /steps\.secrets\.outputs\.present == 'true'/, step.name ?? step.uses ?? step.run);
  // The check covers every secret the job reads (GITHUB_TOKEN is the runner's own).
  for (const name of secretsUsed) assert.ok(check?.run?.includes(` ${name}`) && check.env?.[name] === `\${{ secrets.${name} }}`, name);
});

test("every secret the README tells a fork to set is used, and every secret used is in the README", () => {
  assert.deepEqual(secretsUsed, ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "PROXMOX_PREVIEW_TOKENS", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "WIREGUARD_CONFIG"]);
  assert.deepEqual(secretsInReadme(), secretsUsed);
});

test("no secret reaches the log: secrets only through step env, never expanded in a script or printed", () => {
  for (const [name, job] of Object.entries(workflow.jobs)) {
    assert.equal(job.env, undefined, `${name}: no job-wide env (it would hand the secrets to every action)`);
    for (const step of job.steps) {
      const label = `${name}: ${step.name ?? step.uses ?? step.run}`;
      // ${{ }} in a script is pasted into it before bash runs: a secret there is in the script file, and quoting breaks.
      assert.doesNotMatch(step.run ?? "", /\$\{\{/, label);
      assert.doesNotMatch(JSON.stringify(step.with ?? {}), /secrets\./, label);
      assert.doesNotMatch(step.run ?? "", /set -x|set -o xtrace/, label);
      for (const secret of secretsUsed) {
        for (const line of (step.run ?? "").split("\n").filter((l) => new RegExp(`\\$\\{?${secret}\\b`).test(l))) {
          // Printed only into a pipe (install), never to the log or an output file.
          if (/\b(echo|printf|cat)\b/.test(line)) assert.match(line, /\| (\$?sudo )?[a-z-]+ /, `${label}: ${line}`);
          assert.doesNotMatch(line, />>?\s*"?\$GITHUB_/, `${label}: ${line}`);
        }
      }
    }
  }
});

test("every run script is shellcheck-clean bash", { skip: skipUnless("shellcheck") }, () => {
  const dir = mkdtempSync(join(tmpdir(), "retzien-workflow-"));
  try {
    for (const [name, job] of Object.entries(workflow.jobs)) {
      for (const [i, step] of job.steps.entries()) {
        if (step.run === undefined) continue;
        const file = join(dir, `${name}-${i}.sh`);
        writeFileSync(file, `#!/usr/bin/env bash\nset -eo pipefail\n${step.run}`);
        const result = spawnSync("shellcheck", ["-s", "bash", file], { encoding: "utf8" });
        assert.equal(result.status, 0, `${name} step ${i}:\n${result.stdout}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the users' CI previews with the CLI the engine suite runs the program on", () => {
  const goMod = readFileSync(join(ROOT, "engine", "pulumi-cli", "go.mod"), "utf8");
  const built = /github\.com\/pulumi\/pulumi\/pkg\/v3 v(\S+)/.exec(goMod)?.[1];
  assert.ok(built !== undefined, "engine/pulumi-cli/go.mod requires no pulumi/pkg/v3");
  assert.match(TEXT, new RegExp(`^ +pulumi-version: ${built.replaceAll(".", "\\.")}$`, "m"));
});
