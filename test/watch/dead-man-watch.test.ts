/**
 * The dead-man watch: its plan (limits, and how soon a silent source is seen),
 * the units and files it installs, and its judge (scripts/host/watch-copies.pl,
 * run with perl as on a host) against the status probe's answer, table-driven
 * from a healthy morning at rouans with one thing broken at a time; then the
 * real probe against a fake PBS on 127.0.0.1 piped into the judge, as the unit runs them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drillPlanOf } from "../../src/drill/plan";
import { directionsOf } from "../../src/offsite/directions";
import { assess } from "../../src/status/assess";
import { reportFromProbe } from "../../src/status/pbs-api";
import { PAIRING } from "../../src/offsite/pairing";
import { validateSiteSpecs } from "../../src/program";
import type { SiteSpec } from "../../src/site/schema";
import { watchPlanOf, watchWarnings } from "../../src/watch/plan";
import { WATCH_PATHS, watchChecks, watchCommands } from "../../src/watch/watch-commands";
import { allSites } from "../../stacks/sites";
import { runAsync } from "../helpers/cli";
import { type ApiJob, type FakePbsState, startFakePbs, writeSecret } from "../helpers/fake-pbs-api";
import { skipUnless } from "../helpers/system-tools";
import { EMPTY_MAIL_QUEUE_BIN, healthyPbs, probeAnswerOf } from "../helpers/pbs-fixtures";

const HOST = join(__dirname, "../../scripts/host");
const JUDGE = join(HOST, "watch-copies.pl");
const PROBE = join(HOST, "status-probe.sh");
const { sites } = validateSiteSpecs(allSites);
const site = (name: string) => sites.find((s) => s.name === name) as SiteSpec;
const rouans = site("rouans");
const plan = watchPlanOf(rouans, sites, PAIRING, drillPlanOf(rouans, sites, PAIRING));
const NOW = 1_796_000_000;
const HOUR = 3600;

test("the watch plan: rouans watches sthilaire at 09:00, 30 h limits, a missed backup seen 7.5 h later, the drilled copies", () => {
  assert.equal(plan.at, "09:00");
  assert.equal(plan.datastore, "backup");
  assert.deepEqual(plan.mailTo, rouans.backup.mailTo);
  assert.equal(plan.sources.length, 1);
  const s = plan.sources[0]!;
  assert.deepEqual(
    { source: s.source, ns: s.namespace, job: s.pullJob, max: s.maxAgeHours, good: s.goodNightHours, backup: s.backupStart, pull: `${s.pullStart}-${s.pullEnd}`, silent: s.silentSeenAfterHours },
    { source: "sthilaire", ns: "sthilaire", job: "pull-sthilaire", max: 30, good: 28.4, backup: "01:30", pull: "04:45-05:54", silent: 7.5 },
  );
  assert.deepEqual(s.guests.map((g) => g.vmid), site("sthilaire").containers.map((c) => c.vmid));
  // Nextcloud does not fit rouans' scratch datastore: it is not drilled, so not watched for drills.
  assert.deepEqual(plan.drills.map((d) => d.vmid).sort(), [210, 230]);
  assert.equal(plan.drillMaxAgeDays, 8);
  // Mail only: the association's mailbox may be at the site that fell silent.
  assert.equal(plan.gotify, null);
  assert.deepEqual(watchWarnings(plan), [
    "dead-man watch on rouans: its alarms go by mail only, to technique@retzien.fr; if that mailbox is served from sthilaire, an alarm about that site is read only once it is back: add a Gotify server outside both sites (sites.rouans.backup.gotify) or an address outside the association",
  ]);
  const pushed = { ...rouans, backup: { ...rouans.backup, gotify: { server: "https://push.example.org" } } };
  const pushedPlan = watchPlanOf(pushed, sites, PAIRING, drillPlanOf(pushed, sites, PAIRING));
  assert.equal(pushedPlan.gotify, "https://push.example.org");
  assert.deepEqual(watchWarnings(pushedPlan), []);
});

test("a loose limit is a warning with how late a silent source is seen; limits and times move the figures", () => {
  const loose = sites.map((s) => (s.name === "sthilaire" ? { ...s, offsite: { ...s.offsite, staleAfterHours: 36 } } : s));
  const loosePlan = watchPlanOf(rouans, loose, PAIRING, drillPlanOf(rouans, loose, PAIRING));
  assert.equal(loosePlan.sources[0]?.silentSeenAfterHours, 31.5);
  assert.deepEqual(watchWarnings(loosePlan).slice(0, 1), [
    "dead-man watch of sthilaire on rouans: a missed backup is alarmed only 31.5 h later; lower sites.sthilaire.offsite.staleAfterHours (36) towards 28.4",
  ]);
  // A watch at 06:00 sees the same 30 h limit passed only the next morning.
  const early = { ...rouans, offsite: { ...rouans.offsite, watchAt: "06:00" } };
  assert.equal(watchPlanOf(early, sites, PAIRING, drillPlanOf(early, sites, PAIRING)).sources[0]?.silentSeenAfterHours, 28.5);
});

test("the watch is installed as committed: probe, judge and mailer, its checks, a daily persistent timer, the mail on failure; delete leaves none", () => {
  const scripts = { probe: readFileSync(PROBE, "utf8"), judge: readFileSync(JUDGE, "utf8"), mailer: readFileSync(join(HOST, "unit-failed.sh"), "utf8") };
  const { create, delete: remove } = watchCommands(plan, scripts);
  const bodies = create.split("<<'RETZIEN_HOST_FILE_END'\n").slice(1).map((part) => `${part.slice(0, part.indexOf("\nRETZIEN_HOST_FILE_END\n"))}\n`);
  assert.deepEqual(bodies, [scripts.probe, scripts.judge, scripts.mailer]);
  assert.match(create, /^ExecStart=\/bin\/bash -c '\\''set -o pipefail; \/usr\/local\/lib\/retzien\/status-probe\.sh --datastore backup --ns sthilaire \| \/usr\/local\/lib\/retzien\/watch-copies\.pl --watch \/etc\/retzien\/watch\/checks\.tsv --results \/var\/lib\/retzien\/watch\/last\.json'\\''$/m);
  assert.match(create, /^OnFailure=retzien-watch-failed\.service$/m);
  assert.match(create, /^ExecStart=\/usr\/local\/lib\/retzien\/watch-failed\.sh retzien-watch\.service technique@retzien\.fr "dead-man ALARM"' > /m);
  assert.match(create, /^OnCalendar=\*-\*-\* 09:00$/m);
  assert.match(create, /^Persistent=true$/m);
  assert.match(create, /^systemctl enable --now retzien-watch\.timer$/m);
  assert.ok(create.includes(`'pull\tpull-sthilaire\tsthilaire\t30' 'copy\tsthilaire\t230\tsthilaire: relay (230)\t30'`));
  assert.ok(create.includes(`'drill\tpbs-sthilaire\t210\tsthilaire: mail (210)\t8'`));
  const units = ["retzien-watch.service", "retzien-watch.timer", "retzien-watch-failed.service"].map((u) => `/etc/systemd/system/${u}`);
  for (const path of [...units, ...Object.values(WATCH_PATHS).filter((p) => p !== WATCH_PATHS.results)]) assert.ok(remove.includes(`'${path}'`), `delete removes ${path}`);
  assert.match(create, /^printf '%s\\n' '\[Unit\]\nDescription=retzien: dead-man watch\n\[Timer\]/m);
  assert.ok(create.includes("> '/etc/systemd/system/retzien-watch.timer'"));
  assert.ok(!remove.includes(WATCH_PATHS.results), "its last run stays");
});

interface Judged {
  status: number | null;
  lines: string[];
  stderr: string;
}

function judge(answer: unknown, checks: string[] = watchChecks(plan), extraArgs: string[] = []): Judged {
  const dir = mkdtempSync(join(tmpdir(), "retzien-watch-"));
  try {
    const file = join(dir, "checks.tsv");
    writeFileSync(file, checks.join("\n") + "\n");
    const input = typeof answer === "string" ? answer : JSON.stringify(answer);
    const r = spawnSync("perl", [JUDGE, "--watch", file, ...extraArgs], { input, encoding: "utf8", timeout: 30_000 });
    return { status: r.status, lines: r.stdout.trim().split("\n"), stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** rouans' answer on a good morning (copies 6 h old, pull OK 4 h ago, drills passed 2 days ago), then `breakIt`. */
function morning(breakIt: (state: FakePbsState, drills: Record<string, unknown>[]) => void = () => {}, errors: string[] = []): Record<string, unknown> {
  const state = healthyPbs(rouans, sites, NOW);
  const drills = plan.drills.map((d) => ({ vmid: d.vmid, storage: d.storage, snapshot: "x", ok: true, reason: "", bytes: 1, restoreSeconds: 60, totalSeconds: 90, at: NOW - 2 * 24 * HOUR }));
  breakIt(state, drills);
  return { ...(probeAnswerOf(state, NOW, ["rouans", "sthilaire"], errors) as Record<string, unknown>), drills: { drills } };
}

const ALL_WELL = "dead-man watch: all well (3 copies, 1 pulls, 2 drills checked)";
const pull = (s: FakePbsState) => s.sync[0] as ApiJob;
const aged = (s: FakePbsState, hours: number) => {
  for (const snap of s.snapshots["sthilaire"] ?? []) snap["backup-time"] -= hours * HOUR;
};

const CASES: { title: string; answer: unknown; alarms: string[] }[] = [
  { title: "a good morning", answer: morning(), alarms: [] },
  { title: "newest copies just under the limit (30 h minus a minute)", answer: morning((s) => aged(s, 24 - 1 / 60)), alarms: [] },
  {
    title: "sthilaire stopped backing up: its copies a day older, just over the limit",
    answer: morning((s) => aged(s, 24 + 1 / 60)),
    alarms: [230, 210, 220].map(
      (vmid) => `${vmid === 230 ? "sthilaire: relay (230)" : vmid === 210 ? "sthilaire: mail (210)" : "sthilaire: nextcloud (220)"}: newest copy here is 30.02 h old (limit 30 h): has its site stopped backing up, or its pull stopped?`,
    ),
  },
  {
    title: "sthilaire dead or stolen: the night's pull failed",
    answer: morning((s) => void (pull(s)["last-run-state"] = "connection error: No route to host (os error 113)")),
    alarms: ["the last pull of sthilaire (pull-sthilaire) ended: connection error: No route to host (os error 113) (is sthilaire down, or unreachable?)"],
  },
  { title: "a pull that ended with warnings", answer: morning((s) => void (pull(s)["last-run-state"] = "WARNINGS: 2")), alarms: ["the last pull of sthilaire (pull-sthilaire) ended: WARNINGS: 2 (is sthilaire down, or unreachable?)"] },
  { title: "a pull that has not ended for 31 h", answer: morning((s) => void (pull(s)["last-run-endtime"] = NOW - 31 * HOUR)), alarms: ["the last pull of sthilaire (pull-sthilaire) ended 31.0 h ago (limit 30 h)"] },
  {
    title: "a pull that never ran",
    answer: morning((s) => {
      for (const k of ["last-run-state", "last-run-upid", "last-run-endtime"] as const) delete pull(s)[k];
    }),
    alarms: ["the pull of sthilaire (pull-sthilaire) has never ended"],
  },
  {
    title: "the first pull still running is no alarm (the copies say the rest)",
    answer: morning((s) => {
      delete pull(s)["last-run-state"];
      delete pull(s)["last-run-endtime"];
    }),
    alarms: [],
  },
  { title: "the pull job gone", answer: morning((s) => void (s.sync = [])), alarms: ["the pull of sthilaire (pull-sthilaire) is not configured here"] },
  {
    title: "a forged copy dated two hours ahead",
    answer: morning((s) => void s.snapshots["sthilaire"]?.push({ "backup-type": "ct", "backup-id": "230", "backup-time": NOW + 2 * HOUR, size: 1, protected: false })),
    alarms: [`sthilaire: relay (230): a copy dated ${new Date((NOW + 2 * HOUR) * 1000).toISOString().replace(".000", "")}, 2.0 h after this host's clock (forged, or a wrong clock: never restore it)`],
  },
  {
    title: "no copy of one guest",
    answer: morning((s) => void (s.snapshots["sthilaire"] = (s.snapshots["sthilaire"] ?? []).filter((x) => x["backup-id"] !== "220"))),
    alarms: ["sthilaire: nextcloud (220): no copy here (never pulled, or all pruned)"],
  },
  {
    title: "a drill that failed",
    answer: morning((_, d) => Object.assign(d[0] as object, { ok: false, reason: "the check exited 1: postfix/postfix-script: fatal: the Postfix mail system is not running" })),
    alarms: [`sthilaire: relay (230): the restore drill of ${new Date((NOW - 48 * HOUR) * 1000).toISOString().replace(".000", "")} FAILED: the check exited 1: postfix/postfix-script: fatal: the Postfix mail system is not running`],
  },
  { title: "a drill 9 days old", answer: morning((_, d) => void ((d[1] as Record<string, number>)["at"] = NOW - 9 * 24 * HOUR)), alarms: ["sthilaire: mail (210): last restore drill 9.0 days ago (limit 8): is its timer running?"] },
  {
    title: "no drill ever",
    answer: { ...morning(), drills: null },
    alarms: ["sthilaire: relay (230): never drilled here (no restore of its copy proven yet)", "sthilaire: mail (210): never drilled here (no restore of its copy proven yet)"],
  },
  {
    title: "PBS refusing the listing of the copies",
    answer: morning((s) => void delete s.snapshots["sthilaire"]),
    alarms: [
      "this host's PBS could not be read: GET /admin/datastore/backup/snapshots?ns=sthilaire: curl: (22) The requested URL returned error: 400",
      ...["relay (230)", "mail (210)", "nextcloud (220)"].map((g) => `sthilaire: ${g}: its copies here could not be listed`),
    ],
  },
];

for (const c of CASES) {
  test(`judge: ${c.title}`, () => {
    const r = judge(c.answer);
    if (c.alarms.length === 0) {
      assert.deepEqual({ status: r.status, lines: r.lines }, { status: 0, lines: [ALL_WELL] }, r.stderr);
      return;
    }
    assert.equal(r.status, 1, r.stderr);
    assert.deepEqual(r.lines.slice(0, -1).sort(), c.alarms.map((a) => `dead-man watch: ALARM: ${a}`).sort());
    assert.equal(r.lines.at(-1), `dead-man watch: ${c.alarms.length} alarm(s) (3 copies, 1 pulls, 2 drills checked)`);
  });
}

/** The guests (VMIDs) and jobs a text names, in the forms both the judge and status use: `name (230)`, `pull-sthilaire`. */
function named(lines: readonly string[]): string[] {
  return [...new Set(lines.flatMap((l) => [...l.matchAll(/\((\d+)\)|\b(pull-[a-z]+)\b/g)].map((m) => m[1] ?? m[2] ?? "")))].sort();
}

// The watch on the host and `npm run status` judge the same facts with the same limits: what
// one flags at rouans, the other flags too. Not compared: a listing PBS refused, which status
// leaves "unknown" with one line for PBS, and the judge names guest by guest.
for (const c of CASES.filter((x) => x.title !== "PBS refusing the listing of the copies")) {
  test(`judge and status agree: ${c.title}`, () => {
    const answer = c.answer as Record<string, unknown>;
    const report = reportFromProbe(answer, "backup", ["rouans", "sthilaire"], "rouans");
    assert.ok(report.ok);
    const sthilaire = reportFromProbe(probeAnswerOf(healthyPbs(site("sthilaire"), sites, NOW), NOW, ["sthilaire", "rouans"]), "backup", ["sthilaire", "rouans"], "sthilaire");
    assert.ok(sthilaire.ok);
    const glance = assess(sites, directionsOf(PAIRING, sites), new Map([["rouans", report.report], ["sthilaire", { ...sthilaire.report, drills: [{ vmid: 110, storage: "pbs-rouans", snapshot: "x", ok: true, reason: "", bytes: 1, restoreSeconds: 1, totalSeconds: 1, at: NOW - 3600 }] }]]), new Map());
    // What status says about the copies rouans holds, its pull of them, and their drills there.
    const atRouans = glance.problems.filter((p) => p.startsWith("sthilaire: ") || p.includes("pull-sthilaire"));
    assert.deepEqual(named(atRouans), named(c.alarms));
  });
}

test("judge: each run is recorded whole for npm run status, all well or not, and replaces the last", () => {
  const dir = mkdtempSync(join(tmpdir(), "retzien-watch-results-"));
  try {
    const results = join(dir, "last.json");
    assert.equal(judge(morning(), watchChecks(plan), ["--results", results]).status, 0);
    assert.deepEqual(JSON.parse(readFileSync(results, "utf8")), { at: NOW, ok: true, alarms: [] });
    const dead = morning((s) => void (pull(s)["last-run-state"] = "connection error: No route to host (os error 113)"));
    assert.equal(judge(dead, watchChecks(plan), ["--results", results]).status, 1);
    assert.deepEqual(JSON.parse(readFileSync(results, "utf8")), {
      at: NOW,
      ok: false,
      alarms: ["the last pull of sthilaire (pull-sthilaire) ended: connection error: No route to host (os error 113) (is sthilaire down, or unreachable?)"],
    });
    // Nothing to judge: recorded as an alarm at the host's own time.
    assert.equal(judge("", watchChecks(plan), ["--results", results]).status, 1);
    const blank = JSON.parse(readFileSync(results, "utf8")) as { at: number; ok: boolean; alarms: string[] };
    assert.deepEqual([blank.ok, blank.alarms], [false, ["the status probe gave no answer to judge (0 bytes)"]]);
    assert.ok(Math.abs(blank.at - Date.now() / 1000) < 60);
    assert.deepEqual(readdirSync(dir), ["last.json"], "no temporary file left");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("judge: nothing to judge is an alarm, never all well; bad arguments and a bad checks file are refused", () => {
  for (const answer of ["", "<html>", '{"responses":{}}']) {
    const r = judge(answer);
    assert.equal(r.status, 1);
    assert.match(r.lines[0] ?? "", /^dead-man watch: ALARM: the status probe gave no answer to judge \(\d+ bytes\)$/);
  }
  let r = judge(morning(), watchChecks(plan), ["--verbose"]);
  assert.deepEqual({ status: r.status, stderr: r.stderr.trim() }, { status: 2, stderr: "watch-copies: unknown option --verbose" });
  r = judge(morning(), ["datastore\tbackup", "copy\tsthilaire\tweb\tsthilaire: web\t30"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /checks\.tsv line 2: found 'copy\tsthilaire\tweb\tsthilaire: web\t30', expected datastore NAME, copy NS VMID LABEL HOURS/);
  r = judge(morning(), ["copy\tsthilaire\t230\tx\t30"]);
  assert.deepEqual({ status: r.status, stderr: r.stderr.trim().replace(/^.*(no datastore line)$/, "$1") }, { status: 2, stderr: "no datastore line" });
  const missing = spawnSync("perl", [JUDGE], { encoding: "utf8", input: "{}" });
  assert.deepEqual({ status: missing.status, stderr: missing.stderr.trim() }, { status: 2, stderr: "watch-copies: --watch: found '', expected a readable file" });
});

test("the unit's pipeline: the real probe against a fake PBS on 127.0.0.1, into the judge; a probe that fails fails the watch", { skip: skipUnless("curl", "openssl", "perl") }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "retzien-watch-e2e-"));
  const now = Math.round(Date.now() / 1000);
  const state = healthyPbs(rouans, sites, now);
  const pbs = await startFakePbs(dir, state);
  t.after(async () => {
    await pbs.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const tokenFile = join(dir, "status.secret");
  writeSecret(tokenFile, pbs.secret);
  const checks = join(dir, "checks.tsv");
  writeFileSync(checks, watchChecks(plan).join("\n") + "\n");
  const drills = join(dir, "results.json");
  writeFileSync(drills, JSON.stringify({ drills: plan.drills.map((d) => ({ vmid: d.vmid, storage: d.storage, snapshot: "x", ok: true, reason: "", bytes: 1, restoreSeconds: 1, totalSeconds: 2, at: now - 3600 })) }));
  // The host's Postfix with nothing queued, whatever this machine has installed.
  const pipeline = (probeArgs: string) =>
    runAsync("bash", ["-c", `set -o pipefail; PATH='${EMPTY_MAIL_QUEUE_BIN}':"$PATH"; bash '${PROBE}' ${probeArgs} | perl '${JUDGE}' --watch '${checks}'`], dir, 60_000);
  const args = `--datastore backup --ns sthilaire --api ${pbs.url} --cacert '${pbs.caFile}' --token-file '${tokenFile}' --drill-results '${drills}'`;
  let r = await pipeline(args);
  assert.deepEqual({ status: r.status, out: r.stdout.trim() }, { status: 0, out: ALL_WELL }, r.stderr);
  // sthilaire dies: the night's pull fails.
  Object.assign(state.sync[0] as object, { "last-run-state": "connection error: No route to host (os error 113)" });
  r = await pipeline(args);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^dead-man watch: ALARM: the last pull of sthilaire \(pull-sthilaire\) ended: connection error/m);
  // A token PBS refuses: everything unreadable is an alarm.
  writeSecret(tokenFile, randomUUID());
  r = await pipeline(args);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^dead-man watch: ALARM: this host's PBS could not be read: GET \/admin\/sync: /m);
  // A probe that cannot run at all (bad arguments) fails the pipeline.
  r = await pipeline("--datastore 'bad name'");
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /status-probe: --datastore: found 'bad name'/);
});
