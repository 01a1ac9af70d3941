/**
 * A synthetic container root filesystem and the nights that change it. The mix
 * (by bytes: 30% small text files, 20% binaries, 20% a few large database-like
 * files, 30% incompressible media) gives about 27 000 files per GiB, most of
 * them small, as in a Debian container with a web or mail service: the case
 * that is hard for a block-based delta.
 */
import { mkdirSync, rmSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Rng, binary, noise, text } from "./seeded";

export type FileKind = "text" | "binary" | "large" | "noise";

export interface RootFile {
  readonly rel: string;
  readonly kind: FileKind;
  size: number;
}

export interface RootFs {
  readonly dir: string;
  readonly files: RootFile[];
  /** A seeded order of the night-1 files: the first k change, the last ones are deleted. */
  readonly order: readonly number[];
}

/** What a night did, relative to night 1 (cumulative). */
export interface NightChanges {
  readonly changed: string[];
  readonly added: string[];
  readonly deleted: string[];
  /** Bytes of the changed and added files as they are after this night. */
  readonly bytes: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

function content(kind: FileKind, label: string, size: number): Buffer {
  if (kind === "noise") return noise(label, size);
  if (kind === "binary") return binary(label, size);
  return text(label, size);
}

function writeFile(dir: string, f: RootFile, version: number, mtime: number): void {
  const path = join(dir, f.rel);
  writeFileSync(path, content(f.kind, `${f.rel}#${version}`, f.size));
  utimesSync(path, mtime, mtime);
}

/** Builds the night-1 tree of about `totalBytes` in `dir`; every mtime is `mtime`. */
export function buildRootFs(dir: string, totalBytes: number, seed: number, mtime: number): RootFs {
  rmSync(dir, { recursive: true, force: true });
  const rng = new Rng(seed);
  const files: RootFile[] = [];
  const plan: { kind: FileKind; share: number; lo: number; hi: number; dir: (i: number) => string; name: (i: number) => string }[] = [
    { kind: "text", share: 0.3, lo: 200, hi: 64 * KiB, dir: (i) => (i % 7 === 0 ? `etc/conf${Math.floor(i / 448)}` : `usr/share/pkg${Math.floor(i / 64)}`), name: (i) => `file${i}.txt` },
    { kind: "binary", share: 0.2, lo: 64 * KiB, hi: MiB, dir: (i) => `usr/lib/lib${Math.floor(i / 32)}`, name: (i) => `lib${i}.so` },
    { kind: "large", share: 0.2, lo: Math.max(MiB, totalBytes / 64), hi: Math.max(2 * MiB, totalBytes / 16), dir: () => "var/lib/db", name: (i) => `table${i}.ibd` },
    { kind: "noise", share: 0.3, lo: 256 * KiB, hi: 4 * MiB, dir: (i) => `srv/media/album${Math.floor(i / 16)}`, name: (i) => `photo${i}.jpg` },
  ];
  for (const p of plan) {
    let bytes = 0;
    for (let i = 0; bytes < p.share * totalBytes; i++) {
      const size = rng.logUniform(p.lo, Math.floor(p.hi));
      const f: RootFile = { rel: `${p.dir(i)}/${p.name(i)}`, kind: p.kind, size };
      mkdirSync(join(dir, dirname(f.rel)), { recursive: true });
      writeFile(dir, f, 1, mtime);
      files.push(f);
      bytes += size;
    }
  }
  const order = files.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  touchDirs(dir, files.map((f) => f.rel), mtime);
  return { dir, files, order };
}

/** Sets the mtime of every directory on the way to `rels` (tar records directory mtimes). */
function touchDirs(root: string, rels: readonly string[], mtime: number): void {
  const dirs = new Set<string>();
  for (const rel of rels) for (let d = dirname(rel); d !== "."; d = dirname(d)) dirs.add(d);
  for (const d of [...dirs].sort().reverse()) utimesSync(join(root, d), mtime, mtime);
  utimesSync(root, mtime, mtime);
}

/**
 * Brings the tree to "night 1 plus `changeShare` of its files rewritten, and
 * `churnShare` added and deleted". Cumulative and monotonic: called with 2% then
 * 10%, the 10% night contains the 2% night's changes, so both compare with night 1.
 */
export function applyNight(fs: RootFs, state: { changed: number; added: number; deleted: number }, changeShare: number, churnShare: number, mtime: number): NightChanges {
  const n = fs.order.length;
  const wantChanged = Math.round(changeShare * n);
  const wantChurn = Math.max(1, Math.round(churnShare * n));
  const rng = new Rng(0x5eed + wantChanged);
  const touched: string[] = [];
  for (; state.changed < wantChanged; state.changed++) {
    const f = fs.files[fs.order[state.changed] as number] as RootFile;
    // A rewrite, as an application or a package upgrade does: new content, a slightly different size.
    f.size = Math.max(1, Math.round(f.size * (0.95 + rng.next() * 0.15)));
    writeFile(fs.dir, f, 2, mtime);
  }
  for (; state.deleted < wantChurn; state.deleted++) {
    const f = fs.files[fs.order[n - 1 - state.deleted] as number] as RootFile;
    unlinkSync(join(fs.dir, f.rel));
    touched.push(f.rel);
  }
  for (; state.added < wantChurn; state.added++) {
    const model = fs.files[fs.order[Math.floor(n / 2) + state.added] as number] as RootFile;
    const f: RootFile = { rel: `${dirname(model.rel)}/new${state.added}-${model.rel.split("/").pop()}`, kind: model.kind, size: model.size };
    writeFile(fs.dir, f, 2, mtime);
    fs.files.push(f);
    touched.push(f.rel);
  }
  // Only the directories whose entries changed get a new mtime, as on a real filesystem.
  for (const rel of touched) utimesSync(join(fs.dir, dirname(rel)), mtime, mtime);
  const changed = fs.order.slice(0, state.changed).map((i) => (fs.files[i] as RootFile).rel);
  const added = fs.files.slice(n).map((f) => f.rel);
  const deleted = fs.order.slice(n - state.deleted).map((i) => (fs.files[i] as RootFile).rel);
  const sizeOf = new Map(fs.files.map((f) => [f.rel, f.size]));
  const bytes = [...changed, ...added].reduce((s, rel) => s + (sizeOf.get(rel) ?? 0), 0);
  return { changed, added, deleted, bytes };
}
