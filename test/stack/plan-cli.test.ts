/**
 * `npm run plan` as a person runs it: the JSON document, the readable tree, the
 * refusal of a broken spec, and loading the way `pulumi up` loads the program.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PlanDocument } from "../../scripts/lib/offline-plan";
import { projectCopy, runScript } from "../helpers/cli";
import { PROJECT_ROOT, TYPES } from "../helpers/stacks";

const planJson = (() => {
  let cached: { doc: PlanDocument; text: string } | undefined;
  return () => {
    if (cached === undefined) {
      const result = runScript("scripts/plan.ts", ["--json"]);
      assert.equal(result.status, 0, result.stderr);
      cached = { doc: JSON.parse(result.stdout) as PlanDocument, text: result.stdout };
    }
    return cached;
  };
})();

test("plan --json: both stacks, every container in its site's backup job, stateful ones protected", () => {
  const { doc } = planJson();
  assert.deepEqual(doc.stacks.map((s) => [s.stack, s.project]), [["rouans", "retzien-infra"], ["sthilaire", "retzien-infra"]]);
  for (const stack of doc.stacks) {
    const containers = stack.resources.filter((r) => r.type === TYPES.container);
    const jobs = stack.resources.filter((r) => r.type === TYPES.job);
    assert.equal(jobs.length, 1, stack.stack);
    const covered = jobs[0]?.inputs["vmids"] as string[];
    assert.deepEqual(containers.map((c) => String(c.inputs["vmId"])).sort(), [...covered].sort(), stack.stack);
    for (const c of containers) {
      const stateful = ["rouans-web", "sthilaire-mail", "sthilaire-nextcloud"].includes(c.name);
      assert.equal(c.protect, stateful, c.name);
    }
    for (const r of stack.resources) {
      assert.deepEqual(Object.keys(r).sort(), ["custom", "deleteBeforeReplace", "dependsOn", "ignoreChanges", "importId", "inputs", "name", "parent", "protect", "provider", "retainOnDelete", "type", "urn"]);
    }
  }
});

test("plan --json holds no secret value, only [secret] markers", () => {
  const { text } = planJson();
  assert.match(text, /\[secret\]/);
  assert.doesNotMatch(text, /mock-root-password|00000000-0000-0000|BEGIN OPENSSH|v1:[A-Za-z0-9+/]{10,}/);
  for (const stack of ["rouans", "sthilaire"]) {
    const fileText = readFileSync(join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8");
    // The API token is no config (it lives in PROXMOX_VE_API_TOKEN); any secret a site adds is shown as [secret] only.
    assert.doesNotMatch(fileText, /apiToken/);
    for (const [, c = ""] of fileText.matchAll(/secure: (v1:\S+)/g)) assert.ok(!text.includes(c));
  }
});

test("plan prints a tree per stack, one summary line per stack, and each holder's drills, notifications and dead-man watch", () => {
  const result = runScript("scripts/plan.ts", []);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /== stack rouans \(project retzien-infra\) ==/);
  assert.match(result.stdout, /proxmoxve:index\/containerLegacy:ContainerLegacy {2}sthilaire-nextcloud {2}\[protect; ignoreChanges/);
  assert.match(result.stdout, /^rouans: 43 resources \(\d+ custom\), 3 protected, 1 container\(s\) \[110\], 1 backup job\(s\), every container backed up$/m);
  // The template's checksum, whole.
  assert.match(result.stdout, /^ {11}checksum: 50c85eaaece677a3ebe01cc909b83872e9da2a22c29ae652838afce71e83222fdf40f6accecd7d52b180e912fc1f85ecdf7b3fc4d3027da4d865e509a9e76597$/m);
  // The tokens by role, with their privileges.
  assert.match(result.stdout, /^ {2}ci@pve!preview: CI's pulumi preview --refresh: reads everything the program declares, changes nothing\n {4}\/: Sys\.Audit\n/m);
  assert.match(result.stdout, /^ {4}\/vms: VM\.Allocate, VM\.Audit, VM\.Config\.CPU, /m);
  assert.match(result.stdout, /^sthilaire: 53 resources \(\d+ custom\), 6 protected, 3 container\(s\) \[210, 220, 230\], 1 backup job\(s\), every container backed up$/m);
  // Each host's alarm path, then the mail settings the firewall's flows imply: mail's smarthost, and the relay's mynetworks.
  assert.match(result.stdout, /^ {2}the host's alarms leave by submission to \[smtp\.retzien\.example\]:587, TLS with the certificate checked, as alarms-rouans \(password: the stack's secret alarmPassword\); set in the host's Postfix by the program$/m);
  assert.match(result.stdout, /^ {2}the host's alarms leave through the relay relay \(\[192\.168\.20\.12\]:25, the host in its mynetworks\); set in the host's Postfix by the program$/m);
  assert.match(result.stdout, /^ {4}mail sends its mail through relay: Plesk's smarthost \(Tools & Settings > Mail Server Settings\) 192\.168\.20\.12, port 25: Postfix's relayhost = \[192\.168\.20\.12\]:25$/m);
  assert.match(result.stdout, /^ {4}relay relays for mail, nextcloud, the host's alarms: Postfix mynetworks = 127\.0\.0\.0\/8 \[::1\]\/128 192\.168\.20\.10\/32 .* 192\.168\.20\.2\/32$/m);
  // Each holder's drills: when, the scratch range, each guest's check, and what it cannot take.
  assert.match(result.stdout, /^drills on rouans: sat 13:00, done by 15:00 at the latest \(60 min a guest, 7\.1 h after the night's work on this PBS\), scratch VMIDs 900\.\.909 on data \(160 GiB free\)$/m);
  assert.match(result.stdout, /^ {2}sthilaire's relay \(230\) from pbs-sthilaire: pct exec <scratch> -- postfix status, expects "is running"$/m);
  assert.match(result.stdout, /^ {2}sthilaire's nextcloud \(220\): NOT DRILLED, 400 GiB > 160 GiB free on data$/m);
  assert.match(result.stdout, /^drills on sthilaire: sat 13:00, .* scratch VMIDs 910\.\.919 on tank/m);
  // The notification targets and matchers, on PBS and on PVE.
  assert.match(result.stdout, /runs: proxmox-backup-manager notification endpoint sendmail create retzien-operators --mailto 'technique@retzien\.fr'/);
  assert.match(result.stdout, /runs: proxmox-backup-manager notification matcher create retzien-failures --target retzien-operators --match-severity warning,error/);
  assert.match(result.stdout, /runs: pvesh create \/cluster\/notifications\/matchers --name retzien-failures --target retzien-operators --match-severity warning,error/);
  // The dead-man watch of each holder, with its limits and how soon silence is seen.
  assert.match(result.stdout, /^dead-man watch on rouans: daily at 09:00, alarms mailed to technique@retzien\.fr$/m);
  assert.match(result.stdout, /^ {2}sthilaire: newest copy of each of its 3 guests and the last pull pull-sthilaire at most 30 h old \(a good night leaves 28\.4 h: backup 01:30, pull 04:45-05:54\); the last pull OK$/m);
  assert.match(result.stdout, /^ {4}sthilaire dead or stolen: its pull fails at 04:45 \(mailed by PBS\), the watch says it again at 09:00; alive but not backing up: alarmed 7\.5 h after the missed backup$/m);
  assert.match(result.stdout, /^ {2}drills of sthilaire's relay \(230\), sthilaire's mail \(210\): the last one passed, at most 8 days ago$/m);
  assert.match(result.stdout, /^dead-man watch on sthilaire: daily at 09:00/m);
});

test("plan --stack limits the plan to one stack; an unknown stack is refused", () => {
  const one = runScript("scripts/plan.ts", ["--stack", "sthilaire", "--json"]);
  assert.equal(one.status, 0, one.stderr);
  assert.deepEqual((JSON.parse(one.stdout) as PlanDocument).stacks.map((s) => s.stack), ["sthilaire"]);
  const unknown = runScript("scripts/plan.ts", ["--stack", "nantes"]);
  assert.equal(unknown.status, 1);
  assert.equal(unknown.stdout, "");
  assert.equal(unknown.stderr, '--stack: found "nantes", expected one of rouans, sthilaire\n');
});

test("a broken spec makes plan exit 1 with the list of problems and nothing else", () => {
  const copy = projectCopy();
  try {
    const file = join(copy.root, "stacks", "sthilaire.ts");
    writeFileSync(file, readFileSync(file, "utf8").replace("vmid: 230,", "vmid: 110,").replace('schedule: "*-*-* 01:30"', 'schedule: "*-*-* 1:75"'));
    const result = runScript("scripts/plan.ts", [], copy.root);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, "");
    assert.equal(
      result.stderr,
      [
        "sites.sthilaire.containers[relay].vmid: found 110, expected a VMID not already used (sites.rouans.containers[web].vmid has it)",
        "sites.sthilaire.containers[relay].vmid: found 110, expected a VMID in 200..299 (the range of sthilaire)",
        'sites.sthilaire.backup.schedule: found "*-*-* 1:75", expected a calendar event such as "*-*-* 01:00" (minute 75 is outside 0..59)',
        "",
      ].join("\n"),
    );
  } finally {
    copy.remove();
  }
});

test("plan shows each datastore's footprint and each night, and warns above 80 % of a disk", () => {
  const normal = runScript("scripts/plan.ts", ["--stack", "rouans"]);
  assert.equal(normal.status, 0, normal.stderr);
  const section = normal.stdout.split("\n").filter((l) => /^(PBS datastore|  namespace|  GC grace|night of|  pull|  PBS's own jobs,|line of) /.test(l));
  assert.deepEqual(section, [
    `PBS datastore "backup" of rouans on 2 TB HDD (backups): 949 of 1736.8 GiB usable predicted (55 %); the 1860 GiB partition's ext4 takes 30.2 GiB of metadata and keeps 93 GiB (5 %) for root`,
    "  namespace rouans (own backups): 72 GiB full + 8 GiB padding + 1.15 GiB rewritten a night x 14 snapshots kept + 0.26 GiB new a night x 132 nights held = 130.2 GiB",
    "  namespace sthilaire (copies): 431 GiB full + 47.9 GiB padding + 4.32 GiB rewritten a night x 14 snapshots kept + 0.7 GiB new a night x 132 nights held = 632.2 GiB",
    "  GC grace 12.9 GiB, kept free 173.7 GiB",
    "night of rouans: backup 01:00-01:13 (0.21 h: walk 0.2 h of 1.26 M files, 2.4 GiB changed; the first one reads everything, 0.57 h); quiet hours 23:00-07:00, 5.8 h to spare",
    '  pull sthilaire -> rouans: *-*-* 04:45, 5.25 GiB of new chunks at rate-in 12.16 Mbit/s (13.6 Mbit/s on the line), 04:45-05:54 (window to 07:00); the backup may overrun 2.3 h and the pull 1.1 h; first full copy 431 GiB: one run of 93.9 h (3.9 days on end, longer than the night: carry it on a disk, docs/backup.md "The first copy")',
    "  pull rouans -> sthilaire: *-*-* 05:45, 1.44 GiB of new chunks at rate-in 35.78 Mbit/s (40 Mbit/s on the line), 05:45-05:52 (window to 07:00); the backup may overrun 4.5 h and the pull 1.1 h; first full copy 72 GiB: one run of 5.3 h (inside the night, started by hand at 23:00: its nightly slot is shorter)",
    "  PBS's own jobs, after the night's work on it (01:00-05:54): prune *-*-* 08:00 (2.1 h after), GC *-*-* 08:30 (2.6 h after), verify sun 10:00 to 13:41 at the most (4.1 h after)",
    // rouans' upload carries the pull at sthilaire's VDSL2-bound rate-in: on fibre with PPPoE, 39.38 of its 40.
    "line of rouans, upload: 39.38 of 40 Mbit/s booked at the peak (98 %, from 05:45: rouans -> sthilaire)",
    "line of rouans, download: 13.39 of 90 Mbit/s booked at the peak (15 %, from 04:45: sthilaire -> rouans)",
  ]);
  // The warnings: rouans' scratch datastore cannot take sthilaire's Nextcloud for a drill, and its alarms go by mail only.
  assert.deepEqual(normal.stdout.split("\n").filter((l) => l.startsWith("warning:")), [
    `warning: rouans: 15 value(s) are still this repository's examples, to replace with the site's own before a real deploy (README, "Deploy for real"), then remove from sites.rouans.placeholders: nodeName, siteLink.endpoint, recovery.publicIpv4, network.ipv4, network.ipv6, datastores, backupServer.path, firewall.adminNetworks, firewall.localNetwork, firewall.operatorsVpn, firewall.hosts, backup.alarmPath, config.endpoint, config.sshAddress, config.alarmPassword`,
    `warning: the first copy of sthilaire at rouans (431 GiB) is one pull of 93.9 h, 3.9 days on end at rate-in 12.16 Mbit/s: sthilaire's upload is taken by day too and the nightly pulls wait for it; carry it on a disk instead (docs/backup.md, "The first copy")`,
    "warning: the first copy of rouans at sthilaire (72 GiB) is one pull of 5.3 h, longer than its nightly slot (05:45-07:00): its first scheduled run would go on into the day; once rouans's first backup is done, start it by hand at 23:00: `proxmox-backup-manager sync-job run pull-rouans` on sthilaire",
    "warning: drill of sthilaire's nextcloud (220) on rouans: its 400 GiB do not fit the 160 GiB left on data, so it is not drilled there (nor could it fail over there)",
    "warning: dead-man watch on rouans: its alarms go by mail only, to technique@retzien.fr; if that mailbox is served from sthilaire, an alarm about that site is read only once it is back: add a Gotify server outside both sites (sites.rouans.backup.gotify) or an address outside the association",
  ]);
  const copy = projectCopy();
  try {
    const file = join(copy.root, "stacks", "sthilaire.ts");
    writeFileSync(file, readFileSync(file, "utf8").replace("dataSizeGiB: 400,", "dataSizeGiB: 850,"));
    const result = runScript("scripts/plan.ts", ["--stack", "rouans"], copy.root);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^warning: PBS datastore "backup" of rouans: 1480\.3 GiB predicted of 1736\.8 GiB usable \(85 %, above 80 %\): plan the next disk$/m);
    assert.match(result.stdout, /^ {2}runway at the containers' growth: 80 % ALREADY, full in 21 month\(s\)$/m);
  } finally {
    copy.remove();
  }
});

test("a Nextcloud grown to 1.5 TiB makes plan exit 1 naming the datastores and the numbers, and prints nothing else", () => {
  const copy = projectCopy();
  try {
    const file = join(copy.root, "stacks", "sthilaire.ts");
    writeFileSync(file, readFileSync(file, "utf8").replace("dataSizeGiB: 400,", "dataSizeGiB: 1536,"));
    const result = runScript("scripts/plan.ts", [], copy.root);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, "");
    assert.deepEqual(result.stderr.trimEnd().split("\n"), [
      'sites.sthilaire.containers[nextcloud].dataSizeGiB: found 1536, expected at most 1032 GiB, what its root disk and mount points hold together (is it in MiB, or is a volume too small?)',
      'sites.rouans.backupServer.sizeGiB: found "2290.3 GiB predicted on PBS datastore \\"backup\\" of rouans (own rouans 130.2 GiB + copies of sthilaire 1954.2 GiB + GC grace 32.2 GiB + 10 % kept free 173.7 GiB)", expected at most 1736.8 GiB, what 2 TB HDD (backups) leaves PBS (or its 5 % kept for root: `tune2fs -m 0`, then backupServer.reservedPercent 0): a bigger backup disk, a shorter retention, or less data',
      'sites.sthilaire.backupServer.sizeGiB: found "2290.3 GiB predicted on PBS datastore \\"backup\\" of sthilaire (own sthilaire 1954.2 GiB + copies of rouans 130.2 GiB + GC grace 32.2 GiB + 10 % kept free 173.7 GiB)", expected at most 1736.8 GiB, what 2 TB HDD (backups) leaves PBS (or its 5 % kept for root: `tune2fs -m 0`, then backupServer.reservedPercent 0): a bigger backup disk, a shorter retention, or less data',
      "offsite sthilaire -> rouans: found \"14.91 GiB of new chunks a night, 3.25 h at rate-in 12.16 Mbit/s (13.6 Mbit/s on the line) from 04:45\", expected a pull that ends by 07:00, within 2.25 h: raise sthilaire's uplink.offsiteShare, start its backup earlier, or lower the change",
      'sites.sthilaire.offsite.staleAfterHours: found 30, expected at least 30.5: on a good night the newest copy at rouans is up to 30.5 h old (backup 01:30, pull ends 08:00, then a day), so less alarms every day',
    ]);
  } finally {
    copy.remove();
  }
});

test("a broken stack file makes plan exit 1 naming the stack and key", () => {
  const copy = projectCopy();
  try {
    const file = join(copy.root, "Pulumi.rouans.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("retzien-infra:sshAddress:", "retzien-infra:sshAdress:"));
    const result = runScript("scripts/plan.ts", ["--stack", "rouans"], copy.root);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, "");
    assert.equal(
      result.stderr,
      "config[rouans].sshAddress: found nothing, expected a value of type string\nconfig[rouans].sshAdress: found an unknown key, expected no such key (is it misspelt?)\n",
    );
  } finally {
    copy.remove();
  }
});

test("a YAML slip in a stack file makes plan exit 1 with the file, line and column, and nothing else", () => {
  const copy = projectCopy();
  try {
    const file = join(copy.root, "Pulumi.rouans.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace(/^( {2}retzien-infra:sshAddress: )(.*)$/m, "$1[$2"));
    const result = runScript("scripts/plan.ts", [], copy.root);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, "");
    assert.equal(
      result.stderr,
      'Pulumi.rouans.yaml:15:3: found "a YAML syntax error (Flow sequence in block collection must be sufficiently indented and end with a ])", expected valid YAML: fix that line, or compare with the other site\'s file\n',
    );
  } finally {
    copy.remove();
  }
});

// A plain child process: no ts-node from the test runner; the fixture registers it as Pulumi does.
test("the program loads the way `pulumi up` loads it: ts-node, type checking, the project's tsconfig", () => {
  for (const stack of ["rouans", "sthilaire"]) {
    const result = spawnSync(process.execPath, [join(PROJECT_ROOT, "test/fixtures/load-like-pulumi.js"), PROJECT_ROOT, stack], {
      encoding: "utf8",
      timeout: 120_000,
    });
    assert.equal(result.status, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as { resources: number; outputs: string[] };
    assert.deepEqual(summary.outputs, ["containers", "hosted", "nightlyBackup", "backupServer", "syncTokens", "backupPlan", "drillPlan", "watchPlan", "mailRouting"]);
    assert.equal(summary.resources, stack === "rouans" ? 43 : 53);
  }
});

test("every command refuses an unknown option with exit 2 and its usage, and answers --help", () => {
  for (const script of ["scripts/plan.ts", "scripts/rebuild.ts", "scripts/status.ts", "scripts/diagram.ts", "scripts/bench/index.ts", "scripts/bootstrap.ts"]) {
    const bad = runScript(script, ["--bogus"]);
    assert.equal(bad.status, 2, script);
    assert.match(bad.stderr, /^Unknown option '--bogus'/, script);
    assert.match(bad.stderr, /^usage: npm run /m, script);
    const help = runScript(script, ["--help"]);
    assert.equal(help.status, 0, script);
    assert.match(help.stdout, /^usage: npm run /, script);
    assert.equal(help.stderr, "", script);
  }
});
