/**
 * What runs where: the typed description of one physical host and its containers.
 * Shapes and single-field rules live here (zod, `.strict()` so a typo is an error,
 * defaults in the schema); rules that compare fields or sites live in `src/rules/`.
 */
import { SERVICE_KINDS } from "../firewall/service-needs";
import { z } from "zod";

/** A stable key: lower-case letters, digits and dashes, starting with a letter. */
const key = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, "a lower-case key such as \"web\" (letters, digits, dashes)");
const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "a name without its domain, such as \"mail\": lower-case letters, digits and inner dashes, at most 63");
const posInt = z.number().int().positive();
const absolutePath = z.string().regex(/^\/[^\0]*$/, "an absolute path");
const email = z.email("an e-mail address");

/** A static address with its prefix length, e.g. `192.168.10.10/24`. */
const cidrAddress = z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, "an address with its prefix, such as 192.168.10.10/24");

export const mountPointSchema = z
  .strictObject({
    /** Stable key of the mount point (`mp` child name), e.g. `data`. */
    name: key,
    /** Where it is mounted inside the container. */
    path: absolutePath,
    /** Datastore that holds the volume. */
    datastore: z.string().min(1),
    /**
     * Size of the volume. Any change, growing too, replaces the whole container
     * (bpg v0.111.1 makes mount_point.size ForceNew): a stateful one is refused
     * by `protect`; grow it by hand (`pct resize`), `pulumi refresh`, then set the new size here.
     */
    sizeGiB: posInt,
    /**
     * Whether vzdump includes it. Required, with no default: the provider's default is
     * `false`, which silently leaves data out of every backup.
     */
    backup: z.boolean(),
    /** Required when `backup` is false: why losing this volume is acceptable. */
    noBackupReason: z.string().min(10).optional(),
  });

/**
 * Who a firewall rule lets in (or out to): anyone, this site's LAN, its admin
 * networks, a container of this site (its addresses), or an outside host named
 * in the site's `firewall.hosts`.
 */
const firewallPeerSchema = z.union(
  [
    // "site-host": this site's Proxmox host (firewall.localNetwork), e.g. its alarms to the relay.
    z.enum(["internet", "lan", "admin", "site-host"]),
    z.strictObject({ service: key }),
    z.strictObject({ host: key }),
  ],
  { error: '"internet", "lan", "admin", "site-host", { service: <container of this site> } or { host: <name in firewall.hosts> }' },
);

/** A port (1..65535) or a range `first:last`, as Proxmox writes them. */
const portSchema = z.union([z.number().int(), z.string().regex(/^\d{1,5}:\d{1,5}$/, "a port number such as 443, or a range such as \"6000:6010\"")], {
  error: "a port number such as 443, or a range such as \"6000:6010\"",
});

const firewallRuleFields = {
  proto: z.enum(["tcp", "udp", "icmp"]),
  /** Destination ports; required for tcp and udp (a rule never opens every port), none for icmp. */
  ports: z.array(portSchema).min(1).optional(),
  /** Why the rule exists: shown in Proxmox's firewall view and in the plan. */
  comment: z.string().min(3),
};

export const containerFirewallSchema = z.strictObject({
  /** Allowed in; everything else is dropped. Admin SSH (22 from `admin`) is always added. */
  inbound: z.array(z.strictObject({ ...firewallRuleFields, from: firewallPeerSchema })),
  /** Allowed out; everything else is dropped (replies to allowed inbound traffic always pass). */
  outbound: z.array(z.strictObject({ ...firewallRuleFields, to: firewallPeerSchema })),
});

export const containerSchema = z.strictObject({
  /** Service key (`web`, `mail`...): names every child resource, so never rename it without an alias. */
  name: key,
  /** What it runs: its firewall must open exactly what this kind needs (src/firewall/service-needs.ts). */
  kind: z.enum(SERVICE_KINDS, { error: `one of ${SERVICE_KINDS.join(", ")} (src/firewall/service-needs.ts says what each needs)` }),
  /** Proxmox VMID, inside the site's `vmidRange`. Changing it replaces the container. */
  vmid: z.number().int().min(100).max(999_999_999),
  hostname: dnsLabel,
  description: z.string().default(""),
  cores: posInt,
  memoryMiB: z.number().int().min(64),
  /** Memory when it runs degraded on the other site during a failover. @default memoryMiB */
  failoverMemoryMiB: z.number().int().min(64).optional(),
  /**
   * Memory it keeps at home while its host also runs the other site's
   * failed-over guests (an LXC limit is a ceiling: the runbook lowers it for
   * the failover and the way back raises it again). @default memoryMiB
   */
  degradedMemoryMiB: z.number().int().min(64).optional(),
  /** @default 512 */
  swapMiB: z.number().int().min(0).default(512),
  rootDisk: z.strictObject({ datastore: z.string().min(1), sizeGiB: posInt }),
  /** @default [] */
  mountPoints: z.array(mountPointSchema).default([]),
  network: z.strictObject({
    /** Static IPv4 address with prefix, inside the site's bridge subnet. */
    ipv4: cidrAddress,
    /** Static IPv6 address with prefix, inside the site's IPv6 subnet. */
    ipv6: cidrAddress.optional(),
  }),
  /** Its Proxmox firewall: default-deny both ways, with the service's own openings. */
  firewall: containerFirewallSchema,
  /**
   * What a restore drill runs inside the restored copy (network detached, so it
   * must not need the network), and what its output must contain.
   */
  healthCheck: z.strictObject({
    /** Run with `pct exec <scratch vmid> -- ...`, no shell: each word apart. */
    command: z.array(z.string().regex(/^[^\t\n]+$/, "a word with no tab or line break"), {
      error: 'a list of words, such as ["postfix", "status"]: the check runs with no shell',
    }).min(1),
    /** Text its output (stdout and stderr) must contain. */
    expect: z.string().regex(/^[^\t\n]+$/, "a text with no tab or line break"),
  }),
  /** @default true — a root-owned container is a root-owned host if it is broken into. */
  unprivileged: z.boolean().default(true),
  /** @default { nesting: false } */
  features: z.strictObject({ nesting: z.boolean().default(false) }).default({ nesting: false }),
  startup: z.strictObject({
    /** @default true */
    onBoot: z.boolean().default(true),
    /** Boot order on the host: lower starts first. */
    order: posInt,
    /** @default 0 */
    upDelaySec: z.number().int().min(0).default(0),
    /** @default 60 */
    downDelaySec: z.number().int().min(0).default(60),
  }),
  /** Proxmox tags; lower-case only (Proxmox lower-cases them, which would diff forever). @default [] */
  tags: z.array(z.string().regex(/^[a-z0-9][a-z0-9_.+-]*$/, "a lower-case tag")).default([]),
  /** What the backups of this container weigh, uncompressed, in GiB: drives the datastore footprint, the nights and the RTO. */
  dataSizeGiB: z.number().min(0),
  /** Holds data that exists nowhere else: protected against deletion and replacement. */
  stateful: z.boolean(),
  /**
   * Percent of its data written anew in a night (changed or new files): what a
   * `metadata` backup re-reads, the new chunks each retained snapshot costs, and
   * what the nightly sync moves. @default 2
   */
  dailyChangePercent: z.number().min(0).max(100).default(2),
  /**
   * Stored size over data size once PBS has compressed its chunks (zstd): about
   * 0.5 for text and mail, 0.9 and more for photos and video. @default 0.7
   */
  compressionRatio: z.number().gt(0).max(1).default(0.7),
  /** How much its data grows in a month, net (added less deleted), GiB: the planner's runway. @default 0 */
  growthGiBPerMonth: z.number().min(0).default(0),
  /**
   * Of each night's change, the share that is new data (new mail, new files) rather
   * than the same blocks written again (databases, logs). What it adds beyond the
   * net growth is deleted again (mail read and thrown away, files replaced): the
   * snapshots that saw it keep it until the retention lets them go, so it is held
   * for the retention's whole span. 0..1. @default 0
   */
  newDataShare: z.number().min(0).max(1).default(0),
  /**
   * Mean size of its files, KiB: a `metadata` backup walks every file, so its
   * cost is per file (`find <dir> -type f | wc -l` over `du -sk` gives it).
   * @default 100, a mix of web files, mail and documents
   */
  meanFileKiB: z.number().positive().default(100),
  /**
   * The container already runs on the host: the next `pulumi up` adopts it (imports
   * `<node>/<vmid>`) instead of creating a second one. Remove once adopted.
   * @default false
   */
  adopt: z.boolean().default(false),
});

const datastoreSchema = z.strictObject({
  /** Proxmox storage id, e.g. `local-lvm`. */
  id: z.string().regex(/^[a-z][a-z0-9-_]*$/, "a Proxmox storage id"),
  type: z.enum(["dir", "lvmthin", "zfspool"]),
  /** Usable capacity. */
  sizeGiB: posInt,
  /** Which physical disk(s) it sits on, for the people who swap them. */
  disk: z.string().min(1),
  /** Proxmox content types it accepts. */
  content: z.array(z.enum(["rootdir", "images", "vztmpl", "iso", "snippets"])).min(1),
  /** Mount point of a `dir` storage on the host. */
  path: absolutePath.optional(),
});

const retentionSchema = z
  .strictObject({
    keepLast: posInt.optional(),
    keepDaily: posInt.optional(),
    keepWeekly: posInt.optional(),
    keepMonthly: posInt.optional(),
    keepYearly: posInt.optional(),
  })
  .refine((r) => Object.values(r).some((v) => v !== undefined), "at least one keep-* rule");

export const siteSchema = z.strictObject({
  /** Site key; also the Pulumi stack name. */
  name: key,
  /** Proxmox node name of the host. */
  nodeName: dnsLabel,
  /** Where the box is. */
  location: z.string().min(1),
  /** What the site is for, in one line. */
  role: z.string().min(1),
  host: z.strictObject({
    model: z.string().min(1),
    cpu: z.string().min(1),
    cores: posInt,
    memoryGiB: posInt,
    /** Memory kept for Proxmox itself (and ZFS ARC): containers may use the rest. @default 4 */
    reserveGiB: z.number().int().min(1).default(4),
    disks: z.array(z.string().min(1)).min(1),
  }),
  uplink: z.strictObject({
    downMbps: z.number().positive(),
    upMbps: z.number().positive(),
    /** Share of the upload the peer's nightly pull may use (0..1]. @default 0.8 */
    offsiteShare: z.number().gt(0).max(1).default(0.8),
    /**
     * How the line carries IP packets, which sets what each byte costs on it
     * (src/backup/wire.ts): PPPoE over VDSL2, PPPoE over fibre or Ethernet, or
     * plain Ethernet (IPoE). @default "vdsl2-pppoe", the costliest
     */
    framing: z.enum(["vdsl2-pppoe", "pppoe", "ipoe"]).default("vdsl2-pppoe"),
    /**
     * When the site's quiet hours begin (local time): its nightly backup starts
     * inside them, never while the members use the line and the disks. @default "23:00"
     */
    nightStartsAt: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a time of day such as 23:00").default("23:00"),
    /** When the night ends for this uplink (local time): pulls from this site must be done by then. @default "07:00" */
    nightEndsAt: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a time of day such as 07:00").default("07:00"),
  }),
  /**
   * The site-to-site WireGuard tunnel: the peers' PBS reach this host's PBS API
   * (port 8007) only through it, never through a port open to the Internet.
   */
  siteLink: z.strictObject({
    /** Where the other sites reach this host's WireGuard (a DNS name or a public address, with the ISP box forwarding the UDP port). */
    endpoint: z.string().regex(/^[A-Za-z0-9.:-]+$/, "a host name or an IP address"),
    /** @default 51820 */
    port: z.number().int().min(1).max(65535).default(51820),
    /** This host's address inside the tunnel (IPv4, no prefix), unique across the sites. */
    address: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, "an IPv4 address alone, such as 10.77.0.1 (the link's prefix is added to it)"),
  }),
  /**
   * The host's Proxmox firewall: its API (8006) and SSH (22) answer the admin
   * networks only, its PBS (8007) the linked peers only, and every container
   * drops what its spec does not allow.
   */
  firewall: z.strictObject({
    /**
     * Where operators and CI come from (the operators' VPN, an admin workstation):
     * the only sources of the hosts' API and SSH and of the containers' SSH. Never
     * a network holding a container or a peer's site-link address.
     */
    adminNetworks: z.array(cidrAddress).min(1, "at least one admin network: with none, the host firewall drops its API and SSH for everyone, this deploy included"),
    /**
     * The host's own address on the LAN, as a /32 (`192.168.10.2/32`). Proxmox's
     * firewall adds its `local_network` to the `management` IP set, whose built-in
     * rules open the API, SSH and the consoles (pve-firewall `compile`): detected,
     * that is the whole LAN (the ISP box, the hall's Wi-Fi). The program sets the
     * alias to this address alone, so the set is the admin networks and the host.
     */
    localNetwork: cidrAddress,
    /**
     * Where the operators' VPN (the admin networks' way in) ends at this site,
     * which decides what the firewall must let through:
     * - `host`: on the Proxmox host itself, its UDP `port` open to anyone (WireGuard
     *   answers no unknown key);
     * - `lan-box`: on another box of the LAN at `address` (a /32). With `masquerade`,
     *   the operators arrive from that address, which must then be one of the admin
     *   networks; routed, the ISP box must route the admin networks to it (the runbook's
     *   outside checklist says so).
     */
    operatorsVpn: z.discriminatedUnion(
      "endsOn",
      [
        z.strictObject({ endsOn: z.literal("host"), port: z.number().int().min(1).max(65535) }),
        z.strictObject({ endsOn: z.literal("lan-box"), address: cidrAddress, masquerade: z.boolean() }),
      ],
      { error: '{ endsOn: "host", port: <its UDP port> } or { endsOn: "lan-box", address: "<the box>/32", masquerade: true|false }' },
    ),
    /** Outside hosts the rules name, e.g. the dedicated outbound mail server. @default {} */
    hosts: z.record(key, z.array(cidrAddress).min(1)).default({}),
  }),
  /**
   * What a volunteer needs outside the hosts when this site is lost or takes the
   * other's services: the runbook prints it with the exact values.
   */
  recovery: z.strictObject({
    /** The ISP box's public IPv4: DNS records and port forwards point here. */
    publicIpv4: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, "an IPv4 address such as 198.51.100.10"),
    /** Where the services' DNS records are edited, and their TTL (how long clients keep the old address). */
    dns: z.strictObject({ editedAt: z.string().min(3), ttlSeconds: posInt }),
    /** Where the ISP box's admin page is, and who holds its password. */
    ispBox: z.string().min(3),
    /** Where the spare hardware is, and who has the key. */
    sparesAt: z.string().min(3),
    /**
     * The carry disk that rescues this site: kept at a site that holds this
     * site's copies (it is filled there, then driven here), never at this one.
     */
    carryDisk: z.strictObject({ keptAt: key, description: z.string().min(3) }),
    /**
     * The service the members miss first (rouans' websites, sthilaire's mail):
     * a failover brings it back first, and the two-hour target is counted on it.
     */
    mostVisible: key,
    /** Who to call, in order. */
    contacts: z.array(z.string().min(3)).min(1),
  }),
  /** VMIDs this site may use; the two sites' ranges never overlap, so any archive restores on either host. */
  vmidRange: z.strictObject({ first: z.number().int().min(100), last: z.number().int().max(999_999_999) }),
  network: z.strictObject({
    bridge: z.string().regex(/^vmbr\d+$/, "a Proxmox bridge such as vmbr0"),
    ipv4: z.strictObject({
      subnet: cidrAddress,
      gateway: z.string().min(1),
      /** First of the free addresses given to another site's containers during a failover here. */
      failoverFrom: z.string().min(1).optional(),
    }),
    ipv6: z.strictObject({ subnet: cidrAddress, gateway: z.string().min(1) }).optional(),
  }),
  datastores: z.array(datastoreSchema).min(1),
  /**
   * The root filesystem of every container: fetched over https and checked
   * against the checksum Proxmox publishes for it (its signed `aplinfo.dat`), so
   * nobody on the path can hand the hosts another one.
   */
  template: z.strictObject({
    /** Datastore (content `vztmpl`) the LXC template is downloaded to. */
    datastore: z.string().min(1),
    url: z.url({ protocol: /^https$/, error: "an https URL (plain http lets anyone on the path swap the template)" }),
    /** Template file name on the datastore. */
    fileName: z.string().regex(/^[\w.+-]+\.tar\.(gz|xz|zst)$/, "a template file name such as debian-12-standard_12.12-1_amd64.tar.zst"),
    /** What the download must hash to; PVE deletes the file and fails the download otherwise. */
    checksum: z.strictObject({
      algorithm: z.enum(["sha256", "sha512"]),
      /** Lower-case hex, as `sha512sum` prints it. */
      value: z.string().regex(/^[0-9a-f]+$/, "lower-case hex digits, as sha256sum or sha512sum print them"),
    }, { error: "{ algorithm, value }: the template's checksum from Proxmox's template list (aplinfo.dat)" }),
  }),
  backup: z.strictObject({
    /** When vzdump runs (calendar event, host local time), e.g. `*-*-* 01:00`. */
    schedule: z.string().min(1),
    /** @default "snapshot" */
    mode: z.enum(["snapshot", "suspend", "stop"]).default("snapshot"),
    /** Retention of this site's own snapshots, applied by the local PBS prune job. */
    retention: retentionSchema,
    /** Operators mailed when a backup fails. */
    mailTo: z.array(email).min(1),
    /**
     * How the host's alarms (PVE's and PBS's failures, drills, the dead-man watch:
     * all handed to its Postfix) leave it. Without a path, Postfix delivers straight
     * to each recipient's MX on port 25, which residential lines often block, and
     * `sendmail` has already said yes: the alarm waits in the queue unseen.
     * - `relay`: through this site's relay `container` on 25 (its firewall and
     *   `mynetworks` take this host; no credentials on the LAN);
     * - `submission`: to an outside server (`host`, a name of `firewall.hosts`, known
     *   on the Internet as `serverName`, whose certificate is checked) on `port` with
     *   TLS and the account `username`; the password is the stack config's secret
     *   `alarmPassword`.
     */
    alarmPath: z.discriminatedUnion(
      "via",
      [
        z.strictObject({ via: z.literal("relay"), container: key }),
        z.strictObject({
          via: z.literal("submission"),
          host: key,
          serverName: z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "the server's DNS name, as its certificate names it (smtp.example.org)"),
          /** @default 587 */
          port: z.number().int().min(1).max(65535).default(587),
          username: z.string().regex(/^[^\s:]{1,128}$/, "the account's user name (no spaces or colons)"),
        }),
      ],
      { error: '{ via: "relay", container: <this site\'s relay> } or { via: "submission", host: <name in firewall.hosts>, serverName, username }' },
    ),
    /**
     * A Gotify server outside both sites, pushed every alarm beside the mail (PVE's and
     * PBS's failures, drills, the dead-man watch). The association's mail is at one
     * site: an alarm about that site, mailed there, is read only once it is back. The
     * host's application token is the stack config's secret `gotifyToken`.
     */
    gotify: z
      .strictObject({
        server: z.url({ protocol: /^https$/, error: "the https URL of a Gotify server, such as https://push.example.org" }),
      })
      .optional(),
  }),
  /**
   * The Proxmox Backup Server installed on this host beside Proxmox VE: one
   * datastore on the backup disk holds this site's snapshots (namespace = this
   * site's name) and the copies of the sites it holds (a namespace per source).
   */
  backupServer: z.strictObject({
    /** PBS datastore name. @default "backup" */
    datastore: key.default("backup"),
    /** Directory of the datastore on the backup disk (ext4 or xfs, with atime). */
    path: absolutePath,
    /** Size of the backup disk's partition the datastore's filesystem is made on, GiB. */
    sizeGiB: posInt,
    /** Which physical disk it is, for the people who swap them. */
    disk: z.string().min(1),
    /**
     * The datastore's filesystem: its metadata and the blocks it keeps for root
     * are not PBS's (it writes as user `backup`); the plan counts only the rest
     * (src/backup/disk.ts). @default "ext4", what `proxmox-backup-manager disk fs create` makes by default
     */
    filesystem: z.enum(["ext4", "xfs"]).default("ext4"),
    /**
     * Share of the filesystem kept for root, percent: mke2fs keeps 5 by default,
     * `tune2fs -m 0` gives them to the datastore; xfs keeps none. @default 5 for ext4, 0 for xfs
     */
    reservedPercent: z.number().min(0).max(50).optional(),
    /** Memory PBS may take on this host, counted with the containers. @default 4 */
    memoryGiB: z.number().min(1).default(4),
    /**
     * PBS's memory while the other site is lost and failed over here: it pulls
     * nothing from the lost site and its drills wait, so the runbook lowers its
     * ceiling to this. @default memoryGiB
     */
    degradedMemoryGiB: z.number().min(1).optional(),
    /** Proxmox VE storage id through which vzdump writes to the local PBS. @default "pbs" */
    storageId: z.string().regex(/^[a-z][a-z0-9-_]*$/, "a Proxmox storage id").default("pbs"),
    /** Prune of every namespace by its retention (calendar event). @default "*-*-* 08:00" */
    pruneSchedule: z.string().min(1).default("*-*-* 08:00"),
    /** Garbage collection; frees chunks unused for 24 h 5 min, so space comes back a day after a prune. @default "*-*-* 08:30" */
    gcSchedule: z.string().min(1).default("*-*-* 08:30"),
    /** Verify job: re-reads every chunk of snapshots not verified for `outdatedAfterDays`. */
    verify: z
      .strictObject({
        /** @default "sun 10:00" */
        schedule: z.string().min(1).default("sun 10:00"),
        /** @default 30 */
        outdatedAfterDays: posInt.default(30),
      })
      .default({ schedule: "sun 10:00", outdatedAfterDays: 30 }),
    /** Share of the disk always kept free (PBS needs room to run GC); above 80 % used the plan warns. @default 10 */
    freeSpaceMarginPercent: z.number().min(0).max(50).default(10),
    /**
     * The fewest months the datastore must hold at the containers' growth before it
     * is full: below it the plan is refused, time to buy and seed a disk. @default 6
     */
    minRunwayMonths: z.number().min(0).default(6),
  }),
  /**
   * Restore drills on this host: the newest copy of each guest it holds is
   * restored in turn into a scratch VMID, with no network, started, checked
   * (its `healthCheck`), timed and destroyed, on a schedule outside the night.
   */
  drill: z.strictObject({
    /** VMIDs the drills may use, disjoint from every site's range; a VMID in use is never touched. */
    scratchVmids: z.strictObject({ first: z.number().int().min(100), last: z.number().int().max(999_999_999) }),
    /** Datastore (content rootdir) the scratch guests are restored to. */
    datastore: z.string().min(1),
    /** When the drills run (calendar event at one time of day), outside every backup and pull. @default "sat 13:00" */
    schedule: z.string().min(1).default("sat 13:00"),
    /** The longest a guest's drill may take, restore to destroy. @default 60 */
    maxMinutesPerGuest: posInt.default(60),
  }),
  /** The copies of the other sites' backups that this host holds, pulled by its PBS. */
  offsite: z.strictObject({
    /** Retention of the held copies, applied by this host's own prune job (the source has no say). */
    retention: retentionSchema,
    /**
     * This site's guests: a newest snapshot, at home or at a holder, older than
     * this is an alarm (in `npm run status`, and in each holder's dead-man watch).
     * At least what a good night leaves (backup start to the pull's end, plus a
     * day). @default 36
     */
    staleAfterHours: z.number().positive().default(36),
    /**
     * When this host checks, every day, the copies it holds, their pulls and their
     * drills, and mails the operators when a source has gone silent (the dead-man
     * alarm): a time of day, after the night's pulls. @default "09:00"
     */
    watchAt: z.string().min(1).default("09:00"),
  }),
  containers: z.array(containerSchema).min(1),
  /**
   * Values still holding this repository's examples, as dotted paths of this spec
   * (`network.ipv4`) or `config.<key>` of the site's stack file: the plan warns
   * while any remain. Remove each one as the site's own value replaces it. @default []
   */
  placeholders: z.array(z.string().min(1)).default([]),
});

/** A site as written in `stacks/<site>.ts` (defaults may be omitted). */
export type SiteSpecInput = z.input<typeof siteSchema>;
/** A validated site, every default filled in. */
export type SiteSpec = z.output<typeof siteSchema>;
export type ContainerSpec = SiteSpec["containers"][number];
export type MountPointSpec = ContainerSpec["mountPoints"][number];
export type DatastoreSpec = SiteSpec["datastores"][number];
export type RetentionSpec = SiteSpec["backup"]["retention"];
export type BackupServerSpec = SiteSpec["backupServer"];
export type FirewallPeer = z.output<typeof firewallPeerSchema>;
export type AlarmPathSpec = SiteSpec["backup"]["alarmPath"];
export type ContainerFirewallSpec = ContainerSpec["firewall"];
