/**
 * PBS and the cross-site pull as each stack declares them under mocks: the
 * datastore and its jobs, every token with the least role it needs, the
 * storages Proxmox VE reads and writes through, the holder's pull of the source
 * (remote pinned, schedule and rate derived), the site link, secrets masked,
 * and what happens when the peer has published nothing or something wrong.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { StackRun } from "../../scripts/lib/mock-engine";
import { simulatedFingerprint, simulatedLinkKey, simulatedTokenSecret } from "../../scripts/lib/simulated-host";
import { TYPES, byName, ofType, peersPublishing, runStack } from "../helpers/stacks";

const runs = new Map<string, StackRun>();
async function planOf(stack: string): Promise<StackRun> {
  if (!runs.has(stack)) runs.set(stack, await runStack(stack));
  return runs.get(stack) as StackRun;
}
const create = (run: StackRun, name: string) => String(byName(run, TYPES.command, name).inputs["create"]);
/** The `proxmox-backup-manager ...` lines of a command, as run. */
const pbm = (text: string) => text.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("proxmox-backup-manager "));

for (const [stack, peer, sync] of [
  ["rouans", "sthilaire", { schedule: "*-*-* 04:45", rate: "1484KiB", address: "10.77.0.2" }],
  ["sthilaire", "rouans", { schedule: "*-*-* 05:45", rate: "4367KiB", address: "10.77.0.1" }],
] as const) {
  test(`${stack}: one datastore on the backup disk, a namespace per site, GC, a prune job per namespace, a verify job`, async () => {
    const run = await planOf(stack);
    // A disk that survived its host is taken back through the API (PBS 3's CLI cannot reuse one).
    assert.match(create(run, `${stack}-pbs-datastore`), /^ {2}proxmox-backup-debug api create \/config\/datastore --name 'backup' --path '\/mnt\/backup\/pbs' --reuse-datastore true /m);
    assert.deepEqual(pbm(create(run, `${stack}-pbs-datastore`)), [
      "proxmox-backup-manager datastore update 'backup' --gc-schedule '*-*-* 08:30' --notification-mode notification-system",
      "proxmox-backup-manager datastore create 'backup' '/mnt/backup/pbs' --gc-schedule '*-*-* 08:30' --notification-mode notification-system --comment 'retzien: own snapshots and held copies'",
    ]);
    assert.match(create(run, `${stack}-pbs-datastore`), new RegExp(`--name '${stack}'[\\s\\S]*--name '${peer}'`));
    for (const ns of [stack, peer]) {
      // Updated in place once there (its last-run state stays), the keep-* rules the spec leaves out cleared.
      const options = `--store 'backup' --ns '${ns}' --max-depth 0 --schedule '*-*-* 08:00' --keep-daily 7 --keep-weekly 4 --keep-monthly 3`;
      assert.deepEqual(pbm(create(run, `${stack}-pbs-prune-${ns}`)), [
        `proxmox-backup-manager prune-job update 'prune-${ns}' ${options} --delete keep-last --delete keep-yearly`,
        `proxmox-backup-manager prune-job create 'prune-${ns}' ${options}`,
      ]);
    }
    assert.deepEqual(pbm(create(run, `${stack}-pbs-verify`)), [
      "proxmox-backup-manager verify-job update 'verify-backup' --store 'backup' --schedule 'sun 10:00' --ignore-verified true --outdated-after 30",
      "proxmox-backup-manager verify-job create 'verify-backup' --store 'backup' --schedule 'sun 10:00' --ignore-verified true --outdated-after 30",
    ]);
  });

  test(`${stack}: each token has the least role its job needs, on its namespace only`, async () => {
    const run = await planOf(stack);
    const acls = ofType(run, TYPES.command)
      .filter((c) => c.name.startsWith(`${stack}-pbs-`))
      .flatMap((c) => pbm(String(c.inputs["create"])).filter((l) => l.includes(" acl update ")))
      .map((l) => l.replace("proxmox-backup-manager acl update ", ""))
      .sort();
    assert.deepEqual(acls, [
      `'/datastore/backup' DatastoreAudit --auth-id 'status@pbs!probe'`,
      `'/datastore/backup' DatastoreAudit --auth-id 'status@pbs'`,
      // PBS shows a sync job only to whom may audit its remote; still no read of any backup.
      `'/remote' RemoteAudit --auth-id 'status@pbs!probe'`,
      `'/remote' RemoteAudit --auth-id 'status@pbs'`,
      // Proxmox VE writes its own site's snapshots, reads the held copies, deletes neither.
      `'/datastore/backup/${peer}' DatastoreBackup --auth-id 'offsite@pbs'`,
      `'/datastore/backup/${peer}' DatastoreReader --auth-id 'pve@pbs!vzdump'`,
      `'/datastore/backup/${peer}' DatastoreReader --auth-id 'pve@pbs'`,
      `'/datastore/backup/${stack}' DatastoreBackup --auth-id 'pve@pbs!vzdump'`,
      `'/datastore/backup/${stack}' DatastoreBackup --auth-id 'pve@pbs'`,
      // The holder reads this site's namespace: no Backup, no Prune, nothing else.
      `'/datastore/backup/${stack}' DatastoreReader --auth-id 'sync-${peer}@pbs!pull'`,
      `'/datastore/backup/${stack}' DatastoreReader --auth-id 'sync-${peer}@pbs'`,
    ].sort());
    assert.doesNotMatch(JSON.stringify(run.resources), /DatastoreAdmin|DatastorePowerUser|RemoteSyncOperator|"Admin"/);
  });

  test(`${stack}: Proxmox VE writes through a PBS storage pinned to the local certificate, and reads ${peer}'s copies through another`, async () => {
    const run = await planOf(stack);
    const common = { nodes: [stack], server: "127.0.0.1", datastore: "backup", username: "pve@pbs!vzdump", password: "[secret]", fingerprint: simulatedFingerprint(stack), contents: ["backup"] };
    assert.deepEqual(byName(run, TYPES.pbsStorage, `${stack}-pbs-storage`).inputs, { resourceId: "pbs", namespace: stack, ...common });
    assert.deepEqual(byName(run, TYPES.pbsStorage, `${stack}-pbs-storage-${peer}`).inputs, { resourceId: `pbs-${peer}`, namespace: peer, ...common });
    const job = ofType(run, TYPES.job)[0];
    assert.equal(job?.inputs["storage"], "pbs");
    assert.ok(job?.dependsOn.includes(byName(run, TYPES.pbsStorage, `${stack}-pbs-storage`).urn));
  });

  test(`${stack}: pulls ${peer} through the link at the derived schedule and rate, never removing what ${peer} deleted`, async () => {
    const run = await planOf(stack);
    const options =
      `--store 'backup' --ns '${peer}' --remote '${peer}' --remote-store 'backup' --remote-ns '${peer}' --max-depth 0 ` +
      `--owner 'offsite@pbs' --schedule '${sync.schedule}' --rate-in ${sync.rate} --remove-vanished false --transfer-last 1 --resync-corrupt true`;
    assert.deepEqual(pbm(create(run, `${stack}-pull-${peer}-job`)), [`proxmox-backup-manager sync-job update 'pull-${peer}' ${options}`, `proxmox-backup-manager sync-job create 'pull-${peer}' ${options}`]);
    // The remote carries the token secret: the whole command is secret, its delete is not.
    const remote = byName(run, TYPES.command, `${stack}-pull-${peer}-remote`);
    assert.equal(remote.inputs["create"], "[secret]");
    assert.equal(remote.inputs["delete"], `set -eu\nproxmox-backup-manager remote remove '${peer}'\n`);
    assert.ok(remote.dependsOn.includes(byName(run, TYPES.command, `${stack}-pbs-offsite-owner`).urn));
  });

  test(`${stack}: the site link names ${peer} with its published key, its own address only`, async () => {
    const tunnel = create(await planOf(stack), `${stack}-link-tunnel`);
    assert.match(tunnel, new RegExp(`\\nPublicKey = ${simulatedLinkKey(peer).replace(/[+/]/g, "\\$&")}\\nEndpoint = ${peer}.retzien.fr:51820\\nAllowedIPs = ${sync.address}/32\\n`));
    assert.match(tunnel, /^systemctl restart wg-quick@wg-retzien\.service$/m);
  });

  test(`${stack}: publishes its fingerprint and link key in the clear, the holder's token secret as a secret`, async () => {
    const run = await planOf(stack);
    assert.deepEqual(run.outputs["backupServer"], { fingerprint: simulatedFingerprint(stack), linkPublicKey: simulatedLinkKey(stack) });
    assert.equal(run.outputs["syncTokens"], "[secret]");
    const text = JSON.stringify(run);
    for (const s of [simulatedTokenSecret(stack, `sync-${peer}@pbs!pull`), simulatedTokenSecret(stack, "pve@pbs!vzdump"), simulatedTokenSecret(peer, `sync-${stack}@pbs!pull`)]) {
      assert.ok(!text.includes(s), "a token secret reached the plan");
    }
  });
}

test("first deployment: the peer has published nothing; a warning, no remote, no pull, no tunnel, the rest declared", async () => {
  const run = await runStack("rouans", { behaviour: peersPublishing({}) });
  assert.deepEqual(run.warnings, [
    "sthilaire's stack has no backupServer output yet (first deployment?): the site link and the pull of its copies wait for the next pulumi up of this stack",
    `rouans: 15 value(s) are still this repository's examples, to replace with the site's own before a real deploy (README, "Deploy for real"), then remove from sites.rouans.placeholders: nodeName, siteLink.endpoint, recovery.publicIpv4, network.ipv4, network.ipv6, datastores, backupServer.path, firewall.adminNetworks, firewall.localNetwork, firewall.operatorsVpn, firewall.hosts, backup.alarmPath, config.endpoint, config.sshAddress, config.alarmPassword`,
    `the first copy of sthilaire at rouans (431 GiB) is one pull of 93.9 h, 3.9 days on end at rate-in 12.16 Mbit/s: sthilaire's upload is taken by day too and the nightly pulls wait for it; carry it on a disk instead (docs/backup.md, "The first copy")`,
    "the first copy of rouans at sthilaire (72 GiB) is one pull of 5.3 h, longer than its nightly slot (05:45-07:00): its first scheduled run would go on into the day; once rouans's first backup is done, start it by hand at 23:00: `proxmox-backup-manager sync-job run pull-rouans` on sthilaire",
    "drill of sthilaire's nextcloud (220) on rouans: its 400 GiB do not fit the 160 GiB left on data, so it is not drilled there (nor could it fail over there)",
    "dead-man watch on rouans: its alarms go by mail only, to technique@retzien.fr; if that mailbox is served from sthilaire, an alarm about that site is read only once it is back: add a Gotify server outside both sites (sites.rouans.backup.gotify) or an address outside the association",
  ]);
  const names = ofType(run, TYPES.command).map((c) => c.name);
  assert.deepEqual(names.filter((n) => n.includes("-pull-") || n.endsWith("-tunnel")), []);
  assert.ok(names.includes("rouans-pbs-sync-token-sthilaire"), "the token the peer will read is made all the same");
  assert.equal(ofType(run, TYPES.offsiteSync).length, 1);
});

test("a malformed fingerprint or key from the peer is never trusted, a missing token never guessed", async () => {
  const run = await runStack("sthilaire", {
    behaviour: peersPublishing({ backupServer: { fingerprint: "AA:BB", linkPublicKey: "not-a-key" }, syncTokens: {} }, ["syncTokens"]),
  });
  assert.deepEqual(run.warnings, [
    "rouans's published PBS certificate fingerprint is refused (not the expected format); the steps that need it are skipped",
    "rouans's published site-link public key is refused (not the expected format); the steps that need it are skipped",
    "rouans has published no sync token for sthilaire yet (is its stack deployed?); the steps that need it are skipped until the next pulumi up",
    `sthilaire: 13 value(s) are still this repository's examples, to replace with the site's own before a real deploy (README, "Deploy for real"), then remove from sites.sthilaire.placeholders: nodeName, siteLink.endpoint, recovery.publicIpv4, network.ipv4, network.ipv6, datastores, backupServer.path, firewall.adminNetworks, firewall.localNetwork, firewall.operatorsVpn, firewall.hosts, config.endpoint, config.sshAddress`,
    `the first copy of sthilaire at rouans (431 GiB) is one pull of 93.9 h, 3.9 days on end at rate-in 12.16 Mbit/s: sthilaire's upload is taken by day too and the nightly pulls wait for it; carry it on a disk instead (docs/backup.md, "The first copy")`,
    "the first copy of rouans at sthilaire (72 GiB) is one pull of 5.3 h, longer than its nightly slot (05:45-07:00): its first scheduled run would go on into the day; once rouans's first backup is done, start it by hand at 23:00: `proxmox-backup-manager sync-job run pull-rouans` on sthilaire",
    "PBS of sthilaire has 3 GiB, below Proxmox's recommended 5.8 GiB (4 GiB + 1 GiB per TiB of datastore): GC and verify run slower",
    "dead-man watch on sthilaire: its alarms go by mail only, to technique@retzien.fr; if that mailbox is served from rouans, an alarm about that site is read only once it is back: add a Gotify server outside both sites (sites.sthilaire.backup.gotify) or an address outside the association",
  ]);
  assert.deepEqual(ofType(run, TYPES.command).filter((c) => c.name.includes("-pull-") || c.name.endsWith("-tunnel")), []);
});
