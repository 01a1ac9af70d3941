/**
 * What of a backup disk's partition PBS can fill. The filesystem takes its
 * metadata first (ext4: inode tables, journal, group descriptors; xfs: its log
 * and allocation-group headers), then keeps a share for root; PBS writes as user
 * `backup` and gets neither. Pure.
 */
import type { SiteSpec } from "../site/schema";

type BackupServer = SiteSpec["backupServer"];

/**
 * GiB a new filesystem of `sizeGiB` takes for its own metadata, as Debian 12's
 * tools make it (4 KiB blocks), measured on sparse files of 200 to 3700 GiB:
 * - ext4, mke2fs 1.47.0 with Debian's /etc/mke2fs.conf: the inode tables (an
 *   inode of 256 bytes per 16 KiB: 1/64 of the disk), two bitmap blocks per group
 *   of 32768 blocks (1/16384), and a 1 GiB journal; the group descriptors and
 *   their backups, left out, are under 0.13 GiB (`dumpe2fs -h`: block count less
 *   free blocks). Above 4 TiB mke2fs takes its "big" type, fewer inodes: this
 *   counts more than it takes there.
 * - xfs, mkfs.xfs 6.1.0: its log, 1/2048 of the disk (`xfs_db`: dblocks less
 *   fdblocks). What xfs sets aside once mounted (its reserve pool, the per-group
 *   btree reservations) is not counted: it could not be measured here (no loop
 *   mount on the machines that build this project).
 * test/unit/backup-disk.test.ts makes both filesystems again at 920 GiB and at
 * each committed size and checks these against the tools.
 */
export function filesystemMetadataGiB(filesystem: BackupServer["filesystem"], sizeGiB: number): number {
  return filesystem === "ext4" ? sizeGiB / 64 + sizeGiB / 16384 + 1 : sizeGiB / 2048;
}

/** mke2fs keeps 5 % for root unless told `-m`; xfs keeps nothing for root. */
export const DEFAULT_RESERVED_PERCENT: Record<BackupServer["filesystem"], number> = { ext4: 5, xfs: 0 };

/** The share of the filesystem kept for root, percent. */
export const reservedPercentOf = (pbs: BackupServer): number => pbs.reservedPercent ?? DEFAULT_RESERVED_PERCENT[pbs.filesystem];

/** GiB of the partition PBS can fill: less the filesystem's metadata, less root's share. */
export function usableGiBOf(pbs: BackupServer): number {
  const metadata = filesystemMetadataGiB(pbs.filesystem, pbs.sizeGiB);
  // mke2fs's `-m` is a share of all the blocks, not of the free ones.
  const reserved = (pbs.sizeGiB * reservedPercentOf(pbs)) / 100;
  return pbs.sizeGiB - metadata - reserved;
}
