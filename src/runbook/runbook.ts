/**
 * The runbook for one lost site and one mode: who survives, what to bring back,
 * the estimate of every path, and the steps of the chosen one. Pure: every input
 * (plans, status, addresses) is read by the CLI and passed in, so the whole
 * decision is tested without a host.
 */
import { heldStorageOf } from "../backup/names";
import { hostingEntry } from "../firewall/hosted";
import { directionOf } from "../offsite/directions";
import { PAIRING, holdersOf } from "../offsite/pairing";
import { type Problem, formatProblem, problem } from "../problems";
import type { SiteSpec } from "../site/schema";
import { placeFailover, servicesThatFit } from "./capacity";
import { type PathEstimate, dataBytesOf, estimateOf, fastest } from "./estimate";
import { ALL_MODES, MODES, type Mode, type Step } from "./step";
import type { PbsReport } from "../status/pbs-report";
import { copiesToRestore } from "./held-copies";
import { type RestoreSpeed, restoreSpeedOf } from "./restore-speed";
import { type GuestRpo, rpoOf } from "./rpo";
import { runbookSteps } from "./steps";
import type { PlanResource } from "./targets";

export interface RunbookRequest {
  readonly lost: string;
  readonly mode: string;
  /** Services to bring back; empty = all of the lost site. */
  readonly only: readonly string[];
  /** The carry datastore's directory on the carry disk, relative to the disk's root (disk mode). */
  readonly diskPath: string;
  readonly allowStale: boolean;
  /** failback: the lost site's host was kept (its uplink was down), with its state and its guests that did not move. */
  readonly keptHost?: boolean;
}

export interface RunbookContext {
  readonly sites: readonly SiteSpec[];
  /** Offline plan resources per stack. */
  readonly plans: ReadonlyMap<string, readonly PlanResource[]>;
  /** `user@address` per site, from the stack files. */
  readonly sshOf: ReadonlyMap<string, string>;
  /**
   * The survivor's stack config `hosting`: the guests a failover left running there (`<site>/<service>`).
   * The way home brings those; without it (a failover older than the key), what fits. @default []
   */
  readonly survivorHosting?: readonly string[];
  /** The survivor's PBS report (its copies of the lost site), and where it came from; absent in a dry run without one. */
  readonly status?: { readonly report: PbsReport; readonly source: string };
}

export interface Runbook {
  readonly lost: SiteSpec;
  readonly survivor: SiteSpec;
  readonly mode: Mode;
  readonly services: SiteSpec["containers"];
  /** Where the survivor holds the copies: its PBS storage over the lost site's namespace. */
  readonly copiesStorage: string;
  readonly statusSource: string | undefined;
  readonly estimates: PathEstimate[];
  readonly recommended: PathEstimate | undefined;
  /** What each guest brought back loses: measured from the listing, or bounded by the night plan. */
  readonly rpo: GuestRpo[];
  /** The restore speed the estimates use, and whether a drill measured it. */
  readonly restoreSpeed: RestoreSpeed;
  readonly steps: Step[];
  /**
   * A failover of the whole site that does not fit: the steps bring back only
   * the services that do; these are left out, and why.
   */
  readonly leftOut?: { readonly services: SiteSpec["containers"]; readonly why: string };
  /**
   * The chosen mode cannot be taken (a failover without room): why, with what
   * would make it possible. The estimates of every mode are still there; the
   * steps are empty.
   */
  readonly blocked?: string;
}

/** The arguments alone: a known site with a survivor, a known mode, known services. */
export function checkRequest(
  req: RunbookRequest,
  sites: readonly SiteSpec[],
): { ok: true; lost: SiteSpec; survivor: SiteSpec; mode: Mode; services: SiteSpec["containers"] } | { ok: false; problems: Problem[] } {
  const problems: Problem[] = [];
  const lost = sites.find((s) => s.name === req.lost);
  if (lost === undefined) problems.push(problem("--lost", req.lost, `one of the sites: ${sites.map((s) => s.name).join(", ")}`));
  if (!ALL_MODES.includes(req.mode as Mode)) problems.push(problem("--mode", req.mode, `one of ${ALL_MODES.join(", ")}`));
  // The way home takes every guest: those that ran at the survivor, and the others from their copies.
  if (req.mode === "failback" && req.only.length > 0) problems.push(problem("--only", req.only.join(" "), "no --only with --mode failback: it brings the whole site home, the guests that ran at the survivor and the others from their copies"));
  if (req.keptHost === true && req.mode !== "failback") problems.push(problem("--kept-host", req.mode, "--mode failback: only the way home can find the lost host kept"));
  // PBS takes a removable datastore's path relative to the disk's root, and mounts the disk itself.
  if (!/^[\w.-]+(\/[\w.-]+)*$/.test(req.diskPath) || req.diskPath.split("/").some((part) => part === "." || part === "..")) {
    problems.push(problem("--disk-path", req.diskPath, "a directory relative to the carry disk's root, such as retzien-carry"));
  }
  if (lost === undefined || problems.length > 0) return { ok: false, problems };
  const mode = req.mode as Mode;

  const unknown = req.only.filter((name) => !lost.containers.some((c) => c.name === name));
  for (const name of unknown) problems.push(problem("--only", name, `a service of ${lost.name}: ${lost.containers.map((c) => c.name).join(", ")}`));
  const survivor = sites.find((s) => s.name === holdersOf(PAIRING, lost.name)[0]);
  if (survivor === undefined) problems.push(problem("pairing", `no site holding ${lost.name}'s copies`, "a survivor"));
  if (survivor === undefined || problems.length > 0) return { ok: false, problems };
  const services = lost.containers
    .filter((c) => req.only.length === 0 || req.only.includes(c.name))
    .sort((a, b) => a.startup.order - b.startup.order);
  return { ok: true, lost, survivor, mode, services };
}

/** Decides and lays out the way back, or lists every reason it cannot. */
export function planRunbook(req: RunbookRequest, ctx: RunbookContext): { ok: true; runbook: Runbook } | { ok: false; problems: Problem[] } {
  const checked = checkRequest(req, ctx.sites);
  if (!checked.ok) return checked;
  const { lost, survivor, mode, services } = checked;
  const copies = directionOf(survivor, lost);

  let snapshots: Map<number, string> | undefined;
  const held = new Map<number, number | null | undefined>();
  const heldAges = new Map<number, { ageHours: number; snapshot: string }>();
  if (ctx.status !== undefined) {
    const checked = copiesToRestore(ctx.status.report, {
      site: lost.name,
      vmids: services.map((c) => c.vmid),
      maxAgeHours: survivor.offsite.staleAfterHours,
      source: ctx.status.source,
      allowStale: req.allowStale,
    });
    if (!checked.ok) return checked;
    snapshots = new Map([...checked.copies].map(([vmid, c]) => [vmid, new Date(c.snapshot.time * 1000).toISOString().replace(/\.\d{3}Z$/, "Z")]));
    for (const [vmid, c] of checked.copies) {
      held.set(vmid, c.snapshot.sizeBytes);
      heldAges.set(vmid, { ageHours: c.ageHours, snapshot: snapshots.get(vmid) ?? "" });
    }
  }
  const bytes = dataBytesOf(services, held);
  const lostPlan = ctx.plans.get(lost.name);
  const survivorPlan = ctx.plans.get(survivor.name);
  const lostSsh = ctx.sshOf.get(lost.name);
  const survivorSsh = ctx.sshOf.get(survivor.name);
  if (!lostPlan || !survivorPlan || !lostSsh || !survivorSsh) throw new Error("the runbook needs both stacks' plans and SSH addresses");

  // A whole site that does not fit on the survivor may still fail over in part
  // (unless the operator chose the services: then it is theirs to change).
  const whole = placeFailover(lost, survivor, services);
  const fitting = whole.ok || req.only.length > 0 ? services : servicesThatFit(lost, survivor, services);
  const placement = whole.ok ? whole : placeFailover(lost, survivor, fitting);
  const leftOut = whole.ok ? undefined : { services: services.filter((c) => !fitting.includes(c)), why: whole.problems.map(formatProblem).join("; ") };
  // What runs at the survivor since the failover: what its stack says it hosts, else what the failover takes.
  const hosted = services.filter((c) => (ctx.survivorHosting ?? []).includes(hostingEntry(lost.name, c.name)));
  const atSurvivor = hosted.length > 0 ? hosted : placement.ok ? fitting : [];
  const restoreSpeed = restoreSpeedOf(lost.name, survivor.name, ctx.status?.report);
  const base = { lost, survivor, services, copies, lostSsh, survivorSsh, snapshots, bytes, lostPlan, survivorPlan, diskPath: req.diskPath, restoreMiBps: restoreSpeed.mibps };
  const stepsOf = (m: Mode): Step[] | { blocked: string } => {
    // What a failover took (what fits) runs at the survivor: it comes home from there.
    if (m === "failback") return runbookSteps({ ...base, mode: m, failedOver: atSurvivor, keptHost: req.keptHost ?? false });
    if (m !== "failover") return runbookSteps({ ...base, mode: m });
    if (!placement.ok || fitting.length === 0) return { blocked: whole.ok ? "" : whole.problems.map(formatProblem).join("; ") };
    return runbookSteps({ ...base, services: fitting, mode: m, placement: placement.placement });
  };
  const estimates = MODES.map((m) => estimateOf(m, stepsOf(m), lost.recovery.mostVisible));
  // The guests that lose the writes their copy misses. In a failback, those that come home from the
  // survivor lose nothing, and on a kept host the others never left.
  const restoredFromCopies = (m: Mode): SiteSpec["containers"] => {
    if (m === "failover") return fitting;
    if (m !== "failback") return services;
    return req.keptHost ? [] : services.filter((c) => !atSurvivor.includes(c));
  };
  const chosen = stepsOf(mode);
  return {
    ok: true,
    runbook: {
      lost,
      survivor,
      mode,
      services: mode === "failover" ? fitting : services,
      copiesStorage: heldStorageOf(lost.name),
      statusSource: ctx.status?.source,
      estimates,
      recommended: fastest(estimates),
      restoreSpeed,
      rpo: rpoOf(lost, survivor, restoredFromCopies(mode), ctx.status === undefined ? undefined : heldAges),
      steps: "blocked" in chosen ? [] : chosen,
      ...(mode === "failover" && leftOut !== undefined ? { leftOut } : {}),
      ...("blocked" in chosen ? { blocked: chosen.blocked } : {}),
    },
  };
}
