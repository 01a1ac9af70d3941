/**
 * The runbook rehearsed on the real engine: for each site lost and each way
 * back, the loss made on its fake host, then `npm run rebuild --yes` itself
 * with the real CLI, ending with nothing left to change on either stack and
 * the site's backup and both pulls in place.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { type FirewallRule, describeRule } from "../../src/firewall/compile";
import { TYPES } from "../helpers/stacks";
import { type Engine, SITES, type SiteName, changesOf, startEngine } from "./harness";
import { keepCopies, runRebuild, statusFile } from "./rehearsal/rehearse";
import { REHEARSED } from "./rehearsal/rehearsed";

let engine: Engine;
before(async () => {
  engine = await startEngine();
  for (const site of ["rouans", "sthilaire", "rouans"] as const) {
    const up = await (await engine.stack(site)).up();
    assert.equal(up.summary.result, "succeeded");
  }
});
after(() => engine?.remove());

/**
 * Both stacks: a preview proposes nothing. A stack reference that reads the
 * other stack's new outputs (`read`) changes nothing; --expect-no-changes agrees.
 */
async function nothingLeftToChange(): Promise<void> {
  for (const site of SITES) {
    const preview = await (await engine.stack(site)).preview({ expectNoChanges: true });
    assert.deepEqual(Object.keys(changesOf(preview.changeSummary)).filter((op) => op !== "read"), [], `${site}: ${JSON.stringify(preview.changeSummary)}`);
  }
}

/** What the site's PBS keeps of a kind (jobs, tokens...), as the stand-in's state holds it. */
function pbsOf(site: SiteName, kind: string): Record<string, unknown> {
  return (engine.host(site).pbs()[kind] ?? {}) as Record<string, unknown>;
}

/** The firewall rules of guest `vmid` on the fake host of `site`, one line each (as the plan shows them). */
function firewallOf(site: SiteName, vmid: number): string[] {
  const rules = engine.host(site).objects(TYPES.firewallRules)[`rule-${site}-${vmid}`] as { rules?: FirewallRule[] } | undefined;
  return (rules?.rules ?? []).map(describeRule);
}

/** Each site lost and brought back on new hardware; rouans' rebuild breaks at a restore (its copy unreadable) and is resumed with --from. */
const REHEARSALS: [SiteName, string, readonly string[], "resumed"?][] = [
  ["sthilaire", "rebuild", REHEARSED.sthilaireRebuild],
  ["rouans", "rebuild", REHEARSED.rouansRebuild, "resumed"],
  ["rouans", "disk", REHEARSED.rouansDisk],
  ["sthilaire", "disk", REHEARSED.sthilaireDisk],
];

for (const [lost, mode, command, resumed] of REHEARSALS) test(`${lost} lost, ${mode}: npm run rebuild --yes brings it back on the real engine, the state kept${resumed ? "; a step that fails stops it, and --from resumes it once the cause is fixed" : ""}`, async () => {
  const survivor = SITES.find((s) => s !== lost) as SiteName;
  const guests = Object.keys(engine.host(lost).objects(TYPES.container)).sort();
  const pullToken = `sync-${lost}@pbs!pull`;
  const oldSecret = pbsOf(survivor, "token")[pullToken];
  assert.equal(typeof oldSecret, "string", `${survivor} has a pull token for ${lost} before the loss`);
  keepCopies(engine, lost);
  engine.host(lost).wipe();
  // The runbook's first step, by hand: Proxmox installed, then the bootstrap's new tokens.
  await engine.bootstrap(lost);
  const args = [...command, "--status", statusFile(engine, lost)];
  // The web's copy cannot be read when its restore runs: the run stops there and says how to resume.
  const copy = join(engine.world, "archive", lost, "110");
  if (resumed) renameSync(copy, `${copy}.away`);
  let run = await runRebuild(engine, args);
  if (resumed) {
    renameSync(`${copy}.away`, copy);
    assert.equal(run.status, 1, run.output.slice(-6000));
    const from = /^ {2}npm run rebuild -- .* --from (\d+)$/m.exec(run.output)?.[1];
    assert.match(run.output, new RegExp(`^Step ${from} did not complete: ssh exited with \\d+$`, "m"));
    assert.match(run.output, /unable to restore CT 110/);
    run = await runRebuild(engine, [...args, "--from", from ?? ""]);
  }
  assert.equal(run.status, 0, run.output.slice(-6000));
  assert.match(run.output, /All steps done\./);
  await nothingLeftToChange();
  assert.deepEqual(Object.keys(engine.host(lost).objects(TYPES.container)).sort(), guests);
  assert.equal(Object.keys(engine.host(lost).objects(TYPES.job)).length, 1, "the nightly backup");
  // The lost host's pull token on the survivor is made anew: the old secret, on the lost disks, reads nothing.
  const newSecret = pbsOf(survivor, "token")[pullToken];
  assert.equal(typeof newSecret, "string");
  assert.notEqual(newSecret, oldSecret, `${survivor}'s token for ${lost} is made anew`);
  // Both pulls: each site's PBS pulls the other's namespace.
  assert.ok(pbsOf(lost, "sync-job")[`pull-${survivor}`], `${lost} pulls ${survivor} again`);
  assert.ok(pbsOf(survivor, "sync-job")[`pull-${lost}`], `${survivor} still pulls ${lost}`);
  // What the transfer back needed on the survivor is taken back: the read grant and the day rate.
  const acl = (engine.host(survivor).pbs()["acl"] ?? []) as string[];
  assert.deepEqual(acl.filter((e) => e.includes(`sync-${lost}@pbs`) && (e.split(" ")[0] ?? "").endsWith(`/${lost}`)), [], acl.join("\n"));
  assert.deepEqual(Object.keys(pbsOf(survivor, "traffic-control")), []);
});

test("sthilaire lost, rebuild --only mail: its group alone comes back, the others are marked away and the program leaves them out; once they are back, the printed note adopts them", async () => {
  const lost = "sthilaire";
  keepCopies(engine, lost);
  engine.host(lost).wipe();
  await engine.bootstrap(lost);
  const run = await runRebuild(engine, [...REHEARSED.sthilaireRebuildMail, "--status", statusFile(engine, lost)]);
  assert.equal(run.status, 0, run.output.slice(-6000));
  assert.match(run.output, /--group-filter group:ct\/210/);
  assert.deepEqual(Object.keys(engine.host(lost).objects(TYPES.container)), ["210"]);
  const stack = await engine.stack(lost);
  assert.deepEqual((await stack.getConfig("away")).value, '["relay","nextcloud"]');
  await nothingLeftToChange();

  // relay and nextcloud back by hand from their copies, then the commands the away step's note prints, as printed.
  for (const [vmid, disks] of [["230", "--rootfs local-lvm:8"], ["220", "--rootfs local-lvm:32 --mp0 tank:1000,mp=/srv/nextcloud-data,backup=1"]] as const) {
    const restored = engine.host(lost).run(`pct restore ${vmid} "$(pvesm list pbs --vmid ${vmid} | awk 'NR > 1 { print $1 }' | sort | tail -n 1)" ${disks}`);
    assert.equal(restored.status, 0, restored.stderr);
  }
  const note = /once they are back on sthilaire: (.*)$/m.exec(run.output)?.[1] ?? "";
  const commands = note.split(/, (?:then )?(?=pulumi )/);
  assert.deepEqual(commands.map((c) => c.split(" ").slice(0, 3).join(" ")), ["pulumi config set-all", "pulumi config rm", "pulumi up --stack", "pulumi config rm"], note);
  for (const command of commands) {
    const argv = command.split(" ").slice(1);
    if (argv[0] === "up") await stack.up({ refresh: true });
    else {
      const done = engine.pulumi(argv, stack.workspace.workDir);
      assert.equal(done.status, 0, `${command}: ${done.stderr}`);
    }
  }
  await nothingLeftToChange();
  assert.deepEqual(Object.keys(engine.host(lost).objects(TYPES.container)).sort(), ["210", "220", "230"]);
});

/** What the pvesh stand-in keeps on a host (its notification objects and backup jobs made outside the program). */
function pveJobsOf(site: SiteName): unknown {
  const file = join(engine.host(site).root, "state", "pve.json");
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : null;
}

/** What the survivor is made of, for the failback's "as before": its guests, its PBS's objects, its PVE's jobs. */
function survivorState(site: SiteName, lost: SiteName): unknown {
  const pbs = JSON.parse(JSON.stringify(engine.host(site).pbs())) as Record<string, Record<string, Record<string, unknown>>>;
  // The lost host's pull token is made anew by the way home, and so is the token of its own PBS that
  // the survivor's remote of it carries (the old ones died with the host).
  delete pbs["token"]?.[`sync-${lost}@pbs!pull`];
  delete pbs["remote"]?.[lost]?.["password"];
  // PBS's defaults, written or not, are the same: an empty section, a user enabled.
  for (const user of Object.values(pbs["user"] ?? {})) if (user["enable"] === "true") delete user["enable"];
  for (const [kind, table] of Object.entries(pbs)) if (Object.keys(table).length === 0) delete pbs[kind];
  return { guests: Object.keys(engine.host(site).objects(TYPES.container)).sort(), pbs, pve: pveJobsOf(site) };
}

test("sthilaire lost, failover of what fits (mail, relay) onto rouans, then the way home: what members wrote meanwhile comes home, rouans is left as before", async () => {
  const lost = "sthilaire";
  const survivor = "rouans";
  const status = statusFile(engine, lost);
  const before = survivorState(survivor, lost);
  const oldSecret = pbsOf(survivor, "token")[`sync-${lost}@pbs!pull`];
  keepCopies(engine, lost);
  engine.host(lost).wipe();
  const failover = await runRebuild(engine, [...REHEARSED.sthilaireFailover, "--status", status]);
  assert.equal(failover.status, 0, failover.output.slice(-6000));
  assert.deepEqual(Object.keys(engine.host(survivor).objects(TYPES.container)).sort(), ["110", "210", "230"]);
  const syncUser = `sync-${lost}@pbs`;
  assert.equal((pbsOf(survivor, "user")[syncUser] as { enable?: string } | undefined)?.enable, "false", `${survivor} locks out ${lost}'s pull token`);
  assert.equal((pbsOf(survivor, "sync-job")[`pull-${lost}`] as { schedule?: string } | undefined)?.schedule, undefined, `${survivor} pauses its pull of ${lost}`);
  // The restored guests' firewalls name their addresses at rouans: the mail's submission to the relay passes both ways.
  assert.ok(firewallOf(survivor, 210).includes("out ACCEPT tcp 25 to 192.168.10.100  # every outgoing mail goes through the relay"), firewallOf(survivor, 210).join("\n"));
  assert.ok(firewallOf(survivor, 230).includes("in ACCEPT tcp 25 from 192.168.10.101  # mail from Plesk, on its way out"), firewallOf(survivor, 230).join("\n"));
  const preview = await (await engine.stack(survivor)).preview({ expectNoChanges: true });
  assert.deepEqual(Object.keys(changesOf(preview.changeSummary)), [], JSON.stringify(preview.changeSummary));

  // A member's mail arrives at the failed-over mail on rouans.
  const mailbox = join(engine.host(survivor).root, "guests", "210", "files");
  writeFileSync(join(mailbox, "written-during-failover"), "a mail that arrived at rouans\n");

  // The spare hardware arrives at St Hilaire: the way home.
  await engine.bootstrap(lost);
  const failback = await runRebuild(engine, [...REHEARSED.sthilaireFailback, "--status", status]);
  assert.equal(failback.status, 0, failback.output.slice(-6000));
  assert.deepEqual(Object.keys(engine.host(lost).objects(TYPES.container)).sort(), ["210", "220", "230"]);
  assert.equal(readFileSync(join(engine.host(lost).root, "guests", "210", "files", "written-during-failover"), "utf8"), "a mail that arrived at rouans\n");
  assert.equal(Object.keys(engine.host(lost).objects(TYPES.job)).length, 1, "the nightly backup at home");
  assert.ok(pbsOf(lost, "sync-job")[`pull-${survivor}`], `${lost} pulls ${survivor} again`);
  assert.deepEqual(survivorState(survivor, lost), before, `${survivor} as before the failover`);
  assert.deepEqual([firewallOf(survivor, 210), firewallOf(survivor, 230)], [[], []], `${survivor} keeps no firewall of the guests gone home`);
  const newSecret = pbsOf(survivor, "token")[`sync-${lost}@pbs!pull`];
  assert.ok(typeof newSecret === "string" && newSecret !== oldSecret, `${survivor}'s token for ${lost} is made anew`);
  await nothingLeftToChange();
});

test("rouans' uplink down, its web failed over to sthilaire, then home to the kept host: the failover copy replaces the stopped original, with what was uploaded meanwhile", async () => {
  const lost = "rouans";
  const survivor = "sthilaire";
  const status = statusFile(engine, lost);
  const before = survivorState(survivor, lost);
  // The host runs on, unreachable: only its copies at sthilaire are of use.
  keepCopies(engine, lost);
  const failover = await runRebuild(engine, [...REHEARSED.rouansFailover, "--status", status]);
  assert.equal(failover.status, 0, failover.output.slice(-6000));
  assert.deepEqual(Object.keys(engine.host(survivor).objects(TYPES.container)).sort(), ["110", "210", "220", "230"]);
  writeFileSync(join(engine.host(survivor).root, "guests", "110", "files", "uploaded-during-failover"), "a page a member published at sthilaire\n");

  const failback = await runRebuild(engine, [...REHEARSED.rouansFailbackKept, "--status", status]);
  assert.equal(failback.status, 0, failback.output.slice(-6000));
  assert.doesNotMatch(failback.output, /pulumi state delete/, "the kept host's state is left as it is");
  assert.equal(readFileSync(join(engine.host(lost).root, "guests", "110", "files", "uploaded-during-failover"), "utf8"), "a page a member published at sthilaire\n");
  assert.deepEqual(Object.keys(engine.host(lost).objects(TYPES.container)), ["110"]);
  // The kept host's token was never at risk: the survivor's user for it is let in again, its token the same.
  const kept = survivorState(survivor, lost) as { pbs: Record<string, unknown> };
  assert.deepEqual(kept, before, `${survivor} as before the failover`);
  await nothingLeftToChange();
});
