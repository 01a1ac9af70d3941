/**
 * Least privilege, checked against what both real programs register: the deploy
 * role grants exactly what writing those resources needs, the preview role
 * exactly what reading them needs, and neither can widen its own power.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { bootstrapCommands, hostCheckLines, pbsStorageIdsOf, roleUpdateCommands, statusKeyCommands } from "../../src/access/bootstrap";
import { PAIRING } from "../../src/offsite/pairing";
import { validateSiteSpecs } from "../../src/program";
import { allSites } from "../../stacks/sites";
import { PBS_STORAGES_PATH, grantsFor } from "../../src/access/pve-privileges";
import { PVE_TOKEN_ROLES, roleGrants } from "../../src/access/pve-roles";
import { apiTokenProblems } from "../../src/config/api-token";
import { runStack } from "../helpers/stacks";

const { sites } = validateSiteSpecs(allSites);

/** Every Proxmox resource type either stack registers (the provider itself aside). */
async function proxmoxTypes(): Promise<Set<string>> {
  const types = new Set<string>();
  for (const stack of ["rouans", "sthilaire"]) {
    for (const r of (await runStack(stack)).resources) if (r.type.startsWith("proxmoxve:")) types.add(r.type);
  }
  return types;
}

test("the deploy role grants exactly what writing the program's resources needs, no more", async () => {
  const types = await proxmoxTypes();
  assert.ok(types.size >= 8, [...types].join(", "));
  assert.deepEqual(roleGrants(PVE_TOKEN_ROLES.deploy), grantsFor(types, "write"));
});

test("the preview role grants exactly what reading them needs: audit privileges, and Allocate on the PBS storages alone", async () => {
  const grants = roleGrants(PVE_TOKEN_ROLES.preview);
  assert.deepEqual(grants, grantsFor(await proxmoxTypes(), "read"));
  // pve-storage's GET /storage/{storage} checks Datastore.Allocate: the one exception, and only there.
  assert.deepEqual(grants.filter((g) => !/^[A-Za-z]+\.Audit@/.test(g)), [`Datastore.Allocate@${PBS_STORAGES_PATH}`]);
});

test("neither token can make tokens, change ACLs, open a console or power the host off", () => {
  const widening = /^(User\.Modify|Permissions\.Modify|Realm\.|Group\.Allocate|Sys\.Console|Sys\.PowerMgmt|Sys\.Incoming|VM\.Console|VM\.Monitor|VM\.Migrate|Pool\.Allocate|Mapping\.)/;
  for (const role of Object.values(PVE_TOKEN_ROLES)) {
    for (const g of roleGrants(role)) assert.doesNotMatch(g, widening, `${role.name}: ${g}`);
  }
});

test("a type the program registers without recorded needs is an error naming it", () => {
  assert.throws(() => grantsFor(["proxmoxve:index/vmLegacy:VmLegacy"], "write"), /no privileges recorded for proxmoxve:index\/vmLegacy:VmLegacy/);
});

test("the preview token is taken for a preview and refused for an update; the deploy token for both", () => {
  const preview = "ci@pve!preview=11111111-2222-3333-4444-555555555555";
  const deploy = "pulumi@pve!deploy=11111111-2222-3333-4444-555555555555";
  assert.deepEqual(apiTokenProblems(preview, true), []);
  assert.deepEqual(apiTokenProblems(deploy, true), []);
  assert.deepEqual(apiTokenProblems(deploy, false), []);
  const update = apiTokenProblems(preview, false);
  assert.equal(update.length, 1);
  assert.doesNotMatch(JSON.stringify(update), /11111111/);
});

test("the bootstrap makes each role from the same table, one Proxmox role per ACL path, the token with its user's privileges", () => {
  // rouans' PBS storages: its own, and the one over the copies of sthilaire it holds.
  const storages = pbsStorageIdsOf(sites.find((s) => s.name === "rouans")!, sites, PAIRING);
  assert.deepEqual(storages, ["pbs", "pbs-sthilaire"]);
  assert.deepEqual(bootstrapCommands(PVE_TOKEN_ROLES.preview, storages), [
    "pveum role add RetzienPreviewCluster --privs 'Sys.Audit'",
    "pveum role add RetzienPreviewNodes --privs 'Sys.Audit'",
    "pveum role add RetzienPreviewStorage --privs 'Datastore.Audit'",
    "pveum role add RetzienPreviewGuests --privs 'VM.Audit'",
    "pveum role add RetzienPreviewPbsStorages --privs 'Datastore.Allocate'",
    "pveum user add ci@pve --comment 'retzien preview: owns the token ci@pve!preview, cannot log in'",
    "pveum acl modify / --users ci@pve --roles RetzienPreviewCluster",
    "pveum acl modify /nodes --users ci@pve --roles RetzienPreviewNodes",
    "pveum acl modify /storage --users ci@pve --roles RetzienPreviewStorage",
    "pveum acl modify /vms --users ci@pve --roles RetzienPreviewGuests",
    "pveum acl modify /storage/pbs --users ci@pve --roles RetzienPreviewPbsStorages",
    "pveum acl modify /storage/pbs-sthilaire --users ci@pve --roles RetzienPreviewPbsStorages",
    "pveum user token add ci@pve preview --privsep 0 --comment 'CI'\\''s pulumi preview --refresh: reads everything the program declares, changes nothing'",
  ]);
  // Every grant of the deploy role is made by its bootstrap.
  const made = bootstrapCommands(PVE_TOKEN_ROLES.deploy, storages).join("\n");
  for (const acl of PVE_TOKEN_ROLES.deploy.acls) assert.ok(made.includes(`--privs '${acl.privileges.join(",")}'`), acl.path);
});

test("docs/access.md says why for every privilege each role grants", () => {
  const doc = readFileSync(join(__dirname, "../../docs/access.md"), "utf8");
  for (const role of Object.values(PVE_TOKEN_ROLES)) {
    for (const acl of role.acls) for (const privilege of acl.privileges) assert.ok(doc.includes(`\`${privilege}\``), `${role.name}: ${privilege} on ${acl.path}`);
  }
});

test("npm run bootstrap prints each role's commands and where its secret goes; an unknown role exits 2", () => {
  const run = (args: string[]) => spawnSync(process.execPath, ["-r", "./scripts/lib/load-typescript.js", "scripts/bootstrap.ts", ...args], { cwd: join(__dirname, "../.."), encoding: "utf8" });
  const all = run(["--site", "sthilaire"]);
  assert.equal(all.status, 0, all.stderr);
  for (const role of Object.values(PVE_TOKEN_ROLES)) for (const line of bootstrapCommands(role, ["pbs", "pbs-rouans"])) assert.ok(all.stdout.includes(`${line}\n`), line);
  // CI reads one line per site from this secret (.github/workflows/preview.yml).
  assert.match(all.stdout, /^# then, in the repository's CI secret PROXMOX_PREVIEW_TOKENS, this host's line: sthilaire ci@pve!preview=<the secret printed above>$/m);
  // The deploy token goes nowhere in the repository: the operators keep it, and each run reads it from the environment.
  assert.match(all.stdout, /^# then, keep pulumi@pve!deploy=<the secret printed above> in the operators' password manager as sthilaire's deploy token; each pulumi run for sthilaire reads it from PROXMOX_VE_API_TOKEN/m);
  const noSite = run([]);
  assert.equal(noSite.status, 2);
  assert.match(noSite.stderr, /^--site: found nothing, expected one of rouans, sthilaire$/m);
  const update = run(["--site", "rouans", "--role", "deploy", "--update"]);
  assert.deepEqual(update.stdout.trim().split("\n").slice(hostCheckLines().length + 1), roleUpdateCommands(PVE_TOKEN_ROLES.deploy));
  const bad = run(["--site", "rouans", "--role", "admin"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^--role: found admin, expected one of deploy, preview$/m);
  assert.equal(bad.stdout, "");
});

test("npm run bootstrap --status-key prints the line that lets that key run the status probe as root and nothing else, added once; no key, no line", () => {
  const run = (args: string[]) => spawnSync(process.execPath, ["-r", "./scripts/lib/load-typescript.js", "scripts/bootstrap.ts", ...args], { cwd: join(__dirname, "../.."), encoding: "utf8" });
  const dir = mkdtempSync(join(tmpdir(), "retzien-status-key-"));
  try {
    const key = join(dir, "status");
    const made = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "retzien-status", "-f", key], { encoding: "utf8" });
    assert.equal(made.status, 0, made.stderr);
    const pub = readFileSync(`${key}.pub`, "utf8").trim();
    const r = run(["--site", "rouans", "--status-key", `${key}.pub`]);
    assert.equal(r.status, 0, r.stderr);
    const line = `restrict,command="/usr/local/lib/retzien/status-probe.sh" ${pub}`;
    assert.deepEqual(r.stdout.split("\n").filter((l) => !l.startsWith("#") && l !== "").slice(hostCheckLines().length - 1), statusKeyCommands(line));
    // Run against a stand-in home: the line is added once, however often the commands run.
    const home = join(dir, "home-of-root");
    const script = statusKeyCommands(line).join("\n").replaceAll("/root/.ssh", `${home}/.ssh`);
    assert.ok(!script.includes("/root"), script);
    for (let i = 0; i < 2; i++) assert.equal(spawnSync("sh", ["-c", script]).status, 0);
    assert.equal(readFileSync(join(home, ".ssh", "authorized_keys"), "utf8"), `${line}\n`);
    // The private key, or anything but a public key line, is refused without being shown.
    const secret = run(["--site", "rouans", "--status-key", key]);
    assert.equal(secret.status, 2);
    assert.equal(secret.stdout, "");
    assert.equal(secret.stderr, `--status-key: found ${key} without one, expected an OpenSSH public key line, such as ssh-ed25519 AAAA... retzien-status\n`);
    assert.ok(!secret.stderr.includes(readFileSync(key, "utf8").split("\n")[1] ?? "-"), "nothing of the private key is shown");
    const missing = run(["--site", "rouans", "--status-key", join(dir, "none.pub")]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^--status-key: cannot read .*none\.pub \(ENOENT\), expected an OpenSSH public key file$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the bootstrap's script checks the host's Proxmox VE version and the deploying machine's address before anything changes: older than 8.3, or a machine outside the admin networks, is refused in one line, pveum never runs", () => {
  const script = spawnSync(process.execPath, ["-r", "./scripts/lib/load-typescript.js", "scripts/bootstrap.ts", "--site", "rouans"], { cwd: join(__dirname, "../.."), encoding: "utf8" });
  assert.equal(script.status, 0, script.stderr);
  assert.ok(script.stdout.startsWith(`${hostCheckLines().join("\n")}\n`));
  const dir = mkdtempSync(join(tmpdir(), "retzien-bootstrap-"));
  try {
    // Stand-ins: pveversion prints what PVE's does (pve-manager/<version>/<commit> ...), pveum records its calls.
    const calls = join(dir, "pveum.calls");
    writeFileSync(join(dir, "pveum"), `#!/bin/sh\necho "$*" >> ${calls}\necho token-secret\n`, { mode: 0o755 });
    // sshd's SSH_CLIENT: the deploying machine's address as the host sees it, from the operators' VPN by default.
    const hostRuns = (version: string, client = "10.99.0.5 51234 22") => {
      writeFileSync(join(dir, "pveversion"), `#!/bin/sh\necho "pve-manager/${version}/3e76eec21c4a14a7 (running kernel: 6.8.12-5-pve)"\n`, { mode: 0o755 });
      rmSync(calls, { force: true });
      const run = spawnSync("bash", [], { input: script.stdout, encoding: "utf8", env: { ...process.env, PATH: `${dir}:${process.env["PATH"] ?? ""}`, SSH_CLIENT: client } });
      return { status: run.status, stderr: run.stderr, calls: existsSync(calls) ? readFileSync(calls, "utf8") : "" };
    };
    for (const old of ["8.2.4", "7.4.17"]) {
      const r = hostRuns(old);
      assert.equal(r.status, 1, old);
      assert.equal(r.stderr, `retzien-infra needs Proxmox VE 8.3 or later (its firewall and backup fields), and this host runs: pve-manager/${old}/3e76eec21c4a14a7 (running kernel: 6.8.12-5-pve)\n`);
      assert.equal(r.calls, "", `${old}: nothing may change`);
    }
    for (const good of ["8.3.0", "8.4.1", "9.0.3"]) {
      const r = hostRuns(good);
      assert.equal(r.status, 0, `${good}: ${r.stderr}`);
      assert.match(r.calls, /^user token add /m, good);
    }
    // The deploying machine outside the admin networks (on the site's LAN, or behind a LAN box that masquerades
    // the VPN), or not over SSH at all: refused before anything changes, as the first up would cut it off.
    assert.equal(hostRuns("8.4.1", "::ffff:10.99.0.7 51234 22").status, 0, "an IPv4-mapped address of the VPN");
    for (const client of ["192.168.10.50 51234 22", "2001:db8::1 51234 22", ""]) {
      const r = hostRuns("8.4.1", client);
      assert.equal(r.status, 1, client);
      assert.equal(r.calls, "", `${client}: nothing may change`);
      assert.match(r.stderr, client === "" ? /^run this over SSH from the machine that will deploy / : new RegExp(`^this host sees the deploying machine as ${client.split(" ")[0]}, outside rouans's admin networks \\(10\\.99\\.0\\.0/24\\)`), client);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
