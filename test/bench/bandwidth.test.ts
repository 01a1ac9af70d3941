/**
 * With BWLIMIT_KBPS set to St Hilaire's budget, a pull of an incompressible
 * archive through the real script and a real loopback sshd stays within the
 * budget and uses most of it. This is about rsync honouring --bwlimit as the
 * script passes it (to the sender, through rrsync), not a timing race: the
 * upper bound is the budget plus 10% for ssh framing and rsync's
 * sleep-after-write pacing; the lower bound is deliberately loose (half the
 * budget) because the measured time includes ssh's handshake and rsync's
 * start-up, and CI runs this next to other tests on two cores. It still fails
 * if the budget is ignored, misread (bytes for KiB), or divided.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { missingForLoopbackSshd } from "../../scripts/lib/loopback-sshd";
import { measureBandwidth } from "../../scripts/bench/bandwidth";
import { PULL_SCRIPT, startPullSite } from "../../scripts/bench/pull-site";

const missing = missingForLoopbackSshd(["pigz", "gzip", "tar", "flock", "bash"]);

test("a budgeted pull stays within BWLIMIT_KBPS and uses most of it", { skip: missing ?? false, timeout: 60_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), "bench-bandwidth-"));
  const site = await startPullSite(join(work, "ship"), PULL_SCRIPT);
  try {
    const f = await measureBandwidth(site, work, 8);
    assert.deepEqual(f.errors, [], "the budgeted pull itself succeeded");
    assert.ok(f.archiveBytes > 8 * f.budgetKiBps * 1024 * 0.9, `a long transfer: ${f.archiveBytes} bytes`);
    for (const [what, share] of [["link (ssh bytes down)", f.linkShareOfBudget], ["rsync (status.json)", f.rsyncShareOfBudget]] as const) {
      assert.ok(share <= 1.1, `${what}: ${(share * 100).toFixed(1)}% of the budget, at most 110% expected`);
      assert.ok(share >= 0.5, `${what}: ${(share * 100).toFixed(1)}% of the budget, at least 50% expected`);
    }
  } finally {
    await site.stop();
    rmSync(work, { recursive: true, force: true });
  }
});
