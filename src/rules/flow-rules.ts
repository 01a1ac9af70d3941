/**
 * Each container's openings against what its kind of service needs
 * (src/firewall/service-needs.ts): every needed flow open, and nothing else.
 * Compared port by port and peer by peer, on the spec (a peer service is its
 * name, an outside host its key), so that a problem names the service, the
 * flow and the rule to write or remove.
 */
import { type Problem, problem } from "../problems";
import type { ContainerSpec, FirewallPeer, SiteSpec } from "../site/schema";
import { type NeedPeer, type NeededFlow, neededFlows } from "../firewall/service-needs";
import { portRange, validatePeer } from "./firewall-rules";

/** One port of one rule: `in tcp 143 from internet`. */
type Opening = string;

const peerWord = (type: "in" | "out") => (type === "in" ? "from" : "to");

function peerKey(peer: FirewallPeer): string {
  if (typeof peer === "string") return peer;
  return "service" in peer ? `service ${peer.service}` : `host ${peer.host}`;
}

const opening = (type: "in" | "out", proto: string, port: number | string, peer: string): Opening => `${type} ${proto} ${port} ${peerWord(type)} ${peer}`;

/** The site's peers a need stands for: one per service of its kind, or itself. */
function peersOf(site: SiteSpec, peer: NeedPeer): string[] {
  if (typeof peer === "string") return [peer];
  if ("host" in peer) return [`host ${peer.host}`];
  return site.containers.filter((c) => c.kind === peer.kind).map((c) => `service ${c.name}`);
}

/**
 * The spec's openings, port by port. A rule the other checks refuse (an unknown
 * peer, no ports on tcp or udp, ports on icmp, a port out of range) is theirs
 * to name: counted here too, it would only repeat them.
 */
function specOpenings(site: SiteSpec, c: ContainerSpec): Opening[] {
  const rules = [...c.firewall.inbound.map((r) => ({ ...r, type: "in" as const, peer: r.from })), ...c.firewall.outbound.map((r) => ({ ...r, type: "out" as const, peer: r.to }))];
  const known = (peer: FirewallPeer) => validatePeer(site, peer, "").length === 0;
  const validPort = (p: number | string) => typeof portRange(p) !== "string";
  const wellFormed = (r: (typeof rules)[number]) => known(r.peer) && (r.proto === "icmp" ? r.ports === undefined : r.ports !== undefined && r.ports.every(validPort));
  return rules.filter(wellFormed).flatMap((r) => (r.ports ?? ["*"]).map((p) => opening(r.type, r.proto, p, peerKey(r.peer))));
}

function containerProblems(site: SiteSpec, c: ContainerSpec): Problem[] {
  const path = (type: "in" | "out") => `sites.${site.name}.containers[${c.name}].firewall.${type === "in" ? "inbound" : "outbound"}`;
  const problems: Problem[] = [];
  const needed = new Map<Opening, NeededFlow>();
  const takesHostAlarms = site.backup.alarmPath.via === "relay" && site.backup.alarmPath.container === c.name;
  for (const need of neededFlows(c.kind, takesHostAlarms)) {
    const peers = peersOf(site, need.peer);
    if (peers.length === 0 && need.eachOfKind !== true && typeof need.peer === "object" && "kind" in need.peer) {
      problems.push(problem(path(need.type), `no ${need.peer.kind} service on ${site.name}`, `one for ${c.name}'s ${need.flow} (a ${c.kind} needs it)`));
    }
    for (const peer of peers) for (const port of need.ports) needed.set(opening(need.type, need.proto, port, peer), need);
  }
  const open = new Set(specOpenings(site, c));
  // Missing openings, gathered per flow and peer: one problem names the flow and every port it lacks.
  const missing = new Map<string, { need: NeededFlow; ports: (number | string)[]; where: string }>();
  for (const [key, need] of needed) {
    if (open.has(key)) continue;
    const [type, proto, port, , ...peer] = key.split(" ");
    const where = `${type} ${proto} %s ${peerWord(need.type)} ${peer.join(" ")}`;
    const entry = missing.get(`${need.flow}\u0000${where}`) ?? { need, ports: [], where };
    entry.ports.push(port ?? "");
    missing.set(`${need.flow}\u0000${where}`, entry);
  }
  for (const { need, ports, where } of missing.values()) {
    problems.push(problem(path(need.type), `no ${where.replace("%s", ports.join(","))}`, `${need.flow}: a ${c.kind} needs it (${need.source})`));
  }
  for (const key of open) {
    if (needed.has(key)) continue;
    const type = key.startsWith("in ") ? "in" : "out";
    problems.push(problem(path(type), key, `only the flows a ${c.kind} needs (src/firewall/service-needs.ts): remove it, or add the flow there with its source`));
  }
  return problems;
}

/** Every container of the site: its openings are exactly what its kind needs. */
export function serviceFlowProblems(site: SiteSpec): Problem[] {
  return site.containers.flatMap((c) => containerProblems(site, c));
}
