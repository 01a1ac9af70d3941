/**
 * Rules that compare fields of a site, or sites with each other. Each is a pure
 * function over validated specs returning every problem it finds, so tests can
 * assert exact messages and the program can report everything at once.
 */
import { BACKUP_ASSUMPTIONS } from "../backup/assumptions";
import { type Problem, problem } from "../problems";
import type { ContainerSpec, SiteSpec } from "../site/schema";
import { parseCalendarEvent } from "./calendar";
import { validateAddedParts } from "./added-parts";
import { validateDiskSizes } from "./disk-rules";
import { validateFirewalls } from "./firewall-rules";
import { mountPathKey, validateHealthChecks, validateLists } from "./list-rules";
import { validatePlaceholders } from "./placeholders";
import { hostAddress } from "../firewall/compile";
import { canonicalAddress, inSubnet, ipv4ToNumber, parseCidr } from "./net";

const containerPath = (site: SiteSpec, c: ContainerSpec) => `sites.${site.name}.containers[${c.name}]`;

/** Site names, container names within a site, VMIDs and hostnames across all sites are unique. */
export function validateUniqueness(sites: readonly SiteSpec[]): Problem[] {
  const problems: Problem[] = [];
  /** Records the first owner of each value; reports every later one. */
  const claim = (owners: Map<string | number, string>, value: string | number, path: string, what: string) => {
    const first = owners.get(value);
    if (first === undefined) owners.set(value, path);
    else problems.push(problem(path, value, `a ${what} not already used (${first} has it)`));
  };
  const siteNames = new Map<string | number, string>();
  const vmids = new Map<string | number, string>();
  const hostnames = new Map<string | number, string>();
  for (const site of sites) {
    claim(siteNames, site.name, `sites.${site.name}.name`, "site name");
    const names = new Map<string | number, string>();
    for (const c of site.containers) {
      const path = containerPath(site, c);
      claim(names, c.name, `${path}.name`, "container name");
      claim(vmids, c.vmid, `${path}.vmid`, "VMID");
      claim(hostnames, c.hostname, `${path}.hostname`, "hostname");
    }
  }
  return problems;
}

/** Each VMID lies in its site's range; the ranges of different sites never overlap. */
export function validateVmidRanges(sites: readonly SiteSpec[]): Problem[] {
  const problems: Problem[] = [];
  for (const [i, site] of sites.entries()) {
    const { first, last } = site.vmidRange;
    if (first > last) problems.push(problem(`sites.${site.name}.vmidRange`, site.vmidRange, "first <= last"));
    for (const other of sites.slice(i + 1)) {
      const o = other.vmidRange;
      if (first <= o.last && o.first <= last) {
        problems.push(
          problem(`sites.${other.name}.vmidRange`, o, `a range disjoint from sites.${site.name}.vmidRange ${first}..${last}`),
        );
      }
    }
    for (const c of site.containers) {
      if (c.vmid < first || c.vmid > last) {
        problems.push(problem(`${containerPath(site, c)}.vmid`, c.vmid, `a VMID in ${first}..${last} (the range of ${site.name})`));
      }
    }
  }
  return problems;
}

/** Subnets parse, gateways and container addresses lie inside them, addresses are unique. */
export function validateNetwork(site: SiteSpec): Problem[] {
  const problems: Problem[] = [];
  const base = `sites.${site.name}.network`;
  const families = [
    { key: "ipv4" as const, spec: site.network.ipv4 },
    { key: "ipv6" as const, spec: site.network.ipv6 },
  ];
  const used = new Map<string, string>();
  for (const { key, spec } of families) {
    if (spec === undefined) {
      for (const c of site.containers) {
        if (c.network[key] !== undefined) {
          problems.push(problem(`${containerPath(site, c)}.network.${key}`, c.network[key], `no ${key} address (the site has no ${key} subnet)`));
        }
      }
      continue;
    }
    const subnet = parseCidr(spec.subnet);
    if (subnet === undefined || subnet.family !== key) {
      problems.push(problem(`${base}.${key}.subnet`, spec.subnet, `an ${key} subnet such as ${key === "ipv4" ? "192.168.10.0/24" : "2001:db8:10::/64"}`));
      continue;
    }
    const failoverFrom = "failoverFrom" in spec ? spec.failoverFrom : undefined;
    const bareAddresses = [
      { field: "gateway", value: spec.gateway },
      ...(failoverFrom === undefined ? [] : [{ field: "failoverFrom", value: failoverFrom }]),
    ];
    for (const { field, value } of bareAddresses) {
      if (parseCidr(value) !== undefined) {
        // The program adds the subnet's prefix itself (the containers' gw=, the failover's ip=): given twice, the host gets "/24/24".
        problems.push(problem(`${base}.${key}.${field}`, value, `the address alone, such as ${hostAddress(value)}: the prefix /${subnet.prefix} is added from ${spec.subnet}`));
      } else if (!inSubnet(value, subnet)) {
        problems.push(problem(`${base}.${key}.${field}`, value, `an address inside ${spec.subnet}`));
      }
    }
    // From failoverFrom to the end of the subnet, the addresses wait for the other site's containers.
    const keptFree = failoverFrom !== undefined && key === "ipv4" && inSubnet(failoverFrom, subnet) ? ipv4ToNumber(failoverFrom) : undefined;
    for (const c of site.containers) {
      const value = c.network[key];
      const path = `${containerPath(site, c)}.network.${key}`;
      if (value === undefined) continue;
      const cidr = parseCidr(value);
      if (cidr === undefined || cidr.family !== key) {
        problems.push(problem(path, value, `an ${key} address with prefix, such as ${key === "ipv4" ? "192.168.10.10/24" : "2001:db8:10::10/64"}`));
        continue;
      }
      if (!inSubnet(cidr.address, subnet) || cidr.prefix !== subnet.prefix) {
        problems.push(problem(path, value, `an address inside ${spec.subnet} with prefix /${subnet.prefix}`));
        continue;
      }
      if (keptFree !== undefined && ipv4ToNumber(cidr.address) >= keptFree) {
        problems.push(problem(path, value, `an address below ${failoverFrom}: from there to the end of ${spec.subnet}, addresses are kept free for the other site's containers during a failover (${base}.ipv4.failoverFrom)`));
        continue;
      }
      if (canonicalAddress(cidr.address) === canonicalAddress(spec.gateway)) {
        problems.push(problem(path, value, `an address other than the gateway ${spec.gateway}`));
        continue;
      }
      const canonical = canonicalAddress(cidr.address);
      const owner = used.get(canonical);
      if (owner !== undefined) problems.push(problem(path, value, `an address not already used (${owner} has it)`));
      else used.set(canonical, path);
    }
  }
  return problems;
}

/** Memory the host has for containers: its RAM minus Proxmox's reserve and what its PBS takes. */
export function containerMemoryBudgetMiB(site: SiteSpec): number {
  return (site.host.memoryGiB - site.host.reserveGiB - site.backupServer.memoryGiB) * 1024;
}

/** Containers' memory fits in the host's memory minus what Proxmox and its PBS keep for themselves. */
export function validateMemory(site: SiteSpec): Problem[] {
  const totalMiB = site.containers.reduce((sum, c) => sum + c.memoryMiB, 0);
  const budgetMiB = containerMemoryBudgetMiB(site);
  if (totalMiB <= budgetMiB) return [];
  return [
    problem(
      `sites.${site.name}.containers`,
      `${totalMiB} MiB of container memory`,
      `at most ${budgetMiB} MiB (${site.host.memoryGiB} GiB of RAM minus a ${site.host.reserveGiB} GiB host reserve and ${site.backupServer.memoryGiB} GiB for PBS)`,
    ),
  ];
}

/**
 * A degraded or failover budget is a cut, never a raise, and PBS keeps
 * Proxmox's minimum: the failover's capacity check counts on them.
 */
export function validateDegradedMemory(site: SiteSpec): Problem[] {
  const problems: Problem[] = [];
  for (const c of site.containers) {
    for (const key of ["degradedMemoryMiB", "failoverMemoryMiB"] as const) {
      const value = c[key];
      if (value !== undefined && value > c.memoryMiB) problems.push(problem(`${containerPath(site, c)}.${key}`, value, `at most memoryMiB (${c.memoryMiB}): a degraded budget is a cut`));
    }
  }
  const pbs = site.backupServer;
  if (pbs.degradedMemoryGiB !== undefined && (pbs.degradedMemoryGiB > pbs.memoryGiB || pbs.degradedMemoryGiB < BACKUP_ASSUMPTIONS.pbsMinimumMemoryGiB)) {
    problems.push(problem(`sites.${site.name}.backupServer.degradedMemoryGiB`, pbs.degradedMemoryGiB, `from ${BACKUP_ASSUMPTIONS.pbsMinimumMemoryGiB} GiB (Proxmox's minimum for PBS) to memoryGiB (${pbs.memoryGiB})`));
  }
  return problems;
}

/** A container has no more cores than its host: Proxmox would refuse to start it. */
export function validateCores(site: SiteSpec): Problem[] {
  return site.containers
    .filter((c) => c.cores > site.host.cores)
    .map((c) => problem(`${containerPath(site, c)}.cores`, c.cores, `at most ${site.host.cores} (the host's cores)`));
}

/** Paths the container's own system lives in: a volume mounted there would hide or replace it. */
export const SYSTEM_PATHS = ["/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/run", "/sbin", "/sys", "/tmp", "/usr", "/var"] as const;

/** Mount points hold the service's data, never a path the system owns (or lives under, for the kernel's). */
export function validateMountPaths(site: SiteSpec): Problem[] {
  const problems: Problem[] = [];
  for (const c of site.containers) {
    for (const m of c.mountPoints) {
      const path = mountPathKey(m.path);
      const kernel = ["/proc", "/sys", "/dev"].some((k) => path === k || path.startsWith(`${k}/`));
      if ((SYSTEM_PATHS as readonly string[]).includes(path) || kernel) {
        problems.push(problem(`${containerPath(site, c)}.mountPoints[${m.name}].path`, m.path, `a directory of the service's data, such as /srv/${c.name}, not one the system owns (${SYSTEM_PATHS.join(", ")})`));
      }
    }
  }
  return problems;
}

/** Every volume sits on a datastore that exists, takes container volumes, and has room for all of them. */
export function validateDisks(site: SiteSpec): Problem[] {
  const problems: Problem[] = [];
  const stores = new Map(site.datastores.map((d) => [d.id, d]));
  const allocated = new Map<string, number>();
  const ids = site.datastores.map((d) => d.id).join(", ");
  const place = (path: string, datastore: string, sizeGiB: number) => {
    const store = stores.get(datastore);
    if (store === undefined) {
      problems.push(problem(path, datastore, `one of this site's datastores (${ids})`));
    } else if (!store.content.includes("rootdir")) {
      problems.push(problem(path, datastore, `a datastore with content "rootdir" (${datastore} holds ${store.content.join(", ")})`));
    } else {
      allocated.set(datastore, (allocated.get(datastore) ?? 0) + sizeGiB);
    }
  };
  for (const c of site.containers) {
    place(`${containerPath(site, c)}.rootDisk.datastore`, c.rootDisk.datastore, c.rootDisk.sizeGiB);
    for (const m of c.mountPoints) place(`${containerPath(site, c)}.mountPoints[${m.name}].datastore`, m.datastore, m.sizeGiB);
  }
  for (const [id, used] of allocated) {
    const store = stores.get(id);
    if (store !== undefined && used > store.sizeGiB) {
      problems.push(problem(`sites.${site.name}.datastores[${id}]`, `${used} GiB allocated to containers`, `at most its size, ${store.sizeGiB} GiB`));
    }
  }
  const seen = new Set<string>();
  for (const d of site.datastores) {
    if (seen.has(d.id)) problems.push(problem(`sites.${site.name}.datastores[${d.id}].id`, d.id, "a datastore id not already used"));
    seen.add(d.id);
    if (d.type === "dir" && d.path === undefined) {
      problems.push(problem(`sites.${site.name}.datastores[${d.id}].path`, undefined, "the mount path of a dir datastore"));
    }
  }
  return problems;
}

/** Hex digits of each checksum algorithm the template may name. */
const CHECKSUM_HEX_DIGITS = { sha256: 64, sha512: 128 } as const;

/**
 * The template lands on a datastore that takes templates, its checksum has the
 * length of its algorithm, and it is stored under the name the URL serves, so
 * the checksum from Proxmox's list is the one for that file.
 */
export function validateTemplate(site: SiteSpec): Problem[] {
  const problems: Problem[] = [];
  const base = `sites.${site.name}.template`;
  const store = site.datastores.find((d) => d.id === site.template.datastore);
  if (!store?.content.includes("vztmpl")) {
    problems.push(problem(`${base}.datastore`, site.template.datastore, 'a datastore of this site with content "vztmpl"'));
  }
  const { algorithm, value } = site.template.checksum;
  if (value.length !== CHECKSUM_HEX_DIGITS[algorithm]) {
    problems.push(problem(`${base}.checksum.value`, `${value.length} hex digits`, `${CHECKSUM_HEX_DIGITS[algorithm]} hex digits, the length of a ${algorithm}`));
  }
  const served = decodeURIComponent(new URL(site.template.url).pathname.split("/").pop() ?? "");
  if (served !== site.template.fileName) {
    problems.push(problem(`${base}.fileName`, site.template.fileName, `the name the URL serves, "${served}" (the checksum is the one of that file)`));
  }
  return problems;
}

/**
 * The nightly job and the PBS jobs are schedulable, and no data is left out of
 * the backup unless the spec says why (invariant 1).
 */
export function validateBackup(site: SiteSpec): Problem[] {
  const problems: Problem[] = [];
  const base = `sites.${site.name}.backup`;
  const schedule = parseCalendarEvent(site.backup.schedule);
  if (!schedule.ok) {
    problems.push(problem(`${base}.schedule`, site.backup.schedule, `a calendar event such as "*-*-* 01:00" (${schedule.reason})`));
  }
  const pbs = `sites.${site.name}.backupServer`;
  const pbsSchedules: [string, string][] = [
    [`${pbs}.pruneSchedule`, site.backupServer.pruneSchedule],
    [`${pbs}.gcSchedule`, site.backupServer.gcSchedule],
    [`${pbs}.verify.schedule`, site.backupServer.verify.schedule],
  ];
  for (const [path, value] of pbsSchedules) {
    const parsed = parseCalendarEvent(value);
    if (!parsed.ok) problems.push(problem(path, value, `a calendar event such as "*-*-* 08:00" (${parsed.reason})`));
  }
  // xfs has no blocks for root: a share given would shrink the plan's disk for nothing.
  if (site.backupServer.filesystem === "xfs" && (site.backupServer.reservedPercent ?? 0) > 0) {
    problems.push(problem(`${pbs}.reservedPercent`, site.backupServer.reservedPercent, "0 or nothing: xfs keeps no blocks for root (only ext4's mke2fs does)"));
  }
  if (site.datastores.some((d) => d.id === site.backupServer.storageId)) {
    problems.push(problem(`${pbs}.storageId`, site.backupServer.storageId, "a storage id no datastore of this site uses"));
  }
  for (const c of site.containers) {
    for (const m of c.mountPoints) {
      const path = `${containerPath(site, c)}.mountPoints[${m.name}]`;
      if (!m.backup && m.noBackupReason === undefined) {
        problems.push(problem(`${path}.backup`, false, "true (a data volume is in the nightly backup), or a noBackupReason saying why not"));
      }
      if (m.backup && m.noBackupReason !== undefined) {
        problems.push(problem(`${path}.noBackupReason`, m.noBackupReason, "no reason when backup is true"));
      }
    }
  }
  return problems;
}

/** Every cross-field and cross-site rule, every problem at once. */
export function validateSites(sites: readonly SiteSpec[]): Problem[] {
  return [
    ...validateUniqueness(sites),
    ...validateVmidRanges(sites),
    ...sites.flatMap((site) => [
      ...validateNetwork(site),
      ...validateMemory(site),
      ...validateDegradedMemory(site),
      ...(site.containers.some((c) => c.name === site.recovery.mostVisible)
        ? []
        : [problem(`sites.${site.name}.recovery.mostVisible`, site.recovery.mostVisible, `one of the site's containers: ${site.containers.map((c) => c.name).join(", ")}`)]),
      ...validateCores(site),
      ...validateDisks(site),
      ...validateMountPaths(site),
      ...validateTemplate(site),
      ...validateBackup(site),
      ...validateLists(site),
      ...validateHealthChecks(site),
      ...validateDiskSizes(site),
      ...validateAddedParts(site),
      ...validatePlaceholders(site),
    ]),
    ...validateFirewalls(sites),
  ];
}
