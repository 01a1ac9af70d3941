/**
 * Plan speed: each measurement is a fresh `node -r ./scripts/lib/load-typescript.js
 * plan-child.ts ...` process, as `npm run plan` starts one, so no run inherits
 * another's warm module cache. Two times per run: the process's wall time
 * (what a person waits for) and the plan's own time inside it (the program's
 * work, without starting node and loading Pulumi). Sizes are interleaved within
 * each repeat so that a slow moment of the machine spreads over all of them;
 * the figures are medians.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export interface PlanTiming {
  readonly what: string;
  /** Generated containers on the planned site; null for the committed stacks. */
  readonly containers: number | null;
  readonly resources: number;
  readonly planMsMedian: number;
  readonly wallMsMedian: number;
  readonly planMsSamples: number[];
  readonly wallMsSamples: number[];
}

export interface PlanSpeed {
  readonly method: string;
  readonly repeats: number;
  readonly nodeArgs: string[];
  readonly committed: PlanTiming;
  readonly sites: PlanTiming[];
  /** Largest generated site over smallest: plan time and wall time. */
  readonly growth: { readonly from: number; readonly to: number; readonly planRatio: number; readonly wallRatio: number };
}

const CHILD = join(__dirname, "plan-child.ts");

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function runChild(args: readonly string[], nodeArgs: readonly string[]): { planMs: number; wallMs: number; resources: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...nodeArgs, "-r", "./scripts/lib/load-typescript.js", CHILD, ...args], {
    cwd: join(__dirname, "..", ".."),
    encoding: "utf8",
    timeout: 180_000,
  });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`plan-child ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split("\n").pop() as string) as { planMs: number; resources: number };
  return { planMs: out.planMs, wallMs, resources: out.resources };
}

const r1 = (x: number) => Math.round(x);

export function measurePlanSpeed(sizes: readonly number[], repeats: number, nodeArgs: readonly string[], log: (s: string) => void): PlanSpeed {
  const targets: { what: string; args: string[]; containers: number | null }[] = [
    { what: "both committed stacks (planStacks)", args: ["committed"], containers: null },
    ...sizes.map((n) => ({ what: `rouans with ${n} generated containers`, args: ["sites", String(n)], containers: n })),
  ];
  const samples = targets.map(() => ({ plan: [] as number[], wall: [] as number[], resources: 0 }));
  for (let rep = 0; rep < repeats; rep++) {
    for (const [i, t] of targets.entries()) {
      log(`plan speed: ${t.what}, run ${rep + 1}/${repeats}`);
      const r = runChild(t.args, nodeArgs);
      const s = samples[i] as (typeof samples)[number];
      s.plan.push(r1(r.planMs));
      s.wall.push(r1(r.wallMs));
      s.resources = r.resources;
    }
  }
  const timings: PlanTiming[] = targets.map((t, i) => {
    const s = samples[i] as (typeof samples)[number];
    return { what: t.what, containers: t.containers, resources: s.resources, planMsMedian: r1(median(s.plan)), wallMsMedian: r1(median(s.wall)), planMsSamples: s.plan, wallMsSamples: s.wall };
  });
  const [committed, ...sites] = timings as [PlanTiming, ...PlanTiming[]];
  const first = sites[0] as PlanTiming;
  const last = sites[sites.length - 1] as PlanTiming;
  return {
    method: `a fresh node process per run (ts-node transpile-only, as npm run plan); median of ${repeats}`,
    repeats,
    nodeArgs: [...nodeArgs],
    committed,
    sites,
    growth: {
      from: first.containers as number,
      to: last.containers as number,
      planRatio: Math.round((last.planMsMedian / first.planMsMedian) * 100) / 100,
      wallRatio: Math.round((last.wallMsMedian / first.wallMsMedian) * 100) / 100,
    },
  };
}
