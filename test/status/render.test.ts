/**
 * The glance as the operator reads it, line for line: guests, jobs and the
 * datastore per site, upper case where a person is needed, then the problems.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Glance } from "../../src/status/assess";
import { renderGlance } from "../../src/status/render";

const ok = { time: "2026-11-24T02:00:00Z", ageHours: 6, verified: "ok" as const };
const job = { endedAt: "2026-11-24T04:00:00Z", ageHours: 4, nextRun: "2026-11-25T04:00:00Z" };

test("a morning with trouble, rendered", () => {
  const glance: Glance = {
    sites: [
      {
        site: "rouans",
        reachable: true,
        guests: [
          {
            vmid: 110,
            name: "web",
            home: { ...ok, verified: "failed" },
            copies: { sthilaire: "none" },
            drills: { sthilaire: { at: "2026-11-21T13:00:00Z", ageDays: 3, ok: false, reason: "the check exited 1", restoreSeconds: 600, bytes: 60 * 1024 ** 3 } },
          },
        ],
        jobs: [
          { kind: "sync", id: "pull-sthilaire", status: "failed", state: "connection refused", ...job },
          { kind: "prune", id: "prune-rouans", status: "ok", state: "OK", ...job },
          { kind: "verify", id: "verify-backup", status: "running", state: null, endedAt: null, ageHours: null, nextRun: null },
          { kind: "gc", id: "backup", status: "warnings", state: "WARNINGS: 3", ...job },
        ],
        watch: { at: "2026-11-24T09:00:00Z", ageHours: 0.5, ok: false, alarms: ["the last pull of sthilaire (pull-sthilaire) ended: connection refused"] },
        mailQueue: { messages: 2, oldestHours: 26.5, reasons: ["connect to 203.0.113.25[203.0.113.25]:25: Connection timed out"] },
        mailSettings: [{ what: "rouans's host's alarm path", value: "", ok: false }],
        datastore: { name: "backup", usedGiB: 600, totalGiB: 920, usedPercent: 65, predictedGiB: 610.1 },
      },
      {
        site: "sthilaire",
        reachable: false,
        guests: [{ vmid: 230, name: "relay", home: "unknown", copies: { rouans: { ...ok, verified: null } }, drills: { rouans: "never" } }],
        jobs: [{ kind: "sync", id: "pull-rouans", status: "unknown", state: null, endedAt: null, ageHours: null, nextRun: null }],
        watch: "unknown",
        mailQueue: "unknown",
        mailSettings: "unknown",
        datastore: null,
      },
    ],
    problems: ["rouans: web (110) has no snapshot at sthilaire", "sthilaire: unreachable (ssh root@sthilaire: Connection refused)"],
  };
  assert.deepEqual(renderGlance(glance), [
    "rouans",
    "  web (110)          home: 2026-11-24T02:00:00Z (6 h, FAILED verification); copy at sthilaire: NONE, drill FAILED 2026-11-21T13:00:00Z (3 d, restore 10 min at 102 MiB/s)",
    "  sync pull-sthilaire      FAILED: connection refused, 2026-11-24T04:00:00Z (4 h ago), next 2026-11-25T04:00:00Z",
    "  prune prune-rouans       ok, 2026-11-24T04:00:00Z (4 h ago), next 2026-11-25T04:00:00Z",
    "  verify verify-backup     running",
    "  gc backup                WARNINGS: 3, 2026-11-24T04:00:00Z (4 h ago), next 2026-11-25T04:00:00Z",
    "  dead-man watch           ALARMED (1) 2026-11-24T09:00:00Z (0.5 h ago)",
    "  mail queue (alarms)      2 message(s), the oldest 26.5 h old: connect to 203.0.113.25[203.0.113.25]:25: Connection timed out",
    '  mail settings            rouans\'s host\'s alarm path WRONG ("")',
    "  datastore backup: 600 of 920 GiB used, 65 % (planner: 610.1 GiB once the retention has filled)",
    "sthilaire (UNREACHABLE)",
    "  relay (230)        home: unknown; copy at rouans: 2026-11-24T02:00:00Z (6 h), drill NEVER",
    "  sync pull-rouans         unknown",
    "  dead-man watch           unknown",
    "Needs attention (2):",
    "  - rouans: web (110) has no snapshot at sthilaire",
    "  - sthilaire: unreachable (ssh root@sthilaire: Connection refused)",
  ]);
});

test("all well, and a reachable host whose PBS gave no usage", () => {
  const glance: Glance = {
    sites: [
      { site: "rouans", reachable: true, guests: [], jobs: [{ kind: "gc", id: "backup", status: "never ran", state: null, endedAt: null, ageHours: null, nextRun: null }], watch: "never", mailQueue: { messages: 0, oldestHours: null, reasons: [] }, mailSettings: [{ what: "rouans's host's alarm path", value: "[smtp.example.org]:587", ok: true }, { what: "web's smarthost", value: null, ok: false }], datastore: null },
      { site: "nantes", reachable: true, guests: [], jobs: [], watch: "not kept", mailQueue: "no postfix", mailSettings: "unknown", datastore: null },
    ],
    problems: [],
  };
  assert.deepEqual(renderGlance(glance), [
    "rouans",
    "  gc backup                NEVER RAN",
    "  dead-man watch           NEVER RAN",
    "  mail queue (alarms)      empty",
    "  mail settings            rouans's host's alarm path ok; web's smarthost UNREAD",
    "  datastore: unknown",
    "nantes",
    "  mail queue (alarms)      no postfix",
    "  datastore: unknown",
    "All well.",
  ]);
});
