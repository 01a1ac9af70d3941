/**
 * Sizes against the physical disks they live on. A datastore's `sizeGiB` is what
 * the planner and the allocation rules trust; a slip there (2000 on a 1 TB disk)
 * would make every check after it agree with a disk that does not exist.
 */
import { type Problem, problem } from "../problems";
import type { ContainerSpec, SiteSpec } from "../site/schema";

const GIB = 2 ** 30;
const UNIT_BYTES: Record<string, number> = { tb: 1e12, gb: 1e9, tib: 2 ** 40, gib: GIB };

/**
 * What a disk as the spec describes it can hold, GiB, or `undefined` when its
 * text names no size this rule can read. Vendors' sizes are decimal (1 TB is
 * 931.3 GiB). `2 x 2 TB ... mirror` holds one disk's worth; `2 x 2 TB` without a
 * mirror (a stripe) holds both; a RAID-Z or RAID 5/6 layout is not guessed at.
 */
export function diskCapacityGiB(description: string): number | undefined {
  const size = /(\d+(?:\.\d+)?)\s*(TB|GB|TiB|GiB)\b/i.exec(description);
  if (size === null) return undefined;
  const one = (Number(size[1]) * (UNIT_BYTES[(size[2] ?? "").toLowerCase()] ?? 0)) / GIB;
  const count = /(\d+)\s*[x×]\s*\d/i.exec(description);
  if (count === null) return one;
  if (/mirror|raid[- ]?1\b/i.test(description)) return one;
  if (/raid[- ]?z|raid[- ]?[56]/i.test(description)) return undefined;
  return one * Number(count[1]);
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * The datastores and the PBS datastore that share one physical disk (the same
 * `disk` text) fit on it together.
 */
function storesOnDisks(site: SiteSpec): Problem[] {
  const onDisk = new Map<string, { path: string; sizeGiB: number }[]>();
  const place = (disk: string, path: string, sizeGiB: number) => onDisk.set(disk, [...(onDisk.get(disk) ?? []), { path, sizeGiB }]);
  for (const d of site.datastores) place(d.disk, `sites.${site.name}.datastores[${d.id}].sizeGiB`, d.sizeGiB);
  place(site.backupServer.disk, `sites.${site.name}.backupServer.sizeGiB`, site.backupServer.sizeGiB);
  const problems: Problem[] = [];
  for (const [disk, stores] of onDisk) {
    const capacity = diskCapacityGiB(disk);
    const total = stores.reduce((sum, s) => sum + s.sizeGiB, 0);
    if (capacity === undefined || total <= capacity) continue;
    const last = stores[stores.length - 1] as { path: string; sizeGiB: number };
    const found = stores.length === 1 ? last.sizeGiB : `${stores.map((s) => s.sizeGiB).join(" + ")} = ${total} GiB on one disk (${stores.map((s) => s.path.replace(/\.sizeGiB$/, "")).join(", ")})`;
    problems.push(problem(last.path, found, `at most ${round1(capacity)} GiB in all, what "${disk}" holds (vendors' sizes are decimal: 1 TB is 931.3 GiB)`));
  }
  return problems;
}

/** What a container's own volumes hold together: its root disk and its mount points. */
export const volumesGiB = (c: ContainerSpec) => c.rootDisk.sizeGiB + c.mountPoints.reduce((sum, m) => sum + m.sizeGiB, 0);

/** A container's data fits in its own volumes: a larger `dataSizeGiB` is a slip the planner would believe. */
function dataInVolumes(site: SiteSpec): Problem[] {
  return site.containers
    .filter((c) => c.dataSizeGiB > volumesGiB(c))
    .map((c) =>
      problem(`sites.${site.name}.containers[${c.name}].dataSizeGiB`, c.dataSizeGiB, `at most ${volumesGiB(c)} GiB, what its root disk and mount points hold together (is it in MiB, or is a volume too small?)`),
    );
}

/** Every size of a site against the disk it lives on. */
export function validateDiskSizes(site: SiteSpec): Problem[] {
  return [...storesOnDisks(site), ...dataInVolumes(site)];
}
