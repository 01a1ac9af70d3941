/**
 * St Hilaire de Chaléons: the Shuttle XH97 that carries all e-mail, the whole
 * Nextcloud "cloud", and the mail relay. Its uplink is VDSL, 17 Mbit/s up: the
 * slow direction of every offsite transfer.
 */
import type { SiteSpecInput } from "../src/site/schema";
import { adminNetworks, debianEssentials, operatorsVpn, outsideHosts } from "./firewall";

export const sthilaire: SiteSpecInput = {
  name: "sthilaire",
  nodeName: "sthilaire",
  location: "St Hilaire de Chaléons",
  role: "all e-mail (Plesk), the Nextcloud cloud, and the mail relay",
  host: {
    model: "Shuttle XH97 barebone",
    cpu: "Intel Core i5",
    cores: 4,
    memoryGiB: 16,
    // ZFS's ARC for the mirrored pool lives in this reserve too.
    reserveGiB: 3,
    disks: ["2 TB HDD (mirror a)", "2 TB HDD (mirror b)", "1 TB HDD (backups)", "320 GB HDD (system)"],
  },
  uplink: { downMbps: 40, upMbps: 17, offsiteShare: 0.8, nightStartsAt: "23:00", nightEndsAt: "07:00" },
  // The peer's PBS reaches this one's API only through this tunnel (docs/backup.md).
  siteLink: { endpoint: "sthilaire.retzien.fr", port: 51820, address: "10.77.0.2" },
  // Filled in by the association: the runbook prints it when this site is lost or takes the other's services.
  recovery: {
    publicIpv4: "198.51.100.20",
    dns: { editedAt: "the registrar's zone editor for retzien.fr and zici.fr (see the password manager)", ttlSeconds: 3600 },
    ispBox: "http://192.168.20.1, password in the association's password manager",
    sparesAt: "St Hilaire: the spare barebone in the association's room, key with the secretary",
    carryDisk: { keptAt: "rouans", description: "the 2 TB USB disk labelled \"retzien carry 2\", kept at Rouans (the first waits at St Hilaire for Rouans)" },
    mostVisible: "mail",
    contacts: ["the other site's volunteer (see the members' list)", "the ISP's support line (contract in the association's files)"],
  },
  // Default-deny on the host and in every container (docs/access.md).
  // The host's own LAN address (its stack file's sshAddress): the management set's local_network.
  firewall: { adminNetworks, localNetwork: "192.168.20.2/32", operatorsVpn, hosts: outsideHosts },
  vmidRange: { first: 200, last: 299 },
  network: {
    bridge: "vmbr0",
    // .100 and up stay free: a failover of Rouans' containers lands there.
    ipv4: { subnet: "192.168.20.0/24", gateway: "192.168.20.1", failoverFrom: "192.168.20.100" },
    ipv6: { subnet: "2001:db8:20::/64", gateway: "2001:db8:20::1" },
  },
  datastores: [
    { id: "local", type: "dir", path: "/var/lib/vz", sizeGiB: 40, disk: "320 GB HDD (system)", content: ["vztmpl", "iso", "snippets"] },
    { id: "local-lvm", type: "lvmthin", sizeGiB: 220, disk: "320 GB HDD (system)", content: ["rootdir", "images"] },
    { id: "tank", type: "zfspool", sizeGiB: 1800, disk: "2 x 2 TB HDD, ZFS mirror", content: ["rootdir", "images"] },
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
    schedule: "*-*-* 01:30",
    mode: "snapshot",
    retention: { keepDaily: 7, keepWeekly: 4, keepMonthly: 3 },
    mailTo: ["technique@retzien.fr"],
    // The host's alarms leave as the guests' mail does: through the relay, on the LAN.
    alarmPath: { via: "relay", container: "relay" },
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
    // Below Proxmox's recommended 4.9 GiB (the plan warns): the box takes no more than
    // 16 GB, and PBS on a 1 TB ext4 datastore runs in 3 GiB, GC and verify more slowly.
    memoryGiB: 3,
    // While Rouans is failed over here: no pull of Rouans, no drill, only this host's own nights.
    degradedMemoryGiB: 2,
  },
  // Drills of Rouans' copies, Saturday afternoon: far from both nights.
  drill: { scratchVmids: { first: 910, last: 919 }, datastore: "tank", schedule: "sat 13:00", maxMinutesPerGuest: 60 },
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
  placeholders: ["nodeName", "siteLink.endpoint", "recovery.publicIpv4", "network.ipv4", "network.ipv6", "datastores", "backupServer.path", "firewall.adminNetworks", "firewall.localNetwork", "firewall.operatorsVpn", "firewall.hosts", "config.endpoint", "config.sshAddress"],
  containers: [
    {
      name: "relay",
      kind: "relay",
      vmid: 230,
      hostname: "relay",
      description: "Postfix relay between the mail server and the dedicated outbound server (SPF, DKIM, rDNS)",
      cores: 1,
      memoryMiB: 1024,
      swapMiB: 512,
      rootDisk: { datastore: "local-lvm", sizeGiB: 8 },
      network: { ipv4: "192.168.20.12/24", ipv6: "2001:db8:20::12/64" },
      healthCheck: { command: ["postfix", "status"], expect: "is running" },
      firewall: {
        inbound: [
          { proto: "tcp", ports: [25], from: { service: "mail" }, comment: "mail from Plesk, on its way out" },
          { proto: "tcp", ports: [25], from: { service: "nextcloud" }, comment: "Nextcloud's notifications" },
          { proto: "tcp", ports: [25], from: "site-host", comment: "the host's alarms (backup.alarmPath)" },
        ],
        outbound: [
          ...debianEssentials,
          { proto: "tcp", ports: [25, 587], to: { host: "outbound-server" }, comment: "to the outbound server (SPF, DKIM, rDNS)" },
        ],
      },
      unprivileged: true,
      features: { nesting: false },
      // First up, last down: mail is queued, never bounced, while the others restart.
      startup: { order: 1, upDelaySec: 10, downDelaySec: 60 },
      tags: ["mail", "relay"],
      dataSizeGiB: 2,
      // The queue turns over every day; Postfix's files compress well.
      dailyChangePercent: 5,
      compressionRatio: 0.5,
      // Every queued message is new, and gone within the day.
      newDataShare: 1,
      stateful: false,
    },
    {
      name: "mail",
      kind: "plesk-mail",
      vmid: 210,
      hostname: "mail",
      description: "Plesk on Debian: mailboxes of both associations",
      cores: 2,
      memoryMiB: 4096,
      swapMiB: 1024,
      rootDisk: { datastore: "local-lvm", sizeGiB: 32 },
      mountPoints: [{ name: "mailboxes", path: "/var/qmail/mailnames", datastore: "tank", sizeGiB: 300, backup: true }],
      network: { ipv4: "192.168.20.10/24", ipv6: "2001:db8:20::10/64" },
      healthCheck: { command: ["plesk", "version"], expect: "Plesk" },
      firewall: {
        inbound: [
          { proto: "tcp", ports: [25], from: "internet", comment: "incoming mail (the MX)" },
          { proto: "tcp", ports: [465, 587], from: "internet", comment: "members' mail clients: submission" },
          { proto: "tcp", ports: [143, 993], from: "internet", comment: "members' mail clients: IMAP (STARTTLS), IMAPS" },
          { proto: "tcp", ports: [110, 995], from: "internet", comment: "members' mail clients: POP3 (STARTTLS), POP3S" },
          { proto: "tcp", ports: [80, 443], from: "internet", comment: "webmail (80: redirects and ACME)" },
          { proto: "tcp", ports: [8443], from: "admin", comment: "the Plesk panel" },
        ],
        outbound: [
          ...debianEssentials,
          { proto: "tcp", ports: [25], to: { service: "relay" }, comment: "every outgoing mail goes through the relay" },
          { proto: "tcp", ports: [2703, 7], to: "internet", comment: "SpamAssassin: Razor" },
          { proto: "udp", ports: [24441], to: "internet", comment: "SpamAssassin: Pyzor" },
          { proto: "udp", ports: [6277], to: "internet", comment: "SpamAssassin: DCC" },
        ],
      },
      unprivileged: true,
      // Plesk's services use systemd sandboxing, which needs nesting in an unprivileged container.
      features: { nesting: true },
      startup: { order: 2, upDelaySec: 30, downDelaySec: 120 },
      tags: ["mail", "stateful"],
      dataSizeGiB: 150,
      // New mail and moved messages (Maildir: one file per message); text compresses well.
      dailyChangePercent: 2,
      compressionRatio: 0.6,
      // The association's estimate (an example): mailboxes grow 3 GiB a month; a third of a night's
      // change is new mail, most of it read and deleted within the retention.
      growthGiBPerMonth: 3,
      newDataShare: 0.3,
      stateful: true,
    },
    {
      name: "nextcloud",
      kind: "nextcloud",
      vmid: 220,
      hostname: "nextcloud",
      description: "Nextcloud on Debian: the members' files, calendars and contacts",
      cores: 2,
      // 5 GiB, not 6: the host's 16 GiB (its maximum) now also carries PBS (backupServer.memoryGiB).
      memoryMiB: 5120,
      // While Rouans' web runs here too: fewer PHP workers, previews generated more slowly.
      degradedMemoryMiB: 3584,
      swapMiB: 1024,
      rootDisk: { datastore: "local-lvm", sizeGiB: 32 },
      // The members' files live on their own volume, and are in the nightly backup.
      mountPoints: [{ name: "userdata", path: "/srv/nextcloud-data", datastore: "tank", sizeGiB: 1000, backup: true }],
      network: { ipv4: "192.168.20.11/24", ipv6: "2001:db8:20::11/64" },
      healthCheck: { command: ["sudo", "-u", "www-data", "php", "/var/www/nextcloud/occ", "status"], expect: "installed: true" },
      firewall: {
        inbound: [{ proto: "tcp", ports: [80, 443], from: "internet", comment: "Nextcloud (80: redirects and ACME)" }],
        outbound: [
          ...debianEssentials,
          { proto: "tcp", ports: [25], to: { service: "relay" }, comment: "notifications by mail, through the relay" },
        ],
      },
      unprivileged: true,
      features: { nesting: true },
      startup: { order: 3, upDelaySec: 30, downDelaySec: 120 },
      tags: ["cloud", "stateful"],
      dataSizeGiB: 400,
      // Members' files are mostly written once (photos, documents): little changes
      // in a night, and what is stored is already compressed.
      dailyChangePercent: 1,
      compressionRatio: 0.85,
      // The association's estimate (an example): members add about 6 GiB of files a month; a tenth of a
      // night's change is new files, half of them replaced or deleted later (previews, versions).
      growthGiBPerMonth: 6,
      newDataShare: 0.1,
      stateful: true,
    },
  ],
};
