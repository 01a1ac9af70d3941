/**
 * A runbook step as data, the modes, and what every mode's steps are made
 * from: the types the estimate, the steps and the CLI share.
 */
import type { SyncDirection } from "../offsite/directions";
import type { ContainerSpec, SiteSpec } from "../site/schema";
import type { FailoverPlacement } from "./capacity";
import type { PlanResource } from "./targets";

/** The ways back after a loss, and the way home after a failover. */
export type Mode = "failover" | "rebuild" | "disk" | "failback";
/** The ways back, each estimated against the target for every loss. */
export const MODES: readonly Mode[] = ["failover", "rebuild", "disk"];
/** Every mode the runbook takes. */
export const ALL_MODES: readonly Mode[] = [...MODES, "failback"];

export interface Step {
  readonly title: string;
  /** Estimated minutes. */
  readonly minutes: number;
  /** Changes something that cannot simply be undone: asks first, unless --yes. */
  readonly destructive: boolean;
  /** The command to run; absent for a step a person does by hand. */
  readonly argv?: readonly string[];
  /** What a person does (manual steps), or what to know (command steps). */
  readonly notes?: readonly string[];
  /** The service whose own health check this step runs: it is back once the step passes. */
  readonly serviceBack?: string;
  /** Why the service this step checks still cannot be reached by its clients, when it cannot. */
  readonly unreachable?: string;
  /**
   * A wait that starts when this step ends and runs beside the next ones: the
   * DNS records' TTL, after which every client follows the change.
   */
  readonly clock?: { readonly minutes: number; readonly what: string };
}

/** The stack a pulumi step runs on (its `--stack`), or undefined for any other step. */
export function pulumiStackOf(step: Step): string | undefined {
  const argv = step.argv ?? [];
  const at = argv.indexOf("--stack");
  return argv[0] === "pulumi" && at > 0 ? argv[at + 1] : undefined;
}

export interface RunbookInput {
  readonly mode: Mode;
  readonly lost: SiteSpec;
  readonly survivor: SiteSpec;
  /** Services to bring back, in start order. */
  readonly services: readonly ContainerSpec[];
  /** The direction in which the survivor holds the lost site's copies. */
  readonly copies: SyncDirection;
  /** SSH destinations (`user@address`) of the hosts, from their stack files. */
  readonly lostSsh: string;
  readonly survivorSsh: string;
  /** Snapshot time (`2026-11-24T01:00:00Z`) per VMID, from the survivor's PBS; absent in a dry run without it. */
  readonly snapshots: ReadonlyMap<number, string> | undefined;
  /** Data bytes per VMID (held or from the spec), for the per-step estimates. */
  readonly bytes: ReadonlyMap<number, number>;
  /** The offline plans of the two stacks. */
  readonly lostPlan: readonly PlanResource[];
  readonly survivorPlan: readonly PlanResource[];
  /** The carry datastore's directory on the carry disk, relative to the disk's root (disk mode). */
  readonly diskPath: string;
  /** The guests that run on the survivor since a failover (failback mode): they come home from there. */
  readonly failedOver?: readonly ContainerSpec[];
  /** failback: the lost host was kept (an uplink outage): no new host to set up, its other guests never left. */
  readonly keptHost?: boolean;
  /** Where the failover lands (failover mode). */
  readonly placement?: FailoverPlacement;
  /** How fast `pct restore` goes, MiB/s: measured by the survivor's drills, or assumed. */
  readonly restoreMiBps: number;
}
