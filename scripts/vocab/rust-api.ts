/**
 * Reads the API schemas of Proxmox's Rust sources: the `#[api(...)]` macros on
 * functions (API methods), structs and enums (types), and the `Schema`
 * constants, as far as a command line needs them (parameter names, types,
 * enums, bounds, defaults, what is optional). A tolerant reader of the macro's
 * own object syntax, not a Rust parser: what it cannot read is kept as raw text
 * and shows in the table as such, never guessed.
 */

export type MacroValue = string | number | boolean | MacroValue[] | { [key: string]: MacroValue } | { raw: string };

/** The index just past the bracket that closes the one at `open`. Strings and comments are skipped. */
export function closing(text: string, open: number): number {
  const pairs: Record<string, string> = { "(": ")", "[": "]", "{": "}" };
  const stack: string[] = [];
  for (let i = open; i < text.length; i += 1) {
    const c = text[i] as string;
    const raw = c === "r" && !/\w/.test(text[i - 1] ?? "") ? /^r(#*)"/.exec(text.slice(i, i + 8)) : null;
    if (raw !== null) {
      // A raw string, r"..." or r#"..."#: to its own end, quotes and brackets included.
      const end = text.indexOf(`"${raw[1] ?? ""}`, i + raw[0].length);
      i = end < 0 ? text.length : end + (raw[1] ?? "").length;
    } else if (c === "'" && /^'(\\.|[^\\'])'/.test(text.slice(i, i + 4))) {
      // A char literal ('(' or '"'); a lifetime ('a) has no closing quote and is left alone.
      i = text.indexOf("'", i + 2);
    } else if (c === '"') {
      for (i += 1; i < text.length && text[i] !== '"'; i += 1) if (text[i] === "\\") i += 1;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i += 1;
    } else if (pairs[c] !== undefined) {
      stack.push(pairs[c]);
    } else if (c === ")" || c === "]" || c === "}") {
      if (stack.pop() !== c) throw new Error(`unbalanced ${c} at ${i}`);
      if (stack.length === 0) return i + 1;
    }
  }
  throw new Error(`no closing bracket for ${text[open] ?? "?"} at ${open}`);
}

/** Splits at the commas of depth 0. */
export function topLevelParts(text: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i] as string;
    if (c === "(" || c === "[" || c === "{") i = closing(text, i) - 1;
    else if (c === '"') {
      for (i += 1; i < text.length && text[i] !== '"'; i += 1) if (text[i] === "\\") i += 1;
    } else if (c === ",") {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== "");
}

/** Without its `//` and `///` comments, whose quotes and brackets are prose. */
export const stripComments = (text: string): string => text.replace(/\/\/[^\n]*/g, "");

/** The macro's object syntax: `{ key: value, ... }`, `[ ... ]`, literals, and anything else as raw text. */
export function parseMacroValue(source: string): MacroValue {
  const text = stripComments(source).trim();
  if (text.startsWith("{") && closing(text, 0) === text.length) {
    const out: Record<string, MacroValue> = {};
    for (const part of topLevelParts(text.slice(1, -1))) {
      const m = /^("(?:[^"\\]|\\[\s\S])*"|[A-Za-z_][\w-]*)\s*:\s*([\s\S]*)$/.exec(part);
      if (m === null) continue;
      const key = (m[1] as string).startsWith('"') ? (JSON.parse(m[1] as string) as string) : (m[1] as string);
      out[key] = parseMacroValue(m[2] as string);
    }
    return out;
  }
  if (text.startsWith("[") && closing(text, 0) === text.length) return topLevelParts(text.slice(1, -1)).map(parseMacroValue);
  if (/^"(?:[^"\\]|\\[\s\S])*"$/.test(text)) {
    try {
      return JSON.parse(text.replace(/\\\n\s*/g, "").replace(/\n/g, "\\n")) as string;
    } catch {
      // A Rust escape JSON lacks (\'): the text between the quotes, as written.
      return text.slice(1, -1);
    }
  }
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === "true" || text === "false") return text === "true";
  return { raw: text.replace(/\s+/g, " ") };
}

/** What a `#[api]` item is: an API method (a function), a struct or an enum. */
export interface ApiItem {
  readonly kind: "fn" | "struct" | "enum";
  readonly name: string;
  readonly file: string;
  readonly macro: MacroValue;
  /** The item's own text: a function's signature, a struct's or enum's body, with its attributes. */
  readonly body: string;
  /** The attributes and doc comments between the macro and the item. */
  readonly attributes: string;
}

/** Every `#[api]` item of a file. */
export function apiItems(file: string, text: string): ApiItem[] {
  const items: ApiItem[] = [];
  const re = /#\[api(\(|\])/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    try {
      items.push(...apiItemAt(file, text, m));
    } catch (error) {
      // One unreadable item (a macro of another shape) does not stop the file: it is left out, and so unresolved.
      void error;
    }
  }
  return items;
}

function apiItemAt(file: string, text: string, m: RegExpExecArray): ApiItem[] {
  const items: ApiItem[] = [];
  {
    let macro: MacroValue = {};
    let after = m.index + m[0].length;
    if (m[1] === "(") {
      const end = closing(text, after - 1);
      macro = parseMacroValue(`{${text.slice(after, end - 1)}}`);
      after = end + 1; // past the `]`
    }
    // Attributes (some span lines) and doc comments between the macro and the item.
    let at = after;
    for (;;) {
      const gap = /^\s*/.exec(text.slice(at))?.[0].length ?? 0;
      at += gap;
      if (text.startsWith("#[", at)) at = closing(text, at + 1) + 0;
      else if (text.startsWith("//", at)) at = text.indexOf("\n", at) + 1;
      else break;
    }
    const head = /^(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(fn|struct|enum)\s+(\w+)/.exec(text.slice(at));
    if (head === null) return items;
    const attributes = text.slice(after, at);
    const start = at + head[0].length;
    const kind = head[1] as ApiItem["kind"];
    // A tuple struct (`pub struct Userid(String);`) has its parenthesis first.
    const brace = kind === "fn" ? text.indexOf("(", start) : /^\s*\(/.test(text.slice(start)) ? text.indexOf("(", start) : text.indexOf("{", start);
    const body = kind === "fn" ? text.slice(start, closing(text, brace)) : text.slice(brace, closing(text, brace));
    items.push({ kind, name: head[2] as string, file, macro, body, attributes });
  }
  return items;
}

/**
 * `pub const NAME: Schema = ...;` of a file: each constant's expression; a
 * type's own schema (`impl ApiType for X { const API_SCHEMA: Schema = ...; }`)
 * as `X::API_SCHEMA`; and a constant re-exported under another name
 * (`use ...::{COMMENT_SCHEMA as SINGLE_LINE_COMMENT_SCHEMA}`) as that name, its
 * expression the original's.
 */
export function schemaConstants(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/\b([A-Z][A-Z0-9_]+_SCHEMA) as ([A-Z][A-Z0-9_]+)\b/g)) out.set(m[2] as string, m[1] as string);
  for (const m of text.matchAll(/impl ApiType for (\w+)\s*\{\s*const API_SCHEMA: Schema =\s*([A-Z][A-Z0-9_]+)\s*;/g)) out.set(`${m[1] as string}::API_SCHEMA`, m[2] as string);
  const re = /(?:pub const (\w+)|impl ApiType for (\w+)\s*\{\s*const API_SCHEMA): Schema =\s*/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    let i = m.index + m[0].length;
    try {
    // To the `;` at depth 0.
    while (i < text.length && text[i] !== ";") {
      if ("([{".includes(text[i] as string)) {
        i = closing(text, i);
        continue;
      }
      if (text[i] === '"') for (i += 1; i < text.length && text[i] !== '"'; i += 1) if (text[i] === "\\") i += 1;
      i += 1;
    }
      out.set(m[1] ?? `${m[2] as string}::API_SCHEMA`, text.slice(m.index + m[0].length, i));
    } catch {
      // Left out: a parameter with this schema shows as unknown.
    }
  }
  return out;
}

/** `serde(rename_all = "kebab-case")` and friends applied to a Rust identifier. */
export function renamed(name: string, rule: string | undefined): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").split("_").filter((w) => w !== "");
  switch (rule) {
    case "kebab-case":
      return words.map((w) => w.toLowerCase()).join("-");
    case "lowercase":
      return name.toLowerCase();
    case "snake_case":
      return words.map((w) => w.toLowerCase()).join("_");
    case "UPPERCASE":
      return name.toUpperCase();
    default:
      return name;
  }
}

/** The `rename_all` rule of a struct's or enum's serde attributes, if any. */
export const renameRule = (attributes: string): string | undefined => /rename_all\s*=\s*"([^"]+)"/.exec(attributes)?.[1];
