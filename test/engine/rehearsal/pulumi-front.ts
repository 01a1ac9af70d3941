/**
 * `pulumi` in a rehearsal of the runbook: the real CLI (the one
 * `npm run engine:build` made) in the stack's workspace. `up`, `preview` and
 * `refresh` go through the Automation API with the project's program inline,
 * because the CLI runs a Node program through the pulumi-language-nodejs
 * plugin, which the Go module proxy does not serve
 * (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3: "not
 * available"); the Automation API serves that language runtime from this
 * process and runs the same CLI command (`pulumi up --stack ... --target ...`).
 * Like the CLI's `up --yes`, an up previews first. Every other command
 * (`version`, `state delete`, `config set-all`, `config rm`) is the CLI as
 * typed. An option this front cannot pass on is refused, not dropped.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { PulumiCommand } from "@pulumi/pulumi/automation";
import { API_TOKEN_VARIABLE } from "../../../src/config/api-token";
import { openStack } from "../harness";

/** What the front passes on: the options with a value, then the switches. */
const WITH_VALUE = new Set(["--stack", "--target", "--replace"]);
const SWITCHES = new Set(["--refresh", "--yes"]);

/** The options of `args` after the verb that this front cannot pass on. */
function unpassable(args: readonly string[]): string[] {
  const found: string[] = [];
  for (let i = 1; i < args.length; i += 1) {
    const a = args[i] ?? "";
    if (WITH_VALUE.has(a)) i += 1;
    else if (!SWITCHES.has(a)) found.push(a);
  }
  return found;
}

function valuesOf(args: readonly string[], flag: string): string[] {
  return args.filter((_a, i) => args[i - 1] === flag);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const root = process.env["RETZIEN_ENGINE_CLI_ROOT"] ?? "";
  const cli = join(root, "bin", "pulumi");
  const site = valuesOf(args, "--stack")[0];
  const workDir = site === undefined ? undefined : process.env[`RETZIEN_ENGINE_WORKDIR_${site.toUpperCase()}`];
  if (site !== undefined && workDir === undefined) {
    process.stderr.write(`error: no stack named '${site}' found\n`);
    return 255;
  }
  const verb = args[0] ?? "";
  if (!["up", "preview", "refresh"].includes(verb)) {
    return spawnSync(cli, args, { cwd: workDir ?? process.cwd(), stdio: "inherit" }).status ?? 255;
  }
  const unknown = unpassable(args);
  if (unknown.length > 0 || site === undefined || workDir === undefined) {
    process.stderr.write(`the rehearsal's pulumi front passes --stack, --target, --replace, --refresh and --yes only; found ${[...unknown, site === undefined ? "no --stack" : ""].filter(Boolean).join(" ")}\n`);
    return 255;
  }
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("PULUMI_") || k.startsWith("RETZIEN_"))) as Record<string, string>;
  const stack = await openStack(site, await PulumiCommand.get({ root }), env, process.env[API_TOKEN_VARIABLE] ?? "", undefined, workDir);
  const onOutput = (text: string) => process.stdout.write(text);
  const target = valuesOf(args, "--target");
  const replace = valuesOf(args, "--replace");
  const refresh = args.includes("--refresh");
  try {
    if (verb === "refresh") await stack.refresh({ onOutput });
    else await stack.preview({ target, replace, refresh, onOutput });
    if (verb === "up") await stack.up({ target, replace, refresh, onOutput });
    return 0;
  } catch (error) {
    process.stderr.write(`${String((error as { stderr?: string }).stderr ?? (error as Error).message)}\n`);
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(255);
  },
);
