/**
 * One thing wrong with the spec or the stack config, reported as
 * `<path>: found <value>, expected <rule>` so that a volunteer can find and fix it
 * without reading the code.
 */
export interface Problem {
  /** Where: a dotted path with stable keys, e.g. `sites.rouans.containers.web.vmid`. */
  readonly path: string;
  /** What was found, already rendered (secrets are rendered as `[secret]`). */
  readonly found: string;
  /** The rule the value breaks, phrased as what is expected. */
  readonly expected: string;
}

/** Renders any value for the `found` part of a message; strings are quoted. */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

/** Builds a problem; `found` is rendered with {@link show} unless already a string form is wanted. */
export function problem(path: string, found: unknown, expected: string): Problem {
  return { path, found: show(found), expected };
}

/** `<path>: found <value>, expected <rule>` */
export function formatProblem(p: Problem): string {
  return `${p.path}: found ${p.found}, expected ${p.expected}`;
}

/**
 * Thrown before any resource is registered when the spec or the config is wrong.
 * It carries every problem at once: fixing them one run at a time is a miserable
 * way to spend an outage.
 */
export class InvalidInfrastructureError extends Error {
  readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[]) {
    const lines = problems.map((p) => `  - ${formatProblem(p)}`);
    super(`invalid infrastructure definition (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${lines.join("\n")}`);
    this.name = "InvalidInfrastructureError";
    this.problems = problems;
  }
}

/** Throws {@link InvalidInfrastructureError} when there is anything to report. */
export function throwIfAny(problems: readonly Problem[]): void {
  if (problems.length > 0) throw new InvalidInfrastructureError(problems);
}
