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
      d.namespaces.map((n) => [n.namespace, n.role, n.fullGiB, n.paddingGiB, n.rewrittenGiB, n.snapshotsKept, n.newDataGiB, n.spanNights, n.totalGiB]),
      d.gcGraceGiB,
      d.marginGiB,
      d.totalGiB,
      d.usableGiB,
      Math.round(d.usedShare * 1000) / 1000,
      d.runway,
    ]),
    [
      // rouans' web: 120 GiB x 2 % x 0.6 = 1.44 GiB a night; 4/5 of it rewritten (1.15), the new fifth less its growth
      // (0.29 - 1.5 GiB/month x 0.6 / 30.44 = 0.26) held 132 nights; metadata mode's padding up to 1/9 of the full 72:
      // 72 + 8 + 1.15 x 14 + 0.26 x 132 = 130.2.
      // The 2 TB disk's 1860 GiB partition in ext4: 1860/64 of inode tables, 1860/16384 of bitmaps, a 1 GiB journal
      // and 5 % for root leave 1736.8 GiB; 10 % of that is kept free.
      ["rouans", [["rouans", "own", 72, 8, 1.15, 14, 0.26, 132, 130.2], ["sthilaire", "copies", 431, 47.9, 4.32, 14, 0.7, 132, 632.2]], 12.9, 173.7, 949, 1736.8, 0.546, { to80: 35, to100: 63 }],
      ["sthilaire", [["sthilaire", "own", 431, 47.9, 4.32, 14, 0.7, 132, 632.2], ["rouans", "copies", 72, 8, 1.15, 14, 0.26, 132, 130.2]], 12.9, 173.7, 949, 1736.8, 0.546, { to80: 35, to100: 63 }],
    ],
  );
  assert.deepEqual(plan.backups, [
    // 120 GiB of 100 KiB files (the default): 1.26 M files walked at 1750 a second.
    { site: "rouans", start: "01:00", walkHours: 0.2, files: 1_258_291, changedGiB: 2.4, hours: 0.21, end: "01:13", nightStartsAt: "23:00", nightEndsAt: "07:00", startsInNight: true, slackMinutes: 347, firstHours: 0.57, fits: true },
    { site: "sthilaire", start: "01:30", walkHours: 0.92, files: 5_788_140, changedGiB: 7.1, hours: 0.95, end: "02:28", nightStartsAt: "23:00", nightEndsAt: "07:00", startsInNight: true, slackMinutes: 272, firstHours: 2.62, fits: true },
  ]);
  assert.deepEqual(
    plan.syncs.map(({ payloadMbps, ...s }) => ({ ...s, payloadMbps: Math.round(payloadMbps * 100) / 100 })),
    [
      {
        source: "sthilaire",
        holder: "rouans",
        jobId: "pull-sthilaire",
        budgetMbps: 13.6,
        // 5.25 GiB at 90 % of 12.16 Mbit/s: 69 min. As late as ends an hour before 07:00: 04:51, on the quarter 04:45.
        schedule: "*-*-* 04:45",
        start: "04:45",
        newChunksGiB: 5.25,
        hours: 1.14,
        end: "05:54",
        nightStartsAt: "23:00",
        windowEnd: "07:00",
        windowHours: 2.25,
        // The backup ends 02:28: it may run 137 min late and still be pulled this night.
        backupSlackMinutes: 137,
        endSlackMinutes: 66,
        fits: true,
        // Four days on end over the VDSL upload: carry the first copy (docs/backup.md).
        seed: { gib: 431, hours: 93.9, days: 3.9, longerThanNight: true, longerThanSlot: true },
        payloadMbps: 12.16,
      },
      {
        source: "rouans",
        holder: "sthilaire",
        jobId: "pull-rouans",
        // rouans uploads 40 Mbit/s (80 % of 50), sthilaire downloads 40: the pair's bottleneck.
        budgetMbps: 40,
        schedule: "*-*-* 05:45",
        start: "05:45",
        newChunksGiB: 1.44,
        hours: 0.11,
        end: "05:52",
        nightStartsAt: "23:00",
        windowEnd: "07:00",
        windowHours: 1.25,
        backupSlackMinutes: 272,
        endSlackMinutes: 68,
        fits: true,
        // 5.3 h fits the night from 23:00, not the 05:45 slot: started by hand.
        seed: { gib: 72, hours: 5.3, days: 0.2, longerThanNight: false, longerThanSlot: true },
        payloadMbps: 35.78,
      },
    ],
  );
  // The pulls start late enough to clear every backup: sthilaire's no longer meets the pull it receives.
  assert.deepEqual(backupPlanWarnings(plan), [
    `the first copy of sthilaire at rouans (431 GiB) is one pull of 93.9 h, 3.9 days on end at rate-in 12.16 Mbit/s: sthilaire's upload is taken by day too and the nightly pulls wait for it; carry it on a disk instead (docs/backup.md, "The first copy")`,
    "the first copy of rouans at sthilaire (72 GiB) is one pull of 5.3 h, longer than its nightly slot (05:45-07:00): its first scheduled run would go on into the day; once rouans's first backup is done, start it by hand at 23:00: `proxmox-backup-manager sync-job run pull-rouans` on sthilaire",
    "PBS of sthilaire has 3 GiB, below Proxmox's recommended 5.8 GiB (4 GiB + 1 GiB per TiB of datastore): GC and verify run slower",
  ]);
});

test("a Nextcloud grown to 1.5 TiB is refused, naming both datastores, the night and the numbers", () => {
  const sites = cloneSites();
  (sites.sthilaire.containers.find((c) => c.name === "nextcloud") as { dataSizeGiB: number }).dataSizeGiB = 1536;
  const { problems } = validateSiteSpecs(sites.all);
  assert.deepEqual(problems.map(formatProblem), [
    'sites.sthilaire.containers[nextcloud].dataSizeGiB: found 1536, expected at most 1032 GiB, what its root disk and mount points hold together (is it in MiB, or is a volume too small?)',
    'sites.rouans.backupServer.sizeGiB: found "2290.3 GiB predicted on PBS datastore \\"backup\\" of rouans (own rouans 130.2 GiB + copies of sthilaire 1954.2 GiB + GC grace 32.2 GiB + 10 % kept free 173.7 GiB)", expected at most 1736.8 GiB, what 2 TB HDD (backups) leaves PBS (or its 5 % kept for root: `tune2fs -m 0`, then backupServer.reservedPercent 0): a bigger backup disk, a shorter retention, or less data',
    'sites.sthilaire.backupServer.sizeGiB: found "2290.3 GiB predicted on PBS datastore \\"backup\\" of sthilaire (own sthilaire 1954.2 GiB + copies of rouans 130.2 GiB + GC grace 32.2 GiB + 10 % kept free 173.7 GiB)", expected at most 1736.8 GiB, what 2 TB HDD (backups) leaves PBS (or its 5 % kept for root: `tune2fs -m 0`, then backupServer.reservedPercent 0): a bigger backup disk, a shorter retention, or less data',
    "offsite sthilaire -> rouans: found \"14.91 GiB of new chunks a night, 3.25 h at rate-in 12.16 Mbit/s (13.6 Mbit/s on the line) from 04:45\", expected a pull that ends by 07:00, within 2.25 h: raise sthilaire's uplink.offsiteShare, start its backup earlier, or lower the change",
    'sites.sthilaire.offsite.staleAfterHours: found 30, expected at least 30.5: on a good night the newest copy at rouans is up to 30.5 h old (backup 01:30, pull ends 08:00, then a day), so less alarms every day',
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
    "offsite rouans -> sthilaire: found \"1.44 GiB of new chunks a night, 0.11 h at rate-in 35.78 Mbit/s (40 Mbit/s on the line) from 07:30\", expected a pull that ends by 07:00, within 0 h: raise rouans's uplink.offsiteShare, start its backup earlier, or lower the change",
    "sites.sthilaire.backupServer.memoryGiB: found 1.5, expected at least 2 GiB, Proxmox's minimum for PBS",
  ]);
});

test("a backup at noon is refused with the site's quiet hours; its pull still waits for the night", () => {
  const sites = cloneSites();
  sites.rouans.backup.schedule = "*-*-* 12:00";
  const parsed = parse(sites.all);
  const plan = planBackups(parsed);
  assert.deepEqual(backupPlanProblems(plan, parsed).map(formatProblem), [
    'sites.rouans.backup.schedule: found "a backup starting at 12:00, outside rouans\'s quiet hours (23:00-07:00)", expected a start inside them (uplink.nightStartsAt .. nightEndsAt): by day the backup reads the disks the members use, and its pull takes their upload',
  ]);
  // The pull is placed as late as ends an hour before 07:00: inside the night, not at 12:30.
  assert.deepEqual(
    plan.syncs.filter((x) => x.source === "rouans").map((x) => [x.start, x.end, x.fits]),
    [["05:45", "05:52", true]],
  );
  // Quiet hours that run past midnight take a backup at 23:30 as well as one at 01:00.
  sites.rouans.backup.schedule = "*-*-* 23:30";
  assert.ok(planBackups(parse(sites.all)).backups.find((b) => b.site === "rouans")?.startsInNight);
});

test("a disk above 80 % is a warning, not a refusal, while its runway is long enough", () => {
  const sites = cloneSites();
  (sites.sthilaire.containers.find((c) => c.name === "nextcloud") as { dataSizeGiB: number }).dataSizeGiB = 850;
  const parsed = parse(sites.all);
  const plan = planBackups(parsed);
  assert.deepEqual(backupPlanProblems(plan, parsed), []);
  assert.deepEqual(backupPlanWarnings(plan).filter((w) => w.startsWith("PBS datastore")), [
    'PBS datastore "backup" of rouans: 1480.3 GiB predicted of 1736.8 GiB usable (85 %, above 80 %): plan the next disk',
    'PBS datastore "backup" of sthilaire: 1480.3 GiB predicted of 1736.8 GiB usable (85 %, above 80 %): plan the next disk',
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
    'sites.rouans.uplink: found "78.77 Mbit/s booked on the upload of rouans from 05:45, by the pull rouans -> sthilaire (39.38 Mbit/s on the line, 05:45-05:52) and the pull rouans -> nantes (39.38 Mbit/s on the line, 05:45-05:52): 197 % of it", expected at most 40 Mbit/s (its upload of 50 Mbit/s x offsiteShare 0.8): each job is held to its own budget, and each pull is placed to end an hour before its source\'s night does, so pulls that share a line run together: lower their budgets (uplink.offsiteShare) until they fit together, or end one source\'s night earlier (uplink.nightEndsAt)',
    'sites.rouans.uplink: found "26.78 Mbit/s booked on the download of rouans from 04:45, by the pull sthilaire -> rouans (13.39 Mbit/s on the line, 04:45-05:54) and the pull nantes -> rouans (13.39 Mbit/s on the line, 04:45-05:54): 134 % of it", expected at most 20 Mbit/s (its download): each job is held to its own budget, and each pull is placed to end an hour before its source\'s night does, so pulls that share a line run together: lower their budgets (uplink.offsiteShare) until they fit together, or end one source\'s night earlier (uplink.nightEndsAt)',
  ]);
  // The two sites' own pairing books each line once.
  assert.ok(planBackups(parse([inputs.rouans, inputs.sthilaire])).links.every((l) => l.fits));
});

test("a Nextcloud growing faster leaves each datastore that holds it less runway, until the plan is refused with the months and the growth", () => {
  const runwayWith = (dataSizeGiB: number, growthGiBPerMonth: number) => {
    const sites = cloneSites();
    Object.assign(sites.sthilaire.containers.find((c) => c.name === "nextcloud") as object, { dataSizeGiB, growthGiBPerMonth });
    const parsed = parse(sites.all);
    const plan = planBackups(parsed);
    return { runway: plan.datastores.map((d) => [d.site, d.runway.to100]), problems: backupPlanProblems(plan, parsed).map(formatProblem) };
  };
  // Today's estimate: five years before either 2 TB disk is full; nothing refused.
  assert.deepEqual(runwayWith(400, 6), { runway: [["rouans", 63], ["sthilaire", 63]], problems: [] });
  // Twice the data, five times the growth: nine months, still above the six asked.
  assert.deepEqual(runwayWith(850, 30), { runway: [["rouans", 9], ["sthilaire", 9]], problems: [] });
  const grown = runwayWith(850, 60);
  assert.deepEqual(grown.runway, [["rouans", 5], ["sthilaire", 5]]);
  assert.deepEqual(grown.problems, [
    "sites.rouans.backupServer.sizeGiB: found \"the PBS datastore backup of rouans full in 5 month(s) (1406 GiB of 1736.8 GiB usable today; growth: rouans's web +1.5 GiB/month, sthilaire's mail +3 GiB/month, sthilaire's nextcloud +60 GiB/month)\", expected at least 6 months before it is (backupServer.minRunwayMonths): a bigger backup disk (or its 5 % kept for root: `tune2fs -m 0`, then backupServer.reservedPercent 0), a shorter retention, or less growth",
    "sites.sthilaire.backupServer.sizeGiB: found \"the PBS datastore backup of sthilaire full in 5 month(s) (1406 GiB of 1736.8 GiB usable today; growth: sthilaire's mail +3 GiB/month, sthilaire's nextcloud +60 GiB/month, rouans's web +1.5 GiB/month)\", expected at least 6 months before it is (backupServer.minRunwayMonths): a bigger backup disk (or its 5 % kept for root: `tune2fs -m 0`, then backupServer.reservedPercent 0), a shorter retention, or less growth",
  ]);
});

test("each PBS's prune, GC and verify are placed after the night's work on it, with the time since", () => {
  const plan = planBackups(parse(allSites));
  assert.deepEqual(
    plan.maintenance.map((m) => [m.site, m.night.start, m.night.end, m.jobs.map((j) => [j.job, j.start, j.end, j.afterNightMinutes, j.inNight])]),
    [
      // rouans' night: its backup from 01:00, the pull of sthilaire till 05:54. Verify re-reads at most the 775.3 GiB
      // of data (949 less the 173.7 kept free) at 60 MiB/s: 221 min.
      ["rouans", "01:00", "05:54", [["prune", "08:00", "08:00", 126, false], ["GC", "08:30", "08:30", 156, false], ["verify", "10:00", "13:41", 246, false]]],
      ["sthilaire", "01:30", "05:54", [["prune", "08:00", "08:00", 126, false], ["GC", "08:30", "08:30", 156, false], ["verify", "10:00", "13:41", 246, false]]],
    ],
  );
});

test("a prune, GC or verify inside the night's work on its PBS, or at more than one time of day, is refused with the night", () => {
  const sites = cloneSites();
  sites.rouans.backupServer = { ...sites.rouans.backupServer, pruneSchedule: "*-*-* 05:00", gcSchedule: "hourly" };
  sites.sthilaire.backupServer = { ...sites.sthilaire.backupServer, verify: { schedule: "sun 23:30", outdatedAfterDays: 30 } };
  const parsed = parse(sites.all);
  assert.deepEqual(backupPlanProblems(planBackups(parsed), parsed).map(formatProblem), [
    `sites.rouans.backupServer.pruneSchedule: found "*-*-* 05:00", expected a time clear of the night's work on rouans's PBS, 01:00-05:54 (rouans's backup, the pull sthilaire -> rouans, the pull rouans -> sthilaire): its prune would run at 05:00 on the same backup disk, before the night's last snapshots are in`,
    `sites.rouans.backupServer.gcSchedule: found "hourly", expected a calendar event at one time of day, such as "*-*-* 08:00" (the GC of rouans's PBS is placed against the night)`,
    // Started before the night, the verify's 3.7 hours run into sthilaire's backup at 01:30.
    `sites.sthilaire.backupServer.verify.schedule: found "sun 23:30", expected a time clear of the night's work on sthilaire's PBS, 01:30-05:54 (sthilaire's backup, the pull sthilaire -> rouans, the pull rouans -> sthilaire): its verify would run 23:30-03:11 on the same backup disk`,
  ]);
});
