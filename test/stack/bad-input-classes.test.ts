/**
 * The classes of slips a volunteer makes that the shapes alone let through: each
 * refused in one run, with its path, what was found and what is expected.
 */
import { type BadInputCase, type Mutable, container, testRefusals } from "../helpers/bad-input";
import { PROJECT_ROOT } from "../helpers/stacks";
import { readStackFile } from "../../scripts/lib/stack-file";

const mountPoints = (c: Mutable) => c["mountPoints"] as Mutable[];
const firewall = (c: Mutable) => c["firewall"] as { inbound: Mutable[]; outbound: Mutable[] };
const healthCheck = (c: Mutable) => c["healthCheck"] as Mutable;

const CASES: BadInputCase[] = [
  // Duplicates inside one container's own lists.
  {
    title: "duplicates: a mount point pasted twice (same name, same path)",
    breakSites: (s) => {
      const mail = container(s.sthilaire, "mail");
      mountPoints(mail).push({ ...mountPoints(mail)[0], sizeGiB: 10 });
    },
    expected: [
      'sites.sthilaire.containers[mail].mountPoints[1].name: found "mailboxes", expected a mount point name not already in the list (sites.sthilaire.containers[mail].mountPoints[0].name has it)',
      'sites.sthilaire.containers[mail].mountPoints[1].path: found "/var/qmail/mailnames", expected a mount path not already in the list (sites.sthilaire.containers[mail].mountPoints[0].path has it)',
    ],
  },
  {
    title: "duplicates: two mount points on one path under different names, a path with a trailing slash",
    breakSites: (s) => void mountPoints(container(s.sthilaire, "nextcloud")).push({ name: "more", path: "/srv/nextcloud-data/", datastore: "tank", sizeGiB: 10, backup: true }),
    expected: [
      'sites.sthilaire.containers[nextcloud].mountPoints[more].path: found "/srv/nextcloud-data/", expected a mount path not already in the list (sites.sthilaire.containers[nextcloud].mountPoints[userdata].path has it)',
    ],
  },
  {
    title: "duplicates: a tag twice, a port twice in one rule, an inbound and an outbound rule pasted twice",
    breakSites: (s) => {
      const relay = container(s.sthilaire, "relay");
      relay["tags"] = ["mail", "relay", "mail"];
      const fw = firewall(relay);
      fw.inbound.push({ ...fw.inbound[0], comment: "mail from Plesk again" });
      fw.outbound.push({ proto: "udp", ports: [53, 53], to: "internet", comment: "DNS, once more" });
    },
    expected: [
      'sites.sthilaire.containers[relay].tags[2]: found "mail", expected a tag not already in the list (sites.sthilaire.containers[relay].tags[0] has it)',
      'sites.sthilaire.containers[relay].firewall.inbound[3]: found "mail from Plesk again", expected a rule (protocol, peer and ports) not already in the list (sites.sthilaire.containers[relay].firewall.inbound[0] has it)',
      'sites.sthilaire.containers[relay].firewall.outbound[4].ports[1]: found 53, expected a port not already in the list (sites.sthilaire.containers[relay].firewall.outbound[4].ports[0] has it)',
    ],
  },
  {
    title: "duplicates: an operator's address and an admin network given twice",
    breakSites: (s) => {
      s.rouans.backup.mailTo = ["technique@retzien.fr", "Technique@retzien.fr"];
      s.rouans.firewall = { ...s.rouans.firewall, adminNetworks: ["10.99.0.0/24", "10.99.0.0/24"] };
    },
    expected: [
      'sites.rouans.backup.mailTo[1]: found "Technique@retzien.fr", expected an address not already in the list (sites.rouans.backup.mailTo[0] has it)',
      'sites.rouans.firewall.adminNetworks[1]: found "10.99.0.0/24", expected a network not already in the list (sites.rouans.firewall.adminNetworks[0] has it)',
    ],
  },
  // Sizes beyond the physical disk they live on.
  {
    title: "disks: a PBS datastore larger than its 2 TB disk",
    breakSites: (s) => void (s.rouans.backupServer = { ...s.rouans.backupServer, sizeGiB: 2000 }),
    expected: [
      `sites.rouans.backupServer.sizeGiB: found 2000, expected at most 1862.6 GiB in all, what "2 TB HDD (backups)" holds (vendors' sizes are decimal: 1 TB is 931.3 GiB)`,
    ],
  },
  {
    title: "disks: two datastores that together outgrow the disk they share",
    breakSites: (s) => void (s.sthilaire.datastores = s.sthilaire.datastores.map((d) => (d.id === "local-lvm" ? { ...d, sizeGiB: 280 } : d))),
    expected: [
      `sites.sthilaire.datastores[local-lvm].sizeGiB: found "40 + 280 = 320 GiB on one disk (sites.sthilaire.datastores[local], sites.sthilaire.datastores[local-lvm])", expected at most 298 GiB in all, what "320 GB HDD (system)" holds (vendors' sizes are decimal: 1 TB is 931.3 GiB)`,
    ],
  },
  {
    title: "disks: a container's data larger than its volumes (GiB taken for MiB)",
    breakSites: (s) => void (container(s.sthilaire, "relay")["dataSizeGiB"] = 2048),
    expected: [
      'sites.sthilaire.containers[relay].dataSizeGiB: found 2048, expected at most 8 GiB, what its root disk and mount points hold together (is it in MiB, or is a volume too small?)',
      'sites.rouans.backupServer.sizeGiB: found "8939.8 GiB predicted on PBS datastore \\"backup\\" of rouans (own rouans 130.2 GiB + copies of sthilaire 8520.7 GiB + GC grace 115.2 GiB + 10 % kept free 173.7 GiB)", expected at most 1736.8 GiB, what 2 TB HDD (backups) leaves PBS (or its 5 % kept for root: `tune2fs -m 0`, then backupServer.reservedPercent 0): a bigger backup disk, a shorter retention, or less data',
      'sites.sthilaire.backupServer.sizeGiB: found "8939.8 GiB predicted on PBS datastore \\"backup\\" of sthilaire (own sthilaire 8520.7 GiB + copies of rouans 130.2 GiB + GC grace 115.2 GiB + 10 % kept free 173.7 GiB)", expected at most 1736.8 GiB, what 2 TB HDD (backups) leaves PBS (or its 5 % kept for root: `tune2fs -m 0`, then backupServer.reservedPercent 0): a bigger backup disk, a shorter retention, or less data',
      `offsite sthilaire -> rouans: found "56.4 GiB of new chunks a night, 12.29 h at rate-in 12.16 Mbit/s (13.6 Mbit/s on the line) from 06:45", expected a pull that ends by 07:00, within 0.25 h: raise sthilaire's uplink.offsiteShare, start its backup earlier, or lower the change`,
      'sites.rouans.drill.schedule: found "sat 13:00", expected a time clear of the pull sthilaire -> rouans (06:45-19:03): 1 drill(s) take up to 13:00-14:00',
      'sites.sthilaire.drill.schedule: found "sat 13:00", expected a time clear of the pull sthilaire -> rouans (06:45-19:03): 1 drill(s) take up to 13:00-14:00',
      'sites.sthilaire.offsite.staleAfterHours: found 30, expected at least 41.6: on a good night the newest copy at rouans is up to 41.6 h old (backup 01:30, pull ends 19:03, then a day), so less alarms every day',
    ],
  },
  // Addresses in the range the site keeps free for the other's failover.
  {
    title: "failover range: a container given an address the other site's failover would take",
    breakSites: (s) => void ((container(s.sthilaire, "relay")["network"] as Mutable)["ipv4"] = "192.168.20.150/24"),
    expected: [
      `sites.sthilaire.containers[relay].network.ipv4: found "192.168.20.150/24", expected an address below 192.168.20.100: from there to the end of 192.168.20.0/24, addresses are kept free for the other site's containers during a failover (sites.sthilaire.network.ipv4.failoverFrom)`,
    ],
  },
  {
    title: "failover range: the first free address itself",
    breakSites: (s) => void ((container(s.rouans, "web")["network"] as Mutable)["ipv4"] = "192.168.10.100/24"),
    expected: [
      `sites.rouans.containers[web].network.ipv4: found "192.168.10.100/24", expected an address below 192.168.10.100: from there to the end of 192.168.10.0/24, addresses are kept free for the other site's containers during a failover (sites.rouans.network.ipv4.failoverFrom)`,
    ],
  },
  // Values that already hold a part the program adds.
  {
    title: "added parts: the site link's endpoint with its port, a gateway and failoverFrom with their prefix",
    breakSites: (s) => {
      s.sthilaire.siteLink = { ...s.sthilaire.siteLink, endpoint: "sthilaire.retzien.fr:51820" };
      s.sthilaire.network = { ...s.sthilaire.network, ipv4: { subnet: "192.168.20.0/24", gateway: "192.168.20.1/24", failoverFrom: "192.168.20.100/24" } };
    },
    expected: [
      'sites.sthilaire.network.ipv4.gateway: found "192.168.20.1/24", expected the address alone, such as 192.168.20.1: the prefix /24 is added from 192.168.20.0/24',
      'sites.sthilaire.network.ipv4.failoverFrom: found "192.168.20.100/24", expected the address alone, such as 192.168.20.100: the prefix /24 is added from 192.168.20.0/24',
      'sites.sthilaire.siteLink.endpoint: found "sthilaire.retzien.fr:51820", expected the host name or address alone, such as "sthilaire.retzien.fr": the port is siteLink.port (51820), added to it',
    ],
  },
  {
    title: "added parts: a Gotify URL with /message, a PBS path that ends in .chunks, a dir storage at its template/cache",
    breakSites: (s) => {
      s.rouans.backup = { ...s.rouans.backup, gotify: { server: "https://push.example.org/message" } };
      s.rouans.backupServer = { ...s.rouans.backupServer, path: "/mnt/backup/pbs/.chunks" };
      s.rouans.datastores = s.rouans.datastores.map((d) => (d.id === "local" ? { ...d, path: "/var/lib/vz/template/cache" } : d));
    },
    breakConfig: (c) => void (c["retzien-infra:gotifyToken"] = "AbCdEfGh12345"),
    secretKeys: [...readStackFile(PROJECT_ROOT, "rouans").secretKeys, "retzien-infra:gotifyToken"],
    expected: [
      `sites.rouans.backup.gotify.server: found "https://push.example.org/message", expected the server's URL alone, such as "https://push.example.org": /message is added to it`,
      `sites.rouans.backupServer.path: found "/mnt/backup/pbs/.chunks", expected the datastore's own directory, such as "/mnt/backup/pbs": PBS makes .chunks inside it`,
      `sites.rouans.datastores[local].path: found "/var/lib/vz/template/cache", expected the storage's mount path, such as "/var/lib/vz": Proxmox adds template/cache (and dump, images, private) itself`,
    ],
  },
  {
    title: "added parts: a health check that repeats the drill's pct exec",
    breakSites: (s) => void (healthCheck(container(s.sthilaire, "mail"))["command"] = ["pct", "exec", "210", "--", "plesk", "version"]),
    expected: [
      'sites.sthilaire.containers[mail].healthCheck.command: found ["pct","exec","210","--","plesk","version"], expected the command inside the container alone, such as ["postfix", "status"]: the drill runs it with pct exec <vmid> -- itself',
    ],
  },
  {
    title: "added parts: an SSH address with the user",
    breakConfig: (c) => void (c["retzien-infra:sshAddress"] = "root@192.168.10.2"),
    expected: [
      'config[rouans].sshAddress: found "root@192.168.10.2", expected the host name or address alone, such as "192.168.10.2": the user is sshUser, added to it',
    ],
  },
  {
    title: "added parts: an SSH address with its port",
    breakConfig: (c) => void (c["retzien-infra:sshAddress"] = "192.168.10.2:22"),
    expected: [
      'config[rouans].sshAddress: found "192.168.10.2:22", expected the host name or address alone, such as "192.168.10.2": the port is sshPort',
    ],
  },
  {
    title: "added parts: an API token pasted with the PVEAPIToken= header prefix, never shown",
    apiToken: "PVEAPIToken=pulumi@pve!deploy=01234567-89ab-cdef-0123-456789abcdef",
    expected: [
      'env.PROXMOX_VE_API_TOKEN: found [secret], expected the token without its PVEAPIToken= prefix, such as pulumi@pve!deploy=<uuid>: the provider adds the prefix',
    ],
  },
  // A command given as one string where an argv is expected.
  {
    title: "argv: a health check written as one word with spaces",
    breakSites: (s) => void (healthCheck(container(s.sthilaire, "relay"))["command"] = ["postfix status"]),
    expected: [
      'sites.sthilaire.containers[relay].healthCheck.command[0]: found "postfix status", expected one word per item, such as ["postfix","status"]: the check runs with no shell, so "postfix status" would be one program name with spaces in it',
    ],
  },
  {
    title: "argv: an option and its value in one word",
    breakSites: (s) => void (healthCheck(container(s.sthilaire, "nextcloud"))["command"] = ["sudo", "-u www-data", "php", "/var/www/nextcloud/occ", "status"]),
    expected: [
      'sites.sthilaire.containers[nextcloud].healthCheck.command[1]: found "-u www-data", expected one word per item, such as ["-u","www-data"]: the check runs with no shell, so "-u www-data" would be one option with spaces in it',
    ],
  },
  {
    title: "argv: a health check given as a string, not a list",
    breakSites: (s) => void (healthCheck(container(s.sthilaire, "relay"))["command"] = "postfix status"),
    expected: [
      'sites.sthilaire.containers[relay].healthCheck.command: found "postfix status", expected a list of words, such as ["postfix", "status"]: the check runs with no shell',
    ],
  },
  // Later checks are not hidden behind earlier ones.
  {
    title: "every stage at once: a VMID out of range, a PBS datastore that cannot hold its copies, a drill in the night, a stack-file slip",
    breakSites: (s) => {
      container(s.rouans, "web")["vmid"] = 250;
      s.sthilaire.offsite = { ...s.sthilaire.offsite, retention: { keepDaily: 1000 } };
      s.rouans.drill = { ...s.rouans.drill, schedule: "*-*-* 04:30" };
    },
    breakConfig: (c) => void (c["retzien-infra:sshAddress"] = "192.168.10.2:22"),
    expected: [
      'sites.rouans.containers[web].vmid: found 250, expected a VMID in 100..199 (the range of rouans)',
      'sites.sthilaire.backupServer.sizeGiB: found "2308.9 GiB predicted on PBS datastore \\"backup\\" of sthilaire (own sthilaire 632.2 GiB + copies of rouans 1490.2 GiB + GC grace 12.9 GiB + 10 % kept free 173.7 GiB)", expected at most 1736.8 GiB, what 2 TB HDD (backups) leaves PBS (or its 5 % kept for root: `tune2fs -m 0`, then backupServer.reservedPercent 0): a bigger backup disk, a shorter retention, or less data',
      'sites.rouans.drill.schedule: found "*-*-* 04:30", expected a time clear of the pull sthilaire -> rouans (04:45-05:54): 2 drill(s) take up to 04:30-06:30',
      'sites.rouans.drill.schedule: found "*-*-* 04:30", expected a time clear of the pull rouans -> sthilaire (05:45-05:52): 2 drill(s) take up to 04:30-06:30',
      'config[rouans].sshAddress: found "192.168.10.2:22", expected the host name or address alone, such as "192.168.10.2": the port is sshPort',
    ],
  },
  {
    title: "a shape slip in one site does not hide the other site's own drill and watch problems",
    breakSites: (s) => {
      container(s.sthilaire, "mail")["cores"] = "two";
      s.rouans.drill = { ...s.rouans.drill, scratchVmids: { first: 150, last: 159 } };
      s.rouans.offsite = { ...s.rouans.offsite, watchAt: "mon 09:00,10:00" };
    },
    expected: [
      'sites.sthilaire.containers[mail].cores: found "two", expected a value of type number',
      'sites.rouans.drill.scratchVmids: found {"first":150,"last":159}, expected a range disjoint from sites.rouans.vmidRange 100..199 (a drill must never touch a real guest)',
      'sites.rouans.offsite.watchAt: found "mon 09:00,10:00", expected a time of day such as "09:00" (the watch runs every day)',
    ],
  },
  {
    title: "zod's own words never reach the volunteer: a port range written with a dash",
    breakSites: (s) => void (firewall(container(s.rouans, "web")).inbound[0] = { proto: "tcp", ports: ["80-443"], from: "internet", comment: "web" }),
    expected: [
      'sites.rouans.containers[web].firewall.inbound[0].ports[0]: found "80-443", expected a port number such as 443, or a range such as "6000:6010"',
    ],
  },
  {
    title: "an endpoint that is no URL at all: refused with its rule, never a crash of the check after it",
    breakConfig: (c) => void (c["retzien-infra:endpoint"] = "192.168.10.2:8006"),
    expected: ['config[rouans].endpoint: found "192.168.10.2:8006", expected an https URL of the Proxmox API, such as https://192.168.10.2:8006/'],
  },
  // The failover's budgets and the way back: what the runbook counts on.
  {
    title: "failover: a degraded budget above the full one, PBS below Proxmox's minimum, a most visible service that is not there, a carry disk kept at the site it rescues",
    breakSites: (s) => {
      container(s.sthilaire, "nextcloud")["degradedMemoryMiB"] = 8192;
      container(s.rouans, "web")["failoverMemoryMiB"] = 20000;
      s.sthilaire.backupServer = { ...s.sthilaire.backupServer, degradedMemoryGiB: 1 };
      s.rouans.recovery = { ...s.rouans.recovery, mostVisible: "www", carryDisk: { keptAt: "rouans", description: "the USB disk in the hall" } };
    },
    expected: [
      'sites.rouans.containers[web].failoverMemoryMiB: found 20000, expected at most memoryMiB (16384): a degraded budget is a cut',
      'sites.rouans.recovery.mostVisible: found "www", expected one of the site\'s containers: web',
      'sites.sthilaire.containers[nextcloud].degradedMemoryMiB: found 8192, expected at most memoryMiB (5120): a degraded budget is a cut',
      "sites.sthilaire.backupServer.degradedMemoryGiB: found 1, expected from 2 GiB (Proxmox's minimum for PBS) to memoryGiB (3)",
      'sites.rouans.recovery.carryDisk.keptAt: found "rouans", expected a site that holds rouans\'s copies (sthilaire): the disk is filled there and driven to rouans',
    ],
  },
];

testRefusals(CASES);
