/**
 * The pairing: which site keeps the copies of which. One table, read by every
 * stack, so the two villages can never disagree about who holds whose backups.
 */
import { type Problem, problem } from "../problems";

/** `holder` keeps (pulls) the nightly archives of `source`. */
export interface PairingEntry {
  readonly holder: string;
  readonly source: string;
}

/** The table. Two sites: each holds the other's copies. */
export const PAIRING: readonly PairingEntry[] = [
  { holder: "rouans", source: "sthilaire" },
  { holder: "sthilaire", source: "rouans" },
];

/**
 * Checks a pairing against the known sites: known names, no site holding its own
 * copies, no duplicate, every site's backups held somewhere else, every site
 * holding something (a ring or explicit pairs both pass); with exactly two sites
 * the table must be symmetric.
 */
export function validatePairing(table: readonly PairingEntry[], siteNames: readonly string[]): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const [i, entry] of table.entries()) {
    const path = `pairing[${i}]`;
    for (const role of ["holder", "source"] as const) {
      if (!siteNames.includes(entry[role])) problems.push(problem(`${path}.${role}`, entry[role], `one of the sites: ${siteNames.join(", ")}`));
    }
    if (entry.holder === entry.source) problems.push(problem(path, `${entry.holder} holding its own copies`, "a site holding another site's copies"));
    const key = `${entry.holder}<-${entry.source}`;
    if (seen.has(key)) problems.push(problem(path, `${entry.holder} holding ${entry.source} twice`, "each pair once"));
    seen.add(key);
  }
  for (const site of siteNames) {
    if (!table.some((e) => e.source === site && e.holder !== site)) {
      problems.push(problem("pairing", `no site holding the copies of ${site}`, `another site holding ${site}'s copies`));
    }
    if (!table.some((e) => e.holder === site && e.source !== site)) {
      problems.push(problem("pairing", `${site} holding no other site's copies`, `${site} holding another site's copies`));
    }
  }
  if (siteNames.length === 2) {
    const unique = table.filter((e, i) => table.findIndex((o) => o.holder === e.holder && o.source === e.source) === i);
    for (const e of unique) {
      if (!table.some((o) => o.holder === e.source && o.source === e.holder)) {
        problems.push(problem("pairing", `${e.holder} holds ${e.source} but not the reverse`, "a symmetric pairing with two sites"));
      }
    }
  }
  return problems;
}

/** Sites whose copies `site` holds (it pulls from them). */
export function sourcesHeldBy(table: readonly PairingEntry[], site: string): string[] {
  return table.filter((e) => e.holder === site).map((e) => e.source);
}

/** Sites holding the copies of `site` (they pull from it). */
export function holdersOf(table: readonly PairingEntry[], site: string): string[] {
  return table.filter((e) => e.source === site).map((e) => e.holder);
}
