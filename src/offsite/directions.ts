/**
 * Each direction of the nightly shipping (who pulls whose archives, through which
 * uplink, when, how fast) derived from the pairing table and the site specs, and
 * the estimate of whether a night fits. Pure: the plan, the component and the
 * runbook all read the same numbers.
 */
import { type Problem, problem } from "../problems";
import { dailyMinuteOf, formatMinuteOfDay, parseCalendarEvent } from "../rules/calendar";
import type { SiteSpec } from "../spec/schema";
import { type PairingEntry, validatePairing } from "./pairing";

const GIB = 1024 ** 3;

/** One direction: `holder` pulls the archives of `source` over `source`'s uplink. */
export interface PullDirection {
  readonly holder: string;
  readonly source: string;
  /** Where the holder reaches the source's SSH. */
  readonly sourceHost: string;
  readonly sourcePort: number;
  /** The source's local vzdump directory, the only one its pull key may read. */
  readonly sourceDumpDir: string;
  /** VMIDs the source backs up every night. */
  readonly sourceVmids: number[];
  /** On the holder: the Proxmox storage over the copies, its path and its dump directory. */
  readonly storageId: string;
  readonly storagePath: string;
  readonly copiesDumpDir: string;
  /** Upload the pull may use: the source's uplink times its offsite share. */
  readonly budgetMbps: number;
  /** The same as rsync's `--bwlimit`, KiB/s. */
  readonly bwlimitKiBps: number;
  /** Night window, local time: from the end of the source's backup to the end of its night. */
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly windowHours: number;
}

/** What a night costs in one direction. */
export interface WindowEstimate {
  readonly direction: PullDirection;
  /** What changes in a night, GiB: data sizes times their daily change share. */
  readonly nightlyGiB: number;
  /** What the budget moves in the window, GiB. */
  readonly capacityGiB: number;
  /** Hours the nightly transfer takes at the budget. */
  readonly nightlyHours: number;
  /** The first, full copy (every guest's data), GiB, and hours at the budget. */
  readonly seedGiB: number;
  readonly seedHours: number;
  readonly fits: boolean;
}

/** A dir datastore's dump directory (Proxmox keeps vzdump archives in `<path>/dump`). */
export function dumpDirOf(site: SiteSpec): string | undefined {
  const store = site.datastores.find((d) => d.id === site.backup.storage);
  return store?.path === undefined ? undefined : `${store.path.replace(/\/+$/, "")}/dump`;
}

function minuteOfTime(hhmm: string): number {
  const [h = "0", m = "0"] = hhmm.split(":");
  return Number(h) * 60 + Number(m);
}

/** GiB per hour moved at a rate in Mbit/s. */
function gibPerHour(mbps: number): number {
  return (mbps * 1e6 * 3600) / 8 / GIB;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Validates what the offsite shipping needs of the sites: the pairing itself, a
 * daily backup schedule at each source (the window starts after it), a dump
 * directory on a dir datastore, and a window that is not empty.
 */
export function validateOffsite(table: readonly PairingEntry[], sites: readonly SiteSpec[]): Problem[] {
  const problems = validatePairing(table, sites.map((s) => s.name));
  for (const site of sites) {
    if (!table.some((e) => e.source === site.name)) continue;
    // An unparsable schedule or a storage that takes no backups is reported by the site rules already.
    if (parseCalendarEvent(site.backup.schedule).ok && dailyMinuteOf(site.backup.schedule) === null) {
      problems.push(problem(`sites.${site.name}.backup.schedule`, site.backup.schedule, "a schedule that fires once a day at a fixed time (the other site pulls after it)"));
    }
    const store = site.datastores.find((d) => d.id === site.backup.storage);
    if (store?.content.includes("backup") && store.type !== "dir") {
      problems.push(problem(`sites.${site.name}.backup.storage`, site.backup.storage, "a dir datastore with a path (the other site pulls from its dump directory)"));
    }
  }
  return problems;
}

/** The direction in which `holder` pulls `source`. Assumes {@link validateOffsite} passed. */
export function directionOf(holder: SiteSpec, source: SiteSpec): PullDirection {
  const start = (dailyMinuteOf(source.backup.schedule) ?? 0) + Math.round(source.backup.durationHours * 60);
  const end = minuteOfTime(source.uplink.nightEndsAt);
  const windowMinutes = (((end - start) % 1440) + 1440) % 1440;
  const budgetMbps = round(source.uplink.upMbps * source.uplink.offsiteShare);
  const storagePath = `${holder.offsite.basePath.replace(/\/+$/, "")}/${source.name}`;
  return {
    holder: holder.name,
    source: source.name,
    sourceHost: source.publicSsh.host,
    sourcePort: source.publicSsh.port,
    sourceDumpDir: dumpDirOf(source) ?? "",
    sourceVmids: source.containers.map((c) => c.vmid).sort((a, b) => a - b),
    storageId: `offsite-${source.name}`,
    storagePath,
    copiesDumpDir: `${storagePath}/dump`,
    budgetMbps,
    bwlimitKiBps: Math.floor((budgetMbps * 1e6) / 8 / 1024),
    windowStart: formatMinuteOfDay(start),
    windowEnd: source.uplink.nightEndsAt,
    windowHours: round(windowMinutes / 60),
  };
}

/** Every direction of the table, holder-major, in table order. */
export function directionsOf(table: readonly PairingEntry[], sites: readonly SiteSpec[]): PullDirection[] {
  const byName = new Map(sites.map((s) => [s.name, s]));
  return table.flatMap((e) => {
    const holder = byName.get(e.holder);
    const source = byName.get(e.source);
    return holder && source ? [directionOf(holder, source)] : [];
  });
}

/** Estimates a night in one direction from the source's data sizes and change shares. */
export function estimateWindow(direction: PullDirection, source: SiteSpec): WindowEstimate {
  const rate = gibPerHour(direction.budgetMbps);
  const nightlyGiB = source.containers.reduce((sum, c) => sum + c.dataSizeGiB * c.dailyChangeShare, 0);
  const seedGiB = source.containers.reduce((sum, c) => sum + c.dataSizeGiB, 0);
  const capacityGiB = rate * direction.windowHours;
  return {
    direction,
    nightlyGiB: round(nightlyGiB),
    capacityGiB: round(capacityGiB),
    nightlyHours: round(nightlyGiB / rate),
    seedGiB: round(seedGiB),
    seedHours: round(seedGiB / rate, 1),
    fits: nightlyGiB <= capacityGiB,
  };
}

/** The warning `npm run plan` and `pulumi preview` print when a night will not fit; `undefined` if it fits. */
export function windowWarning(e: WindowEstimate): string | undefined {
  if (e.fits) return undefined;
  const d = e.direction;
  return (
    `offsite ${d.source} -> ${d.holder}: about ${e.nightlyGiB} GiB change a night, which takes ${e.nightlyHours} h at ` +
    `${d.budgetMbps} Mbit/s (${d.source}'s upload budget), but the window ${d.windowStart}-${d.windowEnd} is ${d.windowHours} h ` +
    `(it moves at most ${e.capacityGiB} GiB): copies will lag; widen the window, raise the share, or lower the change`
  );
}
