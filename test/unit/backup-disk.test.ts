/**
 * What a byte costs on the line, and what a backup disk leaves PBS: the
 * filesystem figures are checked against the real tools (Debian's mke2fs and
 * mkfs.xfs, installed by .ci/run), made on sparse files in a temporary folder.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { usableGiBOf } from "../../src/backup/disk";
import { payloadMbpsOf, wireOverheadOf } from "../../src/backup/wire";
import { directionOf } from "../../src/offsite/directions";
import { type SiteSpec, siteSchema } from "../../src/site/schema";
import { allSites } from "../../stacks/sites";
import { cloneSites } from "../helpers/stacks";

const GIB = 1024 ** 3;
const SBIN = { ...process.env, PATH: `/usr/sbin:/sbin:${process.env.PATH ?? ""}` };

test("a byte PBS counts costs its TCP/IP headers, WireGuard's and the line's framing", () => {
  // 1368 bytes of TLS a segment (1420 - 52); on VDSL2: (1420 + 60 + 26) x 65/64 = 1529.5 bytes.
  assert.equal(Math.round(wireOverheadOf("vdsl2-pppoe") * 1e4) / 1e4, 1.1181);
  assert.equal(Math.round(wireOverheadOf("pppoe") * 1e4) / 1e4, 1.1009);
  assert.equal(Math.round(wireOverheadOf("ipoe") * 1e4) / 1e4, 1.095);
  // sthilaire's 80 % of 17 Mbit/s is 13.6 on the line: PBS gets 12.16.
  assert.equal(Math.round(payloadMbpsOf(13.6, "vdsl2-pppoe") * 100) / 100, 12.16);
});

test("a pull's rate-in keeps it within its budget on both lines", () => {
  const [rouans, sthilaire] = cloneSites().all.map((s) => siteSchema.parse(s)) as [SiteSpec, SiteSpec];
  const up = directionOf(rouans, sthilaire);
  // Bound by sthilaire's VDSL upload: on it, the rate-in with its overhead is the 13.6 Mbit/s budget.
  assert.equal(up.budgetMbps, 13.6);
  assert.ok(Math.abs(up.payloadMbps * wireOverheadOf("vdsl2-pppoe") - 13.6) < 1e-9);
  assert.equal(up.rateInBytesPerSecond, Math.floor((up.payloadMbps * 1e6) / 8));
  // Bound by sthilaire's 40 Mbit/s VDSL2 download: rouans' fibre upload offers 40 too, but costs less a byte.
  const down = directionOf(sthilaire, rouans);
  assert.equal(down.budgetMbps, 40);
  assert.ok(Math.abs(down.payloadMbps - 40 / wireOverheadOf("vdsl2-pppoe")) < 1e-9);
});

test("the usable size takes off the filesystem's metadata and root's share", () => {
  const pbs = (over: object) => siteSchema.shape.backupServer.parse({ path: "/mnt/backup/pbs", sizeGiB: 920, disk: "d", ...over });
  // ext4 on 920 GiB: 14.375 GiB of inode tables, 0.056 of bitmaps, a 1 GiB journal, and 46 GiB kept for root.
  assert.equal(usableGiBOf(pbs({})), 920 - 920 / 64 - 920 / 16384 - 1 - 46);
  assert.equal(Math.round(usableGiBOf(pbs({})) * 10) / 10, 858.6);
  assert.equal(Math.round(usableGiBOf(pbs({ reservedPercent: 0 })) * 10) / 10, 904.6);
  // xfs: its log only, and nothing kept for root.
  assert.equal(usableGiBOf(pbs({ filesystem: "xfs" })), 920 - 920 / 2048);
});

/** Free blocks (for a user other than root) and the block count mkfs leaves on a sparse file of `gib`. */
function made(fs: "ext4" | "xfs", gib: number): { free: number; blocks: number } {
  const dir = mkdtempSync(join(tmpdir(), "retzien-fs-"));
  try {
    const image = join(dir, "disk.img");
    execFileSync("truncate", ["-s", `${gib}G`, image]);
    if (fs === "ext4") {
      execFileSync("mkfs.ext4", ["-q", "-F", "-E", "lazy_itable_init=1,lazy_journal_init=1", image], { env: SBIN });
      const header = execFileSync("dumpe2fs", ["-h", image], { env: SBIN, stdio: ["ignore", "pipe", "ignore"] }).toString();
      const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)$`, "m").exec(header)?.[1]);
      return { free: field("Free blocks") - field("Reserved block count"), blocks: field("Block count") };
    }
    execFileSync("mkfs.xfs", ["-q", image], { env: SBIN });
    const sb = execFileSync("xfs_db", ["-r", "-c", "sb 0", "-c", "print fdblocks dblocks", image], { env: SBIN }).toString();
    const field = (name: string) => Number(new RegExp(`^${name} = (\\d+)$`, "m").exec(sb)?.[1]);
    return { free: field("fdblocks"), blocks: field("dblocks") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("what mkfs leaves a datastore is what the planner counts, at 920 GiB and at the committed size", () => {
  const sizes = [920, ...new Set(allSites.map((s) => s.backupServer.sizeGiB))];
  for (const fs of ["ext4", "xfs"] as const) {
    for (const gib of sizes) {
      const real = made(fs, gib);
      assert.equal(real.blocks * 4096, gib * GIB, `${fs} ${gib} GiB: 4 KiB blocks over the whole file`);
      const planned = usableGiBOf(siteSchema.shape.backupServer.parse({ path: "/p", sizeGiB: gib, disk: "d", filesystem: fs }));
      // Within 0.2 GiB: the group descriptors and their backups are left out.
      assert.ok(Math.abs((real.free * 4096) / GIB - planned) < 0.2, `${fs} ${gib} GiB: mkfs leaves ${(real.free * 4096) / GIB} GiB, the planner counts ${planned}`);
    }
  }
});
