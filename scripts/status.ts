/**
 * `npm run status [-- --site NAME]... [--json]`: the operator's daily glance, over
 * SSH and read-only: per guest the newest local backup and the newest copy at the
 * other site, the last pulls, the free space of the backup and offsite storages,
 * and every problem. Exit 0 all well, 1 something needs attention (so it can run
 * from cron), 2 bad arguments.
 *
 * `--ssh SITE=DEST` and `--ssh-config FILE` change how a host is reached (default:
 * `sshUser@sshAddress` from its stack file); `--prefix SITE=DIR` reads a host whose
 * paths are mounted under DIR (a rescue mount, or the tests' fake hosts).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { directionsOf, dumpDirOf } from "../src/offsite/directions";
import { pullNames } from "../src/offsite/host-files";
import { PAIRING } from "../src/offsite/pairing";
import { formatProblem, problem } from "../src/problems";
import { validateSiteSpecs } from "../src/program";
import { type Glance, assess } from "../src/status/assess";
import { type Probe, probeSchema } from "../src/status/probe";
import { allSites } from "../stacks/sites";
import { parseCommandLine } from "./lib/command-line";
import { exitAfterFlush } from "./lib/exit";
import { readProjectName, sshDestinationOf } from "./lib/stack-file";

const ROOT = resolve(__dirname, "..");
const USAGE = "usage: npm run status -- [--site NAME]... [--json] [--ssh SITE=USER@HOST]... [--ssh-config FILE] [--prefix SITE=DIR]...";

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

const gib = (bytes: number | null) => (bytes === null ? "?" : `${(bytes / 1024 ** 3).toFixed(1)} GiB`);

function render(glance: Glance): string[] {
  const lines: string[] = [];
  for (const s of glance.sites) {
    lines.push(`${s.site}${s.reachable ? "" : " (UNREACHABLE)"}`);
    for (const g of s.guests) {
      const local = g.local ? `${g.local.archive} (${g.local.ageHours} h)` : "none";
      const offsite = g.offsite ? `${g.offsite.archive} at ${g.offsite.holder} (${g.offsite.ageHours} h)` : "none";
      lines.push(`  ${`${g.name} (${g.vmid})`.padEnd(18)} local: ${local}; copy: ${offsite}`);
    }
    for (const p of s.pulls) {
      const result = p.ok === null ? "no status" : p.ok ? "ok" : "FAILED";
      lines.push(`  pull of ${p.source}: ${result}${p.finishedAt ? `, ${p.finishedAt} (${p.ageHours} h ago), ${gib(p.bytesOnWire)} on the wire` : ""}`);
    }
    for (const st of s.storages) {
      const share = st.availBytes !== null && st.sizeBytes ? ` (${Math.round((st.availBytes / st.sizeBytes) * 100)} % free)` : "";
      lines.push(`  storage ${st.name}: ${st.availBytes === null ? "missing" : `${gib(st.availBytes)} free of ${gib(st.sizeBytes)}${share}`}`);
    }
  }
  lines.push(glance.problems.length === 0 ? "All well." : `Needs attention (${glance.problems.length}):`);
  for (const p of glance.problems) lines.push(`  - ${p}`);
  return lines;
}

async function main(): Promise<number> {
  const values = parseCommandLine(
    {
      site: { type: "string", multiple: true },
      json: { type: "boolean" },
      ssh: { type: "string", multiple: true },
      "ssh-config": { type: "string" },
      prefix: { type: "string", multiple: true },
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
  const bad = [
    ...(typeof ssh === "string" ? [ssh] : []),
    ...(typeof prefix === "string" ? [prefix] : []),
    ...[...(values.site ?? []), ...(typeof ssh === "string" ? [] : ssh.keys()), ...(typeof prefix === "string" ? [] : prefix.keys())]
      .filter((s) => !names.includes(s))
      .map((s) => formatProblem(problem("--site", s, `one of the sites: ${names.join(", ")}`))),
  ];
  if (bad.length > 0 || typeof ssh === "string" || typeof prefix === "string") {
    process.stderr.write(`${bad.join("\n")}\n${USAGE}\n`);
    return 2;
  }

  const project = readProjectName(ROOT);
  const directions = directionsOf(PAIRING, sites);
  const wanted = values.site ?? names;
  // The peers of a wanted site are probed too: its copies live there.
  const probed = names.filter((n) => wanted.includes(n) || directions.some((d) => wanted.includes(d.source) && d.holder === n));
  const script = readFileSync(join(ROOT, "scripts", "host", "status-probe.sh"), "utf8");
  const probes = new Map<string, Probe | { error: string }>();
  for (const name of probed) {
    const site = sites.find((s) => s.name === name)!;
    const dest = ssh.get(name) ?? sshDestinationOf(ROOT, project, name);
    const at = (path: string) => `${prefix.get(name) ?? ""}${path}`;
    const args = [
      "--dump",
      at(dumpDirOf(site) ?? ""),
      ...directions.filter((d) => d.holder === name).flatMap((d) => ["--copies", `${d.source}=${at(d.copiesDumpDir)}`, "--pull-status", `${d.source}=${at(`${pullNames(d.source).stateDir}/status.json`)}`]),
    ];
    const sshArgs = [...(values["ssh-config"] ? ["-F", values["ssh-config"]] : []), "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", dest, "bash", "-s", "--", ...args];
    const run = spawnSync("ssh", sshArgs, { input: script, encoding: "utf8", timeout: 60_000 });
    if (run.status !== 0) {
      probes.set(name, { error: `ssh ${dest}: ${(run.stderr || run.error?.message || `exit ${run.status}`).trim().split("\n").pop()}` });
      continue;
    }
    try {
      probes.set(name, probeSchema.parse(JSON.parse(run.stdout)));
    } catch (error) {
      probes.set(name, { error: `unreadable answer from ${dest}: ${(error as Error).message.split("\n")[0]}` });
    }
  }
  const glance = assess(sites.filter((s) => wanted.includes(s.name)), directions, probes, Date.now() / 1000);
  process.stdout.write(values.json ? `${JSON.stringify(glance, null, 2)}\n` : `${render(glance).join("\n")}\n`);
  return glance.problems.length === 0 ? 0 : 1;
}

main().then(exitAfterFlush, (error: unknown) => {
  process.stderr.write(`status failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  exitAfterFlush(3);
});
