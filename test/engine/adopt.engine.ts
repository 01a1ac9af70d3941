/**
 * Adoption on a host that is not fresh: the mail container of St Hilaire runs
 * already, with its firewall, and the template is already downloaded. With
 * `adopt: true` the real engine imports what is there instead of creating
 * twins, and what the provider would refuse on such a host (rules it did not
 * make, a file it did not download) does not stop the up.
 */
import { afterEach, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { type PlannedResource, planStacks } from "../../scripts/lib/offline-plan";
import { PROJECT_ROOT, TYPES, cloneSites } from "../helpers/stacks";
import { type Engine, changesOf, startEngine } from "./harness";

const { container: CONTAINER, firewallRules: RULES, firewallOptions: OPTIONS, template: FILE } = TYPES;

let engine: Engine;
let plan: PlannedResource[];
const sites = cloneSites();
before(async () => {
  const mail = sites.sthilaire.containers.find((c) => c.name === "mail");
  if (mail === undefined) throw new Error("no mail container");
  mail.adopt = true;
  const planned = await planStacks(PROJECT_ROOT);
  assert.ok(planned.ok);
  plan = planned.plan.stacks.find((s) => s.stack === "sthilaire")?.resources ?? [];
});
// Each case on hosts and a state of its own.
beforeEach(async () => {
  engine = await startEngine({ sites: sites.all });
});
afterEach(() => engine?.remove());

/** What a host set up by hand before the program holds: the objects as PVE would show them. */
function preexisting(changes: { memory?: Record<string, unknown> } = {}): void {
  const host = engine.host("sthilaire");
  const inputsOf = (type: string, name: string) => {
    const r = plan.find((x) => x.type === type && x.name === name);
    if (r === undefined) throw new Error(`no ${type} ${name} in the plan`);
    return r.inputs;
  };
  const container = { ...inputsOf(CONTAINER, "sthilaire-mail"), ...(changes.memory ? { memory: changes.memory } : {}) };
  host.put(CONTAINER, "210", container);
  host.put(RULES, "rule-sthilaire-210", inputsOf(RULES, "sthilaire-mail-firewall-rules"));
  host.put(OPTIONS, "options-sthilaire-210", inputsOf(OPTIONS, "sthilaire-mail-firewall"));
  const template = inputsOf(FILE, "sthilaire-template");
  host.put(FILE, `${String(template["datastoreId"])}:vztmpl/${String(template["fileName"])}`, { ...template, size: 129_000_000 });
}

test("a running container whose config differs is imported, then updated to the spec (what the engine does since 3.x), its firewall and the template taken over, no twin made", async () => {
  preexisting({ memory: { dedicated: 2048, swap: 1024 } });
  const stack = await engine.stack("sthilaire");
  const preview = await stack.preview();
  assert.equal(preview.changeSummary["import"], 1 + 2, JSON.stringify(preview.changeSummary));
  const up = await stack.up();
  assert.equal(up.summary.result, "succeeded");
  const host = engine.host("sthilaire");
  assert.deepEqual(Object.keys(host.objects(CONTAINER)).sort(), ["210", "220", "230"]);
  assert.deepEqual(host.get(CONTAINER, "210")?.["memory"], { dedicated: 4096, swap: 1024 });
  const again = await stack.preview({ expectNoChanges: true });
  assert.deepEqual(Object.keys(changesOf(again.changeSummary)), [], JSON.stringify(again.changeSummary));
});

test("a running container whose config matches the spec is imported and left as it is: no update, nothing left to change", async () => {
  preexisting();
  const host = engine.host("sthilaire");
  const before = JSON.stringify(host.get(CONTAINER, "210"));
  const stack = await engine.stack("sthilaire");
  const up = await stack.up();
  assert.equal(up.summary.result, "succeeded");
  assert.equal(up.summary.resourceChanges?.["import"], 1 + 2, JSON.stringify(up.summary.resourceChanges));
  assert.equal(up.summary.resourceChanges?.["update"], undefined, JSON.stringify(up.summary.resourceChanges));
  assert.equal(JSON.stringify(host.get(CONTAINER, "210")), before, "the adopted container was written to");
  const again = await stack.preview({ expectNoChanges: true });
  assert.deepEqual(Object.keys(changesOf(again.changeSummary)), [], JSON.stringify(again.changeSummary));
});
