/**
 * What the bench document holds, the consistency checks that make the bench
 * exit non-zero (no timing among them: they must hold on any machine), and the
 * plan-speed goals, which are reported with their numbers but never fail a run.
 */
import type { Machine } from "./machine";
import type { PlanSpeed } from "./plan-speed";

export interface BenchDocument {
  readonly version: 2;
  readonly quick: boolean;
  readonly command: string;
  readonly machine: Machine;
  readonly plan: PlanSpeed;
  readonly goals: Goal[];
  readonly checks: Check[];
  readonly seconds: number;
}

export interface Check {
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface Goal {
  readonly goal: string;
  readonly value: number;
  readonly limit: number;
  /** null when this run did not measure what the goal is about (e.g. --quick has no 250-container site). */
  readonly met: boolean | null;
}

/** Every value defined and every number finite: a figure that went missing is a failed run. */
export function missingFields(value: unknown, path = "$"): string[] {
  if (value === undefined) return [path];
  if (typeof value === "number") return Number.isFinite(value) ? [] : [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => missingFields(v, `${path}[${i}]`));
  if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => missingFields(v, `${path}.${k}`));
  return [];
}

/** The checks that must hold on any machine; none of them is about timing beyond "positive". */
export function consistencyChecks(doc: Omit<BenchDocument, "checks" | "goals">): Check[] {
  const checks: Check[] = [];
  const add = (check: string, ok: boolean, detail: string) => checks.push({ check, ok, detail });
  const sizes = doc.plan.sites;
  add(
    "plan: every run declared resources, more for more containers",
    doc.plan.committed.resources > 0 && sizes.every((s, i) => s.resources > (i === 0 ? 0 : (sizes[i - 1] as { resources: number }).resources)),
    sizes.map((s) => `${s.containers}: ${s.resources}`).join(", "),
  );
  const badTimes = [doc.plan.committed, ...sizes].filter((t) => !(t.planMsMedian > 0 && t.wallMsMedian >= t.planMsMedian));
  add(
    "plan: every time is positive, the process at least as long as the plan inside it",
    badTimes.length === 0,
    badTimes.map((t) => `${t.what}: plan ${t.planMsMedian} ms, wall ${t.wallMsMedian} ms`).join(", "),
  );
  const missing = missingFields(doc);
  add("every figure is present and finite", missing.length === 0, missing.join(", "));
  return checks;
}

/** 0 when every consistency check holds, 1 when one fails (and when there are none: a run that checked nothing proved nothing). */
export function exitCode(checks: readonly Check[]): 0 | 1 {
  return checks.length > 0 && checks.every((c) => c.ok) ? 0 : 1;
}

/** The goals, each with its measured value; `met` never decides the exit code. */
export function goals(doc: Omit<BenchDocument, "checks" | "goals">): Goal[] {
  const g = doc.plan.growth;
  return [
    { goal: "plan of both stacks < 3 s wall", value: doc.plan.committed.wallMsMedian / 1000, limit: 3, met: doc.plan.committed.wallMsMedian < 3000 },
    {
      goal: `plan of the ${g.to}-container site < 4 x the ${g.from}-container one (plan time)`,
      value: g.planRatio,
      limit: 4,
      met: g.from === 10 && g.to === 250 ? g.planRatio < 4 : null,
    },
  ];
}
