/**
 * The PBS setup commands, run for real with bash against a stand-in of
 * `proxmox-backup-manager` that accepts only the options PBS documents and
 * keeps what it was asked to make: each create converges when run twice, each
 * delete leaves nothing of what its create made, and a misspelt option fails.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  type HostCommands,
  datastoreCommands,
  installCommands,
  keepOptions,
  principalCommands,
  pruneJobCommands,
  remoteCommands,
  shq,
  syncJobCommands,
  verifyJobCommands,
  notificationCommands,
  pveNotificationCommands,
  gotifyCommands,
  pveGotifyCommands,
} from "../../src/backup/pbs-commands";

const STANDINS = resolve(__dirname, "..", "fixtures", "standins");

interface Host {
  readonly dir: string;
  run(script: string): { status: number | null; stdout: string; stderr: string };
  state(): Record<string, Record<string, unknown>>;
  /** What the pvesh stand-in keeps: PVE's notification objects. */
  pveState(): Record<string, Record<string, unknown>>;
  calls(): string[];
}

function host(): Host {
  const dir = mkdtempSync(join(tmpdir(), "retzien-pbs-"));
  const env = { ...process.env, PATH: `${STANDINS}:${process.env["PATH"] ?? ""}`, PBS_STATE: join(dir, "state.json"), PVE_STATE: join(dir, "pve.json"), STANDIN_LOG: join(dir, "calls.log") };
  return {
    dir,
    run: (script) => {
      const r = spawnSync("bash", ["-c", script], { env, encoding: "utf8", timeout: 20_000 });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    state: () => (existsSync(env.PBS_STATE) ? JSON.parse(readFileSync(env.PBS_STATE, "utf8")) : {}),
    pveState: () => (existsSync(env.PVE_STATE) ? JSON.parse(readFileSync(env.PVE_STATE, "utf8")) : {}),
    calls: () => (existsSync(env.STANDIN_LOG) ? readFileSync(env.STANDIN_LOG, "utf8").trim().split("\n") : []),
  };
}

/** Runs create twice (the state must not change the second time) and returns the state after it. */
function converge(h: Host, cmds: HostCommands): Record<string, Record<string, unknown>> {
  const first = h.run(cmds.create);
  assert.equal(first.status, 0, first.stderr);
  const after = JSON.stringify(h.state());
  const second = h.run(cmds.create);
  assert.equal(second.status, 0, second.stderr);
  assert.equal(JSON.stringify(h.state()), after, "a second create changed something");
  return h.state();
}

test("shq quotes any text as one shell word", () => {
  const h = host();
  for (const text of ["plain", "it's", "$(reboot)", "a b\nc", "'"]) assert.equal(h.run(`printf '%s' ${shq(text)}`).stdout, text);
  rmSync(h.dir, { recursive: true });
});

test("keep options in PBS's names, only the rules set", () => {
  assert.equal(keepOptions({ keepDaily: 7, keepWeekly: 4, keepMonthly: 3 }), "--keep-daily 7 --keep-weekly 4 --keep-monthly 3");
  assert.equal(keepOptions({ keepLast: 2, keepYearly: 1 }), "--keep-last 2 --keep-yearly 1");
});

test("datastore: created once with its GC schedule and namespaces, updated after; delete drops the config only", () => {
  const h = host();
  h.run("proxmox-backup-manager datastore list >/dev/null");
  const cmds = datastoreCommands({ name: "backup", path: "/mnt/backup/pbs", gcSchedule: "*-*-* 08:30", namespaces: ["rouans", "sthilaire"] });
  const state = converge(h, cmds);
  assert.deepEqual(state["datastore"], { backup: { "gc-schedule": "*-*-* 08:30", "notification-mode": "notification-system", comment: "retzien: own snapshots and held copies", path: "/mnt/backup/pbs" } });
  assert.deepEqual(state["namespace"], { "backup/rouans": true, "backup/sthilaire": true });
  assert.deepEqual(
    h.calls().filter((c) => / (create|update) /.test(c)),
    [
      "proxmox-backup-manager datastore create backup /mnt/backup/pbs --gc-schedule *-*-* 08:30 --notification-mode notification-system --comment retzien: own snapshots and held copies",
      "proxmox-backup-debug api create /admin/datastore/backup/namespace --name rouans",
      "proxmox-backup-debug api create /admin/datastore/backup/namespace --name sthilaire",
      "proxmox-backup-manager datastore update backup --gc-schedule *-*-* 08:30 --notification-mode notification-system",
      "proxmox-backup-debug api create /admin/datastore/backup/namespace --name rouans",
      "proxmox-backup-debug api create /admin/datastore/backup/namespace --name sthilaire",
    ],
  );
  assert.equal(h.run(cmds.delete).status, 0);
  assert.deepEqual(h.state()["datastore"], {});
  assert.doesNotMatch(cmds.delete, /destroy-data/);
  // Gone already (removed by hand): nothing to do, no failure.
  assert.equal(h.run(cmds.delete).status, 0);
  rmSync(h.dir, { recursive: true });
});

test("jobs: a second run updates them in place, so PBS keeps when they last ran; a retention rule the spec drops is cleared", () => {
  const h = host();
  converge(h, datastoreCommands({ name: "backup", path: "/mnt/backup/pbs", gcSchedule: "*-*-* 08:30", namespaces: ["rouans"] }));
  const prune = (retention: { keepDaily: number; keepWeekly?: number; keepMonthly: number }) => pruneJobCommands({ id: "prune-own", store: "backup", namespace: "rouans", schedule: "*-*-* 07:00", retention });
  const jobs = [prune({ keepDaily: 7, keepWeekly: 4, keepMonthly: 3 }), verifyJobCommands({ id: "verify-own", store: "backup", schedule: "sun 09:00", outdatedAfterDays: 30 })];
  for (const j of jobs) assert.equal(h.run(j.create).status, 0);
  // The jobs ran once: PBS keeps that in its job state, which a job's removal deletes with it.
  const file = join(h.dir, "state.json");
  const ran = { ...JSON.parse(readFileSync(file, "utf8")), jobstate: { "prune-job/prune-own": { lastRun: 1764900000 }, "verify-job/verify-own": { lastRun: 1764900000 } } };
  writeFileSync(file, JSON.stringify(ran));
  const changed = prune({ keepDaily: 14, keepMonthly: 3 });
  for (const j of [changed, jobs[1] as HostCommands]) assert.equal(h.run(j.create).status, 0);
  assert.deepEqual(Object.keys((h.state() as Record<string, unknown>)["jobstate"] as object).sort(), ["prune-job/prune-own", "verify-job/verify-own"]);
  assert.deepEqual(h.state()["prune-job"]?.["prune-own"], { store: "backup", ns: "rouans", "max-depth": "0", schedule: "*-*-* 07:00", "keep-daily": "14", "keep-monthly": "3" });
  rmSync(h.dir, { recursive: true });
});

test("datastore: its delete leaves the store's jobs and ACLs, which PBS's datastore remove would delete with it", () => {
  const h = host();
  const store = datastoreCommands({ name: "backup", path: "/mnt/backup/pbs", gcSchedule: "*-*-* 08:30", namespaces: ["rouans"] });
  converge(h, store);
  converge(h, pruneJobCommands({ id: "prune-own", store: "backup", namespace: "rouans", schedule: "*-*-* 07:00", retention: { keepDaily: 7, keepWeekly: 4, keepMonthly: 3 } }));
  converge(h, verifyJobCommands({ id: "verify-own", store: "backup", schedule: "sun 09:00", outdatedAfterDays: 30 }));
  converge(h, principalCommands({ user: "sync-sthilaire@pbs", acls: [{ path: "/datastore/backup/rouans", role: "DatastoreReader" }], comment: "pulls" }));
  assert.equal(h.run(store.delete).status, 0);
  assert.deepEqual(Object.keys(h.state()["prune-job"] ?? {}), ["prune-own"]);
  assert.deepEqual(Object.keys(h.state()["verify-job"] ?? {}), ["verify-own"]);
  assert.deepEqual(h.state()["acl"], ["/datastore/backup/rouans DatastoreReader sync-sthilaire@pbs"]);
  // What PBS does without the flag, as the stand-in follows it: the jobs and ACLs go too.
  converge(h, store);
  assert.equal(h.run("proxmox-backup-manager datastore remove backup").status, 0);
  assert.deepEqual([h.state()["prune-job"], h.state()["verify-job"], h.state()["acl"]], [{}, {}, []]);
  rmSync(h.dir, { recursive: true });
});

test("datastore: a backup disk that survived its host is taken back with its snapshots, not refused", () => {
  const h = host();
  const path = join(h.dir, "pbs");
  mkdirSync(join(path, ".chunks"), { recursive: true });
  const cmds = datastoreCommands({ name: "backup", path, gcSchedule: "*-*-* 08:30", namespaces: [] });
  assert.equal(h.run(cmds.create).status, 0);
  assert.deepEqual(h.calls().filter((c) => c.includes(" create ")), [
    `proxmox-backup-debug api create /config/datastore --name backup --path ${path} --reuse-datastore true --gc-schedule *-*-* 08:30 --notification-mode notification-system --comment retzien: own snapshots and held copies`,
  ]);
  assert.deepEqual(Object.keys(h.state()["datastore"] ?? {}), ["backup"]);
  rmSync(h.dir, { recursive: true });
});

test("datastore: PBS 3's CLI has no --reuse-datastore (added in 4.0.11), so a surviving disk is taken back through the API, which has it since 3.3", () => {
  const h = host();
  const path = join(h.dir, "pbs");
  mkdirSync(join(path, ".chunks"), { recursive: true });
  const pbs3 = (script: string) => spawnSync("bash", ["-c", script], { encoding: "utf8", env: { ...process.env, PATH: `${STANDINS}:${process.env["PATH"] ?? ""}`, PBS_STATE: join(h.dir, "state.json"), STANDIN_LOG: join(h.dir, "calls.log"), PBS_VERSION: "3.4.0" } });
  const refused = pbs3(`proxmox-backup-manager datastore create backup ${path} --reuse-datastore true`);
  assert.equal(refused.status, 255);
  assert.match(refused.stderr, /^Error: parameter verification failed - 'reuse-datastore': schema does not allow additional properties\.$/m);
  const cmds = datastoreCommands({ name: "backup", path, gcSchedule: "*-*-* 08:30", namespaces: ["rouans"] });
  const run = pbs3(cmds.create);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(Object.keys(h.state()["datastore"] ?? {}), ["backup"]);
  rmSync(h.dir, { recursive: true });
});

test("install: a PBS older than the oldest this program was checked against stops it with the version and what to do", () => {
  const h = host();
  const old = spawnSync("bash", ["-c", installCommands(2).create], { encoding: "utf8", env: { ...process.env, PATH: `${STANDINS}:${process.env["PATH"] ?? ""}`, STANDIN_LOG: join(h.dir, "calls.log"), PBS_VERSION: "3.2.4" } });
  assert.equal(old.status, 1);
  assert.match(old.stderr, /^proxmox-backup-server 3\.2\.4-1 is older than 3\.3, the oldest this program runs on: upgrade it \(apt full-upgrade\)$/m);
  rmSync(h.dir, { recursive: true });
});

test("a token: made once, its secret in a root-only file printed on every run, ACLs on user and token; delete undoes all", () => {
  const h = host();
  const tokenDir = join(h.dir, "tokens");
  const cmds = principalCommands({
    user: "sync-rouans@pbs",
    token: "sync-rouans@pbs!pull",
    acls: [{ path: "/datastore/backup/sthilaire", role: "DatastoreReader" }],
    comment: "rouans pulls its copies of sthilaire",
    printSecret: true,
    tokenDir,
  });
  const first = h.run(cmds.create);
  assert.equal(first.status, 0, first.stderr);
  const secret = first.stdout.trim();
  assert.match(secret, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const state = converge(h, cmds);
  assert.equal(h.run(cmds.create).stdout.trim(), secret, "a re-run must print the same secret, not make a new token");
  assert.deepEqual(Object.keys(state["user"] ?? {}), ["sync-rouans@pbs"]);
  assert.deepEqual(state["token"], { "sync-rouans@pbs!pull": secret });
  assert.deepEqual(state["acl"], ["/datastore/backup/sthilaire DatastoreReader sync-rouans@pbs", "/datastore/backup/sthilaire DatastoreReader sync-rouans@pbs!pull"]);
  const file = join(tokenDir, "sync-rouans_pbs_pull.secret");
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(tokenDir).mode & 0o777, 0o700);

  assert.equal(h.run(cmds.delete).status, 0);
  const after = h.state();
  assert.deepEqual([after["user"], after["token"], after["acl"]], [{}, {}, []]);
  assert.equal(existsSync(file), false);
  rmSync(h.dir, { recursive: true });
});

test("what an ACL grants, as PBS computes it: a token holds no more than its user, a deeper entry replaces a higher one, propagate 0 stops at its path, NoAccess takes all", () => {
  const h = host();
  const can = (id: string, path: string) => {
    const r = h.run(`proxmox-backup-manager user permissions '${id}' --path ${path} --output-format json`);
    assert.equal(r.status, 0, r.stderr);
    return Object.keys((JSON.parse(r.stdout) as Record<string, Record<string, boolean>>)[path] ?? {}).sort();
  };
  const grant = (path: string, role: string, id: string, extra = "") => assert.equal(h.run(`proxmox-backup-manager acl update ${path} ${role} --auth-id '${id}' ${extra}`).status, 0);
  grant("/datastore/backup", "DatastoreReader", "u@pbs!t");
  assert.deepEqual(can("u@pbs!t", "/datastore/backup/rouans"), [], "the token alone: nothing, its user holds nothing there");
  grant("/datastore/backup", "DatastoreBackup", "u@pbs");
  assert.deepEqual(can("u@pbs!t", "/datastore/backup/rouans"), [], "the user's Backup is not the token's Reader");
  grant("/datastore/backup", "DatastoreAdmin", "u@pbs");
  assert.deepEqual(can("u@pbs!t", "/datastore/backup/rouans"), ["Datastore.Audit", "Datastore.Read", "Datastore.Verify"]);
  grant("/datastore/backup/rouans", "DatastoreAudit", "u@pbs!t");
  assert.deepEqual(can("u@pbs!t", "/datastore/backup/rouans"), ["Datastore.Audit"], "a deeper entry replaces what propagates from above");
  grant("/datastore/backup/x", "DatastoreReader", "v@pbs", "--propagate false");
  assert.deepEqual([can("v@pbs", "/datastore/backup/x"), can("v@pbs", "/datastore/backup/x/y")], [["Datastore.Audit", "Datastore.Read", "Datastore.Verify"], []]);
  grant("/datastore/backup/rouans", "NoAccess", "u@pbs");
  assert.deepEqual(can("u@pbs", "/datastore/backup/rouans"), []);
  rmSync(h.dir, { recursive: true });
});

test("a pull logs in to the remote's PBS: a token it no longer knows, a disabled user or no read on the namespace is refused, on a fake host of the engine suite", () => {
  const world = mkdtempSync(join(tmpdir(), "retzien-world-"));
  const at = (site: string) => {
    mkdirSync(join(world, site, "state"), { recursive: true });
    const env = { ...process.env, PATH: `${STANDINS}:${process.env["PATH"] ?? ""}`, PBS_STATE: join(world, site, "state", "pbs.json"), STANDIN_LOG: join(world, site, "calls.log"), FAKE_HOST_ROOT: join(world, site) };
    return (script: string) => spawnSync("bash", ["-c", script], { env, encoding: "utf8", timeout: 20_000 });
  };
  const [source, holder] = [at("rouans"), at("sthilaire")];
  const made = source(`proxmox-backup-manager user create sync-sthilaire@pbs && proxmox-backup-manager user generate-token sync-sthilaire@pbs pull`);
  assert.equal(made.status, 0, made.stderr);
  const secret = /"value": "([^"]+)"/.exec(made.stdout)?.[1] ?? "";
  const remote = (password: string) => holder(`proxmox-backup-manager remote create rouans --host 10.77.0.1 --auth-id 'sync-sthilaire@pbs!pull' --password '${password}' --fingerprint ${"00:".repeat(31)}00 2>/dev/null || proxmox-backup-manager remote update rouans --password '${password}'`);
  const pull = () => holder("proxmox-backup-manager pull rouans backup backup --ns rouans --remote-ns rouans");
  assert.equal(remote(randomUUID()).status, 0);
  assert.match(pull().stderr, /401 Unauthorized: authentication failure for sync-sthilaire@pbs!pull/, "an old secret");
  assert.equal(remote(secret).status, 0);
  assert.match(pull().stderr, /403 Forbidden: sync-sthilaire@pbs!pull may not read \/datastore\/backup\/rouans/, "no ACL yet");
  for (const id of ["sync-sthilaire@pbs", "sync-sthilaire@pbs!pull"]) assert.equal(source(`proxmox-backup-manager acl update /datastore/backup/rouans DatastoreReader --auth-id '${id}'`).status, 0);
  assert.equal(pull().status, 0, pull().stderr);
  assert.equal(source("proxmox-backup-manager user update sync-sthilaire@pbs --enable false").status, 0);
  assert.match(pull().stderr, /401 Unauthorized: sync-sthilaire@pbs!pull: user account disabled or expired/, "a failover locks the lost host out");
  rmSync(world, { recursive: true });
});

test("a token whose secret file was lost is made anew, never left unreadable", () => {
  const h = host();
  const tokenDir = join(h.dir, "tokens");
  const cmds = principalCommands({ user: "pve@pbs", token: "pve@pbs!vzdump", acls: [], comment: "pve", printSecret: true, tokenDir });
  const before = h.run(cmds.create).stdout.trim();
  rmSync(join(tokenDir, "pve_pbs_vzdump.secret"));
  const after = h.run(cmds.create);
  assert.equal(after.status, 0, after.stderr);
  assert.notEqual(after.stdout.trim(), before);
  assert.deepEqual(h.state()["token"], { "pve@pbs!vzdump": after.stdout.trim() });
  rmSync(h.dir, { recursive: true });
});

test("prune, verify, remote and sync jobs: exact settings, re-runs converge, deletes leave nothing", () => {
  const h = host();
  const prune = pruneJobCommands({ id: "prune-sthilaire", store: "backup", namespace: "sthilaire", schedule: "*-*-* 08:00", retention: { keepDaily: 7, keepWeekly: 4, keepMonthly: 3 } });
  const verify = verifyJobCommands({ id: "verify-backup", store: "backup", schedule: "sun 10:00", outdatedAfterDays: 30 });
  const remote = remoteCommands({ name: "sthilaire", host: "10.77.0.2", port: 8007, authId: "sync-rouans@pbs!pull", secret: "s3cret", fingerprint: "aa:bb" });
  const sync = syncJobCommands({
    id: "pull-sthilaire",
    store: "backup",
    namespace: "sthilaire",
    remote: "sthilaire",
    remoteStore: "backup",
    remoteNamespace: "sthilaire",
    owner: "offsite@pbs",
    schedule: "*-*-* 02:45",
    rateInKiB: 1660,
  });
  for (const c of [prune, verify, remote, sync]) converge(h, c);
  assert.deepEqual(h.state()["prune-job"], {
    "prune-sthilaire": { store: "backup", ns: "sthilaire", "max-depth": "0", schedule: "*-*-* 08:00", "keep-daily": "7", "keep-weekly": "4", "keep-monthly": "3" },
  });
  assert.deepEqual(h.state()["verify-job"], { "verify-backup": { store: "backup", schedule: "sun 10:00", "ignore-verified": "true", "outdated-after": "30" } });
  assert.deepEqual(h.state()["remote"], { sthilaire: { host: "10.77.0.2", port: "8007", "auth-id": "sync-rouans@pbs!pull", password: "s3cret", fingerprint: "aa:bb" } });
  assert.deepEqual(h.state()["sync-job"], {
    "pull-sthilaire": {
      store: "backup",
      ns: "sthilaire",
      remote: "sthilaire",
      "remote-store": "backup",
      "remote-ns": "sthilaire",
      "max-depth": "0",
      owner: "offsite@pbs",
      schedule: "*-*-* 02:45",
      "rate-in": "1660KiB",
      "remove-vanished": "false",
      "transfer-last": "1",
      "resync-corrupt": "true",
    },
  });
  for (const c of [sync, remote, verify, prune]) assert.equal(h.run(c.delete).status, 0);
  const left = h.state();
  assert.deepEqual([left["prune-job"], left["verify-job"], left["remote"], left["sync-job"]], [{}, {}, {}, {}]);
  rmSync(h.dir, { recursive: true });
});

test("an option PBS does not know fails the command, and the stand-in says which", () => {
  const h = host();
  const broken = syncJobCommands({
    id: "pull-x",
    store: "backup",
    namespace: "x",
    remote: "x",
    remoteStore: "backup",
    remoteNamespace: "x",
    owner: "offsite@pbs",
    schedule: "*-*-* 02:45",
    rateInKiB: 10,
  }).create.replaceAll("--remove-vanished", "--remove-vanish");
  const r = h.run(broken);
  assert.equal(r.status, 255);
  assert.match(r.stderr, /'remove-vanish': schema does not allow additional properties/);
  assert.deepEqual(h.state()["sync-job"] ?? {}, {});
  rmSync(h.dir, { recursive: true });
});

test("the install pins the certificate: its stdout is the fingerprint alone, and PBS's memory is capped at the planned size", () => {
  const cmds = installCommands(3);
  assert.match(cmds.create, /^printf '\[Service\]\\nMemoryHigh=3G\\n' > '\/etc\/systemd\/system\/proxmox-backup-proxy\.service\.d\/retzien-memory\.conf'$/m);
  assert.match(cmds.create, /^proxmox-backup-manager cert info \| sed -n 's\/\^Fingerprint \(sha256\): \/\/p'$/m);
  // Every other command's output goes to stderr, so stdout is exactly the fingerprint.
  assert.match(cmds.create, /apt-get update -q >&2\n.*apt-get install -y -q proxmox-backup-server >&2/);
  const h = host();
  const fingerprintLine = cmds.create.split("\n").find((l) => l.startsWith("proxmox-backup-manager cert info")) as string;
  assert.equal(h.run(fingerprintLine).stdout, "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff\n");
  assert.doesNotMatch(cmds.delete, /apt-get|remove proxmox-backup-server/);
  rmSync(h.dir, { recursive: true });
});

test("notifications: the operators as a sendmail target, every warning or error to them, the datastore on the notification system; delete leaves none", () => {
  const h = host();
  // The datastore puts itself on the notification system (made again, it would otherwise be back on the legacy mode).
  assert.equal(h.run(datastoreCommands({ name: "backup", path: "/mnt/backup/pbs", gcSchedule: "*-*-* 08:30", namespaces: [] }).create).status, 0);
  const cmds = notificationCommands({ store: "backup", mailTo: ["technique@retzien.fr", "it's@retzien.fr"] });
  const state = converge(h, cmds);
  assert.deepEqual(state["notification endpoint sendmail"], { "retzien-operators": { mailto: "technique@retzien.fr,it's@retzien.fr", comment: "retzien: the operators" } });
  assert.deepEqual(state["notification matcher"], {
    "retzien-failures": { target: "retzien-operators", "match-severity": "warning,error", mode: "all", comment: "retzien: every job that warns or fails" },
  });
  assert.equal((state["datastore"]?.["backup"] as Record<string, string>)["notification-mode"], "notification-system");
  assert.equal(h.run(cmds.delete).status, 0);
  assert.deepEqual(h.state()["notification endpoint sendmail"], {});
  assert.deepEqual(h.state()["notification matcher"], {});
  rmSync(h.dir, { recursive: true });
});

test("a Gotify server: its PBS target, the matcher sending to both, its server and token for the host's own alarms; delete leaves none", () => {
  const h = host();
  assert.equal(h.run(datastoreCommands({ name: "backup", path: "/mnt/backup/pbs", gcSchedule: "*-*-* 08:30", namespaces: [] }).create).status, 0);
  const token = `A${randomUUID().replace(/-/g, "").slice(0, 14)}`;
  const file = join(h.dir, "notify", "gotify");
  const gotify = gotifyCommands({ server: "https://push.example.org", token, file });
  const notify = notificationCommands({ store: "backup", mailTo: ["technique@retzien.fr"], gotify: true });
  // The matcher names the Gotify target: without it, PBS refuses the matcher.
  assert.notEqual(h.run(notify.create).status, 0);
  converge(h, gotify);
  const state = converge(h, notify);
  assert.deepEqual(state["notification endpoint gotify"], { "retzien-gotify": { server: "https://push.example.org", token, comment: "retzien: the operators, pushed" } });
  assert.equal((state["notification matcher"]?.["retzien-failures"] as Record<string, string>)["target"], "retzien-operators,retzien-gotify");
  assert.equal(readFileSync(file, "utf8"), `https://push.example.org\n${token}\n`);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  // A new token while the matcher names the target: updated in place (PBS refuses to delete a target in use).
  const rotated = gotifyCommands({ server: "https://push.example.org", token: `${token}B`, file });
  const again = h.run(rotated.create);
  assert.equal(again.status, 0, again.stderr);
  assert.equal((h.state()["notification endpoint gotify"]?.["retzien-gotify"] as Record<string, string>)["token"], `${token}B`);
  assert.match(h.run("proxmox-backup-manager notification endpoint gotify delete retzien-gotify").stderr, /cannot delete 'retzien-gotify', referenced by: retzien-failures/);
  // Deleted in the engine's order: the matcher's command first, then the target's.
  assert.equal(h.run(notify.delete).status, 0);
  assert.equal(h.run(gotify.delete).status, 0);
  assert.deepEqual(h.state()["notification endpoint gotify"], {});
  assert.ok(!existsSync(file));
  rmSync(h.dir, { recursive: true });
});

test("PVE's notifications through pvesh, as pve-manager's API takes them: the operators' target, the matcher, and the Gotify target before it; delete leaves none", () => {
  const h = host();
  const plain = pveNotificationCommands(["technique@retzien.fr", "it's@retzien.fr"]);
  /** Runs create twice (PVE's objects must not change the second time) and returns them. */
  const pveConverge = (cmds: HostCommands) => {
    for (let i = 0; i < 2; i++) {
      const r = h.run(cmds.create);
      assert.equal(r.status, 0, r.stderr);
    }
    return h.pveState();
  };
  let state = pveConverge(plain);
  assert.deepEqual(state["endpoints/sendmail"], { "retzien-operators": { mailto: "technique@retzien.fr,it's@retzien.fr", comment: "retzien: the operators" } });
  assert.deepEqual(state["matchers"], {
    "retzien-failures": { target: "retzien-operators", "match-severity": "warning,error", mode: "all", comment: "retzien: every backup that warns or fails" },
  });
  assert.equal(h.run(plain.delete).status, 0);
  assert.deepEqual([h.pveState()["endpoints/sendmail"], h.pveState()["matchers"]], [{}, {}]);

  // With a Gotify server: its target must exist before the matcher that names it.
  const token = `A${randomUUID().replace(/-/g, "").slice(0, 14)}`;
  const gotify = pveGotifyCommands({ server: "https://push.example.org", token });
  const both = pveNotificationCommands(["technique@retzien.fr"], true);
  const refused = h.run(both.create);
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /target 'retzien-gotify' does not exist/);
  pveConverge(gotify);
  state = pveConverge(both);
  assert.deepEqual(state["endpoints/gotify"], { "retzien-gotify": { server: "https://push.example.org", token, comment: "retzien: the operators, pushed" } });
  assert.equal((state["matchers"]?.["retzien-failures"] as Record<string, string>)["target"], "retzien-operators,retzien-gotify");
  assert.doesNotMatch(gotify.delete, new RegExp(token));
  // A new token while the matcher names the target: updated in place, as on PBS.
  const rotated = h.run(pveGotifyCommands({ server: "https://push.example.org", token: `${token}B` }).create);
  assert.equal(rotated.status, 0, rotated.stderr);
  assert.equal((h.pveState()["endpoints/gotify"]?.["retzien-gotify"] as Record<string, string>)["token"], `${token}B`);
  // The engine deletes the matcher's command first, then the target's.
  assert.equal(h.run(both.delete).status, 0);
  assert.equal(h.run(gotify.delete).status, 0);
  assert.deepEqual([h.pveState()["endpoints/gotify"], h.pveState()["matchers"]], [{}, {}]);
  // A misspelt parameter is refused as PVE refuses it.
  const typo = h.run("pvesh create /cluster/notifications/matchers --name x --target retzien-operators --severity error");
  assert.equal(typo.status, 255);
  assert.equal(typo.stderr, "Unknown option: severity\n400 unable to parse option\n");
  rmSync(h.dir, { recursive: true });
});
