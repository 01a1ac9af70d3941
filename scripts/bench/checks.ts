/**
 * What the bench document holds, the consistency checks (no timing among them:
 * they must hold on any machine) and the plan-speed goals: a failed check or a
 * missed goal makes the bench exit non-zero, so a slower plan is seen in CI's
 * quick run too, not only read in a table.
 */
import type { Machine } from "./machine";
import type { EngineSpeed } from "./engine-speed";
import type { PlanSpeed } from "./plan-speed";

export interface BenchDocument {
  readonly version: 2;
  readonly quick: boolean;
  readonly command: string;
  readonly machine: Machine;
  readonly plan: PlanSpeed;
  /** The real engine on the same program (npm run engine:build first). */
  readonly engine: EngineSpeed;
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
  readonly met: boolean;
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
  add(
    "engine: every up made resources and every preview after them found nothing to change",
    doc.engine.previewsClean && doc.engine.timings.filter((t) => t.what.startsWith("up")).every((t) => t.resources > 0),
    doc.engine.timings.map((t) => `${t.what}: ${t.resources}`).join(", "),
  );
  const missing = missingFields(doc);
  add("every figure is present and finite", missing.length === 0, missing.join(", "));
  return checks;
}

/**
 * 0 when every consistency check holds and every goal is met, 1 otherwise (and
 * when there are no checks: a run that checked nothing proved nothing).
 */
export function exitCode(checks: readonly Check[], goalsMeasured: readonly Goal[]): 0 | 1 {
  return checks.length > 0 && checks.every((c) => c.ok) && goalsMeasured.every((g) => g.met) ? 0 : 1;
}

/** Plan time each resource adds, ms, from the smallest generated site measured to the largest. */
export function msPerAddedResource(sites: readonly { resources: number; planMsMedian: number }[]): number {
  const first = sites[0];
  const last = sites[sites.length - 1];
  if (first === undefined || last === undefined || last.resources === first.resources) return Number.NaN;
  return (last.planMsMedian - first.planMsMedian) / (last.resources - first.resources);
}

/**
 * The goals, each with its measured value. Growth is judged by what each added
 * resource costs, which a linear plan keeps flat at any size, rather than by the
 * ratio of the largest site to the smallest: that ratio rises whenever the fixed
 * start-up cost falls (docs/performance.md), and it judged nothing at --quick's sizes.
 */
export function goals(doc: Omit<BenchDocument, "checks" | "goals">): Goal[] {
  const g = doc.plan.growth;
  const perResource = msPerAddedResource(doc.plan.sites);
  return [
    { goal: "plan of both stacks < 3 s wall", value: doc.plan.committed.wallMsMedian / 1000, limit: 3, met: doc.plan.committed.wallMsMedian < 3000 },
    { goal: `each resource added from ${g.from} to ${g.to} containers < 5 ms of plan time`, value: perResource, limit: 5, met: perResource < 5 },
  ];
}
