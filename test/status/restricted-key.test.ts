/**
 * The status probe under an SSH key restricted to it (authorized_keys:
 * `restrict,command="<the probe>"`, as `npm run bootstrap -- --status-key`
 * prints): through a real sshd on 127.0.0.1, `npm run status`'s own command is
 * answered with the probe's defaults, and any other command, path or API is
 * refused. A cron job's key then reads PBS's status and nothing else.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { statusKeyLine } from "../../src/access/bootstrap";
import { PBS_IDS, tokenSecretFile } from "../../src/backup/names";
import { DRILL_PATHS } from "../../src/drill/drill-commands";
import { WATCH_PATHS } from "../../src/watch/watch-commands";
import { runAsync } from "../helpers/cli";
import { makeEd25519Key, missingForLoopbackSshd, startLoopbackSshd, writeKnownHosts } from "../helpers/loopback-sshd";

const PROBE = join(__dirname, "..", "..", "scripts", "host", "status-probe.sh");

test("the probe's defaults are the paths the program installs", () => {
  const script = readFileSync(PROBE, "utf8");
  for (const path of ["/etc/proxmox-backup/proxy.pem", tokenSecretFile(PBS_IDS.statusToken), DRILL_PATHS.results, WATCH_PATHS.results]) {
    assert.ok(script.includes(`=${path}`), `the probe's default ${path}`);
  }
});

test("under SSH_ORIGINAL_COMMAND only --datastore, --ns and --postconf are taken, from npm run status's own command", () => {
  const probe = (original: string) => spawnSync("bash", [PROBE], { encoding: "utf8", timeout: 30_000, env: { ...process.env, SSH_ORIGINAL_COMMAND: original } });
  for (const [original, refused] of [
    ["bash -s -- --datastore backup --token-file /etc/shadow", "--token-file"],
    ["bash -s -- --datastore backup --api https://10.0.0.1:8007", "--api"],
    ["bash -s -- --datastore backup --drill-results /etc/proxmox-backup/token.shadow", "--drill-results"],
    ["cat /etc/shadow", "cat"],
  ] as const) {
    const r = probe(original);
    assert.equal(r.status, 2, original);
    assert.equal(r.stdout, "", original);
    assert.equal(r.stderr, `status-probe: under a restricted key only --datastore, --ns and --postconf are taken: found '${refused}'\n`);
  }
  // A value is still checked as on the command line.
  const bad = probe("bash -s -- --datastore ../x");
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--datastore: found '\.\.\/x', expected a datastore name/);
  // A Postfix parameter is a VMID or the host, and a parameter's name: nothing a shell or pct would read more into.
  for (const word of ["230:mynetworks;id", "host:$(id)", "../x:relayhost", "230:-e"]) {
    const refused = probe(`bash -s -- --datastore backup --postconf ${word}`);
    assert.equal(refused.status, 2, word);
    assert.match(refused.stderr, /--postconf: found '.*', expected host:PARAM or VMID:PARAM/, word);
  }
});

const missing = missingForLoopbackSshd();
test("through sshd with a key restricted to the probe: npm run status's command answers, with the defaults; nothing else runs", { skip: missing }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), "retzien-restricted-"));
  const key = join(root, "status");
  const authorized = join(root, "authorized_keys");
  // The very line npm run bootstrap -- --status-key prints, with the probe at its place in this checkout.
  const line = statusKeyLine(makeEd25519Key(key, "retzien-status"), PROBE);
  assert.ok(line.ok);
  writeFileSync(authorized, `${line.line}\n`);
  const sshd = await startLoopbackSshd(root, authorized);
  t.after(async () => {
    await sshd.stop();
    rmSync(root, { recursive: true, force: true });
  });
  const known = join(root, "known_hosts");
  writeKnownHosts(known, [sshd.port], sshd.hostPub);
  const ssh = (command: string[]) =>
    runAsync("ssh", ["-p", String(sshd.port), "-i", key, "-o", "IdentitiesOnly=yes", "-o", `UserKnownHostsFile=${known}`, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "root@127.0.0.1", ...command], root, 60_000, readFileSync(PROBE, "utf8"));
  // What npm run status sends on a real host (no paths, no API).
  const ok = await ssh(["bash", "-s", "--", "--datastore", "backup", "--ns", "rouans"]);
  assert.equal(ok.status, 0, ok.stderr);
  const answer = JSON.parse(ok.stdout) as { responses: Record<string, unknown>; errors: string[] };
  assert.deepEqual(Object.keys(answer.responses), ["/admin/datastore/backup/status", "/admin/sync", "/admin/prune", "/admin/verify", "/admin/gc/backup", "/admin/datastore/backup/snapshots?ns=rouans"]);
  // This machine is no PBS host: the defaults it was held to are missing, and it says so.
  assert.ok(answer.errors.includes(`no status token at ${tokenSecretFile(PBS_IDS.statusToken)}`), answer.errors.join("\n"));
  // Any other command is the probe refusing it, never a shell.
  const shell = await ssh(["cat", "/etc/hostname"]);
  assert.equal(shell.status, 2);
  assert.equal(shell.stdout, "");
  assert.match(shell.stderr, /only --datastore, --ns and --postconf are taken: found 'cat'/);
});
