/**
 * The pairing, the pull directions derived from it, and the exact site-link
 * configuration each host gets: pure functions, exact values.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { wireOverheadOf } from "../../src/backup/wire";
import { simulatedLinkKey } from "../../scripts/lib/simulated-host";
import { formatProblem } from "../../src/problems";
import { validateSiteSpecs } from "../../src/program";
import { directionsOf, validateOffsite } from "../../src/offsite/directions";
import { renderLinkConfig } from "../../src/offsite/site-link";
import { PAIRING, holdersOf, sourcesHeldBy, validatePairing } from "../../src/offsite/pairing";
import { siteSchema } from "../../src/site/schema";
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

test("each direction: the holder's PBS pulls the source's namespace through the link, at the pair's bottleneck", () => {
  assert.deepEqual(directionsOf(PAIRING, sites), [
    {
      holder: "rouans",
      source: "sthilaire",
      sourceAddress: "10.77.0.2",
      sourcePort: 8007,
      sourceDatastore: "backup",
      holderDatastore: "backup",
      namespace: "sthilaire",
      remote: "sthilaire",
      jobId: "pull-sthilaire",
      sourceVmids: [210, 220, 230],
      // 80 % of sthilaire's 17 Mbit/s upload; rouans' 90 Mbit/s download is not the limit.
      budgetMbps: 13.6,
      // What PBS may count so that, with the headers and VDSL2's framing, it takes 13.6 on the line.
      payloadMbps: (17 * 0.8) / wireOverheadOf("vdsl2-pppoe"),
      rateInBytesPerSecond: 1_520_465,
    },
    {
      holder: "sthilaire",
      source: "rouans",
      sourceAddress: "10.77.0.1",
      sourcePort: 8007,
      sourceDatastore: "backup",
      holderDatastore: "backup",
      namespace: "rouans",
      remote: "rouans",
      jobId: "pull-rouans",
      sourceVmids: [110],
      // 80 % of rouans' 50 Mbit/s upload is 40, and so is sthilaire's download.
      budgetMbps: 40,
      // sthilaire's VDSL2 download costs more a byte than rouans' fibre upload: it sets the rate.
      payloadMbps: 40 / wireOverheadOf("vdsl2-pppoe"),
      rateInBytesPerSecond: 4_471_958,
    },
  ]);
  const slowDown = structuredClone(sthilaire);
  slowDown.uplink.downMbps = 20;
  assert.equal(directionsOf(PAIRING, [rouans, slowDown])[1]?.budgetMbps, 20);
});

test("a site-link address outside the link's network is refused", () => {
  const far = structuredClone(sthilaire);
  far.siteLink.address = "10.78.0.2";
  assert.deepEqual(validateOffsite(PAIRING, [rouans, far]).map(formatProblem), [
    'sites.sthilaire.siteLink.address: found "10.78.0.2", expected an address in 10.77.0.0/24, the site link\'s network (as rouans\'s)',
  ]);
});

test("two sites on one site-link address are refused", () => {
  const clash = structuredClone(sthilaire);
  clash.siteLink.address = rouans.siteLink.address;
  assert.deepEqual(validateOffsite(PAIRING, [rouans, clash]).map(formatProblem), [
    'sites.sthilaire.siteLink.address: found "10.77.0.1", expected an address not already used (sites.rouans.siteLink.address has it)',
  ]);
});

test("the site link of rouans: its address, and sthilaire allowed only its own", () => {
  assert.equal(
    renderLinkConfig(rouans, [{ site: sthilaire, publicKey: simulatedLinkKey("sthilaire") }]),
    [
      "# Managed by retzien-infra (src/components/SiteLink.ts): the PBS of the paired sites talk through this tunnel only.",
      "[Interface]",
      "Address = 10.77.0.1/24",
      "ListenPort = 51820",
      "PostUp = wg set %i private-key /etc/wireguard/retzien.key",
      "",
      "# sthilaire",
      "[Peer]",
      `PublicKey = ${simulatedLinkKey("sthilaire")}`,
      "Endpoint = sthilaire.retzien.fr:51820",
      "AllowedIPs = 10.77.0.2/32",
      "PersistentKeepalive = 25",
      "",
    ].join("\n"),
  );
});

test("a peer reached at an IPv6 address is written in brackets, as wg-quick reads it", () => {
  const v6 = structuredClone(sthilaire);
  v6.siteLink.endpoint = "2001:db8:20::2";
  const config = renderLinkConfig(rouans, [{ site: v6, publicKey: simulatedLinkKey("sthilaire") }]);
  assert.match(config, /^Endpoint = \[2001:db8:20::2\]:51820$/m);
});
