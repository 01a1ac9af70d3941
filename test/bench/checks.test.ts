/**
 * The bench's consistency checks are what make `npm run bench -- --quick` fail
 * in CI: they must catch a plan that declared nothing or fewer resources for a
 * bigger site and a missing figure, and the goals must be judged against their
 * limits.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type BenchDocument, consistencyChecks, exitCode, goals, missingFields } from "../../scripts/bench/checks";

function doc(committedResources = 62, sizes: [number, number, number][] = [[10, 73, 800], [250, 1003, 2400]]): Omit<BenchDocument, "checks" | "goals"> {
  const timing = (containers: number | null, resources: number, ms: number) => ({
    what: String(containers), containers, resources, planMsMedian: ms, wallMsMedian: ms + 500, planMsSamples: [ms], wallMsSamples: [ms + 500],
  });
  const [from, to] = [sizes[0]?.[0] ?? 10, sizes.at(-1)?.[0] ?? 250];
  return {
    version: 2, quick: false, command: "npm run bench",
    machine: { nproc: 2, cpu: "x", memTotalGiB: 1, kernel: "k", versions: {} },
    plan: {
      method: "m", repeats: 1, nodeArgs: [], committed: timing(null, committedResources, 900),
      sites: sizes.map(([c, r, ms]) => timing(c, r, ms)), growth: { from, to, planRatio: 3, wallRatio: 2 },
    },
    engine: {
      cli: "3.276.0",
      timings: [{ what: "up rouans (empty host)", ms: 9000, resources: 37 }, { what: "preview rouans", ms: 3000, resources: 41 }],
      previewsClean: true,
    },
    seconds: 1,
  };
}
const failed = (d: ReturnType<typeof doc>) => consistencyChecks(d).filter((c) => !c.ok).map((c) => c.check);

test("consistent figures pass every check", () => {
  assert.deepEqual(failed(doc()), []);
});

test("a plan that declared nothing, or less for a bigger site, fails the run", () => {
  assert.deepEqual(failed(doc(0)), ["plan: every run declared resources, more for more containers"]);
  assert.deepEqual(failed(doc(62, [[10, 73, 800], [250, 70, 2400]])), ["plan: every run declared resources, more for more containers"]);
});

test("a time of zero, or a process shorter than the plan inside it, fails the run and names it", () => {
  const d = doc();
  const zero = { ...d, plan: { ...d.plan, committed: { ...d.plan.committed, planMsMedian: 0 } } };
  const inverted = { ...d, plan: { ...d.plan, sites: [d.plan.sites[0], { ...d.plan.sites[1], wallMsMedian: 100 }] } } as typeof d;
  for (const broken of [zero, inverted]) {
    const bad = consistencyChecks(broken).filter((c) => !c.ok);
    assert.deepEqual(bad.map((c) => c.check), ["plan: every time is positive, the process at least as long as the plan inside it"]);
  }
  assert.equal(consistencyChecks(inverted).find((c) => !c.ok)?.detail, "250: plan 2400 ms, wall 100 ms");
});

test("the exit code is 0 only when every check holds and every goal is met, 1 when one fails, none ran, or a goal is missed", () => {
  assert.equal(exitCode(consistencyChecks(doc()), goals(doc())), 0);
  assert.equal(exitCode(consistencyChecks(doc(0)), goals(doc())), 1);
  assert.equal(exitCode([], goals(doc())), 1);
  const slow = { ...doc(), plan: { ...doc().plan, committed: { ...doc().plan.committed, wallMsMedian: 3500 } } };
  assert.equal(exitCode(consistencyChecks(slow), goals(slow)), 1);
});

test("a figure that went missing fails the run", () => {
  const d = doc();
  const broken = { ...d, seconds: Number.NaN };
  assert.deepEqual(failed(broken), ["every figure is present and finite"]);
  assert.deepEqual(missingFields({ a: [1, undefined], b: { c: Infinity } }), ["$.a[1]", "$.b.c"]);
});

test("goals are judged against their limits, growth by what each added resource costs, at --quick's sizes too", () => {
  assert.deepEqual(goals(doc()).map((g) => g.met), [true, true]);
  // 10 -> 250 containers: (2400 - 800) ms over (1003 - 73) resources.
  assert.equal(goals(doc()).at(-1)?.value, 1600 / 930);
  const quick = doc(62, [[10, 73, 800], [100, 300, 1200]]);
  assert.equal(goals(quick).at(-1)?.met, true);
  const superlinear = doc(62, [[10, 73, 800], [250, 1003, 6000]]);
  assert.equal(goals(superlinear).at(-1)?.met, false);
  const slow = { ...doc(), plan: { ...doc().plan, committed: { ...doc().plan.committed, wallMsMedian: 3500 } } };
  assert.equal(goals(slow)[0]?.met, false);
});

test("an engine up that made nothing, or a preview that still finds changes, fails the run", () => {
  const d = doc();
  assert.deepEqual(failed({ ...d, engine: { ...d.engine, previewsClean: false } }), ["engine: every up made resources and every preview after them found nothing to change"]);
  const empty = { ...d.engine, timings: [{ what: "up rouans (empty host)", ms: 1, resources: 0 }] };
  assert.deepEqual(failed({ ...d, engine: empty }), ["engine: every up made resources and every preview after them found nothing to change"]);
});
