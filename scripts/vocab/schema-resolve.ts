/**
 * From the `#[api]` items and `Schema` constants of a source tree to each
 * parameter's type, as a table states it: `{ type, optional, enum, minimum,
 * maximum, default, items }`. Structs named with `flatten: true` (or fields
 * with `#[serde(flatten)]`) give their fields as parameters, as the API macro
 * does.
 */
import { type ApiItem, type MacroValue, closing, renameRule, renamed, stripComments, topLevelParts } from "./rust-api";

export interface ParamSchema {
  type: "string" | "integer" | "number" | "boolean" | "array" | "object" | "unknown";
  optional: boolean;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  default?: string | number | boolean;
  items?: ParamSchema;
  /** The Rust name the type came from, when it did not resolve to a known kind. */
  source?: string;
}

type Obj = Record<string, MacroValue>;
/** A key of a macro object, or undefined. */
const field = (v: MacroValue | undefined, key: string): MacroValue | undefined => (isObj(v) ? (v as Obj)[key] : undefined);
const isObj = (v: MacroValue | undefined): v is Obj => v !== undefined && typeof v === "object" && !Array.isArray(v) && !("raw" in v);
const raw = (v: MacroValue | undefined): string | undefined => (v !== undefined && typeof v === "object" && !Array.isArray(v) && "raw" in v ? String(v["raw"]) : typeof v === "string" ? v : undefined);
const lastSegment = (path: string) => path.replace(/^&/, "").split("::").pop() ?? path;

export class SchemaIndex {
  /** Types by name; several files may define one (each API module its own `DeletableProperty`). */
  private readonly types = new Map<string, ApiItem[]>();
  private readonly constants = new Map<string, string>();
  /** The file whose types win a name clash: the method's being resolved. */
  private near = "";

  constructor(
    items: readonly ApiItem[],
    constants: ReadonlyMap<string, string>,
    /** The sources' texts by file, for the `use` lines that say which of several same-named types a file means. */
    private readonly texts: ReadonlyMap<string, string> = new Map(),
  ) {
    for (const item of items) if (item.kind !== "fn") this.types.set(item.name, [...(this.types.get(item.name) ?? []), item]);
    for (const [k, v] of constants) if (!this.constants.has(k)) this.constants.set(k, v);
  }

  private type(name: string): ApiItem | undefined {
    const all = this.types.get(name) ?? [];
    if (all.length < 2) return all[0];
    const own = all.find((t) => t.file === this.near);
    if (own !== undefined) return own;
    // `use proxmox_backup::api2::config::datastore::DeletableProperty;` or `use crate::a::{b, Name};`
    const text = this.texts.get(this.near) ?? "";
    const path = new RegExp(`use\\s+([\\w:]+)::(?:${name}\\b|\\{[^}]*\\b${name}\\b)`).exec(text)?.[1];
    const module = path?.split("::").filter((p) => !["crate", "proxmox_backup", "super", "self"].includes(p)).join("/");
    return (module === undefined ? undefined : all.find((t) => t.file === `src/${module}.rs` || t.file === `src/${module}/mod.rs`)) ?? all[0];
  }

  /** A schema constant's expression (`StringSchema::new(...)...`) as a parameter type. */
  fromConstant(name: string, depth = 0): ParamSchema {
    const key = name.replace(/^&/, "");
    const expr = this.constants.get(key) ?? this.constants.get(lastSegment(key));
    if (expr === undefined || depth > 8) {
      // `Userid::API_SCHEMA` and the like: the schema of a type.
      const typeName = /^&?(\w+)::API_SCHEMA$/.exec(name.replace(/^&/, ""))?.[1];
      return typeName !== undefined ? this.fromType(typeName, depth + 1) : { type: "unknown", optional: false, source: name };
    }
    const head = /^(\w+)Schema::new/.exec(expr.trim())?.[1];
    const num = (method: string) => {
      const m = new RegExp(`\\.${method}\\((-?[\\d_]+)\\)`).exec(expr);
      return m === null ? undefined : Number((m[1] as string).replace(/_/g, ""));
    };
    const dflt = /\.default\(([^)]*)\)/.exec(expr)?.[1]?.trim();
    const base = (): ParamSchema => {
      switch (head) {
        case "Boolean":
          return { type: "boolean", optional: false };
        case "Integer":
          return { type: "integer", optional: false, ...bound("minimum", num("minimum")), ...bound("maximum", num("maximum")) };
        case "Number":
          return { type: "number", optional: false };
        case "Array": {
          const item = /ArraySchema::new\(\s*"(?:[^"\\]|\\.)*"\s*,\s*&?([\w:]+)/.exec(expr)?.[1];
          return { type: "array", optional: false, ...(item === undefined ? {} : { items: this.fromConstant(item, depth + 1) }) };
        }
        case "String": {
          const values = [...(/ApiStringFormat::Enum\(&\[([\s\S]*?)\]\)/.exec(expr)?.[1] ?? "").matchAll(/EnumEntry::new\(\s*"([^"]+)"/g)].map((m) => m[1] as string);
          return { type: "string", optional: false, ...(values.length > 0 ? { enum: values } : {}) };
        }
        default: {
          // Another constant's schema, as is: `const A: Schema = B;`
          const alias = /^&?([A-Z][A-Z0-9_]+)$/.exec(expr.trim())?.[1];
          return alias !== undefined ? this.fromConstant(alias, depth + 1) : { type: "unknown", optional: false, source: expr.trim().slice(0, 80) };
        }
      }
    };
    const out = base();
    if (dflt !== undefined && /^(true|false|-?\d+|"[^"]*")$/.test(dflt)) out.default = JSON.parse(dflt) as string | number | boolean;
    return out;
  }

  /** A named type: a primitive of the macro (`Boolean`, `Integer`, ...), an `#[api]` enum, struct or newtype. */
  fromType(name: string, depth = 0): ParamSchema {
    const primitive: Record<string, ParamSchema["type"]> = { Boolean: "boolean", bool: "boolean", Integer: "integer", Number: "number", String: "string", Array: "array", Object: "object" };
    if (primitive[name] !== undefined) return { type: primitive[name], optional: false };
    if (/^[ui](8|16|32|64|size)$/.test(name)) return { type: "integer", optional: false };
    if (this.constants.has(`${name}::API_SCHEMA`)) return this.fromConstant(`${name}::API_SCHEMA`, depth + 1);
    const item = this.type(name);
    if (item === undefined || depth > 8) return { type: "unknown", optional: false, source: name };
    // A struct that serializes as another type (`#[api(type: String, format: ...)] pub struct Userid { ... }`).
    const as = raw(field(item.macro, "type"));
    if (as !== undefined && item.kind === "struct") return this.fromType(lastSegment(as), depth + 1);
    if (item.kind === "enum") return { type: "string", optional: false, enum: this.enumValues(item) };
    // A newtype over a schema (`pub struct Userid(String)` with `#[api(type: String, ...)]`) or a struct.
    if (!item.body.startsWith("{")) {
      const schema = raw(field(item.macro, "schema"));
      return schema !== undefined ? this.fromConstant(schema, depth + 1) : { type: "string", optional: false, source: name };
    }
    return { type: "object", optional: false, source: name };
  }

  /** An enum's serialized values, with its rename rules. */
  private enumValues(item: ApiItem): string[] {
    const rule = renameRule(item.attributes);
    return topLevelParts(stripComments(item.body.slice(1, -1))).flatMap((variant) => {
      const own = /#\[serde\([^\]]*rename\s*=\s*"([^"]+)"/.exec(variant)?.[1];
      const ident = /(\w+)\s*(?:=\s*[^,]+)?$/.exec(variant.replace(/#\[[^\]]*\]/g, "").replace(/\/\/\/[^\n]*/g, "").trim())?.[1];
      if (SERDE_SKIP.test(variant) || ident === undefined) return [];
      return [own ?? renamed(ident, rule)];
    });
  }

  /** A struct's fields as parameters: its serde names, flattened fields merged. */
  structParams(name: string, depth = 0): Map<string, ParamSchema> {
    const out = new Map<string, ParamSchema>();
    // `FooUpdater` (derive(Updater)): Foo's fields, each optional, but those marked `#[updater(skip)]`.
    const base = name.endsWith("Updater") && this.type(name) === undefined ? name.slice(0, -"Updater".length) : undefined;
    if (base !== undefined) {
      const skipped = this.updaterSkipped(base);
      for (const [k, v] of this.structParams(base, depth + 1)) if (!skipped.has(k)) out.set(k, { ...v, optional: true });
      return out;
    }
    const item = this.type(name);
    if (item === undefined || item.kind !== "struct" || !item.body.startsWith("{") || depth > 8) return out;
    const rule = renameRule(item.attributes);
    const found = field(item.macro, "properties");
    const props: Obj = isObj(found) ? found : {};
    for (const field of topLevelParts(stripComments(item.body.slice(1, -1)))) {
      const clean = field.replace(/\/\/\/[^\n]*/g, "");
      const m = /(?:pub(?:\([^)]*\))?\s+)?(\w+)\s*:\s*([\s\S]+)$/.exec(clean.replace(/#\[[^\]]*\]/g, "").trim());
      if (m === null) continue;
      const [, ident = "", rustType = ""] = m;
      if (SERDE_SKIP.test(clean)) continue;
      if (/#\[serde\([^\]]*flatten/.test(clean)) {
        for (const [k, v] of this.structParams(innerType(rustType), depth + 1)) out.set(k, v);
        continue;
      }
      const serdeName = /#\[serde\([^\]]*rename\s*=\s*"([^"]+)"/.exec(clean)?.[1] ?? renamed(ident, rule);
      const def = props[ident] ?? props[serdeName];
      out.set(serdeName, this.param(isObj(def) ? (def as Obj) : {}, rustType, depth + 1));
    }
    return out;
  }

  /** The serde names of a struct's fields marked `#[updater(skip)]`. */
  private updaterSkipped(name: string): Set<string> {
    const item = this.type(name);
    if (item === undefined || !item.body.startsWith("{")) return new Set();
    const rule = renameRule(item.attributes);
    return new Set(
      topLevelParts(stripComments(item.body.slice(1, -1)))
        .filter((f) => /#\[updater\([^\]]*skip/.test(f))
        .map((f) => /(\w+)\s*:[^:]/.exec(f.replace(/#\[[^\]]*\]/g, "").replace(/\/\/\/[^\n]*/g, "").replace(/pub(\([^)]*\))?\s+/, ""))?.[1] ?? "")
        .map((f) => renamed(f, rule)),
    );
  }

  /**
   * One parameter from its macro definition (`{ schema: X }`, `{ type: T }`,
   * bounds, default, optional) and, when the macro leaves it out, its Rust type.
   */
  param(def: Obj, rustType: string | undefined, depth = 0): ParamSchema {
    const schema = raw(def["schema"]);
    const typeName = raw(def["type"]);
    const fromRust = rustType === undefined ? undefined : innerType(rustType);
    let out: ParamSchema;
    if (schema !== undefined) out = this.fromConstant(schema, depth);
    else if (typeName === "Array") {
      const items = isObj(def["items"]) ? this.param(def["items"], undefined, depth + 1) : undefined;
      out = { type: "array", optional: false, ...(items === undefined ? {} : { items }) };
    } else if (typeName !== undefined) out = this.fromType(lastSegment(typeName), depth);
    else if (rustType !== undefined && /^(Option<\s*)?Vec</.test(rustType.trim())) out = { type: "array", optional: false, items: this.fromType(fromRust ?? "", depth) };
    else out = this.fromType(fromRust ?? "", depth);
    out = { ...out };
    for (const key of ["minimum", "maximum"] as const) if (typeof def[key] === "number") out[key] = def[key];
    const d = def["default"];
    if (typeof d === "string" || typeof d === "number" || typeof d === "boolean") out.default = d;
    out.optional = def["optional"] === true || (rustType !== undefined && /^Option</.test(rustType.trim()));
    return out;
  }

  /**
   * An API method's parameters: its macro's `input.properties`, flattened
   * types expanded, and the Rust signature for what the macro leaves to it.
   */
  methodParams(item: ApiItem): Map<string, ParamSchema> {
    const out = new Map<string, ParamSchema>();
    this.near = item.file;
    const found = field(field(item.macro, "input"), "properties");
    const props: Obj = isObj(found) ? found : {};
    const signature = signatureTypes(item.body);
    for (const [name, value] of Object.entries(props)) {
      if (!isObj(value)) continue;
      const def = value as Obj;
      const typeName = raw(def["type"]);
      if (def["flatten"] === true && typeName !== undefined) {
        for (const [k, v] of this.structParams(lastSegment(typeName))) out.set(k, def["optional"] === true ? { ...v, optional: true } : v);
        continue;
      }
      out.set(name, this.param(def, signature.get(name.replace(/-/g, "_"))));
    }
    return out;
  }
}

/** `#[serde(skip)]`, not `skip_serializing_if`: the field is not part of the schema. */
const SERDE_SKIP = /#\[serde\([^\]]*\bskip\s*[,)]/;
const bound = (key: "minimum" | "maximum", value: number | undefined) => (value === undefined ? {} : { [key]: value });

/** `Option<Vec<Foo>>` → `Foo`; `crate::a::Bar` → `Bar`. */
function innerType(rustType: string): string {
  let t = rustType.trim().replace(/,$/, "");
  for (let m = /^(?:Option|Vec|Box)<\s*([\s\S]*)>$/.exec(t); m !== null; m = /^(?:Option|Vec|Box)<\s*([\s\S]*)>$/.exec(t)) t = (m[1] as string).trim();
  return lastSegment(t);
}

/** A function's parameters and their Rust types, from its parenthesized signature. */
function signatureTypes(body: string): Map<string, string> {
  const open = body.indexOf("(");
  const out = new Map<string, string>();
  if (open < 0) return out;
  for (const part of topLevelParts(body.slice(open + 1, closing(body, open) - 1))) {
    const m = /^(?:mut\s+)?(\w+)\s*:\s*([\s\S]+)$/.exec(part.replace(/#\[[^\]]*\]/g, "").trim());
    if (m !== null) out.set(m[1] as string, m[2] as string);
  }
  return out;
}
