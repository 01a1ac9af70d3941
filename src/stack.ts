/**
 * What `stacks/index.ts` does, as a function: validate everything, then declare
 * the one site of this stack. Kept apart from the entry file so tests can run it
 * with other specs and prove that a broken spec registers nothing.
 */
import { Site } from "./components/Site";
import type { EngineInput } from "./program";
import { resolveStack } from "./program";
import type { SiteSpecInput } from "./spec/schema";

/** The stack's outputs. */
export interface StackOutputs {
  /** Every container of this site: VMID, hostname, addresses. */
  readonly containers: Site["containerSummaries"];
  /** The nightly vzdump job: id, schedule and the VMIDs it covers. */
  readonly nightlyBackup: { jobId: string; schedule: string; vmids: number[] };
}

/** Validates every site and the config (throwing every problem at once), then declares this stack's site. */
export function declareStack(sites: readonly SiteSpecInput[], engine: EngineInput): StackOutputs {
  const resolved = resolveStack(sites, engine);
  const site = new Site(resolved.site.name, { spec: resolved.site, config: resolved.config });
  return {
    containers: site.containerSummaries,
    nightlyBackup: { jobId: site.backup.jobId, schedule: site.backup.schedule, vmids: site.backup.vmids },
  };
}
