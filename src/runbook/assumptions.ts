/**
 * The figures the RTO estimates rest on. Each is a judgement, written down so a
 * volunteer can see it and change it after a real rehearsal; none is measured on
 * these machines (there is no Proxmox host here).
 */
export const ASSUMPTIONS = {
  /** Installing Proxmox VE on spare hardware: USB install, network, disks, root SSH access. */
  proxmoxInstallMinutes: 60,
  /** `pulumi up --target` of the foundation (provider, PBS install and setup, site link, remotes). */
  foundationMinutes: 15,
  /** `pulumi refresh` and `pulumi up --target` of the containers, template, backup job and pulls. */
  stateSyncMinutes: 10,
  /** `pct restore` from PBS on the backup HDD: chunks read, decompressed and written, per MiB of data. */
  restoreMiBps: 80,
  /** PBS syncing chunks to or from a USB 3 hard disk (a removable datastore). */
  usbMiBps: 100,
  /** Driving a disk the 20 km between the villages, with unplugging and mounting. */
  driveMinutes: 30,
  /** Starting one container and checking its service answers. */
  startCheckMinutes: 5,
  /** DNS records, port forwards on the ISP box, allow-lists: the changes outside the hosts in a failover. */
  outsideChangesMinutes: 30,
  /** Plesk's smarthost and the relay's mynetworks set to the failover addresses, by hand in two panels. */
  mailRelaySettingsMinutes: 10,
  /** Share of a link's nominal rate a long transfer gets. */
  linkEfficiency: 0.9,
  /**
   * The pull back of a rebuild by day (these hours, every day): it takes this
   * share of the survivor's upload, so that the survivor's members keep room;
   * at night it takes the link at `linkEfficiency`.
   */
  pullBackDay: { from: 7, to: 23, share: 0.5 },
  /**
   * Share of a failed-over guest's chunks that change between the way home's
   * first copy and its last (hours apart): what crosses the link while the
   * service is down.
   */
  failbackChangedShare: 0.05,
  /** The association's target: back in service in under two hours. */
  targetMinutes: 120,
} as const;

export type Assumptions = typeof ASSUMPTIONS;
