/**
 * The firewall both real stacks declare: default-deny in every container and on
 * every host, the exact openings, and the order that switches the host's
 * firewall on only once its management set and rules exist.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { StackRun } from "../../scripts/lib/mock-engine";
import { describeRule, type FirewallRule } from "../../src/firewall/compile";
import { TYPES, byName, ofType, runStack } from "../helpers/stacks";

const runs = new Map<string, StackRun>();
async function planOf(stack: string): Promise<StackRun> {
  if (!runs.has(stack)) runs.set(stack, await runStack(stack));
  return runs.get(stack) as StackRun;
}

const rulesOf = (run: StackRun, name: string) => (byName(run, TYPES.firewallRules, name).inputs["rules"] as FirewallRule[]).map(describeRule);

test("the web container lets in the websites and admin SSH only, and out only what it needs", async () => {
  assert.deepEqual(rulesOf(await planOf("rouans"), "rouans-web-firewall-rules"), [
    "in ACCEPT tcp 22 from 10.99.0.0/24  # admin SSH, from the admin networks only",
    "in ACCEPT icmp echo-request from 10.99.0.0/24  # ping, from the admin networks only (monitoring)",
    "in ACCEPT tcp 80,443 from anyone  # the websites (80: redirects and ACME)",
    "out ACCEPT udp 53 to anyone  # DNS",
    "out ACCEPT tcp 53 to anyone  # DNS over TCP (large answers)",
    "out ACCEPT tcp 80,443 to anyone  # Debian updates (apt checks their signatures)",
    "out ACCEPT tcp 587 to 203.0.113.25/32  # the sites' mail, submitted to the outbound server",
  ]);
});

test("the relay takes mail from the mail and Nextcloud containers and the host's alarms only, by each of their addresses", async () => {
  const inbound = rulesOf(await planOf("sthilaire"), "sthilaire-relay-firewall-rules").filter((r) => r.startsWith("in "));
  assert.deepEqual(inbound, [
    "in ACCEPT tcp 22 from 10.99.0.0/24  # admin SSH, from the admin networks only",
    "in ACCEPT icmp echo-request from 10.99.0.0/24  # ping, from the admin networks only (monitoring)",
    "in ACCEPT tcp 25 from 192.168.20.10  # mail from Plesk, on its way out",
    "in ACCEPT tcp 25 from 2001:db8:20::10  # mail from Plesk, on its way out",
    "in ACCEPT tcp 25 from 192.168.20.11  # Nextcloud's notifications",
    "in ACCEPT tcp 25 from 2001:db8:20::11  # Nextcloud's notifications",
    "in ACCEPT tcp 25 from 192.168.20.2/32  # the host's alarms (backup.alarmPath)",
  ]);
});

for (const stack of ["rouans", "sthilaire"]) {
  test(`${stack}: every container drops what comes in and rejects what goes out by default, filters spoofed addresses, and has its rules after it exists`, async () => {
    const run = await planOf(stack);
    const containers = ofType(run, TYPES.container);
    assert.ok(containers.length > 0);
    for (const c of containers) {
      const options = byName(run, TYPES.firewallOptions, `${c.name}-firewall`);
      assert.deepEqual(
        options.inputs,
        { nodeName: stack, containerId: c.inputs["vmId"], enabled: true, inputPolicy: "DROP", outputPolicy: "REJECT", ipfilter: true, macfilter: true, dhcp: false, ndp: true, radv: false },
        c.name,
      );
      const rules = byName(run, TYPES.firewallRules, `${c.name}-firewall-rules`);
      assert.equal(rules.inputs["containerId"], c.inputs["vmId"]);
      for (const r of [options, rules]) assert.ok(r.dependsOn.includes(c.urn), `${r.name} waits for ${c.name}`);
      assert.ok(options.dependsOn.includes(rules.urn), `${options.name}: the policies once the openings exist`);
      // The NIC's own switch: without it Proxmox applies none of the container's rules.
      assert.deepEqual(c.inputs["networkInterfaces"], [{ name: "eth0", bridge: "vmbr0", firewall: true }]);
    }
  });

  test(`${stack}: the host answers SSH and the API from the admin networks, PBS from the peer's tunnel address, and is switched on last`, async () => {
    const run = await planOf(stack);
    const peerAddress = stack === "rouans" ? "10.77.0.2" : "10.77.0.1";
    const peer = stack === "rouans" ? "sthilaire" : "rouans";
    assert.deepEqual(rulesOf(run, `${stack}-firewall-rules`), [
      "in ACCEPT tcp 22,8006 from 10.99.0.0/24  # operators and CI: SSH and the Proxmox API, from the admin networks only",
      "in ACCEPT icmp echo-request from 10.99.0.0/24  # ping, from the admin networks only (monitoring)",
      `in ACCEPT tcp 8007 from ${peerAddress}  # PBS API for ${peer}'s pulls, through the site link only`,
      "in ACCEPT udp 51820 from anyone  # WireGuard of the site link",
      "in ACCEPT udp 51821 from anyone  # the operators' VPN, which ends on this host (its keys decide who gets in)",
    ]);
    const management = byName(run, TYPES.ipset, `${stack}-firewall-management`);
    assert.equal(management.inputs["name"], "management");
    assert.deepEqual(management.inputs["cidrs"], [{ name: "10.99.0.0/24", comment: "admin network" }]);
    // Proxmox adds its local_network alias to the management set: declared as the host alone, not the detected LAN.
    const localNetwork = byName(run, "proxmoxve:firewall/aliasLegacy:AliasLegacy", `${stack}-firewall-local-network`);
    assert.deepEqual([localNetwork.inputs["name"], localNetwork.inputs["cidr"]], ["local_network", stack === "rouans" ? "192.168.10.2/32" : "192.168.20.2/32"]);
    const enabled = byName(run, TYPES.clusterFirewall, `${stack}-firewall-enabled`);
    assert.deepEqual(enabled.inputs, { enabled: true, inputPolicy: "DROP", outputPolicy: "ACCEPT", ebtables: true });
    const before = [management, localNetwork, byName(run, TYPES.firewallRules, `${stack}-firewall-rules`), byName(run, TYPES.nodeFirewall, `${stack}-firewall-node`)];
    for (const r of before) assert.ok(enabled.dependsOn.includes(r.urn), `switched on after ${r.name}`);
    // and after what the deploy sets up over SSH: PBS (its datastore comes after its install, its jobs last) and the site link.
    for (const r of [byName(run, TYPES.command, `${stack}-pbs-datastore`), byName(run, TYPES.command, `${stack}-pbs-verify`), byName(run, TYPES.command, `${stack}-link-tunnel`)]) assert.ok(enabled.dependsOn.includes(r.urn), `switched on after ${r.name}`);
  });
}

test("guests failed over to rouans get their firewall compiled for rouans: the mail reaches the relay at its address there, and the relay takes it from the mail's", async () => {
  const run = await runStack("rouans", { config: (c) => void (c["retzien-infra:hosting"] = JSON.stringify(["sthilaire/mail", "sthilaire/relay"])) });
  const relayIn = rulesOf(run, "rouans-hosted-sthilaire-relay-firewall-rules").filter((r) => r.startsWith("in "));
  // Placed as the runbook's failover places them: in start order from rouans' failoverFrom, IPv4 only.
  // Nextcloud stayed at sthilaire (it did not fit): its rule still names its address there.
  assert.deepEqual(relayIn, [
    "in ACCEPT tcp 22 from 10.99.0.0/24  # admin SSH, from the admin networks only",
    "in ACCEPT icmp echo-request from 10.99.0.0/24  # ping, from the admin networks only (monitoring)",
    "in ACCEPT tcp 25 from 192.168.10.101  # mail from Plesk, on its way out",
    "in ACCEPT tcp 25 from 192.168.20.11  # Nextcloud's notifications",
    "in ACCEPT tcp 25 from 2001:db8:20::11  # Nextcloud's notifications",
    // The host the relay now runs on: its alarms may go through it as sthilaire's did.
    "in ACCEPT tcp 25 from 192.168.10.2/32  # the host's alarms (backup.alarmPath)",
  ]);
  assert.ok(rulesOf(run, "rouans-hosted-sthilaire-mail-firewall-rules").includes("out ACCEPT tcp 25 to 192.168.10.100  # every outgoing mail goes through the relay"));
  for (const name of ["relay", "mail"]) {
    const vmid = name === "relay" ? 230 : 210;
    const options = byName(run, TYPES.firewallOptions, `rouans-hosted-sthilaire-${name}-firewall`);
    const rules = byName(run, TYPES.firewallRules, `rouans-hosted-sthilaire-${name}-firewall-rules`);
    // The restore brought the guest's old firewall: both are imported, never created over it, and only
    // forgotten when the way home drops them (the guest's destroy takes its firewall).
    for (const r of [options, rules]) assert.deepEqual([r.importId, r.retainOnDelete, r.protect, r.inputs["nodeName"], r.inputs["containerId"]], [`container/rouans/${vmid}`, true, false, "rouans", vmid], r.name);
  }
  assert.deepEqual((run.outputs["hosted"] as Record<string, unknown>)["sthilaire/mail"], { vmid: 210, ipv4: "192.168.10.101/24" });
  // rouans' own guest keeps its firewall as it was.
  assert.deepEqual(rulesOf(run, "rouans-web-firewall-rules"), rulesOf(await planOf("rouans"), "rouans-web-firewall-rules"));
});

test("ping from the admin networks: icmp for IPv4 networks, ipv6-icmp for IPv6 ones, on containers and hosts alike", async () => {
  const { containerRules, hostRules } = await import("../../src/firewall/compile");
  const { validateSiteSpecs } = await import("../../src/program");
  const { cloneSites } = await import("../helpers/stacks");
  const sites = cloneSites();
  sites.rouans.firewall.adminNetworks = ["10.99.0.0/24", "fd00:99::/64"];
  const rouans = validateSiteSpecs(sites.all).sites.find((s) => s.name === "rouans");
  assert.ok(rouans);
  const pings = (rules: FirewallRule[]) => rules.filter((r) => r.dport === "echo-request").map(describeRule);
  const expected = [
    "in ACCEPT icmp echo-request from 10.99.0.0/24  # ping, from the admin networks only (monitoring)",
    "in ACCEPT ipv6-icmp echo-request from fd00:99::/64  # ping, from the admin networks only (monitoring)",
  ];
  assert.deepEqual(pings(containerRules(rouans, rouans.containers[0] as (typeof rouans.containers)[number])), expected);
  assert.deepEqual(pings(hostRules(rouans, [])), expected);
});
