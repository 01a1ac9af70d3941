/**
 * Runs the project's command-line scripts the way `npm run` does, in the real
 * tree or in a throw-away copy of it that a test may break.
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "./stacks";

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** How the package scripts load TypeScript: the same loader, from `root`. */
const loader = (root: string): string[] => ["-r", join(root, "scripts/lib/load-typescript.js")];

/** `node -r ./scripts/lib/load-typescript.js <script> ...args` in `root`, as the package scripts run them. */
export function runScript(script: string, args: string[], root = PROJECT_ROOT, env: NodeJS.ProcessEnv = {}): CliResult {
  const result = spawnSync(process.execPath, [...loader(root), script, ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * The same, without blocking this process: needed when the script talks to a
 * server this test process runs (a fake API), which must go on answering.
 */
export function runScriptAsync(script: string, args: string[], root = PROJECT_ROOT, timeoutMs = 120_000): Promise<CliResult> {
  return runAsync(process.execPath, [...loader(root), script, ...args], root, timeoutMs);
}

/** Any command, not blocking this process, killed after `timeoutMs`. */
export function runAsync(cmd: string, args: string[], cwd = PROJECT_ROOT, timeoutMs = 60_000, input?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    // A command that exits before reading its stdin (a refused argument) closes
    // the pipe: EPIPE then, which its exit status already reports.
    child.stdin.on("error", () => {});
    child.stdin.end(input ?? "");
  });
}

/** A copy of the project (sources and stack files; node_modules linked) that a test may edit. */
export function projectCopy(): { root: string; remove: () => void } {
  const root = mkdtempSync(join(tmpdir(), "retzien-copy-"));
  for (const entry of ["src", "stacks", "scripts", "test", "Pulumi.yaml", "Pulumi.rouans.yaml", "Pulumi.sthilaire.yaml", "package.json", "tsconfig.json"]) {
    cpSync(join(PROJECT_ROOT, entry), join(root, entry), { recursive: true });
  }
  symlinkSync(join(PROJECT_ROOT, "node_modules"), join(root, "node_modules"));
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}
