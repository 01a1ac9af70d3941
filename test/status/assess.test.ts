/**
 * The daily glance decided from the hosts' PBS answers, without SSH: the PBS
 * API's bodies turned into reports, then each problem case named with its
 * numbers, and a quiet report when all is well.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { directionsOf } from "../../src/offsite/directions";
import { PAIRING } from "../../src/offsite/pairing";
import { validateSiteSpecs } from "../../src/program";
import { assess } from "../../src/status/assess";
import { reportFromProbe } from "../../src/status/pbs-api";
import type { PbsReport } from "../../src/status/pbs-report";
import { allSites } from "../../stacks/sites";
import type { FakePbsState } from "../helpers/fake-pbs-api";
import { healthyPbs, probeAnswerOf } from "../helpers/pbs-fixtures";

const { sites } = validateSiteSpecs(allSites);
const directions = directionsOf(PAIRING, sites);
const NOW = Date.parse("2026-11-24T08:00:00Z") / 1000;
const GIB = 1024 ** 3;
const PREDICTED = new Map([
  ["rouans", 610.1],
  ["sthilaire", 610.1],
]);

function reportOf(state: FakePbsState, site: string, errors: string[] = []): PbsReport {
  const namespaces = site === "rouans" ? ["rouans", "sthilaire"] : ["sthilaire", "rouans"];
  const r = reportFromProbe(probeAnswerOf(state, NOW, namespaces, errors), state.datastore, namespaces, site);
  assert.ok(r.ok, r.ok ? "" : JSON.stringify(r.problems));
  return r.report;
}

/** Both hosts healthy, then `change` applied to their states. */
function glance(change: (s: { rouans: FakePbsState; sthilaire: FakePbsState }) => void = () => {}, unreachable?: string) {
  const states = { rouans: healthyPbs(sites[0]!, sites, NOW), sthilaire: healthyPbs(sites[1]!, sites, NOW) };
  change(states);
  const reports = new Map<string, PbsReport | { error: string }>([
    ["rouans", reportOf(states.rouans, "rouans")],
    ["sthilaire", reportOf(states.sthilaire, "sthilaire")],
  ]);
  if (unreachable !== undefined) reports.set(unreachable, { error: "ssh root@host: Connection refused" });
  return assess(sites, directions, reports, PREDICTED);
}

test("the PBS API's bodies become a report: snapshots by namespace, every job, usage", () => {
  const state = healthyPbs(sites[0]!, sites, NOW);
  const report = reportOf(state, "rouans");
  assert.deepEqual(report.datastore, { name: "backup", totalBytes: 920 * GIB, usedBytes: 600 * GIB, availBytes: 320 * GIB });
  assert.deepEqual(report.namespaces["rouans"]?.[0], { type: "ct", id: "110", time: NOW - 6 * 3600, sizeBytes: 120 * GIB, verified: "ok", protected: false });
  assert.deepEqual(Object.keys(report.namespaces), ["rouans", "sthilaire"]);
  assert.deepEqual(report.jobs.map((j) => `${j.kind} ${j.id} ${j.lastRunState}`), ["sync pull-sthilaire OK", "prune prune-rouans OK", "prune prune-sthilaire OK", "verify verify-backup OK", "gc backup OK"]);
  const wrong = reportFromProbe({ now: NOW, responses: { "/admin/sync": { data: "nonsense" } }, errors: [] }, "backup", [], "rouans");
  assert.ok(wrong.ok);
  assert.deepEqual(wrong.report.errors, ["GET /admin/sync: an answer PBS does not give (Invalid input: expected array, received string)"]);
});

test("a good morning: every guest at home and at the other site, every job ok, nothing to say", () => {
  const g = glance();
  assert.deepEqual(g.problems, []);
  assert.deepEqual(g.sites[1]?.guests.map((x) => [x.name, x.home?.ageHours, x.copies["rouans"]?.ageHours]), [
    ["relay", 6, 6],
    ["mail", 6, 6],
    ["nextcloud", 6, 6],
  ]);
  assert.deepEqual(g.sites[0]?.datastore, { name: "backup", usedGiB: 600, totalGiB: 920, predictedGiB: 610.1 });
});

const CASES: [string, (s: { rouans: FakePbsState; sthilaire: FakePbsState }) => void, string[]][] = [
  [
    "a guest whose nightly backup stopped",
    (s) => void (s.sthilaire.snapshots["sthilaire"] = s.sthilaire.snapshots["sthilaire"]!.filter((x) => x["backup-id"] !== "220" || x["backup-time"] < NOW - 40 * 3600)),
    ["sthilaire: nextcloud (220) at sthilaire: newest snapshot 54 h old (limit 36 h)"],
  ],
  [
    "a guest with no copy at the holder",
    (s) => void (s.rouans.snapshots["sthilaire"] = s.rouans.snapshots["sthilaire"]!.filter((x) => x["backup-id"] !== "210")),
    ["sthilaire: mail (210) has no snapshot at rouans"],
  ],
  [
    "a forged snapshot dated in the future at the holder",
    (s) => void s.rouans.snapshots["sthilaire"]!.push({ "backup-type": "ct", "backup-id": "230", "backup-time": NOW + 400 * 86400, size: 10, protected: false }),
    ["sthilaire: relay (230) at rouans: a snapshot dated 2027-12-29T08:00:00Z, 9600 h after rouans's clock (forged, or a wrong clock: never restore it, and look at the source)"],
  ],
  [
    "a snapshot that failed verification",
    (s) => void (s.rouans.snapshots["rouans"]![0]!.verification = { state: "failed", upid: "UPID:x" }),
    ["rouans: web (110) at rouans: the newest snapshot failed verification (2026-11-24T02:00:00Z)"],
  ],
  [
    "a pull that failed, a prune that never ran, a verify job gone",
    (s) => {
      s.rouans.sync[0]!["last-run-state"] = "connection refused (sthilaire:8007)";
      delete s.sthilaire.prune[0]!["last-run-state"];
      s.sthilaire.verify = [];
    },
    [
      "rouans: PBS sync job pull-sthilaire failed: connection refused (sthilaire:8007)",
      "sthilaire: PBS prune job prune-sthilaire has never run",
      "sthilaire: PBS verify job verify-backup is not configured",
    ],
  ],
  [
    "a datastore nearly full, and far above the planner's prediction",
    (s) => void (s.rouans.status = { total: 920 * GIB, used: 850 * GIB, avail: 70 * GIB }),
    [
      "rouans: PBS datastore backup is 92 % full (850 of 920 GiB)",
      "rouans: PBS datastore backup holds 850 GiB, more than 1.25 x the planner's 610.1 GiB: correct the spec (dataSizeGiB, dailyChangePercent) and run npm run plan",
    ],
  ],
  ["a datastore that gives no usage", (s) => void (s.sthilaire.status = null), ["sthilaire: PBS datastore backup gave no usage (missing? disk not mounted?)"]],
];

for (const [title, change, expected] of CASES) {
  test(`needs attention: ${title}`, () => {
    assert.deepEqual(glance(change).problems, expected);
  });
}

test("a host that does not answer: named, and its copies of the other site unknown, not invented", () => {
  const g = glance(() => {}, "rouans");
  assert.deepEqual(g.problems, ["rouans: unreachable (ssh root@host: Connection refused)"]);
  assert.equal(g.sites[0]?.reachable, false);
  assert.deepEqual(g.sites[1]?.guests.map((x) => x.copies["rouans"]), [null, null, null]);
});

test("what PBS could not answer is named with the host", () => {
  const states = { rouans: healthyPbs(sites[0]!, sites, NOW), sthilaire: healthyPbs(sites[1]!, sites, NOW) };
  const reports = new Map<string, PbsReport | { error: string }>([
    ["rouans", reportOf(states.rouans, "rouans", ["GET /admin/sync: curl: (22) The requested URL returned error: 401"])],
    ["sthilaire", reportOf(states.sthilaire, "sthilaire")],
  ]);
  assert.deepEqual(assess(sites, directions, reports, PREDICTED).problems, ["rouans: PBS did not answer: GET /admin/sync: curl: (22) The requested URL returned error: 401"]);
});
