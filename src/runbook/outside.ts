/**
 * What a volunteer changes outside the hosts, in order, with the exact values
 * from the specs: the DNS records and their TTL, the ISP box's port forwards
 * (from each service's firewall openings to the Internet), the outbound mail
 * server's allow-list, the operators' SSH and TLS trust,
 * and where the spares, the carry disk and the contacts are.
 */
import { namespaceOf } from "../backup/names";
import { hostAddress } from "../firewall/compile";
import type { ContainerSpec, SiteSpec } from "../site/schema";

/** A service's openings to the Internet, as port-forward lines: `tcp 80,443`. */
function internetOpenings(c: ContainerSpec): string[] {
  return c.firewall.inbound.filter((r) => r.from === "internet").map((r) => `${r.proto} ${(r.ports ?? []).join(",")}`);
}

/** Ports a site's own containers already receive from the Internet: one public port goes to one address. */
function portsTaken(site: SiteSpec): Map<string, string> {
  const taken = new Map<string, string>();
  for (const c of site.containers) {
    for (const r of c.firewall.inbound.filter((x) => x.from === "internet")) for (const p of r.ports ?? []) taken.set(`${r.proto} ${p}`, c.name);
  }
  return taken;
}

/**
 * The Internet openings of `c` that the survivor's own services already take
 * (one public port reaches one address behind the ISP box), as `tcp 80,443 (nextcloud)`;
 * empty when the service can be reached once it runs.
 */
export function portClashes(survivor: SiteSpec, c: ContainerSpec): string[] {
  const taken = portsTaken(survivor);
  return c.firewall.inbound
    .filter((r) => r.from === "internet")
    .flatMap((r) => {
      const clashing = (r.ports ?? []).filter((p) => taken.has(`${r.proto} ${p}`));
      return clashing.length === 0 ? [] : [`${r.proto} ${clashing.join(",")} (${[...new Set(clashing.map((p) => taken.get(`${r.proto} ${p}`)))].join(", ")})`];
    });
}

const bare = (cidr: string | undefined) => (cidr === undefined ? "" : hostAddress(cidr));

/** The hosts outside the sites `c` sends to (the outbound mail server): each allows its sender's public address. */
const outsideHostsOf = (c: ContainerSpec): string[] => [...new Set(c.firewall.outbound.flatMap((r) => (typeof r.to === "object" && "host" in r.to ? [r.to.host] : [])))];

/**
 * The checklist of a failover of `services` from `lost` onto `survivor`, with
 * their new addresses there, in the order that loses no traffic: the port
 * forwards and allow-lists first, DNS last. It is done before the restores:
 * the lost site answers nothing meanwhile, and the TTL runs while they restore.
 */
export function failoverOutside(lost: SiteSpec, survivor: SiteSpec, services: readonly ContainerSpec[], addresses: ReadonlyMap<number, string>): string[] {
  const ttl = survivor.recovery.dns.ttlSeconds;
  const taken = portsTaken(survivor);
  const forwards: string[] = [];
  const allows: string[] = [];
  const dns: string[] = [];
  for (const c of services) {
    const to = bare(addresses.get(c.vmid));
    for (const opening of internetOpenings(c)) {
      const [proto = "", ports = ""] = opening.split(" ");
      const clashes = ports.split(",").filter((p) => taken.has(`${proto} ${p}`));
      forwards.push(
        `ISP box of ${survivor.name} (${survivor.recovery.ispBox}): forward ${opening} to ${to}` +
          (clashes.length === 0
            ? ""
            : `; ${proto} ${clashes.join(",")} already goes to ${survivor.name}'s ${[...new Set(clashes.map((p) => taken.get(`${proto} ${p}`)))].join(", ")}: one public port reaches one address, so ${c.name} needs another public address or a reverse proxy in front of both`),
      );
    }
    const hosts = outsideHostsOf(c);
    if (hosts.length > 0) allows.push(`${hosts.join(", ")}: allow ${survivor.recovery.publicIpv4} (${c.name} now sends from ${survivor.name})`);
    dns.push(
      `DNS (${lost.recovery.dns.editedAt}): the A records of the names ${c.hostname} serves, ${lost.recovery.publicIpv4} -> ${survivor.recovery.publicIpv4}; ` +
        `their AAAA records (${bare(c.network.ipv6) || "none"}) removed for now (${lost.name}'s IPv6 prefix is not routed to ${survivor.name}); clients follow within the TTL, ${ttl} s`,
    );
  }
  return [...forwards, ...allows, ...dns, "tell the members (status page, mailing list)", `contacts: ${lost.recovery.contacts.join("; ")}`];
}

/** Where the operators' VPN ends, and what the new host needs for it. */
function vpnNote(site: SiteSpec, host: string): string {
  const vpn = site.firewall.operatorsVpn;
  if (vpn.endsOn === "host") return `it ends on the host: its WireGuard configuration back on ${host} (UDP ${vpn.port})`;
  return vpn.masquerade
    ? `it ends on the LAN box ${vpn.address}, which masquerades it: nothing to change on the new host`
    : `it ends on the LAN box ${vpn.address}, routed: the ISP box routes ${site.firewall.adminNetworks.join(", ")} to it`;
}

/** The checklist of a new host in place of the lost one (rebuild and disk modes). */
export function rebuildOutside(lost: SiteSpec, ssh: string, carry: boolean): string[] {
  const host = ssh.split("@")[1] ?? ssh;
  return [
    `the spare hardware: ${lost.recovery.sparesAt}`,
    ...(carry ? [`the carry disk: ${lost.recovery.carryDisk.description}`] : []),
    `on each operator's machine: ssh-keygen -R ${host} (the new host has a new SSH key)`,
    `the new CA trusted: /etc/pve/pve-root-ca.pem as certs/${lost.name}-pve-root-ca.pem, installed as certs/README.md says`,
    `the operators' VPN reaches ${host} again (the firewall answers only ${lost.firewall.adminNetworks.join(", ")}): ${vpnNote(lost, host)}`,
    `ISP box (${lost.recovery.ispBox}), if it was replaced too: UDP ${lost.siteLink.port}${lost.firewall.operatorsVpn.endsOn === "host" ? ` and ${lost.firewall.operatorsVpn.port}` : ""} to ${host}, ${lost.siteLink.endpoint} pointing to ${lost.recovery.publicIpv4}, and ` +
      lost.containers.flatMap((c) => internetOpenings(c).map((o) => `${o} to ${bare(c.network.ipv4)} (${c.name})`)).join(", "),
    `nothing in DNS changes: the services come back on their own addresses (namespace ${namespaceOf(lost.name)} restores them as they were)`,
    `contacts: ${lost.recovery.contacts.join("; ")}`,
  ];
}

/**
 * The checklist of the way home after a failover: what `failoverOutside`
 * changed, undone for `services`, in the same order (forwards and allow-lists,
 * then DNS), so that nothing points at an address that no longer answers.
 */
export function failbackOutside(lost: SiteSpec, survivor: SiteSpec, services: readonly ContainerSpec[]): string[] {
  const forwards = services.flatMap((c) =>
    internetOpenings(c).map((o) => `ISP box of ${lost.name} (${lost.recovery.ispBox}): forward ${o} to ${bare(c.network.ipv4)} (${c.name}); ISP box of ${survivor.name}: remove the forward of ${o} to ${c.name}'s failover address`),
  );
  const allows = services.flatMap((c) => {
    const hosts = outsideHostsOf(c);
    return hosts.length === 0 ? [] : [`${hosts.join(", ")}: allow ${lost.recovery.publicIpv4} again, and drop ${survivor.recovery.publicIpv4} for ${c.name}`];
  });
  const dns = services.map(
    (c) =>
      `DNS (${lost.recovery.dns.editedAt}): the A records of the names ${c.hostname} serves, ${survivor.recovery.publicIpv4} -> ${lost.recovery.publicIpv4}; ` +
      `their AAAA records back (${bare(c.network.ipv6) || "none"}); clients follow within the TTL, ${lost.recovery.dns.ttlSeconds} s`,
  );
  return [...forwards, ...allows, ...dns, "tell the members (status page, mailing list)"];
}
