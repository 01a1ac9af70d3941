/**
 * Both sites' PBS as a healthy night leaves them, as the PBS API would list
 * them: each guest's snapshots at home and at its holder, every job run OK,
 * usage near the planner's prediction. Tests break one thing at a time.
 */
import { directionsOf } from "../../src/offsite/directions";
import { PAIRING } from "../../src/offsite/pairing";
import type { SiteSpec } from "../../src/site/schema";
import type { ApiSnapshot, FakePbsState } from "./fake-pbs-api";

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
  const ran = (id: string) => ({ id, store, "last-run-state": "OK", "last-run-endtime": Math.round(now - 4 * 3600), "next-run": Math.round(now + 20 * 3600) });
  return {
    datastore: store,
    status: { total: 920 * GIB, used: 600 * GIB, avail: 320 * GIB },
    snapshots: Object.fromEntries([site.name, ...holds].map((ns) => [ns, snapshotsOf(sites.find((s) => s.name === ns) as SiteSpec, now, [6, 30, 54])])),
    sync: holds.map((s) => ran(`pull-${s}`)),
    prune: [site.name, ...holds].map((ns) => ran(`prune-${ns}`)),
    verify: [ran(`verify-${store}`)],
    gc: ran(store),
  };
}

/** What the status probe would print for that state: the API's bodies by path. */
export function probeAnswerOf(state: FakePbsState, now: number, namespaces: readonly string[], errors: string[] = []): unknown {
  const store = `/admin/datastore/${state.datastore}`;
  return {
    now,
    responses: {
      [`${store}/status`]: state.status === null ? null : { data: state.status },
      "/admin/sync": { data: state.sync },
      "/admin/prune": { data: state.prune },
      "/admin/verify": { data: state.verify },
      [`/admin/gc/${state.datastore}`]: state.gc === null ? null : { data: state.gc },
      ...Object.fromEntries(namespaces.map((ns) => [`${store}/snapshots?ns=${ns}`, { data: state.snapshots[ns] ?? [] }])),
    },
    errors,
  };
}
