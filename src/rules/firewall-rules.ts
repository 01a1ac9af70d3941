/**
 * Firewall rules of the site specs that zod's shapes cannot say: ports in range,
 * references that resolve, SSH kept to the admin path, and admin networks that
 * neither lock everyone out nor let a container or a peer host in.
 */
import { ADMIN_PORTS, hostAddress } from "../firewall/compile";
import { type Problem, problem } from "../problems";
import type { ContainerSpec, FirewallPeer, SiteSpec } from "../site/schema";
import { type Cidr, inSubnet, parseCidr } from "./net";

type RuleSpec = ContainerSpec["firewall"]["inbound"][number] | ContainerSpec["firewall"]["outbound"][number];

/** A port or `first:last` range as numbers, or why it is not one. */
export function portRange(port: number | string): { first: number; last: number } | string {
  const [first, last] = typeof port === "number" ? [port, port] : port.split(":").map(Number);
  if (first === undefined || last === undefined) return "a port or a range first:last";
  if (first < 1 || last > 65535) return "ports in 1..65535";
  if (first > last) return "a range whose first port is below its last";
  return { first, last };
}

/** A rule's peer resolves: a container of the site, or a host named in `firewall.hosts`. */
export function validatePeer(site: SiteSpec, peer: FirewallPeer, path: string): Problem[] {
  if (typeof peer === "string") return [];
  if ("service" in peer) {
    if (site.containers.some((c) => c.name === peer.service)) return [];
    return [problem(`${path}.service`, peer.service, `a container of ${site.name} (${site.containers.map((c) => c.name).join(", ")})`)];
  }
  if (site.firewall.hosts[peer.host] !== undefined) return [];
  const known = Object.keys(site.firewall.hosts);
  return [problem(`${path}.host`, peer.host, `a host named in sites.${site.name}.firewall.hosts (${known.length > 0 ? known.join(", ") : "none yet"})`)];
}

function validateRule(site: SiteSpec, rule: RuleSpec, path: string, direction: "in" | "out"): Problem[] {
  const problems: Problem[] = [];
  const peer = "from" in rule ? rule.from : rule.to;
  problems.push(...validatePeer(site, peer, `${path}.${direction === "in" ? "from" : "to"}`));
  if (rule.proto === "icmp") {
    if (rule.ports !== undefined) problems.push(problem(`${path}.ports`, rule.ports, "no ports for icmp"));
    return problems;
  }
  if (rule.ports === undefined) {
    problems.push(problem(`${path}.ports`, undefined, `the ${rule.proto} ports it opens (a rule never opens every port)`));
    return problems;
  }
  rule.ports.forEach((port, i) => {
    const range = portRange(port);
    if (typeof range === "string") {
      problems.push(problem(`${path}.ports[${i}]`, port, range));
    } else if (direction === "in" && rule.proto === "tcp" && peer !== "admin" && range.first <= ADMIN_PORTS.ssh && ADMIN_PORTS.ssh <= range.last) {
      problems.push(problem(`${path}.ports[${i}]`, port, `no SSH (${ADMIN_PORTS.ssh}) from ${JSON.stringify(peer)}: SSH is for the admin networks, and every container already has that rule`));
    }
  });
  return problems;
}

/** What an admin network must not contain: each container's address and each site's tunnel address. */
function guardedAddresses(sites: readonly SiteSpec[]): { address: string; what: string }[] {
  return sites.flatMap((s) => [
    ...s.containers.flatMap((c) =>
      [c.network.ipv4, c.network.ipv6].flatMap((a) => (a === undefined ? [] : [{ address: hostAddress(a), what: `${s.name}'s container ${c.name}` }])),
    ),
    { address: s.siteLink.address, what: `${s.name}'s site-link address` },
  ]);
}

/** The admin networks of a site and the outside hosts its rules name. */
function validateNetworks(site: SiteSpec, sites: readonly SiteSpec[]): Problem[] {
  const problems: Problem[] = [];
  const base = `sites.${site.name}.firewall`;
  const guarded = guardedAddresses(sites);
  site.firewall.adminNetworks.forEach((text, i) => {
    const cidr = parseCidr(text);
    const path = `${base}.adminNetworks[${i}]`;
    if (cidr === undefined) {
      problems.push(problem(path, text, "a network with its prefix, such as 10.99.0.0/24"));
    } else if (cidr.prefix === 0) {
      problems.push(problem(path, text, "a network narrower than the whole Internet (the admin path is the VPN or an admin workstation)"));
    } else {
      const inside = guarded.find((g) => inSubnet(g.address, cidr));
      if (inside !== undefined) problems.push(problem(path, text, `a network without ${inside.what} (${inside.address}): a broken-into container or host must not reach the hosts' API and SSH`));
    }
  });
  const local = hostOnLan(site, site.firewall.localNetwork);
  const taken = guarded.find((g) => local !== undefined && g.address === local.address);
  if (local === undefined) {
    problems.push(
      problem(
        `${base}.localNetwork`,
        site.firewall.localNetwork,
        `the host's own address in ${site.network.ipv4.subnet}, as a /32 (Proxmox adds it to the management set: a wider network lets the whole of it reach the API and SSH)`,
      ),
    );
  } else if (taken !== undefined || local.address === site.network.ipv4.gateway) {
    problems.push(problem(`${base}.localNetwork`, site.firewall.localNetwork, `the host's own address, not ${taken?.what ?? "the gateway"}'s`));
  }
  problems.push(...vpnProblems(site));
  for (const [name, addresses] of Object.entries(site.firewall.hosts)) {
    addresses.forEach((text, i) => {
      if (parseCidr(text) === undefined) problems.push(problem(`${base}.hosts.${name}[${i}]`, text, "an address with its prefix, such as 203.0.113.25/32"));
    });
  }
  return problems;
}

/** One machine of the site's LAN as a /32 (the host, a LAN box), or undefined when `text` is not one. */
function hostOnLan(site: SiteSpec, text: string): Cidr | undefined {
  const cidr = parseCidr(text);
  const subnet = parseCidr(site.network.ipv4.subnet);
  if (cidr === undefined || cidr.family !== "ipv4" || cidr.prefix !== 32 || (subnet !== undefined && !inSubnet(cidr.address, subnet))) return undefined;
  return cidr;
}

/**
 * The operators' VPN: on the host, a port of its own; on a LAN box that
 * masquerades, the box's address among the admin networks (the operators
 * arrive from it), inside the LAN.
 */
function vpnProblems(site: SiteSpec): Problem[] {
  const vpn = site.firewall.operatorsVpn;
  const path = `sites.${site.name}.firewall.operatorsVpn`;
  if (vpn.endsOn === "host") {
    return vpn.port === site.siteLink.port ? [problem(`${path}.port`, vpn.port, `a UDP port other than the site link's (${site.siteLink.port})`)] : [];
  }
  const box = hostOnLan(site, vpn.address);
  if (box === undefined) {
    return [problem(`${path}.address`, vpn.address, `the box's own address in ${site.network.ipv4.subnet}, as a /32`)];
  }
  if (vpn.masquerade && !site.firewall.adminNetworks.some((n) => { const net = parseCidr(n); return net !== undefined && inSubnet(box.address, net); })) {
    return [
      problem(
        `sites.${site.name}.firewall.adminNetworks`,
        site.firewall.adminNetworks,
        `${vpn.address} among them: the box masquerades the operators' VPN, so the hosts and containers see them coming from it, and would drop them (or stop masquerading and route the admin networks to the box)`,
      ),
    ];
  }
  return [];
}

/** Every firewall problem of every site. */
export function validateFirewalls(sites: readonly SiteSpec[]): Problem[] {
  return sites.flatMap((site) => [
    ...validateNetworks(site, sites),
    ...site.containers.flatMap((c) => {
      const path = `sites.${site.name}.containers[${c.name}].firewall`;
      return [
        ...c.firewall.inbound.flatMap((r, i) => validateRule(site, r, `${path}.inbound[${i}]`, "in")),
        ...c.firewall.outbound.flatMap((r, i) => validateRule(site, r, `${path}.outbound[${i}]`, "out")),
      ];
    }),
  ]);
}
