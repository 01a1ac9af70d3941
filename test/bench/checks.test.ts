/**
 * The bench's consistency checks are what make `npm run bench -- --quick` fail
 * in CI: they must catch a delta that is not below the plain copy, a missing
 * figure and a failed pull, and the goals must be judged against their limits.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type BenchDocument, consistencyChecks, goals, missingFields } from "../../scripts/bench/checks";
import type { ShipFigures } from "../../scripts/bench/shipping";

function shipCase(id: string, wire: number, over: Partial<ShipFigures> = {}): ShipFigures {
  return {
    id, label: id, compressor: "gzip", night: "night2", basis: "b", archiveBytes: 1000, changedCompressedBytes: 20,
    bytesOnWire: wire, linkDownBytes: wire, linkUpBytes: 10, wireOverArchive: wire / 1000, wireOverChanged: wire / 20,
    linkDownOverChanged: wire / 20, seconds: 1, ok: true, problems: [], ...over,
  };
}

function doc(cases: ShipFigures[]): Omit<BenchDocument, "checks" | "goals"> {
  const timing = (containers: number | null, resources: number, ms: number) => ({
    what: String(containers), containers, resources, planMsMedian: ms, wallMsMedian: ms + 500, planMsSamples: [ms], wallMsSamples: [ms + 500],
  });
  return {
    version: 1, quick: true, command: "npm run bench -- --quick",
    machine: { nproc: 2, cpu: "x", memTotalGiB: 1, kernel: "k", versions: {} },
    data: {
      seed: 1, rootfsBytes: 10, files: 3, changeShare: 0.02, wideShare: 0.1, churnShare: 0.002, readShare: 0.2,
      nights: [{ id: "night2", tarBytes: 2000, archiveBytes: { gzip: 1000 }, compressSeconds: { gzip: 1 }, changedFiles: 1, addedFiles: 1, deletedFiles: 1, filesRead: 0, changedRawBytes: 50, changedCompressedBytes: { gzip: 20 }, tarOrderStable: true }],
    },
    shipping: { pullScript: "s", cases },
    bandwidth: { direction: "d", budgetKiBps: 1, archiveBytes: 1, ok: true, errors: [], rsyncBytesPerSecond: 1, rsyncShareOfBudget: 1, linkBytesPerSecond: 1, linkShareOfBudget: 1, seconds: 1 },
    plan: { method: "m", repeats: 1, nodeArgs: [], committed: timing(null, 38, 900), sites: [timing(10, 43, 800), timing(250, 763, 2400)], growth: { from: 10, to: 250, planRatio: 3, wallRatio: 2 } },
    seconds: 1,
  };
}

const good = () => [
  shipCase("gzip-delta", 24), shipCase("gzip-plain-copy", 1001, { basis: null }), shipCase("gzip-delta-wide", 60),
  shipCase("zstd-delta", 300), shipCase("zstd-plain-delta", 700), shipCase("gzip-reads-only", 30, { changedCompressedBytes: null, wireOverChanged: null, linkDownOverChanged: null }),
];
const failed = (d: ReturnType<typeof doc>) => consistencyChecks(d).filter((c) => !c.ok).map((c) => c.check);

test("consistent figures pass every check", () => {
  assert.deepEqual(failed(doc(good())), []);
});

test("a delta that moves as much as the plain copy fails the run", () => {
  const cases = good();
  cases[0] = shipCase("gzip-delta", 1001);
  assert.ok(failed(doc(cases)).includes("delta below naive: the delta moves less than the plain copy"));
});

test("a failed pull or a figure that went missing fails the run", () => {
  const cases = good();
  cases[3] = shipCase("zstd-delta", 300, { ok: false, problems: ["exit 1"] });
  cases[4] = shipCase("zstd-plain-delta", Number.NaN);
  const f = failed(doc(cases));
  assert.ok(f.includes("zstd-delta: the pull succeeded, with the expected basis, a faithful copy and a prune"));
  assert.ok(f.includes("every figure is present and finite"));
  assert.deepEqual(missingFields({ a: [1, undefined], b: { c: Infinity } }), ["$.a[1]", "$.b.c"]);
});

test("goals are judged against their limits, and the 250-container goal only when 250 was measured", () => {
  const d = doc(good());
  assert.deepEqual(goals(d).map((g) => g.met), [true, true, true, true]);
  const quick = { ...d, plan: { ...d.plan, growth: { from: 10, to: 100, planRatio: 3.2, wallRatio: 2 } } };
  assert.equal(goals(quick).at(-1)?.met, null);
  const slow = { ...d, shipping: { ...d.shipping, cases: [shipCase("gzip-delta", 60), ...good().slice(1)] } };
  assert.deepEqual(goals(slow).slice(0, 2).map((g) => g.met), [false, false]);
  const broken = { ...d, shipping: { ...d.shipping, cases: [shipCase("gzip-delta", 0, { ok: false }), ...good().slice(1)] } };
  assert.deepEqual(goals(broken).slice(0, 2).map((g) => g.met), [null, null], "a failed pull meets no goal");
});
