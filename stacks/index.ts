/**
 * The program Pulumi runs (`pulumi up -s rouans`): the site named by the stack,
 * validated with every other site and with the stack's config before any resource
 * is declared.
 */
import { Site } from "../src/components/Site";
import { readEngineInput } from "../src/config/engine-config";
import { resolveStack } from "../src/program";
import { allSites } from "./sites";

const resolved = resolveStack(allSites, readEngineInput());
const site = new Site(resolved.site.name, { spec: resolved.site, config: resolved.config });

/** Every container of this site: VMID, hostname, addresses. */
export const containers = site.containerSummaries;
/** The nightly vzdump job: id, schedule and the VMIDs it covers. */
export const nightlyBackup = { jobId: site.backup.jobId, schedule: site.backup.schedule, vmids: site.backup.vmids };
