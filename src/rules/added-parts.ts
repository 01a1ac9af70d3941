/**
 * Values that already hold a part the program (or the tool it drives) adds
 * itself: given twice, the host gets `host:51820:51820` or `.../message/message`.
 * Each rule names who adds the part, so the message can say what to leave out.
 */
import { isIP } from "node:net";
import { type Problem, problem } from "../problems";
import type { SiteSpec } from "../site/schema";

/**
 * A host name or address given with a port (`host:51820`, `[2001:db8::1]:51820`),
 * where the port is a field of its own. A bare IPv6 address has colons too.
 */
export function hasPort(host: string): boolean {
  if (isIP(host) === 6) return false;
  return /^\[.*\]:\d+$/.test(host) || /^[^:]+:\d*$/.test(host);
}

/** The host part of {@link hasPort}'s `host:port`. */
export const withoutPort = (host: string) => host.replace(/:\d*$/, "").replace(/^\[(.*)\]$/, "$1");

export function validateAddedParts(site: SiteSpec): Problem[] {
  const base = `sites.${site.name}`;
  const problems: Problem[] = [];
  const { endpoint, port } = site.siteLink;
  if (hasPort(endpoint)) {
    // SiteLink writes `Endpoint = <endpoint>:<port>` into each peer's wg-quick file.
    problems.push(problem(`${base}.siteLink.endpoint`, endpoint, `the host name or address alone, such as ${JSON.stringify(withoutPort(endpoint))}: the port is siteLink.port (${port}), added to it`));
  }
  const gotify = site.backup.gotify?.server;
  if (gotify !== undefined) {
    const url = new URL(gotify);
    // PVE's and PBS's Gotify targets and unit-failed.sh post to `<server>/message`; the token travels in a header.
    if (/\/message\/?$/.test(url.pathname)) {
      problems.push(problem(`${base}.backup.gotify.server`, gotify, `the server's URL alone, such as ${JSON.stringify(`${url.origin}${url.pathname.replace(/\/message\/?$/, "")}`)}: /message is added to it`));
    }
    if (url.search !== "" || url.username !== "" || url.password !== "") {
      problems.push(problem(`${base}.backup.gotify.server`, "a URL with a query or a user", "the server's URL with no query or user: the token is the stack's secret gotifyToken, sent in a header"));
    }
  }
  // PBS creates the chunk store `.chunks` inside the datastore's directory (proxmox-backup's ChunkStore::create).
  if (/\/\.chunks\/?$/.test(site.backupServer.path)) {
    problems.push(problem(`${base}.backupServer.path`, site.backupServer.path, `the datastore's own directory, such as ${JSON.stringify(site.backupServer.path.replace(/\/\.chunks\/?$/, ""))}: PBS makes .chunks inside it`));
  }
  for (const d of site.datastores) {
    // A dir storage keeps templates under <path>/template/cache (PVE::Storage::Plugin's get_subdir).
    if (d.path !== undefined && /\/template\/cache\/?$/.test(d.path)) {
      problems.push(problem(`${base}.datastores[${d.id}].path`, d.path, `the storage's mount path, such as ${JSON.stringify(d.path.replace(/\/template\/cache\/?$/, ""))}: Proxmox adds template/cache (and dump, images, private) itself`));
    }
  }
  return problems;
}
