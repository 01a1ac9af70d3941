/**
 * Rouans: the Asrock DeskMini that serves every website of both associations.
 * Numbers from the association's own description of the box (docs: DOMAIN).
 */
import type { SiteSpecInput } from "../src/site/schema";
import { adminNetworks, debianEssentials, operatorsVpn, outsideHosts } from "./firewall";

export const rouans: SiteSpecInput = {
  name: "rouans",
  nodeName: "rouans",
  location: "Rouans",
  role: "all websites of Retzien Libre and Zici.fr (~250 sites)",
  host: {
    model: "Asrock DeskMini barebone",
    cpu: "Intel Core i3",
    cores: 4,
    memoryGiB: 32,
    reserveGiB: 4,
    disks: ["500 GB SSD (system)", "500 GB SSD (data)", "1 TB HDD (backups)"],
  },
  // The other site may use 80% of the upload between the end of the nightly backup and 07:00.
  // Fibre: PPPoE assumed, the costlier of the ISPs' two framings (ask the ISP: IPoE saves 8 bytes a packet).
  uplink: { downMbps: 90, upMbps: 50, offsiteShare: 0.8, framing: "pppoe", nightStartsAt: "23:00", nightEndsAt: "07:00" },
  // The peer's PBS reaches this one's API only through this tunnel (docs/backup.md).
  siteLink: { endpoint: "rouans.retzien.fr", port: 51820, address: "10.77.0.1" },
  // Filled in by the association: the runbook prints it when this site is lost or takes the other's services.
  recovery: {
    publicIpv4: "198.51.100.10",
    dns: { editedAt: "the registrar's zone editor for retzien.fr and zici.fr (see the password manager)", ttlSeconds: 3600 },
    ispBox: "http://192.168.10.1, password in the association's password manager",
    sparesAt: "Rouans: the spare mini-PC in the cupboard of the hall, key with the hall's caretaker",
    carryDisk: { keptAt: "sthilaire", description: "the 2 TB USB disk labelled \"retzien carry\", kept at St Hilaire" },
    mostVisible: "web",
    contacts: ["the other site's volunteer (see the members' list)", "the ISP's support line (contract in the association's files)"],
  },
  // Default-deny on the host and in every container (docs/access.md).
  // The host's own LAN address (its stack file's sshAddress): the management set's local_network.
  firewall: { adminNetworks, localNetwork: "192.168.10.2/32", operatorsVpn, hosts: outsideHosts },
  // 100..199 here, 200..299 at St Hilaire: an archive of either site restores on either host.
  vmidRange: { first: 100, last: 199 },
  network: {
    bridge: "vmbr0",
    // .100 and up stay free: a failover of St Hilaire's containers lands there.
    ipv4: { subnet: "192.168.10.0/24", gateway: "192.168.10.1", failoverFrom: "192.168.10.100" },
    ipv6: { subnet: "2001:db8:10::/64", gateway: "2001:db8:10::1" },
  },
  datastores: [
    { id: "local", type: "dir", path: "/var/lib/vz", sizeGiB: 60, disk: "500 GB SSD (system)", content: ["vztmpl", "iso", "snippets"] },
    { id: "local-lvm", type: "lvmthin", sizeGiB: 380, disk: "500 GB SSD (system)", content: ["rootdir", "images"] },
    { id: "data", type: "lvmthin", sizeGiB: 460, disk: "500 GB SSD (data)", content: ["rootdir", "images"] },
  ],
  template: {
    datastore: "local",
    url: "https://download.proxmox.com/images/system/debian-12-standard_12.12-1_amd64.tar.zst",
    fileName: "debian-12-standard_12.12-1_amd64.tar.zst",
    // From Proxmox's signed template list (aplinfo.dat, the entry debian-12-standard 12.12-1),
    // the one `pveam` checks against; replace both lines together when moving to a newer template.
    checksum: {
      algorithm: "sha512",
      value:
        "50c85eaaece677a3ebe01cc909b83872e9da2a22c29ae652838afce71e83222fdf40f6accecd7d52b180e912fc1f85ecdf7b3fc4d3027da4d865e509a9e76597",
    },
  },
  backup: {
    schedule: "*-*-* 01:00",
    mode: "snapshot",
    retention: { keepDaily: 7, keepWeekly: 4, keepMonthly: 3 },
    mailTo: ["technique@retzien.fr"],
    // No relay here: the host submits its alarms to the outbound server with an account of its own
    // (its password: the stack's secret alarmPassword).
    alarmPath: { via: "submission", host: "outbound-server", serverName: "smtp.retzien.example", port: 587, username: "alarms-rouans" },
  },
  // PBS beside Proxmox VE on the backup disk: this site's snapshots and the other
  // site's copies in one deduplicating datastore (docs/backup.md).
  backupServer: {
    datastore: "backup",
    path: "/mnt/backup/pbs",
    // 2 TB, not the box's 1 TB: with ext4's share, metadata mode's padding and the
    // growth estimates below, the 1 TB disk (920 GiB) is full within 4 months (the
    // plan refuses it); a 2 TB HDD replaces it (the 1 TB becomes the carry disk).
    sizeGiB: 1860,
    disk: "2 TB HDD (backups)",
    // Proxmox's recommendation for a 1860 GiB datastore (4 GiB + 1 GiB per TiB); the 32 GB box has room.
    memoryGiB: 6,
  },
  // Drills of St Hilaire's copies, Saturday afternoon: far from both nights.
  drill: { scratchVmids: { first: 900, last: 909 }, datastore: "data", schedule: "sat 13:00", maxMinutesPerGuest: 60 },
  // The other site's copies, pulled every night by this host's PBS, kept by this host's own retention.
  offsite: {
    retention: { keepDaily: 7, keepWeekly: 4, keepMonthly: 3 },
    // A good night leaves this site's newest copy at most ~26 h old at its holder: 30 lets
    // the holder's 09:00 watch alarm on the first missed backup, the same morning.
    staleAfterHours: 30,
    watchAt: "09:00",
  },
  // This repository's examples (documentation addresses, the association's names and disks): the plan
  // warns until each is replaced with the site's own and removed from here (README, "Deploy for real").
  placeholders: ["nodeName", "siteLink.endpoint", "recovery.publicIpv4", "network.ipv4", "network.ipv6", "datastores", "backupServer.path", "firewall.adminNetworks", "firewall.localNetwork", "firewall.operatorsVpn", "firewall.hosts", "backup.alarmPath", "config.endpoint", "config.sshAddress", "config.alarmPassword"],
  containers: [
    {
      name: "web",
      kind: "web",
      vmid: 110,
      hostname: "web",
      description: "Apache + PHP-FPM, one pool per site, for ~250 websites",
      cores: 4,
      memoryMiB: 16384,
      // Degraded but up on St Hilaire during a failover: PHP-FPM pools on demand, busy sites slower.
      failoverMemoryMiB: 2048,
      swapMiB: 2048,
      rootDisk: { datastore: "local-lvm", sizeGiB: 32 },
      mountPoints: [{ name: "sites", path: "/var/www", datastore: "data", sizeGiB: 300, backup: true }],
      network: { ipv4: "192.168.10.10/24", ipv6: "2001:db8:10::10/64" },
      // Apache parses its whole configuration: every site's vhost, no network needed.
      healthCheck: { command: ["apache2ctl", "-t"], expect: "Syntax OK" },
      firewall: {
        inbound: [{ proto: "tcp", ports: [80, 443], from: "internet", comment: "the websites (80: redirects and ACME)" }],
        outbound: [
          ...debianEssentials,
          { proto: "tcp", ports: [587], to: { host: "outbound-server" }, comment: "the sites' mail, submitted to the outbound server" },
        ],
      },
      unprivileged: true,
      // PHP-FPM and Debian 12's systemd units sandbox themselves with namespaces.
      features: { nesting: true },
      startup: { order: 1, upDelaySec: 0, downDelaySec: 60 },
      tags: ["web", "stateful"],
      dataSizeGiB: 120,
      // Uploads, logs and the nightly database dumps of ~250 sites; PHP, HTML and SQL compress well.
      dailyChangePercent: 2,
      compressionRatio: 0.6,
      // The association's estimate (an example): new sites and their uploads; a fifth of a night's
      // change is new files (uploads, rotated logs), the rest the same dumps written again.
      growthGiBPerMonth: 1.5,
      newDataShare: 0.2,
      stateful: true,
    },
  ],
};
