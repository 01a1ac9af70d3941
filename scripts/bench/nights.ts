/**
 * The bench's data: one container root and the nights archived from it, each
 * night in its own Proxmox-style dump directory per compressor
 * (`<work>/store/<night>/<compressor>/vzdump-lxc-<vmid>-<stamp>.tar.<ext>` and
 * its `.log`). The nights follow each other on the same tree:
 *   night1            the built tree;
 *   night2            `changeShare` of the files rewritten, `churnShare` added and deleted;
 *   night2wide        the same night with `wideShare` rewritten instead (cumulative, so it
 *                     still compares with night1);
 *   night3reads       nothing written, `readShare` of the files read (only their atime moves).
 * "What changed" is defined as the changed and added files of a night (relative to night1),
 * tarred with vzdump's flags and compressed with the same compressor as the archive.
 */
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type NightChanges, type RootFs, applyNight, buildRootFs } from "./rootfs";
import { COMPRESSORS, type Compressor, compress, dumpBase, sizeOf, tarFiles, tarLikeVzdump, tarMembers, writeDumpLog } from "./vzdump";

export type CompressorId = keyof typeof COMPRESSORS;
export type NightId = "night1" | "night2" | "night2wide" | "night3reads";

export interface Archive {
  readonly path: string;
  readonly logPath: string;
  readonly bytes: number;
  readonly compressSeconds: number;
}

export interface Night {
  readonly id: NightId;
  readonly epoch: number;
  readonly tarBytes: number;
  readonly archives: Partial<Record<CompressorId, Archive>>;
  /** Relative to night1; undefined for night1. */
  readonly changes?: NightChanges;
  /** "What changed", compressed, per compressor (bytes). */
  readonly changedCompressed: Partial<Record<CompressorId, number>>;
  /** Files whose atime moved (night3reads). */
  readonly filesRead: number;
  /** Whether the members present in night1 and this night come in the same order. */
  readonly orderStable: boolean | null;
}

export interface NightsOptions {
  readonly work: string;
  readonly rootfsBytes: number;
  readonly seed: number;
  readonly vmid: number;
  readonly changeShare: number;
  readonly wideShare: number;
  readonly churnShare: number;
  readonly readShare: number;
  readonly log: (line: string) => void;
}

export interface Nights {
  readonly files: number;
  readonly rootBytes: number;
  readonly nights: Record<NightId, Night>;
}

const DAY = 86400;
/** 2026-11-23 01:30:02 UTC: night1's vzdump stamp; each night a day later. */
const NIGHT1 = Date.UTC(2026, 10, 23, 1, 30, 2) / 1000;

function sameOrder(a: readonly string[], b: readonly string[]): boolean {
  const inA = new Set(a);
  const inB = new Set(b);
  const ca = a.filter((m) => inB.has(m));
  const cb = b.filter((m) => inA.has(m));
  return ca.length === cb.length && ca.every((m, i) => m === cb[i]);
}

/** Builds the tree and every night's archives; removes the intermediate tars as it goes. */
export function buildNights(o: NightsOptions): Nights {
  const root = join(o.work, "rootfs");
  const conf = join(o.work, "vzdumptmp");
  const tmp = join(o.work, "tmp");
  mkdirSync(tmp, { recursive: true });
  o.log(`building a ${Math.round(o.rootfsBytes / 2 ** 20)} MiB root filesystem`);
  const fs: RootFs = buildRootFs(root, o.rootfsBytes, o.seed, NIGHT1 - DAY);
  const rootBytes = fs.files.reduce((s, f) => s + f.size, 0);
  let night1Members: string[] = [];
  const state = { changed: 0, added: 0, deleted: 0 };

  const archiveNight = (id: NightId, epoch: number, compressors: readonly CompressorId[], changes?: NightChanges, filesRead = 0): Night => {
    const tar = join(tmp, `${id}.tar`);
    const base = dumpBase(o.vmid, epoch);
    const tarCommand = tarLikeVzdump(root, conf, o.vmid, tar);
    const members = tarMembers(tar);
    if (id === "night1") night1Members = members;
    const archives: Partial<Record<CompressorId, Archive>> = {};
    const changedCompressed: Partial<Record<CompressorId, number>> = {};
    const changedTar = join(tmp, `${id}-changed.tar`);
    if (changes) tarFiles(root, [...changes.changed, ...changes.added], join(tmp, `${id}-changed.list`), changedTar);
    for (const cid of compressors) {
      const c: Compressor = COMPRESSORS[cid];
      const dir = join(o.work, "store", id, c.id);
      mkdirSync(dir, { recursive: true });
      const path = join(dir, `${base}.tar.${c.ext}`);
      o.log(`${id}: archiving with ${c.command.join(" ")}`);
      const compressSeconds = compress(c, tar, path);
      writeDumpLog(dir, base, o.vmid, tarCommand, c, sizeOf(path));
      archives[cid] = { path, logPath: join(dir, `${base}.log`), bytes: sizeOf(path), compressSeconds };
      if (changes) {
        const out = join(tmp, `${id}-changed.tar.${c.id}`);
        compress(c, changedTar, out);
        changedCompressed[cid] = sizeOf(out);
        rmSync(out);
      }
    }
    const night: Night = {
      id, epoch, tarBytes: sizeOf(tar), archives, changedCompressed, filesRead,
      orderStable: id === "night1" ? null : sameOrder(night1Members, members),
      ...(changes ? { changes } : {}),
    };
    rmSync(tar);
    rmSync(changedTar, { force: true });
    return night;
  };

  const all: CompressorId[] = ["gzip", "zstd", "zstdPlain"];
  const night1 = archiveNight("night1", NIGHT1, all);
  const night2 = archiveNight("night2", NIGHT1 + DAY + 1, all, applyNight(fs, state, o.changeShare, o.churnShare, NIGHT1 + DAY / 2));
  const night2wide = archiveNight("night2wide", NIGHT1 + DAY + 1, ["gzip"], applyNight(fs, state, o.wideShare, o.churnShare * 2, NIGHT1 + DAY / 2));
  // A day in which services only read: with relatime, the first read after a
  // change (here: every file, whose atime equals its mtime) moves the atime,
  // which vzdump's POSIX tar records in each member's PAX header.
  const files = fs.files.filter((f) => !night2wide.changes?.deleted.includes(f.rel));
  const reads = Math.round(o.readShare * files.length);
  for (let i = 0; i < reads; i++) readFileSync(join(root, (files[Math.floor((i * files.length) / reads)] as { rel: string }).rel));
  const night3reads = archiveNight("night3reads", NIGHT1 + 2 * DAY + 2, ["gzip"], undefined, reads);
  rmSync(root, { recursive: true, force: true });
  return { files: fs.files.length, rootBytes, nights: { night1, night2, night2wide, night3reads } };
}
