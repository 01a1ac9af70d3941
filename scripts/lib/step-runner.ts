/**
 * Runs the runbook's steps in order: asks before anything destructive (unless
 * --yes), times each step, logs everything to a file, and on a failure stops and
 * says how to resume from that step.
 */
import { spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { formatMinutes } from "../../src/runbook/estimate";
import type { Step } from "../../src/runbook/step";
import { commandLine, renderStep } from "./runbook-render";

export interface RunOptions {
  readonly steps: readonly Step[];
  /** 1-based step to start from (resume). */
  readonly from: number;
  readonly yes: boolean;
  readonly logFile: string;
  /** The command line that resumes the run, without --from. */
  readonly resumeCommand: string;
  readonly out: (line: string) => void;
  /** What a step's command gets in its environment beside the runner's own (a pulumi step: its stack's token). */
  readonly envOf?: (step: Step) => Record<string, string>;
}

export type RunResult = { ok: true } | { ok: false; failedStep: number; reason: string };

/** Asks a yes/no question on stdin; no answer (end of input) is a no. */
async function confirm(question: string, out: (line: string) => void): Promise<boolean> {
  out(`${question} [y/N]`);
  const rl = createInterface({ input: process.stdin });
  try {
    const answer = await new Promise<string | undefined>((done) => {
      rl.once("line", (line) => done(line));
      rl.once("close", () => done(undefined));
    });
    return answer !== undefined && /^(y|yes|o|oui)$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** Runs one command, copying its output to the terminal and the log; resolves with its exit code. */
function runCommand(argv: readonly string[], env: Record<string, string>, log: (text: string) => void): Promise<number> {
  return new Promise((done) => {
    const [cmd = "", ...args] = argv;
    const child = spawn(cmd, args, { stdio: ["inherit", "pipe", "pipe"], env: { ...process.env, ...env } });
    child.stdout.on("data", (chunk: Buffer) => {
      process.stdout.write(chunk);
      log(chunk.toString("utf8"));
    });
    child.stderr.on("data", (chunk: Buffer) => {
      process.stderr.write(chunk);
      log(chunk.toString("utf8"));
    });
    child.on("error", (error) => {
      log(`cannot run ${cmd}: ${error.message}\n`);
      done(127);
    });
    child.on("close", (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}

export async function runSteps(options: RunOptions): Promise<RunResult> {
  const log = (text: string) => appendFileSync(options.logFile, text);
  const say = (line: string) => {
    options.out(line);
    log(`${line}\n`);
  };
  const stopAt = (n: number, reason: string): RunResult => {
    say(`Step ${n} did not complete: ${reason}`);
    say(`Nothing after it was run. Once the cause is fixed, resume with:\n  ${options.resumeCommand} --from ${n}`);
    return { ok: false, failedStep: n, reason };
  };
  for (let n = options.from; n <= options.steps.length; n += 1) {
    const step = options.steps[n - 1] as Step;
    say(`\n[${n}/${options.steps.length}] ${new Date().toISOString()}`);
    for (const line of renderStep(step, n)) say(line);
    const started = Date.now();
    if (step.argv === undefined) {
      if (!options.yes && !(await confirm("Done?", say))) return stopAt(n, "not confirmed as done");
    } else {
      if (step.destructive && !options.yes && !(await confirm(`Run: ${commandLine(step.argv)} ?`, say))) return stopAt(n, "not confirmed");
      const code = await runCommand(step.argv, options.envOf?.(step) ?? {}, log);
      if (code !== 0) return stopAt(n, `${step.argv[0]} exited with ${code}`);
    }
    const seconds = Math.round((Date.now() - started) / 1000);
    say(`    done in ${seconds} s (estimated ${formatMinutes(step.minutes)})`);
  }
  say("\nAll steps done.");
  return { ok: true };
}
