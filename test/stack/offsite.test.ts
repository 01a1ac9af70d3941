/**
 * The offsite pull as each stack declares it under mocks: the authorisation of
 * the peer's key (exact line), the StackReference, the storage over the copies,
 * what gets installed, and what happens when the peer has published nothing or
 * something wrong.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { StackRun } from "../../scripts/lib/mock-engine";
import { simulatedPublicKey } from "../../scripts/lib/simulated-host";
import { PROJECT_ROOT, TYPES, byName, cloneSites, decodedPayloads, ofType, peersPublishing, runStack, runWithSites } from "../helpers/stacks";

const runs = new Map<string, StackRun>();
async function planOf(stack: string): Promise<StackRun> {
  if (!runs.has(stack)) runs.set(stack, await runStack(stack));
  return runs.get(stack) as StackRun;
}
const blobOf = (key: string) => key.split(" ")[1];

for (const [stack, peer] of [
  ["rouans", "sthilaire"],
  ["sthilaire", "rouans"],
] as const) {
  test(`${stack}: authorises ${peer}'s pull key read-only on its own dump directory, and nothing else`, async () => {
    const run = await planOf(stack);
    const authorize = byName(run, TYPES.command, `${stack}-offsite-authorize-${peer}`);
    const line = `restrict,command="/usr/bin/rrsync -ro /mnt/backup/dump" ssh-ed25519 ${blobOf(simulatedPublicKey(peer, "pull"))} retzien-offsite-pull-from-${peer}`;
    assert.ok(String(authorize.inputs["create"]).includes(`printf '%s\\n' '${line}' >> '/root/.ssh/authorized_keys.new'`), String(authorize.inputs["create"]));
    assert.match(String(authorize.inputs["delete"]), /grep -v -F -e ' retzien-offsite-pull-from-\w+' '\/root\/.ssh\/authorized_keys'/);
    assert.equal(ofType(run, TYPES.command).filter((c) => c.name.includes("authorize")).length, 1);
  });

  test(`${stack}: reads ${peer}'s stack through a StackReference named by the self-managed backend`, async () => {
    const refs = ofType(await planOf(stack), TYPES.stackReference);
    assert.deepEqual(refs.map((r) => [r.name, r.inputs["name"]]), [[`${stack}-peer-${peer}`, `organization/retzien-infra/${peer}`]]);
  });

  test(`${stack}: a Proxmox directory storage (content backup) over ${peer}'s copies`, async () => {
    const run = await planOf(stack);
    const storage = byName(run, TYPES.directory, `${stack}-offsite-${peer}-storage`);
    assert.deepEqual(storage.inputs, { resourceId: `offsite-${peer}`, path: `/mnt/backup/offsite/${peer}`, contents: ["backup"], nodes: [stack], shared: false });
    const provider = byName(run, TYPES.provider, `${stack}-proxmox`);
    assert.equal(storage.provider, `${provider.urn}::${provider.name}-id`);
  });

  test(`${stack}: installs the pull script as shipped, its env file and units, and enables the timer`, async () => {
    const run = await planOf(stack);
    const install = byName(run, TYPES.command, `${stack}-offsite-${peer}-install`);
    const payloads = decodedPayloads(install.inputs["create"]);
    const script = readFileSync(join(PROJECT_ROOT, "scripts/host/offsite-pull.sh"), "utf8");
    assert.equal(payloads.length, 4);
    assert.equal(payloads[0], script);
    assert.match(payloads[1] ?? "", new RegExp(`^PEER_NAME='${peer}'$`, "m"));
    assert.match(payloads[1] ?? "", new RegExp(`^DEST_DIR='/mnt/backup/offsite/${peer}/dump'$`, "m"));
    assert.match(payloads[2] ?? "", new RegExp(`^ExecStart=/usr/local/sbin/retzien-offsite-pull --config /etc/retzien/offsite-pull-${peer}.env$`, "m"));
    assert.match(payloads[3] ?? "", new RegExp(`^OnCalendar=\\*-\\*-\\* ${stack === "rouans" ? "03:00" : "02:00"}$`, "m"));
    assert.match(payloads[3] ?? "", /^Persistent=true$/m);
    assert.match(String(install.inputs["create"]), new RegExp(`systemctl enable --now 'retzien-offsite-pull-${peer}.timer'`));
    // Uninstalling stops the pulls; it never deletes a copy.
    assert.doesNotMatch(String(install.inputs["delete"]), /offsite\/|rm -rf/);
  });

  test(`${stack}: trusts ${peer}'s SSH host key as published, and publishes its own keys`, async () => {
    const run = await planOf(stack);
    const knownHost = byName(run, TYPES.command, `${stack}-offsite-${peer}-known-host`);
    assert.ok(String(knownHost.inputs["create"]).includes(`'${peer}.retzien.fr ssh-ed25519 ${blobOf(simulatedPublicKey(peer, "host"))} retzien-peer-${peer}'`));
    const keys = byName(run, TYPES.command, `${stack}-offsite-keys`);
    // Only public halves are printed (and so reach the state).
    assert.doesNotMatch(String(keys.inputs["create"]), /cat '\/etc\/retzien\/offsite-pull\/id_ed25519'/);
    assert.deepEqual(run.outputs["offsitePull"], { publicKey: simulatedPublicKey(stack, "pull"), hostKey: simulatedPublicKey(stack, "host") });
  });
}

test("first deployment: the peer has published nothing; a warning, no authorisation, no trust, the rest declared", async () => {
  const run = await runStack("rouans", { behaviour: peersPublishing({}) });
  assert.deepEqual(run.warnings, [
    "sthilaire's stack has no offsitePull output yet (first deployment?): its pull key is not authorised and its host key not trusted until the next pulumi up of this stack",
  ]);
  const names = ofType(run, TYPES.command).map((c) => c.name).sort();
  assert.deepEqual(names, ["rouans-offsite-keys", "rouans-offsite-sthilaire-install"]);
  assert.equal(ofType(run, TYPES.directory).length, 1);
});

test("a malformed or foreign key from the peer is never authorised", async () => {
  const run = await runStack("sthilaire", {
    behaviour: peersPublishing({ offsitePull: { publicKey: `command="sh" ${simulatedPublicKey("rouans", "pull")}`, hostKey: "" } }),
  });
  assert.deepEqual(run.warnings, [
    "rouans's published offsite pull key is refused (not a single ssh-ed25519 public key); the steps that need it are skipped",
    "rouans has published no SSH host key yet (is its stack deployed?); the steps that need it are skipped until the next pulumi up",
  ]);
  assert.equal(ofType(run, TYPES.command).filter((c) => c.name.includes("authorize") || c.name.includes("known-host")).length, 0);
});

test("the program warns, naming the direction and the numbers, when a night will not fit", async () => {
  const sites = cloneSites();
  (sites.sthilaire.containers.find((c) => c.name === "nextcloud") as { dailyChangeShare?: number }).dailyChangeShare = 0.1;
  const run = await runWithSites("rouans", sites.all);
  assert.deepEqual(run.warnings, [
    "offsite sthilaire -> rouans: about 43.04 GiB change a night, which takes 7.55 h at 13.6 Mbit/s (sthilaire's upload budget), " +
      "but the window 03:00-07:00 is 4 h (it moves at most 22.8 GiB): copies will lag; widen the window, raise the share, or lower the change",
  ]);
  // The holder warns; the sender's stack does not repeat it.
  assert.deepEqual((await runWithSites("sthilaire", sites.all)).warnings, []);
});
