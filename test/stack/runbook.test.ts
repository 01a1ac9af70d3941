/**
 * The runbook's decisions from the real specs and the real offline plans: every
 * --target exists in its stack's plan for every site and mode, the estimates,
 * the exact order of steps, the use of the survivor's PBS listing, and bad input.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { planStacks } from "../../scripts/lib/offline-plan";
import { formatProblem } from "../../src/problems";
import { validateSiteSpecs } from "../../src/program";
import { type RunbookContext, type RunbookRequest, planRunbook } from "../../src/runbook/runbook";
import type { PbsReport } from "../../src/status/pbs-report";
import { allSites } from "../../stacks/sites";
import { PROJECT, PROJECT_ROOT, TYPES, runStack } from "../helpers/stacks";

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
  diskPath: "retzien-carry",
  allowStale: false,
  ...extra,
});

const NOW = Date.parse("2026-11-24T08:00:00Z") / 1000;

/** The survivor's PBS listing of its copies of `site`: one snapshot per guest, `hoursAgo` before NOW. */
export function reportOf(site: string, guests: { vmid: number; bytes: number; hoursAgo?: number }[], now = NOW): PbsReport {
  return {
    version: 2,
    now,
    datastore: { name: "backup", totalBytes: 920 * 1024 ** 3, usedBytes: 600 * 1024 ** 3, availBytes: 320 * 1024 ** 3 },
    namespaces: {
      [site]: guests.map((g) => ({ type: "ct" as const, id: String(g.vmid), time: NOW - (g.hoursAgo ?? 7) * 3600, sizeBytes: g.bytes, verified: "ok" as const, protected: false })),
    },
    jobs: [],
    errors: [],
  };
}

for (const lost of ["rouans", "sthilaire"]) {
  for (const mode of ["failover", "rebuild", "disk"]) {
    test(`${lost} ${mode}: every URN the runbook passes to pulumi is in its stack's plan`, async () => {
      const p = await plans();
      const result = planRunbook(request(lost, mode), { sites, plans: p, sshOf });
      assert.ok(result.ok, result.ok ? "" : result.problems.map(formatProblem).join("\n"));
      assert.equal(result.runbook.blocked, undefined);
      const pulumiSteps = result.runbook.steps.filter((s) => s.argv?.[0] === "pulumi");
      if (mode !== "failover") assert.ok(pulumiSteps.length >= 3, "rebuilds go through pulumi");
      // A failover names the guests the survivor runs in its stack's config first: its later ups target what
      // the program declares with that config.
      const named = pulumiSteps.filter((s) => s.argv?.[1] === "config").flatMap((s) => s.argv?.filter((a) => a.startsWith("hosting[")).map((a) => a.split("=")[1]) ?? []);
      const hosting = named.length === 0 ? undefined : named;
      const planned = async (stack: string) =>
        hosting === undefined || stack === lost ? (p.get(stack) ?? []) : (await runStack(stack, { config: (c) => void (c[`${PROJECT}:hosting`] = JSON.stringify(hosting)) })).resources;
      for (const step of pulumiSteps.filter((s) => s.argv?.[1] !== "config")) {
        const argv = step.argv as string[];
        const stack = argv[argv.indexOf("--stack") + 1] as string;
        const urns = new Set((await planned(stack)).map((r) => r.urn));
        // Every URN: the --target of an up and the resources a state delete forgets.
        const named = argv.filter((a) => a.startsWith("urn:"));
        // A targeted up names each target; the last one, once the guests run, is a plain up after a refresh.
        if (argv[1] === "up") assert.ok(named.length > 0 ? named.every((u) => ["--target", "--replace"].includes(argv[argv.indexOf(u) - 1] ?? "")) : argv.includes("--refresh"), "an up names what it targets, or is a plain up with refresh");
        for (const t of named) assert.ok(urns.has(t), `${t} is not in the plan of ${stack}`);
      }
    });
  }
}

const names = (argv: readonly string[] | undefined, flag?: string) =>
  (argv ?? []).filter((a, i, all) => a.startsWith("urn:") && (flag === undefined || all[i - 1] === flag)).map((u) => u.split("::").pop());

test("rouans rebuild: the exact steps, in order", async () => {
  const result = planRunbook(request("rouans", "rebuild"), { sites, plans: await plans(), sshOf });
  assert.ok(result.ok);
  assert.deepEqual(
    result.runbook.steps.map((s) => [s.title, s.minutes, s.destructive, s.argv?.slice(0, 4).join(" ") ?? "by hand"]),
    [
      ["Install Proxmox VE on the spare hardware at Rouans", 60, false, "by hand"],
      ["Forget in rouans's state what ran on the lost host, so that the program makes it again", 1, true, "pulumi state delete --stack"],
      ["On sthilaire: a new pull token for rouans, the old one revoked", 1, true, "pulumi up --stack sthilaire"],
      ["Foundation: the provider, the host firewall, PBS (install, datastore, tokens, jobs, storages), the site link, the remotes of the other sites", 15, true, "pulumi up --stack rouans"],
      ["sthilaire trusts the new rouans: its site-link key, its PBS certificate and token", 2, true, "pulumi up --stack sthilaire"],
      ["On sthilaire: let the new rouans read its own copies, for the transfer back, at 50 % of the link by day", 1, true, "ssh -o BatchMode=yes root@192.168.20.2"],
      // 120 GiB of data x 0.6 stored, over sthilaire's 17 Mbit/s upload (rouans downloads 90): 0.5 of it for the
      // 16 hours of the day, 0.9 for the 8 of the night, 0.63 on the whole.
      ["Pull the newest copies back from sthilaire (72.0 GiB of chunks at 15.2 Mbit/s, what the link leaves after the headers, 50 % of it from 7:00 to 23:00)", 1071, false, "ssh -o BatchMode=yes root@192.168.10.2"],
      ["Hand the copies to Proxmox VE's token (pve@pbs!vzdump): restores read them, tonight's backups continue them", 1, false, "ssh -o BatchMode=yes root@192.168.10.2"],
      ["On sthilaire: take the read grant and the day rate back", 1, true, "ssh -o BatchMode=yes root@192.168.20.2"],
      ["Restore web (110) onto its own volumes", 26, true, "ssh -o BatchMode=yes root@192.168.10.2"],
      ["Start web (110)", 1, false, "ssh -o BatchMode=yes root@192.168.10.2"],
      ['Check web (110) answers: apache2ctl -t says "Syntax OK"', 5, false, "ssh -o BatchMode=yes root@192.168.10.2"],
      ["Containers, the template, the nightly backup and the pulls of the other sites back under the program (a plain up, after a refresh)", 10, true, "pulumi up --stack rouans"],
      ["Check: containers running, backup scheduled, the pull of the other site in place", 2, false, "ssh -o BatchMode=yes root@192.168.10.2"],
    ],
  );
  const steps = result.runbook.steps;
  // By day (7:00-23:00) sthilaire's PBS serves the new rouans (its site-link address) at half its 17 Mbit/s upload: 1037 KiB/s.
  assert.equal(
    steps[5]?.argv?.[4],
    "proxmox-backup-manager acl update /datastore/backup/rouans DatastoreReader --auth-id 'sync-rouans@pbs' && proxmox-backup-manager acl update /datastore/backup/rouans DatastoreReader --auth-id 'sync-rouans@pbs!pull' && " +
      "{ proxmox-backup-manager traffic-control remove retzien-pull-back >/dev/null 2>&1 || true; } && proxmox-backup-manager traffic-control create retzien-pull-back --network 10.77.0.1/32 --rate-out 928KiB --timeframe 7:00-23:00 --comment 'retzien: the pull back of rouans by day'",
  );
  // 17 Mbit/s x 0.9 = 1867 KiB/s: the pull stays just under the bottleneck.
  assert.equal(steps[6]?.argv?.[4], "systemd-run --unit=retzien-pull-back --wait --collect --quiet proxmox-backup-manager pull sthilaire backup backup --ns rouans --remote-ns rouans --max-depth 0 --transfer-last 1 --rate-in 1670KiB");
  assert.equal(steps[7]?.argv?.[4], "proxmox-backup-debug api create /admin/datastore/backup/change-owner --ns rouans --backup-type ct --backup-id 110 --new-owner 'pve@pbs!vzdump'");
  assert.equal(steps[8]?.argv?.[4], "proxmox-backup-manager acl update /datastore/backup/rouans DatastoreReader --auth-id 'sync-rouans@pbs' --delete true && proxmox-backup-manager acl update /datastore/backup/rouans DatastoreReader --auth-id 'sync-rouans@pbs!pull' --delete true && proxmox-backup-manager traffic-control remove retzien-pull-back");
  assert.equal(
    steps[9]?.argv?.[4],
    `pct restore 110 "$(pvesm list pbs --vmid 110 | awk 'NR > 1 { print $1 }' | sort | tail -n 1)" --rootfs local-lvm:32 --mp0 data:300,mp=/var/www,backup=1`,
  );
  // The state forgets everything that ran on the old host (a command is never read back), and only that.
  assert.deepEqual(steps[1]?.argv?.slice(0, 6), ["pulumi", "state", "delete", "--stack", "rouans", "--yes"]);
  assert.deepEqual(names(steps[1]?.argv), [
    "rouans-alarm-path",
    "rouans-link-key",
    "rouans-pbs-install",
    "rouans-nightly-notify",
    "rouans-link-tunnel",
    "rouans-pbs-datastore",
    "rouans-pbs-notify",
    "rouans-pbs-pve-token",
    "rouans-pbs-offsite-owner",
    "rouans-pbs-status-token",
    "rouans-pbs-sync-token-sthilaire",
    "rouans-pbs-prune-rouans",
    "rouans-pbs-prune-sthilaire",
    "rouans-pbs-verify",
    "rouans-pull-sthilaire-remote",
    "rouans-pull-sthilaire-job",
    "rouans-watch-timer",
    "rouans-drill-timer",
    "rouans-firewall-rules",
    "rouans-firewall-local-network",
    "rouans-firewall-management",
    "rouans-firewall-node",
    "rouans-firewall-enabled",
    "rouans-pbs-storage",
    "rouans-pbs-storage-sthilaire",
    "rouans-nightly-job",
  ]);
  // The foundation: the stack (its outputs tell sthilaire the new fingerprint, key and token), PBS and the link with
  // every resource under them, the remote the pull back goes through; no container, no nightly pull yet.
  // The lost host's pull token on sthilaire is made anew (the old disks may be in other hands), and sthilaire's
  // stack publishes the new one to rouans' foundation, which reads it next.
  assert.deepEqual([names(steps[2]?.argv, "--target"), names(steps[2]?.argv, "--replace")], [["retzien-infra-sthilaire", "sthilaire-pbs-sync-token-rouans"], ["sthilaire-pbs-sync-token-rouans"]]);
  assert.deepEqual(names(steps[3]?.argv, "--target"), [
    "retzien-infra-rouans",
    "rouans-peer-sthilaire",
    "rouans-proxmox",
    "rouans-firewall",
    "rouans-firewall-rules",
    "rouans-firewall-local-network",
    "rouans-firewall-management",
    "rouans-firewall-node",
    "rouans-firewall-enabled",
    "rouans-pbs",
    "rouans-pbs-install",
    "rouans-pbs-datastore",
    "rouans-pbs-notify",
    "rouans-pbs-pve-token",
    "rouans-pbs-offsite-owner",
    "rouans-pbs-status-token",
    "rouans-pbs-sync-token-sthilaire",
    "rouans-pbs-prune-rouans",
    "rouans-pbs-prune-sthilaire",
    "rouans-pbs-verify",
    "rouans-pbs-storage",
    "rouans-pbs-storage-sthilaire",
    "rouans-link",
    "rouans-link-key",
    "rouans-link-tunnel",
    "rouans-pull-sthilaire-remote",
    "rouans-alarm-path",
  ]);
  assert.deepEqual(names(steps[4]?.argv, "--target"), [
    "sthilaire-peer-rouans",
    "sthilaire-link",
    "sthilaire-link-key",
    "sthilaire-link-tunnel",
    "sthilaire-pull-rouans",
    "sthilaire-pull-rouans-remote",
    "sthilaire-pull-rouans-job",
  ]);
  // Once the guests run, everything else follows from the program: a plain up that reads the host first.
  assert.deepEqual(steps[12]?.argv, ["pulumi", "up", "--stack", "rouans", "--refresh", "--yes"]);
});

test("sthilaire by disk: the carry disk is a removable datastore, filled and emptied by local pulls", async () => {
  const result = planRunbook(request("sthilaire", "disk", { diskPath: "retzien-carry" }), { sites, plans: await plans(), sshOf });
  assert.ok(result.ok);
  const steps = result.runbook.steps;
  assert.deepEqual(
    steps.slice(5, 10).map((s) => [s.title, s.minutes, s.destructive, s.argv?.[3] ?? "by hand"]),
    [
      ['At rouans: plug in the carry disk and add it as the removable datastore "carry"', 5, false, "by hand"],
      // 552 GiB of data, 431 GiB of chunks once compressed (0.5 to 0.85 by guest), at 100 MiB/s each way.
      ["Copy the newest copies of sthilaire onto the carry disk (431.0 GiB)", 74, false, "root@192.168.10.2"],
      ["Drive the disk to St Hilaire de Chaléons, plug it into the new host and add it there", 30, false, "by hand"],
      ["Bring the copies from the carry disk into sthilaire's own PBS", 74, false, "root@192.168.20.2"],
      ["Hand the copies to Proxmox VE's token (pve@pbs!vzdump): restores read them, tonight's backups continue them", 1, false, "root@192.168.20.2"],
    ],
  );
  const create = "proxmox-backup-manager datastore create carry retzien-carry --backing-device <the filesystem UUID of the disk's partition, from blkid>";
  // A disk already used as carry is taken back through the API: PBS 3's CLI has no --reuse-datastore.
  const reuse = "proxmox-backup-debug api create /config/datastore --name carry --path retzien-carry --backing-device <the filesystem UUID of the disk's partition, from blkid> --reuse-datastore true";
  assert.deepEqual(steps[5]?.notes, ["it needs 431.0 GiB free, on an ext4 or xfs partition", `${create}; a disk already used as "carry": ${reuse}`]);
  assert.equal(
    steps[6]?.argv?.[4],
    "{ proxmox-backup-debug api create /admin/datastore/carry/namespace --name sthilaire >/dev/null 2>&1 || true; } && " +
      "proxmox-backup-debug api create /pull --store carry --ns sthilaire --remote-store backup --remote-ns sthilaire --max-depth 0 --transfer-last 1 && " +
      "proxmox-backup-manager datastore unmount carry",
  );
  assert.deepEqual(steps[7]?.notes, [reuse]);
  assert.equal(
    steps[8]?.argv?.[4],
    "proxmox-backup-debug api create /pull --store backup --ns sthilaire --remote-store carry --remote-ns sthilaire --max-depth 0 --transfer-last 1 && proxmox-backup-manager datastore unmount carry",
  );
  assert.equal(
    steps[9]?.argv?.[4],
    ["230", "210", "220"].map((id) => `proxmox-backup-debug api create /admin/datastore/backup/change-owner --ns sthilaire --backup-type ct --backup-id ${id} --new-owner 'pve@pbs!vzdump'`).join(" && "),
  );
});

test("the estimate counts the most visible service back, the DNS TTL included, and says when a failover's service cannot be reached", async () => {
  const p = await plans();
  const summary = (lost: string) => {
    const r = planRunbook(request(lost, "disk"), { sites, plans: p, sshOf });
    assert.ok(r.ok);
    return [r.runbook.estimates.map((e) => [e.mode, e.minutes, e.meetsTarget, e.firstBack?.minutes ?? null, e.firstBack?.bottleneck.slice(0, 20) ?? e.unreachable ?? ""]), r.runbook.recommended?.mode];
  };
  // sthilaire's own guests and PBS at their degraded budgets make room for the web (2048 MiB), but tcp 80,443
  // at sthilaire's one public address go to its nextcloud: the web would run and nobody would reach it.
  assert.deepEqual(summary("rouans"), [
    [
      [
        "failover",
        92,
        false,
        null,
        "its Internet ports tcp 80,443 (nextcloud) already go to sthilaire's own services behind its one public address 198.51.100.20; a second public IPv4 address at sthilaire, or a reverse proxy there that routes by name, would open them",
      ],
      ["rebuild", 1197, false, 1185, "Pull the newest copi"],
      ["disk", 185, false, 173, "Install Proxmox VE o"],
    ],
    "disk",
  ]);
  // Mail first: its Internet ports but the webmail's are free at rouans; the DNS TTL (60 min), started before the
  // restores, holds it: 1 + 30 + 60. sthilaire's 431 GiB of chunks come back over its 40 Mbit/s download.
  assert.deepEqual(summary("sthilaire"), [
    [
      ["failover", 94, true, 91, "the DNS TTL (3600 s)"],
      ["rebuild", 2955, false, 2844, "Pull the newest copi"],
      ["disk", 412, false, 301, "Copy the newest copi"],
    ],
    "failover",
  ]);
});

test("with the survivor's PBS listing: the exact snapshots, and sizes as held", async () => {
  const status = { report: reportOf("rouans", [{ vmid: 110, bytes: 40 * 1024 ** 3 }]), source: "sthilaire's PBS" };
  const r = planRunbook(request("rouans", "rebuild"), { sites, plans: await plans(), sshOf, status });
  assert.ok(r.ok);
  assert.equal(r.runbook.steps[6]?.title, "Pull the newest copies back from sthilaire (24.0 GiB of chunks at 15.2 Mbit/s, what the link leaves after the headers, 50 % of it from 7:00 to 23:00)");
  assert.equal(r.runbook.steps[9]?.argv?.[4], "pct restore 110 pbs:backup/ct/110/2026-11-24T01:00:00Z --rootfs local-lvm:32 --mp0 data:300,mp=/var/www,backup=1");
  assert.equal(r.runbook.steps[9]?.minutes, 9);
});

test("RPO per guest: bounded by the night plan without a listing, the newest copy's age with one", async () => {
  const p = await plans();
  const planned = planRunbook(request("sthilaire", "rebuild"), { sites, plans: p, sshOf });
  assert.ok(planned.ok);
  // sthilaire's backup starts 01:30; rouans' pull of it ends 05:54: 4 h 24 min, rounded to 4.4 h, or a day more.
  assert.deepEqual(
    planned.runbook.rpo.map((r) => (r.kind === "planned" ? [r.name, r.bestHours, r.worstHours, r.backupStart, r.pullEnd] : [r.name, "measured"])),
    [
      ["relay", 4.4, 28.4, "01:30", "05:54"],
      ["mail", 4.4, 28.4, "01:30", "05:54"],
      ["nextcloud", 4.4, 28.4, "01:30", "05:54"],
    ],
  );
  const status = { report: reportOf("rouans", [{ vmid: 110, bytes: 40 * 1024 ** 3, hoursAgo: 30.5 }]), source: "sthilaire's PBS" };
  const measured = planRunbook(request("rouans", "rebuild", { allowStale: true }), { sites, plans: p, sshOf, status });
  assert.ok(measured.ok);
  assert.deepEqual(measured.runbook.rpo, [{ vmid: 110, name: "web", kind: "measured", hours: 30.5, snapshot: "2026-11-23T01:30:00Z" }]);
});

test("outside the hosts, a failover's checklist, done before the restores: forwards first (naming a port already taken), allow-lists, DNS with its TTL last", async () => {
  const r = planRunbook(request("sthilaire", "failover", { only: ["relay", "mail"] }), { sites, plans: await plans(), sshOf });
  assert.ok(r.ok);
  const notes = r.runbook.steps.find((s) => s.title.startsWith("Outside the hosts"))?.notes ?? [];
  const kind = (n: string) => n.split(/[ :(]/)[0];
  assert.deepEqual([...new Set(notes.map(kind))], ["ISP", "outbound-server", "DNS", "tell", "contacts", "sthilaire"]);
  // What lives inside the guests waits for them: a step after the restores, with the firewall's own flows at the failover's addresses.
  assert.deepEqual(r.runbook.steps.find((s) => s.title.startsWith("Inside the guests: their mail's way out through the relay"))?.notes, [
    "mail: Plesk's smarthost (Tools & Settings > Mail Server Settings) 192.168.10.100, port 25: Postfix's relayhost = [192.168.10.100]:25",
    "relay: Postfix mynetworks = 127.0.0.0/8 [::1]/128 192.168.10.101/32 192.168.20.11/32 [2001:db8:20::11]/128 192.168.10.2/32 (postconf -e, then postfix reload)",
  ]);
  const titles = r.runbook.steps.map((s) => s.title);
  assert.ok(titles.findIndex((t) => t.startsWith("Outside the hosts")) < titles.findIndex((t) => t.startsWith("Restore ")), "the TTL runs while the copies restore");
  assert.ok(notes.includes("ISP box of rouans (http://192.168.10.1, password in the association's password manager): forward tcp 143,993 to 192.168.10.101"));
  assert.ok(
    notes.some((n) => n.endsWith("forward tcp 80,443 to 192.168.10.101; tcp 80,443 already goes to rouans's web: one public port reaches one address, so mail needs another public address or a reverse proxy in front of both")),
  );
  assert.ok(notes.includes("outbound-server: allow 198.51.100.10 (relay now sends from rouans)"));
  // Plesk reads its new address once the guest runs: a step of its own, after the start.
  assert.equal(r.runbook.steps.find((s) => s.title.startsWith("Let Plesk in mail"))?.argv?.[4], "pct exec 210 -- plesk bin ipmanage --reread </dev/null");
  assert.ok(notes.some((n) => n.includes("198.51.100.20 -> 198.51.100.10; their AAAA records (2001:db8:20::10) removed for now") && n.endsWith("clients follow within the TTL, 3600 s")));
});

test("outside the hosts, a new host's checklist: where the spares (and in disk mode the carry disk) are, SSH and TLS trust, the VPN", async () => {
  const p = await plans();
  const notesOf = (mode: string) => {
    const r = planRunbook(request("rouans", mode), { sites, plans: p, sshOf });
    assert.ok(r.ok);
    return r.runbook.steps[0]?.notes ?? [];
  };
  const disk = notesOf("disk");
  assert.ok(disk.includes("the spare hardware: Rouans: the spare mini-PC in the cupboard of the hall, key with the hall's caretaker"));
  assert.ok(disk.includes('the carry disk: the 2 TB USB disk labelled "retzien carry", kept at St Hilaire'));
  assert.ok(disk.includes("on each operator's machine: ssh-keygen -R 192.168.10.2 (the new host has a new SSH key)"));
  assert.ok(disk.includes("the operators' VPN reaches 192.168.10.2 again (the firewall answers only 10.99.0.0/24): it ends on the host: its WireGuard configuration back on 192.168.10.2 (UDP 51821)"));
  assert.ok(disk.some((n) => n.startsWith("ISP box (http://192.168.10.1, password in the association's password manager), if it was replaced too: UDP 51820 and 51821 to 192.168.10.2,")));
  assert.ok(!notesOf("rebuild").some((n) => n.startsWith("the carry disk")));
});

test("a drill's measured restore speed replaces the assumed one, and the runbook says so", async () => {
  const report = reportOf("sthilaire", [{ vmid: 230, bytes: 2 * 1024 ** 3 }, { vmid: 210, bytes: 150 * 1024 ** 3 }]);
  const drills = [
    // 150 GiB restored in 2560 s: 60 MiB/s; the relay's small one was quicker, the slowest counts.
    { vmid: 210, storage: "pbs-sthilaire", snapshot: "x", ok: true, reason: "", bytes: 150 * 1024 ** 3, restoreSeconds: 2560, totalSeconds: 2700, at: NOW - 3 * 86400 },
    { vmid: 230, storage: "pbs-sthilaire", snapshot: "y", ok: true, reason: "", bytes: 2 * 1024 ** 3, restoreSeconds: 10, totalSeconds: 60, at: NOW - 3 * 86400 },
    // A failed drill measures nothing.
    { vmid: 220, storage: "pbs-sthilaire", snapshot: "z", ok: false, reason: "no copy", bytes: 0, restoreSeconds: 0, totalSeconds: 1, at: NOW - 3 * 86400 },
  ];
  const r = planRunbook(request("sthilaire", "failover", { only: ["relay", "mail"] }), {
    sites,
    plans: await plans(),
    sshOf,
    status: { report: { ...report, drills }, source: "rouans's PBS" },
  });
  assert.ok(r.ok);
  assert.deepEqual(r.runbook.restoreSpeed, { kind: "measured", mibps: 60, at: "2026-11-21", host: "rouans" });
  // 150 GiB at 60 MiB/s: 43 min, where the assumed 80 MiB/s said 32.
  assert.equal(r.runbook.steps.find((s) => s.title.startsWith("Restore mail (210)"))?.minutes, 43);
});

test("a failover of what does not fit is named, and --only picks what does", async () => {
  const p = await plans();
  const whole = planRunbook(request("sthilaire", "failover"), { sites, plans: p, sshOf });
  assert.ok(whole.ok);
  assert.deepEqual(whole.runbook.services.map((c) => c.name), ["relay", "mail"]);
  assert.deepEqual(whole.runbook.leftOut?.services.map((c) => c.name), ["nextcloud"]);
  // rouans' own guests keep their memory (no degraded budget there), so no step lowers them.
  const commandOf = (argv: readonly string[] | undefined) => (argv === undefined ? "by hand" : argv[0] === "ssh" ? argv[4] : argv.slice(0, 3).join(" "));
  assert.deepEqual(whole.runbook.steps.map((s) => commandOf(s.argv)).slice(0, 8), [
    "proxmox-backup-manager sync-job update pull-sthilaire --delete schedule && proxmox-backup-manager user update sync-sthilaire@pbs --enable false && systemctl disable --now retzien-restore-drill.timer",
    "by hand",
    `pct restore 210 "$(pvesm list pbs-sthilaire --vmid 210 | awk 'NR > 1 { print $1 }' | sort | tail -n 1)" --storage local-lvm --tags retzien-failover`,
    "pct set 210 --net0 name=eth0,bridge=vmbr0,firewall=1,ip=192.168.10.101/24,gw=192.168.10.1 --memory 4096 --onboot 1",
    "pulumi config set-all",
    "pulumi up --stack",
    "pct start 210",
    "pct exec 210 -- plesk bin ipmanage --reread </dev/null",
  ]);
  // A chosen failover that cannot be taken: every mode's estimate all the same, no step, and what would make room.
  const chosen = planRunbook(request("sthilaire", "failover", { only: ["nextcloud"] }), { sites, plans: p, sshOf });
  assert.ok(chosen.ok);
  assert.deepEqual([chosen.runbook.steps, chosen.runbook.estimates.map((e) => e.mode), chosen.runbook.blocked], [
    [],
    ["failover", "rebuild", "disk"],
    'failover of nextcloud onto rouans: disk: found "1032 GiB of volumes", expected one datastore with that much free (largest: local-lvm with 348 GiB: 684 GiB more there would do)',
  ]);
});

test("bad requests and bad PBS listings are refused with every reason", async () => {
  const p = await plans();
  const refused = (req: RunbookRequest, report?: PbsReport) => {
    const r = planRunbook(req, { sites, plans: p, sshOf, ...(report ? { status: { report, source: "sthilaire's PBS" } } : {}) });
    return r.ok ? [] : r.problems.map(formatProblem);
  };
  assert.deepEqual(refused(request("nantes", "rebuild")), ['--lost: found "nantes", expected one of the sites: rouans, sthilaire']);
  assert.deepEqual(refused(request("rouans", "teleport")), ['--mode: found "teleport", expected one of failover, rebuild, disk, failback']);
  assert.deepEqual(refused(request("rouans", "rebuild", { only: ["mail"] })), ['--only: found "mail", expected a service of rouans: web']);
  assert.deepEqual(refused(request("sthilaire", "failback", { only: ["mail"] })), [
    '--only: found "mail", expected no --only with --mode failback: it brings the whole site home, the guests that ran at the survivor and the others from their copies',
  ]);
  // PBS mounts a removable datastore itself: its path is on the disk, never a mount point of the host.
  for (const diskPath of ["/media/retzien-carry", "../etc", "carry dir", ""]) {
    assert.deepEqual(refused(request("rouans", "disk", { diskPath })), [`--disk-path: found "${diskPath}", expected a directory relative to the carry disk's root, such as retzien-carry`]);
  }
  const partial = { ...reportOf("sthilaire", [{ vmid: 210, bytes: 1 }]), datastore: null };
  assert.deepEqual(
    planRunbook(request("sthilaire", "rebuild"), { sites, plans: p, sshOf, status: { report: partial, source: "rouans's PBS" } }).ok ? [] : ["refused"],
    ["refused"],
  );
  assert.deepEqual(refused(request("rouans", "disk"), reportOf("rouans", [{ vmid: 110, bytes: 1, hoursAgo: 50 }])), [
    'sthilaire\'s PBS: rouans/ct/110: found "a copy 50 h old", expected one within 30 h (or --allow-stale, knowing 50 h of data would be lost)',
  ]);
  assert.deepEqual(refused(request("rouans", "disk"), reportOf("rouans", [{ vmid: 110, bytes: 1, hoursAgo: -48 }])), [
    'sthilaire\'s PBS: rouans/ct/110: found "only snapshots dated after the survivor\'s clock", expected a copy of every guest to restore',
  ]);
  assert.deepEqual(refused(request("rouans", "disk"), reportOf("sthilaire", [{ vmid: 110, bytes: 1 }])), [
    'sthilaire\'s PBS: namespace rouans: found "no answer", expected the survivor\'s PBS listing of the copies of rouans',
  ]);
  assert.deepEqual(refused(request("rouans", "disk", { allowStale: true }), reportOf("rouans", [{ vmid: 110, bytes: 1, hoursAgo: 50 }])), []);
});

/** The PBS stand-in, with its state in a fresh folder, run through bash. */
function pbsStandin(): { run(script: string): SpawnSyncReturns<string>; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), "retzien-grant-"));
  const env = { ...process.env, PATH: `${join(PROJECT_ROOT, "test", "fixtures", "standins")}:${process.env["PATH"] ?? ""}`, PBS_STATE: join(dir, "state.json"), STANDIN_LOG: "/dev/null" };
  return { run: (script) => spawnSync("bash", ["-c", script], { env, encoding: "utf8", timeout: 20_000 }), done: () => rmSync(dir, { recursive: true }) };
}

test("the rebuild's read grant reaches the lost site's token, whose privileges PBS limits to its user's, and is taken back whole", async () => {
  for (const [lost, survivor] of [
    ["rouans", "sthilaire"],
    ["sthilaire", "rouans"],
  ] as const) {
    const result = planRunbook(request(lost, "rebuild"), { sites, plans: await plans(), sshOf });
    assert.ok(result.ok);
    const remoteOf = (title: RegExp) => result.runbook.steps.find((s) => title.test(s.title))?.argv?.at(-1) ?? assert.fail(`no step ${title}`);
    // What the survivor's program made for the lost site's pull: its ACL lines (the token file is the program's business).
    const tokenScript = (await plans()).get(survivor)?.find((r) => r.name === `${survivor}-pbs-sync-token-${lost}`)?.inputs["create"];
    assert.equal(typeof tokenScript, "string");
    const pbs = pbsStandin();
    const made = pbs.run((tokenScript as string).split("\n").filter((l) => l.includes("acl update")).join("\n"));
    assert.equal(made.status, 0, made.stderr);
    const token = `sync-${lost}@pbs!pull`;
    const store = sites.find((s) => s.name === survivor)?.backupServer?.datastore;
    const readable = (path: string) => {
      const asked = pbs.run(`proxmox-backup-manager user permissions '${token}' --path ${path} --output-format json`);
      assert.equal(asked.status, 0, asked.stderr);
      return Object.keys((JSON.parse(asked.stdout) as Record<string, Record<string, boolean>>)[path] ?? {}).includes("Datastore.Read");
    };
    assert.deepEqual([readable(`/datastore/${store}/${survivor}`), readable(`/datastore/${store}/${lost}`)], [true, false], "before the grant: its own copies only");
    const granted = pbs.run(remoteOf(/let the new .* read its own copies/));
    assert.equal(granted.status, 0, granted.stderr);
    assert.equal(readable(`/datastore/${store}/${lost}`), true, `${token} cannot read ${lost}'s copies on ${survivor}: the pull back would be refused`);
    const revoked = pbs.run(remoteOf(/take the read grant and the day rate back/));
    assert.equal(revoked.status, 0, revoked.stderr);
    assert.deepEqual([readable(`/datastore/${store}/${survivor}`), readable(`/datastore/${store}/${lost}`)], [true, false], "after the pull: as before");
    pbs.done();
  }
});

test("rouans' web fits on sthilaire only at sthilaire's degraded budgets: the runbook lowers them first, the way back gives them back, and without them the dry run names the RAM", async () => {
  const p = await plans();
  const r = planRunbook(request("rouans", "failover"), { sites, plans: p, sshOf });
  assert.ok(r.ok);
  assert.equal(r.runbook.blocked, undefined);
  const room = r.runbook.steps.find((s) => s.title.includes("degraded memory"));
  assert.equal(room?.title, "On sthilaire: its own guests and PBS down to their degraded memory (nextcloud 3584 MiB, PBS 2 GiB)");
  assert.equal(room?.argv?.[4], "pct set 220 --memory 3584 && systemctl set-property --runtime proxmox-backup-proxy.service MemoryHigh=2G");
  assert.ok(r.runbook.steps.indexOf(room) < r.runbook.steps.findIndex((s) => s.title.startsWith("Restore web")), "room is made before the restore");
  assert.match(r.runbook.steps.at(-1)?.notes?.[0] ?? "", /^npm run rebuild -- --lost rouans --mode failback: /);
  // The way home gives them back, once the failover's copy is gone (and only a copy the failover tagged).
  const home = planRunbook(request("rouans", "failback"), { sites, plans: p, sshOf });
  assert.ok(home.ok);
  const asBefore = home.runbook.steps.find((s) => s.title.includes("as before"));
  assert.match(
    asBefore?.argv?.[4] ?? "",
    /^\{ pct config 110 \| grep -q '\^tags:\.\*retzien-failover' \|\| \{ .* exit 1; \}; \} && pct set 110 --protection 0 && pct destroy 110 && pvesh delete \/cluster\/backup\/failover-rouans && pct set 220 --memory 5120 && systemctl set-property --runtime proxmox-backup-proxy.service MemoryHigh=3G && systemctl enable --now retzien-restore-drill.timer && proxmox-backup-manager sync-job update pull-rouans --schedule '[^']+'$/,
  );
  assert.ok(home.runbook.steps.some((s) => s.argv?.[4] === "proxmox-backup-manager user update sync-rouans@pbs --enable true"), "the lost host's pull user is let in again");

  // The same sites without the degraded budgets: nothing fits, and the reason says by how much and what would do.
  const full = sites.map((s) => ({ ...s, backupServer: { ...s.backupServer, degradedMemoryGiB: undefined }, containers: s.containers.map((c) => ({ ...c, degradedMemoryMiB: undefined })) }));
  const blocked = planRunbook(request("rouans", "failover"), { sites: full, plans: p, sshOf });
  assert.ok(blocked.ok);
  assert.deepEqual([blocked.runbook.steps, blocked.runbook.estimates.map((e) => [e.mode, e.feasible])], [[], [["failover", false], ["rebuild", true], ["disk", true]]]);
  assert.equal(
    blocked.runbook.blocked,
    'failover of web onto sthilaire: memory: found "2048 MiB needed", expected at most 0 MiB free (10240 MiB for containers beside Proxmox and PBS at 3 GiB, 10240 MiB kept by sthilaire\'s own at their degraded budgets, 0 MiB freed by those budgets): 2048 MiB more, from lower degradedMemoryMiB or failoverMemoryMiB, a lower backupServer.degradedMemoryGiB, or 2 GiB more RAM in sthilaire\'s host',
  );
});

test("services marked away are left out of their stack: no empty guest with their VMID, the nightly backup names only the guests here", async () => {
  const away = await runStack("sthilaire", { config: (c) => void (c["retzien-infra:away"] = JSON.stringify(["relay", "nextcloud"])) });
  const containers = away.resources.filter((r) => r.type === TYPES.container).map((r) => r.inputs["vmId"]);
  assert.deepEqual(containers, [210]);
  const job = away.resources.find((r) => r.type === TYPES.job);
  assert.deepEqual(job?.inputs["vmids"], ["210"]);
  const home = await runStack("sthilaire");
  assert.deepEqual(home.resources.find((r) => r.type === TYPES.job)?.inputs["vmids"], ["210", "220", "230"]);
});

test("services back on their host after being away are adopted, not made again; one both away and adopted, or not the site's, is refused", async () => {
  const back = await runStack("sthilaire", { config: (c) => void (c["retzien-infra:adopt"] = JSON.stringify(["relay", "nextcloud"])) });
  const imports = back.resources.filter((r) => r.type === TYPES.container).map((r) => [r.name, r.importId]).sort();
  assert.deepEqual(imports, [["sthilaire-mail", ""], ["sthilaire-nextcloud", "sthilaire/220"], ["sthilaire-relay", "sthilaire/230"]]);
  await assert.rejects(
    runStack("sthilaire", {
      config: (c) => {
        c["retzien-infra:away"] = JSON.stringify(["relay"]);
        c["retzien-infra:adopt"] = JSON.stringify(["relay", "web"]);
      },
    }),
    (error: Error) =>
      error.message.includes('config[sthilaire].adopt: found "relay", expected a service back on sthilaire\'s host, not one still marked away (pulumi config rm away first)') &&
      error.message.includes('config[sthilaire].adopt: found "web", expected a service of sthilaire: relay, mail, nextcloud'),
  );
});

test("--only brings back the chosen guests alone: their groups pulled, the others marked away before the plain up", async () => {
  const r = planRunbook(request("sthilaire", "rebuild", { only: ["mail"] }), { sites, plans: await plans(), sshOf });
  assert.ok(r.ok);
  const steps = r.runbook.steps;
  const pull = steps.find((s) => s.title.startsWith("Pull the newest copies back"));
  // mail's 150 GiB at 0.6 (not the site's 431 GiB of chunks), and only its group.
  assert.match(pull?.title ?? "", /^Pull the newest copies back from rouans \(90\.0 GiB of chunks/);
  assert.match(pull?.argv?.[4] ?? "", / --group-filter group:ct\/210$/);
  const away = steps.findIndex((s) => s.title.startsWith("Mark relay, nextcloud away"));
  assert.deepEqual(steps[away]?.argv, ["pulumi", "config", "set-all", "--stack", "sthilaire", "--path", "--plaintext", "away[0]=relay", "--plaintext", "away[1]=nextcloud"]);
  assert.deepEqual(steps[away + 1]?.argv, ["pulumi", "up", "--stack", "sthilaire", "--refresh", "--yes"]);
  assert.ok(!steps.some((s) => /pct restore (230|220) /.test(s.argv?.join(" ") ?? "")), "only mail is restored");
  const disk = planRunbook(request("sthilaire", "disk", { only: ["mail"] }), { sites, plans: await plans(), sshOf });
  assert.ok(disk.ok);
  assert.ok(disk.runbook.steps.filter((s) => s.argv?.join(" ").includes("api create /pull")).every((s) => s.argv?.join(" ").includes("--group-filter group:ct/210")), "the carry disk takes mail's group alone");
});

test("the way home after sthilaire's failover: what ran at rouans comes home from its last copy there, nextcloud from its copies, and the traffic follows once each is checked", async () => {
  const r = planRunbook(request("sthilaire", "failback"), { sites, plans: await plans(), sshOf });
  assert.ok(r.ok);
  const titles = r.runbook.steps.map((s) => s.title);
  const at = (start: string) => titles.findIndex((t) => t.startsWith(start));
  // The new host's foundation first, then the lost host's pull user let in again (a kept host starts there).
  assert.ok(at("Foundation") < at("On rouans: let sthilaire's pull user in again"));
  // nextcloud did not fit at rouans: it comes back from its copies, as in a rebuild, and only its group is pulled.
  assert.match(r.runbook.steps[at("Pull the newest copies back")]?.argv?.[4] ?? "", /--group-filter group:ct\/220$/);
  // mail and relay: a first copy while they serve, then stopped, a last copy, pulled into the namespace rouans' copies live in.
  const cut = at("On rouans: stop them and take the last copy");
  assert.ok(at("On rouans: a first copy of relay, mail while they still serve") < at("Pull it home") && at("Pull it home") < cut);
  assert.equal(r.runbook.steps[cut]?.argv?.[4], "pct shutdown 230 --timeout 120 && pct shutdown 210 --timeout 120 && vzdump 230,210 --storage pbs --mode stop");
  assert.match(r.runbook.steps[cut + 1]?.argv?.[4] ?? "", /pull rouans backup backup --ns rouans --remote-ns rouans --max-depth 0 --transfer-last 1 --rate-in \d+KiB --group-filter group:ct\/230 --group-filter group:ct\/210$/);
  // Restored from the storage of rouans' copies, on its own volumes and address, replacing a kept original.
  const mail = r.runbook.steps.find((s) => s.title.startsWith("Restore mail (210)"));
  assert.match(mail?.argv?.[4] ?? "", /pct restore 210 "\$\(pvesm list pbs-rouans --vmid 210 .*\)" --rootfs local-lvm:32 --mp0 tank:300,mp=\/var\/qmail\/mailnames,backup=1 --force 1 --memory 4096 --net0 name=eth0,bridge=vmbr0,firewall=1,ip=192\.168\.20\.10\/24,gw=192\.168\.20\.1/);
  assert.ok(at("Check mail (210)") < at("Outside the hosts: send the traffic home") && at("Check relay (230)") < at("Outside the hosts: send the traffic home"));
  assert.ok(at("Outside the hosts: send the traffic home") < at("On rouans: the failover copies gone"));
  assert.equal(titles.at(-2), "Containers, the template, the nightly backup and the pulls of the other sites back under the program (a plain up, after a refresh)");
  // Only nextcloud loses writes: mail and relay come home with everything written at rouans.
  assert.deepEqual(r.runbook.rpo.map((g) => g.name), ["nextcloud"]);
});

test("the way home to a host kept through an uplink outage: no new host, its other guests left as they are, each failed-over guest replacing its stopped original", async () => {
  const p = await plans();
  const r = planRunbook(request("sthilaire", "failback", { keptHost: true }), { sites, plans: p, sshOf });
  assert.ok(r.ok);
  const titles = r.runbook.steps.map((s) => s.title);
  assert.equal(titles[0], "On rouans: let sthilaire's pull user in again (the failover locked it out)");
  assert.ok(!r.runbook.steps.some((s) => s.argv?.[0] === "pulumi" && s.argv[1] === "state"), "nothing forgotten in the state: the host is the same");
  assert.ok(!titles.some((t) => t.includes("nextcloud")), "nextcloud never left");
  assert.match(r.runbook.steps.find((s) => s.title.startsWith("Restore mail"))?.argv?.[4] ?? "", /^\{ ! pct status 210 >\/dev\/null 2>&1 \|\| \{ \{ pct stop 210 \|\| true; \} && pct set 210 --protection 0; \}; \} && pct restore 210 .* --force 1 /);
  assert.deepEqual(r.runbook.rpo, [], "nothing is lost: every guest that moved comes home with what it received");
  const refused = planRunbook(request("sthilaire", "rebuild", { keptHost: true }), { sites, plans: p, sshOf });
  assert.deepEqual(refused.ok ? [] : refused.problems.map(formatProblem), ['--kept-host: found "rebuild", expected --mode failback: only the way home can find the lost host kept']);
});

test("the way home brings from the survivor what its stack says it runs (a failover of mail alone), the others from their copies, and the survivor's stack forgets them last", async () => {
  const r = planRunbook(request("sthilaire", "failback"), { sites, plans: await plans(), sshOf, survivorHosting: ["sthilaire/mail"] });
  assert.ok(r.ok);
  const titles = r.runbook.steps.map((s) => s.title);
  assert.ok(titles.includes("On rouans: a first copy of mail while they still serve"), titles.join("\n"));
  // relay and nextcloud come back from their copies, their groups alone pulled.
  assert.match(r.runbook.steps.find((s) => s.title.startsWith("Pull the newest copies back"))?.argv?.[4] ?? "", /--group-filter group:ct\/230 --group-filter group:ct\/220$/);
  assert.deepEqual(r.runbook.rpo.map((g) => g.name).sort(), ["nextcloud", "relay"]);
  const forget = r.runbook.steps.filter((s) => s.argv?.[0] === "pulumi" && /hosting|hosted/.test(s.argv.join(" "))).map((s) => s.argv?.join(" ").replaceAll(/urn:\S+::/g, ""));
  assert.deepEqual(forget, [
    "pulumi config rm --stack rouans hosting",
    "pulumi up --stack rouans --yes --target rouans-hosted-sthilaire-mail --target rouans-hosted-sthilaire-mail-firewall-rules --target rouans-hosted-sthilaire-mail-firewall",
  ]);
  assert.ok(titles.indexOf("On rouans: the failover copies gone, and its own guests, PBS, drill and pull of sthilaire as before") < titles.findIndex((t) => t.startsWith("Take mail out of")));
});
