/**
 * How long each way back takes and whether it meets the two-hour target: the sum
 * of its steps' estimates (see steps/ and {@link ASSUMPTIONS}), so the figure up
 * front and the steps below it can never disagree.
 */
import type { ContainerSpec } from "../site/schema";
import { ASSUMPTIONS } from "./assumptions";
import type { Mode, Step } from "./step";

export interface PathEstimate {
  readonly mode: Mode;
  /** Total of the steps, minutes; 0 when the path cannot be taken. */
  readonly minutes: number;
  /** False when the path cannot be taken at all (a failover without room). */
  readonly feasible: boolean;
  /** Why it cannot be taken. */
  readonly why?: string;
  readonly meetsTarget: boolean;
  /** Services this path brings back, when it is not all of them (a partial failover). */
  readonly only?: readonly string[];
  /** The step that weighs most: where the time goes (a link, a restore, a drive). */
  readonly longest?: { readonly title: string; readonly minutes: number };
}

const MIB = 1024 ** 2;

/** Data bytes per VMID: the held snapshot's size (PBS's `size`) where known, else the spec's data size. */
export function dataBytesOf(services: readonly ContainerSpec[], held: ReadonlyMap<number, number | null | undefined>): Map<number, number> {
  return new Map(services.map((c) => [c.vmid, held.get(c.vmid) ?? Math.round(c.dataSizeGiB * 1024 * MIB)]));
}

/** The estimate of one path from its steps, or why it cannot be taken. */
export function estimateOf(mode: Mode, steps: readonly Step[] | { blocked: string }): PathEstimate {
  if ("blocked" in steps) return { mode, minutes: 0, feasible: false, why: steps.blocked, meetsTarget: false };
  const minutes = steps.reduce((s, step) => s + step.minutes, 0);
  const longest = [...steps].sort((a, b) => b.minutes - a.minutes)[0];
  return {
    mode,
    minutes,
    feasible: true,
    meetsTarget: minutes < ASSUMPTIONS.targetMinutes,
    ...(longest === undefined ? {} : { longest: { title: longest.title, minutes: longest.minutes } }),
  };
}

/** The fastest path that can be taken. */
export function fastest(estimates: readonly PathEstimate[]): PathEstimate | undefined {
  return [...estimates].filter((e) => e.feasible).sort((x, y) => x.minutes - y.minutes)[0];
}

/** `1 h 05 min` */
export function formatMinutes(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, "0")} min` : `${m} min`;
}
