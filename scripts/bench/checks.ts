/**
 * What the bench document holds, the consistency checks that make the bench
 * exit non-zero (no timing among them: they must hold on any machine), and the
 * goals of issue 5, which are reported with their numbers but never fail a run.
 */
import type { BandwidthFigures } from "./bandwidth";
import type { Machine } from "./machine";
import type { PlanSpeed } from "./plan-speed";
import { CASES, type ShipFigures } from "./shipping";

export interface NightSummary {
  readonly id: string;
  readonly tarBytes: number;
  readonly archiveBytes: Record<string, number>;
  readonly compressSeconds: Record<string, number>;
  readonly changedFiles: number;
  readonly addedFiles: number;
  readonly deletedFiles: number;
  readonly filesRead: number;
  readonly changedRawBytes: number;
  readonly changedCompressedBytes: Record<string, number>;
  readonly tarOrderStable: boolean | null;
}

export interface BenchDocument {
  readonly version: 1;
  readonly quick: boolean;
  readonly command: string;
  readonly machine: Machine;
  readonly data: {
    readonly seed: number;
    readonly rootfsBytes: number;
    readonly files: number;
    readonly changeShare: number;
    readonly wideShare: number;
    readonly churnShare: number;
    readonly readShare: number;
    readonly nights: NightSummary[];
  };
  readonly shipping: { readonly pullScript: string; readonly cases: ShipFigures[] };
  readonly bandwidth: BandwidthFigures;
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

const byId = (cases: readonly ShipFigures[], id: string) => cases.find((c) => c.id === id);

/** Every value defined and every number finite: a figure that went missing is a failed run. */
export function missingFields(value: unknown, path = "$"): string[] {
  if (value === undefined) return [path];
  if (typeof value === "number") return Number.isFinite(value) ? [] : [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => missingFields(v, `${path}[${i}]`));
  if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => missingFields(v, `${path}.${k}`));
  return [];
}

export function consistencyChecks(doc: Omit<BenchDocument, "checks" | "goals">): Check[] {
  const checks: Check[] = [];
  const add = (check: string, ok: boolean, detail: string) => checks.push({ check, ok, detail });
  const cases = doc.shipping.cases;
  for (const c of cases) {
    add(`${c.id}: the pull succeeded, with the expected basis, a faithful copy and a prune`, c.ok, c.problems.join("; ") || "ok");
    add(`${c.id}: bytes on the wire and on the link, and seconds, are positive`, c.bytesOnWire > 0 && c.linkDownBytes > 0 && c.seconds > 0, `${c.bytesOnWire} B, ${c.linkDownBytes} B down, ${c.seconds} s`);
  }
  const delta = byId(cases, "gzip-delta");
  const plain = byId(cases, "gzip-plain-copy");
  const wide = byId(cases, "gzip-delta-wide");
  add("every shipping case ran", CASES.every((c) => byId(cases, c.id) !== undefined), cases.map((c) => c.id).join(", "));
  if (delta && plain) {
    add("delta below naive: the delta moves less than the plain copy", delta.bytesOnWire < plain.bytesOnWire, `${delta.bytesOnWire} < ${plain.bytesOnWire}`);
    add("the plain copy moves at least the archive", plain.bytesOnWire >= plain.archiveBytes, `${plain.bytesOnWire} >= ${plain.archiveBytes}`);
  }
  if (delta && wide) add("10% changed costs more than 2% changed", wide.bytesOnWire > delta.bytesOnWire, `${wide.bytesOnWire} > ${delta.bytesOnWire}`);
  for (const n of doc.data.nights) {
    for (const [c, bytes] of Object.entries(n.changedCompressedBytes)) {
      const archive = n.archiveBytes[c] ?? 0;
      add(`${n.id}: what changed (${c}) is non-empty and smaller than the archive`, bytes > 0 && bytes < archive, `${bytes} of ${archive}`);
    }
    if (n.tarOrderStable !== null) add(`${n.id}: tar keeps night1's member order`, n.tarOrderStable, String(n.tarOrderStable));
  }
  const sizes = doc.plan.sites;
  add("plan: every run declared resources, more for more containers", doc.plan.committed.resources > 0 && sizes.every((s, i) => s.resources > (i === 0 ? 0 : (sizes[i - 1] as { resources: number }).resources)), sizes.map((s) => `${s.containers}: ${s.resources}`).join(", "));
  add("plan: every time is positive", [doc.plan.committed, ...sizes].every((t) => t.planMsMedian > 0 && t.wallMsMedian >= t.planMsMedian), "");
  add("bandwidth: the budgeted pull succeeded and moved bytes", doc.bandwidth.ok && doc.bandwidth.rsyncBytesPerSecond > 0 && doc.bandwidth.linkBytesPerSecond > 0, doc.bandwidth.errors.join("; ") || "ok");
  const missing = missingFields(doc);
  add("every figure is present and finite", missing.length === 0, missing.join(", "));
  return checks;
}

export function goals(doc: Omit<BenchDocument, "checks" | "goals">): Goal[] {
  const out: Goal[] = [];
  const delta = byId(doc.shipping.cases, "gzip-delta");
  if (delta && delta.changedCompressedBytes) {
    // A failed pull moves nothing: that is not a goal met.
    const judge = (met: boolean) => (delta.ok ? met : null);
    const ratio = delta.wireOverChanged ?? 0;
    out.push({ goal: "2% changed, gzip: wire bytes <= 1.3 x compressed size of what changed", value: ratio, limit: 1.3, met: judge(ratio <= 1.3) });
    out.push({ goal: "2% changed, gzip: wire bytes < 5% of the archive", value: delta.wireOverArchive, limit: 0.05, met: judge(delta.wireOverArchive < 0.05) });
  }
  out.push({ goal: "plan of both stacks < 3 s wall", value: doc.plan.committed.wallMsMedian / 1000, limit: 3, met: doc.plan.committed.wallMsMedian < 3000 });
  const g = doc.plan.growth;
  out.push({
    goal: `plan of the ${g.to}-container site < 4 x the ${g.from}-container one (plan time)`,
    value: g.planRatio,
    limit: 4,
    met: g.from === 10 && g.to === 250 ? g.planRatio < 4 : null,
  });
  return out;
}
