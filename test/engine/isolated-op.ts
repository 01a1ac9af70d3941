/**
 * One engine operation in a process of its own (Engine.isolated): reads
 * `{ site, op, cliRoot, workDir, apiToken, sites? }` on stdin, runs the operation on the stack the
 * harness made, and prints `{ ok, output }` as its last line, whether the
 * engine succeeded or refused. The process then exits, taking with it whatever
 * the inline program left pending when the engine stopped.
 */
import { readFileSync } from "node:fs";
import { PulumiCommand } from "@pulumi/pulumi/automation";
import type { SiteSpecInput } from "../../src/site/schema";
import { openStack } from "./harness";

interface Request {
  readonly site: string;
  readonly op: "preview" | "refresh" | "up" | "destroy";
  readonly cliRoot: string;
  readonly workDir: string;
  readonly apiToken: string;
  readonly sites?: SiteSpecInput[];
}

async function main(): Promise<{ ok: boolean; output: string }> {
  const request = JSON.parse(readFileSync(0, "utf8")) as Request;
  const cli = await PulumiCommand.get({ root: request.cliRoot });
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("PULUMI_") || k.startsWith("RETZIEN_"))) as Record<string, string>;
  const stack = await openStack(request.site, cli, env, request.apiToken, request.sites, request.workDir);
  try {
    const result = await stack[request.op]();
    return { ok: true, output: result.stdout };
  } catch (error) {
    return { ok: false, output: `${String((error as { stdout?: string }).stdout ?? "")}${String((error as Error).message)}` };
  }
}

main().then(
  (answer) => {
    process.stdout.write(`\n${JSON.stringify(answer)}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
