/**
 * The WireGuard configuration of the site link, rendered as text from the specs:
 * this host's tunnel address and port, and one peer section per site it
 * exchanges copies with, each allowed only its own tunnel address. Pure, so the
 * exact file is tested.
 */
import { isIP } from "node:net";
import type { SiteSpec } from "../site/schema";

/** Where the link lives on a host. */
export const LINK_PATHS = {
  privateKey: "/etc/wireguard/retzien.key",
  config: "/etc/wireguard/wg-retzien.conf",
  unit: "wg-quick@wg-retzien.service",
} as const;

/** The prefix of the tunnel network: every site's address is in it, each peer allowed its /32 only. */
export const LINK_PREFIX = 24;

/**
 * `wg-quick` configuration. The private key is read from its file at start-up
 * (`PostUp`), so the configuration holds no secret and can be rendered here.
 */
export function renderLinkConfig(site: SiteSpec, peers: readonly { site: SiteSpec; publicKey: string }[]): string {
  const lines = [
    "# Managed by retzien-infra (src/components/SiteLink.ts): the PBS of the paired sites talk through this tunnel only.",
    "[Interface]",
    `Address = ${site.siteLink.address}/${LINK_PREFIX}`,
    `ListenPort = ${site.siteLink.port}`,
    `PostUp = wg set %i private-key ${LINK_PATHS.privateKey}`,
  ];
  for (const p of [...peers].sort((a, b) => a.site.name.localeCompare(b.site.name))) {
    lines.push(
      "",
      `# ${p.site.name}`,
      "[Peer]",
      `PublicKey = ${p.publicKey}`,
      // wg-quick reads an IPv6 endpoint only in brackets: `[2001:db8::1]:51820`.
      `Endpoint = ${isIP(p.site.siteLink.endpoint) === 6 ? `[${p.site.siteLink.endpoint}]` : p.site.siteLink.endpoint}:${p.site.siteLink.port}`,
      `AllowedIPs = ${p.site.siteLink.address}/32`,
      // Residential links sit behind NAT: keep the mapping open both ways.
      "PersistentKeepalive = 25",
    );
  }
  return `${lines.join("\n")}\n`;
}
