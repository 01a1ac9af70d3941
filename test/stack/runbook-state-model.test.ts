/**
 * The runbook's Pulumi steps played against a model of the engine's rules, with
 * the lost stack's state kept: what `state delete`, `up --target` (no refresh),
 * a plain `up --refresh` and `refresh` do to the state, and what exists on the new, empty host. The
 * rules modelled are the engine's own: `state delete` refuses a resource others
 * still depend on; `up --target` refuses a target whose dependency, parent or
 * provider is neither in the state nor targeted, and does nothing for a target
 * already in the state; `refresh` drops what its provider reads as gone, but a
 * command has no read and stays. A rebuild is done when everything the program
 * declares on the host is both in the state and on the host: then
 * `pulumi preview --expect-no-changes` would pass. This is a model, not the
 * engine: the real engine runs the runbook itself in test/engine/runbook.engine.ts
 * (npm run test:engine); this model stays as the fast check that npm test runs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type PlannedResource, planStacks } from "../../scripts/lib/offline-plan";
import { validateSiteSpecs } from "../../src/program";
import { planRunbook } from "../../src/runbook/runbook";
import { allSites } from "../../stacks/sites";
import { PROJECT_ROOT } from "../helpers/stacks";

const { sites } = validateSiteSpecs(allSites);
const sshOf = new Map([
  ["rouans", "root@192.168.10.2"],
  ["sthilaire", "root@192.168.20.2"],
]);

/** What lives on the host (and is lost with it), as opposed to the state only. */
const onHost = (r: PlannedResource) => r.custom && (r.type.startsWith("proxmoxve:") || r.type.startsWith("command:"));
const providerUrn = (ref: string) => (ref === "" ? "" : ref.slice(0, ref.lastIndexOf("::")));
const needs = (r: PlannedResource) => [...r.dependsOn, r.parent, providerUrn(r.provider)].filter((u) => u !== "");

interface Model {
  state: Set<string>;
  /** Resources of the state that exist on the new host. */
  real: Set<string>;
}

/** `refresh`: what its provider reads as gone leaves the state; a command has no read and stays. */
function refresh(model: Model, byUrn: Map<string, PlannedResource>): void {
  for (const u of [...model.state]) {
    const r = byUrn.get(u) as PlannedResource;
    if (onHost(r) && !model.real.has(u) && !r.type.startsWith("command:")) model.state.delete(u);
  }
}

function play(lost: string, mode: string, plans: Map<string, PlannedResource[]>): { model: Model; errors: string[] } {
  const plan = plans.get(lost) as PlannedResource[];
  const byUrn = new Map(plan.map((r) => [r.urn, r]));
  const model: Model = { state: new Set(plan.map((r) => r.urn)), real: new Set(plan.filter((r) => !onHost(r)).map((r) => r.urn)) };
  const errors: string[] = [];
  const result = planRunbook({ lost, mode, only: [], diskPath: "retzien-carry", allowStale: false }, { sites, plans, sshOf });
  assert.ok(result.ok);
  for (const step of result.runbook.steps) {
    const argv = step.argv ?? [];
    const stack = argv[argv.indexOf("--stack") + 1];
    const urns = argv.filter((a) => a.startsWith("urn:"));
    if (argv[0] === "pulumi" && stack !== lost) continue; // the survivor's state is whole and real
    if (argv[0] === "pulumi" && argv[1] === "state" && argv[2] === "delete") {
      for (const u of urns) model.state.delete(u);
      for (const u of model.state) {
        const gone = needs(byUrn.get(u) as PlannedResource).filter((d) => urns.includes(d));
        if (gone.length > 0) errors.push(`${step.title}: ${u} still depends on ${gone.join(", ")}`);
      }
    } else if (argv[0] === "pulumi" && argv[1] === "up" && !argv.includes("--target")) {
      // A plain up with --refresh: the refresh drops what the host lacks (a command stays), then the up makes
      // every declared resource the state lacks; one the state holds is left alone, real or not.
      if (argv.includes("--refresh")) refresh(model, byUrn);
      for (const r of plan) {
        if (!model.state.has(r.urn)) {
          model.state.add(r.urn);
          model.real.add(r.urn);
        }
      }
    } else if (argv[0] === "pulumi" && argv[1] === "up") {
      const targets = new Set(argv.filter((a, i) => argv[i - 1] === "--target"));
      for (const t of targets) {
        for (const d of needs(byUrn.get(t) as PlannedResource)) {
          if (!model.state.has(d) && !targets.has(d)) errors.push(`${step.title}: ${t} depends on ${d} which was not specified in --target list`);
        }
      }
      // No refresh: a target already in the state is left alone, real or not.
      for (const t of targets) {
        if (!model.state.has(t)) {
          model.state.add(t);
          model.real.add(t);
        }
      }
    } else if (argv[0] === "pulumi" && argv[1] === "refresh") {
      refresh(model, byUrn);
    } else {
      // pct restore brings the container back with its firewall file (vzdump keeps it).
      const restored = /pct restore (\d+) /.exec(argv.join(" "))?.[1];
      if (restored !== undefined) {
        const container = plan.find((r) => r.type.endsWith("ContainerLegacy") && r.inputs["vmId"] === Number(restored));
        for (const r of plan.filter((x) => container !== undefined && (x.urn === container.urn || (x.parent === container.parent && x.type.startsWith("proxmoxve:firewall/"))))) model.real.add(r.urn);
      }
    }
  }
  return { model, errors };
}

for (const lost of ["rouans", "sthilaire"]) {
  for (const mode of ["rebuild", "disk"]) {
    test(`${lost} ${mode}, state kept: every step is one the engine accepts, and the host ends with all the program declares`, async () => {
      const result = await planStacks(PROJECT_ROOT);
      assert.ok(result.ok);
      const plans = new Map(result.plan.stacks.map((s) => [s.stack, s.resources]));
      const { model, errors } = play(lost, mode, plans);
      assert.deepEqual(errors, []);
      const missing = (plans.get(lost) as PlannedResource[]).filter((r) => !model.state.has(r.urn) || !model.real.has(r.urn)).map((r) => `${r.type} ${r.name}`);
      assert.deepEqual(missing, []);
    });
  }
}
