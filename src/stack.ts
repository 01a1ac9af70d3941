/**
 * What `stacks/index.ts` does, as a function: validate everything, read what the
 * other sites published, then declare the one site of this stack. Kept apart from
 * the entry file so tests can run it with other specs and prove that a broken
 * spec registers nothing.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Site } from "./components/Site";
import { directionsOf, estimateWindow, windowWarning } from "./offsite/directions";
import { PAIRING } from "./offsite/pairing";
import { type PeerPublication, peerStackName, readPeerPublication } from "./offsite/peer-stack";
import type { EngineInput } from "./program";
import { resolveStack } from "./program";
import type { SiteSpecInput } from "./spec/schema";

/** The stack's outputs. */
export interface StackOutputs {
  /** Every container of this site: VMID, hostname, addresses. */
  readonly containers: Site["containerSummaries"];
  /** The nightly vzdump job: id, schedule and the VMIDs it covers. */
  readonly nightlyBackup: { jobId: string; schedule: string; vmids: number[] };
  /** This host's pull key and SSH host key, read by the other sites' stacks. */
  readonly offsitePull: pulumi.Output<{ publicKey: string; hostKey: string }>;
  /** Each direction this site takes part in, with its budget and window. */
  readonly offsiteDirections: { source: string; holder: string; budgetMbps: number; window: string; nightlyGiB: number; fits: boolean }[];
}

const HOST_DIR = join(__dirname, "..", "scripts", "host");

/** The files the pull installs, as shipped in scripts/host/. */
function readHostFiles(): { script: string; service: string; timer: string } {
  return {
    script: readFileSync(join(HOST_DIR, "offsite-pull.sh"), "utf8"),
    service: readFileSync(join(HOST_DIR, "retzien-offsite-pull.service"), "utf8"),
    timer: readFileSync(join(HOST_DIR, "retzien-offsite-pull.timer"), "utf8"),
  };
}

/**
 * Validates every site, the pairing and the config (throwing every problem at
 * once), reads the peers' publications, then declares this stack's site.
 */
export async function declareStack(sites: readonly SiteSpecInput[], engine: EngineInput): Promise<StackOutputs> {
  const resolved = resolveStack(sites, engine);
  const name = resolved.site.name;
  const directions = directionsOf(PAIRING, resolved.sites);
  const pulls = directions.filter((d) => d.holder === name);
  const pulledBy = directions.filter((d) => d.source === name);
  const hostFiles = readHostFiles();

  // The peers' stacks are read first, so that what depends on them is declared
  // (or skipped, with a warning) in the open, never inside an apply.
  const peerNames = [...new Set([...pulls.map((d) => d.source), ...pulledBy.map((d) => d.holder)])].sort();
  const peers = new Map<string, PeerPublication>();
  for (const peer of peerNames) {
    const stackName = peerStackName(peer);
    const ref = new pulumi.StackReference(`${name}-peer-${peer}`, { name: stackName });
    const publication = await readPeerPublication(ref, peer, stackName);
    for (const w of publication.warnings) await pulumi.log.warn(w);
    peers.set(peer, publication);
  }

  const estimates = directions
    .filter((d) => d.holder === name || d.source === name)
    .map((d) => estimateWindow(d, resolved.sites.find((s) => s.name === d.source)!));
  for (const e of estimates.filter((e) => e.direction.holder === name)) {
    const warning = windowWarning(e);
    if (warning !== undefined) await pulumi.log.warn(warning);
  }

  const site = new Site(name, { spec: resolved.site, config: resolved.config, offsite: { pulls, pulledBy, peers, hostFiles } });
  return {
    containers: site.containerSummaries,
    nightlyBackup: { jobId: site.backup.jobId, schedule: site.backup.schedule, vmids: site.backup.vmids },
    offsitePull: site.offsite.publication,
    offsiteDirections: estimates.map((e) => ({
      source: e.direction.source,
      holder: e.direction.holder,
      budgetMbps: e.direction.budgetMbps,
      window: `${e.direction.windowStart}-${e.direction.windowEnd}`,
      nightlyGiB: e.nightlyGiB,
      fits: e.fits,
    })),
  };
}
