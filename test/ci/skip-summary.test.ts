/**
 * The skip summary of `npm test`: a skipped test is counted with its reason and
 * the way to run it, and under RETZIEN_NO_SKIPS=1 (`.ci/run`) it fails the run.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../helpers/stacks";

function runTests(body: string, noSkips: boolean): { status: number | null; lastLine: string } {
  const dir = mkdtempSync(join(tmpdir(), "retzien-skips-"));
  try {
    writeFileSync(join(dir, "a.test.mjs"), `import { test } from "node:test";\n${body}\n`);
    const reporter = join(PROJECT_ROOT, "test", "helpers", "skip-summary-reporter.mjs");
    // Without the runner's NODE_TEST_CONTEXT, the inner run reports as npm test's does, not to this test.
    const env: NodeJS.ProcessEnv = { ...process.env, RETZIEN_NO_SKIPS: noSkips ? "1" : "" };
    delete env["NODE_TEST_CONTEXT"];
    const run = spawnSync(process.execPath, ["--test", "--test-reporter=spec", "--test-reporter-destination=stdout", `--test-reporter=${reporter}`, "--test-reporter-destination=stdout", "a.test.mjs"], { cwd: dir, env, encoding: "utf8", timeout: 60_000 });
    return { status: run.status, lastLine: run.stdout.trimEnd().split("\n").at(-1) ?? "" };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SKIPPING = 'test("a", () => {});\ntest("b", { skip: "needs shellcheck (apt-get install shellcheck)" }, () => {});\ntest("c", { skip: "needs /usr/sbin/sshd (apt-get install openssh-server)" }, () => {});';

test("skipped tests: the run passes, and its last line counts them, says why and how to run them", () => {
  const r = runTests(SKIPPING, false);
  assert.equal(r.status, 0);
  assert.equal(
    r.lastLine,
    "skipped 2 test(s) this machine cannot run (1 test(s): needs shellcheck (apt-get install shellcheck); 1 test(s): needs /usr/sbin/sshd (apt-get install openssh-server)). To run them: apt-get install openssh-server shellcheck (as root), then npm test again; bash .ci/run installs them and runs everything.",
  );
});

test("under RETZIEN_NO_SKIPS=1 a skip fails the run; with none skipped nothing is added and the run passes", () => {
  const strict = runTests(SKIPPING, true);
  assert.equal(strict.status, 1);
  assert.equal(strict.lastLine, "RETZIEN_NO_SKIPS=1: CI runs every test, and 2 were skipped");
  const clean = runTests('test("a", () => {});', true);
  assert.equal(clean.status, 0);
  assert.match(clean.lastLine, /^ℹ duration_ms /);
});
