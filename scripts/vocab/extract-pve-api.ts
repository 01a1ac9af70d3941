/**
 * Extracts the `pvesh` vocabulary of the API paths the program uses from
 * pve-docs' `api-viewer/apidata.js` (the whole PVE API schema as the API viewer
 * shows it, committed in pve-docs at each release): per path and method, each
 * parameter's type, enum, bounds, default and whether it is required.
 *
 *   node -r ./scripts/lib/load-typescript.js scripts/vocab/extract-pve-api.ts \
 *     --docs <pve-docs git dir> --rev e5010dc --release 9.1.3 > vocab/pve-api-9.1.3.json
 */
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import type { ParamSchema } from "./schema-resolve";

/** The API subtrees the program, its host scripts and the runbook call through pvesh. */
export const PVESH_PREFIXES = ["/cluster/notifications", "/cluster/backup"] as const;

interface ApiNode {
  readonly path: string;
  readonly info?: Record<string, { parameters?: { properties?: Record<string, Record<string, unknown>> } }>;
  readonly children?: ApiNode[];
}

/** One property of the API schema as a table's parameter. */
function paramOf(p: Record<string, unknown>): ParamSchema {
  const kinds: Record<string, ParamSchema["type"]> = { string: "string", integer: "integer", number: "number", boolean: "boolean", array: "array", object: "object" };
  const out: ParamSchema = { type: kinds[String(p["type"] ?? "string")] ?? "unknown", optional: p["optional"] === 1 || p["optional"] === true };
  if (Array.isArray(p["enum"])) out.enum = (p["enum"] as unknown[]).map(String);
  if (typeof p["minimum"] === "number") out.minimum = p["minimum"];
  if (typeof p["maximum"] === "number") out.maximum = p["maximum"];
  const d = p["default"];
  if (typeof d === "string" || typeof d === "number" || typeof d === "boolean") out.default = d;
  if (out.type === "array" && p["items"] !== null && typeof p["items"] === "object") out.items = paramOf(p["items"] as Record<string, unknown>);
  return out;
}

/** Path → method → parameters, for every path under the prefixes. */
export function apiTable(schema: readonly ApiNode[], prefixes: readonly string[]): Record<string, Record<string, Record<string, ParamSchema>>> {
  const out: Record<string, Record<string, Record<string, ParamSchema>>> = {};
  const walk = (node: ApiNode) => {
    if (prefixes.some((p) => node.path === p || node.path.startsWith(`${p}/`))) {
      out[node.path] = Object.fromEntries(
        Object.entries(node.info ?? {}).map(([method, info]) => [method, Object.fromEntries(Object.entries(info.parameters?.properties ?? {}).map(([k, v]) => [k, paramOf(v)]))]),
      );
    }
    for (const child of node.children ?? []) walk(child);
  };
  for (const node of schema) walk(node);
  return out;
}

if (require.main === module) {
  const { values } = parseArgs({ options: { docs: { type: "string" }, rev: { type: "string" }, release: { type: "string" } } });
  if (!values.docs || !values.rev || !values.release) {
    process.stderr.write("usage: extract-pve-api.ts --docs <pve-docs git dir> --rev <commit> --release <pve-docs version>\n");
    process.exit(2);
  }
  const git = (...args: string[]) => execFileSync("git", ["--git-dir", values.docs as string, ...args], { encoding: "utf8", maxBuffer: 1 << 30 });
  const text = git("show", `${values.rev}:api-viewer/apidata.js`);
  // `const apiSchema = [ ... ];` and, after it, the viewer's code: the array alone is JSON.
  const start = text.indexOf("[");
  const end = text.indexOf("\n;", start);
  const schema = JSON.parse(text.slice(start, end)) as ApiNode[];
  const table = {
    source: { "pve-docs": `${values.release} (${git("rev-parse", `${values.rev}^{commit}`).trim()})`, file: "api-viewer/apidata.js" },
    extractedBy: "scripts/vocab/extract-pve-api.ts",
    prefixes: PVESH_PREFIXES,
    paths: apiTable(schema, PVESH_PREFIXES),
  };
  process.stdout.write(`${JSON.stringify(table, null, 1)}\n`);
}
