/**
 * Each site's line, booked once: every nightly pull crosses the source's upload
 * and the holder's download, each capped at its pair's budget by its own job
 * (PBS's `rate-in` is per job). Two pulls on one line in the same hours add up:
 * a source pulled by two holders, or a holder pulling two sources, would use
 * the line at the sum of their budgets. The booking is that sum at its peak,
 * against what the line offers the other sites (the upload's `offsiteShare`,
 * the whole download). Pure.
 */
import type { SiteSpec } from "../site/schema";
import { minuteOfTime, minutesBetween, type SyncNight } from "./night";

export interface LinkBooking {
  readonly site: string;
  readonly direction: "upload" | "download";
  /** What the line offers the pulls, Mbit/s. */
  readonly capacityMbps: number;
  /** The most the pulls on it use at once, Mbit/s. */
  readonly peakMbps: number;
  /** When that peak starts (HH:MM). */
  readonly peakAt: string;
  /** The pulls on the line at that peak: `source -> holder`, with their budget and hours. */
  readonly sharedBy: readonly { readonly pull: string; readonly budgetMbps: number; readonly start: string; readonly end: string }[];
  /** peakMbps / capacityMbps, unrounded. */
  readonly share: number;
  readonly fits: boolean;
}

/** Whether a pull runs at minute `m` of the day (its end excluded). */
const runsAt = (s: SyncNight, m: number) => minutesBetween(minuteOfTime(s.start), m) < Math.max(1, minutesBetween(minuteOfTime(s.start), minuteOfTime(s.end)));

function booking(site: SiteSpec, direction: "upload" | "download", pulls: readonly SyncNight[]): LinkBooking {
  const capacityMbps = direction === "upload" ? site.uplink.upMbps * site.uplink.offsiteShare : site.uplink.downMbps;
  // The peak of a sum of windows is at one of their starts.
  let peak = { at: pulls[0]?.start ?? "00:00", mbps: 0, on: [] as SyncNight[] };
  for (const s of pulls) {
    const on = pulls.filter((p) => runsAt(p, minuteOfTime(s.start)));
    const mbps = on.reduce((sum, p) => sum + p.budgetMbps, 0);
    if (mbps > peak.mbps) peak = { at: s.start, mbps, on };
  }
  return {
    site: site.name,
    direction,
    capacityMbps,
    peakMbps: peak.mbps,
    peakAt: peak.at,
    sharedBy: peak.on.map((p) => ({ pull: `${p.source} -> ${p.holder}`, budgetMbps: p.budgetMbps, start: p.start, end: p.end })),
    share: capacityMbps > 0 ? peak.mbps / capacityMbps : Infinity,
    fits: peak.mbps <= capacityMbps,
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
