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
  /**
   * When the site's most visible service answers its clients: its health check
   * passed and, where its address changed, the DNS TTL has run out. The target
   * is counted on it.
   */
  readonly firstBack?: { readonly service: string; readonly minutes: number; readonly bottleneck: string };
  /** Why the most visible service runs but its clients cannot reach it on this path (and what would change it). */
  readonly unreachable?: string;
}

const MIB = 1024 ** 2;

/** Data bytes per VMID: the held snapshot's size (PBS's `size`) where known, else the spec's data size. */
export function dataBytesOf(services: readonly ContainerSpec[], held: ReadonlyMap<number, number | null | undefined>): Map<number, number> {
  return new Map(services.map((c) => [c.vmid, held.get(c.vmid) ?? Math.round(c.dataSizeGiB * 1024 * MIB)]));
}

/**
 * The estimate of one path from its steps, or why it cannot be taken. Steps run
 * one after the other; a step's clock (the DNS TTL) runs beside the steps after
 * it, so the path ends when the last step and the last clock have.
 */
export function estimateOf(mode: Mode, steps: readonly Step[] | { blocked: string }, mostVisible: string): PathEstimate {
  if ("blocked" in steps) return { mode, minutes: 0, feasible: false, why: steps.blocked, meetsTarget: false };
  let at = 0;
  let clockEnd: { minutes: number; what: string } | undefined;
  let checked: number | undefined;
  let unreachable: string | undefined;
  let before: Step | undefined;
  for (const step of steps) {
    at += step.minutes;
    if (checked === undefined && (before === undefined || step.minutes > before.minutes)) before = step;
    if (step.clock !== undefined && (clockEnd === undefined || at + step.clock.minutes > clockEnd.minutes)) clockEnd = { minutes: at + step.clock.minutes, what: step.clock.what };
    if (step.serviceBack === mostVisible && checked === undefined) {
      checked = at;
      unreachable = step.unreachable;
    }
  }
  const minutes = Math.max(at, clockEnd?.minutes ?? 0);
  const longest = [...steps].sort((a, b) => b.minutes - a.minutes)[0];
  const firstBack =
    checked === undefined || unreachable !== undefined
      ? undefined
      : clockEnd !== undefined && clockEnd.minutes > checked
        ? { service: mostVisible, minutes: clockEnd.minutes, bottleneck: clockEnd.what }
        : { service: mostVisible, minutes: checked, bottleneck: before?.title ?? "" };
  return {
    mode,
    minutes,
    feasible: true,
    meetsTarget: unreachable === undefined && (firstBack?.minutes ?? minutes) < ASSUMPTIONS.targetMinutes,
    ...(longest === undefined ? {} : { longest: { title: longest.title, minutes: longest.minutes } }),
    ...(firstBack === undefined ? {} : { firstBack }),
    ...(unreachable === undefined ? {} : { unreachable }),
  };
}

/** The path that brings the most visible service back soonest, of those that can be taken. */
export function fastest(estimates: readonly PathEstimate[]): PathEstimate | undefined {
  // A path on which the service runs but cannot be reached brings nothing back to its clients.
  const back = (e: PathEstimate) => (e.unreachable !== undefined ? Infinity : (e.firstBack?.minutes ?? e.minutes));
  return [...estimates].filter((e) => e.feasible).sort((x, y) => back(x) - back(y))[0];
}

/** `1 h 05 min` */
export function formatMinutes(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, "0")} min` : `${m} min`;
}
