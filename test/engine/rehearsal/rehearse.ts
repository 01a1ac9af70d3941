/**
 * A rehearsal of the runbook on the engine suite's fake hosts: the newest copy
 * of each guest kept as the nightly backup and the pulls would hold it, the
 * loss made on a host, then `npm run rebuild` itself, non-interactive, with
 * the real CLI behind `pulumi` (./pulumi-front.ts) and the fake hosts behind
 * `ssh` (./ssh-to-host.ts).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { siteTokenVariable } from "../../../src/config/api-token";
import { validateSiteSpecs } from "../../../src/program";
import { allSites } from "../../../stacks/sites";
import { healthyPbs, probeAnswerOf } from "../../helpers/pbs-fixtures";
import { PROJECT_ROOT, TYPES } from "../../helpers/stacks";
import { type Engine, SITES, type SiteName } from "../harness";

export const { sites } = validateSiteSpecs(allSites);
const GUEST_TYPES = [TYPES.firewallRules, TYPES.firewallOptions];
const BIN = join(__dirname, "bin");

/** A guest's files as the rehearsal writes them: `health` is what its service answers its own check; `files/<name>` its data. */
export type GuestFiles = Record<string, string>;

/**
 * The newest copy of each of `site`'s guests, as a `pct restore` brings it
 * back: its container and firewall objects as they are on the host now, its
 * service answering its health check, and `files` (by VMID) as its data.
 */
export function keepCopies(engine: Engine, site: SiteName, files: Record<number, GuestFiles> = {}): void {
  const host = engine.host(site);
  const spec = sites.find((s) => s.name === site);
  for (const [id, container] of Object.entries(host.objects(TYPES.container))) {
    // In the site's own namespace, which its storage `pbs` reads at home and `pbs-<site>` at the other site.
    const copy = join(engine.world, "archive", site, id);
    rmSync(copy, { recursive: true, force: true });
    mkdirSync(join(copy, "guest", "files"), { recursive: true });
    const firewall = GUEST_TYPES.flatMap((type) =>
      Object.entries(host.objects(type))
        .filter(([, o]) => String(o["containerId"]) === id)
        .map(([fid, o]) => [type, fid, o]),
    );
    writeFileSync(join(copy, "objects.json"), JSON.stringify([[TYPES.container, id, container], ...firewall]));
    const expect = spec?.containers.find((c) => String(c.vmid) === id)?.healthCheck.expect ?? "";
    writeFileSync(join(copy, "guest", "health"), `... ${expect} ...\n`);
    for (const [name, text] of Object.entries(files[Number(id)] ?? {})) writeFileSync(join(copy, "guest", "files", name), text);
    writeFileSync(join(copy, "time"), new Date(Date.now() - 6 * 3600_000).toISOString().replace(/\.\d+Z$/, "Z"));
  }
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
