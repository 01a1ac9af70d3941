/**
 * The operator's daily glance, decided: for each site, each guest's newest local
 * backup and newest copy at the other site with their ages, the last pulls, the
 * free space of the backup and offsite storages, and every problem that needs a
 * person. Pure: the probes are read over SSH by the CLI and passed in.
 */
import type { PullDirection } from "../offsite/directions";
import { dumpDirOf } from "../offsite/directions";
import type { SiteSpec } from "../site/schema";
import { type Probe, newestByVmid } from "./probe";

/** Free share of a storage under which it is an alarm. */
export const LOW_SPACE_SHARE = 0.1;

export interface GuestGlance {
  readonly vmid: number;
  readonly name: string;
  readonly local: { archive: string; ageHours: number } | null;
  readonly offsite: { holder: string; archive: string; ageHours: number } | null;
}

export interface PullGlance {
  /** The site whose copies this host pulls. */
  readonly source: string;
  readonly ok: boolean | null;
  readonly finishedAt: string | null;
  readonly ageHours: number | null;
  readonly bytesOnWire: number | null;
  readonly errors: readonly string[];
}

export interface StorageGlance {
  readonly name: string;
  readonly path: string;
  readonly availBytes: number | null;
  readonly sizeBytes: number | null;
}

export interface SiteGlance {
  readonly site: string;
  readonly reachable: boolean;
  readonly guests: GuestGlance[];
  readonly pulls: PullGlance[];
  readonly storages: StorageGlance[];
}

export interface Glance {
  readonly sites: SiteGlance[];
  readonly problems: string[];
}

const hours = (seconds: number) => Math.round((seconds / 3600) * 10) / 10;

/**
 * Assesses every site from the probes (`error` for a host that could not be read).
 * @param nowEpoch the time of the glance, epoch seconds.
 */
export function assess(
  sites: readonly SiteSpec[],
  directions: readonly PullDirection[],
  probes: ReadonlyMap<string, Probe | { error: string }>,
  nowEpoch: number,
): Glance {
  const problems: string[] = [];
  const probeOf = (name: string): Probe | undefined => {
    const p = probes.get(name);
    return p !== undefined && !("error" in p) ? p : undefined;
  };
  const glances = sites.map((site): SiteGlance => {
    const probe = probes.get(site.name);
    if (probe === undefined || "error" in probe) problems.push(`${site.name}: unreachable (${probe === undefined ? "not probed" : probe.error})`);
    const here = probeOf(site.name);
    const localNewest = newestByVmid(here?.dump.archives ?? null);
    const holders = directions.filter((d) => d.source === site.name);
    const guests = site.containers.map((c): GuestGlance => {
      const local = localNewest.get(c.vmid);
      const limit = site.offsite.staleAfterHours;
      const localGlance = local ? { archive: local.name, ageHours: hours(nowEpoch - local.epoch) } : null;
      if (here !== undefined && (localGlance === null || localGlance.ageHours > limit)) {
        problems.push(`${site.name}: ${c.name} (${c.vmid}) has ${localGlance ? `no local backup newer than ${localGlance.ageHours} h` : "no local backup"} (limit ${limit} h)`);
      }
      let offsite: GuestGlance["offsite"] = null;
      for (const d of holders) {
        const holderProbe = probeOf(d.holder);
        const copy = newestByVmid(holderProbe?.copies[site.name]?.archives ?? null).get(c.vmid);
        const holderLimit = sites.find((s) => s.name === d.holder)?.offsite.staleAfterHours ?? limit;
        if (copy) offsite = { holder: d.holder, archive: copy.name, ageHours: hours(nowEpoch - copy.epoch) };
        if (holderProbe !== undefined && (copy === undefined || hours(nowEpoch - copy.epoch) > holderLimit)) {
          problems.push(`${site.name}: ${c.name} (${c.vmid}) has ${copy ? `no copy at ${d.holder} newer than ${hours(nowEpoch - copy.epoch)} h` : `no copy at ${d.holder}`} (limit ${holderLimit} h)`);
        }
      }
      return { vmid: c.vmid, name: c.name, local: localGlance, offsite };
    });

    const pulls = directions
      .filter((d) => d.holder === site.name)
      .map((d): PullGlance => {
        const status = here?.pullStatus[d.source] ?? null;
        const age = status ? hours(nowEpoch - Date.parse(status.finishedAt) / 1000) : null;
        if (here !== undefined) {
          if (status === null) problems.push(`${site.name}: its pull of ${d.source} has never left a status`);
          else if (!status.ok) problems.push(`${site.name}: its last pull of ${d.source} failed: ${status.errors.join("; ") || "see its journal"}`);
          else if (age !== null && age > site.offsite.staleAfterHours) problems.push(`${site.name}: its pull of ${d.source} last ran ${age} h ago`);
        }
        return { source: d.source, ok: status?.ok ?? null, finishedAt: status?.finishedAt ?? null, ageHours: age, bytesOnWire: status?.bytesOnWire ?? null, errors: status?.errors ?? [] };
      });

    const storages: StorageGlance[] = [
      { name: site.backup.storage, path: dumpDirOf(site) ?? "", df: here?.dump.df ?? null },
      ...directions.filter((d) => d.holder === site.name).map((d) => ({ name: d.storageId, path: d.copiesDumpDir, df: here?.copies[d.source]?.df ?? null })),
    ].map(({ name, path, df }) => {
      if (here !== undefined) {
        if (df === null) problems.push(`${site.name}: storage ${name} (${path}) is missing (disk not mounted?)`);
        else if (df.sizeBytes > 0 && df.availBytes / df.sizeBytes < LOW_SPACE_SHARE) {
          problems.push(`${site.name}: storage ${name} is running out of space: ${(df.availBytes / 1024 ** 3).toFixed(1)} GiB free of ${(df.sizeBytes / 1024 ** 3).toFixed(1)} GiB`);
        }
      }
      return { name, path, availBytes: df?.availBytes ?? null, sizeBytes: df?.sizeBytes ?? null };
    });
    return { site: site.name, reachable: here !== undefined, guests, pulls, storages };
  });
  return { sites: glances, problems };
}
