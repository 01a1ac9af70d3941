/**
 * Changes on the real engine once both sites are up: drift made by hand on a
 * host, a change that would replace a stateful container, a destroy, the
 * relay's replacement under its fixed VMID, and CI's read-only preview.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { SiteSpecInput } from "../../src/site/schema";
import { TYPES, cloneSites } from "../helpers/stacks";
import { type Engine, SITES, changesOf, startEngine } from "./harness";

const { container: CONTAINER, firewallRules: RULES } = TYPES;

let engine: Engine;
const sites = cloneSites();
const original = structuredClone(sites.all);
/** The sites the program reads on its next run: a test changes them, and puts them back. */
const restoreSites = () => {
  sites.all.splice(0, sites.all.length, ...structuredClone(original));
};
const container = (site: SiteSpecInput, name: string) => {
  const found = site.containers.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no ${name}`);
  return found;
};

before(async () => {
  engine = await startEngine({ sites: sites.all });
  for (const site of [...SITES, "rouans"] as const) await (await engine.stack(site)).up();
});
after(() => engine?.remove());

const clean = async (site: (typeof SITES)[number]) => {
  const preview = await (await engine.stack(site)).preview({ expectNoChanges: true });
  return Object.keys(changesOf(preview.changeSummary));
};

test("drift made by hand on a host: refresh reads it, preview shows it, up puts the spec back, the next preview is clean", async () => {
  const host = engine.host("rouans");
  const web = host.get(CONTAINER, "110") ?? {};
  host.put(CONTAINER, "110", { ...web, memory: { dedicated: 8192, swap: 2048 } });
  const stack = await engine.stack("rouans");
  await stack.refresh();
  const preview = await stack.preview();
  assert.equal(preview.changeSummary["update"], 1, JSON.stringify(preview.changeSummary));
  await stack.up();
  assert.deepEqual(host.get(CONTAINER, "110")?.["memory"], { dedicated: 16384, swap: 2048 });
  assert.deepEqual(await clean("rouans"), []);
});

test("a mount point grown on a stateful container: the preview and the up both fail on the engine's protect, nothing on the host changes", async () => {
  const before = JSON.stringify(engine.host("rouans").objects(CONTAINER));
  const web = container(sites.all[0] as SiteSpecInput, "web");
  const mp = web.mountPoints?.[0];
  if (mp === undefined) throw new Error("web has no mount point");
  mp.sizeGiB = 310;
  try {
    for (const op of ["preview", "up"] as const) {
      const run = await engine.isolated("rouans", op, sites.all);
      assert.equal(run.ok, false, `${op} went through`);
      assert.match(run.output, /unable to replace resource "[^"]*::rouans-web"/, op);
    }
    assert.equal(JSON.stringify(engine.host("rouans").objects(CONTAINER)), before);
  } finally {
    restoreSites();
  }
  assert.deepEqual(await clean("rouans"), []);
});

test("the relay (stateless, fixed VMID) on another datastore is replaced delete-first: no VMID collision, one relay after", async () => {
  container(sites.all[1] as SiteSpecInput, "relay").rootDisk = { datastore: "tank", sizeGiB: 8 };
  try {
    const stack = await engine.stack("sthilaire");
    const up = await stack.up();
    assert.equal(up.summary.resourceChanges?.["replace"], 1, JSON.stringify(up.summary.resourceChanges));
    assert.deepEqual((engine.host("sthilaire").get(CONTAINER, "230")?.["disk"] as Record<string, unknown>)["datastoreId"], "tank");
  } finally {
    restoreSites();
  }
  await (await engine.stack("sthilaire")).up();
  assert.deepEqual(await clean("sthilaire"), []);
});

test("nesting switched on for a running container: PVE refuses the token (the provider sends every feature flag), the host keeps its flags", async () => {
  const relay = container(sites.all[1] as SiteSpecInput, "relay");
  relay.features = { nesting: true };
  try {
    const up = await engine.isolated("sthilaire", "up", sites.all);
    assert.equal(up.ok, false, "the up went through");
    assert.match(up.output, /changing feature flags \(except nesting\) is only allowed for root@pam/);
    assert.deepEqual(engine.host("sthilaire").get(CONTAINER, "230")?.["features"], { nesting: false });
  } finally {
    restoreSites();
  }
  assert.deepEqual(await clean("sthilaire"), []);
});

/** Every file of a host, hashed: what CI's preview must leave exactly as it was. */
function digest(dir: string): string {
  const hash = createHash("sha256");
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(path).update(readFileSync(path));
    }
  };
  walk(dir);
  return hash.digest("hex");
}

/**
 * Found here, not fixed yet: the preview token in the stack file is an input of
 * the provider resource, so the engine proposes to update the provider, and
 * the users' CI `preview --expect-no-changes` fails on every run (README, "The
 * users' CI"). This test holds the truth of it until the token leaves the
 * provider's inputs.
 */
test("CI's refreshing preview with the read-only preview token changes nothing on the hosts; its one proposed change is the provider's token", async () => {
  for (const site of SITES) {
    const stack = await engine.stack(site);
    const deploy = await stack.getConfig("retzien-infra:apiToken");
    // What the users' CI does: the preview token replaces the deploy token in its copy of the stack file.
    await stack.setConfig("retzien-infra:apiToken", { value: `ci@pve!preview=${randomUUID()}`, secret: true });
    try {
      const before = digest(engine.host(site).root);
      const preview = await stack.preview({ refresh: true });
      assert.deepEqual(changesOf(preview.changeSummary), { update: 1 }, site);
      assert.match(preview.stdout, /^ +~ +pulumi:providers:proxmoxve \w+-proxmox update/m, site);
      assert.equal(digest(engine.host(site).root), before, `${site}: the preview wrote to the host`);
      // The same token is refused for an update, before anything is registered.
      const up = await engine.isolated(site, "up", sites.all);
      assert.equal(up.ok, false);
      assert.match(up.output, /config\[\w+\]\.apiToken: found the preview token ci@pve!preview for an update, expected the deploy token pulumi@pve!deploy/);
      assert.equal(digest(engine.host(site).root), before, `${site}: the refused up wrote to the host`);
    } finally {
      await stack.setConfig("retzien-infra:apiToken", { value: deploy.value, secret: true });
    }
  }
});

test("destroy of a site with stateful containers is refused by protect, and their firewall stays on the host", async () => {
  const destroy = await engine.isolated("sthilaire", "destroy", sites.all);
  assert.equal(destroy.ok, false, "the destroy went through");
  assert.match(destroy.output, /protect/);
  const host = engine.host("sthilaire");
  assert.deepEqual(Object.keys(host.objects(CONTAINER)).sort(), ["210", "220"], "the stateless relay goes, the stateful guests stay");
  for (const vmid of ["210", "220"]) assert.ok(host.get(RULES, `rule-sthilaire-${vmid}`) !== undefined, `the firewall rules of ${vmid} stay with it`);
});
