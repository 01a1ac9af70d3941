/**
 * What a byte PBS counts costs on the line. A pull's `rate-in` is enforced on
 * the TCP stream under TLS (proxmox-backup v4.2.0, pbs-client/src/http_client.rs:
 * `HttpClient::new` sets the connector's read limiter from `rate_in`), so it
 * counts TLS records; on the line each TCP segment also carries its TCP and IP
 * headers, the WireGuard header and tag with their outer UDP and IP headers,
 * and the line's own framing. A budget given as a share of the line is that
 * share of what the line carries: the rate PBS is given is smaller by this
 * factor. Pure.
 */
import type { SiteSpec } from "../site/schema";

export type LineFraming = SiteSpec["uplink"]["framing"];

/**
 * The packet the site link sends. wg-quick sets the tunnel's MTU to the route's
 * MTU less 80 (an IPv6 outer header's worth): 1420 on the hosts' 1500-byte
 * Ethernet, as nothing in this project sets it (src/offsite/site-link.ts).
 */
export const TUNNEL = {
  mtu: 1420,
  /** Inner IPv4 (20) and TCP (20) headers, with the timestamps option Linux sends (12). */
  innerHeaderBytes: 52,
  /** Outer IPv4 (20) and UDP (8), WireGuard's data header (16) and its Poly1305 tag (16). */
  outerHeaderBytes: 60,
} as const;

/**
 * Bytes each framing adds below IP, and the line code's own ratio. PPPoE: its
 * header and PPP's (8), Ethernet's header (14) and FCS (4); VDSL2 carries the
 * Ethernet frames in PTM, 65 bytes on the line for 64 (the 64/65-octet
 * encapsulation of VDSL2's PTM layer, ITU-T G.993.2: from the standard's common
 * description, not read in the standard itself nor measured here).
 * IPoE: Ethernet alone.
 */
const FRAMINGS: Record<LineFraming, { readonly bytes: number; readonly lineCode: number }> = {
  "vdsl2-pppoe": { bytes: 8 + 14 + 4, lineCode: 65 / 64 },
  pppoe: { bytes: 8 + 14 + 4, lineCode: 1 },
  ipoe: { bytes: 14 + 4, lineCode: 1 },
};

/** Bytes on the line for each byte PBS's rate counts: 1.118 on VDSL2 with PPPoE. */
export function wireOverheadOf(framing: LineFraming): number {
  const f = FRAMINGS[framing];
  const payload = TUNNEL.mtu - TUNNEL.innerHeaderBytes;
  const onLine = (TUNNEL.mtu + TUNNEL.outerHeaderBytes + f.bytes) * f.lineCode;
  return onLine / payload;
}

/** The rate PBS may be given so that what it sends takes `lineMbps` of the line. */
export const payloadMbpsOf = (lineMbps: number, framing: LineFraming): number => lineMbps / wireOverheadOf(framing);
