/**
 * A node:test reporter beside `spec`: at the end of `npm test`, one line saying
 * how many tests were skipped, why (the Debian packages they need), and how to
 * run them. With RETZIEN_NO_SKIPS=1 (`.ci/run`), any skip fails the run: CI runs
 * everything.
 */
export default async function* skipSummary(source) {
  const reasons = new Map();
  for await (const event of source) {
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const { skip } = event.data;
    if (skip === undefined || skip === false) continue;
    const reason = typeof skip === "string" ? skip : "skipped";
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  const count = [...reasons.values()].reduce((a, b) => a + b, 0);
  if (count === 0) return;
  const packages = [...new Set([...reasons.keys()].flatMap((r) => /apt-get install ([^)]+)\)/.exec(r)?.[1].split(" ") ?? []))].sort();
  const why = [...reasons].map(([reason, n]) => `${n} test(s): ${reason}`).join("; ");
  const how = packages.length > 0 ? `apt-get install ${packages.join(" ")} (as root), then npm test again; bash .ci/run installs them and runs everything` : "bash .ci/run runs everything";
  yield `skipped ${count} test(s) this machine cannot run (${why}). To run them: ${how}.\n`;
  if (process.env.RETZIEN_NO_SKIPS === "1") {
    yield `RETZIEN_NO_SKIPS=1: CI runs every test, and ${count} were skipped\n`;
    process.exitCode = 1;
  }
}
