/**
 * Each direction of the nightly cross-site copy (which holder's PBS pulls which
 * source's namespace, through which link, when, how fast), derived from the
 * pairing table and the site specs. Pure: the plan, the components, the status
 * and the runbook all read the same numbers.
 */
import { PBS_PORT, namespaceOf, remoteOf, syncJobOf } from "../backup/names";
import { type Problem, problem } from "../problems";
import { payloadMbpsOf } from "../backup/wire";
import { dailyMinuteOf, parseCalendarEvent } from "../rules/calendar";
import type { SiteSpec } from "../site/schema";
import { type PairingEntry, validatePairing } from "./pairing";
import { LINK_PREFIX } from "./site-link";

/** One direction: `holder`'s PBS pulls `source`'s namespace over `source`'s upload. */
export interface SyncDirection {
  readonly holder: string;
  readonly source: string;
  /** Where the holder reaches the source's PBS API: its address inside the site link. */
  readonly sourceAddress: string;
  readonly sourcePort: number;
  /** The datastore on each side (both sites name theirs in their spec) and the namespace pulled. */
  readonly sourceDatastore: string;
  readonly holderDatastore: string;
  readonly namespace: string;
  /** On the holder: the remote that names the source, and the sync job. */
  readonly remote: string;
  readonly jobId: string;
  /** VMIDs the source backs up every night. */
  readonly sourceVmids: number[];
  /**
   * Share of the line the pull may take, Mbit/s on the line: the source's upload
   * times its offsite share, or the holder's download if that is slower (the
   * bottleneck of the pair).
   */
  readonly budgetMbps: number;
  /**
   * The rate PBS is held to (`rate-in`), Mbit/s: the budget less what TLS, TCP,
   * the tunnel and each line's framing add (src/backup/wire.ts), so that the
   * pull takes no more than its budget of either line.
   */
  readonly payloadMbps: number;
  /** The same as PBS's `rate-in`, bytes per second. */
  readonly rateInBytesPerSecond: number;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Validates what the cross-site copies need of the sites: the pairing itself, a
 * daily backup schedule at each source (the pull is scheduled after it), and
 * site-link addresses in one network that no two sites share.
 */
export function validateOffsite(table: readonly PairingEntry[], sites: readonly SiteSpec[]): Problem[] {
  return [...validatePairing(table, sites.map((s) => s.name)), ...offsiteSiteProblems(table, sites)];
}

/**
 * What {@link validateOffsite} checks of each site beside the pairing (site link,
 * daily schedule): the program calls it apart, as it judges the pairing on every
 * site's name, a malformed site's too.
 */
export function offsiteSiteProblems(table: readonly PairingEntry[], sites: readonly SiteSpec[]): Problem[] {
  const problems: Problem[] = [];
  const linkOwners = new Map<string, string>();
  // Every tunnel address in one /24 (the link's prefix): each host routes the others through it.
  const network = (address: string) => address.split(".").slice(0, 3).join(".");
  const first = sites[0];
  for (const site of sites) {
    const path = `sites.${site.name}.siteLink.address`;
    if (first !== undefined && network(site.siteLink.address) !== network(first.siteLink.address)) {
      problems.push(problem(path, site.siteLink.address, `an address in ${network(first.siteLink.address)}.0/${LINK_PREFIX}, the site link's network (as ${first.name}'s)`));
    }
    const owner = linkOwners.get(site.siteLink.address);
    if (owner !== undefined) problems.push(problem(path, site.siteLink.address, `an address not already used (${owner} has it)`));
    else linkOwners.set(site.siteLink.address, path);
    if (!table.some((e) => e.source === site.name)) continue;
    // The carry disk is filled where the copies are, then driven here: kept here, it is lost with the site.
    const holders = table.filter((e) => e.source === site.name).map((e) => e.holder);
    if (!holders.includes(site.recovery.carryDisk.keptAt)) {
      problems.push(problem(`sites.${site.name}.recovery.carryDisk.keptAt`, site.recovery.carryDisk.keptAt, `a site that holds ${site.name}'s copies (${holders.join(", ")}): the disk is filled there and driven to ${site.name}`));
    }
    // An unparsable schedule is reported by the site rules already.
    if (parseCalendarEvent(site.backup.schedule).ok && dailyMinuteOf(site.backup.schedule) === null) {
      problems.push(problem(`sites.${site.name}.backup.schedule`, site.backup.schedule, "a schedule that fires once a day at a fixed time (the other site pulls after it)"));
    }
  }
  return problems;
}

/** The direction in which `holder` pulls `source`. Assumes {@link validateOffsite} passed. */
export function directionOf(holder: SiteSpec, source: SiteSpec): SyncDirection {
  const upload = source.uplink.upMbps * source.uplink.offsiteShare;
  const budgetMbps = round(Math.min(upload, holder.uplink.downMbps));
  const payloadMbps = Math.min(payloadMbpsOf(upload, source.uplink.framing), payloadMbpsOf(holder.uplink.downMbps, holder.uplink.framing));
  return {
    holder: holder.name,
    source: source.name,
    sourceAddress: source.siteLink.address,
    sourcePort: PBS_PORT,
    sourceDatastore: source.backupServer.datastore,
    holderDatastore: holder.backupServer.datastore,
    namespace: namespaceOf(source.name),
    remote: remoteOf(source.name),
    jobId: syncJobOf(source.name),
    sourceVmids: source.containers.map((c) => c.vmid).sort((a, b) => a - b),
    budgetMbps,
    payloadMbps,
    rateInBytesPerSecond: Math.floor((payloadMbps * 1e6) / 8),
  };
}

/** Every direction of the table, in table order. */
export function directionsOf(table: readonly PairingEntry[], sites: readonly SiteSpec[]): SyncDirection[] {
  const byName = new Map(sites.map((s) => [s.name, s]));
  return table.flatMap((e) => {
    const holder = byName.get(e.holder);
    const source = byName.get(e.source);
    return holder && source ? [directionOf(holder, source)] : [];
  });
}
