/**
 * Lists whose entries must differ, and the argv of a health check. Zod checks each
 * entry alone; a second mount point on the same path, a tag given twice or a
 * firewall rule pasted twice are only seen when the entries are compared.
 */
import { hostAddress } from "../firewall/compile";
import { type Problem, problem } from "../problems";
import type { ContainerSpec, SiteSpec } from "../site/schema";
import { canonicalAddress, parseCidr } from "./net";

type Rule = ContainerSpec["firewall"]["inbound"][number] | ContainerSpec["firewall"]["outbound"][number];

/**
 * Every entry whose key an earlier entry of the list already has, named by its
 * own path, with the path of the first one.
 */
function repeats<T>(items: readonly T[], keyOf: (item: T) => string, pathOf: (item: T, i: number) => string, what: string, shown: (item: T) => unknown): Problem[] {
  const first = new Map<string, string>();
  const problems: Problem[] = [];
  items.forEach((item, i) => {
    const key = keyOf(item);
    const path = pathOf(item, i);
    const owner = first.get(key);
    if (owner === undefined) first.set(key, path);
    else problems.push(problem(path, shown(item), `${what} not already in the list (${owner} has it)`));
  });
  return problems;
}

/** A firewall rule as Proxmox applies it: the same protocol, peer and ports is the same rule, whatever its comment. */
function ruleKey(rule: Rule): string {
  const peer = "from" in rule ? rule.from : rule.to;
  const ports = (rule.ports ?? []).map(String).sort();
  return JSON.stringify([rule.proto, peer, ports]);
}

/** A mount path as the container sees it: `/srv/data/` is `/srv/data`. */
export const mountPathKey = (path: string) => path.replace(/\/+$/, "") || "/";

/** Duplicates inside one container's own lists. */
function containerRepeats(site: SiteSpec, c: ContainerSpec): Problem[] {
  const base = `sites.${site.name}.containers[${c.name}]`;
  const rules = (direction: "inbound" | "outbound") =>
    [
      ...repeats(c.firewall[direction], ruleKey, (_r, i) => `${base}.firewall.${direction}[${i}]`, "a rule (protocol, peer and ports)", (r) => r.comment),
      ...c.firewall[direction].flatMap((r, i) =>
        repeats(r.ports ?? [], String, (_p, j) => `${base}.firewall.${direction}[${i}].ports[${j}]`, "a port", (p) => p),
      ),
    ];
  return [
    // Each mount point is one `mpN` of the container: two with one name or one path cannot both exist.
    ...repeats(c.mountPoints, (m) => m.name, (m, i) => `${base}.mountPoints[${i}].name`, "a mount point name", (m) => m.name),
    ...repeats(c.mountPoints, (m) => mountPathKey(m.path), (m, i) => `${base}.mountPoints[${c.mountPoints.filter((o) => o.name === m.name).length > 1 ? i : m.name}].path`, "a mount path", (m) => m.path),
    // Proxmox keeps a tag once: a repeated one would show as a change on every preview.
    ...repeats(c.tags, (t) => t, (_t, i) => `${base}.tags[${i}]`, "a tag", (t) => t),
    ...rules("inbound"),
    ...rules("outbound"),
  ];
}

/** Duplicates inside a site's own lists. */
function siteRepeats(site: SiteSpec): Problem[] {
  const base = `sites.${site.name}`;
  const address = (text: string) => {
    const cidr = parseCidr(text);
    return cidr === undefined ? text : `${canonicalAddress(hostAddress(text))}/${cidr.prefix}`;
  };
  return [
    ...repeats(site.backup.mailTo, (m) => m.toLowerCase(), (_m, i) => `${base}.backup.mailTo[${i}]`, "an address", (m) => m),
    ...repeats(site.firewall.adminNetworks, address, (_n, i) => `${base}.firewall.adminNetworks[${i}]`, "a network", (n) => n),
    ...Object.entries(site.firewall.hosts).flatMap(([name, list]) => repeats(list, address, (_a, i) => `${base}.firewall.hosts.${name}[${i}]`, "an address", (a) => a)),
    ...site.datastores.flatMap((d) => repeats(d.content, (x) => x, (_x, i) => `${base}.datastores[${d.id}].content[${i}]`, "a content type", (x) => x)),
    ...repeats(site.host.disks, (d) => d, (_d, i) => `${base}.host.disks[${i}]`, "a disk", (d) => d),
  ];
}

/** Every list of every site and container whose entries must differ. */
export function validateLists(site: SiteSpec): Problem[] {
  return [...siteRepeats(site), ...site.containers.flatMap((c) => containerRepeats(site, c))];
}

/**
 * A health check runs as `pct exec <vmid> -- <word> <word> ...`, with no shell
 * between: `["postfix status"]` would look for a program named "postfix status",
 * and `["sudo", "-u www-data", ...]` hands sudo one option with a space in it.
 * A later word may hold spaces (a `sh -c` script, a text to match); the program
 * and an option may not. Nor may the check repeat what the drill adds itself.
 */
export function validateHealthChecks(site: SiteSpec): Problem[] {
  return site.containers.flatMap((c) => {
    const path = `sites.${site.name}.containers[${c.name}].healthCheck.command`;
    const [program = ""] = c.healthCheck.command;
    if (program === "pct" || program === "lxc-attach" || program === "--") {
      return [problem(path, c.healthCheck.command, `the command inside the container alone, such as ["postfix", "status"]: the drill runs it with pct exec <vmid> -- itself`)];
    }
    return c.healthCheck.command.flatMap((word, i) => {
      if (!/\s/.test(word.trim()) || (i > 0 && !word.startsWith("-"))) return [];
      const words = word.trim().split(/\s+/);
      return [problem(`${path}[${i}]`, word, `one word per item, such as ${JSON.stringify(words)}: the check runs with no shell, so "${word}" would be one ${i === 0 ? "program name" : "option"} with spaces in it`)];
    });
  });
}
