/**
 * Each site's line, booked once: every nightly pull crosses the source's upload
 * and the holder's download, each held to its `rate-in` by its own job (PBS's
 * `rate-in` is per job), and takes on each line that rate with the bytes TLS,
 * TCP, the tunnel and that line's framing add (src/backup/wire.ts). Two pulls
 * on one line in the same hours add up: a source pulled by two holders, or a
 * holder pulling two sources, would use the line at the sum. The booking is
 * that sum at its peak, against what the line offers the other sites (the
 * upload's `offsiteShare`, the whole download). Pure.
 */
import type { SiteSpec } from "../site/schema";
import { minuteOfTime, minutesBetween, type SyncNight } from "./night";
import { wireOverheadOf } from "./wire";

export interface LinkBooking {
  readonly site: string;
  readonly direction: "upload" | "download";
  /** What the line offers the pulls, Mbit/s. */
  readonly capacityMbps: number;
  /** The most the pulls on it use at once, Mbit/s. */
  readonly peakMbps: number;
  /** When that peak starts (HH:MM). */
  readonly peakAt: string;
  /** The pulls on the line at that peak: `source -> holder`, with what each takes of the line and their hours. */
  readonly sharedBy: readonly { readonly pull: string; readonly lineMbps: number; readonly start: string; readonly end: string }[];
  /** peakMbps / capacityMbps, unrounded. */
  readonly share: number;
  readonly fits: boolean;
}

/** Whether a pull runs at minute `m` of the day (its end excluded). */
const runsAt = (s: SyncNight, m: number) => minutesBetween(minuteOfTime(s.start), m) < Math.max(1, minutesBetween(minuteOfTime(s.start), minuteOfTime(s.end)));

function booking(site: SiteSpec, direction: "upload" | "download", pulls: readonly SyncNight[]): LinkBooking {
  const capacityMbps = direction === "upload" ? site.uplink.upMbps * site.uplink.offsiteShare : site.uplink.downMbps;
  // Unrounded: the rounded rate shown would book a VDSL upload at 100.01 %.
  const lineMbps = (p: SyncNight) => p.payloadMbps * wireOverheadOf(site.uplink.framing);
  // The peak of a sum of windows is at one of their starts.
  let peak = { at: pulls[0]?.start ?? "00:00", mbps: 0, on: [] as SyncNight[] };
  for (const s of pulls) {
    const on = pulls.filter((p) => runsAt(p, minuteOfTime(s.start)));
    const mbps = on.reduce((sum, p) => sum + lineMbps(p), 0);
    if (mbps > peak.mbps) peak = { at: s.start, mbps, on };
  }
  return {
    site: site.name,
    direction,
    capacityMbps,
    peakMbps: Math.round(peak.mbps * 100) / 100,
    peakAt: peak.at,
    sharedBy: peak.on.map((p) => ({ pull: `${p.source} -> ${p.holder}`, lineMbps: Math.round(lineMbps(p) * 100) / 100, start: p.start, end: p.end })),
    share: capacityMbps > 0 ? peak.mbps / capacityMbps : Infinity,
    // A hair's tolerance: a budget of exactly the line's share divides and multiplies back.
    fits: peak.mbps <= capacityMbps * (1 + 1e-9),
  };
}

/** Every site's upload and download, with the pulls that cross it. */
export function linkBookings(sites: readonly SiteSpec[], syncs: readonly SyncNight[]): LinkBooking[] {
  return sites.flatMap((site) => [
    booking(
      site,
      "upload",
      syncs.filter((s) => s.source === site.name),
    ),
    booking(
      site,
      "download",
      syncs.filter((s) => s.holder === site.name),
    ),
  ]);
}
