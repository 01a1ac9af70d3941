/**
 * The capacity and night plan of every site together: each datastore's
 * footprint, each backup's and each pull's night, each line's booking, each
 * PBS's own jobs against the night, PBS's memory; the problems that refuse the
 * plan (a datastore that cannot hold what it must, a night that does not fit
 * its window, a prune, GC or verify inside the night's work, PBS below its
 * minimum memory) and the warnings that
 * do not (a disk above 80 %, PBS below Proxmox's recommendation). Pure; the
 * program runs it with the other validations, before any resource exists.
 */
import { directionsOf } from "../offsite/directions";
import { PAIRING, type PairingEntry } from "../offsite/pairing";
import { type Problem, problem } from "../problems";
import type { SiteSpec } from "../site/schema";
import { BACKUP_ASSUMPTIONS as A } from "./assumptions";
import { type DatastoreFootprint, datastoreFootprints, recommendedPbsMemoryGiB } from "./capacity";
import { reservedPercentOf } from "./disk";
import { type LinkBooking, linkBookings } from "./links";
import { type MaintenancePlan, maintenancePlanOf, maintenanceProblems } from "./maintenance";
import { type BackupNight, type SyncNight, backupNightOf, syncNightOf, windowsMeet } from "./night";

export interface PbsMemory {
  readonly site: string;
  readonly memoryGiB: number;
  readonly recommendedGiB: number;
}

export interface BackupPlan {
  readonly datastores: DatastoreFootprint[];
  readonly backups: BackupNight[];
  readonly syncs: SyncNight[];
  /** Each site's upload and download, booked once by every pull that crosses it. */
  readonly links: LinkBooking[];
  /** Each PBS's prune, GC and verify, placed against the night's work on it. */
  readonly maintenance: MaintenancePlan[];
  readonly memory: PbsMemory[];
}

/** Plans every site with the pairing. Assumes the specs and the pairing were validated. */
export function planBackups(sites: readonly SiteSpec[], pairing: readonly PairingEntry[] = PAIRING): BackupPlan {
  const byName = new Map(sites.map((s) => [s.name, s]));
  const syncs = directionsOf(pairing, sites).map((d) => syncNightOf(d, byName.get(d.source) as SiteSpec));
  const datastores = datastoreFootprints(sites, pairing);
  const backups = sites.map(backupNightOf);
  return {
    datastores,
    backups,
    syncs,
    links: linkBookings(sites, syncs),
    maintenance: sites.map((s) => maintenancePlanOf(s, datastores.find((d) => d.site === s.name) as DatastoreFootprint, backups, syncs)),
    memory: sites.map((s) => ({ site: s.name, memoryGiB: s.backupServer.memoryGiB, recommendedGiB: recommendedPbsMemoryGiB(s) })),
  };
}

const gib = (n: number) => `${n} GiB`;
const mbps = (n: number) => Math.round(n * 100) / 100;

/** What an ext4 datastore keeps for root, offered back: PBS writes as user `backup` and never uses it. */
const fsHint = (site: SiteSpec) => (reservedPercentOf(site.backupServer) > 0 ? ` (or its ${reservedPercentOf(site.backupServer)} % kept for root: \`tune2fs -m 0\`, then backupServer.reservedPercent 0)` : "");

/** `own sthilaire 499.3 GiB + copies of rouans 90.7 GiB + GC grace 13.4 GiB + 10 % kept free 92 GiB` */
function breakdown(d: DatastoreFootprint, site: SiteSpec): string {
  const parts = d.namespaces.map((n) => `${n.role === "own" ? "own" : "copies of"} ${n.namespace} ${gib(n.totalGiB)}`);
  return [...parts, `GC grace ${gib(d.gcGraceGiB)}`, `${site.backupServer.freeSpaceMarginPercent} % kept free ${gib(d.marginGiB)}`].join(" + ");
}

/** What refuses the plan, each with its numbers. */
export function backupPlanProblems(plan: BackupPlan, sites: readonly SiteSpec[]): Problem[] {
  const site = (name: string) => sites.find((s) => s.name === name) as SiteSpec;
  const problems: Problem[] = [];
  for (const d of plan.datastores.filter((x) => !x.fits)) {
    problems.push(
      problem(
        `sites.${d.site}.backupServer.sizeGiB`,
        `${gib(d.totalGiB)} predicted on PBS datastore "${d.datastore}" of ${d.site} (${breakdown(d, site(d.site))})`,
        `at most ${gib(d.usableGiB)}, what ${d.disk} leaves PBS${fsHint(site(d.site))}: a bigger backup disk, a shorter retention, or less data`,
      ),
    );
  }
  // A runway shorter than the site asks: time to buy, carry and seed a disk is months, not a night.
  for (const d of plan.datastores.filter((x) => x.fits && x.runway.to100 !== null && x.runway.to100 < site(x.site).backupServer.minRunwayMonths)) {
    const growth = [d.site, ...d.namespaces.filter((n) => n.role === "copies").map((n) => n.namespace)]
      .flatMap((name) => site(name).containers.filter((c) => c.growthGiBPerMonth > 0).map((c) => `${name}'s ${c.name} +${c.growthGiBPerMonth} GiB/month`))
      .join(", ");
    problems.push(
      problem(
        `sites.${d.site}.backupServer.sizeGiB`,
        `the PBS datastore ${d.datastore} of ${d.site} full in ${d.runway.to100} month(s) (${gib(d.totalGiB)} of ${gib(d.usableGiB)} usable today; growth: ${growth || "none"})`,
        `at least ${site(d.site).backupServer.minRunwayMonths} months before it is (backupServer.minRunwayMonths): a bigger backup disk${fsHint(site(d.site))}, a shorter retention, or less growth`,
      ),
    );
  }
  for (const b of plan.backups.filter((x) => !x.fits)) {
    problems.push(
      b.startsInNight
        ? problem(
            `sites.${b.site}.backup.schedule`,
            `a nightly backup of ${b.hours} h (walk ${b.walkHours} h + ${b.changedGiB} GiB changed) from ${b.start}, ending ${b.end}`,
            `a backup that ends before the night does (${b.nightEndsAt})`,
          )
        : problem(
            `sites.${b.site}.backup.schedule`,
            `a backup starting at ${b.start}, outside ${b.site}'s quiet hours (${b.nightStartsAt}-${b.nightEndsAt})`,
            `a start inside them (uplink.nightStartsAt .. nightEndsAt): by day the backup reads the disks the members use, and its pull takes their upload`,
          ),
    );
  }
  for (const s of plan.syncs.filter((x) => !x.fits)) {
    problems.push(
      problem(
        `offsite ${s.source} -> ${s.holder}`,
        `${s.newChunksGiB} GiB of new chunks a night, ${s.hours} h at rate-in ${mbps(s.payloadMbps)} Mbit/s (${s.budgetMbps} Mbit/s on the line) from ${s.start}`,
        `a pull that ends by ${s.windowEnd}, within ${s.windowHours} h: raise ${s.source}'s uplink.offsiteShare, start its backup earlier, or lower the change`,
      ),
    );
  }
  for (const l of plan.links.filter((x) => !x.fits)) {
    const shared = l.sharedBy.map((p) => `the pull ${p.pull} (${p.lineMbps} Mbit/s on the line, ${p.start}-${p.end})`).join(" and ");
    const offers = l.direction === "upload" ? `its upload of ${site(l.site).uplink.upMbps} Mbit/s x offsiteShare ${site(l.site).uplink.offsiteShare}` : "its download";
    problems.push(
      problem(
        `sites.${l.site}.uplink`,
        `${l.peakMbps} Mbit/s booked on the ${l.direction} of ${l.site} from ${l.peakAt}, by ${shared}: ${Math.round(l.share * 100)} % of it`,
        `at most ${mbps(l.capacityMbps)} Mbit/s (${offers}): each job is held to its own budget, and each pull is placed to end an hour before its source's night does, so pulls that share a line run together: lower their budgets (uplink.offsiteShare) until they fit together, or end one source's night earlier (uplink.nightEndsAt)`,
      ),
    );
  }
  const nightFits = (name: string) => plan.backups.some((b) => b.site === name && b.fits) && plan.syncs.every((x) => x.fits || (x.source !== name && x.holder !== name));
  problems.push(...plan.maintenance.flatMap((m) => maintenanceProblems(m, nightFits(m.site))));
  for (const m of plan.memory.filter((x) => x.memoryGiB < A.pbsMinimumMemoryGiB)) {
    problems.push(problem(`sites.${m.site}.backupServer.memoryGiB`, m.memoryGiB, `at least ${A.pbsMinimumMemoryGiB} GiB, Proxmox's minimum for PBS`));
  }
  return problems;
}

/** What the plan says but does not refuse. */
export function backupPlanWarnings(plan: BackupPlan): string[] {
  const warnings: string[] = [];
  for (const d of plan.datastores.filter((x) => x.fits && x.usedShare > A.warnUsedShare)) {
    warnings.push(`PBS datastore "${d.datastore}" of ${d.site}: ${gib(d.totalGiB)} predicted of ${gib(d.usableGiB)} usable (${Math.round(d.usedShare * 100)} %, above ${A.warnUsedShare * 100} %): plan the next disk`);
  }
  // The nights are counted as if each job had its PBS's disk alone: a backup that
  // meets a pull writing to the same PBS is slower than predicted, and so is the pull.
  for (const b of plan.backups) {
    for (const s of plan.syncs.filter((x) => (x.holder === b.site || x.source === b.site) && windowsMeet(b, x))) {
      warnings.push(`the backup of ${b.site} (${b.start}-${b.end}) meets the pull ${s.source} -> ${s.holder} (${s.start}-${s.end}) on ${b.site}'s PBS: both write to one disk, so both take longer than planned; move sites.${b.site}.backup.schedule clear of it`);
    }
  }
  // PBS runs a sync job to its end: a first copy longer than the night takes the line by day too.
  for (const s of plan.syncs.filter((x) => x.seed.longerThanNight)) {
    warnings.push(
      `the first copy of ${s.source} at ${s.holder} (${s.seed.gib} GiB) is one pull of ${s.seed.hours} h, ${s.seed.days} days on end at rate-in ${mbps(s.payloadMbps)} Mbit/s: ${s.source}'s upload is taken by day too and the nightly pulls wait for it; carry it on a disk instead (docs/backup.md, "The first copy")`,
    );
  }
  // Its first scheduled run would start in the pull's late slot and run on into the day.
  for (const s of plan.syncs.filter((x) => !x.seed.longerThanNight && x.seed.longerThanSlot)) {
    warnings.push(
      `the first copy of ${s.source} at ${s.holder} (${s.seed.gib} GiB) is one pull of ${s.seed.hours} h, longer than its nightly slot (${s.start}-${s.windowEnd}): its first scheduled run would go on into the day; once ${s.source}'s first backup is done, start it by hand at ${s.nightStartsAt}: \`proxmox-backup-manager sync-job run ${s.jobId}\` on ${s.holder}`,
    );
  }
  for (const m of plan.memory.filter((x) => x.memoryGiB >= A.pbsMinimumMemoryGiB && x.memoryGiB < x.recommendedGiB)) {
    warnings.push(`PBS of ${m.site} has ${m.memoryGiB} GiB, below Proxmox's recommended ${m.recommendedGiB} GiB (4 GiB + 1 GiB per TiB of datastore): GC and verify run slower`);
  }
  return warnings;
}
