/**
 * scripts/host/restore-drill.sh against stand-ins for pct and pvesm that really
 * extract a small archive into a directory and run the declared check in it:
 * a passing and a failing check, scratch guests destroyed whatever happened, a
 * VMID already in use left alone, no copy, a backup or a pull running, bad arguments.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "../..");
const SCRIPT = join(ROOT, "scripts/host/restore-drill.sh");
const STANDINS = join(ROOT, "test/fixtures/drill-standins");
const MAILER = join(ROOT, "scripts/host/unit-failed.sh");

interface Box {
  readonly dir: string;
  readonly root: string;
  readonly store: string;
  /** An archive of a guest's root filesystem holding these files, as the newest copy on `storage`. */
  copy(storage: string, vmid: number, files: Record<string, string>): void;
  run(lines: string[][], extra?: Record<string, string>, args?: string[]): { status: number | null; stderr: string; results: { drills: Record<string, unknown>[] } | undefined; calls: string[] };
}

function sandbox(t: TestContext): Box {
  const dir = mkdtempSync(join(tmpdir(), "retzien-drill-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, "guests");
  const store = join(dir, "store");
  mkdirSync(root);
  mkdirSync(store);
  return {
    dir,
    root,
    store,
    copy(storage, vmid, files) {
      const fs = join(dir, `fs-${vmid}`);
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(join(fs, path, ".."), { recursive: true });
        writeFileSync(join(fs, path), text);
      }
      const at = join(store, storage, "ct", String(vmid));
      mkdirSync(at, { recursive: true });
      const tar = spawnSync("tar", ["-cf", join(at, "2026-11-21T01:30:00Z.tar"), "-C", fs, "."]);
      assert.equal(tar.status, 0, String(tar.stderr));
    },
    run(lines, extra = {}, args) {
      const guests = join(dir, "guests.tsv");
      writeFileSync(guests, lines.map((l) => l.join("\t")).join("\n") + "\n");
      const log = join(dir, "calls.log");
      writeFileSync(log, "");
      const results = join(dir, "results.json");
      rmSync(results, { force: true });
      const r = spawnSync("bash", [SCRIPT, ...(args ?? ["--guests", guests, "--scratch", "900:902", "--datastore", "data", "--max-minutes", "1", "--results", results])], {
        encoding: "utf8",
        timeout: 60_000,
        env: { ...process.env, PATH: `${STANDINS}:${process.env["PATH"] ?? ""}`, STANDIN_LOG: log, DRILL_ROOT: root, DRILL_STORE: store, ...extra },
      });
      return {
        status: r.status,
        stderr: r.stderr,
        results: existsSync(results) ? (JSON.parse(readFileSync(results, "utf8")) as { drills: Record<string, unknown>[] }) : undefined,
        calls: readFileSync(log, "utf8").trim().split("\n").filter((l) => l !== ""),
      };
    },
  };
}

/**
 * TERM to every process of a session, as systemd's stop sends it to every process
 * of the unit's cgroup (`timeout` puts its command in a process group of its own,
 * so a process-group kill would miss it). Read from /proc: field 6 of `stat` is the session.
 */
function killSession(sid: number): void {
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[3]) === sid) {
      try {
        process.kill(Number(pid), "SIGTERM");
      } catch {
        // gone meanwhile
      }
    }
  }
}

/** The VMIDs a call acts on as a guest (pct's second word), the lookups of copies aside. */
const pctTargets = (calls: string[]) => calls.filter((c) => c.startsWith("pct ")).map((c) => Number(c.split(" ")[2]));

test("a passing and a failing check: both restored into scratch VMIDs, checked, timed, and destroyed", (t) => {
  const box = sandbox(t);
  box.copy("pbs-sthilaire", 210, { "etc/hostname": "mail\n" });
  box.copy("pbs-sthilaire", 230, { "etc/hostname": "broken\n" });
  const r = box.run([
    ["210", "pbs-sthilaire", "mail", "cat", "/etc/hostname"],
    ["230", "pbs-sthilaire", "relay", "cat", "/etc/hostname"],
  ]);
  assert.equal(r.status, 1, r.stderr);
  const drills = r.results?.drills ?? [];
  assert.deepEqual(
    drills.map((d) => [d["vmid"], d["ok"], d["snapshot"], d["reason"]]),
    [
      [210, true, "pbs-sthilaire:backup/ct/210/2026-11-21T01:30:00Z", ""],
      [230, false, "pbs-sthilaire:backup/ct/230/2026-11-21T01:30:00Z", 'the check\'s output lacks "relay": broken'],
    ],
  );
  for (const d of drills) {
    assert.ok(typeof d["restoreSeconds"] === "number" && typeof d["totalSeconds"] === "number" && (d["bytes"] as number) > 0);
  }
  // Restored with no network, started, checked, destroyed: nothing is left, and only scratch VMIDs were acted on.
  assert.deepEqual(readdirSync(box.root), []);
  assert.ok(r.calls.includes("pct restore 900 pbs-sthilaire:backup/ct/210/2026-11-21T01:30:00Z --storage data --unique 1 --protection 0 --onboot 0 --tags retzien-drill"));
  assert.ok(r.calls.includes("pct set 900 --delete net0"));
  assert.ok(r.calls.includes("pct exec 900 -- cat /etc/hostname"));
  assert.equal(r.calls.filter((c) => c.startsWith("pct destroy 900 --purge")).length, 2);
  for (const id of pctTargets(r.calls)) assert.ok(id >= 900 && id <= 902, `pct acted on ${id}`);
});

test("a check that exits non-zero fails the drill, and the scratch guest is destroyed even then", (t) => {
  const box = sandbox(t);
  box.copy("pbs-rouans", 110, { "etc/hostname": "web\n" });
  const r = box.run([["110", "pbs-rouans", "Syntax OK", "cat", "/etc/apache2/apache2.conf"]]);
  assert.equal(r.status, 1);
  assert.match(String(r.results?.drills[0]?.["reason"]), /^the check exited 1: cat: .*apache2\.conf: No such file or directory/);
  assert.deepEqual(readdirSync(box.root), []);
});

test("a scratch VMID already in use is never touched: the drill takes the next free one", (t) => {
  const box = sandbox(t);
  box.copy("pbs-rouans", 110, { "etc/hostname": "web\n" });
  mkdirSync(join(box.root, "900"));
  writeFileSync(join(box.root, "900.state"), "running\n");
  const r = box.run([["110", "pbs-rouans", "web", "cat", "/etc/hostname"]]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(join(box.root, "900")), "the guest that was there stays");
  // Looked at (is it free, is it ours), never changed.
  assert.deepEqual(r.calls.filter((c) => / 900( |$)/.test(c) && !/^pct (status|config) /.test(c)), []);
  assert.ok(r.calls.includes("pct destroy 901 --purge"));
});

test("no copy to restore is a failed drill that restores nothing", (t) => {
  const box = sandbox(t);
  const r = box.run([["220", "pbs-sthilaire", "installed: true", "true"]]);
  assert.equal(r.status, 1);
  assert.equal(r.results?.drills[0]?.["reason"], "no copy of 220 on pbs-sthilaire");
  assert.equal(r.calls.filter((c) => c.startsWith("pct restore")).length, 0);
});

test("while a backup or a pull runs, or PBS does not answer, it does not start; bad arguments exit 2", (t) => {
  const box = sandbox(t);
  box.copy("pbs-rouans", 110, { "etc/hostname": "web\n" });
  const guest = [["110", "pbs-rouans", "web", "cat", "/etc/hostname"]];
  const busy = box.run(guest, { DRILL_VZDUMP_RUNNING: "1" });
  assert.equal(busy.status, 3);
  assert.match(busy.stderr, /a backup \(vzdump\) is running: no drill now/);
  assert.equal(busy.results, undefined);
  assert.deepEqual(busy.calls, ["pgrep -f vzdump"]);
  const pulling = box.run(guest, { DRILL_PULL_RUNNING: "1" });
  assert.equal(pulling.status, 3);
  assert.match(pulling.stderr, /a pull \(PBS sync job\) is running: no drill now/);
  assert.equal(pulling.results, undefined);
  assert.deepEqual(pulling.calls, ["pgrep -f vzdump", "proxmox-backup-manager task list --output-format json"]);
  const down = box.run(guest, { DRILL_PBS_DOWN: "1" });
  assert.equal(down.status, 3);
  assert.match(down.stderr, /PBS does not list its running tasks: no drill now/);
  assert.equal(down.calls.filter((c) => c.startsWith("pct ")).length, 0);
  const bad = box.run([], {}, ["--guests", join(box.dir, "guests.tsv"), "--scratch", "902:900", "--datastore", "data", "--max-minutes", "1", "--results", join(box.dir, "r.json")]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^restore-drill: --scratch: found '902:900', expected 100 <= FIRST <= LAST$/m);
});

test("the timer installs this very script, the guests that fit with their checks, and never catches up at boot", () => {
  const { drillCommands, DRILL_PATHS } = require("../../src/drill/drill-commands") as typeof import("../../src/drill/drill-commands");
  const { drillPlanOf } = require("../../src/drill/plan") as typeof import("../../src/drill/plan");
  const { validateSiteSpecs } = require("../../src/program") as typeof import("../../src/program");
  const { allSites } = require("../../stacks/sites") as typeof import("../../stacks/sites");
  const { PAIRING } = require("../../src/offsite/pairing") as typeof import("../../src/offsite/pairing");
  const { sites } = validateSiteSpecs(allSites);
  const rouans = sites.find((s) => s.name === "rouans");
  assert.ok(rouans);
  const script = readFileSync(SCRIPT, "utf8");
  const mailer = readFileSync(MAILER, "utf8");
  const { create, delete: remove } = drillCommands(drillPlanOf(rouans, sites, PAIRING), { drill: script, mailer }, ["technique@retzien.fr"]);
  // Both scripts, exactly as committed, each between its here-document markers.
  const bodies = create.split("<<'RETZIEN_HOST_FILE_END'\n").slice(1).map((part) => `${part.slice(0, part.indexOf("\nRETZIEN_HOST_FILE_END\n"))}\n`);
  assert.deepEqual(bodies, [script, mailer]);
  // A failed drill, or one that could not run, mails the operators.
  assert.match(create, /^OnFailure=retzien-restore-drill-failed\.service$/m);
  assert.match(create, /^ExecStart=\/usr\/local\/lib\/retzien\/drill-failed\.sh retzien-restore-drill\.service technique@retzien\.fr "restore drill FAILED" \/var\/lib\/retzien\/drill\/results\.json' > /m);
  // relay and mail fit rouans' scratch datastore; nextcloud does not and is left out.
  assert.ok(create.includes("'230\tpbs-sthilaire\tis running\tpostfix\tstatus' '210\tpbs-sthilaire\tPlesk\tplesk\tversion' >"));
  assert.doesNotMatch(create, /\b220\t/);
  assert.match(create, /^OnCalendar=sat 13:00$/m);
  assert.match(create, /^Persistent=false$/m);
  // Two guests at 60 min and a margin, then time for the script to destroy its scratch guest when stopped.
  assert.match(create, /^TimeoutStartSec=130min$/m);
  assert.match(create, /^TimeoutStopSec=15min' > /m);
  assert.match(remove, /systemctl disable --now retzien-restore-drill\.timer/);
  assert.ok(!remove.includes(DRILL_PATHS.results), "the results of past drills stay");
});

test("stopped midway (systemd's TERM to the whole unit), the scratch guest is destroyed all the same", async (t) => {
  const box = sandbox(t);
  box.copy("pbs-rouans", 110, { "etc/hostname": "web\n" });
  const guests = join(box.dir, "guests.tsv");
  writeFileSync(guests, ["110", "pbs-rouans", "web", "sleep", "20"].join("\t") + "\n");
  const log = join(box.dir, "calls.log");
  writeFileSync(log, "");
  const child = spawn("bash", [SCRIPT, "--guests", guests, "--scratch", "900:902", "--datastore", "data", "--max-minutes", "1", "--results", join(box.dir, "r.json")], {
    detached: true,
    stdio: "ignore",
    env: { ...process.env, PATH: `${STANDINS}:${process.env["PATH"] ?? ""}`, STANDIN_LOG: log, DRILL_ROOT: box.root, DRILL_STORE: box.store },
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal === null ? null : 128))));
  // Wait (at most 10 s) until the check runs inside the restored guest, then stop the whole group as systemd does.
  for (let i = 0; i < 100 && !readFileSync(log, "utf8").includes("pct exec 900"); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(readFileSync(log, "utf8").includes("pct exec 900"), "the check started");
  killSession(child.pid as number);
  assert.equal(await exited, 143);
  assert.deepEqual(readdirSync(box.root), []);
  assert.match(readFileSync(log, "utf8"), /^pct destroy 900 --purge$/m);
});


/** A copy of a guest as vzdump made it: its files, and its config in etc/vzdump/pct.conf. */
const withConfig = (files: Record<string, string>, config: string[]) => ({ ...files, "etc/vzdump/pct.conf": `${config.join("\n")}\n` });

test("the copy of a protected guest is restored unprotected, so its scratch guest is destroyed (pct restore keeps the backed-up protection)", (t) => {
  const box = sandbox(t);
  box.copy("pbs-sthilaire", 220, withConfig({ "etc/hostname": "cloud\n" }, ["hostname: cloud", "protection: 1", "onboot: 1", "tags: nextcloud", "net0: name=eth0,bridge=vmbr0"]));
  const r = box.run([["220", "pbs-sthilaire", "cloud", "cat", "/etc/hostname"]]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.results?.drills[0]?.["ok"], true, String(r.results?.drills[0]?.["reason"]));
  assert.deepEqual(readdirSync(box.root), [], "the scratch copy stays on the datastore");
});

test("a datastore without room for the copy and 20 % is not restored into: the drill fails and says why", (t) => {
  const box = sandbox(t);
  box.copy("pbs-rouans", 110, { "etc/hostname": "web\n", "var/www/big": "x".repeat(200_000) });
  const r = box.run([["110", "pbs-rouans", "web", "cat", "/etc/hostname"]], { DRILL_FREE_KIB: "100" });
  assert.equal(r.status, 1);
  assert.match(String(r.results?.drills[0]?.["reason"]), /^only 0 MiB free on data, the copy needs 0 MiB \(its size and 20 %\): nothing restored$/);
  assert.equal(r.calls.filter((c) => c.startsWith("pct restore")).length, 0);
  assert.ok(r.calls.includes("pvesm status --storage data"));
});

test("the check waits for the guest to finish booting: pct start returns before its services are up", (t) => {
  const box = sandbox(t);
  box.copy("pbs-sthilaire", 230, { "etc/hostname": "relay\n" });
  // The check passes only once the guest's services are up, a second after pct start returned.
  const r = box.run([["230", "pbs-sthilaire", "services-up", "ls", "/run"]], { DRILL_BOOT_SECONDS: "1" });
  assert.equal(r.status, 0, JSON.stringify(r.results));
  assert.ok(r.calls.includes("pct exec 900 -- systemctl is-system-running --wait"));
});

test("a scratch guest that cannot be destroyed fails the drill, stops it before the next restore, and exits non-zero for the alarm", (t) => {
  const box = sandbox(t);
  box.copy("pbs-sthilaire", 210, { "etc/hostname": "mail\n" });
  box.copy("pbs-sthilaire", 230, { "etc/hostname": "relay\n" });
  const r = box.run(
    [
      ["210", "pbs-sthilaire", "mail", "cat", "/etc/hostname"],
      ["230", "pbs-sthilaire", "relay", "cat", "/etc/hostname"],
    ],
    { DRILL_DESTROY_FAILS: "1" },
  );
  assert.equal(r.status, 1);
  const [mail, relay] = r.results?.drills ?? [];
  assert.equal(mail?.["ok"], false);
  assert.match(String(mail?.["reason"]), /^could not destroy scratch 900: unable to remove CT 900: volume is busy$/);
  assert.match(String(relay?.["reason"]), /^not drilled: could not destroy scratch 900/);
  assert.equal(r.calls.filter((c) => c.startsWith("pct restore")).length, 1);
});

test("a scratch guest an earlier drill left (tagged) is destroyed first; an untagged one in the range is left alone", (t) => {
  const box = sandbox(t);
  box.copy("pbs-rouans", 110, { "etc/hostname": "web\n" });
  for (const [id, tags] of [["900", "retzien-drill"], ["901", "web"]] as const) {
    mkdirSync(join(box.root, id));
    writeFileSync(join(box.root, `${id}.state`), "stopped\n");
    writeFileSync(join(box.root, `${id}.conf`), `tags: ${tags}\n`);
  }
  const r = box.run([["110", "pbs-rouans", "web", "cat", "/etc/hostname"]]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(box.root).sort(), ["901", "901.conf", "901.state"]);
  assert.deepEqual(r.calls.filter((c) => / 901( |$)/.test(c) && !/^pct (status|config) /.test(c)), []);
  // The leftover went, then the drill used its VMID.
  assert.ok(r.calls.indexOf("pct destroy 900 --purge") < r.calls.findIndex((c) => c.startsWith("pct restore 900 ")));
});

test("a check that reads its stdin does not eat the guests that follow (pct exec hands it pct's stdin)", (t) => {
  const box = sandbox(t);
  box.copy("pbs-sthilaire", 210, { "etc/hostname": "mail\n" });
  box.copy("pbs-sthilaire", 230, { "etc/hostname": "relay\n" });
  const r = box.run([
    ["210", "pbs-sthilaire", "mail", "sh", "-c", "cat; echo mail"],
    ["230", "pbs-sthilaire", "relay", "cat", "/etc/hostname"],
  ]);
  assert.equal(r.status, 0, JSON.stringify(r.results));
  assert.deepEqual(r.results?.drills.map((d) => d["vmid"]), [210, 230]);
});
