/**
 * What each site's PBS datastore will hold once the retentions have filled:
 * for its own namespace and for each source whose copies it holds, the first
 * full snapshot of every guest (with the padding `metadata` mode may reuse)
 * plus the new chunks of every distinct snapshot the namespace's retention
 * keeps; then the chunks pruned but not yet collected (GC grace) and the share
 * kept free; against what the disk's filesystem leaves PBS. Pure.
 */
import { PAIRING, type PairingEntry, sourcesHeldBy } from "../offsite/pairing";
import type { SiteSpec } from "../site/schema";
import { namespaceOf } from "./names";
import { BACKUP_ASSUMPTIONS as A } from "./assumptions";
import { filesystemMetadataGiB, reservedPercentOf, usableGiBOf } from "./disk";
import { retentionShape } from "./retention-model";

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** One namespace of a datastore. */
export interface NamespaceFootprint {
  readonly namespace: string;
  /** `own` for the site's own guests, `copies` for a source's copies. */
  readonly role: "own" | "copies";
  /** Distinct snapshots per guest the namespace's retention keeps. */
  readonly snapshotsKept: number;
  /** Nights between the newest snapshot and the oldest the retention keeps. */
  readonly spanNights: number;
  readonly fullGiB: number;
  /** What the full snapshots may hold beyond their data: chunks reused with the bytes of files gone since (at most {@link PADDING_SHARE} of it). */
  readonly paddingGiB: number;
  /** Chunks a night adds that later ones do not share: the rewritten blocks and the new data deleted again. */
  readonly nightlyGiB: number;
  /** Of them, the blocks written again: each kept snapshot holds one version. */
  readonly rewrittenGiB: number;
  /** The new data a night adds beyond the net growth, deleted again: held for the retention's span. */
  readonly newDataGiB: number;
  /** fullGiB + paddingGiB + rewrittenGiB × snapshotsKept + newDataGiB × spanNights. */
  readonly totalGiB: number;
}

export interface DatastoreFootprint {
  readonly site: string;
  readonly datastore: string;
  readonly disk: string;
  readonly sizeGiB: number;
  /** What PBS can fill of it: its filesystem's metadata and root's share taken off (src/backup/disk.ts). */
  readonly usableGiB: number;
  readonly filesystem: { readonly type: SiteSpec["backupServer"]["filesystem"]; readonly metadataGiB: number; readonly reservedPercent: number; readonly reservedGiB: number };
  readonly namespaces: NamespaceFootprint[];
  /** Pruned chunks GC has not removed yet. */
  readonly gcGraceGiB: number;
  /** Kept free: PBS needs room to run GC and to take a night it did not expect. */
  readonly marginGiB: number;
  readonly totalGiB: number;
  /** The predicted total over usableGiB, unrounded. */
  readonly usedShare: number;
  readonly fits: boolean;
  /**
   * Months until the containers' growth takes it past 80 % and past 100 % of
   * its usable size (0: already), null beyond the horizon ({@link RUNWAY_HORIZON_MONTHS}).
   */
  readonly runway: { readonly to80: number | null; readonly to100: number | null };
}

/** The most a `metadata` snapshot holds beyond its data, as a share of it: padding ≤ t × (data + padding). */
export const PADDING_SHARE = A.chunkPaddingThreshold / (1 - A.chunkPaddingThreshold);
/** Days in a month, on average: growth is given a month, held data a night. */
const MONTH_DAYS = 365.25 / 12;
/** How far the runway looks: ten years. */
export const RUNWAY_HORIZON_MONTHS = 120;

/** A namespace's numbers, unrounded, `months` of growth from now. */
function namespaceAt(holder: SiteSpec, source: SiteSpec, months: number) {
  const own = holder.name === source.name;
  const shape = retentionShape(own ? holder.backup.retention : holder.offsite.retention);
  const sum = (f: (c: SiteSpec["containers"][number]) => number) => source.containers.reduce((s, c) => s + f(c), 0);
  const dataAt = (c: SiteSpec["containers"][number]) => c.dataSizeGiB + c.growthGiBPerMonth * months;
  const nightly = (c: SiteSpec["containers"][number]) => ((dataAt(c) * c.dailyChangePercent) / 100) * c.compressionRatio;
  const fullGiB = sum((c) => dataAt(c) * c.compressionRatio);
  const rewrittenGiB = sum((c) => nightly(c) * (1 - c.newDataShare));
  // New data beyond the net growth is deleted again, and held by the snapshots that saw it.
  const newDataGiB = sum((c) => Math.max(0, nightly(c) * c.newDataShare - (c.growthGiBPerMonth / MONTH_DAYS) * c.compressionRatio));
  // Every guest is backed up with change detection `metadata` (src/components/NightlyBackup.ts).
  const paddingGiB = fullGiB * PADDING_SHARE;
  return { namespace: namespaceOf(source.name), own, shape, fullGiB, paddingGiB, rewrittenGiB, newDataGiB, totalGiB: fullGiB + paddingGiB + rewrittenGiB * shape.kept + newDataGiB * shape.spanNights };
}

/** A namespace's numbers as the plan shows them. */
function namespaceFootprint(n: ReturnType<typeof namespaceAt>): NamespaceFootprint {
  return {
    namespace: n.namespace,
    role: n.own ? "own" : "copies",
    snapshotsKept: n.shape.kept,
    spanNights: n.shape.spanNights,
    fullGiB: round(n.fullGiB),
    paddingGiB: round(n.paddingGiB),
    nightlyGiB: round(n.rewrittenGiB + n.newDataGiB, 2),
    rewrittenGiB: round(n.rewrittenGiB, 2),
    newDataGiB: round(n.newDataGiB, 2),
    totalGiB: round(n.totalGiB),
  };
}

/**
 * The datastore, unrounded, `months` of growth from now: its own namespace and
 * one per source it holds, GC grace, the share kept free, and their total.
 */
function datastoreAt(site: SiteSpec, sources: readonly SiteSpec[], months: number) {
  const namespaces = [site, ...sources].map((source) => namespaceAt(site, source, months));
  const gcGraceGiB = namespaces.reduce((s, n) => s + n.rewrittenGiB + n.newDataGiB, 0) * A.gcGraceDays;
  const marginGiB = (usableGiBOf(site.backupServer) * site.backupServer.freeSpaceMarginPercent) / 100;
  return { namespaces, gcGraceGiB, marginGiB, totalGiB: namespaces.reduce((s, n) => s + n.totalGiB, 0) + gcGraceGiB + marginGiB };
}

/** The first months whose total passes 80 % and 100 % of the usable size, each null within the horizon: one walk of the months. */
function runwayOf(site: SiteSpec, sources: readonly SiteSpec[]): DatastoreFootprint["runway"] {
  const size = usableGiBOf(site.backupServer);
  let to80: number | null = null;
  for (let m = 0; m <= RUNWAY_HORIZON_MONTHS; m += 1) {
    const total = datastoreAt(site, sources, m).totalGiB;
    if (to80 === null && total > size * A.warnUsedShare) to80 = m;
    if (total > size) return { to80, to100: m };
  }
  return { to80, to100: null };
}

/**
 * The footprint of `site`'s datastore: its own namespace and one per source it
 * holds (`sources`, from the pairing), and its runway at the containers' growth.
 */
export function datastoreFootprint(site: SiteSpec, sources: readonly SiteSpec[]): DatastoreFootprint {
  const now = datastoreAt(site, sources, 0);
  const usable = usableGiBOf(site.backupServer);
  return {
    site: site.name,
    datastore: site.backupServer.datastore,
    disk: site.backupServer.disk,
    sizeGiB: site.backupServer.sizeGiB,
    usableGiB: round(usable),
    filesystem: {
      type: site.backupServer.filesystem,
      metadataGiB: round(filesystemMetadataGiB(site.backupServer.filesystem, site.backupServer.sizeGiB)),
      reservedPercent: reservedPercentOf(site.backupServer),
      reservedGiB: round((site.backupServer.sizeGiB * reservedPercentOf(site.backupServer)) / 100),
    },
    namespaces: now.namespaces.map(namespaceFootprint),
    gcGraceGiB: round(now.gcGraceGiB),
    marginGiB: round(now.marginGiB),
    totalGiB: round(now.totalGiB),
    // Unrounded, as every comparison with it: 80.04 % is above 80 %.
    usedShare: now.totalGiB / usable,
    // Compared unrounded: 858.54 GiB where 858.5 are usable does not fit.
    fits: now.totalGiB <= usable,
    runway: runwayOf(site, sources),
  };
}

/** Memory Proxmox recommends for a PBS with this datastore: 4 GiB + 1 GiB per TiB. */
export function recommendedPbsMemoryGiB(site: SiteSpec): number {
  return round(A.pbsBaseMemoryGiB + (A.pbsMemoryGiBPerTiB * site.backupServer.sizeGiB) / 1024);
}

/** Every site's datastore footprint, the sources each holds taken from the pairing. */
export function datastoreFootprints(sites: readonly SiteSpec[], pairing: readonly PairingEntry[] = PAIRING): DatastoreFootprint[] {
  return sites.map((site) => {
    const held = sourcesHeldBy(pairing, site.name).flatMap((name) => sites.filter((s) => s.name === name));
    return datastoreFootprint(site, held);
  });
}
