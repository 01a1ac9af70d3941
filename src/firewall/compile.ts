/**
 * The Proxmox firewall rules of a host and of each container, compiled from the
 * site spec. Pure: the components only hand these to the provider, and the plan
 * and tests read the same lists.
 *
 * Proxmox refuses a rule whose address list mixes IPv4 and IPv6, so a source or
 * destination with both families becomes one rule per family.
 */
import { type Family, familyOf, parseCidr } from "../rules/net";
import type { ContainerSpec, FirewallPeer, SiteSpec } from "../site/schema";

/** One rule as Proxmox's firewall stores it (`/etc/pve/firewall/*.fw`). */
export interface FirewallRule {
  readonly type: "in" | "out";
  readonly action: "ACCEPT";
  readonly proto: "tcp" | "udp" | "icmp" | "ipv6-icmp";
  /** Destination ports, comma-separated; for icmp and ipv6-icmp, the ICMP type PVE names (`echo-request`). */
  readonly dport?: string;
  /** Source addresses of an inbound rule, one family; absent for anyone. */
  readonly source?: string;
  /** Destination addresses of an outbound rule, one family; absent for anyone. */
  readonly dest?: string;
  readonly comment: string;
}

/** The ports a host keeps for operators and CI. */
export const ADMIN_PORTS = { ssh: 22, proxmoxApi: 8006 } as const;
/** The PBS API the peers' pulls read. */
export const PBS_API_PORT = 8007;
/** The name Proxmox gives the IP set its own management rules (8006, 22, consoles) accept. */
export const MANAGEMENT_IPSET = "management";

/** The address of a container, without its prefix (a single host). */
export function hostAddress(cidr: string): string {
  return cidr.split("/")[0] ?? cidr;
}

/**
 * The addresses a peer stands for, or `undefined` for anyone. Assumes the spec
 * was validated: an unknown reference is a validation problem, not this one's.
 */
export function peerAddresses(site: SiteSpec, peer: FirewallPeer): readonly string[] | undefined {
  if (peer === "internet") return undefined;
  if (peer === "admin") return site.firewall.adminNetworks;
  if (peer === "site-host") return [site.firewall.localNetwork];
  if (peer === "lan") return [site.network.ipv4.subnet, ...(site.network.ipv6 === undefined ? [] : [site.network.ipv6.subnet])];
  if ("service" in peer) {
    const c = site.containers.find((x) => x.name === peer.service);
    if (c === undefined) return [];
    return [hostAddress(c.network.ipv4), ...(c.network.ipv6 === undefined ? [] : [hostAddress(c.network.ipv6)])];
  }
  return site.firewall.hosts[peer.host] ?? [];
}

/** Splits addresses by family: one list per family present, IPv4 first, with its family. */
function byFamily(addresses: readonly string[]): { family: Family; list: string[] }[] {
  const familyOfEntry = (a: string) => parseCidr(a)?.family ?? familyOf(a);
  return (["ipv4", "ipv6"] as const).map((family) => ({ family, list: addresses.filter((a) => familyOfEntry(a) === family) })).filter(({ list }) => list.length > 0);
}

interface RuleIntent {
  readonly type: "in" | "out";
  readonly proto: FirewallRule["proto"];
  readonly ports?: readonly (number | string)[];
  readonly comment: string;
  /** `undefined`: anyone. */
  readonly addresses: readonly string[] | undefined;
}

function expand(intent: RuleIntent): FirewallRule[] {
  const base = {
    type: intent.type,
    action: "ACCEPT" as const,
    proto: intent.proto,
    ...(intent.ports === undefined ? {} : { dport: intent.ports.join(",") }),
    comment: intent.comment,
  };
  if (intent.addresses === undefined) return [base];
  const side = intent.type === "in" ? "source" : "dest";
  return byFamily(intent.addresses).map(({ list }) => ({ ...base, [side]: list.join(",") }));
}

/**
 * Ping from the admin networks (their monitoring), each family with its own
 * protocol: PVE takes the ICMP type in `dport` for icmp and ipv6-icmp
 * (pve-firewall `verify_rule`: those protocols are its "special cases").
 */
function adminPing(site: SiteSpec): FirewallRule[] {
  return byFamily(site.firewall.adminNetworks).map(({ family, list }) => ({
    type: "in",
    action: "ACCEPT",
    proto: family === "ipv6" ? "ipv6-icmp" : "icmp",
    dport: "echo-request",
    source: list.join(","),
    comment: "ping, from the admin networks only (monitoring)",
  }));
}

/**
 * A container's rules: admin SSH and ping first, then its inbound and outbound
 * openings. Everything else is dropped (in) or rejected (out) by its policies.
 */
export function containerRules(site: SiteSpec, container: ContainerSpec): FirewallRule[] {
  const ssh: RuleIntent = { type: "in", proto: "tcp", ports: [ADMIN_PORTS.ssh], comment: "admin SSH, from the admin networks only", addresses: site.firewall.adminNetworks };
  const openings: RuleIntent[] = [
    ...container.firewall.inbound.map((r) => ({ type: "in" as const, proto: r.proto, ...(r.ports ? { ports: r.ports } : {}), comment: r.comment, addresses: peerAddresses(site, r.from) })),
    ...container.firewall.outbound.map((r) => ({ type: "out" as const, proto: r.proto, ...(r.ports ? { ports: r.ports } : {}), comment: r.comment, addresses: peerAddresses(site, r.to) })),
  ];
  return [...expand(ssh), ...adminPing(site), ...openings.flatMap(expand)];
}

/**
 * The host's own rules: its API and SSH from the admin networks, its PBS from
 * the linked peers' tunnel addresses, and the site link's WireGuard port (and the
 * operators' VPN's, when it ends on the host) from anywhere (WireGuard's keys
 * decide who gets in; an unknown key gets no answer).
 * @param linkedPeers the sites this host pulls from or is pulled by.
 */
export function hostRules(site: SiteSpec, linkedPeers: readonly SiteSpec[]): FirewallRule[] {
  const admin: RuleIntent = {
    type: "in",
    proto: "tcp",
    ports: [ADMIN_PORTS.ssh, ADMIN_PORTS.proxmoxApi],
    comment: "operators and CI: SSH and the Proxmox API, from the admin networks only",
    addresses: site.firewall.adminNetworks,
  };
  const openings: RuleIntent[] = [
    ...linkedPeers.map((peer) => ({
      type: "in" as const,
      proto: "tcp" as const,
      ports: [PBS_API_PORT],
      comment: `PBS API for ${peer.name}'s pulls, through the site link only`,
      addresses: [peer.siteLink.address],
    })),
    { type: "in", proto: "udp", ports: [site.siteLink.port], comment: "WireGuard of the site link", addresses: undefined },
    ...(site.firewall.operatorsVpn.endsOn === "host"
      ? [{ type: "in" as const, proto: "udp" as const, ports: [site.firewall.operatorsVpn.port], comment: "the operators' VPN, which ends on this host (its keys decide who gets in)", addresses: undefined }]
      : []),
  ];
  return [...expand(admin), ...adminPing(site), ...openings.flatMap(expand)];
}

/** One rule as one line, as the plan shows it: `in ACCEPT tcp 80,443 from anyone  # the sites`. */
export function describeRule(rule: FirewallRule): string {
  const where = rule.type === "in" ? `from ${rule.source ?? "anyone"}` : `to ${rule.dest ?? "anyone"}`;
  return `${rule.type} ${rule.action} ${rule.proto}${rule.dport === undefined ? "" : ` ${rule.dport}`} ${where}  # ${rule.comment}`;
}
