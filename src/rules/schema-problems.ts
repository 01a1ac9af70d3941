/**
 * Turns zod's issues into {@link Problem}s with the same `path: found X, expected Y`
 * shape as the cross-field rules, with paths that name list items by their key
 * (`containers[web]`) rather than by a position that shifts when a line is added.
 */
import { z } from "zod";
import { type Problem, problem } from "../problems";

type Segment = PropertyKey;

/** Renders a path, naming list items by their `name` or `id` where they have one. */
export function renderPath(prefix: string, root: unknown, path: readonly Segment[]): string {
  let out = prefix;
  let node: unknown = root;
  for (const segment of path) {
    if (typeof segment === "number") {
      const item = Array.isArray(node) ? (node[segment] as unknown) : undefined;
      const label = itemKey(item);
      out += label === undefined ? `[${segment}]` : `[${label}]`;
    } else {
      out += out === "" ? String(segment) : `.${String(segment)}`;
    }
    node = node !== null && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[segment] : undefined;
  }
  return out;
}

function itemKey(item: unknown): string | undefined {
  if (item === null || typeof item !== "object") return undefined;
  const record = item as Record<string, unknown>;
  for (const field of ["name", "id"]) {
    if (typeof record[field] === "string" && record[field] !== "") return record[field];
  }
  return undefined;
}

function valueAt(root: unknown, path: readonly Segment[]): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

function bound(kind: "at least" | "at most", issue: { origin?: string; inclusive?: boolean }, limit: unknown): string {
  const strictWord = kind === "at least" ? "more than" : "less than";
  const words = issue.inclusive === false ? strictWord : kind;
  switch (issue.origin) {
    case "array":
      return `${words} ${String(limit)} item(s)`;
    case "string":
      return `${words} ${String(limit)} character(s)`;
    default:
      return `${words} ${String(limit)}`;
  }
}

function expectedOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    // A schema's own words (its `error`) say more than zod's defaults.
    case "invalid_type":
      if (!issue.message.startsWith("Invalid input")) return issue.message;
      return issue.expected === "int" ? "an integer" : `a value of type ${issue.expected}`;
    case "too_small":
      return issue.message.startsWith("Too small") ? bound("at least", issue, issue.minimum) : issue.message;
    case "too_big":
      return issue.message.startsWith("Too big") ? bound("at most", issue, issue.maximum) : issue.message;
    case "invalid_value":
      return issue.message.startsWith("Invalid option") ? `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}` : issue.message;
    default:
      return issue.message;
  }
}

/**
 * Validates `input` against `schema`; returns the parsed value, or every problem.
 * @param prefix path prefix for messages, e.g. `sites.rouans`.
 * @param secretPaths dotted paths (after the prefix) whose values are never shown.
 */
export function parseWithProblems<S extends z.ZodType>(
  schema: S,
  input: unknown,
  prefix: string,
  secretPaths: readonly string[] = [],
): { ok: true; value: z.output<S> } | { ok: false; problems: Problem[] } {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const problems: Problem[] = [];
  for (const issue of result.error.issues) {
    const path = issue.path as Segment[];
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys) {
        problems.push({
          path: renderPath(prefix, input, [...path, k]),
          found: "an unknown key",
          expected: "no such key (is it misspelt?)",
        });
      }
      continue;
    }
    const secret = secretPaths.includes(path.map(String).join("."));
    const found = valueAt(input, path);
    const rendered = problem(renderPath(prefix, input, path), found, expectedOf(issue));
    problems.push(secret && found !== undefined ? { ...rendered, found: "[secret]" } : rendered);
  }
  return { ok: false, problems };
}
