/**
 * The guests of another site that run on this host since a failover (the stack
 * config's `hosting`), and their firewall compiled for here. A restored guest
 * keeps the firewall of its backup (pct restore copies `pct.fw`), which names
 * its own site's addresses: the mail's submission to the relay would be dropped
 * both ways. Here every address is the one it has on this host: its own, those
 * of the guests it talks to (placed by the same placement as the runbook's
 * failover), this LAN and this site's admin networks.
 */
import { type Problem, problem } from "../problems";
import { placeFailover } from "../runbook/capacity";
import type { ContainerSpec, SiteSpec } from "../site/schema";
import { type FirewallRule, containerRules } from "./compile";

/** One guest of another site that runs here. */
export interface HostedGuest {
  /** The site it belongs to. */
  readonly site: string;
  readonly spec: ContainerSpec;
  /** Its IPv4 address with prefix on this host's LAN. */
  readonly ipv4: string;
  /** Its firewall on this host. */
  readonly rules: FirewallRule[];
}

/** The name of the program's component for the firewall of `service` of `lost` hosted on `here`. */
export const hostedFirewallName = (here: string, lost: string, service: string): string => `${here}-hosted-${lost}-${service}`;

/** The config entry of a guest: `<site>/<service>`. */
export const hostingEntry = (site: string, service: string): string => `${site}/${service}`;

/**
 * The lost site as its failed-over guests see it from `here`: their addresses
 * here (IPv4 only: its IPv6 prefix is not routed here), this LAN, the admin
 * networks that reach this host, and this host (the one whose alarms a hosted
 * relay now carries, if any). The others keep their own addresses.
 */
export function failoverView(lost: SiteSpec, here: SiteSpec, addresses: ReadonlyMap<number, string>): SiteSpec {
  return {
    ...lost,
    network: here.network,
    firewall: { ...lost.firewall, adminNetworks: here.firewall.adminNetworks, localNetwork: here.firewall.localNetwork },
    containers: lost.containers.map((c) => {
      const ipv4 = addresses.get(c.vmid);
      return ipv4 === undefined ? c : { ...c, network: { ipv4 } };
    }),
  };
}

/**
 * The guests `hosting` names, placed on `here` as a failover places them, or
 * every problem: an unknown site or service, guests of more than one site
 * (a failover takes one lost site), or a placement that does not fit.
 */
export function hostedGuests(here: SiteSpec, sites: readonly SiteSpec[], hosting: readonly string[]): { ok: true; guests: HostedGuest[] } | { ok: false; problems: Problem[] } {
  if (hosting.length === 0) return { ok: true, guests: [] };
  const path = `config[${here.name}].hosting`;
  const problems: Problem[] = [];
  const others = sites.filter((s) => s.name !== here.name);
  const named = hosting.map((entry) => {
    const [siteName = "", service = ""] = entry.split("/");
    const site = others.find((s) => s.name === siteName);
    const spec = site?.containers.find((c) => c.name === service);
    if (site === undefined) problems.push(problem(path, entry, `<site>/<service> of another site: ${others.map((s) => s.name).join(", ")}`));
    else if (spec === undefined) problems.push(problem(path, entry, `a service of ${site.name}: ${site.containers.map((c) => c.name).join(", ")}`));
    return { site, spec };
  });
  const lostSites = [...new Set(named.flatMap((n) => (n.site === undefined ? [] : [n.site])))];
  if (lostSites.length > 1) problems.push(problem(path, hosting.join(", "), `guests of one site: a failover takes one lost site (found ${lostSites.map((s) => s.name).join(", ")})`));
  const lost = lostSites[0];
  if (problems.length > 0 || lost === undefined) return { ok: false, problems };

  // In start order, as the runbook places them: the same guests get the same addresses.
  const services = lost.containers.filter((c) => named.some((n) => n.spec === c)).sort((a, b) => a.startup.order - b.startup.order);
  const placed = placeFailover(lost, here, services);
  if (!placed.ok) return { ok: false, problems: placed.problems.map((p) => ({ ...p, path: `${path}: ${p.path}` })) };
  const view = failoverView(lost, here, placed.placement.addresses);
  return {
    ok: true,
    guests: services.map((c) => {
      const spec = view.containers.find((x) => x.vmid === c.vmid) as ContainerSpec;
      return { site: lost.name, spec, ipv4: spec.network.ipv4, rules: containerRules(view, spec) };
    }),
  };
}
