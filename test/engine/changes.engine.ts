/**
 * Changes on the real engine once both sites are up: drift made by hand on a
 * host, a change that would replace a stateful container, a destroy, the
 * relay's replacement under its fixed VMID, and CI's read-only preview.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
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
 * The users' CI previews with the read-only token in PROXMOX_VE_API_TOKEN. When
 * the token was an input of the provider (in the stack file), the engine proposed
 * to update the provider on every run and `--expect-no-changes` always failed;
 * the provider now reads the variable itself, so the token is in no input.
 */
test("CI's refreshing preview with the read-only preview token proposes nothing and changes nothing on the hosts; an up with it is refused before anything", async () => {
  for (const site of SITES) {
    // New tokens on the host, as a re-run bootstrap makes them: a token is no input, so nothing else changes.
    const deploy = await engine.bootstrap(site);
    const stack = await engine.stack(site);
    await engine.useToken(site, deploy.preview);
    try {
      const before = digest(engine.host(site).root);
      const preview = await stack.preview({ refresh: true, expectNoChanges: true });
      assert.deepEqual(changesOf(preview.changeSummary), {}, `${site}: ${preview.stdout}`);
      assert.doesNotMatch(preview.stdout, /apiToken/, site);
      assert.equal(digest(engine.host(site).root), before, `${site}: the preview wrote to the host`);
      // The same token is refused for an update by the program, before anything is registered.
      const up = await engine.isolated(site, "up", sites.all);
      assert.equal(up.ok, false);
      assert.match(up.output, /env\.PROXMOX_VE_API_TOKEN: found the preview token ci@pve!preview for an update, expected the deploy token pulumi@pve!deploy/);
      assert.equal(digest(engine.host(site).root), before, `${site}: the refused up wrote to the host`);
    } finally {
      await engine.useToken(site, deploy.deploy);
    }
  }
});

test("the other site's deploy token in the shell fails loudly on the first read (401) and changes nothing", async () => {
  const rouans = await engine.bootstrap("rouans");
  const sthilaire = await engine.bootstrap("sthilaire");
  const before = digest(engine.host("sthilaire").root);
  await engine.useToken("sthilaire", rouans.deploy);
  try {
    const refresh = await engine.isolated("sthilaire", "refresh", sites.all);
    assert.equal(refresh.ok, false, "the refresh went through with rouans' token");
    assert.match(refresh.output, /received an HTTP 401 response - Reason: authentication failure/);
    assert.equal(digest(engine.host("sthilaire").root), before);
  } finally {
    await engine.useToken("sthilaire", sthilaire.deploy);
  }
});

test("the backup disk replaced as docs/runbook.md says (pulumi up --replace of the datastore): the datastore is there after, with its jobs and ACLs", async () => {
  const stack = await engine.stack("sthilaire");
  const urn = (await stack.exportStack()).deployment.resources.map((r: { urn: string }) => r.urn).find((u: string) => u.endsWith("::sthilaire-pbs-datastore"));
  assert.ok(urn !== undefined, "no datastore command in the state");
  const before = engine.host("sthilaire").pbs();
  const kinds = ["datastore", "prune-job", "verify-job", "sync-job", "acl"];
  assert.ok(kinds.every((k) => before[k] !== undefined && Object.keys(before[k] as object).length > 0), JSON.stringify(before));
  const up = await stack.up({ replace: [urn] });
  assert.equal(up.summary.result, "succeeded");
  const after = engine.host("sthilaire").pbs();
  for (const kind of kinds) assert.deepEqual(after[kind], before[kind], kind);
  assert.deepEqual(await clean("sthilaire"), []);
});

test("destroy of a site with stateful containers is refused by protect, and their firewall stays on the host", async () => {
  const destroy = await engine.isolated("sthilaire", "destroy", sites.all);
  assert.equal(destroy.ok, false, "the destroy went through");
  assert.match(destroy.output, /protect/);
  const host = engine.host("sthilaire");
  assert.deepEqual(Object.keys(host.objects(CONTAINER)).sort(), ["210", "220"], "the stateless relay goes, the stateful guests stay");
  for (const vmid of ["210", "220"]) assert.ok(host.get(RULES, `rule-sthilaire-${vmid}`) !== undefined, `the firewall rules of ${vmid} stay with it`);
});
