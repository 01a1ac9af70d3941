/**
 * Both sites' PBS as a healthy night leaves them, as the PBS API would list
 * them: each guest's snapshots at home and at its holder, every job run OK,
 * usage near the planner's prediction. Tests break one thing at a time.
 */
import { directionsOf } from "../../src/offsite/directions";
import { PAIRING } from "../../src/offsite/pairing";
import type { SiteSpec } from "../../src/site/schema";
import type { ApiSnapshot, FakePbsState } from "./fake-pbs-api";
import { join } from "node:path";

/**
 * A directory holding a `postqueue` that prints an empty queue: put first on PATH
 * where the status probe runs, so a test does not depend on this machine's Postfix.
 */
export const EMPTY_MAIL_QUEUE_BIN = join(__dirname, "..", "fixtures", "empty-mail-queue");

const GIB = 1024 ** 3;

/** Snapshots of a site's guests taken `hoursAgo` (newest first: 6 h, then a day earlier each). */
function snapshotsOf(site: SiteSpec, now: number, hoursAgo: readonly number[]): ApiSnapshot[] {
  return site.containers.flatMap((c) =>
    hoursAgo.map((h): ApiSnapshot => ({
      "backup-type": "ct",
      "backup-id": String(c.vmid),
      "backup-time": Math.round(now - h * 3600),
      size: Math.round(c.dataSizeGiB * GIB),
      verification: { state: "ok", upid: "UPID:fake" },
      protected: false,
    })),
  );
}

/** The state of `site`'s PBS on a good morning, at `now` (epoch seconds). */
export function healthyPbs(site: SiteSpec, sites: readonly SiteSpec[], now: number): FakePbsState {
  const holds = directionsOf(PAIRING, sites).filter((d) => d.holder === site.name).map((d) => d.source);
  const store = site.backupServer.datastore;
  // Every job ended OK 4 h ago; GC is listed by datastore, with no id.
  const lastRun = (task: string) => ({ store, "last-run-state": "OK", "last-run-upid": `UPID:${site.name}:${task}`, "last-run-endtime": Math.round(now - 4 * 3600), "next-run": Math.round(now + 20 * 3600) });
  const ran = (id: string) => ({ id, ...lastRun(id) });
  return {
    datastore: store,
    status: { total: 920 * GIB, used: 600 * GIB, avail: 320 * GIB },
    snapshots: Object.fromEntries([site.name, ...holds].map((ns) => [ns, snapshotsOf(sites.find((s) => s.name === ns) as SiteSpec, now, [6, 30, 54])])),
    sync: holds.map((s) => ran(`pull-${s}`)),
    prune: [site.name, ...holds].map((ns) => ran(`prune-${ns}`)),
    verify: [ran(`verify-${store}`)],
    gc: lastRun(store),
    remoteAudit: true,
  };
}

/**
 * What the status probe would print for that state: the API's bodies by path,
 * and for each path the fake would refuse, null and the error curl would give
 * (as the probe does), after `errors`.
 */
export function probeAnswerOf(state: FakePbsState, now: number, namespaces: readonly string[], errors: string[] = []): unknown {
  const store = `/admin/datastore/${state.datastore}`;
  const responses: Record<string, unknown> = {
    [`${store}/status`]: state.status === null ? 500 : state.status,
    "/admin/sync": state.remoteAudit ? state.sync : [],
    "/admin/prune": state.prune,
    "/admin/verify": state.verify,
    [`/admin/gc/${state.datastore}`]: state.gc === null ? 404 : [state.gc],
    ...Object.fromEntries(namespaces.map((ns) => [`${store}/snapshots?ns=${ns}`, state.snapshots[ns] ?? 400])),
  };
  const refused = Object.entries(responses).filter((e): e is [string, number] => typeof e[1] === "number");
  return {
    now,
    responses: Object.fromEntries(Object.entries(responses).map(([path, data]) => [path, typeof data === "number" ? null : { data }])),
    errors: [...errors, ...refused.map(([path, code]) => `GET ${path}: curl: (22) The requested URL returned error: ${code}`)],
  };
}
