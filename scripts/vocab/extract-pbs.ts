/**
 * Extracts the vocabulary of PBS's `proxmox-backup-manager` from its sources:
 * every subcommand, its positional arguments, and each parameter's type, enum,
 * bounds, default and whether it is required, as the CLI builds them (the API
 * method's `#[api]` input schema, minus the command's fixed parameters; its
 * `arg_param` ones positional). The shared types come from proxmox-rs at the
 * revision whose `pbs-api-types` (and `proxmox-notify`) the PBS tag asks for.
 *
 *   node -r ./scripts/lib/load-typescript.js scripts/vocab/extract-pbs.ts \
 *     --pbs <proxmox-backup git dir> --tag v4.2.0 --rs <proxmox-rs git dir> --rs-rev 22c4d5ec \
 *     > vocab/pbs-4.2.0.json
 *
 * Run by hand against fetched mirrors (vocab/README.md); CI reads the committed tables.
 */
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { type ApiItem, apiItems, closing, schemaConstants, stripComments, topLevelParts } from "./rust-api";
import { type ParamSchema, SchemaIndex } from "./schema-resolve";

interface Source {
  readonly gitDir: string;
  readonly rev: string;
  readonly prefixes: readonly string[];
}

/** Every .rs file under `prefixes` of a revision, read through git (no work tree needed). */
function readTree(source: Source): Map<string, string> {
  const git = (...args: string[]) => execFileSync("git", ["--git-dir", source.gitDir, ...args], { encoding: "utf8", maxBuffer: 1 << 30 });
  const files = git("ls-tree", "-r", "--name-only", source.rev, "--", ...source.prefixes).split("\n").filter((f) => f.endsWith(".rs"));
  // One `git cat-file --batch` for all of them.
  const out = execFileSync("git", ["--git-dir", source.gitDir, "cat-file", "--batch"], { input: files.map((f) => `${source.rev}:${f}`).join("\n") + "\n", maxBuffer: 1 << 30 });
  const texts = new Map<string, string>();
  let at = 0;
  for (const file of files) {
    const header = out.subarray(at, out.indexOf(10, at)).toString();
    const size = Number(header.split(" ")[2]);
    const start = out.indexOf(10, at) + 1;
    texts.set(file, out.subarray(start, start + size).toString("utf8"));
    at = start + size + 1;
  }
  return texts;
}

export interface CommandEntry {
  /** Positional arguments, in order. */
  readonly args: string[];
  /** Every parameter the command takes (positional ones included). */
  readonly params: Record<string, ParamSchema>;
  /** The API method it calls, as named in the source. */
  readonly method: string;
}

/** The `.insert("name", expr)` pairs of a `CliCommandMap::new()` chain starting at `at`. */
function chainInserts(text: string, at: number): [string, string][] {
  const pairs: [string, string][] = [];
  let i = at + "CliCommandMap::new()".length;
  for (;;) {
    const rest = text.slice(i);
    const m = /^\s*\.insert\(/.exec(rest);
    if (m === null) {
      // Other links of the chain (`.alias(...)`, `.insert_help()`): skip them and go on.
      const other = /^\s*\.\w+\(/.exec(rest);
      if (other === null) break;
      i = closing(text, i + other[0].length - 1);
      continue;
    }
    const open = i + m[0].length - 1;
    const end = closing(text, open);
    const [name, expr] = topLevelParts(text.slice(open + 1, end - 1));
    if (name !== undefined && expr !== undefined && name.startsWith('"')) pairs.push([JSON.parse(name) as string, expr]);
    i = end;
  }
  return pairs;
}

/** Where a `CliCommandMap::new()` chain starting at `at` ends. */
function chainEnd(text: string, at: number): number {
  let i = at + "CliCommandMap::new()".length;
  for (let m = /^\s*\.\w+\(/.exec(text.slice(i)); m !== null; m = /^\s*\.\w+\(/.exec(text.slice(i))) i = closing(text, i + m[0].length - 1);
  return i;
}

/** The function a position lies in. */
function enclosingFn(text: string, at: number): string | undefined {
  const before = text.slice(0, at);
  const all = [...before.matchAll(/fn (\w+)\s*\(/g)];
  return all[all.length - 1]?.[1];
}

/** The `#[api]` function `API_METHOD_<NAME>` names, as seen from `file` (a module path, or the file itself). */
function findMethod(methods: readonly ApiItem[], path: string, file: string): ApiItem | undefined {
  const segments = path.replace(/^&/, "").split("::");
  const fnName = (segments.pop() ?? "").replace(/^API_METHOD_/, "").toLowerCase();
  const candidates = methods.filter((m) => m.name === fnName);
  const files = segments.length === 0 ? [file] : moduleFiles(file, segments);
  return candidates.find((c) => files.includes(c.file)) ?? (candidates.length === 1 ? candidates[0] : undefined);
}

/** The files a module path (`crate::api2::admin`, `pull`, `super::x`) may be, seen from `file`. */
function moduleFiles(file: string, segments: readonly string[]): string[] {
  const own = file.replace(/\/mod\.rs$|\.rs$/, "");
  let base: string[];
  let rest = [...segments];
  if (rest[0] === "crate" || rest[0] === "proxmox_backup") {
    base = ["src"];
    rest = rest.slice(1);
  } else if (rest[0] === "super") {
    base = own.split("/").slice(0, -1);
    rest = rest.slice(1);
  } else if (rest[0] === "self") {
    base = own.split("/");
    rest = rest.slice(1);
  } else {
    // A child module of this one (a mod.rs's `pull::`), or of its parent (a sibling file's).
    // Or the crate's own module of that path (`api2::config::prune` after `use proxmox_backup::api2`).
    const children = [...own.split("/"), ...rest].join("/");
    const siblings = [...own.split("/").slice(0, -1), ...rest].join("/");
    const crate = ["src", ...rest].join("/");
    return [`${children}.rs`, `${children}/mod.rs`, `${siblings}.rs`, `${siblings}/mod.rs`, `${crate}.rs`, `${crate}/mod.rs`];
  }
  const joined = [...base, ...rest].join("/");
  return [`${joined}.rs`, `${joined}/mod.rs`];
}

interface Parsed {
  readonly texts: Map<string, string>;
  readonly index: SchemaIndex;
  readonly methods: ApiItem[];
}

function parseSources(pbs: Source, rs: Source): Parsed {
  const texts = new Map([...readTree(pbs), ...[...readTree(rs)].map(([f, t]) => [`rs:${f}`, t] as const)]);
  const items: ApiItem[] = [];
  const constants = new Map<string, string>();
  for (const [file, text] of texts) {
    items.push(...apiItems(file, text));
    for (const [k, v] of schemaConstants(text)) if (!constants.has(k)) constants.set(k, v);
  }
  return { texts, index: new SchemaIndex(items, constants, texts), methods: items.filter((i) => i.kind === "fn") };
}

/** The text after `const NAME: Type =` in a file, to its `;`. */
function constText(text: string, name: string): string | undefined {
  const m = new RegExp(`const ${name}: \\w+ =\\s*`).exec(text);
  if (m === null) return undefined;
  let i = m.index + m[0].length;
  while (i < text.length && text[i] !== ";") i = "([{".includes(text[i] as string) ? closing(text, i) : i + 1;
  return text.slice(m.index + m[0].length, i);
}

const HTTP_OF: Record<string, string> = { get: "GET", post: "POST", put: "PUT", delete: "DELETE" };

/**
 * The API method serving `method` on `path` (`/admin/datastore/{store}/namespace`),
 * found by walking the routers from src/api2/mod.rs: `subdirs` maps, `match_all`
 * parameters, and the verbs of the router a path ends at.
 */
function routeMethod(parsed: Parsed, path: string, method: string): ApiItem | undefined {
  let file = "src/api2/mod.rs";
  let router = constText(parsed.texts.get(file) ?? "", "ROUTER");
  // A router expression: `&module::ROUTER`, `&NAME` of this file, or `&Router::new()...` written in place.
  const follow = (expr: string): string | undefined => {
    const e = expr.trim().replace(/^&/, "");
    if (e.startsWith("Router::new()")) return e;
    const segments = e.split("::");
    const name = segments.pop() ?? "";
    const candidates = segments.length === 0 ? [file] : moduleFiles(file, segments);
    for (const f of candidates) {
      const found = constText(parsed.texts.get(f) ?? "", name);
      if (found !== undefined) {
        file = f;
        return found.trim();
      }
    }
    return undefined;
  };
  for (const segment of path.split("/").filter((p) => p !== "")) {
    if (router === undefined) return undefined;
    if (/^\{\w+\}$/.test(segment)) {
      const next = /\.match_all\(\s*"[^"]+"\s*,\s*([^)]+)\)/.exec(router)?.[1];
      router = next === undefined ? undefined : follow(next);
      continue;
    }
    const subdirs = /\.subdirs\(\s*([\s\S]+?)\s*\)\s*(?:\.|;|$)/.exec(router)?.[1] ?? "";
    const map = stripComments(subdirs.startsWith("&") || subdirs.startsWith("[") ? subdirs : (constText(parsed.texts.get(file) ?? "", subdirs) ?? ""));
    const entry = new RegExp(`\\(\\s*"${segment}"\\s*,\\s*`).exec(map);
    if (entry === null) return undefined;
    const start = entry.index + entry[0].length;
    // The entry's router expression: up to the `)` that closes the pair.
    const close = closing(map, entry.index);
    router = follow(map.slice(start, close - 1).replace(/,\s*$/, ""));
  }
  const verb = router === undefined ? undefined : new RegExp(`\\.${Object.keys(HTTP_OF).find((k) => HTTP_OF[k] === method) ?? ""}\\(\\s*(&?[\\w:]+)`).exec(router)?.[1];
  return verb === undefined ? undefined : findMethod(parsed.methods, verb, file);
}

/** The `proxmox-backup-debug api` paths the program calls: each path's method and its parameters. */
export const DEBUG_API_PATHS = ["/pull", "/config/datastore", "/admin/datastore/{store}/namespace", "/admin/datastore/{store}/change-owner"] as const;

export function extractApi(pbs: Source, rs: Source, paths: readonly string[]): Record<string, { method: string; params: Record<string, ParamSchema> }> {
  const parsed = parseSources(pbs, rs);
  return Object.fromEntries(
    paths.map((path) => {
      const method = routeMethod(parsed, path, "POST");
      if (method === undefined) throw new Error(`no POST method found for ${path} by walking the routers from src/api2/mod.rs`);
      const params = Object.fromEntries([...parsed.index.methodParams(method)].sort(([a], [b]) => a.localeCompare(b)));
      return [path, { method: `${method.file}:${method.name}`, params }];
    }),
  );
}

/**
 * PBS's roles and the privileges each one grants (pbs-api-types src/acl.rs: the
 * `constnamedbitmap!` of privileges, the `ROLE_*` constants, and the `Role` enum
 * that names them), so a stand-in can say what an ACL lets a user or token do.
 */
export function extractRoles(rs: Source): Record<string, string[]> {
  const text = readTree({ ...rs, prefixes: ["pbs-api-types/src/acl.rs"] }).get("pbs-api-types/src/acl.rs");
  if (text === undefined) throw new Error("no pbs-api-types/src/acl.rs at this proxmox-rs revision");
  const privileges = new Map([...text.matchAll(/\b(PRIV_\w+)\("([\w.]+)"\)/g)].map((m) => [m[1] as string, m[2] as string]));
  const grants = (name: string): string[] => {
    const value = constText(text, name)?.trim();
    if (value === undefined) throw new Error(`no constant ${name} in pbs-api-types/src/acl.rs`);
    if (value === "u64::MAX") return [...privileges.values()];
    return [...value.matchAll(/\bPRIV_\w+/g)].map((m) => {
      const privilege = privileges.get(m[0]);
      if (privilege === undefined) throw new Error(`${name} names ${m[0]}, which is not a privilege`);
      return privilege;
    });
  };
  const body = /pub enum Role \{([\s\S]*?)\n\}/.exec(stripComments(text))?.[1];
  if (body === undefined) throw new Error("no `pub enum Role` in pbs-api-types/src/acl.rs");
  return Object.fromEntries([...body.matchAll(/(\w+)\s*=\s*(ROLE_\w+)/g)].map((m) => [m[1] as string, grants(m[2] as string)]));
}

export function extractManager(pbs: Source, rs: Source): { commands: Record<string, CommandEntry>; unresolved: string[] } {
  const { texts, index, methods } = parseSources(pbs, rs);

  const bin = [...texts].filter(([f]) => f === "src/bin/proxmox-backup-manager.rs" || f.startsWith("src/bin/proxmox_backup_manager/"));
  // Command maps by the function that builds them, and each file's `let` bindings.
  const maps = new Map<string, { file: string; inserts: [string, string][] }>();
  let root: { file: string; inserts: [string, string][] } | undefined;
  for (const [file, text] of bin) {
    let inside = -1;
    for (const m of text.matchAll(/CliCommandMap::new\(\)/g)) {
      // A map written inside another one's chain is read with that one.
      if (m.index < inside) continue;
      const entry = { file, inserts: chainInserts(text, m.index) };
      inside = chainEnd(text, m.index);
      const fn = enclosingFn(text, m.index) ?? "";
      // By name, and by module and name (`matchers::commands()` in notifications/matchers.rs).
      const module = file.replace(/^.*\//, "").replace(/\.rs$/, "");
      // The last map of a function is the one it returns (earlier ones are `let` bindings it inserts).
      if (!/let\s+\w+\s*=\s*$/.test(text.slice(0, m.index)) || /let\s+cmd_def\s*=\s*$/.test(text.slice(0, m.index))) {
        maps.set(fn, entry);
        maps.set(`${module}::${fn}`, entry);
      }
      if (file === "src/bin/proxmox-backup-manager.rs" && entry.inserts.some(([n]) => n === "datastore")) root = entry;
    }
  }
  if (root === undefined) throw new Error("no root command map (one that inserts \"datastore\") in src/bin/proxmox-backup-manager.rs");

  const commands: Record<string, CommandEntry> = {};
  const unresolved: string[] = [];
  const methodFor = (path: string, file: string) => findMethod(methods, path, file);
  const walk = (prefix: string[], map: { file: string; inserts: [string, string][] }, depth: number) => {
    if (depth > 6) return;
    for (const [name, exprIn] of map.inserts) {
      const words = [...prefix, name];
      let expr = exprIn.replace(/\/\/[^\n]*/g, "").trim();
      const text = texts.get(map.file) ?? "";
      // A `let` binding of the same file: `.insert("log", task_log_cmd_def)`.
      const binding = /^(\w+)$/.exec(expr)?.[1];
      if (binding !== undefined) {
        const m = new RegExp(`let ${binding}\\s*=\\s*`).exec(text);
        if (m !== null) expr = text.slice(m.index + m[0].length, text.indexOf(";", m.index));
      }
      const leaf = /^CliCommand::new\(\s*(&?[\w:]+)\s*\)/.exec(expr);
      if (leaf !== null) {
        const method = methodFor(leaf[1] as string, map.file);
        if (method === undefined) {
          unresolved.push(`${words.join(" ")}: ${leaf[1] as string}`);
          continue;
        }
        const args = [...(/\.arg_param\(\s*&\[([^\]]*)\]/.exec(expr)?.[1] ?? "").matchAll(/"([^"]+)"/g)].map((m) => m[1] as string);
        const fixed = [...expr.matchAll(/\.fixed_param\(\s*"([^"]+)"/g)].map((m) => m[1] as string);
        const params = Object.fromEntries([...index.methodParams(method)].filter(([k]) => !fixed.includes(k)).sort(([a], [b]) => a.localeCompare(b)));
        commands[words.join(" ")] = { args, params, method: `${method.file}:${method.name}` };
        continue;
      }
      const sub = /^([\w:]+)\(\)/.exec(expr)?.[1];
      // A map written in place, or one a function builds.
      const subMap = expr.startsWith("CliCommandMap::new()") ? { file: map.file, inserts: chainInserts(expr, 0) } : sub === undefined ? undefined : (maps.get(sub.split("::").slice(-2).join("::")) ?? maps.get(sub));
      if (subMap !== undefined) walk(words, subMap, depth + 1);
      else unresolved.push(`${words.join(" ")}: ${expr.slice(0, 60)}`);
    }
  };
  walk([], root, 0);
  return { commands, unresolved };
}

if (require.main === module) {
  const { values } = parseArgs({ options: { pbs: { type: "string" }, tag: { type: "string" }, rs: { type: "string" }, "rs-rev": { type: "string" } } });
  if (!values.pbs || !values.tag || !values.rs || !values["rs-rev"]) {
    process.stderr.write("usage: extract-pbs.ts --pbs <git dir> --tag <tag> --rs <proxmox-rs git dir> --rs-rev <rev>\n");
    process.exit(2);
  }
  const rsCrates = ["pbs-api-types", "proxmox-notify", "proxmox-router", "proxmox-schema", "proxmox-auth-api", "proxmox-access-control", "proxmox-time", "proxmox-human-byte", "proxmox-network-api", "proxmox-network-types", "proxmox-acme-api", "proxmox-s3-client", "proxmox-config-digest", "proxmox-ldap"];
  const pbsSource = { gitDir: values.pbs, rev: values.tag, prefixes: ["src", "pbs-config"] };
  const rsSource = { gitDir: values.rs, rev: values["rs-rev"], prefixes: rsCrates };
  const { commands, unresolved } = extractManager(pbsSource, rsSource);
  const api = extractApi(pbsSource, rsSource, DEBUG_API_PATHS);
  const revOf = (gitDir: string, rev: string) => execFileSync("git", ["--git-dir", gitDir, "rev-parse", `${rev}^{commit}`], { encoding: "utf8" }).trim();
  const table = {
    tool: "proxmox-backup-manager",
    source: { "proxmox-backup": `${values.tag} (${revOf(values.pbs, values.tag)})`, "proxmox-rs": revOf(values.rs, values["rs-rev"]), crates: rsCrates },
    extractedBy: "scripts/vocab/extract-pbs.ts",
    unresolved,
    commands,
    /** `proxmox-backup-debug api create <path>`: the POST method of each path the program calls. */
    api,
    /** Each role's privileges (pbs-api-types src/acl.rs). */
    roles: extractRoles(rsSource),
  };
  process.stdout.write(`${JSON.stringify(table, null, 1)}\n`);
}
