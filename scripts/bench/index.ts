/**
 * `npm run bench [-- --quick] [--json]`: measures what issue 5 asks. It builds
 * its own data (a synthetic container root and its nights, archived as vzdump
 * does), ships each night with the real pull script over a loopback sshd with
 * the real authorisation, checks a bandwidth budget, and times the offline plan
 * at growing sizes. Progress goes to stderr; the figures to stdout. Exit 0 when
 * every consistency check holds, 1 when one fails, 2 on bad usage or a missing
 * prerequisite. The goals are reported, never enforced: their timings depend on
 * the machine.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseCommandLine } from "../lib/command-line";
import { exitAfterFlush } from "../lib/exit";
import { missingForLoopbackSshd } from "../lib/loopback-sshd";
import { measureBandwidth } from "./bandwidth";
import { type BenchDocument, type NightSummary, consistencyChecks, goals } from "./checks";
import { describeMachine } from "./machine";
import { type Nights, buildNights } from "./nights";
import { measurePlanSpeed } from "./plan-speed";
import { PULL_SCRIPT, startPullSite } from "./pull-site";
import { renderText } from "./render";
import { CASES, type ShipFigures, ship } from "./shipping";

const USAGE = `usage: npm run bench -- [--quick] [--json] [--size-mib N] [--change PCT] [--wide PCT] [--seed N]
                        [--pull-script FILE] [--plan-node-arg ARG]... [--keep]
  --quick            small data (64 MiB), plan sizes 10 and 100, one run each: about a minute
  --json             one JSON document with every figure on stdout
  --size-mib N       size of the synthetic root filesystem (default 1024, quick 64)
  --change PCT       share of files a night rewrites (default 2); --wide PCT the wider night (default 10)
  --pull-script FILE run this copy of the pull script instead of scripts/host/offsite-pull.sh
  --plan-node-arg A  extra node option for the plan-speed processes (e.g. --stack-trace-limit=0)
  --keep             keep the work directory (its path is printed)`;

const VMID = 220;

function summarize(n: Nights["nights"][keyof Nights["nights"]]): NightSummary {
  const entries = Object.entries(n.archives);
  return {
    id: n.id,
    tarBytes: n.tarBytes,
    archiveBytes: Object.fromEntries(entries.map(([c, a]) => [c, a.bytes])),
    compressSeconds: Object.fromEntries(entries.map(([c, a]) => [c, Math.round(a.compressSeconds * 100) / 100])),
    changedFiles: n.changes?.changed.length ?? 0,
    addedFiles: n.changes?.added.length ?? 0,
    deletedFiles: n.changes?.deleted.length ?? 0,
    filesRead: n.filesRead,
    changedRawBytes: n.changes?.bytes ?? 0,
    changedCompressedBytes: { ...n.changedCompressed } as Record<string, number>,
    tarOrderStable: n.orderStable,
  };
}

async function main(): Promise<number> {
  const values = parseCommandLine(
    {
      quick: { type: "boolean" }, json: { type: "boolean" }, keep: { type: "boolean" },
      "size-mib": { type: "string" }, change: { type: "string" }, wide: { type: "string" }, seed: { type: "string" },
      "pull-script": { type: "string" }, "plan-node-arg": { type: "string", multiple: true },
    },
    USAGE,
  );
  if (typeof values === "number") return values;
  const num = (v: string | undefined, dflt: number, name: string, lo: number, hi: number): number => {
    const n = v === undefined ? dflt : Number(v);
    if (!Number.isFinite(n) || n < lo || n > hi) throw new UsageError(`--${name}: found ${v}, expected a number in ${lo}..${hi}`);
    return n;
  };
  const quick = values.quick === true;
  const o = {
    rootfsBytes: num(values["size-mib"], quick ? 64 : 1024, "size-mib", 16, 65536) * 2 ** 20,
    changeShare: num(values.change, 2, "change", 0.1, 50) / 100,
    wideShare: num(values.wide, 10, "wide", 0.1, 90) / 100,
    seed: num(values.seed, 42, "seed", 0, 2 ** 31),
    churnShare: 0.002,
    readShare: 0.2,
    planSizes: quick ? [10, 100] : [10, 100, 250],
    planRepeats: quick ? 1 : 5,
    bandwidthSeconds: quick ? 3 : 10,
    pullScript: resolve(values["pull-script"] ?? PULL_SCRIPT),
  };
  if (o.wideShare <= o.changeShare) throw new UsageError(`--wide (${o.wideShare * 100}) must be more than --change (${o.changeShare * 100})`);
  const missing = missingForLoopbackSshd(["pigz", "zstd", "tar", "gzip", "flock", "bash"]);
  if (missing !== null) {
    process.stderr.write(`bench: cannot run here: ${missing}\n`);
    return 2;
  }

  const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
  const t0 = performance.now();
  const work = mkdtempSync(join(tmpdir(), "retzien-bench-"));
  try {
    const data = buildNights({ work, vmid: VMID, log, ...o });
    log("shipping with the pull script over loopback sshd");
    const site = await startPullSite(join(work, "ship"), o.pullScript);
    const cases: ShipFigures[] = [];
    let bandwidth;
    try {
      for (const c of CASES) {
        log(`shipping: ${c.label}`);
        cases.push(await ship(site, data, c, VMID));
      }
      log(`bandwidth check (about ${o.bandwidthSeconds} s)`);
      bandwidth = await measureBandwidth(site, work, o.bandwidthSeconds);
    } finally {
      await site.stop();
    }
    const plan = measurePlanSpeed(o.planSizes, o.planRepeats, values["plan-node-arg"] ?? [], log);
    const partial: Omit<BenchDocument, "checks" | "goals"> = {
      version: 1,
      quick,
      command: ["npm run bench --", ...process.argv.slice(2)].join(" ").replace(/ --$/, ""),
      machine: describeMachine(),
      data: {
        seed: o.seed, rootfsBytes: data.rootBytes, files: data.files, changeShare: o.changeShare, wideShare: o.wideShare,
        churnShare: o.churnShare, readShare: o.readShare, nights: Object.values(data.nights).map(summarize),
      },
      shipping: { pullScript: o.pullScript, cases },
      bandwidth,
      plan,
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    };
    const doc: BenchDocument = { ...partial, goals: goals(partial), checks: consistencyChecks(partial) };
    process.stdout.write(values.json ? `${JSON.stringify(doc, null, 2)}\n` : renderText(doc));
    return doc.checks.every((c) => c.ok) ? 0 : 1;
  } finally {
    if (values.keep) log(`work directory kept: ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

class UsageError extends Error {}

main().then(exitAfterFlush, (error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    exitAfterFlush(2);
    return;
  }
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  exitAfterFlush(1);
});
