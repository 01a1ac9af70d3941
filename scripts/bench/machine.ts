/** The machine the figures were measured on: they mean little without it. */
import { readFileSync } from "node:fs";
import { availableParallelism, release, totalmem } from "node:os";

export interface Machine {
  readonly nproc: number;
  readonly cpu: string;
  readonly memTotalGiB: number;
  readonly kernel: string;
  readonly versions: Record<string, string>;
}

export function describeMachine(): Machine {
  const cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown";
  return {
    nproc: availableParallelism(),
    cpu,
    memTotalGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    versions: { node: process.version, pulumi: (require("@pulumi/pulumi/package.json") as { version: string }).version },
  };
}
