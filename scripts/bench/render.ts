/** The bench document as text tables for a person (the --json output is the same figures). */
import type { BenchDocument } from "./checks";

const MB = (b: number) => (b / 1e6).toFixed(2);
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const x2 = (x: number | null) => (x === null ? "-" : `${x.toFixed(2)}x`);

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
    `data: ${doc.data.files} files, ${MB(doc.data.rootfsBytes)} MB of root filesystem (seed ${doc.data.seed})`,
    ...table(
      ["night", "tar MB", "archives MB", "changed/added/deleted/read", "changed raw MB", "changed compressed MB", "tar order stable"],
      doc.data.nights.map((n) => [
        n.id,
        MB(n.tarBytes),
        Object.entries(n.archiveBytes).map(([c, b]) => `${c} ${MB(b)} (${n.compressSeconds[c]?.toFixed(1)} s)`).join(", "),
        `${n.changedFiles}/${n.addedFiles}/${n.deletedFiles}/${n.filesRead}`,
        MB(n.changedRawBytes),
        Object.entries(n.changedCompressedBytes).map(([c, b]) => `${c} ${MB(b)}`).join(", ") || "-",
        n.tarOrderStable === null ? "-" : String(n.tarOrderStable),
      ]),
    ),
    "",
    `shipping (real pull script ${doc.shipping.pullScript}, loopback sshd, rrsync -ro):`,
    ...table(
      ["case", "archive MB", "changed MB", "wire MB", "link down MB", "wire/archive", "wire/changed", "down/changed", "s", "ok"],
      doc.shipping.cases.map((c) => [
        c.id,
        MB(c.archiveBytes),
        c.changedCompressedBytes === null ? "-" : MB(c.changedCompressedBytes),
        MB(c.bytesOnWire),
        MB(c.linkDownBytes),
        pct(c.wireOverArchive),
        x2(c.wireOverChanged),
        x2(c.linkDownOverChanged),
        c.seconds.toFixed(2),
        c.ok ? "ok" : `FAIL: ${c.problems.join("; ")}`,
      ]),
    ),
    "",
    `bandwidth: ${doc.bandwidth.direction}, BWLIMIT_KBPS=${doc.bandwidth.budgetKiBps}, ${MB(doc.bandwidth.archiveBytes)} MB in ${doc.bandwidth.seconds} s: ` +
      `rsync ${MB(doc.bandwidth.rsyncBytesPerSecond)} MB/s (${pct(doc.bandwidth.rsyncShareOfBudget)} of budget), ` +
      `link ${MB(doc.bandwidth.linkBytesPerSecond)} MB/s (${pct(doc.bandwidth.linkShareOfBudget)} of budget)`,
    "",
    `plan speed: ${doc.plan.method}${doc.plan.nodeArgs.length ? `, node ${doc.plan.nodeArgs.join(" ")}` : ""}`,
    ...table(
      ["what", "resources", "plan ms", "wall ms", "plan ms samples"],
      [doc.plan.committed, ...doc.plan.sites].map((t) => [t.what, String(t.resources), String(t.planMsMedian), String(t.wallMsMedian), t.planMsSamples.join(" ")]),
    ),
    `growth ${doc.plan.growth.from} -> ${doc.plan.growth.to} containers: plan x${doc.plan.growth.planRatio}, wall x${doc.plan.growth.wallRatio}`,
    "",
    "goals:",
    ...doc.goals.map((g) => `  ${g.met === null ? "n/a " : g.met ? "met " : "MISSED"} ${g.goal}: ${g.value.toFixed(3)} (limit ${g.limit})`),
    "",
    `checks: ${doc.checks.filter((c) => c.ok).length}/${doc.checks.length} passed in ${doc.seconds.toFixed(0)} s`,
    ...doc.checks.filter((c) => !c.ok).map((c) => `  FAILED ${c.check}: ${c.detail}`),
  ];
  return `${out.join("\n")}\n`;
}
