/**
 * Firewall pieces both sites share: where operators come from, the outside hosts
 * the rules name, and what every Debian container must reach whatever its service.
 */
import type { SiteSpecInput } from "../src/site/schema";

type OutboundRule = SiteSpecInput["containers"][number]["firewall"]["outbound"][number];

/**
 * The operators' WireGuard (volunteers' laptops and CI's preview): the only way to
 * the hosts' API and SSH and to the containers' SSH. Not a LAN: a container
 * broken into must not reach its host's API.
 */
export const adminNetworks = ["10.99.0.0/24"];

/** Where that VPN ends: on each host, its WireGuard on a port of its own (the ISP box forwards it). */
export const operatorsVpn = { endsOn: "host", port: 51821 } as const;

/** Outside hosts the rules name; the association fills in its own addresses. */
export const outsideHosts = {
  // The dedicated server that sends the mail out under the association's SPF, DKIM and rDNS.
  "outbound-server": ["203.0.113.25/32"],
};

/** What every Debian container sends out (src/firewall/service-needs.ts, where each comes from; no NTP: an unprivileged container keeps the host's clock). */
export const debianEssentials: OutboundRule[] = [
  { proto: "udp", ports: [53], to: "internet", comment: "DNS" },
  { proto: "tcp", ports: [53], to: "internet", comment: "DNS over TCP (large answers)" },
  { proto: "tcp", ports: [80, 443], to: "internet", comment: "Debian updates (apt checks their signatures)" },
];
