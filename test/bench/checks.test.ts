/**
 * The bench's consistency checks are what make `npm run bench -- --quick` fail
 * in CI: they must catch a plan that declared nothing or fewer resources for a
 * bigger site and a missing figure, and the goals must be judged against their
 * limits.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type BenchDocument, consistencyChecks, goals, missingFields } from "../../scripts/bench/checks";

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

test("a figure that went missing fails the run", () => {
  const d = doc();
  const broken = { ...d, seconds: Number.NaN };
  assert.deepEqual(failed(broken), ["every figure is present and finite"]);
  assert.deepEqual(missingFields({ a: [1, undefined], b: { c: Infinity } }), ["$.a[1]", "$.b.c"]);
});

test("goals are judged against their limits, and the 250-container goal only when 250 was measured", () => {
  assert.deepEqual(goals(doc()).map((g) => g.met), [true, true]);
  const quick = doc(62, [[10, 73, 800], [100, 300, 1200]]);
  assert.equal(goals(quick).at(-1)?.met, null);
  const slow = { ...doc(), plan: { ...doc().plan, committed: { ...doc().plan.committed, wallMsMedian: 3500 } } };
  assert.equal(goals(slow)[0]?.met, false);
});
