/**
 * Reads one host's PBS report: the read-only status probe sent over SSH
 * (`bash -s -- ARGS`, scripts/host/status-probe.sh), its answer turned into a
 * `PbsReport`. `npm run status` and the runbook read the hosts this one way.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PBS_IDS, tokenSecretFile } from "../../src/backup/names";
import { DRILL_PATHS } from "../../src/drill/drill-commands";
import { WATCH_PATHS } from "../../src/watch/watch-commands";
import { formatProblem } from "../../src/problems";
import { reportFromText } from "../../src/status/pbs-api";
import type { PbsReport } from "../../src/status/pbs-report";

const PROBE = join(__dirname, "..", "host", "status-probe.sh");

export interface ProbeTarget {
  /** `user@host`, or an alias of `sshConfig`. */
  readonly dest: string;
  readonly sshConfig?: string;
  readonly datastore: string;
  readonly namespaces: readonly string[];
  /** Where the host's paths are mounted (a rescue mount, or the tests' fake hosts). @default "" */
  readonly prefix?: string;
  /** The PBS API as the host reaches it. @default the probe's own, https://127.0.0.1:8007 */
  readonly api?: string;
  /** Postfix parameters to read, `host:relayhost` or `VMID:PARAM` (the probe's --postconf). @default [] */
  readonly postconf?: readonly string[];
}

/** The host's report, or why it could not be read (one line). */
export function probeHost(t: ProbeTarget): PbsReport | { error: string } {
  const at = (path: string) => `${t.prefix ?? ""}${path}`;
  // The paths are the probe's own defaults on a host: sent only for a rescue mount or a
  // test's fake host, so that a key restricted to the probe (which takes no path) answers too.
  const paths =
    t.prefix === undefined || t.prefix === ""
      ? []
      : ["--cacert", at("/etc/proxmox-backup/proxy.pem"), "--token-file", at(tokenSecretFile(PBS_IDS.statusToken)), "--drill-results", at(DRILL_PATHS.results), "--watch-results", at(WATCH_PATHS.results)];
  const args = [
    "--datastore",
    t.datastore,
    ...t.namespaces.flatMap((ns) => ["--ns", ns]),
    ...(t.postconf ?? []).flatMap((p) => ["--postconf", p]),
    ...paths,
    ...(t.api === undefined ? [] : ["--api", t.api]),
  ];
  const ssh = [...(t.sshConfig ? ["-F", t.sshConfig] : []), "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", t.dest, "bash", "-s", "--", ...args];
  const run = spawnSync("ssh", ssh, { input: readFileSync(PROBE, "utf8"), encoding: "utf8", timeout: 120_000 });
  if (run.status !== 0) return { error: `ssh ${t.dest}: ${(run.stderr || run.error?.message || `exit ${run.status}`).trim().split("\n").pop()}` };
  const parsed = reportFromText(run.stdout, t.datastore, t.namespaces, `the answer of ${t.dest}`);
  return parsed.ok ? parsed.report : { error: parsed.problems.map(formatProblem).join("; ") };
}
