/**
 * The host's alarm path names what is there: a relay of this site (its
 * firewall's taking the host's mail is the flow check's), or an outside host of
 * `firewall.hosts` to submit to.
 */
import { type Problem, problem } from "../problems";
import type { SiteSpec } from "../site/schema";

export function alarmPathProblems(site: SiteSpec): Problem[] {
  const path = site.backup.alarmPath;
  const at = `sites.${site.name}.backup.alarmPath`;
  if (path.via === "relay") {
    const relays = site.containers.filter((c) => c.kind === "relay").map((c) => c.name);
    if (relays.includes(path.container)) return [];
    const expected = relays.length > 0 ? `a relay of ${site.name} (${relays.join(", ")})` : `a relay of ${site.name}, which has none: { via: "submission", ... } to an outside server instead`;
    return [problem(`${at}.container`, path.container, expected)];
  }
  if (site.firewall.hosts[path.host] !== undefined) return [];
  const known = Object.keys(site.firewall.hosts);
  return [problem(`${at}.host`, path.host, `a host named in sites.${site.name}.firewall.hosts (${known.length > 0 ? known.join(", ") : "none yet"}), with its addresses`)];
}
