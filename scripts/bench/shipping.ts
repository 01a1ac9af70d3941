/**
 * The shipping cases: each night pulled by the real script from the loopback
 * sender, with yesterday's copy held (the delta) or nothing held (the plain
 * copy), and what rsync and the link report for it.
 */
import { basename, join } from "node:path";
import type { Nights, CompressorId, NightId } from "./nights";
import { type PullSite, sha256 } from "./pull-site";
import { COMPRESSORS } from "./vzdump";

export interface ShipCase {
  readonly id: string;
  readonly label: string;
  readonly compressor: CompressorId;
  readonly night: NightId;
  /** The night whose archive the holder already has (the basis), or null. */
  readonly basis: NightId | null;
}

export const CASES: readonly ShipCase[] = [
  { id: "gzip-delta", label: "gzip, 2% changed, yesterday's copy held", compressor: "gzip", night: "night2", basis: "night1" },
  { id: "gzip-plain-copy", label: "gzip, 2% changed, nothing held (plain copy)", compressor: "gzip", night: "night2", basis: null },
  { id: "gzip-delta-wide", label: "gzip, 10% changed, yesterday's copy held", compressor: "gzip", night: "night2wide", basis: "night1" },
  { id: "zstd-delta", label: "zstd as vzdump writes it, 2% changed, copy held", compressor: "zstd", night: "night2", basis: "night1" },
  { id: "zstd-plain-delta", label: "zstd without --rsyncable, 2% changed, copy held", compressor: "zstdPlain", night: "night2", basis: "night1" },
  { id: "gzip-reads-only", label: "gzip, nothing written, files read (atime moved)", compressor: "gzip", night: "night3reads", basis: "night2wide" },
];

export interface ShipFigures {
  readonly id: string;
  readonly label: string;
  readonly compressor: string;
  readonly night: NightId;
  readonly basis: string | null;
  readonly archiveBytes: number;
  /** "What changed" compressed the same way; null when nothing was written. */
  readonly changedCompressedBytes: number | null;
  /** rsync's bytes, both directions (status.json bytesOnWire). */
  readonly bytesOnWire: number;
  /** Bytes down the link (sender's uplink), ssh framing and the listing session included. */
  readonly linkDownBytes: number;
  readonly linkUpBytes: number;
  readonly wireOverArchive: number;
  readonly wireOverChanged: number | null;
  readonly linkDownOverChanged: number | null;
  /** The script's seconds for the transfer. */
  readonly seconds: number;
  readonly ok: boolean;
  readonly problems: string[];
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/** Pulls one case and checks what the script did: one archive, the expected basis, a faithful copy, a prune. */
export async function ship(site: PullSite, data: Nights, c: ShipCase, vmid: number): Promise<ShipFigures> {
  const night = data.nights[c.night];
  const archive = night.archives[c.compressor];
  const basisArchive = c.basis === null ? undefined : data.nights[c.basis].archives[c.compressor];
  if (archive === undefined || (c.basis !== null && basisArchive === undefined)) throw new Error(`case ${c.id}: archive missing`);
  const served = [archive.path, archive.logPath, ...(basisArchive ? [basisArchive.path, basisArchive.logPath] : [])];
  site.stage(served, basisArchive ? [basisArchive.path, basisArchive.logPath] : []);
  const run = await site.pull({ EXPECTED_VMIDS: String(vmid), NOW_EPOCH: String(night.epoch + 3 * 3600) }, 20 * 60_000);

  const problems: string[] = [];
  if (run.code !== 0) problems.push(`exit ${run.code}: ${run.stderr.trim().split("\n").slice(-3).join(" ")}`);
  if (run.status === null) problems.push("no status.json");
  for (const e of run.status?.errors ?? []) problems.push(e);
  const pulled = run.status?.pulled ?? [];
  const p = pulled[0];
  if (pulled.length !== 1 || p?.archive !== basename(archive.path)) problems.push(`pulled ${JSON.stringify(pulled.map((x) => x.archive))}, expected ${basename(archive.path)}`);
  const expectedBasis = basisArchive ? basename(basisArchive.path) : null;
  if (p && p.basis !== expectedBasis) problems.push(`basis ${p.basis}, expected ${expectedBasis}`);
  if (p && (await sha256(join(site.destDir, p.archive))) !== (await sha256(archive.path))) problems.push("the published copy differs from the sender's archive");
  if (!run.pvesmCalls.some((l) => l.startsWith(`pvesm prune-backups offsite-sthilaire --vmid ${vmid} --type lxc`))) {
    problems.push(`no prune of guest ${vmid}: pvesm calls ${JSON.stringify(run.pvesmCalls)}`);
  }
  const wire = p?.bytesOnWire ?? 0;
  const changed = night.changedCompressed[c.compressor] ?? null;
  return {
    id: c.id,
    label: c.label,
    compressor: COMPRESSORS[c.compressor].label,
    night: c.night,
    basis: p?.basis ?? null,
    archiveBytes: archive.bytes,
    changedCompressedBytes: changed,
    bytesOnWire: wire,
    linkDownBytes: run.tcpDown,
    linkUpBytes: run.tcpUp,
    wireOverArchive: round4(wire / archive.bytes),
    wireOverChanged: changed ? round4(wire / changed) : null,
    linkDownOverChanged: changed ? round4(run.tcpDown / changed) : null,
    seconds: p?.seconds ?? 0,
    ok: problems.length === 0,
    problems,
  };
}
