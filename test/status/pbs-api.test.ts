/**
 * The status probe's raw answer (the PBS API's own bodies, by path) turned into
 * a report: PBS's field names read once, GC's list-of-one shape, and what PBS
 * did not answer kept apart from what it answered as empty.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatProblem } from "../../src/problems";
import { validateSiteSpecs } from "../../src/program";
import { reportFromProbe, reportFromText } from "../../src/status/pbs-api";
import { allSites } from "../../stacks/sites";
import { healthyPbs, probeAnswerOf } from "../helpers/pbs-fixtures";

const { sites } = validateSiteSpecs(allSites);
const NOW = Date.parse("2026-11-24T08:00:00Z") / 1000;
const GIB = 1024 ** 3;
const ENDED = NOW - 4 * 3600;
const NEXT = NOW + 20 * 3600;

test("the PBS API's bodies become a report: snapshots by namespace, every job with its last run, usage", () => {
  const state = healthyPbs(sites[0]!, sites, NOW);
  const r = reportFromProbe(probeAnswerOf(state, NOW, ["rouans", "sthilaire"]), "backup", ["rouans", "sthilaire"], "rouans");
  assert.ok(r.ok);
  assert.equal(r.report.now, NOW);
  assert.deepEqual(r.report.datastore, { name: "backup", totalBytes: 920 * GIB, usedBytes: 600 * GIB, availBytes: 320 * GIB });
  assert.deepEqual(r.report.namespaces["rouans"]?.[0], { type: "ct", id: "110", time: NOW - 6 * 3600, sizeBytes: 120 * GIB, verified: "ok", protected: false });
  assert.deepEqual(Object.keys(r.report.namespaces), ["rouans", "sthilaire"]);
  assert.deepEqual(r.report.namespaces["sthilaire"]?.length, 9);
  assert.deepEqual(r.report.jobs, [
    { kind: "sync", id: "pull-sthilaire", lastRunState: "OK", lastRunUpid: "UPID:rouans:pull-sthilaire", lastRunEndtime: ENDED, nextRun: NEXT },
    { kind: "prune", id: "prune-rouans", lastRunState: "OK", lastRunUpid: "UPID:rouans:prune-rouans", lastRunEndtime: ENDED, nextRun: NEXT },
    { kind: "prune", id: "prune-sthilaire", lastRunState: "OK", lastRunUpid: "UPID:rouans:prune-sthilaire", lastRunEndtime: ENDED, nextRun: NEXT },
    { kind: "verify", id: "verify-backup", lastRunState: "OK", lastRunUpid: "UPID:rouans:verify-backup", lastRunEndtime: ENDED, nextRun: NEXT },
    { kind: "gc", id: "backup", lastRunState: "OK", lastRunUpid: "UPID:rouans:backup", lastRunEndtime: ENDED, nextRun: NEXT },
  ]);
  assert.deepEqual(r.report.jobKindsRead, ["sync", "prune", "verify", "gc"]);
  assert.deepEqual(r.report.errors, []);
});

const CASES: [string, unknown, Partial<Record<"errors" | "namespaces" | "jobKindsRead" | "jobs", unknown>>][] = [
  [
    "a list that is not a list",
    { now: NOW, responses: { "/admin/sync": { data: "nonsense" } }, errors: [] },
    { errors: ["GET /admin/sync: an answer PBS does not give (Invalid input: expected array, received string)"], jobKindsRead: [] },
  ],
  [
    "GC as one object (PBS gives a list of one)",
    { now: NOW, responses: { "/admin/gc/backup": { data: { store: "backup", "last-run-state": "OK" } } }, errors: [] },
    { errors: ["GET /admin/gc/backup: an answer PBS does not give (Invalid input: expected array, received object)"], jobKindsRead: [] },
  ],
  [
    "GC of another datastore, jobs of another datastore: left out",
    {
      now: NOW,
      responses: {
        "/admin/gc/backup": { data: [{ store: "other", "last-run-state": "OK" }] },
        "/admin/prune": { data: [{ id: "prune-x", store: "other", "last-run-state": "OK" }] },
      },
      errors: [],
    },
    { jobs: [], jobKindsRead: ["prune", "gc"] },
  ],
  [
    "a job running with no finished run: its task, no state",
    { now: NOW, responses: { "/admin/sync": { data: [{ id: "pull-sthilaire", store: "backup", "last-run-upid": "UPID:x" }] } }, errors: [] },
    { jobs: [{ kind: "sync", id: "pull-sthilaire", lastRunState: null, lastRunUpid: "UPID:x", lastRunEndtime: null, nextRun: null }], jobKindsRead: ["sync"] },
  ],
  [
    "a namespace PBS did not list is absent, an empty one is empty",
    {
      now: NOW,
      responses: { "/admin/datastore/backup/snapshots?ns=rouans": { data: [] }, "/admin/datastore/backup/snapshots?ns=sthilaire": null },
      errors: ["GET /admin/datastore/backup/snapshots?ns=sthilaire: curl: (22) The requested URL returned error: 400"],
    },
    { namespaces: { rouans: [] }, errors: ["GET /admin/datastore/backup/snapshots?ns=sthilaire: curl: (22) The requested URL returned error: 400"] },
  ],
  [
    "a verification state other than ok counts as failed",
    {
      now: NOW,
      responses: { "/admin/datastore/backup/snapshots?ns=rouans": { data: [{ "backup-type": "ct", "backup-id": "110", "backup-time": NOW, verification: { state: "corrupt" } }] } },
      errors: [],
    },
    { namespaces: { rouans: [{ type: "ct", id: "110", time: NOW, sizeBytes: null, verified: "failed", protected: false }] } },
  ],
];

for (const [title, answer, expected] of CASES) {
  test(`the probe's answer: ${title}`, () => {
    const r = reportFromProbe(answer, "backup", ["rouans", "sthilaire"], "rouans");
    assert.ok(r.ok, JSON.stringify(r));
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(r.report[key as keyof typeof expected], value, key);
  });
}

test("an answer that is not the probe's is refused, saying where it came from", () => {
  const r = reportFromText("<html>", "backup", [], "the answer of root@rouans");
  assert.deepEqual(r.ok ? [] : r.problems.map(formatProblem), [
    `the answer of root@rouans: found text that is not JSON (Unexpected token '<', "<html>" is not valid JSON), expected the JSON the status probe prints`,
  ]);
  const shape = reportFromProbe({ now: "soon", responses: {}, errors: [] }, "backup", [], "the answer of root@rouans");
  assert.equal(shape.ok, false);
});

test("the units' results: the drills' and the watch's as written, null before their first run, an error when damaged", () => {
  const answer = probeAnswerOf(healthyPbs(sites[0]!, sites, NOW), NOW, ["rouans"]) as Record<string, unknown>;
  const run = { at: NOW - 3600, ok: false, alarms: ["the pull of sthilaire (pull-sthilaire) has never ended"] };
  const read = (extra: Record<string, unknown>) => {
    const r = reportFromProbe({ ...answer, ...extra }, "backup", ["rouans"], "rouans");
    assert.ok(r.ok);
    return r.report;
  };
  assert.deepEqual(read({ watch: run }).watch, run);
  assert.equal(read({ watch: null }).watch, null);
  assert.ok(!("watch" in read({})), "an older probe: not read, not none");
  const damaged = read({ watch: { at: "yesterday", ok: true, alarms: [] } });
  assert.ok(!("watch" in damaged));
  assert.deepEqual(damaged.errors, ["the dead-man watch's last run is not what watch-copies.pl writes (Invalid input: expected number, received string)"]);
});
