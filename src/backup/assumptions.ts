/**
 * The throughputs the capacity and night planner rests on. None is measured on
 * the association's hosts yet (no PBS runs on the machines that build this
 * project, and Proxmox publishes no figure for container dedup, sync efficiency
 * or restore speed): each is a judgement, written down so a volunteer can see
 * it and correct it once a restore drill or a real night has measured it.
 */
export const BACKUP_ASSUMPTIONS = {
  /**
   * Files walked per second by a `metadata` change-detection backup: it stats every
   * file and compares it with the previous snapshot's metadata archive, most
   * metadata coming from the ZFS ARC and the page cache. 1 750 a second is about
   * 600 GiB an hour at a mean file size of 100 KiB; maildirs of small files walk
   * fewer GiB an hour.
   */
  metadataWalkFilesPerSecond: 1750,
  /** Changed (or first-time) bytes read, chunked, zstd-compressed and written to the PBS disk: an HDD on each side. */
  readMiBps: 60,
  /**
   * Share of its `rate-in` a long sync keeps: between chunks it waits on index
   * downloads and lookups. The bytes of TLS, TCP, the tunnel and the line are
   * counted apart (src/backup/wire.ts).
   */
  linkEfficiency: 0.9,
  /**
   * A `metadata` backup reuses whole chunks of the previous snapshot, with the
   * bytes of files gone since ("padding"), as long as the padding stays at most
   * this share of what it reuses (proxmox-backup v4.2.0,
   * pbs-client/src/pxar/create.rs: `CHUNK_PADDING_THRESHOLD`, checked in
   * `flush_cached_reusing_if_below_threshold` as padding / (range + padding)).
   * So a snapshot may hold up to 0.1 / 0.9 = 11.1 % more than its data: the plan
   * counts that bound on every full snapshot.
   */
  chunkPaddingThreshold: 0.1,
  /**
   * Days of pruned chunks still on disk: GC removes only chunks unused for
   * 24 h 5 min, and runs daily, so up to two nights of pruned changes wait.
   */
  gcGraceDays: 2,
  /** Minutes at least between the predicted end of a source's backup and the holder's pull. */
  syncMarginMinutes: 15,
  /**
   * Minutes a pull is planned to end before the source's night does: the pull
   * starts as late as that allows, so the rest of the night is the backup's to
   * overrun. A pull that overruns its prediction by more takes the line by day.
   */
  pullEndMarginMinutes: 60,
  /** Proxmox's recommendation for PBS: 4 GiB plus 1 GiB per TiB of datastore. */
  pbsBaseMemoryGiB: 4,
  pbsMemoryGiBPerTiB: 1,
  /** Proxmox's evaluation minimum for PBS: below it, refused. */
  pbsMinimumMemoryGiB: 2,
  /** Used share of a datastore above which the plan warns. */
  warnUsedShare: 0.8,
} as const;
