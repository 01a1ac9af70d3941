/**
 * The pure front of the program: from the stack name, every site's spec and the
 * engine's config map to one validated plan, or every problem at once. No Pulumi
 * here, so it runs (and is tested) without mocks, and nothing can be registered
 * before it has passed.
 */
import { backupPlanProblems, planBackups } from "./backup/plan";
import { drillProblems } from "./drill/plan";
import { watchProblems } from "./watch/plan";
import { apiTokenProblems } from "./config/api-token";
import { type StackConfig, parseStackConfig } from "./config/stack-config";
import { type HostedGuest, hostedGuests } from "./firewall/hosted";
import { InvalidInfrastructureError, type Problem, problem } from "./problems";
import { offsiteSiteProblems } from "./offsite/directions";
import { PAIRING, type PairingEntry, validatePairing } from "./offsite/pairing";
import { dailyMinuteOf } from "./rules/calendar";
import { alarmPathProblems } from "./rules/alarm-rules";
import { serviceFlowProblems } from "./rules/flow-rules";
import { validateSites } from "./rules/site-rules";
import { parseWithProblems } from "./rules/schema-problems";
import { type SiteSpec, type SiteSpecInput, siteSchema } from "./site/schema";

/** What the engine gives the program. */
export interface EngineInput {
  readonly project: string;
  readonly stack: string;
  /** Config map, `namespace:key` → string. */
  readonly config: Readonly<Record<string, string>>;
  /** Whether a config key arrived as a `secure:` value. */
  readonly isSecret: (fullKey: string) => boolean;
  /** A preview (`pulumi preview`) rather than an update. @default false */
  readonly dryRun?: boolean;
  /** The Proxmox API token of this run, from the environment (src/config/api-token.ts). */
  readonly apiToken?: string;
}

/** A stack ready to be turned into resources. */
export interface ResolvedStack {
  /** The site this stack deploys. */
  readonly site: SiteSpec;
  /** Every site, validated, for the pairing and the cross-site rules. */
  readonly sites: readonly SiteSpec[];
  readonly config: StackConfig;
  /** Guests of another site that run on this host since a failover (the config's `hosting`). */
  readonly hosted: readonly HostedGuest[];
}

/**
 * Validates every site spec on its own (shapes), then all of them together
 * (cross-field rules, the pairing of their backups), then the capacity and
 * night plan of their backups.
 */
export function validateSiteSpecs(
  inputs: readonly SiteSpecInput[],
  pairing: readonly PairingEntry[] = PAIRING,
): { sites: SiteSpec[]; problems: Problem[] } {
  const sites: SiteSpec[] = [];
  const problems: Problem[] = [];
  for (const [i, input] of inputs.entries()) {
    const label = typeof input?.name === "string" ? input.name : `#${i}`;
    const parsed = parseWithProblems(siteSchema, input, `sites.${label}`);
    if (parsed.ok) sites.push(parsed.value);
    else problems.push(...parsed.problems);
  }
  // Every check runs on the inputs it needs that are well-formed, whatever else is
  // wrong, so a volunteer fixes every problem in one run, not one stage per run.
  problems.push(...validateSites(sites), ...sites.flatMap(serviceFlowProblems), ...sites.flatMap(alarmPathProblems));
  const names = inputs.map((s) => s?.name).filter((n): n is string => typeof n === "string");
  const pairingProblems = validatePairing(pairing, names);
  problems.push(...pairingProblems, ...offsiteSiteProblems(pairing, sites));
  // The capacity and night plan, the drills' nights and the watches' limits need a
  // pairing that holds, and each site with every partner well-formed and backing up
  // at one time a day (the nights are counted from it).
  const planned = pairingProblems.length === 0 ? plannableSites(sites, pairing) : [];
  if (planned.length > 0) problems.push(...backupPlanProblems(planBackups(planned, pairing), planned));
  problems.push(...drillProblems(sites, pairing, planned), ...watchProblems(sites, pairing, planned));
  return { sites, problems };
}

/**
 * The sites whose plan can be counted: well-formed, with a daily backup time, and
 * every site they are paired with the same, so that a night is never counted
 * against a partner that failed its own shape.
 */
function plannableSites(sites: readonly SiteSpec[], pairing: readonly PairingEntry[]): SiteSpec[] {
  let planned = sites.filter((s) => dailyMinuteOf(s.backup.schedule) !== null);
  // Dropping a site may leave a partner of its own short: repeat until nothing changes (at most once per site).
  for (let round = 0; round < sites.length; round += 1) {
    const names = new Set(planned.map((s) => s.name));
    const kept = planned.filter((s) => pairing.every((e) => (e.holder === s.name ? names.has(e.source) : e.source === s.name ? names.has(e.holder) : true)));
    if (kept.length === planned.length) break;
    planned = kept;
  }
  return planned;
}

/**
 * Resolves the stack, or throws {@link InvalidInfrastructureError} listing every
 * problem of the specs and the config together.
 */
export function resolveStack(inputs: readonly SiteSpecInput[], engine: EngineInput): ResolvedStack {
  const { sites, problems } = validateSiteSpecs(inputs);
  const config = parseStackConfig(engine.stack, engine.project, engine.config, engine.isSecret);
  if (!config.ok) problems.push(...config.problems);
  problems.push(...apiTokenProblems(engine.apiToken, engine.dryRun ?? false));
  const site = sites.find((s) => s.name === engine.stack);
  const names = inputs.map((s) => s?.name).filter((n) => typeof n === "string");
  if (!names.includes(engine.stack)) {
    problems.push(problem("stack", engine.stack, `one of the sites: ${names.join(", ")}`));
  }
  // Judged on the raw config, so that another slip in the stack file does not hide it.
  if (site !== undefined) problems.push(...secretConfigProblems(site, (key) => engine.config[`${engine.project}:${key}`] !== undefined));
  if (site !== undefined && config.ok) problems.push(...awayProblems(site, config.value.away, engine.stack), ...adoptProblems(site, config.value, engine.stack));
  const hosted = site !== undefined && config.ok ? hostedGuests(site, sites, config.value.hosting) : undefined;
  if (hosted !== undefined && !hosted.ok) problems.push(...hosted.problems);
  if (problems.length > 0 || site === undefined || !config.ok || hosted === undefined || !hosted.ok) throw new InvalidInfrastructureError(problems);
  // The services away are left out of this stack's resources; every check above counted the whole site.
  // Those back on the host but not in the state are adopted as the spec's `adopt` would.
  const { away, adopt } = config.value;
  const here = { ...site, containers: site.containers.filter((c) => !away.includes(c.name)).map((c) => (adopt.includes(c.name) ? { ...c, adopt: true } : c)) };
  return { site: here, sites, config: config.value, hosted: hosted.guests };
}

/** The services marked away are the site's own, and at least one stays. */
function awayProblems(site: SiteSpec, away: readonly string[], stack: string): Problem[] {
  const names = site.containers.map((c) => c.name);
  const problems = away.filter((a) => !names.includes(a)).map((a) => problem(`config[${stack}].away`, a, `a service of ${site.name}: ${names.join(", ")}`));
  if (problems.length === 0 && names.every((n) => away.includes(n))) {
    problems.push(problem(`config[${stack}].away`, away.join(", "), `some of ${site.name}'s services, not all: with none here, use the runbook's failover, not an up`));
  }
  return problems;
}

/** The services to adopt are the site's own, and here: one both away and adopted is a slip. */
function adoptProblems(site: SiteSpec, config: { away: readonly string[]; adopt: readonly string[] }, stack: string): Problem[] {
  const names = site.containers.map((c) => c.name);
  return config.adopt.flatMap((a) =>
    !names.includes(a)
      ? [problem(`config[${stack}].adopt`, a, `a service of ${site.name}: ${names.join(", ")}`)]
      : config.away.includes(a)
        ? [problem(`config[${stack}].adopt`, a, `a service back on ${site.name}'s host, not one still marked away (pulumi config rm away first)`)]
        : [],
  );
}

/**
 * Each secret the spec calls for is given, and none it does not: a Gotify
 * server needs this host's token, an alarm path by submission its password,
 * and either left without its use is a leftover that would mislead.
 */
function secretConfigProblems(site: SiteSpec, given: (key: string) => boolean): Problem[] {
  const at = (key: string) => `config[${site.name}].${key}`;
  const pairs = [
    { key: "gotifyToken", what: "a token", needed: site.backup.gotify !== undefined, why: `sites.${site.name}.backup.gotify names a Gotify server`, use: `a Gotify server in sites.${site.name}.backup.gotify to push to` },
    {
      key: "alarmPassword",
      what: "a password",
      needed: site.backup.alarmPath.via === "submission",
      why: `sites.${site.name}.backup.alarmPath submits the host's alarms with an account`,
      use: `sites.${site.name}.backup.alarmPath via "submission" to use it with`,
    },
  ];
  return pairs.flatMap(({ key, what, needed, why, use }) => {
    // Raw words, not quoted values: the secret is never shown, only whether it is there.
    if (needed && !given(key)) return [{ path: at(key), found: "no value", expected: `a secure: value (pulumi config set --secret ${key}): ${why}` }];
    if (!needed && given(key)) return [{ path: at(key), found: what, expected: `none, or ${use}` }];
    return [];
  });
}
