/**
 * What each site's PBS datastore will hold once the retentions have filled:
 * for its own namespace and for each source whose copies it holds, the first
 * full snapshot of every guest plus the new chunks of every distinct snapshot
 * the namespace's retention keeps; then the chunks pruned but not yet collected
 * (GC grace) and the share of the disk always kept free. Pure.
 */
import { PAIRING, type PairingEntry, sourcesHeldBy } from "../offsite/pairing";
import type { SiteSpec } from "../site/schema";
import { namespaceOf } from "./names";
import { BACKUP_ASSUMPTIONS as A } from "./assumptions";
import { fullGiBOf, newChunksGiBOf } from "./night";
import { distinctSnapshotsKept } from "./retention-model";

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** One namespace of a datastore. */
export interface NamespaceFootprint {
  readonly namespace: string;
  /** `own` for the site's own guests, `copies` for a source's copies. */
  readonly role: "own" | "copies";
  /** Distinct snapshots per guest the namespace's retention keeps. */
  readonly snapshotsKept: number;
  readonly fullGiB: number;
  readonly nightlyGiB: number;
  /** fullGiB + nightlyGiB × snapshotsKept. */
  readonly totalGiB: number;
}

export interface DatastoreFootprint {
  readonly site: string;
  readonly datastore: string;
  readonly disk: string;
  readonly sizeGiB: number;
  readonly namespaces: NamespaceFootprint[];
  /** Pruned chunks GC has not removed yet. */
  readonly gcGraceGiB: number;
  /** Kept free: PBS needs room to run GC and to take a night it did not expect. */
  readonly marginGiB: number;
  readonly totalGiB: number;
  /** totalGiB / sizeGiB. */
  readonly usedShare: number;
  readonly fits: boolean;
}

function namespaceFootprint(holder: SiteSpec, source: SiteSpec): NamespaceFootprint {
  const own = holder.name === source.name;
  const snapshotsKept = distinctSnapshotsKept(own ? holder.backup.retention : holder.offsite.retention);
  const fullGiB = source.containers.reduce((s, c) => s + fullGiBOf(c), 0);
  const nightlyGiB = source.containers.reduce((s, c) => s + newChunksGiBOf(c), 0);
  return {
    namespace: namespaceOf(source.name),
    role: own ? "own" : "copies",
    snapshotsKept,
    fullGiB: round(fullGiB),
    nightlyGiB: round(nightlyGiB, 2),
    totalGiB: round(fullGiB + nightlyGiB * snapshotsKept),
  };
}

/**
 * The footprint of `site`'s datastore: its own namespace and one per source it
 * holds (`sources`, from the pairing).
 */
export function datastoreFootprint(site: SiteSpec, sources: readonly SiteSpec[]): DatastoreFootprint {
  const namespaces = [namespaceFootprint(site, site), ...sources.map((s) => namespaceFootprint(site, s))];
  const nightly = namespaces.reduce((s, n) => s + n.nightlyGiB, 0);
  const gcGraceGiB = round(nightly * A.gcGraceDays);
  const marginGiB = round((site.backupServer.sizeGiB * site.backupServer.freeSpaceMarginPercent) / 100);
  const totalGiB = round(namespaces.reduce((s, n) => s + n.totalGiB, 0) + gcGraceGiB + marginGiB);
  return {
    site: site.name,
    datastore: site.backupServer.datastore,
    disk: site.backupServer.disk,
    sizeGiB: site.backupServer.sizeGiB,
    namespaces,
    gcGraceGiB,
    marginGiB,
    totalGiB,
    usedShare: round(totalGiB / site.backupServer.sizeGiB, 3),
    fits: totalGiB <= site.backupServer.sizeGiB,
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
