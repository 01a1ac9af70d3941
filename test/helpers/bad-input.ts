/**
 * The bad-input harness: each case breaks a copy of the committed sites or the
 * stack config, runs the real program under mocks, and must be refused before
 * any resource with exactly its problems, in the `path: found X, expected Y` form.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type StackRun, registeredBefore } from "../../scripts/lib/mock-engine";
import { formatProblem } from "../../src/problems";
import type { SiteSpecInput } from "../../src/site/schema";
import { TYPES, cloneSites, runStack } from "./stacks";

export type Sites = ReturnType<typeof cloneSites>;
export type Mutable = Record<string, unknown>;

/** The first container of a site with that service name, writable. */
export function container(site: SiteSpecInput, name: string): Mutable {
  const found = site.containers.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no container ${name}`);
  return found as unknown as Mutable;
}

export interface BadInputCase {
  readonly title: string;
  readonly stack?: string;
  readonly breakSites?: (s: Sites) => void;
  readonly breakConfig?: (c: Record<string, string>) => void;
  readonly secretKeys?: string[];
  /** The PROXMOX_VE_API_TOKEN the run sees (`null`: unset). */
  readonly apiToken?: string | null;
  readonly expected: string[];
}

async function attempt(c: BadInputCase): Promise<{ run?: StackRun; error?: unknown }> {
  const sites = cloneSites();
  c.breakSites?.(sites);
  try {
    const stack = c.stack ?? "rouans";
    // A stack with no stack file gets rouans' config: the point is the stack name.
    const configure = (config: Record<string, string>) => c.breakConfig?.(config);
    // The program of test/fixtures/program-with-sites.ts reads these sites.
    (globalThis as { __retzienSites?: SiteSpecInput[] }).__retzienSites = sites.all;
    const token = c.apiToken === undefined ? {} : { apiToken: c.apiToken };
    const run = c.stack
      ? await runStack("rouans", { main: "test/fixtures/program-with-sites.ts", config: configure, stackName: stack, ...token })
      : await runStack(stack, { main: "test/fixtures/program-with-sites.ts", config: configure, ...token, ...(c.secretKeys ? { secretKeys: c.secretKeys } : {}) });
    return { run };
  } catch (error) {
    return { error };
  }
}

/** One test per case: refused before any resource, with exactly its problems. */
export function testRefusals(cases: readonly BadInputCase[]): void {
  for (const c of cases) {
    test(`refused before any resource: ${c.title}`, async () => {
      const { run, error } = await attempt(c);
      assert.equal(run, undefined, "the program ran to completion");
      const problems = (error as { problems?: unknown[] }).problems;
      assert.ok(Array.isArray(problems), `expected InvalidInfrastructureError, got ${String(error)}`);
      assert.deepEqual(problems.map((p) => formatProblem(p as never)), c.expected);
      // Nothing but the root stack resource the engine itself creates was registered.
      const registered = registeredBefore(error).map((r) => r.type);
      assert.deepEqual(registered, [TYPES.stack]);
    });
  }
}
