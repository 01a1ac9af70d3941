/** The machine the figures were measured on: they mean little without it. */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, release, totalmem } from "node:os";

export interface Machine {
  readonly nproc: number;
  readonly cpu: string;
  readonly memTotalGiB: number;
  readonly kernel: string;
  readonly versions: Record<string, string>;
}

function firstLine(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return `${r.stdout ?? ""}${r.stderr ?? ""}`.split("\n").find((l) => l.trim() !== "")?.trim() ?? "unknown";
}

export function describeMachine(): Machine {
  const cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown";
  return {
    nproc: availableParallelism(),
    cpu,
    memTotalGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    versions: {
      node: process.version,
      rsync: firstLine("rsync", ["--version"]),
      pigz: firstLine("pigz", ["--version"]),
      zstd: firstLine("zstd", ["--version"]),
      tar: firstLine("tar", ["--version"]),
      ssh: firstLine("ssh", ["-V"]),
    },
  };
}
