/**
 * The real Pulumi engine (the CLI `npm run engine:build` made) running the
 * project's own `stacks/index.ts` through the Automation API's inline programs,
 * against the stand-in provider plugins and one fake host per site. Everything
 * lives in one temporary directory: the state backend (file://), PULUMI_HOME
 * with the plugins, and the fake hosts. Nothing is downloaded: automatic plugin
 * acquisition is off, and the plugins are found in PULUMI_HOME.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { readStackFile } from "../../scripts/lib/stack-file";
import { PVE_TOKEN_ROLES, tokenId } from "../../src/access/pve-roles";
import { API_TOKEN_VARIABLE } from "../../src/config/api-token";
import { readEngineInput } from "../../src/config/engine-config";
import type { SiteSpecInput } from "../../src/site/schema";
import { declareStack } from "../../src/stack";
import { FakeHost } from "./fake-host";
import { PLUGIN_VERSIONS } from "./providers/versions";

const PROJECT_ROOT = resolve(__dirname, "..", "..");
const PROJECT = "retzien-infra";
export const SITES = ["rouans", "sthilaire"] as const;
export type SiteName = (typeof SITES)[number];

export interface Engine {
  readonly dir: string;
  readonly world: string;
  readonly host: (site: SiteName) => FakeHost;
  readonly stack: (site: SiteName) => Promise<Stack>;
  readonly env: Record<string, string>;
  readonly cli: PulumiCommand;
  /**
   * The bootstrap of a site's host (`npm run bootstrap`): new deploy and
   * preview tokens on it; later operations on that site use the deploy token.
   */
  readonly bootstrap: (site: SiteName) => Promise<{ deploy: string; preview: string }>;
  /** The token the site's operations use now (its deploy token since its last bootstrap, unless a test gave another). */
  readonly tokenOf: (site: SiteName) => string;
  /** The token in PROXMOX_VE_API_TOKEN for the site's operations from now on, as an operator's or CI's shell holds it. */
  readonly useToken: (site: SiteName, token: string) => Promise<void>;
  /**
   * An operation expected to fail, run in a child process: when the engine stops
   * a run, the inline program's pending registrations reject ("Resource monitor
   * is terminating") after the run, which the test runner would count against
   * the test file. Resolves with the engine's output either way.
   */
  readonly isolated: (site: SiteName, op: "preview" | "refresh" | "up" | "destroy", sites?: SiteSpecInput[]) => Promise<{ ok: boolean; output: string }>;
  /** The CLI run as an operator types it, in a stack's workspace: `pulumi state delete ...`. */
  readonly pulumi: (args: readonly string[], cwd: string) => { status: number | null; stdout: string; stderr: string };
  /**
   * A secret of a site's stack (`alarmPassword`), made up for this engine: the
   * stack file's own are under a passphrase nobody here has.
   */
  readonly secretOf: (site: SiteName, key: string) => string;
  readonly remove: () => void;
}

/** What an operation proposes or did beyond leaving resources as they are: `{ update: 1 }`, or `{}`. */
export function changesOf(summary: Readonly<Record<string, number | undefined>>): Record<string, number | undefined> {
  return Object.fromEntries(Object.entries(summary).filter(([op]) => op !== "same"));
}

/** The CLI's root (`<root>/bin/pulumi`), built or reused by `npm run engine:build`. */
export function engineRoot(): string {
  return execFileSync("bash", [join(PROJECT_ROOT, "scripts", "engine", "build.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
}

/**
 * The program: stacks/index.ts exactly as `pulumi up` runs it, or the same
 * `declareStack` over other sites. An inline program runs in this process, so
 * it sees the site's token the way `pulumi up` sees the operator's shell.
 */
function programFor(sites: SiteSpecInput[] | undefined, token: string): () => Promise<Record<string, unknown>> {
  return async () => {
    process.env[API_TOKEN_VARIABLE] = token;
    if (sites !== undefined) return (await declareStack(sites, readEngineInput())) as unknown as Record<string, unknown>;
    const entry = require(join(PROJECT_ROOT, "stacks", "index.ts")) as () => Promise<Record<string, unknown>>;
    return entry();
  };
}

/** A site's stack in the engine's backend, with the inline program; the CLI and the provider plugins it starts see `token`. */
export function openStack(site: string, cli: PulumiCommand, env: Record<string, string>, token: string, sites?: SiteSpecInput[], workDir?: string): Promise<Stack> {
  return LocalWorkspace.createOrSelectStack(
    { stackName: site, projectName: PROJECT, program: programFor(sites, token) },
    {
      pulumiCommand: cli,
      envVars: { ...env, [API_TOKEN_VARIABLE]: token },
      // The stack's config lives in its workspace's Pulumi.<stack>.yaml: a second process reuses the directory.
      ...(workDir === undefined ? {} : { workDir }),
      projectSettings: { name: PROJECT, runtime: "nodejs", backend: { url: env["PULUMI_BACKEND_URL"] ?? "" } },
    },
  );
}

/** A shim named as the engine looks for each plugin, starting the stand-in with this very Node. */
function installPlugins(pulumiHome: string): void {
  for (const [name, version] of Object.entries(PLUGIN_VERSIONS)) {
    const dir = join(pulumiHome, "plugins", `resource-${name}-v${version}`);
    mkdirSync(dir, { recursive: true });
    const shim = join(dir, `pulumi-resource-${name}`);
    const serve = join(PROJECT_ROOT, "test", "engine", "providers", "serve.ts");
    writeFileSync(shim, `#!/bin/sh\nexec '${process.execPath}' -r '${join(PROJECT_ROOT, "scripts", "lib", "load-typescript.js")}' '${serve}' ${name} "$@"\n`);
    chmodSync(shim, 0o755);
  }
}

/**
 * A fresh engine: empty state, empty hosts. The program is stacks/index.ts, or
 * the same `declareStack` over other sites when a test changes them.
 */
export async function startEngine(options: { sites?: SiteSpecInput[] } = {}): Promise<Engine> {
  const cli = await PulumiCommand.get({ root: engineRoot(), skipVersionCheck: false });
  const dir = mkdtempSync(join(tmpdir(), "retzien-engine-"));
  const world = join(dir, "world");
  const home = join(dir, "pulumi-home");
  const backend = join(dir, "state");
  for (const d of [world, home, backend]) mkdirSync(d, { recursive: true });
  installPlugins(home);
  const env = {
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${backend}`,
    // A throwaway passphrase for a throwaway backend.
    PULUMI_CONFIG_PASSPHRASE: randomUUID(),
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "false",
    RETZIEN_ENGINE_WORLD: world,
  };
  const tokens = new Map<SiteName, string>();
  const stacks = new Map<SiteName, Stack>();
  const secrets = new Map<string, string>();
  const secretOf = (site: SiteName, key: string): string => {
    if (key !== "alarmPassword") throw new Error(`the engine suite makes up no ${key}: give the stack a test value of its own`);
    const known = secrets.get(`${site}:${key}`) ?? `alarm-${randomUUID()}`;
    secrets.set(`${site}:${key}`, known);
    return known;
  };
  const stack = async (site: SiteName): Promise<Stack> => {
    const known = stacks.get(site);
    if (known !== undefined) return known;
    const made = await openStack(site, cli, env, tokens.get(site) ?? "", options.sites);
    // The stack file's plain values, and its secrets made up here (the file's are under the operators' passphrase).
    const file = readStackFile(PROJECT_ROOT, site);
    for (const [key, value] of Object.entries(file.config)) {
      if (key.startsWith("pulumi:")) continue;
      if (file.secretKeys.includes(key)) await made.setConfig(key, { value: secretOf(site, key.split(":").slice(1).join(":")), secret: true });
      else await made.setConfig(key, { value });
    }
    await made.setConfig("pulumi:disable-default-providers[0]", { value: "proxmoxve" }, true);
    stacks.set(site, made);
    return made;
  };
  const useToken = async (site: SiteName, token: string) => {
    tokens.set(site, token);
    const made = stacks.get(site);
    if (made === undefined) return;
    // A new inline program reads it; the workspace's environment carries it to the CLI and its plugins.
    const workspace = made.workspace as LocalWorkspace;
    workspace.program = programFor(options.sites, token);
    workspace.envVars[API_TOKEN_VARIABLE] = token;
  };
  const bootstrap = async (site: SiteName) => {
    const made = [PVE_TOKEN_ROLES.deploy, PVE_TOKEN_ROLES.preview].map((role) => {
      const secret = randomUUID();
      FakeHost.of(world, site).addToken(tokenId(role), secret, role.name === "deploy");
      return `${tokenId(role)}=${secret}`;
    });
    const [deploy = "", preview = ""] = made;
    await useToken(site, deploy);
    return { deploy, preview };
  };
  // Each host is set up as "Deploy for real" says: bootstrapped, then both stacks exist before the first up.
  for (const site of SITES) await bootstrap(site);
  for (const site of SITES) await stack(site);
  const pulumi = (args: readonly string[], cwd: string) => {
    const run = spawnSync(cli.command, args, { cwd, env: { ...process.env, ...env }, encoding: "utf8", timeout: 300_000 });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  };
  const isolated = async (site: SiteName, op: "preview" | "refresh" | "up" | "destroy", sites?: SiteSpecInput[]) => {
    const workDir = (await stack(site)).workspace.workDir;
    const request = JSON.stringify({ site, op, cliRoot: dirname(dirname(cli.command)), workDir, apiToken: tokens.get(site) ?? "", sites: sites ?? options.sites });
    const run = spawnSync(process.execPath, ["-r", join(PROJECT_ROOT, "scripts", "lib", "load-typescript.js"), join(__dirname, "isolated-op.ts")], {
      input: request,
      env: { ...process.env, ...env },
      encoding: "utf8",
      timeout: 600_000,
    });
    const answer = JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}") as { ok?: boolean; output?: string };
    if (answer.ok === undefined) throw new Error(`the isolated ${op} of ${site} gave no answer (exit ${String(run.status)}): ${run.stderr}`);
    return { ok: answer.ok, output: answer.output ?? "" };
  };
  const tokenOf = (site: SiteName) => tokens.get(site) ?? "";
  return { dir, world, host: (site) => FakeHost.of(world, site), stack, env, cli, bootstrap, tokenOf, useToken, isolated, pulumi, secretOf, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
