/**
 * The runbook's decisions from the real specs and the real offline plans: every
 * --target exists in its stack's plan for every site and mode, the estimates,
 * the exact order of steps, the use of the status file, and bad input.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { planStacks } from "../../scripts/lib/offline-plan";
import { formatProblem } from "../../src/problems";
import { validateSiteSpecs } from "../../src/program";
import { type RunbookContext, type RunbookRequest, planRunbook } from "../../src/runbook/runbook";
import type { PullStatus } from "../../src/runbook/status-file";
import { allSites } from "../../stacks/sites";
import { PROJECT_ROOT } from "../helpers/stacks";

const { sites } = validateSiteSpecs(allSites);
const sshOf = new Map([
  ["rouans", "root@192.168.10.2"],
  ["sthilaire", "root@192.168.20.2"],
]);
let plansCache: RunbookContext["plans"] | undefined;
async function plans(): Promise<RunbookContext["plans"]> {
  if (plansCache === undefined) {
    const result = await planStacks(PROJECT_ROOT);
    assert.ok(result.ok);
    plansCache = new Map(result.plan.stacks.map((s) => [s.stack, s.resources]));
  }
  return plansCache;
}
const request = (lost: string, mode: string, extra: Partial<RunbookRequest> = {}): RunbookRequest => ({
  lost,
  mode,
  only: [],
  diskPath: "/media/retzien-carry",
  allowStale: false,
  now: new Date("2026-11-24T08:00:00Z"),
  ...extra,
});

/** A status as the pull writes it, about `site`, finished at 05:00 UTC the same morning. */
export function statusOf(site: string, guests: { vmid: number; bytes: number; ageHours?: number; stale?: boolean }[]): PullStatus {
  return {
    version: 1,
    peer: site,
    startedAt: "2026-11-24T04:00:00Z",
    finishedAt: "2026-11-24T05:00:00Z",
    ok: true,
    dryRun: false,
    bytesOnWire: 1,
    errors: [],
    guests: guests.map((g) => ({
      vmid: g.vmid,
      type: "lxc",
      newestCopy: `vzdump-lxc-${g.vmid}-2026_11_24-01_00_00.tar.gz`,
      newestCopyBytes: g.bytes,
      ageHours: g.ageHours ?? 6,
      stale: g.stale ?? false,
    })),
  };
}

for (const lost of ["rouans", "sthilaire"]) {
  for (const mode of ["failover", "rebuild", "disk"]) {
    test(`${lost} ${mode}: every --target the runbook emits is in its stack's plan`, async () => {
      const p = await plans();
      const result = planRunbook(request(lost, mode), { sites, plans: p, sshOf });
      assert.ok(result.ok, result.ok ? "" : result.problems.map(formatProblem).join("\n"));
      const pulumiSteps = result.runbook.steps.filter((s) => s.argv?.[0] === "pulumi");
      if (mode !== "failover") assert.ok(pulumiSteps.length >= 3, "rebuilds go through pulumi");
      for (const step of pulumiSteps) {
        const argv = step.argv as string[];
        const stack = argv[argv.indexOf("--stack") + 1] as string;
        const urns = new Set((p.get(stack) ?? []).map((r) => r.urn));
        const targets = argv.filter((_, i) => argv[i - 1] === "--target");
        for (const t of targets) assert.ok(urns.has(t), `${t} is not in the plan of ${stack}`);
      }
    });
  }
}

test("rouans rebuild: the exact steps, in order", async () => {
  const result = planRunbook(request("rouans", "rebuild"), { sites, plans: await plans(), sshOf });
  assert.ok(result.ok);
  assert.deepEqual(
    result.runbook.steps.map((s) => [s.title, s.minutes, s.destructive, s.argv?.slice(0, 4).join(" ") ?? "by hand"]),
    [
      ["Install Proxmox VE on the spare hardware at Rouans", 60, false, "by hand"],
      ["Recreate the local backup storage backup", 1, false, "ssh -o BatchMode=yes root@192.168.10.2"],
      ["Foundation: the provider, the LXC template, the storages over the other site's copies", 10, true, "pulumi up --stack rouans"],
      ["Bring the newest copies back from sthilaire (90.0 GiB over its 17 Mbit/s upload)", 843, false, "ssh -A -o BatchMode=yes"],
      ["Restore web (110) onto its own volumes", 20, true, "ssh -o BatchMode=yes root@192.168.10.2"],
      ["Start web (110)", 5, false, "ssh -o BatchMode=yes root@192.168.10.2"],
      ["Read what now runs into the state", 3, false, "pulumi refresh --stack rouans"],
      ["Containers, nightly backup and offsite pull back under the program", 7, true, "pulumi up --stack rouans"],
      ["sthilaire trusts the new host key of rouans and authorises its new pull key", 2, true, "pulumi up --stack sthilaire"],
      ["Check: containers running, backup scheduled, pull timer active", 2, false, "ssh -o BatchMode=yes root@192.168.10.2"],
    ],
  );
  assert.equal(
    result.runbook.steps[4]?.argv?.[4],
    `pct restore 110 "$(ls -1 /mnt/backup/dump/vzdump-lxc-110-*.tar.* | grep -v '\\.notes$' | sort | tail -n 1)" --rootfs local-lvm:32 --mp0 data:300,mp=/var/www,backup=1`,
  );
});

test("the estimate states which path meets the two-hour target for each site", async () => {
  const p = await plans();
  const summary = (lost: string) => {
    const r = planRunbook(request(lost, "disk"), { sites, plans: p, sshOf });
    assert.ok(r.ok);
    return [r.runbook.estimates.map((e) => [e.mode, e.minutes, e.meetsTarget]), r.runbook.recommended?.mode];
  };
  assert.deepEqual(summary("rouans"), [[["failover", 58, true], ["rebuild", 953, false], ["disk", 161, false]], "failover"]);
  assert.deepEqual(summary("sthilaire"), [[["failover", 69, true], ["rebuild", 1507, false], ["disk", 295, false]], "failover"]);
});

test("with the pull's status file: exact archive names, and sizes as held", async () => {
  const status = statusOf("rouans", [{ vmid: 110, bytes: 40 * 1024 ** 3 }]);
  const r = planRunbook(request("rouans", "rebuild"), { sites, plans: await plans(), sshOf, status: { status, source: "status.json" } });
  assert.ok(r.ok);
  const bring = r.runbook.steps[3];
  assert.equal(bring?.title, "Bring the newest copies back from sthilaire (40.0 GiB over its 17 Mbit/s upload)");
  assert.match(
    bring?.argv?.at(-1) ?? "",
    /^rsync -a --partial --progress \/mnt\/backup\/offsite\/rouans\/dump\/vzdump-lxc-110-2026_11_24-01_00_00\.tar\.gz \/mnt\/backup\/offsite\/rouans\/dump\/vzdump-lxc-110-2026_11_24-01_00_00\.log \/mnt\/backup\/offsite\/rouans\/dump\/vzdump-lxc-110-2026_11_24-01_00_00\.tar\.gz\.notes root@rouans\.retzien\.fr:\/mnt\/backup\/dump\/$/,
  );
  assert.equal(r.runbook.steps[4]?.argv?.[4], "pct restore 110 /mnt/backup/dump/vzdump-lxc-110-2026_11_24-01_00_00.tar.gz --rootfs local-lvm:32 --mp0 data:300,mp=/var/www,backup=1");
  assert.equal(r.runbook.steps[4]?.minutes, 9);
});

test("a failover of what does not fit is named, and --only picks what does", async () => {
  const p = await plans();
  const whole = planRunbook(request("sthilaire", "failover"), { sites, plans: p, sshOf });
  assert.ok(whole.ok);
  assert.deepEqual(whole.runbook.services.map((c) => c.name), ["relay", "mail"]);
  assert.deepEqual(whole.runbook.leftOut?.services.map((c) => c.name), ["nextcloud"]);
  const chosen = planRunbook(request("sthilaire", "failover", { only: ["nextcloud"] }), { sites, plans: p, sshOf });
  assert.deepEqual(chosen.ok ? [] : chosen.problems.map(formatProblem), [
    'failover of nextcloud onto rouans: disk: found "1032 GiB of volumes", expected one datastore with that much free (largest: local-lvm with 348 GiB)',
  ]);
});

test("bad requests and bad status files are refused with every reason", async () => {
  const p = await plans();
  const refused = (req: RunbookRequest, status?: PullStatus) => {
    const r = planRunbook(req, { sites, plans: p, sshOf, ...(status ? { status: { status, source: "status.json" } } : {}) });
    return r.ok ? [] : r.problems.map(formatProblem);
  };
  assert.deepEqual(refused(request("nantes", "rebuild")), ['--lost: found "nantes", expected one of the sites: rouans, sthilaire']);
  assert.deepEqual(refused(request("rouans", "teleport")), ['--mode: found "teleport", expected one of failover, rebuild, disk']);
  assert.deepEqual(refused(request("rouans", "rebuild", { only: ["mail"] })), ['--only: found "mail", expected a service of rouans: web']);
  assert.deepEqual(refused(request("sthilaire", "rebuild"), statusOf("sthilaire", [{ vmid: 210, bytes: 1 }])), [
    'status.json.guests[230]: found "no copy", expected a tested copy of every guest to restore',
    'status.json.guests[220]: found "no copy", expected a tested copy of every guest to restore',
  ]);
  assert.deepEqual(refused(request("rouans", "disk"), statusOf("rouans", [{ vmid: 110, bytes: 1, ageHours: 50, stale: true }])), [
    'status.json.guests[110]: found "a copy 50 h old", expected a fresh copy (or --allow-stale, knowing 50 h of data would be lost)',
  ]);
  assert.deepEqual(refused(request("rouans", "disk", { now: new Date("2026-11-27T08:00:00Z") }), statusOf("rouans", [{ vmid: 110, bytes: 1 }])), [
    'status.json.finishedAt: found "a last pull 75.0 h ago", expected one within 36 h (or --allow-stale, knowing the copies may be old)',
  ]);
  assert.deepEqual(refused(request("rouans", "disk"), { ...statusOf("rouans", [{ vmid: 110, bytes: 1 }]), peer: "sthilaire" }), [
    'status.json.peer: found "sthilaire", expected the status of the copies of rouans',
  ]);
  assert.deepEqual(refused(request("rouans", "disk", { allowStale: true }), statusOf("rouans", [{ vmid: 110, bytes: 1, ageHours: 50, stale: true }])), []);
});
