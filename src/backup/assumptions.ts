/**
 * The throughputs the capacity and night planner rests on. None is measured on
 * the association's hosts yet (no PBS runs on the machines that build this
 * project, and Proxmox publishes no figure for container dedup, sync efficiency
 * or restore speed): each is a judgement, written down so a volunteer can see
 * it and correct it once a restore drill or a real night has measured it.
 */
export const BACKUP_ASSUMPTIONS = {
  /**
   * Data walked per hour by a `metadata` change-detection backup: it stats every
   * file and compares it with the previous snapshot's metadata archive. 600 GiB
   * an hour is about 1 750 files a second at a mean file size of 100 KiB, most
   * metadata coming from the ZFS ARC and the page cache.
   */
  metadataWalkGiBPerHour: 600,
  /** Changed (or first-time) bytes read, chunked, zstd-compressed and written to the PBS disk: an HDD on each side. */
  readMiBps: 60,
  /** Share of a link's nominal rate a long sync gets (TLS, HTTP/2, chunk lookups). */
  linkEfficiency: 0.9,
  /**
   * Days of pruned chunks still on disk: GC removes only chunks unused for
   * 24 h 5 min, and runs daily, so up to two nights of pruned changes wait.
   */
  gcGraceDays: 2,
  /** Minutes between the predicted end of a source's backup and the holder's pull. */
  syncMarginMinutes: 15,
  /** Proxmox's recommendation for PBS: 4 GiB plus 1 GiB per TiB of datastore. */
  pbsBaseMemoryGiB: 4,
  pbsMemoryGiBPerTiB: 1,
  /** Proxmox's evaluation minimum for PBS: below it, refused. */
  pbsMinimumMemoryGiB: 2,
  /** Used share of a datastore above which the plan warns. */
  warnUsedShare: 0.8,
} as const;
