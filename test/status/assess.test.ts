/**
 * The daily glance decided from probes, without SSH: each problem case named
 * with its numbers, and a quiet report when all is well.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { directionsOf } from "../../src/offsite/directions";
import { PAIRING } from "../../src/offsite/pairing";
import { validateSiteSpecs } from "../../src/program";
import { assess } from "../../src/status/assess";
import type { Probe } from "../../src/status/probe";
import { allSites } from "../../stacks/sites";

const { sites } = validateSiteSpecs(allSites);
const directions = directionsOf(PAIRING, sites);
// 2026-11-24 08:00 local time; archives are named in local time too.
const NOW = new Date(2026, 10, 24, 8, 0, 0).getTime() / 1000;
const GIB = 1024 ** 3;

/** vzdump name of an archive made `hoursAgo` before NOW. */
function archive(vmid: number, hoursAgo: number): { name: string; bytes: number } {
  const d = new Date((NOW - hoursAgo * 3600) * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  return { name: `vzdump-lxc-${vmid}-${d.getFullYear()}_${p(d.getMonth() + 1)}_${p(d.getDate())}-${p(d.getHours())}_${p(d.getMinutes())}_${p(d.getSeconds())}.tar.gz`, bytes: GIB };
}

function pullStatus(peer: string, ok: boolean, finishedHoursAgo: number, errors: string[] = []) {
  return {
    version: 1 as const,
    peer,
    startedAt: new Date((NOW - finishedHoursAgo * 3600 - 600) * 1000).toISOString(),
    finishedAt: new Date((NOW - finishedHoursAgo * 3600) * 1000).toISOString(),
    ok,
    dryRun: false,
    bytesOnWire: 3 * GIB,
    guests: [],
    errors,
  };
}

const roomy = { availBytes: 500 * GIB, sizeBytes: 920 * GIB };

/** Both hosts healthy: last night's backups everywhere, both pulls ok. */
function healthy(): Map<string, Probe> {
  return new Map<string, Probe>([
    ["rouans", { host: "rouans", now: NOW, dump: { archives: [archive(110, 7)], df: roomy }, copies: { sthilaire: { archives: [210, 220, 230].map((v) => archive(v, 6.5)), df: roomy } }, pullStatus: { sthilaire: pullStatus("sthilaire", true, 3) } }],
    ["sthilaire", { host: "sthilaire", now: NOW, dump: { archives: [210, 220, 230].map((v) => archive(v, 6.5)), df: roomy }, copies: { rouans: { archives: [archive(110, 7)], df: roomy } }, pullStatus: { rouans: pullStatus("rouans", true, 4) } }],
  ]);
}

test("all well: every guest with a local backup and a copy at the other site, no problem", () => {
  const glance = assess(sites, directions, healthy(), NOW);
  assert.deepEqual(glance.problems, []);
  const web = glance.sites[0]?.guests[0];
  assert.deepEqual(web, { vmid: 110, name: "web", local: { archive: archive(110, 7).name, ageHours: 7 }, offsite: { holder: "sthilaire", archive: archive(110, 7).name, ageHours: 7 } });
  assert.deepEqual(glance.sites[0]?.pulls, [{ source: "sthilaire", ok: true, finishedAt: pullStatus("sthilaire", true, 3).finishedAt, ageHours: 3, bytesOnWire: 3 * GIB, errors: [] }]);
});

test("each problem case is named with its numbers", () => {
  const probes = healthy();
  const r = probes.get("rouans")!;
  const s = probes.get("sthilaire")!;
  // A copy older than the threshold; a failing pull; a full offsite disk; a missed local backup.
  s.copies["rouans"] = { archives: [archive(110, 50)], df: { availBytes: 20 * GIB, sizeBytes: 920 * GIB } };
  s.pullStatus["rouans"] = pullStatus("rouans", false, 4, ["peer rouans unreachable: ssh: connect to host rouans.retzien.fr port 22: Connection timed out"]);
  r.dump.archives = [archive(110, 40)];
  r.pullStatus["sthilaire"] = null;
  assert.deepEqual(assess(sites, directions, probes, NOW).problems, [
    "rouans: web (110) has no local backup newer than 40 h (limit 36 h)",
    "rouans: web (110) has no copy at sthilaire newer than 50 h (limit 36 h)",
    "rouans: its pull of sthilaire has never left a status",
    "sthilaire: its last pull of rouans failed: peer rouans unreachable: ssh: connect to host rouans.retzien.fr port 22: Connection timed out",
    "sthilaire: storage offsite-rouans is running out of space: 20.0 GiB free of 920.0 GiB",
  ]);
});

test("an unreachable host, a missing copy and an unmounted disk", () => {
  const probes = new Map<string, Probe | { error: string }>(healthy());
  probes.set("sthilaire", { error: "ssh root@192.168.20.2: Connection refused" });
  const r = probes.get("rouans") as Probe;
  r.copies["sthilaire"] = { archives: null, df: null };
  const glance = assess(sites, directions, probes, NOW);
  assert.deepEqual(glance.problems, [
    "rouans: storage offsite-sthilaire (/mnt/backup/offsite/sthilaire/dump) is missing (disk not mounted?)",
    "sthilaire: unreachable (ssh root@192.168.20.2: Connection refused)",
    // rouans answers for what it holds even when sthilaire cannot answer for itself.
    "sthilaire: relay (230) has no copy at rouans (limit 36 h)",
    "sthilaire: mail (210) has no copy at rouans (limit 36 h)",
    "sthilaire: nextcloud (220) has no copy at rouans (limit 36 h)",
  ]);
  assert.equal(glance.sites[1]?.reachable, false);
  // The copies of sthilaire held at rouans are gone: named per guest.
  const probes2 = new Map<string, Probe>(healthy());
  probes2.get("rouans")!.copies["sthilaire"] = { archives: [archive(210, 6)], df: roomy };
  assert.deepEqual(assess(sites, directions, probes2, NOW).problems, [
    "sthilaire: relay (230) has no copy at rouans (limit 36 h)",
    "sthilaire: nextcloud (220) has no copy at rouans (limit 36 h)",
  ]);
});
