/**
 * `npm run status [-- --site NAME]... [--json]`: the operator's daily glance, over
 * SSH and read-only, from each host's PBS: per guest the newest snapshot at home
 * and the newest copy at the other site, the last pull, prune, verify and GC, the
 * datastore's usage against the planner's prediction, and every problem. Exit 0
 * all well, 1 something needs attention (so it can run from cron), 2 bad arguments.
 *
 * `--ssh SITE=DEST` and `--ssh-config FILE` change how a host is reached (default:
 * `sshUser@sshAddress` from its stack file); `--prefix SITE=DIR` reads a host whose
 * paths are mounted under DIR, `--api SITE=URL` a PBS API elsewhere than the
 * host's own https://127.0.0.1:8007 (the tests' fake hosts use both).
 */
import { resolve } from "node:path";
import { datastoreFootprints } from "../src/backup/capacity";
import { namespaceOf } from "../src/backup/names";
import { directionsOf } from "../src/offsite/directions";
import { PAIRING } from "../src/offsite/pairing";
import { formatProblem, problem } from "../src/problems";
import { validateSiteSpecs } from "../src/program";
import { assess } from "../src/status/assess";
import { mailSettingChecks } from "../src/status/mail-settings";
import { renderGlance } from "../src/status/render";
import type { PbsReport } from "../src/status/pbs-report";
import { allSites } from "../stacks/sites";
import { parseCommandLine } from "./lib/command-line";
import { exitAfterFlush } from "./lib/exit";
import { probeHost } from "./lib/pbs-probe";
import { readProjectName, sshDestinationOf } from "./lib/stack-file";

const ROOT = resolve(__dirname, "..");
const USAGE =
  "usage: npm run status -- [--site NAME]... [--json] [--ssh SITE=USER@HOST]... [--ssh-config FILE] [--prefix SITE=DIR]... [--api SITE=URL]...";

/** `a=b` pairs of a repeatable option, by key. */
function pairs(values: readonly string[] | undefined, option: string): Map<string, string> | string {
  const out = new Map<string, string>();
  for (const v of values ?? []) {
    const i = v.indexOf("=");
    if (i <= 0) return `${option}: found ${JSON.stringify(v)}, expected SITE=VALUE`;
    out.set(v.slice(0, i), v.slice(i + 1));
  }
  return out;
}

async function main(): Promise<number> {
  const values = parseCommandLine(
    {
      site: { type: "string", multiple: true },
      json: { type: "boolean" },
      ssh: { type: "string", multiple: true },
      "ssh-config": { type: "string" },
      prefix: { type: "string", multiple: true },
      api: { type: "string", multiple: true },
    },
    USAGE,
  );
  if (typeof values === "number") return values;
  const { sites, problems } = validateSiteSpecs(allSites);
  if (problems.length > 0) {
    process.stderr.write(`${problems.map(formatProblem).join("\n")}\n`);
    return 2;
  }
  const names = sites.map((s) => s.name);
  const ssh = pairs(values.ssh, "--ssh");
  const prefix = pairs(values.prefix, "--prefix");
  const api = pairs(values.api, "--api");
  const maps = [ssh, prefix, api];
  const bad = [
    ...maps.filter((m): m is string => typeof m === "string"),
    ...[...(values.site ?? []), ...maps.flatMap((m) => (typeof m === "string" ? [] : [...m.keys()]))]
      .filter((s) => !names.includes(s))
      .map((s) => formatProblem(problem("--site", s, `one of the sites: ${names.join(", ")}`))),
  ];
  if (bad.length > 0 || typeof ssh === "string" || typeof prefix === "string" || typeof api === "string") {
    process.stderr.write(`${bad.join("\n")}\n${USAGE}\n`);
    return 2;
  }

  const project = readProjectName(ROOT);
  const directions = directionsOf(PAIRING, sites);
  const wanted = values.site ?? names;
  // The peers of a wanted site are probed too: its copies live there.
  const probed = names.filter((n) => wanted.includes(n) || directions.some((d) => wanted.includes(d.source) && d.holder === n));
  const reports = new Map<string, PbsReport | { error: string }>();
  for (const name of probed) {
    const site = sites.find((s) => s.name === name)!;
    const holds = directions.filter((d) => d.holder === name).map((d) => d.source);
    reports.set(
      name,
      probeHost({
        dest: ssh.get(name) ?? sshDestinationOf(ROOT, project, name),
        ...(values["ssh-config"] ? { sshConfig: values["ssh-config"] } : {}),
        datastore: site.backupServer.datastore,
        namespaces: [name, ...holds].map(namespaceOf),
        postconf: mailSettingChecks(site).map((c) => c.key),
        ...(prefix.has(name) ? { prefix: prefix.get(name) } : {}),
        ...(api.has(name) ? { api: api.get(name) } : {}),
      }),
    );
  }
  // What the planner expects on disk: its footprint less the share it keeps free.
  const predicted = new Map(datastoreFootprints(sites).map((d) => [d.site, Math.round((d.totalGiB - d.marginGiB) * 10) / 10]));
  const glance = assess(sites.filter((s) => wanted.includes(s.name)), directions, reports, predicted);
  process.stdout.write(values.json ? `${JSON.stringify(glance, null, 2)}\n` : `${renderGlance(glance).join("\n")}\n`);
  return glance.problems.length === 0 ? 0 : 1;
}

main().then(exitAfterFlush, (error: unknown) => {
  process.stderr.write(`status failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  exitAfterFlush(3);
});
