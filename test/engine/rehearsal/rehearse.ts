/**
 * A rehearsal of the runbook on the engine suite's fake hosts: the newest copy
 * of each guest made as its nightly backup makes it, the
 * loss made on a host, then `npm run rebuild` itself, non-interactive, with
 * the real CLI behind `pulumi` (./pulumi-front.ts) and the fake hosts behind
 * `ssh` (./ssh-to-host.ts).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { siteTokenVariable } from "../../../src/config/api-token";
import { validateSiteSpecs } from "../../../src/program";
import { allSites } from "../../../stacks/sites";
import { healthyPbs, probeAnswerOf } from "../../helpers/pbs-fixtures";
import { PROJECT_ROOT, TYPES } from "../../helpers/stacks";
import { type Engine, SITES, type SiteName } from "../harness";

export const { sites } = validateSiteSpecs(allSites);
const BIN = join(__dirname, "bin");

/**
 * The newest copy of each of `site`'s guests in its own namespace, as its
 * nightly backup makes it: each guest's service answering its health check
 * (its `health` file; its data goes in `files/`), then the fake host's own
 * vzdump (host-standins/vzdump) into its storage `pbs`.
 */
export function keepCopies(engine: Engine, site: SiteName): void {
  const host = engine.host(site);
  const spec = sites.find((s) => s.name === site);
  const vmids = Object.keys(host.objects(TYPES.container));
  for (const id of vmids) {
    const guest = join(host.root, "guests", id);
    mkdirSync(join(guest, "files"), { recursive: true });
    const expect = spec?.containers.find((c) => String(c.vmid) === id)?.healthCheck.expect ?? "";
    writeFileSync(join(guest, "health"), `... ${expect} ...\n`);
  }
  const backup = host.run(`vzdump ${vmids.join(",")} --storage pbs --mode snapshot`);
  if (backup.status !== 0) throw new Error(`the nightly backup of ${site} failed: ${backup.stderr}`);
}

/** What the survivor's status probe answers: its copies of the lost site, made 6 h ago. */
export function statusFile(engine: Engine, lost: SiteName): string {
  const survivor = sites.find((s) => s.name !== lost);
  if (survivor === undefined) throw new Error("no survivor");
  const now = Math.round(Date.now() / 1000);
  const file = join(engine.dir, `status-${lost}.json`);
  writeFileSync(file, JSON.stringify(probeAnswerOf(healthyPbs(survivor, sites, now), now, [lost])));
  return file;
}

/** `npm run rebuild -- <args> --yes`, as a volunteer's shell runs it, with each site's deploy token exported. */
export async function runRebuild(engine: Engine, args: readonly string[]): Promise<{ status: number | null; output: string }> {
  const workDirs = Object.fromEntries(await Promise.all(SITES.map(async (s) => [`RETZIEN_ENGINE_WORKDIR_${s.toUpperCase()}`, (await engine.stack(s)).workspace.workDir])));
  const run = spawnSync(process.execPath, ["-r", join(PROJECT_ROOT, "scripts", "lib", "load-typescript.js"), join(PROJECT_ROOT, "scripts", "rebuild.ts"), ...args, "--yes", "--log", join(engine.dir, "rebuild.log")], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 1_500_000,
    env: {
      ...process.env,
      ...engine.env,
      ...workDirs,
      ...Object.fromEntries(SITES.map((s) => [siteTokenVariable(s), engine.tokenOf(s)])),
      RETZIEN_ENGINE_CLI_ROOT: dirname(dirname(engine.cli.command)),
      PATH: `${BIN}:${dirname(process.execPath)}:${process.env["PATH"] ?? ""}`,
    },
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}${run.error ? String(run.error) : ""}` };
}
