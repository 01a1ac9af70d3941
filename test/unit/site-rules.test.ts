/**
 * The pure rules on their own, table-driven, with no Pulumi: exact messages for
 * each rule, and the committed sites passing all of them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatProblem } from "../../src/problems";
import { validateSiteSpecs } from "../../src/program";
import { canonicalAddress, inSubnet, parseCidr } from "../../src/rules/net";
import { validateDisks, validateMemory, validateNetwork } from "../../src/rules/site-rules";
import { siteSchema } from "../../src/site/schema";
import { allSites } from "../../stacks/sites";
import { cloneSites } from "../helpers/stacks";

test("the committed sites pass every rule", () => {
  assert.deepEqual(validateSiteSpecs(allSites).problems, []);
});

test("address helpers: subnets, families, canonical IPv6", () => {
  const v4 = parseCidr("192.168.10.0/24");
  const v6 = parseCidr("2001:db8:10::/64");
  assert.deepEqual(v4, { address: "192.168.10.0", prefix: 24, family: "ipv4" });
  assert.equal(parseCidr("192.168.10.0/33"), undefined);
  assert.equal(parseCidr("not-an-ip/24"), undefined);
  assert.equal(inSubnet("192.168.10.254", v4!), true);
  assert.equal(inSubnet("192.168.11.1", v4!), false);
  assert.equal(inSubnet("2001:db8:10::ffff", v6!), true);
  assert.equal(inSubnet("192.168.10.1", v6!), false);
  assert.equal(canonicalAddress("2001:db8:10:0::0:1"), "2001:db8:10::1");
});

const parsedSthilaire = () => siteSchema.parse(cloneSites().sthilaire);

test("validateMemory counts every container against RAM minus the reserve and PBS's share", () => {
  const site = parsedSthilaire();
  assert.deepEqual(validateMemory(site), []);
  site.host.reserveGiB = 4;
  assert.deepEqual(validateMemory(site).map(formatProblem), [
    'sites.sthilaire.containers: found "10240 MiB of container memory", expected at most 9216 MiB (16 GiB of RAM minus a 4 GiB host reserve and 3 GiB for PBS)',
  ]);
});

test("validateDisks: unknown datastore, wrong content, over-allocation, dir without path", () => {
  const site = parsedSthilaire();
  const relay = site.containers.find((c) => c.name === "relay")!;
  relay.rootDisk = { datastore: "local", sizeGiB: 8 };
  relay.mountPoints = [{ name: "spool", path: "/var/spool/postfix", datastore: "nvme", sizeGiB: 10, backup: true }];
  site.datastores.find((d) => d.id === "local-lvm")!.sizeGiB = 50;
  delete site.datastores.find((d) => d.id === "local")!.path;
  assert.deepEqual(validateDisks(site).map(formatProblem), [
    'sites.sthilaire.containers[relay].rootDisk.datastore: found "local", expected a datastore with content "rootdir" (local holds vztmpl, iso, snippets)',
    'sites.sthilaire.containers[relay].mountPoints[spool].datastore: found "nvme", expected one of this site\'s datastores (local, local-lvm, tank)',
    'sites.sthilaire.datastores[local-lvm]: found "64 GiB allocated to containers", expected at most its size, 50 GiB',
    "sites.sthilaire.datastores[local].path: found nothing, expected the mount path of a dir datastore",
  ]);
});

test("validateNetwork: family, prefix, gateway address, IPv6 without a subnet", () => {
  const site = parsedSthilaire();
  const [relay, mail, nextcloud] = site.containers;
  relay!.network.ipv4 = "2001:db8:20::12/64";
  mail!.network.ipv4 = "192.168.20.10/16";
  nextcloud!.network.ipv4 = "192.168.20.1/24";
  assert.deepEqual(validateNetwork(site).map(formatProblem), [
    'sites.sthilaire.containers[relay].network.ipv4: found "2001:db8:20::12/64", expected an ipv4 address with prefix, such as 192.168.10.10/24',
    'sites.sthilaire.containers[mail].network.ipv4: found "192.168.20.10/16", expected an address inside 192.168.20.0/24 with prefix /24',
    'sites.sthilaire.containers[nextcloud].network.ipv4: found "192.168.20.1/24", expected an address other than the gateway 192.168.20.1',
  ]);
  const noV6 = parsedSthilaire();
  delete noV6.network.ipv6;
  assert.equal(validateNetwork(noV6).length, 3);
  assert.equal(
    formatProblem(validateNetwork(noV6)[0]!),
    'sites.sthilaire.containers[relay].network.ipv6: found "2001:db8:20::12/64", expected no ipv6 address (the site has no ipv6 subnet)',
  );
});

test("shape problems name list items by key and are reported for every site at once", () => {
  const sites = cloneSites();
  (sites.rouans as { uplink: { upMbps: unknown } }).uplink.upMbps = -5;
  (sites.sthilaire.containers[0] as { hostname: string }).hostname = "Relay_1";
  assert.deepEqual(validateSiteSpecs(sites.all).problems.map(formatProblem), [
    "sites.rouans.uplink.upMbps: found -5, expected more than 0",
    'sites.sthilaire.containers[relay].hostname: found "Relay_1", expected a name without its domain, such as \"mail\": lower-case letters, digits and inner dashes, at most 63',
  ]);
});
