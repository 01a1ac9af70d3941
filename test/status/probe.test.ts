/**
 * The real status probe (scripts/host/status-probe.sh) run with bash against a
 * fake PBS API on 127.0.0.1: what it asks, what it prints, and that it keeps
 * the token off every command line, checks the certificate, and says what PBS
 * did not answer instead of failing or inventing. No SSH here (status-cli does that).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { validateSiteSpecs } from "../../src/program";
import { allSites } from "../../stacks/sites";
import { runAsync } from "../helpers/cli";
import { type FakePbs, startFakePbs, writeSecret } from "../helpers/fake-pbs-api";
import { freePort } from "../helpers/loopback-sshd";
import { skipUnless } from "../helpers/system-tools";
import { EMPTY_MAIL_QUEUE_BIN, healthyPbs, probeAnswerOf } from "../helpers/pbs-fixtures";

const PROBE = join(__dirname, "..", "..", "scripts", "host", "status-probe.sh");
const skip = skipUnless("curl", "openssl");
const { sites } = validateSiteSpecs(allSites);
const NS = ["rouans", "sthilaire"];
const PATHS = [
  "/admin/datastore/backup/status",
  "/admin/sync",
  "/admin/prune",
  "/admin/verify",
  "/admin/gc/backup",
  "/admin/datastore/backup/snapshots?ns=rouans",
  "/admin/datastore/backup/snapshots?ns=sthilaire",
];

interface Answer {
  now: number;
  responses: Record<string, unknown>;
  errors: string[];
}

interface Setup {
  readonly dir: string;
  readonly pbs: FakePbs;
  readonly tokenFile: string;
  /** The probe's options for this fake, then `extra`. */
  args(extra?: string[]): string[];
  /** The probe run with bash, curl wrapped so that its command lines are logged. */
  probe(args: string[], viaStdin?: boolean): Promise<{ status: number | null; stdout: string; stderr: string; curlArgs: string }>;
}

async function setup(t: { after: (fn: () => Promise<void> | void) => void }): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), "retzien-probe-"));
  const pbs = await startFakePbs(dir, healthyPbs(sites[0]!, sites, Date.now() / 1000));
  t.after(async () => {
    await pbs.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const tokenFile = join(dir, "status.secret");
  writeSecret(tokenFile, pbs.secret);
  // A curl that logs its command line (what ps would show), then runs the real one.
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const realCurl = spawnSync("sh", ["-c", "command -v curl"], { encoding: "utf8" }).stdout.trim();
  const log = join(dir, "curl-args.log");
  writeFileSync(join(bin, "curl"), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${realCurl}' "$@"\n`);
  chmodSync(join(bin, "curl"), 0o755);
  // The units' results files in the test's own folder (absent unless a test writes them), never the machine's.
  const units = ["--drill-results", join(dir, "drill-results.json"), "--watch-results", join(dir, "watch-last.json")];
  const args = (extra: string[] = []) => ["--datastore", "backup", "--ns", "rouans", "--ns", "sthilaire", "--api", pbs.url, "--cacert", pbs.caFile, "--token-file", tokenFile, ...units, ...extra];
  const probe = async (probeArgs: string[], viaStdin = false) => {
    writeFileSync(log, "");
    // After bin, a Postfix with nothing queued, whatever this machine has installed (the queue's own test puts one in bin).
    const env = ["env", `PATH=${bin}:${EMPTY_MAIL_QUEUE_BIN}:${process.env["PATH"] ?? ""}`, "bash"];
    const r = viaStdin
      ? await runAsync(env[0]!, [...env.slice(1), "-s", "--", ...probeArgs], dir, 60_000, readFileSync(PROBE, "utf8"))
      : await runAsync(env[0]!, [...env.slice(1), PROBE, ...probeArgs], dir, 60_000);
    return { ...r, curlArgs: readFileSync(log, "utf8") };
  };
  return { dir, pbs, tokenFile, args, probe };
}

const parse = (stdout: string): Answer => JSON.parse(stdout) as Answer;
const nulls = Object.fromEntries(PATHS.map((p) => [p, null]));

test("a healthy PBS: every path read with one GET each, the API's bodies as they came", { skip }, async (t) => {
  const s = await setup(t);
  const before = Math.floor(Date.now() / 1000);
  const r = await s.probe(s.args());
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, "");
  const answer = parse(r.stdout);
  assert.ok(answer.now >= before && answer.now <= before + 30, `now ${answer.now}`);
  assert.deepEqual(Object.keys(answer.responses), PATHS);
  assert.deepEqual(answer.responses, (probeAnswerOf(s.pbs.state, answer.now, NS) as Answer).responses);
  assert.deepEqual(answer.errors, []);
  // Nothing waiting in the host's Postfix: an empty list (postqueue -j prints nothing), not a failure.
  assert.deepEqual((answer as Answer & { mailQueue: unknown }).mailQueue, []);
  assert.deepEqual(s.pbs.requests, PATHS.map((p) => `GET /api2/json${p}`));
});

test("sent as `bash -s -- ARGS` (as over SSH): the same answer", { skip }, async (t) => {
  const s = await setup(t);
  const r = await s.probe(s.args(), true);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(Object.keys(parse(r.stdout).responses), PATHS);
  assert.deepEqual(parse(r.stdout).errors, []);
});

test("the token never reaches a command line; TLS is checked, https only, never -k", { skip }, async (t) => {
  const s = await setup(t);
  const r = await s.probe(s.args());
  assert.equal(r.status, 0, r.stderr);
  const lines = r.curlArgs.trim().split("\n");
  assert.equal(lines.length, PATHS.length);
  for (const line of lines) {
    assert.ok(!line.includes(s.pbs.secret), "the secret is on curl's command line");
    assert.match(line, / --proto =https /);
    assert.match(line, new RegExp(` --cacert ${s.pbs.caFile} `));
    assert.match(line, / --config - /);
    assert.doesNotMatch(line, /(^| )(-k|--insecure)( |$)/);
  }
});

test("a wrong token: PBS answers 401 to each request, and the probe says so", { skip }, async (t) => {
  const s = await setup(t);
  writeSecret(s.tokenFile, "00000000-0000-0000-0000-000000000000");
  const r = await s.probe(s.args());
  assert.equal(r.status, 0, r.stderr);
  const answer = parse(r.stdout);
  assert.deepEqual(answer.responses, nulls);
  assert.equal(answer.errors.length, PATHS.length);
  answer.errors.forEach((e, i) => assert.match(e, new RegExp(`^GET ${PATHS[i]!.replace(/[?]/g, "\\?")}: curl: \\(22\\) .*401`)));
});

test("no token file, or one that holds no token: nothing is asked of PBS", { skip }, async (t) => {
  const s = await setup(t);
  const missing = join(s.dir, "nowhere.secret");
  const r = await s.probe(s.args(["--token-file", missing]));
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(parse(r.stdout).errors, [`no status token at ${missing}`]);
  assert.deepEqual(parse(r.stdout).responses, nulls);
  writeFileSync(s.tokenFile, 'abc"\nheader = "X-Injected: 1\n');
  const junk = await s.probe(s.args());
  assert.deepEqual(parse(junk.stdout).errors, [`${s.tokenFile} does not hold a token secret`]);
  assert.deepEqual(s.pbs.requests, []);
  assert.equal(junk.curlArgs, "");
});

test("another certificate than the pinned one: refused before any request reaches the server", { skip }, async (t) => {
  const s = await setup(t);
  const other = await startFakePbs(mkdtempSync(join(s.dir, "other-")), healthyPbs(sites[0]!, sites, Date.now() / 1000));
  t.after(() => other.stop());
  const r = await s.probe(s.args(["--cacert", other.caFile]));
  assert.equal(r.status, 0, r.stderr);
  const answer = parse(r.stdout);
  assert.deepEqual(answer.responses, nulls);
  assert.match(answer.errors[0] ?? "", /^GET \/admin\/datastore\/backup\/status: curl: \(60\) SSL certificate problem/);
  assert.deepEqual(s.pbs.requests, []);
});

test("a PBS that does not listen: every request fails fast, the document still comes", { skip }, async (t) => {
  const s = await setup(t);
  const closed = await freePort();
  const started = Date.now();
  const r = await s.probe(s.args(["--api", `https://127.0.0.1:${closed}`]));
  assert.equal(r.status, 0, r.stderr);
  assert.ok(Date.now() - started < 30_000, "bounded by curl's timeouts");
  const answer = parse(r.stdout);
  assert.deepEqual(answer.responses, nulls);
  for (const e of answer.errors) assert.match(e, /: curl: \(7\) /);
});

test("a datastore PBS cannot serve: that path null with its reason, the rest read", { skip }, async (t) => {
  const s = await setup(t);
  s.pbs.state.status = null;
  delete s.pbs.state.snapshots["sthilaire"];
  const answer = parse((await s.probe(s.args())).stdout);
  assert.equal(answer.responses["/admin/datastore/backup/status"], null);
  assert.equal(answer.responses["/admin/datastore/backup/snapshots?ns=sthilaire"], null);
  assert.deepEqual(Object.values(answer.responses).filter((v) => v !== null).length, PATHS.length - 2);
  assert.deepEqual(answer.errors.map((e) => e.replace(/: curl: \(22\) .*error: (\d+)\s*$/, " -> $1")), [
    "GET /admin/datastore/backup/status -> 500",
    "GET /admin/datastore/backup/snapshots?ns=sthilaire -> 400",
  ]);
});

const BAD: [string, string[], RegExp][] = [
  ["plain http, which would send the token in clear", ["--api", "http://127.0.0.1:8007"], /^status-probe: --api: found 'http:\/\/127\.0\.0\.1:8007', expected https:\/\/HOST:PORT$/m],
  ["a namespace that is not a name", ["--ns", "../x"], /^status-probe: --ns: found '\.\.\/x', expected a namespace name$/m],
  ["a datastore that is not a name", ["--datastore", "a b"], /^status-probe: --datastore: found 'a b', expected a datastore name$/m],
  ["an unknown option", ["--insecure"], /^status-probe: unknown option --insecure$/m],
];

for (const [title, extra, message] of BAD) {
  test(`refused before anything is asked: ${title}`, { skip }, async (t) => {
    const s = await setup(t);
    const r = await s.probe(s.args(extra));
    assert.equal(r.status, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, message);
    assert.deepEqual(s.pbs.requests, []);
  });
}

test("the drills' results come along as the drill wrote them; none yet is null; a damaged file is an error", { skip }, async (t) => {
  const s = await setup(t);
  const file = join(s.dir, "drill-results.json");
  const none = parse((await s.probe(s.args(["--drill-results", file]))).stdout) as Answer & { drills: unknown };
  assert.equal(none.drills, null);
  const drills = { drills: [{ vmid: 210, storage: "pbs-sthilaire", snapshot: "pbs-sthilaire:backup/ct/210/2026-11-21T01:30:00Z", ok: true, reason: "", bytes: 1024, restoreSeconds: 60, totalSeconds: 90, at: 1764000000 }] };
  writeFileSync(file, `${JSON.stringify(drills)}\n`);
  const read = parse((await s.probe(s.args(["--drill-results", file]))).stdout) as Answer & { drills: unknown };
  assert.deepEqual(read.drills, drills);
  assert.deepEqual(read.errors, []);
  writeFileSync(file, "half a file");
  const damaged = parse((await s.probe(s.args(["--drill-results", file]))).stdout) as Answer & { drills: unknown };
  assert.equal(damaged.drills, null);
  assert.deepEqual(damaged.errors, [`${file} is not the drills' JSON`]);
});

test("the dead-man watch's last run comes along as it wrote it; none yet is null; a damaged file is an error", { skip }, async (t) => {
  const s = await setup(t);
  const file = join(s.dir, "watch-last.json");
  type WithWatch = Answer & { watch: unknown };
  assert.equal((parse((await s.probe(s.args())).stdout) as WithWatch).watch, null);
  const run = { alarms: ["the pull of sthilaire (pull-sthilaire) has never ended"], at: 1764000000, ok: false };
  writeFileSync(file, `${JSON.stringify(run)}\n`);
  const read = parse((await s.probe(s.args())).stdout) as WithWatch;
  assert.deepEqual([read.watch, read.errors], [run, []]);
  writeFileSync(file, "");
  const damaged = parse((await s.probe(s.args())).stdout) as WithWatch;
  assert.deepEqual([damaged.watch, damaged.errors], [null, [`${file} is not the dead-man watch's JSON`]]);
});

test("the host's mail queue, as postqueue -j prints it: the alarms that wait there are in the answer; a failing postqueue is an error, not an empty queue", { skip }, async (t) => {
  const s = await setup(t);
  // A postqueue that prints what Postfix's does (postqueue(1), -j: one JSON object per message).
  const queued = [
    { queue_name: "deferred", queue_id: "4F1A2B3C", arrival_time: 1764900000, message_size: 812, sender: "root@rouans", recipients: [{ address: "technique@retzien.fr", delay_reason: "connect to 203.0.113.25[203.0.113.25]:25: Connection timed out" }] },
    { queue_name: "active", queue_id: "5A6B7C8D", arrival_time: 1764903600, message_size: 640, sender: "root@rouans", recipients: [{ address: "technique@retzien.fr" }] },
  ];
  const postqueue = join(s.dir, "bin", "postqueue");
  writeFileSync(postqueue, `#!/bin/sh\n[ "$1" = -j ] || exit 64\ncat <<'EOF'\n${queued.map((q) => JSON.stringify(q)).join("\n")}\nEOF\n`);
  chmodSync(postqueue, 0o755);
  const r = await s.probe(s.args());
  assert.equal(r.status, 0, r.stderr);
  const answer = JSON.parse(r.stdout) as Answer & { mailQueue: unknown };
  assert.deepEqual(answer.mailQueue, queued);
  assert.deepEqual(answer.errors, []);

  writeFileSync(postqueue, "#!/bin/sh\necho 'postqueue: fatal: Queue report unavailable - mail system is down' >&2\nexit 69\n");
  const down = JSON.parse((await s.probe(s.args())).stdout) as Answer & { mailQueue: unknown };
  assert.equal(down.mailQueue, null);
  assert.deepEqual(down.errors, ["postqueue -j failed: this host's mail queue is unknown"]);
});
