/**
 * Both stacks' real programs under mocks, with their real stack files: exact
 * resources, exact inputs of what matters (VMIDs, sizes, network, backup job).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { StackRun } from "../../scripts/lib/mock-engine";
import { simulatedFingerprint, simulatedLinkKey } from "../../scripts/lib/simulated-host";
import { TYPES, byName, ofType, runStack } from "../helpers/stacks";

const runs = new Map<string, StackRun>();
async function planOf(stack: string): Promise<StackRun> {
  if (!runs.has(stack)) runs.set(stack, await runStack(stack));
  return runs.get(stack) as StackRun;
}

const IGNORED = ["initialization.userAccount.password", "initialization.userAccount.keys", "operatingSystem.templateFileId"];

test("rouans declares exactly its provider, template, web container, its PBS, one backup job, the site link and its pull", async () => {
  const run = await planOf("rouans");
  const summary = run.resources.map((r) => `${r.type} ${r.name}`).sort();
  assert.deepEqual(summary, [
    `${TYPES.stack} retzien-infra-rouans`,
    `${TYPES.stackReference} rouans-peer-sthilaire`,
    `${TYPES.backupServer} rouans-pbs`,
    ...["install", "datastore", "notify", "pve-token", "offsite-owner", "status-token", "sync-token-sthilaire", "prune-rouans", "prune-sthilaire", "verify"].map((c) => `${TYPES.command} rouans-pbs-${c}`),
    `${TYPES.command} rouans-nightly-notify`,
    `${TYPES.pbsStorage} rouans-pbs-storage`,
    `${TYPES.pbsStorage} rouans-pbs-storage-sthilaire`,
    `${TYPES.siteLink} rouans-link`,
    `${TYPES.command} rouans-link-key`,
    `${TYPES.command} rouans-link-tunnel`,
    `${TYPES.offsiteSync} rouans-pull-sthilaire`,
    `${TYPES.command} rouans-pull-sthilaire-remote`,
    `${TYPES.command} rouans-pull-sthilaire-job`,
    `${TYPES.provider} rouans-proxmox`,
    `${TYPES.job} rouans-nightly-job`,
    `${TYPES.template} rouans-template`,
    `${TYPES.container} rouans-web`,
    `${TYPES.password} rouans-web-root-password`,
    `${TYPES.nightly} rouans-nightly`,
    `${TYPES.site} rouans`,
    `${TYPES.command} rouans-alarm-path`,
    `${TYPES.serviceContainer} rouans-web`,
    `${TYPES.firewallRules} rouans-web-firewall-rules`,
    `${TYPES.firewallOptions} rouans-web-firewall`,
    `${TYPES.hostFirewall} rouans-firewall`,
    `${TYPES.firewallRules} rouans-firewall-rules`,
    `${TYPES.ipset} rouans-firewall-management`,
    `proxmoxve:firewall/aliasLegacy:AliasLegacy rouans-firewall-local-network`,
    `${TYPES.nodeFirewall} rouans-firewall-node`,
    `${TYPES.clusterFirewall} rouans-firewall-enabled`,
    `${TYPES.restoreDrill} rouans-drill`,
    `${TYPES.command} rouans-drill-timer`,
    `${TYPES.deadManWatch} rouans-watch`,
    `${TYPES.command} rouans-watch-timer`,
  ].sort());
});

test("sthilaire declares mail, nextcloud and relay, and one backup job", async () => {
  const run = await planOf("sthilaire");
  assert.deepEqual(ofType(run, TYPES.container).map((c) => c.name).sort(), ["sthilaire-mail", "sthilaire-nextcloud", "sthilaire-relay"]);
  assert.equal(ofType(run, TYPES.job).length, 1);
  assert.equal(ofType(run, TYPES.provider).length, 1);
  assert.equal(run.resources.length, 53);
});

test("the web container has exactly the spec's VMID, sizes, network and flags", async () => {
  const web = byName(await planOf("rouans"), TYPES.container, "rouans-web");
  assert.deepEqual(web.inputs, {
    nodeName: "rouans",
    vmId: 110,
    description: "Apache + PHP-FPM, one pool per site, for ~250 websites",
    unprivileged: true,
    protection: true,
    cpu: { cores: 4 },
    memory: { dedicated: 16384, swap: 2048 },
    disk: { datastoreId: "local-lvm", size: 32 },
    mountPoints: [{ volume: "data", size: "300G", path: "/var/www", backup: true }],
    networkInterfaces: [{ name: "eth0", bridge: "vmbr0", firewall: true }],
    initialization: {
      hostname: "web",
      ipConfigs: [{ ipv4: { address: "192.168.10.10/24", gateway: "192.168.10.1" }, ipv6: { address: "2001:db8:10::10/64", gateway: "2001:db8:10::1" } }],
      userAccount: { password: "[secret]" },
    },
    operatingSystem: { templateFileId: "local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst", type: "debian" },
    features: { nesting: true },
    startOnBoot: true,
    started: true,
    startup: { order: 1, upDelay: 0, downDelay: 60 },
    tags: ["stateful", "web"],
  });
  assert.equal(web.protect, true);
  assert.deepEqual(web.ignoreChanges, IGNORED);
});

test("sthilaire's containers: VMIDs, memory, mount points with backup, protect only on stateful ones", async () => {
  const run = await planOf("sthilaire");
  const rows = ofType(run, TYPES.container)
    .map((c) => ({
      name: c.name,
      vmId: c.inputs["vmId"],
      memory: c.inputs["memory"],
      mountPoints: c.inputs["mountPoints"],
      unprivileged: c.inputs["unprivileged"],
      protect: c.protect,
      protection: c.inputs["protection"],
      address: (c.inputs["initialization"] as { ipConfigs: { ipv4: { address: string } }[] }).ipConfigs[0]?.ipv4.address,
    }))
    .sort((a, b) => Number(a.vmId) - Number(b.vmId));
  assert.deepEqual(rows, [
    { name: "sthilaire-mail", vmId: 210, memory: { dedicated: 4096, swap: 1024 }, mountPoints: [{ volume: "tank", size: "300G", path: "/var/qmail/mailnames", backup: true }], unprivileged: true, protect: true, protection: true, address: "192.168.20.10/24" },
    { name: "sthilaire-nextcloud", vmId: 220, memory: { dedicated: 5120, swap: 1024 }, mountPoints: [{ volume: "tank", size: "1000G", path: "/srv/nextcloud-data", backup: true }], unprivileged: true, protect: true, protection: true, address: "192.168.20.11/24" },
    { name: "sthilaire-relay", vmId: 230, memory: { dedicated: 1024, swap: 512 }, mountPoints: [], unprivileged: true, protect: false, protection: false, address: "192.168.20.12/24" },
  ]);
  for (const c of ofType(run, TYPES.container)) assert.deepEqual(c.ignoreChanges, IGNORED, c.name);
});

test("a replaced container goes before its successor comes: the VMID cannot be held twice", async () => {
  const run = await planOf("sthilaire");
  assert.deepEqual(ofType(run, TYPES.container).map((c) => [c.name, c.deleteBeforeReplace, c.protect]).sort(), [
    ["sthilaire-mail", true, true],
    ["sthilaire-nextcloud", true, true],
    ["sthilaire-relay", true, false],
  ]);
});

test("every host command replaces delete-first: create and delete name the same fixed ids, so the old one's delete would undo the new one's create", async () => {
  for (const stack of ["rouans", "sthilaire"]) {
    const commands = ofType(await planOf(stack), TYPES.command);
    assert.ok(commands.length > 10, stack);
    assert.deepEqual(commands.filter((c) => !c.deleteBeforeReplace).map((c) => c.name), [], stack);
  }
});

for (const [stack, schedule, vmids] of [
  ["rouans", "*-*-* 01:00", ["110"]],
  ["sthilaire", "*-*-* 01:30", ["210", "220", "230"]],
] as const) {
  test(`${stack}: exactly one vzdump job covering every container, to the local PBS with metadata change detection, no legacy mail`, async () => {
    const run = await planOf(stack);
    const [job, ...others] = ofType(run, TYPES.job);
    assert.equal(others.length, 0);
    assert.deepEqual(job?.inputs, {
      resourceId: `nightly-${stack}`,
      node: stack,
      schedule,
      storage: "pbs",
      all: false,
      vmids: [...vmids],
      mode: "snapshot",
      pbsChangeDetectionMode: "metadata",
      repeatMissed: true,
      enabled: true,
      notesTemplate: "{{guestname}} (nightly, {{node}})",
    });
    const containerUrns = ofType(run, TYPES.container).map((c) => c.urn).sort();
    assert.deepEqual(job?.dependsOn.filter((d) => d.includes("ContainerLegacy")), containerUrns);
  });

  test(`${stack}: every Proxmox resource gets the explicit provider, which holds no token (it reads PROXMOX_VE_API_TOKEN)`, async () => {
    const run = await planOf(stack);
    const provider = byName(run, TYPES.provider, `${stack}-proxmox`);
    // An input would be in the state, and CI's read-only token would show as a change of the provider.
    assert.equal(provider.inputs["apiToken"], undefined);
    assert.equal(provider.inputs["insecure"], "false");
    const proxmox = run.resources.filter((r) => r.type.startsWith("proxmoxve:"));
    assert.ok(proxmox.length >= 3);
    for (const r of proxmox) assert.equal(r.provider, `${provider.urn}::${provider.name}-id`, r.name);
  });

  test(`${stack}: the template comes over verified https, checked against Proxmox's sha512, and is kept when removed`, async () => {
    const template = byName(await planOf(stack), TYPES.template, `${stack}-template`);
    assert.equal(template.retainOnDelete, true);
    assert.deepEqual(template.inputs, {
      nodeName: stack,
      datastoreId: "local",
      contentType: "vztmpl",
      url: "https://download.proxmox.com/images/system/debian-12-standard_12.12-1_amd64.tar.zst",
      fileName: "debian-12-standard_12.12-1_amd64.tar.zst",
      // The sha512sum of debian-12-standard 12.12-1 in Proxmox's aplinfo.dat.
      checksum: "50c85eaaece677a3ebe01cc909b83872e9da2a22c29ae652838afce71e83222fdf40f6accecd7d52b180e912fc1f85ecdf7b3fc4d3027da4d865e509a9e76597",
      checksumAlgorithm: "sha512",
      verify: true,
      overwrite: false,
      overwriteUnmanaged: true,
    });
  });

  test(`${stack}: root passwords and the API token never appear in inputs or outputs`, async () => {
    const run = await planOf(stack);
    const text = JSON.stringify(run);
    assert.doesNotMatch(text, /mock-root-password/);
    assert.doesNotMatch(text, /00000000-0000-0000/);
    for (const c of ofType(run, TYPES.container)) {
      assert.equal((c.inputs["initialization"] as { userAccount: { password: string } }).userAccount.password, "[secret]");
    }
  });

  test(`${stack}: child names derive from the site and service names, under the site component`, async () => {
    const run = await planOf(stack);
    const site = byName(run, TYPES.site, stack);
    for (const sc of ofType(run, TYPES.serviceContainer)) {
      assert.equal(sc.parent, site.urn);
      const container = run.resources.find((r) => r.type === TYPES.container && r.parent === sc.urn);
      assert.equal(container?.name, sc.name);
    }
    assert.ok(run.resources.filter((r) => r.type !== TYPES.stack).every((r) => r.name.startsWith(stack)));
  });
}

test("stack outputs: every container, the backup job, what the peers read, and the plan", async () => {
  const run = await planOf("sthilaire");
  const { backupPlan, drillPlan, watchPlan, ...rest } = run.outputs as {
    backupPlan: { datastore: { totalGiB: number }; syncs: { schedule: string }[]; warnings: string[] };
    drillPlan: { scratch: unknown; guests: { vmid: number; fits: boolean }[] };
    watchPlan: { at: string; sources: { source: string; maxAgeHours: number }[]; drills: { vmid: number }[] };
  };
  assert.deepEqual(rest, {
    containers: {
      relay: { vmid: 230, hostname: "relay", ipv4: "192.168.20.12/24", ipv6: "2001:db8:20::12/64" },
      mail: { vmid: 210, hostname: "mail", ipv4: "192.168.20.10/24", ipv6: "2001:db8:20::10/64" },
      nextcloud: { vmid: 220, hostname: "nextcloud", ipv4: "192.168.20.11/24", ipv6: "2001:db8:20::11/64" },
    },
    hosted: {},
    nightlyBackup: { jobId: "nightly-sthilaire", schedule: "*-*-* 01:30", vmids: [210, 220, 230], storage: "pbs" },
    backupServer: { fingerprint: simulatedFingerprint("sthilaire"), linkPublicKey: simulatedLinkKey("sthilaire") },
    syncTokens: "[secret]",
    // The mail settings the firewall's flows imply: mail and Nextcloud send through the relay, which relays for them alone.
    mailRouting: {
      smarthosts: [
        { service: "mail", kind: "plesk-mail", relay: "relay", relayhost: "[192.168.20.12]:25" },
        { service: "nextcloud", kind: "nextcloud", relay: "relay", relayhost: "[192.168.20.12]:25" },
      ],
      relays: [
        {
          service: "relay",
          senders: ["mail", "nextcloud", "the host's alarms"],
          mynetworks: "127.0.0.0/8 [::1]/128 192.168.20.10/32 [2001:db8:20::10]/128 192.168.20.11/32 [2001:db8:20::11]/128 192.168.20.2/32",
        },
      ],
      alarms: { via: "relay", relay: "relay", relayhost: "[192.168.20.12]:25" },
    },
  });
  // The numbers themselves are the planner's tests' (test/unit/backup-plan.test.ts).
  assert.equal(backupPlan.datastore.totalGiB, 949);
  assert.deepEqual(backupPlan.syncs.map((s) => s.schedule), ["*-*-* 04:45", "*-*-* 05:45"]);
  assert.deepEqual(backupPlan.warnings, [
    `sthilaire: 13 value(s) are still this repository's examples, to replace with the site's own before a real deploy (README, "Deploy for real"), then remove from sites.sthilaire.placeholders: nodeName, siteLink.endpoint, recovery.publicIpv4, network.ipv4, network.ipv6, datastores, backupServer.path, firewall.adminNetworks, firewall.localNetwork, firewall.operatorsVpn, firewall.hosts, config.endpoint, config.sshAddress`,
    `the first copy of sthilaire at rouans (431 GiB) is one pull of 93.9 h, 3.9 days on end at rate-in 12.16 Mbit/s: sthilaire's upload is taken by day too and the nightly pulls wait for it; carry it on a disk instead (docs/backup.md, "The first copy")`,
    "the first copy of rouans at sthilaire (72 GiB) is one pull of 5.3 h, longer than its nightly slot (05:45-07:00): its first scheduled run would go on into the day; once rouans's first backup is done, start it by hand at 23:00: `proxmox-backup-manager sync-job run pull-rouans` on sthilaire",
    "PBS of sthilaire has 3 GiB, below Proxmox's recommended 5.8 GiB (4 GiB + 1 GiB per TiB of datastore): GC and verify run slower",
    "dead-man watch on sthilaire: its alarms go by mail only, to technique@retzien.fr; if that mailbox is served from rouans, an alarm about that site is read only once it is back: add a Gotify server outside both sites (sites.sthilaire.backup.gotify) or an address outside the association",
  ]);
  // sthilaire drills the copy it holds of rouans' web in its own scratch range.
  assert.deepEqual(drillPlan.scratch, { first: 910, last: 919 });
  assert.deepEqual(drillPlan.guests.map((g) => [g.vmid, g.fits]), [[110, true]]);
  // and watches rouans' copies every morning (the figures are test/watch's).
  assert.deepEqual([watchPlan.at, watchPlan.sources.map((s) => [s.source, s.maxAgeHours]), watchPlan.drills.map((d) => d.vmid)], ["09:00", [["rouans", 30]], [110]]);
});

test("a container marked adopt is imported as <node>/<vmid>, the others are created", async () => {
  const { cloneSites, runWithSites } = await import("../helpers/stacks");
  const sites = cloneSites();
  const mail = sites.sthilaire.containers.find((c) => c.name === "mail") as { adopt?: boolean };
  mail.adopt = true;
  const run = await runWithSites("sthilaire", sites.all);
  const imports = ofType(run, TYPES.container).map((c) => [c.name, c.importId]).sort();
  assert.deepEqual(imports, [["sthilaire-mail", "sthilaire/210"], ["sthilaire-nextcloud", ""], ["sthilaire-relay", ""]]);
  assert.ok(ofType(await planOf("sthilaire"), TYPES.container).every((c) => c.importId === ""));
});
