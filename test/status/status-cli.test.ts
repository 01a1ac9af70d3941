/**
 * `npm run status` for real: a loopback sshd, two fake hosts (their paths under
 * --prefix: the status token's secret and PBS's certificate), each with a fake
 * PBS API on 127.0.0.1 that the real probe reaches with curl, pinned to the
 * certificate and with the token; then each problem case with its exit code.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { mailSettingChecks } from "../../src/status/mail-settings";
import { PBS_IDS, tokenSecretFile } from "../../src/backup/names";
import { validateSiteSpecs } from "../../src/program";
import { allSites } from "../../stacks/sites";
import { runScript, runScriptAsync } from "../helpers/cli";
import { type FakePbs, startFakePbs, writeSecret } from "../helpers/fake-pbs-api";
import { freePort, makeEd25519Key, missingForLoopbackSshd, startLoopbackSshd, writeKnownHosts } from "../helpers/loopback-sshd";
import { EMPTY_MAIL_QUEUE_BIN, healthyPbs } from "../helpers/pbs-fixtures";

const why = missingForLoopbackSshd(["curl", "openssl"]);
const { sites } = validateSiteSpecs(allSites);

interface Hosts {
  readonly root: string;
  readonly args: string[];
  readonly pbs: Record<string, FakePbs>;
  run(extra?: string[]): ReturnType<typeof runScriptAsync>;
}

/** One guest's drill as restore-drill.sh records it. */
function drillResult(vmid: number, storage: string, at: number, ok = true, reason = "") {
  return { vmid, storage, snapshot: `${storage}:backup/ct/${vmid}/2026-11-21T01:30:00Z`, ok, reason, bytes: 6 * 1024 ** 3, restoreSeconds: 600, totalSeconds: 700, at: Math.round(at) };
}

function writeDrills(hostDir: string, drills: ReturnType<typeof drillResult>[]): void {
  const file = join(hostDir, "var/lib/retzien/drill/results.json");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ drills })}\n`);
}

/** The dead-man watch's last run as watch-copies.pl records it. */
function writeWatch(hostDir: string, at: number, alarms: string[] = []): void {
  const file = join(hostDir, "var/lib/retzien/watch/last.json");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ at: Math.round(at), ok: alarms.length === 0, alarms })}\n`);
}

/** A Postfix setting on a fake host (`host:relayhost`) or in one of its guests (`230:mynetworks`), as the stand-ins read it. */
function writeSetting(hostDir: string, key: string, value: string): void {
  mkdirSync(join(hostDir, "postfix"), { recursive: true });
  writeFileSync(join(hostDir, "postfix", key.replace(":", "_")), `${value}\n`);
}

/** Both sites healthy under `root`, reached through a loopback sshd, each with its fake PBS. */
async function hosts(t: { after: (fn: () => Promise<void> | void) => void }): Promise<Hosts> {
  const root = mkdtempSync(join(tmpdir(), "retzien-status-"));
  const key = join(root, "operator");
  const authorized = join(root, "authorized_keys");
  writeFileSync(authorized, `${makeEd25519Key(key, "operator")}\n`);
  // Each host's Postfix has nothing waiting (whatever this machine has installed), and its settings and its
  // guests' are in <root>/<site>/postfix/<where>_<param>, the session's site sent by the client (ssh_config's
  // SetEnv below): postconf -h reads the host's, pct exec a guest's.
  const bin = join(root, "bin");
  mkdirSync(bin);
  const standins = {
    postconf: `[ "$1" = -h ] || exit 64\ncat "${root}/$RETZIEN_FAKE_HOST/postfix/host_$2"`,
    pct: `[ "$1 $3 $4 $5" = "exec -- postconf -h" ] || exit 64\ncat "${root}/$RETZIEN_FAKE_HOST/postfix/$2_$6"`,
  };
  for (const [name, body] of Object.entries(standins)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  const sshd = await startLoopbackSshd(root, authorized, { rootLogin: "prohibit-password", path: `${bin}:${EMPTY_MAIL_QUEUE_BIN}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, acceptEnv: "RETZIEN_FAKE_HOST" });
  const now = Date.now() / 1000;
  const pbs: Record<string, FakePbs> = {};
  for (const site of sites) {
    const dir = join(root, site.name);
    mkdirSync(join(dir, "etc/proxmox-backup"), { recursive: true });
    pbs[site.name] = await startFakePbs(dir, healthyPbs(site, sites, now));
    const secretFile = join(dir, tokenSecretFile(PBS_IDS.statusToken));
    mkdirSync(dirname(secretFile), { recursive: true });
    writeSecret(secretFile, (pbs[site.name] as FakePbs).secret);
    copyFileSync((pbs[site.name] as FakePbs).caFile, join(dir, "etc/proxmox-backup/proxy.pem"));
    // Last Saturday's drills passed: each copy this host holds (that its scratch datastore takes), 10 min a restore.
    const held = site.name === "rouans" ? { storage: "pbs-sthilaire", vmids: [230, 210] } : { storage: "pbs-rouans", vmids: [110] };
    writeDrills(dir, held.vmids.map((vmid) => drillResult(vmid, held.storage, now - 2 * 86400)));
    // This morning's watch found all well.
    writeWatch(dir, now - 3 * 3600);
    // Its mail settings are the spec's.
    for (const check of mailSettingChecks(site)) writeSetting(dir, check.key, check.expected);
  }
  t.after(async () => {
    for (const p of Object.values(pbs)) await p.stop();
    await sshd.stop();
    rmSync(root, { recursive: true, force: true });
  });
  const known = join(root, "known_hosts");
  const closed = await freePort();
  writeKnownHosts(known, [sshd.port], sshd.hostPub);
  const config = join(root, "ssh_config");
  const alias = (name: string, port: number) =>
    `Host ${name}\n  HostName 127.0.0.1\n  Port ${port}\n  User root\n  IdentityFile ${key}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${known}\n  StrictHostKeyChecking yes\n  SetEnv RETZIEN_FAKE_HOST=${name.replace(/-test$/, "")}\n`;
  writeFileSync(config, alias("rouans-test", sshd.port) + alias("sthilaire-test", sshd.port) + alias("closed-test", closed));
  const args = ["--ssh-config", config, "--ssh", "rouans=rouans-test", "--ssh", "sthilaire=sthilaire-test"];
  for (const site of sites) args.push("--prefix", `${site.name}=${join(root, site.name)}`, "--api", `${site.name}=${(pbs[site.name] as FakePbs).url}`);
  return { root, args, pbs, run: (extra = []) => runScriptAsync("scripts/status.ts", [...args, ...extra]) };
}

test("all well over SSH: exit 0, every guest at home and at the other site, every job", { skip: why }, async (t) => {
  const h = await hosts(t);
  const r = await h.run();
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^ {2}web \(110\) +home: \S+Z \(6 h, verified\); copy at sthilaire: \S+Z \(6 h, verified\), drill ok \S+Z \(2 d, restore 10 min at 10 MiB\/s\)$/m);
  // rouans' scratch datastore cannot take sthilaire's Nextcloud: said, and not an alarm (the plan warns).
  assert.match(r.stdout, /^ {2}nextcloud \(220\) .*, drill not drilled$/m);
  assert.match(r.stdout, /^ {2}sync pull-sthilaire +ok, \S+Z \(4 h ago\), next \S+Z$/m);
  assert.match(r.stdout, /^ {2}gc backup +ok, \S+Z \(4 h ago\), next \S+Z$/m);
  assert.match(r.stdout, /^ {2}dead-man watch +all well \S+Z \(3 h ago\)$/m);
  assert.match(r.stdout, /^ {2}mail settings +sthilaire's host's alarm path ok; mail's smarthost ok; relay's mynetworks ok$/m);
  assert.match(r.stdout, /^ {2}datastore backup: 600 of 920 GiB used, 65 % \(planner: \d+(\.\d)? GiB once the retention has filled\)$/m);
  assert.match(r.stdout, /^All well\.$/m);
  // The probe only ever read: every request it made was a GET of the admin API.
  for (const p of Object.values(h.pbs)) {
    assert.equal(p.requests.length, 7);
    assert.ok(p.requests.every((x) => x.startsWith("GET /api2/json/admin/")), p.requests.join("\n"));
  }
  const json = await runScriptAsync("scripts/status.ts", [...h.args, "--json"]);
  assert.equal(json.status, 0);
  const glance = JSON.parse(json.stdout) as { sites: { site: string; guests: unknown[] }[]; problems: string[] };
  assert.deepEqual(glance.sites.map((s) => [s.site, s.guests.length]), [["rouans", 1], ["sthilaire", 3]]);
  assert.deepEqual(glance.problems, []);
});

test("each problem case makes status exit 1 and names it", { skip: why }, async (t) => {
  const h = await hosts(t);
  const now = Date.now() / 1000;
  const rouans = (h.pbs["rouans"] as FakePbs).state;
  rouans.sync[0]!["last-run-state"] = "remote sthilaire: connection timed out";
  rouans.snapshots["sthilaire"]!.push({ "backup-type": "ct", "backup-id": "230", "backup-time": Math.round(now + 30 * 86400), size: 1, protected: false });
  (h.pbs["sthilaire"] as FakePbs).state.snapshots["rouans"] = [];
  writeDrills(join(h.root, "rouans"), [drillResult(230, "pbs-sthilaire", now - 10 * 86400), drillResult(210, "pbs-sthilaire", now - 86400, false, "the check exited 1: plesk: not found")]);
  // sthilaire's watch stopped two days ago.
  writeWatch(join(h.root, "sthilaire"), now - 50 * 3600);
  // Plesk lost its smarthost (mail would go straight to each MX, and the firewall drops it), and the relay takes one sender fewer.
  writeSetting(join(h.root, "sthilaire"), "210:relayhost", "");
  writeSetting(join(h.root, "sthilaire"), "230:mynetworks", "127.0.0.0/8 [::1]/128 192.168.20.10/32 [2001:db8:20::10]/128 192.168.20.11/32 [2001:db8:20::11]/128");
  const r = await h.run();
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /^ {2}- rouans: web \(110\) has no snapshot at sthilaire$/m);
  assert.match(r.stdout, /^ {2}- rouans: PBS sync job pull-sthilaire failed: remote sthilaire: connection timed out$/m);
  assert.match(r.stdout, /^ {2}- sthilaire: mail \(210\): the restore drill at rouans of \S+Z FAILED: the check exited 1: plesk: not found$/m);
  assert.match(r.stdout, /^ {2}- sthilaire: relay \(230\): last restore drill at rouans 10 days ago \(limit 8\): is its timer running\?$/m);
  assert.match(r.stdout, /^ {2}- sthilaire: mail's smarthost is "", expected "\[192\.168\.20\.12\]:25": Plesk's smarthost \(Tools & Settings > Mail Server Settings\) 192\.168\.20\.12, port 25: Postfix's relayhost = \[192\.168\.20\.12\]:25$/m);
  assert.match(r.stdout, /^ {2}- sthilaire: relay's mynetworks is "127\.0\.0\.0\/8 .*\/128", expected ".* 192\.168\.20\.2\/32": in relay: postconf -e 'mynetworks = .*', then postfix reload$/m);
  assert.match(r.stdout, /^ {2}- sthilaire: its dead-man watch last ran 50 h ago \(limit 26 h\): is retzien-watch\.timer running\?$/m);
  assert.match(r.stdout, /^ {2}- sthilaire: relay \(230\) at rouans: a snapshot dated \S+, 720 h after rouans's clock \(forged, or a wrong clock: never restore it; rouans must not trust it .*\)$/m);
});

test("a wrong token is refused by PBS, and status says so rather than inventing an answer", { skip: why }, async (t) => {
  const h = await hosts(t);
  writeSecret(join(h.root, "sthilaire", tokenSecretFile(PBS_IDS.statusToken)), "00000000-0000-0000-0000-000000000000");
  const r = await h.run(["--site", "sthilaire"]);
  assert.equal(r.status, 1);
  // One line for every request refused the same way, and nothing invented from the silence.
  assert.match(r.stdout, /^Needs attention \(1\):\n {2}- sthilaire: PBS did not answer 7 requests \(GET \/admin\/datastore\/backup\/status, \.\.\.\): curl: \(22\) .*401\s*$/m);
  assert.match(r.stdout, /^ {2}relay \(230\) +home: unknown; copy at rouans: \S+Z \(6 h, verified\), drill unknown$/m);
});

test("the probe pins the certificate: behind another one, PBS is not asked and status says why", { skip: why }, async (t) => {
  const h = await hosts(t);
  // sthilaire's certificate where rouans' is expected: same names, another key.
  copyFileSync((h.pbs["sthilaire"] as FakePbs).caFile, join(h.root, "rouans", "etc/proxmox-backup/proxy.pem"));
  const r = await h.run();
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /^ {2}- rouans: PBS did not answer 7 requests \(GET \/admin\/datastore\/backup\/status, \.\.\.\): curl: \(60\) SSL certificate problem/m);
  assert.match(r.stdout, /^ {2}web \(110\) +home: unknown; copy at sthilaire: \S+Z \(6 h, verified\), drill ok \S+Z \(2 d, .*\)$/m);
  assert.deepEqual((h.pbs["rouans"] as FakePbs).requests, [], "no request reached the server behind the wrong certificate");
});

test("an unreachable host is named, and an unknown site is refused", { skip: why }, async (t) => {
  const h = await hosts(t);
  const r = await runScriptAsync("scripts/status.ts", [...h.args, "--ssh", "sthilaire=closed-test"]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^sthilaire \(UNREACHABLE\)$/m);
  assert.match(r.stdout, /^ {2}- sthilaire: unreachable \(ssh closed-test: .*Connection refused\)$/m);
  const unknown = runScript("scripts/status.ts", ["--site", "nantes"]);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /^--site: found "nantes", expected one of the sites: rouans, sthilaire$/m);
});
