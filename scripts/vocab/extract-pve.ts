/**
 * Extracts the vocabulary of Proxmox VE's command-line tools (`pct`, `pvesm`,
 * `vzdump`) from pve-docs' `generated/<tool>.1-synopsis.adoc`: what each tool's
 * own `generate_asciidoc_synopsis` printed from its API schema when the docs
 * were built, committed in pve-docs at each release. Every subcommand, its
 * positional arguments, and each option's type, enum, bounds and default.
 *
 *   node -r ./scripts/lib/load-typescript.js scripts/vocab/extract-pve.ts \
 *     --docs <pve-docs git dir> --rev e5010dc --release 9.1.3 > vocab/pve-cli-9.1.3.json
 *
 * Run by hand against a fetched mirror (vocab/README.md); CI reads the committed tables.
 */
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import type { ParamSchema } from "./schema-resolve";

export const PVE_TOOLS = ["pct", "pvesm", "vzdump", "pveum"] as const;

export interface PveCommand {
  readonly args: string[];
  /** Options by name; `mp[n]` stands for mp0, mp1, ... */
  readonly params: Record<string, ParamSchema>;
}

/** One `<type>` of the synopsis as a parameter type: `<integer> (1 - 8192)`, `<a | b>`, `<boolean>`, `<string>`, a property string. */
export function typeOf(text: string, dflt: string | undefined): ParamSchema {
  const t = text.trim();
  const out = (schema: Omit<ParamSchema, "optional">): ParamSchema => ({ optional: true, ...schema, ...(dflt === undefined ? {} : { default: dflt }) });
  const range = /^<(integer|number)>(?: \((-?[\d.]+|N) - (-?[\d.]+|N)\))?$/.exec(t);
  if (range !== null) {
    const bound = (v: string | undefined) => (v === undefined || v === "N" ? undefined : Number(v));
    const [min, max] = [bound(range[2]), bound(range[3])];
    return out({ type: range[1] as "integer" | "number", ...(min === undefined ? {} : { minimum: min }), ...(max === undefined ? {} : { maximum: max }) });
  }
  if (t === "<boolean>") return out({ type: "boolean" });
  const choices = /^<([^<>]+ \| [^<>]+)>$/.exec(t);
  if (choices !== null) return out({ type: "string", enum: (choices[1] as string).split(" | ").map((c) => c.trim()) });
  return out({ type: "string" });
}

/** The `--name` `<type>` lines of a synopsis, as parameters: option name, or `<positional>`. */
function paramLine(line: string): { positional?: string; option?: string; schema: ParamSchema } | undefined {
  const param = /^`(?:<([\w-]+)>|--([\w-]+(?:\[n\])?))`(?::)? `([^`]*)`(?: \('default =' `([^`]*)`\))? ?::$/.exec(line);
  if (param === null) return undefined;
  const [, positional, option, type = "", dflt] = param;
  if (positional !== undefined) return { positional, schema: { ...typeOf(type, undefined), optional: false } };
  return { option: option as string, schema: typeOf(type, dflt) };
}

/**
 * Every command of one synopsis file. A head lists the positional arguments
 * (`<vmid>`), required options (`--roles <string>`) and, with `[FORMAT_OPTIONS]`,
 * the output options of `formatOptions` (generated/output-format-opts.adoc).
 */
export function parseSynopsis(tool: string, text: string, formatOptions = ""): Record<string, PveCommand> {
  const commands: Record<string, PveCommand> = {};
  const format = Object.fromEntries(formatOptions.split("\n").flatMap((l) => {
    const p = paramLine(l);
    return p?.option === undefined ? [] : [[p.option, p.schema] as const];
  }));
  let current: { args: string[]; params: Record<string, ParamSchema>; required: string[] } | undefined;
  for (const line of text.split("\n")) {
    const head = new RegExp(`^\\*(${tool}(?: [\\w-]+)*)\\*(?: \`([^\`]*)\`)?(.*)$`).exec(line);
    if (head !== null) {
      const words = (head[1] as string).split(" ").slice(1).join(" ");
      // The tool's own line (`<COMMAND> [ARGS] [OPTIONS]`) is no command, unless the tool has none (vzdump).
      if (words === "" && (head[2] ?? "").includes("<COMMAND>")) {
        current = undefined;
        continue;
      }
      const signature = head[2] ?? "";
      const required = [...signature.matchAll(/--([\w-]+) <[^>]*>/g)].map((m) => m[1] as string);
      const args = [...signature.replace(/--[\w-]+ <[^>]*>/g, "").matchAll(/<([\w-]+)>/g)].map((m) => m[1] as string);
      current = { args, params: (head[3] ?? "").includes("[FORMAT_OPTIONS]") ? { ...format } : {}, required };
      commands[words] = current;
      continue;
    }
    const p = paramLine(line);
    if (p === undefined || current === undefined) continue;
    if (p.positional !== undefined) current.params[p.positional] = p.schema;
    else if (p.option !== undefined) current.params[p.option] = current.required.includes(p.option) ? { ...p.schema, optional: false } : p.schema;
  }
  return Object.fromEntries(Object.entries(commands).map(([k, c]) => [k, { args: c.args, params: c.params }]));
}

if (require.main === module) {
  const { values } = parseArgs({ options: { docs: { type: "string" }, rev: { type: "string" }, release: { type: "string" } } });
  if (!values.docs || !values.rev || !values.release) {
    process.stderr.write("usage: extract-pve.ts --docs <pve-docs git dir> --rev <commit> --release <pve-docs version>\n");
    process.exit(2);
  }
  const git = (...args: string[]) => execFileSync("git", ["--git-dir", values.docs as string, ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
  // Under generated/ since 2026-03 (pve-docs 2e161a7), at the top before.
  const files = git("ls-tree", "-r", "--name-only", values.rev).split("\n");
  const fileOf = (tool: string) => [`generated/${tool}.1-synopsis.adoc`, `${tool}.1-synopsis.adoc`].find((f) => files.includes(f)) ?? `${tool}.1-synopsis.adoc`;
  const formatFile = ["generated/output-format-opts.adoc", "output-format-opts.adoc"].find((f) => files.includes(f));
  const formatOptions = formatFile === undefined ? "" : git("show", `${values.rev as string}:${formatFile}`);
  const tools = Object.fromEntries(PVE_TOOLS.map((tool) => [tool, parseSynopsis(tool, git("show", `${values.rev as string}:${fileOf(tool)}`), formatOptions)]));
  const table = {
    tools: PVE_TOOLS,
    source: { "pve-docs": `${values.release} (${git("rev-parse", `${values.rev}^{commit}`).trim()})`, files: PVE_TOOLS.map(fileOf) },
    extractedBy: "scripts/vocab/extract-pve.ts",
    commands: tools,
  };
  process.stdout.write(`${JSON.stringify(table, null, 1)}\n`);
}
