/**
 * The bench's command line: bad usage is refused with exit 2 before any plan
 * runs (nothing on stdout, where the figures go), and `--help` answers 0. The
 * full run is CI's `npm run bench -- --quick`, not a test: its figures are
 * timings.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runScript } from "../helpers/cli";

const BENCH = "scripts/bench/index.ts";

test("an unknown option exits 2 with the usage on stderr and no figures on stdout", () => {
  const r = runScript(BENCH, ["--seed", "42"]);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^Unknown option '--seed'/);
  assert.match(r.stderr, /^usage: npm run bench -- \[--quick\] \[--json\]/m);
  assert.doesNotMatch(r.stderr, /plan speed:/, "no plan ran");
});

test("--help prints the usage on stdout and exits 0", () => {
  const r = runScript(BENCH, ["--help"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^usage: npm run bench -- \[--quick\] \[--json\] \[--plan-node-arg ARG\]\.\.\.\n/);
  assert.equal(r.stderr, "");
});
