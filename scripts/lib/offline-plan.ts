/**
 * The offline plan: every stack's real program under mocks, with its own
 * `Pulumi.<stack>.yaml`, as one JSON document. `npm run plan` prints it, and the
 * runbook derives its `--target` URNs from it, so both see the same resources.
 */
import { readdirSync } from "node:fs";
import { type Problem } from "../../src/problems";
import { type MockBehaviour, type RecordedResource, runStackUnderMocks } from "./mock-engine";
import { readProjectName, readStackFile } from "./stack-file";

/** One resource as `npm run plan -- --json` prints it. */
export interface PlannedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly parent: string;
  /** A resource of a provider (as opposed to a component). */
  readonly custom: boolean;
  readonly protect: boolean;
  readonly ignoreChanges: string[];
  readonly dependsOn: string[];
  readonly inputs: Record<string, unknown>;
  /** Provider reference (`urn::id`) for custom resources, `""` otherwise. */
  readonly provider: string;
  readonly retainOnDelete: boolean;
  /** A replacement deletes the old resource first (a container keeps its VMID). */
  readonly deleteBeforeReplace: boolean;
  /** Existing resource adopted by the next `pulumi up` (`<node>/<vmid>`), `""` if none. */
  readonly importId: string;
}

export interface PlannedStack {
  readonly stack: string;
  readonly project: string;
  readonly resources: PlannedResource[];
  readonly outputs: Record<string, unknown>;
  readonly warnings: string[];
}

export interface PlanDocument {
  readonly stacks: PlannedStack[];
}

export type PlanResult = { ok: true; plan: PlanDocument } | { ok: false; problems: Problem[] };

/** Stack names that have a `Pulumi.<stack>.yaml` in the project root, sorted. */
export function stackNames(projectRoot: string): string[] {
  return readdirSync(projectRoot)
    .map((f) => /^Pulumi\.([a-z][a-z0-9-]*)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

function toPlanned(r: RecordedResource): PlannedResource {
  return {
    urn: r.urn,
    type: r.type,
    name: r.name,
    parent: r.parent,
    custom: r.custom,
    protect: r.protect,
    ignoreChanges: r.ignoreChanges,
    dependsOn: r.dependsOn,
    inputs: r.inputs,
    provider: r.provider,
    retainOnDelete: r.retainOnDelete,
    deleteBeforeReplace: r.deleteBeforeReplace,
    importId: r.importId,
  };
}

function problemsOf(error: unknown): Problem[] | undefined {
  // Matched by shape: the program's modules are reloaded for every stack, so its
  // error class is not the one this module imported.
  const e = error as { name?: unknown; problems?: unknown };
  return e?.name === "InvalidInfrastructureError" && Array.isArray(e.problems) ? (e.problems as Problem[]) : undefined;
}

/**
 * Plans the given stacks (all of them by default). Problems of every stack are
 * gathered and de-duplicated (both stacks validate both sites).
 */
export async function planStacks(
  projectRoot: string,
  options: { stacks?: readonly string[]; behaviour?: MockBehaviour } = {},
): Promise<PlanResult> {
  const known = stackNames(projectRoot);
  const wanted = options.stacks ?? known;
  const unknown = wanted.filter((s) => !known.includes(s));
  if (unknown.length > 0) {
    return {
      ok: false,
      problems: unknown.map((s) => ({ path: "--stack", found: JSON.stringify(s), expected: `one of ${known.join(", ")}` })),
    };
  }
  const project = readProjectName(projectRoot);
  const stacks: PlannedStack[] = [];
  const problems = new Map<string, Problem>();
  for (const stack of wanted) {
    try {
      const file = readStackFile(projectRoot, stack);
      const run = await runStackUnderMocks({ projectRoot, project, stack, ...file, ...(options.behaviour ? { behaviour: options.behaviour } : {}) });
      stacks.push({ stack, project, resources: run.resources.map(toPlanned), outputs: run.outputs, warnings: run.warnings });
    } catch (error) {
      const found = problemsOf(error);
      if (found === undefined) throw error;
      for (const p of found) problems.set(`${p.path}\u0000${p.found}\u0000${p.expected}`, p);
    }
  }
  return problems.size > 0 ? { ok: false, problems: [...problems.values()] } : { ok: true, plan: { stacks } };
}
