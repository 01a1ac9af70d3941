/**
 * Rouans grown to `n` containers, for the plan-speed figures: the committed
 * site with its host, datastores, VMID range and network scaled so that the
 * generated spec passes every rule (so the plan measures declaring, not
 * refusing). St Hilaire stays as committed but for its drills' minutes per guest:
 * both stacks validate both sites.
 */
import type { SiteSpecInput } from "../../src/site/schema";
import { rouans } from "../../stacks/rouans";
import { sthilaire } from "../../stacks/sthilaire";

type ContainerInput = SiteSpecInput["containers"][number];

const MEMORY_MIB = 512;
const ROOT_GIB = 8;
const DATA_GIB = 10;
/** Backup disk a generated container adds at each site: its data (1 GiB) and its snapshots, with room. */
const BACKUP_GIB_PER_CONTAINER = 4;

/** A backup disk grown for `n` generated containers, named by its size (the disk-size rule reads the disk's text). */
function grownBackupDisk(server: SiteSpecInput["backupServer"], n: number): SiteSpecInput["backupServer"] {
  const sizeGiB = server.sizeGiB + BACKUP_GIB_PER_CONTAINER * n;
  return { ...server, sizeGiB, disk: `${sizeGiB} GiB HDD (backups)` };
}
const WEB_FIREWALL = structuredClone(rouans.containers[0]?.firewall ?? { inbound: [], outbound: [] });

/** The i-th generated container (0-based): a small web site, stateful every other one. */
function container(i: number): ContainerInput {
  const n = String(i + 1).padStart(3, "0");
  // 192.168.10.0 is the committed /24; the /16 gives room for hundreds of containers after it.
  const third = 11 + Math.floor(i / 250);
  const fourth = 2 + (i % 250);
  return {
    name: `ct${n}`,
    kind: "web",
    vmid: 1000 + i,
    hostname: `ct${n}`,
    cores: 1,
    memoryMiB: MEMORY_MIB,
    swapMiB: 256,
    rootDisk: { datastore: "local-lvm", sizeGiB: ROOT_GIB },
    mountPoints: [{ name: "sites", path: "/var/www", datastore: "data", sizeGiB: DATA_GIB, backup: true }],
    network: { ipv4: `192.168.${third}.${fourth}/16`, ipv6: `2001:db8:10::${(0x1000 + i).toString(16)}/64` },
    // The committed web container's openings: each container's firewall is part of what is planned.
    firewall: WEB_FIREWALL,
    healthCheck: { command: ["apache2ctl", "-t"], expect: "Syntax OK" },
    features: { nesting: i % 3 === 0 },
    startup: { order: 1 + (i % 10) },
    tags: ["web", "generated"],
    // Small enough that 250 of them and St Hilaire's copies still fit one PBS datastore.
    dataSizeGiB: 1,
    stateful: i % 2 === 0,
  };
}

/** Both sites, Rouans with `n` generated containers. */
export function sitesWithContainers(n: number): SiteSpecInput[] {
  if (!Number.isInteger(n) || n < 1 || n > 2000) throw new Error(`generated sites: ${n} containers, expected 1..2000`);
  const base = structuredClone(rouans);
  const containers = Array.from({ length: n }, (_, i) => container(i));
  const site: SiteSpecInput = {
    ...base,
    // Room for every container, Proxmox's reserve and PBS's share.
    host: { ...base.host, memoryGiB: Math.ceil((n * MEMORY_MIB) / 1024) + (base.host.reserveGiB ?? 4) + (base.backupServer.memoryGiB ?? 4) },
    vmidRange: { first: 1000, last: 2999 },
    network: {
      ...base.network,
      ipv4: { subnet: "192.168.0.0/16", gateway: "192.168.10.1", failoverFrom: "192.168.200.1" },
    },
    datastores: base.datastores.map((d) =>
      // Each grown store on a disk of its own, as large as it needs (the disk-size rule reads the disk's text).
      d.id === "local-lvm" ? { ...d, sizeGiB: n * ROOT_GIB, disk: `${n * ROOT_GIB} GiB SSD (roots)` } : d.id === "data" ? { ...d, sizeGiB: n * DATA_GIB, disk: `${n * DATA_GIB} GiB SSD (data)` } : d,
    ),
    containers,
    // Both backup disks grow with the site (its copies live at the peer too), so the runway stays what it is today.
    backupServer: grownBackupDisk(base.backupServer, n),
    // The first generated container stands for the committed site's web.
    recovery: { ...base.recovery, mostVisible: containers[0]?.name ?? base.recovery.mostVisible },
  };
  // St Hilaire drills every generated container in one Saturday run: a few minutes each keeps it within the afternoon.
  const peer: SiteSpecInput = {
    ...structuredClone(sthilaire),
    drill: { ...sthilaire.drill, maxMinutesPerGuest: 1 },
    backupServer: grownBackupDisk(sthilaire.backupServer, n),
  };
  return [site, peer];
}
