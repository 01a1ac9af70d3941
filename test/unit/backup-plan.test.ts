/**
 * The capacity and night planner, and the model of PBS's prune and pull it
 * rests on: pure functions, exact values, for the committed sites and for the
 * sites grown or broken as a volunteer might.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { backupPlanProblems, backupPlanWarnings, planBackups } from "../../src/backup/plan";
import { type ModelSnapshot, distinctSnapshotsKept, keptBy, pruneMarks, pullGroup } from "../../src/backup/retention-model";
import { formatProblem } from "../../src/problems";
import { validateSiteSpecs } from "../../src/program";
import { type SiteSpec, type SiteSpecInput, siteSchema } from "../../src/site/schema";
import { allSites } from "../../stacks/sites";
import { cloneSites } from "../helpers/stacks";

const parse = (inputs: readonly SiteSpecInput[]): SiteSpec[] => inputs.map((s) => siteSchema.parse(s));
const DAY = 86_400;
const at = (iso: string) => Date.parse(iso) / 1000;
const days = (ts: number[]) => ts.map((t) => new Date(t * 1000).toISOString().slice(0, 10));

test("distinct snapshots a retention holds with one backup a night, over any horizon", () => {
  // Each count derived by hand from prune.rs (v4.2.0): a later rule keeps only periods no earlier rule's
  // keep covers, so once every rule has filled they add up; the yearly rule's current year is the dailies'.
  const cases: [Parameters<typeof distinctSnapshotsKept>[0], number][] = [
    [{ keepDaily: 7, keepWeekly: 4, keepMonthly: 3 }, 14],
    [{ keepDaily: 7, keepWeekly: 4 }, 11],
    [{ keepDaily: 7 }, 7],
    [{ keepLast: 3 }, 3],
    [{ keepLast: 2, keepDaily: 7 }, 9],
    // Once a year has passed, the last one's newest is kept beside the 14.
    [{ keepDaily: 7, keepWeekly: 4, keepMonthly: 3, keepYearly: 1 }, 15],
    // Three past years beside this one's dailies: four years of history.
    [{ keepDaily: 7, keepYearly: 3 }, 10],
    // Longer than a year: 365 days, 4 weeks before them, 3 months before those.
    [{ keepDaily: 365, keepWeekly: 4, keepMonthly: 3 }, 372],
    [{ keepMonthly: 24 }, 24],
  ];
  for (const [retention, expected] of cases) assert.equal(distinctSnapshotsKept(retention), expected, JSON.stringify(retention));
});

test("prune keeps the newest of each period not already kept, and every protected snapshot", () => {
  const nights = ["2026-11-01", "2026-11-02", "2026-11-08", "2026-11-09", "2026-11-10", "2026-11-20", "2026-11-21"].map((d) => ({ time: at(`${d}T01:30:00Z`) }));
  assert.deepEqual(days(keptBy({ keepDaily: 2 }, nights)), ["2026-11-21", "2026-11-20"]);
  // ISO weeks: 21 and 20 (W47) are covered by the dailies; W46 -> 10th, W45 -> 8th.
  assert.deepEqual(days(keptBy({ keepDaily: 2, keepWeekly: 2 }, nights)), ["2026-11-21", "2026-11-20", "2026-11-10", "2026-11-08"]);
  assert.deepEqual(days(keptBy({ keepLast: 1 }, [...nights.slice(0, 6), { ...nights[0], time: at("2026-10-30T01:30:00Z"), protected: true }])), ["2026-11-20", "2026-10-30"]);
});

test("a snapshot an earlier rule marked for removal is not kept by a later one (PBS's mark_selections)", () => {
  // One a night, 2026-01-27 (Tue) to 2026-02-02 (Mon); keep-daily 1, keep-weekly 1, keep-monthly 2. By hand:
  // daily keeps 02-02 and stops at 02-01 (a second day); weekly's covered weeks are 02-02's (W6), so it keeps
  // 02-01 (W5) and marks 01-31 .. 01-27, also W5, for removal; monthly's covered month is February (02-02
  // and 02-01 are kept), and every January snapshot is marked already: it keeps none. A model that let
  // monthly take the unkept 01-31 would hold three.
  const nights = ["2026-01-27", "2026-01-28", "2026-01-29", "2026-01-30", "2026-01-31", "2026-02-01", "2026-02-02"].map((d) => ({ time: at(`${d}T01:30:00Z`) }));
  const marks = pruneMarks({ keepDaily: 1, keepWeekly: 1, keepMonthly: 2 }, nights);
  assert.deepEqual(days(keptBy({ keepDaily: 1, keepWeekly: 1, keepMonthly: 2 }, nights)), ["2026-02-02", "2026-02-01"]);
  assert.equal(marks.get(at("2026-01-31T01:30:00Z")), "remove");
});

test("a protected snapshot counts for no rule and covers no period: another of its day is still the day's keep", () => {
  // keep-daily 1 and, on 11-21, a protected snapshot at 02:00 beside the night's at 01:30. By hand: the
  // protected one is marked protected, not kept, so the day is not included yet: 01:30 is the day's keep,
  // and the count (1) is used up, so 11-20 goes.
  const snapshots = [{ time: at("2026-11-21T02:00:00Z"), protected: true }, { time: at("2026-11-21T01:30:00Z") }, { time: at("2026-11-20T01:30:00Z") }];
  const marks = pruneMarks({ keepDaily: 1 }, snapshots);
  assert.deepEqual([...marks.values()], ["protected", "keep", "remove"]);
});

test("a pull takes only snapshots newer than the holder's newest, and only the last N with transfer-last", () => {
  const held = [{ time: 100 }, { time: 200 }];
  const served = [{ time: 150 }, { time: 300 }, { time: 400 }, { time: 500 }];
  assert.deepEqual(pullGroup(held, served).added, [{ time: 300 }, { time: 400 }, { time: 500 }]);
  assert.deepEqual(pullGroup(held, served, { transferLast: 1 }).added, [{ time: 500 }]);
  assert.deepEqual(pullGroup([], served, { transferLast: 2 }).added, [{ time: 400 }, { time: 500 }]);
});

test("a pull fetches the holder's newest copy again each run, so the source decides what it holds; a failed verification is fetched again at any age", () => {
  const held = [{ time: 100 }, { time: 200 }, { time: 300 }];
  const served = [{ time: 100 }, { time: 200 }, { time: 300 }, { time: 400 }];
  // transfer-last counts from the end of the source's whole list: 400 is new, 300 the last synced.
  assert.deepEqual(pullGroup(held, served, { transferLast: 1 }), { added: [{ time: 400 }], resynced: [{ time: 300 }] });
  assert.deepEqual(pullGroup(held, served.slice(0, 3), { transferLast: 1 }), { added: [], resynced: [{ time: 300 }] });
  const failed = new Set([100]);
  assert.deepEqual(pullGroup(held, served, { transferLast: 1, failed }).resynced, [{ time: 300 }], "without resync-corrupt, a failed copy stays as it is");
  assert.deepEqual(pullGroup(held, served, { transferLast: 1, failed, resyncCorrupt: true }).resynced, [{ time: 100 }, { time: 300 }]);
});

/** The holder's copies of one guest after 120 real nights, then `nights` nights in which the source serves forged snapshots. */
function attack(nights: number, transferLast: number | undefined): { real: number; newestRealKept: boolean } {
  const retention = { keepDaily: 7, keepWeekly: 4, keepMonthly: 3 };
  const start = at("2026-07-01T01:30:00Z");
  let held: ModelSnapshot[] = [];
  const prune = () => {
    const kept = new Set(keptBy(retention, held));
    held = held.filter((s) => kept.has(s.time));
  };
  for (let n = 0; n < 120; n += 1) {
    held.push({ time: start + n * DAY });
    prune();
  }
  const lastReal = start + 119 * DAY;
  for (let night = 1; night <= nights; night += 1) {
    // The worst a forger can do: 14 tiny snapshots a night, a month apart, far in the future.
    const forged = Array.from({ length: 14 }, (_, i) => ({ time: lastReal + (400 + 31 * (night * 14 + i)) * DAY }));
    held.push(...pullGroup(held, forged, transferLast === undefined ? {} : { transferLast }).added);
    prune();
  }
  return { real: held.filter((s) => s.time <= lastReal).length, newestRealKept: held.some((s) => s.time === lastReal) };
}

test("threat model: forged future snapshots cost at most one real copy a night with transfer-last 1", () => {
  assert.deepEqual(attack(0, 1), { real: 13, newestRealKept: true });
  // Without transfer-last, one night of forgeries empties the holder's copies of that guest.
  assert.deepEqual(attack(1, undefined), { real: 0, newestRealKept: false });
  assert.deepEqual(attack(1, 1), { real: 12, newestRealKept: true });
  assert.deepEqual(attack(7, 1), { real: 7, newestRealKept: true });
  // The oldest real copies go first: the newest survives 13 nights of alarms nobody
  // answered (the status flags a snapshot dated in the future the first morning).
  assert.deepEqual(attack(13, 1), { real: 1, newestRealKept: true });
  assert.deepEqual(attack(14, 1), { real: 0, newestRealKept: false });
});

test("the committed sites fit: footprints, nights and pulls, exact", () => {
  const sites = parse(allSites);
  const plan = planBackups(sites);
  assert.deepEqual(backupPlanProblems(plan, sites), []);
  assert.deepEqual(
    plan.datastores.map((d) => [
      d.site,
      d.namespaces.map((n) => [n.namespace, n.role, n.fullGiB, n.rewrittenGiB, n.snapshotsKept, n.newDataGiB, n.spanNights, n.totalGiB]),
      d.gcGraceGiB,
      d.marginGiB,
      d.totalGiB,
      Math.round(d.usedShare * 1000) / 1000,
      d.runway,
    ]),
    [
      // rouans' web: 120 GiB x 2 % x 0.6 = 1.44 GiB a night; 4/5 of it rewritten (1.15), the new fifth less its growth
      // (0.29 - 1.5 GiB/month x 0.6 / 30.44 = 0.26) held 132 nights: 72 + 1.15 x 14 + 0.26 x 132 = 122.2.
      ["rouans", [["rouans", "own", 72, 1.15, 14, 0.26, 132, 122.2], ["sthilaire", "copies", 431, 4.32, 14, 0.7, 132, 584.3]], 12.9, 92, 811.4, 0.882, { to80: 0, to100: 10 }],
      ["sthilaire", [["sthilaire", "own", 431, 4.32, 14, 0.7, 132, 584.3], ["rouans", "copies", 72, 1.15, 14, 0.26, 132, 122.2]], 12.9, 92, 811.4, 0.882, { to80: 0, to100: 10 }],
    ],
  );
  assert.deepEqual(plan.backups, [
    { site: "rouans", start: "01:00", walkHours: 0.2, changedGiB: 2.4, hours: 0.21, end: "01:13", nightStartsAt: "23:00", nightEndsAt: "07:00", startsInNight: true, slackMinutes: 347, firstHours: 0.57, fits: true },
    { site: "sthilaire", start: "01:30", walkHours: 0.92, changedGiB: 7.1, hours: 0.95, end: "02:28", nightStartsAt: "23:00", nightEndsAt: "07:00", startsInNight: true, slackMinutes: 272, firstHours: 2.62, fits: true },
  ]);
  assert.deepEqual(plan.syncs, [
    {
      source: "sthilaire",
      holder: "rouans",
      budgetMbps: 13.6,
      schedule: "*-*-* 02:45",
      start: "02:45",
      newChunksGiB: 5.25,
      hours: 1.02,
      end: "03:47",
      windowEnd: "07:00",
      windowHours: 4.25,
      fits: true,
      // About three weeks of nights over the VDSL upload: carry the first copy (docs/backup.md).
      seed: { gib: 431, hours: 84, days: 3.5, longerThanNight: true },
    },
    {
      source: "rouans",
      holder: "sthilaire",
      // rouans uploads 40 Mbit/s (80 % of 50), sthilaire downloads 40: the pair's bottleneck.
      budgetMbps: 40,
      schedule: "*-*-* 01:30",
      start: "01:30",
      newChunksGiB: 1.44,
      hours: 0.1,
      end: "01:36",
      windowEnd: "07:00",
      windowHours: 5.5,
      fits: true,
      seed: { gib: 72, hours: 4.8, days: 0.2, longerThanNight: false },
    },
  ]);
  assert.deepEqual(backupPlanWarnings(plan), [
    'PBS datastore "backup" of rouans: 811.4 GiB predicted of 920 GiB (88 %, above 80 %): plan the next disk',
    'PBS datastore "backup" of sthilaire: 811.4 GiB predicted of 920 GiB (88 %, above 80 %): plan the next disk',
    "the backup of sthilaire (01:30-02:28) meets the pull rouans -> sthilaire (01:30-01:36) on sthilaire's PBS: both write to one disk, so both take longer than planned; move sites.sthilaire.backup.schedule clear of it",
    `the first copy of sthilaire at rouans (431 GiB) is one pull of 84 h, 3.5 days on end at 13.6 Mbit/s: sthilaire's upload is taken by day too and the nightly pulls wait for it; carry it on a disk instead (docs/backup.md, "The first copy")`,
    "PBS of sthilaire has 3 GiB, below Proxmox's recommended 4.9 GiB (4 GiB + 1 GiB per TiB of datastore): GC and verify run slower",
  ]);
});

test("a Nextcloud grown to 1.5 TiB is refused, naming both datastores, the night and the numbers", () => {
  const sites = cloneSites();
  (sites.sthilaire.containers.find((c) => c.name === "nextcloud") as { dataSizeGiB: number }).dataSizeGiB = 1536;
  const { problems } = validateSiteSpecs(sites.all);
  assert.deepEqual(problems.map(formatProblem), [
    'sites.sthilaire.containers[nextcloud].dataSizeGiB: found 1536, expected at most 1032 GiB, what its root disk and mount points hold together (is it in MiB, or is a volume too small?)',
    'sites.rouans.backupServer.sizeGiB: found "2045.5 GiB predicted on PBS datastore \\"backup\\" of rouans (own rouans 122.2 GiB + copies of sthilaire 1799 GiB + GC grace 32.2 GiB + 10 % kept free 92 GiB)", expected at most 920 GiB, the size of 1 TB HDD (backups): a bigger backup disk, a shorter retention, or less data',
    'sites.sthilaire.backupServer.sizeGiB: found "2045.5 GiB predicted on PBS datastore \\"backup\\" of sthilaire (own sthilaire 1799 GiB + copies of rouans 122.2 GiB + GC grace 32.2 GiB + 10 % kept free 92 GiB)", expected at most 920 GiB, the size of 1 TB HDD (backups): a bigger backup disk, a shorter retention, or less data',
    "offsite sthilaire -> rouans: found \"14.91 GiB of new chunks a night, 2.91 h at 13.6 Mbit/s from 04:45\", expected a pull that ends by 07:00, within 2.25 h: raise sthilaire's uplink.offsiteShare, start its backup earlier, or lower the change",
    'sites.sthilaire.offsite.staleAfterHours: found 30, expected at least 30.2: on a good night the newest copy at rouans is up to 30.2 h old (backup 01:30, pull ends 07:40, then a day), so less alarms every day',
  ]);
});

test("a backup that outlasts the night, and PBS under its minimum memory, are refused", () => {
  const sites = cloneSites();
  sites.rouans.backup.schedule = "*-*-* 06:50";
  (sites.sthilaire.backupServer as { memoryGiB: number }).memoryGiB = 1.5;
  const parsed = parse(sites.all);
  const problems = backupPlanProblems(planBackups(parsed), parsed).map(formatProblem);
  assert.deepEqual(problems, [
    'sites.rouans.backup.schedule: found "a nightly backup of 0.21 h (walk 0.2 h + 2.4 GiB changed) from 06:50, ending 07:03", expected a backup that ends before the night does (07:00)',
    "offsite rouans -> sthilaire: found \"1.44 GiB of new chunks a night, 0.1 h at 40 Mbit/s from 07:30\", expected a pull that ends by 07:00, within 0 h: raise rouans's uplink.offsiteShare, start its backup earlier, or lower the change",
    "sites.sthilaire.backupServer.memoryGiB: found 1.5, expected at least 2 GiB, Proxmox's minimum for PBS",
  ]);
});

test("a backup at noon is refused with the site's quiet hours, and so is its pull, which starts outside them", () => {
  const sites = cloneSites();
  sites.rouans.backup.schedule = "*-*-* 12:00";
  const parsed = parse(sites.all);
  const problems = backupPlanProblems(planBackups(parsed), parsed).map(formatProblem);
  assert.deepEqual(problems.slice(0, 2), [
    'sites.rouans.backup.schedule: found "a backup starting at 12:00, outside rouans\'s quiet hours (23:00-07:00)", expected a start inside them (uplink.nightStartsAt .. nightEndsAt): by day the backup reads the disks the members use, and its pull takes their upload',
    "offsite rouans -> sthilaire: found \"1.44 GiB of new chunks a night, 0.1 h at 40 Mbit/s from 12:30\", expected a pull that ends by 07:00, within 0 h: raise rouans's uplink.offsiteShare, start its backup earlier, or lower the change",
  ]);
  // Quiet hours that run past midnight take a backup at 23:30 as well as one at 01:00.
  sites.rouans.backup.schedule = "*-*-* 23:30";
  assert.ok(planBackups(parse(sites.all)).backups.find((b) => b.site === "rouans")?.startsInNight);
});

test("a disk above 80 % is a warning, not a refusal, while its runway is long enough", () => {
  const sites = cloneSites();
  (sites.sthilaire.containers.find((c) => c.name === "mail") as { dataSizeGiB: number }).dataSizeGiB = 170;
  const parsed = parse(sites.all);
  const plan = planBackups(parsed);
  assert.deepEqual(backupPlanProblems(plan, parsed), []);
  assert.deepEqual(backupPlanWarnings(plan).filter((w) => w.startsWith("PBS datastore")), [
    'PBS datastore "backup" of rouans: 835.8 GiB predicted of 920 GiB (91 %, above 80 %): plan the next disk',
    'PBS datastore "backup" of sthilaire: 835.8 GiB predicted of 920 GiB (91 %, above 80 %): plan the next disk',
  ]);
  // 80.04 % is above 80 %: compared unrounded.
  const edge = { ...plan.datastores[0]!, usedShare: 0.8004, totalGiB: 736.4 };
  assert.equal(backupPlanWarnings({ ...plan, datastores: [edge], backups: [], syncs: [], memory: [] }).length, 1);
});

test("a line is booked once: a site pulled by two holders in the same hours, or a holder pulling two sources, is refused with the numbers", () => {
  // nantes: a copy of sthilaire under another name, pulled by rouans as sthilaire is, and pulling rouans as sthilaire does.
  const inputs = cloneSites();
  const nantes = { ...structuredClone(inputs.sthilaire), name: "nantes" };
  const sites = parse([inputs.rouans, inputs.sthilaire, nantes]);
  const pairing = [
    { holder: "rouans", source: "sthilaire" },
    { holder: "rouans", source: "nantes" },
    { holder: "sthilaire", source: "rouans" },
    { holder: "nantes", source: "rouans" },
  ];
  const tight = sites.map((s) => (s.name === "rouans" ? { ...s, uplink: { ...s.uplink, downMbps: 20 } } : s));
  const plan = planBackups(tight, pairing);
  const overbooked = backupPlanProblems(plan, tight)
    .map(formatProblem)
    .filter((p) => p.includes("booked"));
  assert.deepEqual(overbooked, [
    'sites.rouans.uplink: found "80 Mbit/s booked on the upload of rouans from 01:30, by the pull rouans -> sthilaire (40 Mbit/s, 01:30-01:36) and the pull rouans -> nantes (40 Mbit/s, 01:30-01:36): 200 % of it", expected at most 40 Mbit/s (its upload of 50 Mbit/s x offsiteShare 0.8): each job is held to its own budget, so pulls that share the line must not run in the same hours; move a backup (and its pull) apart, or lower the budgets',
    'sites.rouans.uplink: found "27.2 Mbit/s booked on the download of rouans from 02:45, by the pull sthilaire -> rouans (13.6 Mbit/s, 02:45-03:47) and the pull nantes -> rouans (13.6 Mbit/s, 02:45-03:47): 136 % of it", expected at most 20 Mbit/s (its download): each job is held to its own budget, so pulls that share the line must not run in the same hours; move a backup (and its pull) apart, or lower the budgets',
  ]);
  // The two sites' own pairing books each line once.
  assert.ok(planBackups(parse([inputs.rouans, inputs.sthilaire])).links.every((l) => l.fits));
});

test("a Nextcloud growing faster leaves each datastore that holds it less runway, until the plan is refused with the months and the growth", () => {
  const runwayWith = (growth: number) => {
    const sites = cloneSites();
    (sites.sthilaire.containers.find((c) => c.name === "nextcloud") as { growthGiBPerMonth: number }).growthGiBPerMonth = growth;
    const parsed = parse(sites.all);
    const plan = planBackups(parsed);
    return { runway: plan.datastores.map((d) => [d.site, d.runway.to100]), problems: backupPlanProblems(plan, parsed).map(formatProblem) };
  };
  // Today's estimate: ten months before either disk is full; nothing refused.
  assert.deepEqual(runwayWith(6), { runway: [["rouans", 10], ["sthilaire", 10]], problems: [] });
  const grown = runwayWith(30);
  assert.deepEqual(grown.runway, [["rouans", 4], ["sthilaire", 4]]);
  assert.deepEqual(grown.problems, [
    "sites.rouans.backupServer.sizeGiB: found \"the PBS datastore backup of rouans full in 4 month(s) (788.3 GiB of 920 GiB today; growth: rouans's web +1.5 GiB/month, sthilaire's mail +3 GiB/month, sthilaire's nextcloud +30 GiB/month)\", expected at least 6 months before it is (backupServer.minRunwayMonths): a bigger backup disk, a shorter retention, or less growth",
    "sites.sthilaire.backupServer.sizeGiB: found \"the PBS datastore backup of sthilaire full in 4 month(s) (788.3 GiB of 920 GiB today; growth: sthilaire's mail +3 GiB/month, sthilaire's nextcloud +30 GiB/month, rouans's web +1.5 GiB/month)\", expected at least 6 months before it is (backupServer.minRunwayMonths): a bigger backup disk, a shorter retention, or less growth",
  ]);
});
