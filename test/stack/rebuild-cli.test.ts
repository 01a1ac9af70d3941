/**
 * `npm run rebuild` as a volunteer runs it, against stand-ins for pulumi, ssh and
 * pct (and the host tools ssh reaches) that record their calls: order and
 * arguments, a failure midway and the resume, confirmations, and bad input that
 * runs nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runScript } from "../helpers/cli";
import { PROJECT_ROOT } from "../helpers/stacks";

const STANDINS = join(PROJECT_ROOT, "test", "fixtures", "standins");

interface Sandbox {
  readonly dir: string;
  readonly log: string;
  readonly status: string;
  calls(): string[];
  run(args: string[], env?: Record<string, string>): ReturnType<typeof runScript>;
}

/** A temp dir with a call log and a fresh status file of the copies of `site`. */
function sandbox(t: { after: (fn: () => void) => void }, site: string, vmids: number[], finishedAt = new Date()): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), "retzien-rebuild-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, "calls.log");
  const status = join(dir, "status.json");
  writeFileSync(
    status,
    JSON.stringify({
      version: 1,
      peer: site,
      startedAt: finishedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      ok: true,
      dryRun: false,
      bytesOnWire: 10,
      errors: [],
      guests: vmids.map((vmid) => ({ vmid, type: "lxc", newestCopy: `vzdump-lxc-${vmid}-2026_11_24-01_00_00.tar.gz`, newestCopyBytes: 1024 ** 3, ageHours: 5, stale: false })),
    }),
  );
  return {
    dir,
    log,
    status,
    calls: () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").filter(Boolean) : []),
    run: (args, env = {}) =>
      runScript("scripts/rebuild.ts", [...args, "--log", join(dir, "run.log")], PROJECT_ROOT, {
        PATH: `${STANDINS}:${process.env["PATH"] ?? ""}`,
        STANDIN_LOG: log,
        ...env,
      }),
  };
}

/** The program name and first word of each recorded call: the order at a glance. */
const shape = (calls: string[]) => calls.map((c) => c.split(" ").slice(0, c.startsWith("ssh") ? 3 : 2).join(" "));

test("every site and mode has a complete dry run, and a dry run calls nothing", (t) => {
  for (const lost of ["rouans", "sthilaire"]) {
    for (const mode of ["failover", "rebuild", "disk"]) {
      const box = sandbox(t, lost, []);
      const r = box.run(["--lost", lost, "--mode", mode, "--dry-run"]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^Estimated time back in service \(target: under 2 h 00 min\):$/m);
      assert.match(r.stdout, new RegExp(`^Steps \\(${mode}\\), about `, "m"));
      assert.match(r.stdout, /^ 1\. /m);
      assert.deepEqual(box.calls(), [], `${lost} ${mode}`);
    }
  }
});

test("a rebuild runs every step in order, through pulumi, ssh and pct, and logs it", (t) => {
  const box = sandbox(t, "rouans", [110]);
  const r = box.run(["--lost", "rouans", "--mode", "rebuild", "--status", box.status, "--yes"]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.deepEqual(shape(box.calls()), [
    "ssh root@192.168.10.2 pvesm",
    "pvesm add",
    "pulumi up",
    "ssh root@192.168.20.2 rsync",
    "rsync -a",
    "ssh root@192.168.10.2 pct",
    "pct restore",
    "ssh root@192.168.10.2 pct",
    "pct start",
    "pulumi refresh",
    "pulumi up",
    "pulumi up",
    "ssh root@192.168.10.2 pct",
    "pct status",
    "pvesh get",
    "systemctl is-active",
  ]);
  const calls = box.calls();
  assert.ok(calls.includes("pct restore 110 /mnt/backup/dump/vzdump-lxc-110-2026_11_24-01_00_00.tar.gz --rootfs local-lvm:32 --mp0 data:300,mp=/var/www,backup=1"));
  assert.match(calls[2] ?? "", /^pulumi up --stack rouans --yes --target urn:pulumi:rouans::retzien-infra::retzien:proxmox:Site\$pulumi:providers:proxmoxve::rouans-proxmox /);
  assert.match(calls[11] ?? "", /^pulumi up --stack sthilaire --yes --target urn:pulumi:sthilaire::.*sthilaire-offsite-authorize-rouans/);
  const log = readFileSync(join(box.dir, "run.log"), "utf8");
  assert.equal(log.match(/ {4}done in \d+ s \(estimated /g)?.length, 10);
  assert.match(log, /All steps done\./);
});

test("a failed step stops the run, says how to resume, and the resume finishes it", (t) => {
  const box = sandbox(t, "rouans", [110]);
  const args = ["--lost", "rouans", "--mode", "rebuild", "--status", box.status, "--yes"];
  const failed = box.run(args, { STANDIN_FAIL: "pct restore" });
  assert.equal(failed.status, 1);
  assert.match(failed.stdout, /^Step 5 did not complete: ssh exited with 1$/m);
  assert.match(failed.stdout, new RegExp(`^  npm run rebuild -- --lost rouans --mode rebuild --status ${box.status.replace(/[/.]/g, "\\$&")} --yes --from 5$`, "m"));
  assert.equal(shape(box.calls()).at(-1), "pct restore");
  assert.ok(!box.calls().some((c) => c.startsWith("pct start") || c.startsWith("pulumi refresh")));

  const before = box.calls().length;
  const resumed = box.run([...args, "--from", "5"]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.deepEqual(shape(box.calls().slice(before)).slice(0, 4), ["ssh root@192.168.10.2 pct", "pct restore", "ssh root@192.168.10.2 pct", "pct start"]);
});

test("without --yes nothing destructive runs unconfirmed", (t) => {
  const box = sandbox(t, "rouans", [110]);
  const manual = box.run(["--lost", "rouans", "--mode", "rebuild", "--status", box.status]);
  assert.equal(manual.status, 1);
  assert.match(manual.stdout, /^Step 1 did not complete: not confirmed as done$/m);
  const destructive = box.run(["--lost", "rouans", "--mode", "rebuild", "--status", box.status, "--from", "3"]);
  assert.equal(destructive.status, 1);
  assert.match(destructive.stdout, /^Step 3 did not complete: not confirmed$/m);
  assert.deepEqual(box.calls(), []);
});

test("the status is fetched from the survivor when not given, and its absence stops everything", (t) => {
  const box = sandbox(t, "rouans", [110]);
  const missing = box.run(["--lost", "rouans", "--mode", "disk", "--yes"]);
  assert.equal(missing.status, 1);
  assert.equal(
    missing.stderr,
    'status: found "no status from root@192.168.20.2:/var/lib/retzien-offsite-pull/rouans/status.json (cat: no such file)", expected the survivor\'s pull status, or --status FILE\n',
  );
  assert.deepEqual(box.calls(), ["ssh root@192.168.20.2 cat /var/lib/retzien-offsite-pull/rouans/status.json"]);
  const fetched = box.run(["--lost", "rouans", "--mode", "disk", "--yes"], { STANDIN_STATUS: box.status });
  assert.equal(fetched.status, 0, fetched.stderr);
  assert.match(fetched.stdout, /^Archive sizes and names: from root@192\.168\.20\.2:\/var\/lib\/retzien-offsite-pull\/rouans\/status\.json$/m);
});

test("bad input gets a clear error and runs nothing", (t) => {
  const stale = sandbox(t, "rouans", [110], new Date(Date.now() - 72 * 3600_000));
  const cases: [string[], number, RegExp][] = [
    [["--lost", "nantes", "--mode", "rebuild", "--dry-run"], 2, /^--lost: found "nantes", expected one of the sites: rouans, sthilaire$/m],
    [["--lost", "rouans", "--mode", "teleport", "--dry-run"], 2, /^--mode: found "teleport", expected one of failover, rebuild, disk$/m],
    [["--mode", "rebuild"], 2, /^--lost: found nothing, expected the site that was lost$/m],
    [["--lost", "rouans", "--mode", "rebuild", "--only", "mail"], 2, /^--only: found "mail", expected a service of rouans: web$/m],
    [["--lost", "rouans", "--mode", "rebuild", "--status", stale.status, "--yes"], 1, /^.*status\.json\.finishedAt: found "a last pull 72\.0 h ago", expected one within 36 h/m],
    [["--lost", "rouans", "--mode", "rebuild", "--status", join(stale.dir, "nope.json")], 1, /^--status: found ".*nope\.json", expected a readable status file \(ENOENT\)$/m],
    [["--lost", "sthilaire", "--mode", "failover", "--only", "nextcloud", "--dry-run"], 1, /^failover of nextcloud onto rouans: disk: found "1032 GiB of volumes"/m],
    [["--lost", "rouans", "--mode", "rebuild", "--dry-run", "--from", "99"], 2, /^--from: found "99", expected a step number from 1 to 10$/m],
  ];
  const sth = sandbox(t, "sthilaire", [210, 220, 230]);
  cases.push([["--lost", "sthilaire", "--mode", "failover", "--yes", "--status", sth.status], 1, /^failover of all of sthilaire: found "nextcloud without room on rouans", expected a failover of what fits, asked for by name: --only relay --only mail$/m]);
  for (const [args, code, message] of cases) {
    const r = stale.run(args);
    assert.equal(r.status, code, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(" "));
    assert.deepEqual(stale.calls(), [], args.join(" "));
  }
});

test("a failover of what fits restores, readdresses and starts each service on the survivor, in start order", (t) => {
  const box = sandbox(t, "sthilaire", [210, 220, 230]);
  const r = box.run(["--lost", "sthilaire", "--mode", "failover", "--only", "relay", "--only", "mail", "--status", box.status, "--yes"]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const local = box.calls().filter((c) => !c.startsWith("ssh "));
  assert.deepEqual(local, [
    "systemctl disable --now retzien-offsite-pull-sthilaire.timer",
    "pct restore 230 /mnt/backup/offsite/sthilaire/dump/vzdump-lxc-230-2026_11_24-01_00_00.tar.gz --storage local-lvm",
    "pct set 230 --net0 name=eth0,bridge=vmbr0,firewall=1,ip=192.168.10.100/24,gw=192.168.10.1 --memory 1024 --onboot 1",
    "pct start 230",
    "pct restore 210 /mnt/backup/offsite/sthilaire/dump/vzdump-lxc-210-2026_11_24-01_00_00.tar.gz --storage local-lvm",
    "pct set 210 --net0 name=eth0,bridge=vmbr0,firewall=1,ip=192.168.10.101/24,gw=192.168.10.1 --memory 4096 --onboot 1",
    "pct start 210",
    "pvesh create /cluster/backup --id failover-sthilaire --schedule *-*-* 03:30 --vmid 230,210 --storage backup --mode snapshot --compress gzip --prune-backups keep-daily=7",
  ]);
  assert.ok(box.calls().filter((c) => c.startsWith("ssh ")).every((c) => c.startsWith("ssh root@192.168.10.2 ")), "everything happens on the survivor");
});
