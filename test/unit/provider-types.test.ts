/**
 * Every provider type token the code names (runbook targets, plan rendering,
 * privileges) is one the installed SDK registers. The provider renames its
 * types across majors (bpg's ADR-007: `proxmox_virtual_environment_*` become
 * `proxmox_*`, the SDK's `*Legacy` classes go): a bump that renames one fails
 * here, naming it, instead of breaking the runbook's targets in an outage.
 * README.md ("Provider upgrades: renamed types") says what to do then.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "../..");

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|js)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** The `__pulumiType` of every resource class of the installed SDK. */
function sdkTypes(): Set<string> {
  const sdk = join(ROOT, "node_modules/@muhlba91/pulumi-proxmoxve");
  const types = new Set<string>();
  for (const file of readdirSync(sdk, { recursive: true }).map(String).filter((f) => f.endsWith(".js"))) {
    for (const m of readFileSync(join(sdk, file), "utf8").matchAll(/__pulumiType = '([^']+)'/g)) types.add(m[1] as string);
  }
  return types;
}

test("every proxmoxve type token the code names exists in the installed provider SDK", () => {
  const named = new Set<string>();
  for (const file of [...filesUnder("src"), ...filesUnder("scripts")]) {
    for (const m of readFileSync(file, "utf8").matchAll(/"(proxmoxve:[A-Za-z/]+:[A-Za-z]+)"/g)) named.add(m[1] as string);
  }
  assert.ok(named.size >= 8, [...named].join(", "));
  const registered = sdkTypes();
  assert.ok(registered.size > 50, "the SDK's resource classes were read");
  assert.deepEqual([...named].filter((t) => !registered.has(t)), []);
});
