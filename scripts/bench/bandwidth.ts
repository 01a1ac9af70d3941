/**
 * The bandwidth check: the pull of one incompressible archive, with no basis
 * (everything crosses), under BWLIMIT_KBPS = St Hilaire's budget as the program
 * computes it (its upload times its offsite share). Two measures of the rate:
 * rsync's own (status.json bytesOnWire / seconds, which includes connecting)
 * and the relay's (bytes that came down the archive's ssh session between its
 * first and last byte, ssh framing included: what the uplink carries).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { directionsOf } from "../../src/offsite/directions";
import { PAIRING } from "../../src/offsite/pairing";
import { validateSiteSpecs } from "../../src/program";
import { rouans } from "../../stacks/rouans";
import { sthilaire } from "../../stacks/sthilaire";
import type { PullSite } from "./pull-site";
import { noise } from "./seeded";
import { COMPRESSORS, compress, dumpBase, sizeOf, tarFiles, writeDumpLog } from "./vzdump";

export interface BandwidthFigures {
  readonly direction: string;
  readonly budgetKiBps: number;
  readonly archiveBytes: number;
  readonly ok: boolean;
  readonly errors: string[];
  /** rsync's bytes (both directions) over the script's seconds for the transfer. */
  readonly rsyncBytesPerSecond: number;
  readonly rsyncShareOfBudget: number;
  /** Bytes down the archive's ssh session over the time between its first and last byte. */
  readonly linkBytesPerSecond: number;
  readonly linkShareOfBudget: number;
  readonly seconds: number;
}

/** The budget, KiB/s, of the slow direction (St Hilaire's uplink, pulled by Rouans). */
export function slowBudgetKiBps(): { direction: string; kibps: number } {
  const { sites, problems } = validateSiteSpecs([rouans, sthilaire]);
  if (problems.length > 0) throw new Error(`the committed sites do not validate: ${JSON.stringify(problems)}`);
  const d = directionsOf(PAIRING, sites).find((x) => x.source === "sthilaire");
  if (d === undefined) throw new Error("no direction pulls sthilaire");
  return { direction: `${d.source} -> ${d.holder} (${d.budgetMbps} Mbit/s)`, kibps: d.bwlimitKiBps };
}

/** Pulls an archive sized for about `seconds` at the budget; returns the measured rates. */
export async function measureBandwidth(site: PullSite, work: string, seconds: number): Promise<BandwidthFigures> {
  const { direction, kibps } = slowBudgetKiBps();
  const vmid = 299;
  const epoch = Date.UTC(2026, 10, 24, 1, 30, 2) / 1000;
  const dir = join(work, "bandwidth");
  mkdirSync(join(dir, "root"), { recursive: true });
  writeFileSync(join(dir, "root", "media.bin"), noise("bandwidth", Math.round(kibps * 1024 * seconds)));
  tarFiles(join(dir, "root"), ["media.bin"], join(dir, "list"), join(dir, "bw.tar"));
  const base = dumpBase(vmid, epoch);
  const archive = join(dir, `${base}.tar.gz`);
  compress(COMPRESSORS.gzip, join(dir, "bw.tar"), archive);
  writeDumpLog(dir, base, vmid, ["tar"], COMPRESSORS.gzip, sizeOf(archive));
  site.stage([archive, join(dir, `${base}.log`)], []);
  const run = await site.pull({ BWLIMIT_KBPS: String(kibps), EXPECTED_VMIDS: String(vmid), NOW_EPOCH: String(epoch + 3600) }, (seconds * 4 + 30) * 1000);
  const pulled = run.status?.pulled[0];
  const errors = [
    ...(run.code === 0 ? [] : [`pull exited ${run.code}: ${run.stderr.trim().split("\n").slice(-3).join(" ")}`]),
    ...(run.status?.errors ?? ["no status.json"]),
    ...(pulled ? [] : ["nothing pulled"]),
  ];
  const budget = kibps * 1024;
  const rsyncRate = pulled && pulled.seconds > 0 ? pulled.bytesOnWire / pulled.seconds : 0;
  const linkRate = run.transferSeconds > 0 ? run.transferDown / run.transferSeconds : 0;
  return {
    direction,
    budgetKiBps: kibps,
    archiveBytes: pulled?.archiveBytes ?? 0,
    ok: errors.length === 0,
    errors,
    rsyncBytesPerSecond: Math.round(rsyncRate),
    rsyncShareOfBudget: rsyncRate / budget,
    linkBytesPerSecond: Math.round(linkRate),
    linkShareOfBudget: linkRate / budget,
    seconds: pulled?.seconds ?? 0,
  };
}
