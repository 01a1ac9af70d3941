/**
 * The real engine's speed beside the offline plan's: both stacks brought up on
 * empty fake hosts (rouans, sthilaire, then rouans again once sthilaire has
 * published), then a preview of each, through the engine suite's harness
 * (test/engine/: CLI v3.276.0, stand-in providers). Timed once: an up here is
 * mostly the host commands' stand-ins and the engine's own steps.
 */
import { type Engine, SITES, changesOf, startEngine } from "../../test/engine/harness";

export interface EngineTiming {
  readonly what: string;
  readonly ms: number;
  /** Resources the engine counted in that operation (created, or unchanged for a preview). */
  readonly resources: number;
}

export interface EngineSpeed {
  readonly cli: string;
  readonly timings: EngineTiming[];
  /** Whether each preview after the ups found nothing to change. */
  readonly previewsClean: boolean;
}

async function timed<T>(what: string, run: () => Promise<T>, count: (r: T) => number, log: (s: string) => void): Promise<EngineTiming> {
  log(`engine: ${what}`);
  const t0 = performance.now();
  const result = await run();
  return { what, ms: Math.round(performance.now() - t0), resources: count(result) };
}

export async function measureEngine(log: (s: string) => void): Promise<EngineSpeed> {
  const engine: Engine = await startEngine();
  try {
    const timings: EngineTiming[] = [];
    let previewsClean = true;
    for (const [site, label] of [["rouans", "up rouans (empty host)"], ["sthilaire", "up sthilaire (empty host)"], ["rouans", "up rouans again (sthilaire published)"]] as const) {
      const stack = await engine.stack(site);
      timings.push(await timed(label, () => stack.up(), (r) => Object.values(r.summary.resourceChanges ?? {}).reduce((a, b) => a + b, 0), log));
    }
    for (const site of SITES) {
      const stack = await engine.stack(site);
      timings.push(
        await timed(`preview ${site}`, () => stack.preview(), (r) => {
          if (Object.keys(changesOf(r.changeSummary)).length > 0) previewsClean = false;
          return r.changeSummary["same"] ?? 0;
        }, log),
      );
    }
    return { cli: engine.cli.version?.toString() ?? "unknown", timings, previewsClean };
  } finally {
    engine.remove();
  }
}
