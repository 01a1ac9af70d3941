/**
 * What `stacks/index.ts` does, as a function: validate everything (the capacity
 * and night plan included), read what the other sites published, then declare
 * the one site of this stack. Kept apart from the entry file so tests can run it
 * with other specs and prove that a broken spec registers nothing.
 */
import { placeholderWarnings } from "./rules/placeholders";
import * as pulumi from "@pulumi/pulumi";
import type { DatastoreFootprint } from "./backup/capacity";
import { type BackupNight, type SyncNight } from "./backup/night";
import type { LinkBooking } from "./backup/links";
import type { MaintenancePlan } from "./backup/maintenance";
import { backupPlanWarnings, planBackups } from "./backup/plan";
import { Site } from "./components/Site";
import { hostingEntry } from "./firewall/hosted";
import { type MailRouting, mailRoutingOf } from "./firewall/mail-routing";
import { alarmRouteOf } from "./host/alarm-path";
import { type DrillPlan, drillPlanOf, drillWarnings } from "./drill/plan";
import { type WatchPlan, watchPlanOf, watchWarnings } from "./watch/plan";
import { directionsOf } from "./offsite/directions";
import { PAIRING } from "./offsite/pairing";
import { type PeerPublication, type Publication, peerStackName, readPeerPublication } from "./offsite/peer-stack";
import type { EngineInput } from "./program";
import { resolveStack } from "./program";
import type { SiteSpecInput } from "./site/schema";

/** The stack's outputs. */
export interface StackOutputs {
  /** Every container of this site: VMID, hostname, addresses. */
  readonly containers: Site["containerSummaries"];
  /** Guests of another site that run here since a failover (`<site>/<service>`): VMID and address here. */
  readonly hosted: Record<string, { vmid: number; ipv4: string }>;
  /** The nightly vzdump job: id, schedule, the VMIDs it covers and the PBS storage it writes to. */
  readonly nightlyBackup: { jobId: string; schedule: string; vmids: number[]; storage: string };
  /** Read by the peers' stacks: this PBS's certificate fingerprint and this host's site-link key. */
  readonly backupServer: pulumi.Output<Publication>;
  /** Read by each holder's stack: the secret of the read-only token it pulls with. Secret. */
  readonly syncTokens: pulumi.Output<Record<string, string>>;
  /** The capacity and night plan of what this site takes part in. */
  readonly backupPlan: { datastore: DatastoreFootprint; backup: BackupNight; syncs: SyncNight[]; links: LinkBooking[]; maintenance: MaintenancePlan; warnings: string[] };
  /** The restore drills this host runs on the copies it holds. */
  readonly drillPlan: DrillPlan;
  /** The dead-man watch this host keeps over the sites whose copies it holds. */
  readonly watchPlan: WatchPlan;
  /** The smarthost of each service that sends through the relay, and the relay's mynetworks, from the firewall's flows. */
  readonly mailRouting: MailRouting;
}

/**
 * Validates every site, the pairing, the config and the backup plan (throwing
 * every problem at once), reads the peers' publications, then declares this
 * stack's site.
 */
export async function declareStack(sites: readonly SiteSpecInput[], engine: EngineInput): Promise<StackOutputs> {
  const resolved = resolveStack(sites, engine);
  const name = resolved.site.name;
  const plan = planBackups(resolved.sites);
  const directions = directionsOf(PAIRING, resolved.sites);
  const pulls = directions
    .filter((d) => d.holder === name)
    .map((direction) => ({ direction, night: plan.syncs.find((s) => s.source === direction.source && s.holder === name) as SyncNight }));
  const heldBy = directions.filter((d) => d.source === name).map((d) => d.holder);

  // The peers' stacks are read first, so that what depends on them is declared
  // (or skipped, with a warning) in the open, never inside an apply.
  const peerNames = [...new Set([...pulls.map((p) => p.direction.source), ...heldBy])].sort();
  const peers = new Map<string, PeerPublication>();
  for (const peer of peerNames) {
    const stackName = peerStackName(peer);
    const ref = new pulumi.StackReference(`${name}-peer-${peer}`, { name: stackName });
    const publication = await readPeerPublication(ref, peer, stackName, name);
    for (const w of publication.warnings) await pulumi.log.warn(w);
    peers.set(peer, publication);
  }

  const mine = (s: SyncNight) => s.holder === name || s.source === name;
  const drills = drillPlanOf(resolved.site, resolved.sites, PAIRING);
  const watch = watchPlanOf(resolved.site, resolved.sites, PAIRING, drills);
  const warnings = [
    ...placeholderWarnings(resolved.site),
    ...backupPlanWarnings({ ...plan, datastores: plan.datastores.filter((d) => d.site === name), backups: plan.backups.filter((b) => b.site === name), syncs: plan.syncs.filter(mine), memory: plan.memory.filter((m) => m.site === name) }),
    ...drillWarnings(drills),
    ...watchWarnings(watch),
  ];
  for (const w of warnings) await pulumi.log.warn(w);

  const site = new Site(name, { spec: resolved.site, config: resolved.config, sites: resolved.sites, pulls, heldBy, peers, drill: drills, watch, hosted: resolved.hosted });
  return {
    containers: site.containerSummaries,
    hosted: Object.fromEntries(resolved.hosted.map((g) => [hostingEntry(g.site, g.spec.name), { vmid: g.spec.vmid, ipv4: g.ipv4 }])),
    nightlyBackup: { jobId: site.backup.jobId, schedule: site.backup.schedule, vmids: site.backup.vmids, storage: resolved.site.backupServer.storageId },
    backupServer: pulumi.all([site.backupServer.fingerprint, site.link.publicKey]).apply(([fingerprint, linkPublicKey]) => ({ fingerprint, linkPublicKey })),
    syncTokens: site.backupServer.syncSecrets,
    backupPlan: {
      datastore: plan.datastores.find((d) => d.site === name) as DatastoreFootprint,
      backup: plan.backups.find((b) => b.site === name) as BackupNight,
      syncs: plan.syncs.filter(mine),
      links: plan.links.filter((l) => l.site === name),
      maintenance: plan.maintenance.find((m) => m.site === name) as MaintenancePlan,
      warnings,
    },
    drillPlan: drills,
    watchPlan: watch,
    // The alarm path from the whole site: its relay may be away with the services that are.
    mailRouting: mailRoutingOf(resolved.site, alarmRouteOf(resolved.sites.find((s) => s.name === name) ?? resolved.site)),
  };
}
