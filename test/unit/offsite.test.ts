/**
 * The pairing, the directions and window estimates derived from it, and the
 * exact text the pull installs on a host: pure functions, exact values.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { simulatedPublicKey } from "../../scripts/lib/simulated-host";
import { formatProblem } from "../../src/problems";
import { validateSiteSpecs } from "../../src/program";
import { directionsOf, estimateWindow, windowWarning } from "../../src/offsite/directions";
import { authorizedKeyLine, checkEd25519PublicKey, knownHostsLine, renderPullEnv, renderPullUnits } from "../../src/offsite/host-files";
import { PAIRING, holdersOf, sourcesHeldBy, validatePairing } from "../../src/offsite/pairing";
import { siteSchema } from "../../src/spec/schema";
import { allSites } from "../../stacks/sites";

const sites = allSites.map((s) => siteSchema.parse(s));
const [rouans, sthilaire] = sites as [(typeof sites)[number], (typeof sites)[number]];

test("the pairing table is valid, symmetric, and both stacks read the same one", () => {
  assert.deepEqual(validatePairing(PAIRING, ["rouans", "sthilaire"]), []);
  assert.deepEqual(sourcesHeldBy(PAIRING, "rouans"), ["sthilaire"]);
  assert.deepEqual(holdersOf(PAIRING, "rouans"), ["sthilaire"]);
});

test("bad pairings are refused with exact messages", () => {
  const cases: [Parameters<typeof validatePairing>[0], string[], string[]][] = [
    [[{ holder: "rouans", source: "rouans" }, { holder: "sthilaire", source: "rouans" }], ["rouans", "sthilaire"], [
      'pairing[0]: found "rouans holding its own copies", expected a site holding another site\'s copies',
      'pairing: found "rouans holding no other site\'s copies", expected rouans holding another site\'s copies',
      'pairing: found "no site holding the copies of sthilaire", expected another site holding sthilaire\'s copies',
      'pairing: found "sthilaire holds rouans but not the reverse", expected a symmetric pairing with two sites',
    ]],
    [[{ holder: "rouans", source: "nantes" }, { holder: "sthilaire", source: "rouans" }, { holder: "sthilaire", source: "rouans" }], ["rouans", "sthilaire"], [
      'pairing[0].source: found "nantes", expected one of the sites: rouans, sthilaire',
      'pairing[2]: found "sthilaire holding rouans twice", expected each pair once',
      'pairing: found "no site holding the copies of sthilaire", expected another site holding sthilaire\'s copies',
      'pairing: found "rouans holds nantes but not the reverse", expected a symmetric pairing with two sites',
      'pairing: found "sthilaire holds rouans but not the reverse", expected a symmetric pairing with two sites',
    ]],
  ];
  for (const [table, names, expected] of cases) assert.deepEqual(validatePairing(table, names).map(formatProblem), expected);
});

test("a ring of three sites is a valid pairing, an unpaired third site is not", () => {
  const ring = [
    { holder: "a", source: "b" },
    { holder: "b", source: "c" },
    { holder: "c", source: "a" },
  ];
  assert.deepEqual(validatePairing(ring, ["a", "b", "c"]), []);
  assert.deepEqual(validatePairing(PAIRING, ["rouans", "sthilaire", "nantes"]).map(formatProblem), [
    'pairing: found "no site holding the copies of nantes", expected another site holding nantes\'s copies',
    'pairing: found "nantes holding no other site\'s copies", expected nantes holding another site\'s copies',
  ]);
});

test("a pairing problem stops the program like any other spec problem", () => {
  const { problems } = validateSiteSpecs(allSites, [{ holder: "rouans", source: "sthilaire" }]);
  assert.deepEqual(problems.map(formatProblem), [
    'pairing: found "no site holding the copies of rouans", expected another site holding rouans\'s copies',
    'pairing: found "sthilaire holding no other site\'s copies", expected sthilaire holding another site\'s copies',
    'pairing: found "rouans holds sthilaire but not the reverse", expected a symmetric pairing with two sites',
  ]);
});

test("each direction: budget from the sender's upload, window after the sender's backup", () => {
  const [toRouans, toSthilaire] = directionsOf(PAIRING, sites);
  assert.deepEqual(toRouans, {
    holder: "rouans",
    source: "sthilaire",
    sourceHost: "sthilaire.retzien.fr",
    sourcePort: 22,
    sourceDumpDir: "/mnt/backup/dump",
    sourceVmids: [210, 220, 230],
    storageId: "offsite-sthilaire",
    storagePath: "/mnt/backup/offsite/sthilaire",
    copiesDumpDir: "/mnt/backup/offsite/sthilaire/dump",
    budgetMbps: 13.6,
    bwlimitKiBps: 1660,
    windowStart: "03:00",
    windowEnd: "07:00",
    windowHours: 4,
  });
  assert.equal(toSthilaire?.budgetMbps, 40);
  assert.equal(toSthilaire?.bwlimitKiBps, 4882);
  assert.equal(toSthilaire?.windowStart, "02:00");
});

test("window estimate: sthilaire's night fits its 17 Mbit/s uplink, its first copy does not", () => {
  const [toRouans] = directionsOf(PAIRING, sites);
  const e = estimateWindow(toRouans!, sthilaire);
  assert.deepEqual({ ...e, direction: undefined }, {
    direction: undefined,
    nightlyGiB: 11.04,
    capacityGiB: 22.8,
    nightlyHours: 1.94,
    seedGiB: 552,
    seedHours: 96.8,
    fits: true,
  });
  assert.equal(windowWarning(e), undefined);
});

test("a night that cannot fit is named with its numbers", () => {
  const busy = structuredClone(sthilaire);
  busy.containers.find((c) => c.name === "nextcloud")!.dailyChangeShare = 0.1;
  const [toRouans] = directionsOf(PAIRING, [rouans, busy]);
  assert.equal(
    windowWarning(estimateWindow(toRouans!, busy)),
    "offsite sthilaire -> rouans: about 43.04 GiB change a night, which takes 7.55 h at 13.6 Mbit/s (sthilaire's upload budget), " +
      "but the window 03:00-07:00 is 4 h (it moves at most 22.8 GiB): copies will lag; widen the window, raise the share, or lower the change",
  );
});

test("only a single, real ed25519 public key is accepted", () => {
  const good = simulatedPublicKey("rouans", "pull");
  assert.equal(checkEd25519PublicKey(good).ok, true);
  const rsaBlob = Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from("ssh-rsa"), Buffer.alloc(57)]).toString("base64").slice(0, 68);
  const cases: [unknown, string][] = [
    [undefined, "no key"],
    ["", "no key"],
    [`${good}\n${good}`, "more than one line"],
    [`command="sh" ${good}`, "not a single ssh-ed25519 public key"],
    ["ssh-rsa AAAAB3NzaC1yc2E= x", "not a single ssh-ed25519 public key"],
    [`ssh-ed25519 ${rsaBlob} x`, "its blob is not an ed25519 key"],
  ];
  for (const [text, reason] of cases) assert.deepEqual(checkEd25519PublicKey(text), { ok: false, reason }, String(text));
});

test("the authorized_keys line: restricted, rrsync read-only on the dump directory, marked", () => {
  const key = checkEd25519PublicKey(simulatedPublicKey("rouans", "pull"));
  assert.ok(key.ok);
  const blob = simulatedPublicKey("rouans", "pull").split(" ")[1];
  assert.equal(
    authorizedKeyLine("/mnt/backup/dump", key, "retzien-offsite-pull-from-rouans"),
    `restrict,command="/usr/bin/rrsync -ro /mnt/backup/dump" ssh-ed25519 ${blob} retzien-offsite-pull-from-rouans`,
  );
  assert.throws(() => authorizedKeyLine('/mnt/x" evil', key, "m"), /is not a plain absolute path/);
  assert.equal(knownHostsLine("sthilaire.retzien.fr", 2222, key), `[sthilaire.retzien.fr]:2222 ssh-ed25519 ${blob}`);
});

test("the pull's env file for rouans pulling sthilaire", () => {
  const [toRouans] = directionsOf(PAIRING, sites);
  assert.equal(
    renderPullEnv(toRouans!, rouans),
    [
      "# Written by the Pulumi program (OffsitePull, rouans pulls sthilaire); edits are overwritten.",
      "# Budget 13.6 Mbit/s of sthilaire's upload, window 03:00-07:00.",
      "PEER_NAME='sthilaire'",
      "PEER_HOST='sthilaire.retzien.fr'",
      "PEER_PORT='22'",
      "PEER_USER='root'",
      "SSH_KEY='/etc/retzien/offsite-pull/id_ed25519'",
      "KNOWN_HOSTS='/etc/retzien/offsite-pull/known_hosts'",
      "DEST_DIR='/mnt/backup/offsite/sthilaire/dump'",
      "STAGING_DIR='/mnt/backup/offsite/sthilaire/.staging'",
      "STATE_DIR='/var/lib/retzien-offsite-pull/sthilaire'",
      "STORAGE_ID='offsite-sthilaire'",
      "KEEP_LAST=''",
      "KEEP_DAILY='7'",
      "KEEP_WEEKLY='4'",
      "KEEP_MONTHLY='3'",
      "KEEP_YEARLY=''",
      "BWLIMIT_KBPS='1660'",
      "EXPECTED_VMIDS='210 220 230'",
      "STALE_AFTER_HOURS='36'",
      "FREE_SPACE_MARGIN_MB='5120'",
      "MAILTO='technique@retzien.fr'",
      "",
    ].join("\n"),
  );
});

test("the units are rendered per held site, the timer after the sender's backup", () => {
  const [toRouans] = directionsOf(PAIRING, sites);
  const units = renderPullUnits(toRouans!, {
    service: "[Unit]\nDescription=Pull\n[Service]\nExecStart=/usr/local/sbin/retzien-offsite-pull --config /etc/retzien/offsite-pull.env\n",
    timer: "[Unit]\nDescription=Nightly\n[Timer]\nOnCalendar=*-*-* 04:30\nPersistent=true\nUnit=retzien-offsite-pull.service\n",
  });
  assert.equal(units.service, "[Unit]\nDescription=Pull, from sthilaire\n[Service]\nExecStart=/usr/local/sbin/retzien-offsite-pull --config /etc/retzien/offsite-pull-sthilaire.env\n");
  assert.equal(units.timer, "[Unit]\nDescription=Nightly, from sthilaire\n[Timer]\nOnCalendar=*-*-* 03:00\nPersistent=true\nUnit=retzien-offsite-pull-sthilaire.service\n");
  assert.throws(() => renderPullUnits(toRouans!, { service: "[Service]\n", timer: "[Timer]\n" }), /template no longer has the line/);
});
