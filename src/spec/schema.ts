/**
 * What runs where: the typed description of one physical host and its containers.
 * Shapes and single-field rules live here (zod, `.strict()` so a typo is an error,
 * defaults in the schema); rules that compare fields or sites live in `src/rules/`.
 */
import { z } from "zod";

/** A stable key: lower-case letters, digits and dashes, starting with a letter. */
const key = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, "a lower-case key such as \"web\" (letters, digits, dashes)");
const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "a lower-case DNS label (letters, digits, inner dashes, at most 63)");
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
    /** Size of the volume. Growing it is fine; shrinking replaces the volume. */
    sizeGiB: posInt,
    /**
     * Whether vzdump includes it. Required, with no default: the provider's default is
     * `false`, which silently leaves data out of every backup.
     */
    backup: z.boolean(),
    /** Required when `backup` is false: why losing this volume is acceptable. */
    noBackupReason: z.string().min(10).optional(),
  });

export const containerSchema = z.strictObject({
  /** Service key (`web`, `mail`...): names every child resource, so never rename it without an alias. */
  name: key,
  /** Proxmox VMID, inside the site's `vmidRange`. Changing it replaces the container. */
  vmid: z.number().int().min(100).max(999_999_999),
  hostname: dnsLabel,
  description: z.string().default(""),
  cores: posInt,
  memoryMiB: z.number().int().min(64),
  /** Memory when it runs degraded on the other site during a failover. @default memoryMiB */
  failoverMemoryMiB: z.number().int().min(64).optional(),
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
  /** What the backups of this container weigh, uncompressed, in GiB: drives the offsite window and the RTO. */
  dataSizeGiB: z.number().min(0),
  /** Holds data that exists nowhere else: protected against deletion and replacement. */
  stateful: z.boolean(),
  /** Share of its data that changes in a night, for the offsite window estimate. @default 0.02 */
  dailyChangeShare: z.number().min(0).max(1).default(0.02),
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
  content: z.array(z.enum(["rootdir", "images", "backup", "vztmpl", "iso", "snippets"])).min(1),
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
    /** When the night ends for this uplink (local time): pulls from this site must be done by then. @default "07:00" */
    nightEndsAt: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a time of day such as 07:00").default("07:00"),
  }),
  /** Where the other sites reach this host's SSH for the nightly pull (a DNS name or a tunnel address). */
  publicSsh: z.strictObject({
    host: z.string().regex(/^[A-Za-z0-9.:-]+$/, "a host name or an IP address"),
    /** @default 22 */
    port: z.number().int().min(1).max(65535).default(22),
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
  template: z.strictObject({
    /** Datastore (content `vztmpl`) the LXC template is downloaded to. */
    datastore: z.string().min(1),
    url: z.url({ protocol: /^https?$/ }),
    /** Template file name on the datastore. */
    fileName: z.string().regex(/^[\w.+-]+\.tar\.(gz|xz|zst)$/, "a template file name such as debian-12-standard_12.12-1_amd64.tar.zst"),
  }),
  backup: z.strictObject({
    /** When vzdump runs (calendar event, host local time), e.g. `*-*-* 01:00`. */
    schedule: z.string().min(1),
    /** Datastore with content `backup` that receives the local archives. */
    storage: z.string().min(1),
    /** @default "snapshot" */
    mode: z.enum(["snapshot", "suspend", "stop"]).default("snapshot"),
    /** pigz threads for gzip; gzip is written `--rsyncable`, which the offsite delta transfer relies on. @default 2 */
    pigzThreads: z.number().int().min(1).max(64).default(2),
    retention: retentionSchema,
    /** Operators mailed when a backup fails. */
    mailTo: z.array(email).min(1),
    /** How long the nightly job takes; the other site pulls after it. @default 1 */
    durationHours: z.number().positive().max(12).default(1),
  }),
  /** The copies of the other sites' backups that this host keeps. */
  offsite: z.strictObject({
    /** Directory under which each held site gets `<basePath>/<site>` (a Proxmox dir storage, archives in `dump/`). */
    basePath: absolutePath,
    /** Retention of the held copies, applied with Proxmox's own `pvesm prune-backups`. */
    retention: retentionSchema,
    /** A guest whose newest copy is older than this is an alarm. @default 36 */
    staleAfterHours: z.number().positive().default(36),
    /** Free space kept on the copies' disk beyond each archive. @default 5 */
    freeSpaceMarginGiB: z.number().min(0).default(5),
  }),
  containers: z.array(containerSchema).min(1),
});

/** A site as written in `stacks/<site>.ts` (defaults may be omitted). */
export type SiteSpecInput = z.input<typeof siteSchema>;
/** A validated site, every default filled in. */
export type SiteSpec = z.output<typeof siteSchema>;
export type ContainerSpec = SiteSpec["containers"][number];
export type MountPointSpec = ContainerSpec["mountPoints"][number];
export type DatastoreSpec = SiteSpec["datastores"][number];
export type RetentionSpec = SiteSpec["backup"]["retention"];
