/**
 * Broken specs and configs: each stops the program before its first resource,
 * with every problem in the exact `path: found X, expected Y` form.
 */
import { type BadInputCase, type Mutable, container, testRefusals } from "../helpers/bad-input";

const CASES: BadInputCase[] = [
  {
    title: "a VMID used by both sites",
    breakSites: (s) => void (container(s.rouans, "web")["vmid"] = 210),
    expected: [
      'sites.sthilaire.containers[mail].vmid: found 210, expected a VMID not already used (sites.rouans.containers[web].vmid has it)',
      "sites.rouans.containers[web].vmid: found 210, expected a VMID in 100..199 (the range of rouans)",
    ],
  },
  {
    title: "a hostname used by both sites",
    breakSites: (s) => void (container(s.sthilaire, "relay")["hostname"] = "web"),
    expected: ['sites.sthilaire.containers[relay].hostname: found "web", expected a hostname not already used (sites.rouans.containers[web].hostname has it)'],
  },
  {
    title: "overlapping VMID ranges",
    breakSites: (s) => void (s.sthilaire.vmidRange = { first: 150, last: 299 }),
    expected: ['sites.sthilaire.vmidRange: found {"first":150,"last":299}, expected a range disjoint from sites.rouans.vmidRange 100..199'],
  },
  {
    title: "an address outside the bridge subnet",
    breakSites: (s) => void ((container(s.rouans, "web")["network"] as Mutable)["ipv4"] = "192.168.20.10/24"),
    expected: ['sites.rouans.containers[web].network.ipv4: found "192.168.20.10/24", expected an address inside 192.168.10.0/24 with prefix /24'],
  },
  {
    title: "two containers with one address",
    breakSites: (s) => void ((container(s.sthilaire, "relay")["network"] as Mutable)["ipv4"] = "192.168.20.10/24"),
    expected: ['sites.sthilaire.containers[mail].network.ipv4: found "192.168.20.10/24", expected an address not already used (sites.sthilaire.containers[relay].network.ipv4 has it)'],
  },
  {
    title: "a gateway outside its subnet",
    breakSites: (s) => void (s.sthilaire.network.ipv6 = { subnet: "2001:db8:20::/64", gateway: "2001:db8:99::1" }),
    expected: ['sites.sthilaire.network.ipv6.gateway: found "2001:db8:99::1", expected an address inside 2001:db8:20::/64'],
  },
  {
    title: "more container memory than the host has",
    breakSites: (s) => void (container(s.sthilaire, "nextcloud")["memoryMiB"] = 12288),
    expected: ['sites.sthilaire.containers: found "17408 MiB of container memory", expected at most 10240 MiB (16 GiB of RAM minus a 3 GiB host reserve and 3 GiB for PBS)'],
  },
  {
    title: "volumes larger than their datastore",
    breakSites: (s) => void (((container(s.sthilaire, "nextcloud")["mountPoints"] as Mutable[])[0] as Mutable)["sizeGiB"] = 1600),
    expected: ['sites.sthilaire.datastores[tank]: found "1900 GiB allocated to containers", expected at most its size, 1800 GiB'],
  },
  {
    title: "a root disk on a datastore that does not exist",
    breakSites: (s) => void (container(s.rouans, "web")["rootDisk"] = { datastore: "local-zfs", sizeGiB: 32 }),
    expected: ['sites.rouans.containers[web].rootDisk.datastore: found "local-zfs", expected one of this site\'s datastores (local, local-lvm, data)'],
  },
  {
    title: "a misspelt key",
    breakSites: (s) => {
      const web = container(s.rouans, "web");
      web["memroyMiB"] = web["memoryMiB"];
      delete web["memoryMiB"];
    },
    expected: [
      "sites.rouans.containers[web].memoryMiB: found nothing, expected a value of type number",
      "sites.rouans.containers[web].memroyMiB: found an unknown key, expected no such key (is it misspelt?)",
    ],
  },
  {
    title: "a value of the wrong type",
    breakSites: (s) => void (container(s.sthilaire, "relay")["cores"] = "two"),
    expected: ['sites.sthilaire.containers[relay].cores: found "two", expected a value of type number'],
  },
  {
    title: "a schedule that is not a calendar event",
    breakSites: (s) => void (s.rouans.backup.schedule = "every night at 1"),
    expected: ['sites.rouans.backup.schedule: found "every night at 1", expected a calendar event such as "*-*-* 01:00" ("every" is not a weekday (mon..sun))'],
  },
  {
    title: "a data mount point left out of the backup without a reason",
    breakSites: (s) => void (((container(s.sthilaire, "mail")["mountPoints"] as Mutable[])[0] as Mutable)["backup"] = false),
    expected: ["sites.sthilaire.containers[mail].mountPoints[mailboxes].backup: found false, expected true (a data volume is in the nightly backup), or a noBackupReason saying why not"],
  },
  {
    title: "a container with more cores than its host",
    breakSites: (s) => void (container(s.rouans, "web")["cores"] = 8),
    expected: ["sites.rouans.containers[web].cores: found 8, expected at most 4 (the host's cores)"],
  },
  {
    title: "a data volume mounted over a path the system owns",
    breakSites: (s) => void (((container(s.sthilaire, "mail")["mountPoints"] as Mutable[])[0] as Mutable)["path"] = "/"),
    expected: [
      'sites.sthilaire.containers[mail].mountPoints[mailboxes].path: found "/", expected a directory of the service\'s data, such as /srv/mail, not one the system owns (/, /bin, /boot, /dev, /etc, /lib, /lib64, /proc, /run, /sbin, /sys, /tmp, /usr, /var)',
    ],
  },
  {
    title: "an endpoint with a path and a query",
    breakConfig: (c) => void (c["retzien-infra:endpoint"] = "https://192.168.10.2:8006/api2/json?x=1"),
    expected: ['config[rouans].endpoint: found "https://192.168.10.2:8006/api2/json?x=1", expected the Proxmox API\'s address alone, with no path, query or user, such as https://192.168.10.2:8006/'],
  },
  {
    title: "a PBS storage id that a datastore already uses",
    breakSites: (s) => void ((s.rouans.backupServer as Mutable)["storageId"] = "local-lvm"),
    expected: ['sites.rouans.backupServer.storageId: found "local-lvm", expected a storage id no datastore of this site uses'],
  },
  {
    title: "a PBS job schedule that is not a calendar event",
    breakSites: (s) => void ((s.sthilaire.backupServer as Mutable)["gcSchedule"] = "daily at 8"),
    expected: ['sites.sthilaire.backupServer.gcSchedule: found "daily at 8", expected a calendar event such as "*-*-* 08:00" ("daily" is not a weekday (mon..sun))'],
  },
  {
    title: "two sites on one site-link address",
    breakSites: (s) => void (s.sthilaire.siteLink.address = "10.77.0.1"),
    expected: ['sites.sthilaire.siteLink.address: found "10.77.0.1", expected an address not already used (sites.rouans.siteLink.address has it)'],
  },
  {
    title: "PBS's memory taken from containers that no longer fit",
    breakSites: (s) => void ((s.sthilaire.backupServer as Mutable)["memoryGiB"] = 4),
    expected: ["sites.sthilaire.containers: found \"10240 MiB of container memory\", expected at most 9216 MiB (16 GiB of RAM minus a 3 GiB host reserve and 4 GiB for PBS)"],
  },
  {
    title: "a site whose backups cannot fit its PBS datastore",
    breakSites: (s) => void (container(s.rouans, "web")["dataSizeGiB"] = 900),
    expected: [
      "sites.rouans.containers[web].dataSizeGiB: found 900, expected at most 332 GiB, what its root disk and mount points hold together (is it in MiB, or is a volume too small?)",
      'sites.rouans.backupServer.sizeGiB: found "1839.7 GiB predicted on PBS datastore \\"backup\\" of rouans (own rouans 1002.2 GiB + copies of sthilaire 632.2 GiB + GC grace 31.6 GiB + 10 % kept free 173.7 GiB)", expected at most 1736.8 GiB, what 2 TB HDD (backups) leaves PBS (or its 5 % kept for root: `tune2fs -m 0`, then backupServer.reservedPercent 0): a bigger backup disk, a shorter retention, or less data',
      'sites.sthilaire.backupServer.sizeGiB: found "1839.7 GiB predicted on PBS datastore \\"backup\\" of sthilaire (own sthilaire 632.2 GiB + copies of rouans 1002.2 GiB + GC grace 31.6 GiB + 10 % kept free 173.7 GiB)", expected at most 1736.8 GiB, what 2 TB HDD (backups) leaves PBS (or its 5 % kept for root: `tune2fs -m 0`, then backupServer.reservedPercent 0): a bigger backup disk, a shorter retention, or less data',
    ],
  },
  {
    title: "an upper-case tag, which Proxmox would lower-case and diff forever",
    breakSites: (s) => void (container(s.rouans, "web")["tags"] = ["Web"]),
    expected: ['sites.rouans.containers[web].tags[0]: found "Web", expected a lower-case tag'],
  },
  {
    title: "a missing endpoint",
    breakConfig: (c) => void delete c["retzien-infra:endpoint"],
    expected: ["config[rouans].endpoint: found nothing, expected an https URL of the Proxmox API, such as https://192.168.10.2:8006/"],
  },
  {
    title: "an endpoint that is not https",
    breakConfig: (c) => void (c["retzien-infra:endpoint"] = "http://192.168.10.2:8006/"),
    expected: ['config[rouans].endpoint: found "http://192.168.10.2:8006/", expected an https URL of the Proxmox API, such as https://192.168.10.2:8006/'],
  },
  {
    title: "an API token left in the stack file, where the provider would take it as an input",
    breakConfig: (c) => void (c["retzien-infra:apiToken"] = "pulumi@pve!deploy=11111111-2222-3333-4444-555555555555"),
    expected: ['config[rouans].apiToken: found the API token in the stack file, expected no apiToken key (pulumi config rm apiToken): the token is read from PROXMOX_VE_API_TOKEN in the environment (README, "Deploy for real")'],
  },
  {
    title: "no API token in the environment",
    apiToken: null,
    expected: ['env.PROXMOX_VE_API_TOKEN: found no value, expected this site\'s deploy token pulumi@pve!deploy=<uuid> in the environment: read -rs PROXMOX_VE_API_TOKEN && export PROXMOX_VE_API_TOKEN (README, "Deploy for real")'],
  },
  {
    title: "a malformed token, never shown",
    apiToken: "hunter2",
    expected: ["env.PROXMOX_VE_API_TOKEN: found [secret], expected a Proxmox API token such as pulumi@pve!deploy=<uuid>"],
  },
  {
    title: "root's token, which can do anything: only the roles' tokens are taken, and only the id is shown",
    apiToken: "root@pam!full=11111111-2222-3333-4444-555555555555",
    expected: ["env.PROXMOX_VE_API_TOKEN: found the token root@pam!full, expected the deploy token pulumi@pve!deploy, or CI's read-only ci@pve!preview for a preview (no broader token: docs/access.md)"],
  },
  {
    title: "CI's read-only preview token used for an update",
    apiToken: "ci@pve!preview=11111111-2222-3333-4444-555555555555",
    expected: ["env.PROXMOX_VE_API_TOKEN: found the preview token ci@pve!preview for an update, expected the deploy token pulumi@pve!deploy: the preview token can only read"],
  },
  {
    title: "ambient provider config, which the explicit provider would ignore",
    breakConfig: (c) => void (c["proxmoxve:endpoint"] = "https://192.168.10.2:8006/"),
    expected: ["config[rouans].proxmoxve:endpoint: found a key of another namespace, expected only retzien-infra:* keys (the provider is configured explicitly from them)"],
  },
  {
    title: "TLS verification switched off",
    breakConfig: (c) => void (c["retzien-infra:insecure"] = "true"),
    expected: ['config[rouans].insecure: found "true", expected "false": the API\'s certificate is verified, never skipped; trust the host\'s own CA or give it an ACME certificate (docs/access.md, "TLS")'],
  },
  {
    title: "a stack that is no site",
    stack: "nantes",
    expected: ['stack: found "nantes", expected one of the sites: rouans, sthilaire'],
  },
  {
    title: "a shape slip in one site and a cross-field problem in the other, both at once",
    breakSites: (s) => {
      container(s.sthilaire, "relay")["cores"] = "two";
      container(s.rouans, "web")["cores"] = 8;
    },
    expected: ['sites.sthilaire.containers[relay].cores: found "two", expected a value of type number', "sites.rouans.containers[web].cores: found 8, expected at most 4 (the host's cores)"],
  },
  {
    title: "a template fetched over plain http",
    breakSites: (s) => void (s.rouans.template.url = "http://download.proxmox.com/images/system/debian-12-standard_12.12-1_amd64.tar.zst"),
    expected: ['sites.rouans.template.url: found "http://download.proxmox.com/images/system/debian-12-standard_12.12-1_amd64.tar.zst", expected an https URL (plain http lets anyone on the path swap the template)'],
  },
  {
    title: "a template without a checksum",
    breakSites: (s) => void delete (s.rouans.template as Mutable)["checksum"],
    expected: ["sites.rouans.template.checksum: found nothing, expected { algorithm, value }: the template's checksum from Proxmox's template list (aplinfo.dat)"],
  },
  {
    title: "a sha256 checksum of sha512 length, and a file name the URL does not serve",
    breakSites: (s) => {
      s.rouans.template.checksum.algorithm = "sha256";
      s.rouans.template.fileName = "debian-12.tar.zst";
    },
    expected: [
      'sites.rouans.template.checksum.value: found "128 hex digits", expected 64 hex digits, the length of a sha256',
      'sites.rouans.template.fileName: found "debian-12.tar.zst", expected the name the URL serves, "debian-12-standard_12.12-1_amd64.tar.zst" (the checksum is the one of that file)',
    ],
  },
  {
    title: "firewall: a port out of range, a service and a host that do not exist, all in one run",
    breakSites: (s) => {
      const fw = container(s.sthilaire, "relay")["firewall"] as { inbound: Mutable[]; outbound: Mutable[] };
      fw.inbound.push({ proto: "tcp", ports: [70000, "90:80"], from: { service: "webmail" }, comment: "typo" });
      fw.outbound.push({ proto: "tcp", ports: [25], to: { host: "backup-mx" }, comment: "second MX" });
    },
    expected: [
      'sites.sthilaire.containers[relay].firewall.inbound[3].from.service: found "webmail", expected a container of sthilaire (relay, mail, nextcloud)',
      "sites.sthilaire.containers[relay].firewall.inbound[3].ports[0]: found 70000, expected ports in 1..65535",
      'sites.sthilaire.containers[relay].firewall.inbound[3].ports[1]: found "90:80", expected a range whose first port is below its last',
      'sites.sthilaire.containers[relay].firewall.outbound[4].to.host: found "backup-mx", expected a host named in sites.sthilaire.firewall.hosts (outbound-server)',
    ],
  },
  {
    title: "firewall: SSH opened to the Internet, ports on icmp, a tcp rule with no ports",
    breakSites: (s) => {
      const fw = container(s.rouans, "web")["firewall"] as { inbound: Mutable[] };
      fw.inbound.push({ proto: "tcp", ports: ["20:30"], from: "internet", comment: "ftp and ssh" });
      fw.inbound.push({ proto: "icmp", ports: [8], from: "lan", comment: "ping" });
      fw.inbound.push({ proto: "udp", from: "lan", comment: "everything" });
    },
    expected: [
      'sites.rouans.containers[web].firewall.inbound[1].ports[0]: found "20:30", expected no SSH (22) from "internet": SSH is for the admin networks, and every container already has that rule',
      "sites.rouans.containers[web].firewall.inbound[2].ports: found [8], expected no ports for icmp",
      "sites.rouans.containers[web].firewall.inbound[3].ports: found nothing, expected the udp ports it opens (a rule never opens every port)",
      // Beyond SSH, the range opens 20 to 30 to anyone: no flow of a web needs them.
      'sites.rouans.containers[web].firewall.inbound: found "in tcp 20:30 from internet", expected only the flows a web needs (src/firewall/service-needs.ts): remove it, or add the flow there with its source',
    ],
  },
  {
    title: "firewall: no admin network at all, which would lock every operator out",
    breakSites: (s) => void (s.rouans.firewall.adminNetworks = []),
    expected: ["sites.rouans.firewall.adminNetworks: found [], expected at least one admin network: with none, the host firewall drops its API and SSH for everyone, this deploy included"],
  },
  {
    title: "firewall: admin networks that hold a container, a peer's tunnel address, or the whole Internet",
    breakSites: (s) => void (s.sthilaire.firewall.adminNetworks = ["192.168.20.0/24", "10.77.0.0/24", "0.0.0.0/0"]),
    expected: [
      'sites.sthilaire.firewall.adminNetworks[0]: found "192.168.20.0/24", expected a network without sthilaire\'s container relay (192.168.20.12): a broken-into container or host must not reach the hosts\' API and SSH',
      'sites.sthilaire.firewall.adminNetworks[1]: found "10.77.0.0/24", expected a network without rouans\'s site-link address (10.77.0.1): a broken-into container or host must not reach the hosts\' API and SSH',
      'sites.sthilaire.firewall.adminNetworks[2]: found "0.0.0.0/0", expected a network narrower than the whole Internet (the admin path is the VPN or an admin workstation)',
    ],
  },
  {
    title: "drills: a scratch range over real VMIDs and the other site's scratch, a datastore without containers",
    breakSites: (s) => {
      s.sthilaire.drill = { scratchVmids: { first: 195, last: 912 }, datastore: "local", schedule: "sat 13:00", maxMinutesPerGuest: 60 };
    },
    expected: [
      'sites.sthilaire.drill.scratchVmids: found {"first":195,"last":912}, expected a range disjoint from sites.rouans.vmidRange 100..199 (a drill must never touch a real guest)',
      'sites.sthilaire.drill.scratchVmids: found {"first":195,"last":912}, expected a range disjoint from sites.rouans.drill.scratchVmids 900..909 (a drill must never touch a real guest)',
      'sites.sthilaire.drill.scratchVmids: found {"first":195,"last":912}, expected a range disjoint from sites.sthilaire.vmidRange 200..299 (a drill must never touch a real guest)',
      'sites.sthilaire.drill.datastore: found "local", expected a datastore of this site with content "rootdir"',
    ],
  },
  {
    title: "drills: a time in the night",
    breakSites: (s) => void (s.sthilaire.drill.schedule = "*-*-* 04:30"),
    expected: [
      // Long after sthilaire's backup (01:30-02:28), but into rouans' pull of it, placed late in the night.
      'sites.sthilaire.drill.schedule: found "*-*-* 04:30", expected a time clear of the pull sthilaire -> rouans (04:45-05:54): 1 drill(s) take up to 04:30-05:30',
    ],
  },
  {
    title: "a backup disk in xfs given ext4's share for root",
    breakSites: (s) => void (s.sthilaire.backupServer = { ...s.sthilaire.backupServer, filesystem: "xfs", reservedPercent: 5 }),
    expected: ['sites.sthilaire.backupServer.reservedPercent: found 5, expected 0 or nothing: xfs keeps no blocks for root (only ext4\'s mke2fs does)'],
  },
  {
    title: "PBS jobs: a GC in the night, a verify at two times a day",
    breakSites: (s) => {
      s.rouans.backupServer = { ...s.rouans.backupServer, gcSchedule: "*-*-* 03:00" };
      s.sthilaire.backupServer = { ...s.sthilaire.backupServer, verify: { schedule: "sat,sun 10,22:00", outdatedAfterDays: 30 } };
    },
    expected: [
      // Between rouans' backup (01:00-01:13) and the pull it receives (04:45-05:54): the night's snapshots are not all in.
      `sites.rouans.backupServer.gcSchedule: found "*-*-* 03:00", expected a time clear of the night's work on rouans's PBS, 01:00-05:54 (rouans's backup, the pull sthilaire -> rouans, the pull rouans -> sthilaire): its GC would run at 03:00 on the same backup disk, before the night's last snapshots are in`,
      `sites.sthilaire.backupServer.verify.schedule: found "sat,sun 10,22:00", expected a calendar event at one time of day, such as "*-*-* 08:00" (the verify of sthilaire's PBS is placed against the night)`,
    ],
  },
  {
    title: "drills: a schedule at more than one time of day",
    breakSites: (s) => void (s.rouans.drill.schedule = "*-*-* 12,18:00"),
    expected: ['sites.rouans.drill.schedule: found "*-*-* 12,18:00", expected a calendar event at one time of day, such as "sat 13:00"'],
  },
  {
    title: "dead-man watch: a time that is not every day, and a limit a good night already passes",
    breakSites: (s) => {
      (s.rouans.offsite as Mutable)["watchAt"] = "sat 09:00";
      (s.sthilaire.offsite as Mutable)["staleAfterHours"] = 24;
    },
    expected: [
      'sites.rouans.offsite.watchAt: found "sat 09:00", expected a time of day such as "09:00" (the watch runs every day)',
      "sites.sthilaire.offsite.staleAfterHours: found 24, expected at least 28.4: on a good night the newest copy at rouans is up to 28.4 h old (backup 01:30, pull ends 05:54, then a day), so less alarms every day",
    ],
  },
  {
    title: "a Gotify server without its token",
    breakSites: (s) => {
      (s.rouans.backup as Mutable)["gotify"] = { server: "https://push.example.org" };
    },
    expected: ["config[rouans].gotifyToken: found no value, expected a secure: value (pulumi config set --secret gotifyToken): sites.rouans.backup.gotify names a Gotify server"],
  },
  {
    title: "a Gotify server over plain HTTP",
    breakSites: (s) => void ((s.sthilaire.backup as Mutable)["gotify"] = { server: "http://push.example.org" }),
    expected: ['sites.sthilaire.backup.gotify.server: found "http://push.example.org", expected the https URL of a Gotify server, such as https://push.example.org'],
  },
  {
    title: "a Gotify token with no server, in plain text",
    breakConfig: (c) => void (c["retzien-infra:gotifyToken"] = "AbCdEfGh12345"),
    expected: [
      "config[rouans].gotifyToken: found a plain-text value, expected a secure: value (pulumi config set --secret gotifyToken)",
      "config[rouans].gotifyToken: found a token, expected none, or a Gotify server in sites.rouans.backup.gotify to push to",
    ],
  },
  {
    title: "alarm paths: a relay that is not one, an outside host nobody declared",
    breakSites: (s) => {
      s.sthilaire.backup.alarmPath = { via: "relay", container: "mail" };
      s.rouans.backup.alarmPath = { via: "submission", host: "smarthost", serverName: "smtp.retzien.example", username: "alarms-rouans" };
    },
    expected: [
      // The relay still takes the host's mail, which no path sends through it now.
      'sites.sthilaire.containers[relay].firewall.inbound: found "in tcp 25 from site-host", expected only the flows a relay needs (src/firewall/service-needs.ts): remove it, or add the flow there with its source',
      'sites.rouans.backup.alarmPath.host: found "smarthost", expected a host named in sites.rouans.firewall.hosts (outbound-server), with its addresses',
      'sites.sthilaire.backup.alarmPath.container: found "mail", expected a relay of sthilaire (relay)',
    ],
  },
  {
    title: "an alarm path to a server named with a scheme, and a user name with a colon",
    breakSites: (s) => {
      s.rouans.backup.alarmPath = { via: "submission", host: "outbound-server", serverName: "smtps://smtp.retzien.example", username: "alarms:rouans" };
    },
    expected: [
      'sites.rouans.backup.alarmPath.serverName: found "smtps://smtp.retzien.example", expected the server\'s DNS name, as its certificate names it (smtp.example.org)',
      'sites.rouans.backup.alarmPath.username: found "alarms:rouans", expected the account\'s user name (no spaces or colons)',
    ],
  },
  {
    title: "an alarm path through a relay on a site that has none, and the password it no longer uses",
    breakSites: (s) => {
      s.rouans.backup.alarmPath = { via: "relay", container: "web" };
    },
    expected: [
      'sites.rouans.backup.alarmPath.container: found "web", expected a relay of rouans, which has none: { via: "submission", ... } to an outside server instead',
      'config[rouans].alarmPassword: found a password, expected none, or sites.rouans.backup.alarmPath via "submission" to use it with',
    ],
  },
  {
    title: "an alarm path by submission with no password set",
    breakConfig: (c) => void delete c["retzien-infra:alarmPassword"],
    expected: ["config[rouans].alarmPassword: found no value, expected a secure: value (pulumi config set --secret alarmPassword): sites.rouans.backup.alarmPath submits the host's alarms with an account"],
  },
  {
    title: "drills: a run longer than a day",
    breakSites: (s) => void (s.rouans.drill.maxMinutesPerGuest = 720),
    expected: ["sites.rouans.drill.maxMinutesPerGuest: found 720, expected at most 719 minutes: 2 guests are drilled in one run (the others do not fit its scratch datastore), which must end within the day"],
  },
  {
    title: "a health check with a tab in it (the drill's list is tab-separated)",
    breakSites: (s) => void ((container(s.rouans, "web")["healthCheck"] as Mutable)["expect"] = "Syntax\tOK"),
    expected: ['sites.rouans.containers[web].healthCheck.expect: found "Syntax\\tOK", expected a text with no tab or line break'],
  },
  {
    title: "problems of specs and config together, all at once",
    breakSites: (s) => void (container(s.rouans, "web")["cores"] = 0),
    breakConfig: (c) => void delete c["retzien-infra:sshAddress"],
    expected: [
      "sites.rouans.containers[web].cores: found 0, expected more than 0",
      "config[rouans].sshAddress: found nothing, expected a value of type string",
    ],
  },
  {
    title: "a service marked away that the site does not have",
    breakSites: () => undefined,
    breakConfig: (c) => void (c["retzien-infra:away"] = JSON.stringify(["mail"])),
    expected: ['config[rouans].away: found "mail", expected a service of rouans: web'],
  },
  {
    title: "every service marked away: that is a failover, not an up",
    breakSites: () => undefined,
    breakConfig: (c) => void (c["retzien-infra:away"] = JSON.stringify(["web"])),
    expected: ["config[rouans].away: found \"web\", expected some of rouans's services, not all: with none here, use the runbook's failover, not an up"],
  },
  {
    title: "guests hosted here that are not another site's services, or of two sites at once",
    breakSites: () => undefined,
    breakConfig: (c) => void (c["retzien-infra:hosting"] = JSON.stringify(["rouans/web", "sthilaire/webmail", "sthilaire/mail", "paris/web"])),
    expected: [
      'config[rouans].hosting: found "rouans/web", expected <site>/<service> of another site: sthilaire',
      'config[rouans].hosting: found "sthilaire/webmail", expected a service of sthilaire: relay, mail, nextcloud',
      'config[rouans].hosting: found "paris/web", expected <site>/<service> of another site: sthilaire',
    ],
  },
  {
    title: "guests hosted here that do not fit: the placement's own numbers",
    breakSites: () => undefined,
    breakConfig: (c) => void (c["retzien-infra:hosting"] = JSON.stringify(["sthilaire/relay", "sthilaire/mail", "sthilaire/nextcloud"])),
    expected: [
      `config[rouans].hosting: failover of relay, mail, nextcloud onto rouans: memory: found "10240 MiB needed", expected at most 6144 MiB free (22528 MiB for containers beside Proxmox and PBS at 6 GiB, 16384 MiB kept by rouans's own at their degraded budgets, 0 MiB freed by those budgets): 4096 MiB more, from lower degradedMemoryMiB or failoverMemoryMiB, a lower backupServer.degradedMemoryGiB, or 4 GiB more RAM in rouans's host`,
      'config[rouans].hosting: failover of relay, mail, nextcloud onto rouans: disk: found "1372 GiB of volumes", expected one datastore with that much free (largest: local-lvm with 348 GiB: 1024 GiB more there would do)',
    ],
  },
  {
    title: "a local network wider than the host, or a container's address: the management set would take it",
    breakSites: (s) => {
      (s.rouans.firewall as { localNetwork: string }).localNetwork = "192.168.10.0/24";
      (s.sthilaire.firewall as { localNetwork: string }).localNetwork = "192.168.20.10/32";
    },
    expected: [
      "sites.rouans.firewall.localNetwork: found \"192.168.10.0/24\", expected the host's own address in 192.168.10.0/24, as a /32 (Proxmox adds it to the management set: a wider network lets the whole of it reach the API and SSH)",
      "sites.sthilaire.firewall.localNetwork: found \"192.168.20.10/32\", expected the host's own address, not sthilaire's container mail's",
    ],
  },
  {
    title: "the operators' VPN on the site link's port, or on a masquerading LAN box outside the admin networks",
    breakSites: (s) => {
      (s.rouans.firewall as { operatorsVpn: unknown }).operatorsVpn = { endsOn: "host", port: 51820 };
      (s.sthilaire.firewall as { operatorsVpn: unknown }).operatorsVpn = { endsOn: "lan-box", address: "192.168.20.3/32", masquerade: true };
    },
    expected: [
      "sites.rouans.firewall.operatorsVpn.port: found 51820, expected a UDP port other than the site link's (51820)",
      'sites.sthilaire.firewall.adminNetworks: found ["10.99.0.0/24"], expected 192.168.20.3/32 among them: the box masquerades the operators\' VPN, so the hosts and containers see them coming from it, and would drop them (or stop masquerading and route the admin networks to the box)',
    ],
  },
];

testRefusals(CASES);
