/**
 * The real Pulumi engine (CLI v3.276.0, built from Go modules) runs the
 * project's own stacks/index.ts for both sites through the Automation API,
 * against the stand-in providers and fake hosts (test/engine/).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { planStacks } from "../../scripts/lib/offline-plan";
import { readStackFile } from "../../scripts/lib/stack-file";
import { validateSiteSpecs } from "../../src/program";
import { planRunbook } from "../../src/runbook/runbook";
import { allSites } from "../../stacks/sites";
import { PROJECT_ROOT, TYPES } from "../helpers/stacks";
import { type Engine, SITES, type SiteName, changesOf, startEngine } from "./harness";

const CONTAINER = TYPES.container;
const GUEST_FIREWALL = [TYPES.firewallRules, TYPES.firewallOptions];

let engine: Engine;
before(async () => {
  engine = await startEngine();
});
after(() => engine?.remove());

test("both stacks come up on empty hosts, the first again once the second has published, then preview --expect-no-changes passes for both", async () => {
  const [rouans, sthilaire] = await Promise.all(SITES.map((s) => engine.stack(s)));
  if (rouans === undefined || sthilaire === undefined) throw new Error("no stacks");
  const first = await rouans.up();
  assert.equal(first.summary.result, "succeeded");
  // sthilaire had published nothing yet: rouans waits with the link and the pull.
  assert.equal(Object.keys(first.outputs).includes("backupServer"), true);
  const second = await sthilaire.up();
  assert.equal(second.summary.result, "succeeded");
  const again = await rouans.up();
  assert.equal(again.summary.result, "succeeded");
  assert.ok((again.summary.resourceChanges?.["create"] ?? 0) > 0, "rouans' second up makes the link and the pull it waited for");
  for (const stack of [rouans, sthilaire]) {
    const preview = await stack.preview({ expectNoChanges: true });
    assert.deepEqual(Object.keys(changesOf(preview.changeSummary)), [], `${stack.name}: ${JSON.stringify(preview.changeSummary)}`);
  }
  // What the program made exists on the hosts: the containers, and the PBS objects the stand-ins keep.
  assert.deepEqual(Object.keys(engine.host("rouans").objects(CONTAINER)), ["110"]);
  assert.deepEqual(Object.keys(engine.host("sthilaire").objects(CONTAINER)).sort(), ["210", "220", "230"]);
  assert.match(engine.host("rouans").file("/etc/wireguard/wg-retzien.conf") ?? "", /^Endpoint = sthilaire\.retzien\.fr:51820$/m);
});

/** What a `pct restore` of a guest brings back: its config and its firewall file, as they were. */
function saveGuests(site: SiteName): Map<string, [string, string, Record<string, unknown>][]> {
  const host = engine.host(site);
  const saved = new Map<string, [string, string, Record<string, unknown>][]>();
  for (const [id, container] of Object.entries(host.objects(CONTAINER))) {
    const firewall = GUEST_FIREWALL.flatMap((type) =>
      Object.entries(host.objects(type))
        .filter(([, o]) => String(o["containerId"]) === id)
        .map(([fid, o]): [string, string, Record<string, unknown>] => [type, fid, o]),
    );
    saved.set(id, [[CONTAINER, id, container], ...firewall]);
  }
  return saved;
}

/** Each site lost in turn, rebuilt by each way the runbook knows that brings the site back home. */
const REHEARSALS: [SiteName, string][] = [
  ["rouans", "rebuild"],
  ["sthilaire", "rebuild"],
  ["rouans", "disk"],
  ["sthilaire", "disk"],
];

for (const [lost, mode] of REHEARSALS) test(`${lost} lost, ${mode}: on an empty host with the state kept, every pulumi step of the runbook as printed (preview, then up), then nothing left to change`, async () => {
  const { sites } = validateSiteSpecs(allSites);
  const planned = await planStacks(PROJECT_ROOT);
  assert.ok(planned.ok);
  const plans = new Map(planned.plan.stacks.map((s) => [s.stack, s.resources]));
  const sshOf = new Map(SITES.map((s) => [s, `root@${readStackFile(PROJECT_ROOT, s).config["retzien-infra:sshAddress"] ?? ""}`]));
  const runbook = planRunbook({ lost, mode, only: [], diskPath: "retzien-carry", allowStale: false }, { sites, plans, sshOf });
  assert.ok(runbook.ok);
  const guests = saveGuests(lost);
  const before = Object.keys(engine.host(lost).objects(CONTAINER)).sort();
  engine.host(lost).wipe();
  // The runbook's first step: Proxmox installed, then the bootstrap's new tokens (the old ones died with the host).
  await engine.bootstrap(lost);
  let pulumiSteps = 0;
  for (const step of runbook.runbook.steps) {
    const argv = step.argv ?? [];
    const restored = /pct restore (\d+) /.exec(argv.join(" "))?.[1];
    if (restored !== undefined) {
      for (const [type, id, object] of guests.get(restored) ?? []) engine.host(lost).put(type, id, object);
    }
    if (argv[0] !== "pulumi") continue;
    pulumiSteps += 1;
    const site = argv[argv.indexOf("--stack") + 1] as SiteName;
    const stack = await engine.stack(site);
    try {
      if (argv[1] === "up") {
        const target = argv.filter((_a, i) => argv[i - 1] === "--target");
        const replace = argv.filter((_a, i) => argv[i - 1] === "--replace");
        const refresh = argv.includes("--refresh");
        // The CLI's `pulumi up --target` previews first and names every missing dependency; so does this.
        await stack.preview({ target, replace, refresh });
        await stack.up({ target, replace, refresh });
      } else if (argv[1] === "refresh") {
        await stack.refresh();
      } else {
        const run = engine.pulumi(argv.slice(1), stack.workspace.workDir);
        if (run.status !== 0) throw Object.assign(new Error(`exit ${String(run.status)}`), run);
      }
    } catch (error) {
      assert.fail(`step "${step.title}" (${argv.slice(0, 4).join(" ")} ...) failed on the real engine:\n${String((error as { stderr?: string }).stderr ?? "")}${String((error as { stdout?: string }).stdout ?? error)}`);
    }
  }
  assert.ok(pulumiSteps >= 4, `the runbook has ${pulumiSteps} pulumi steps`);
  for (const site of SITES) {
    const preview = await (await engine.stack(site)).preview({ expectNoChanges: true });
    assert.deepEqual(Object.keys(changesOf(preview.changeSummary)), [], `${site}: ${JSON.stringify(preview.changeSummary)}`);
  }
  assert.deepEqual(Object.keys(engine.host(lost).objects(CONTAINER)).sort(), before);
});
