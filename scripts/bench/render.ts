/** The bench document as text tables for a person (the --json output is the same figures). */
import type { BenchDocument } from "./checks";

function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: readonly string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] as number)).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)];
}

export function renderText(doc: BenchDocument): string {
  const m = doc.machine;
  const out: string[] = [
    `bench (${doc.quick ? "quick" : "full"}): ${doc.command}`,
    `machine: ${m.nproc} CPU (${m.cpu}), ${m.memTotalGiB} GiB RAM, Linux ${m.kernel}; ${Object.entries(m.versions).map(([k, v]) => `${k}: ${v}`).join("; ")}`,
    "",
    `plan speed: ${doc.plan.method}${doc.plan.nodeArgs.length ? `, node ${doc.plan.nodeArgs.join(" ")}` : ""}`,
    ...table(
      ["what", "resources", "plan ms", "wall ms", "plan ms samples"],
      [doc.plan.committed, ...doc.plan.sites].map((t) => [t.what, String(t.resources), String(t.planMsMedian), String(t.wallMsMedian), t.planMsSamples.join(" ")]),
    ),
    `growth ${doc.plan.growth.from} -> ${doc.plan.growth.to} containers: plan x${doc.plan.growth.planRatio}, wall x${doc.plan.growth.wallRatio}`,
    "",
    `the real engine (CLI ${doc.engine.cli}, stand-in providers and hosts), once each, beside the offline plan of both stacks (${doc.plan.committed.wallMsMedian} ms wall):`,
    ...table(
      ["what", "resources", "ms", "x offline plan"],
      doc.engine.timings.map((t) => [t.what, String(t.resources), String(t.ms), (t.ms / doc.plan.committed.wallMsMedian).toFixed(1)]),
    ),
    "",
    "goals:",
    ...doc.goals.map((g) => `  ${g.met ? "met " : "MISSED"} ${g.goal}: ${g.value.toFixed(3)} (limit ${g.limit})`),
    "",
    `checks: ${doc.checks.filter((c) => c.ok).length}/${doc.checks.length} passed in ${doc.seconds.toFixed(0)} s`,
    ...doc.checks.filter((c) => !c.ok).map((c) => `  FAILED ${c.check}: ${c.detail}`),
  ];
  return `${out.join("\n")}\n`;
}
