/**
 * Which copy of each guest the runbook restores: the newest snapshot of the
 * lost site's namespace on the survivor's PBS (from its status probe), checked.
 * A guest with no copy, a copy older than the survivor's `staleAfterHours`
 * (unless the volunteer accepts the loss with --allow-stale), or only copies
 * dated after the survivor's clock (forged, or a wrong clock: never restored)
 * is refused with its numbers.
 */
import { namespaceOf } from "../backup/names";
import { type Problem, problem } from "../problems";
import { FUTURE_TOLERANCE_SECONDS } from "../status/assess";
import type { PbsReport, PbsSnapshot } from "../status/pbs-report";

export interface HeldCopy {
  readonly snapshot: PbsSnapshot;
  readonly ageHours: number;
}

/** The copies to restore, one per VMID, or every reason not to. */
export function copiesToRestore(
  report: PbsReport,
  options: { site: string; vmids: readonly number[]; maxAgeHours: number; source: string; allowStale: boolean },
): { ok: true; copies: Map<number, HeldCopy> } | { ok: false; problems: Problem[] } {
  const problems: Problem[] = [];
  const copies = new Map<number, HeldCopy>();
  const all = report.namespaces[namespaceOf(options.site)];
  if (all === undefined) {
    return { ok: false, problems: [problem(`${options.source}: namespace ${options.site}`, "no answer", `the survivor's PBS listing of the copies of ${options.site}`)] };
  }
  for (const vmid of options.vmids) {
    const path = `${options.source}: ${options.site}/ct/${vmid}`;
    const mine = all.filter((s) => Number(s.id) === vmid);
    const sane = mine.filter((s) => s.time <= report.now + FUTURE_TOLERANCE_SECONDS);
    const newest = [...sane].sort((a, b) => b.time - a.time)[0];
    if (newest === undefined) {
      problems.push(problem(path, mine.length > 0 ? "only snapshots dated after the survivor's clock" : "no copy", "a copy of every guest to restore"));
      continue;
    }
    const ageHours = Math.round(((report.now - newest.time) / 3600) * 10) / 10;
    if (ageHours > options.maxAgeHours && !options.allowStale) {
      problems.push(problem(path, `a copy ${ageHours} h old`, `one within ${options.maxAgeHours} h (or --allow-stale, knowing ${ageHours} h of data would be lost)`));
    }
    copies.set(vmid, { snapshot: newest, ageHours });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, copies };
}
