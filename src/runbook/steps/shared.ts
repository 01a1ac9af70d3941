/**
 * What the steps of every mode are made from: how a command reaches a host,
 * the pulumi runs, the restore of one copy, a local pull, the hand-over of the
 * copies to Proxmox VE's token.
 */
import { PBS_IDS, namespaceOf, remoteOf } from "../../backup/names";
import { payloadMbpsOf } from "../../backup/wire";
import { API_TOKEN_VARIABLE, siteTokenVariable } from "../../config/api-token";
import { ASSUMPTIONS } from "../assumptions";
import type { ContainerSpec } from "../../site/schema";
import type { RunbookInput, Step } from "../step";

export const ssh = (dest: string, remote: string): string[] => ["ssh", "-o", "BatchMode=yes", dest, remote];
/**
 * Each stack's runs reach its own host with its own deploy token: the run hands
 * this step the one it read from the site's own variable before its first step.
 */
export const tokenNote = (stack: string): string => {
  const variable = siteTokenVariable(stack);
  return `with ${stack}'s deploy token, which the run reads from ${variable} (read -rs ${variable} && export ${variable}) and gives this step as ${API_TOKEN_VARIABLE}; by hand: ${API_TOKEN_VARIABLE}="$${variable}" before the command`;
};
export const pulumiUp = (stack: string, targets: readonly string[]): string[] => ["pulumi", "up", "--stack", stack, "--yes", ...targets.flatMap((t) => ["--target", t])];
export const gib = (bytes: number) => bytes / 1024 ** 3;
export const minutesAt = (bytes: number, mibps: number) => Math.ceil(bytes / (mibps * 1024 ** 2) / 60);
export const PBM = "proxmox-backup-manager";
export const CARRY = "carry";

/** The volume id of the copy of `vmid` on `storage`: the exact snapshot when known, else the newest, resolved by the host. */
export function volumeOf(input: RunbookInput, storage: string, vmid: number): string {
  const time = input.snapshots?.get(vmid);
  return time === undefined ? `"$(pvesm list ${storage} --vmid ${vmid} | awk 'NR > 1 { print $1 }' | sort | tail -n 1)"` : `${storage}:backup/ct/${vmid}/${time}`;
}

/** `pct restore` onto the volumes the spec gives (root disk and each mount point on its own datastore). */
export function restoreOnSpecVolumes(c: ContainerSpec, volume: string): string {
  const mps = c.mountPoints.map((m, i) => ` --mp${i} ${m.datastore}:${m.sizeGiB},mp=${m.path},backup=${m.backup ? 1 : 0}`).join("");
  return `pct restore ${c.vmid} ${volume} --rootfs ${c.rootDisk.datastore}:${c.rootDisk.sizeGiB}${mps}`;
}

/** What the copies weigh in PBS (compressed chunks): what crosses a link or lands on the carry disk. */
export function storedBytes(input: RunbookInput): number {
  return input.services.reduce((s, c) => s + (input.bytes.get(c.vmid) ?? 0) * c.compressionRatio, 0);
}

/**
 * The groups a pull takes when only some services come back (`--only`): theirs
 * alone, not every guest's chunks; nothing when all of them come back.
 */
export function groupFilter(input: RunbookInput): string {
  const all = input.services.length === input.lost.containers.length;
  return all ? "" : input.services.map((c) => ` --group-filter group:ct/${c.vmid}`).join("");
}

/**
 * The link a transfer between the two sites gets, as the rate PBS counts
 * (Mbit/s): the survivor's upload or the lost site's download, whichever is
 * slower, less the bytes TLS, TCP, the tunnel and each line's framing add (PBS's
 * `rate-in` and `rate-out` count what TLS sends: src/backup/wire.ts).
 */
export const linkMbps = (input: RunbookInput): number =>
  Math.min(payloadMbpsOf(input.survivor.uplink.upMbps, input.survivor.uplink.framing), payloadMbpsOf(input.lost.uplink.downMbps, input.lost.uplink.framing));
/** `share` of `mbps` in KiB/s, as PBS's rate options take it. */
export const rateKiB = (mbps: number, share: number): number => Math.floor((mbps * 1e6 * share) / 8 / 1024);

/**
 * A pull from the survivor's PBS into the lost site's host, newest snapshot of
 * each group only, held just under the link (the assumed efficiency, so that the
 * ISP box's queue stays short). It runs on the host as the unit `unit`, not in
 * this SSH session: a dropped session leaves it running. `groups` is its
 * `--group-filter` options, if any.
 */
export function pullOnHost(input: RunbookInput, unit: string, from: { store: string; ns: string }, store: string, groups: string): string {
  return [
    `systemd-run --unit=${unit} --wait --collect --quiet`,
    `${PBM} pull ${remoteOf(input.survivor.name)} ${from.store} ${store}`,
    `--ns ${from.ns} --remote-ns ${from.ns} --max-depth 0 --transfer-last 1 --rate-in ${rateKiB(linkMbps(input), ASSUMPTIONS.linkEfficiency)}KiB${groups}`,
  ].join(" ");
}

/**
 * A local pull of the lost site's namespace from datastore `from` into `into`
 * on the same host (PBS's pull API: its CLI wants a remote), newest snapshot of
 * each group only.
 */
export function localPull(input: RunbookInput, from: string, into: string): string {
  const ns = namespaceOf(input.lost.name);
  return `proxmox-backup-debug api create /pull --store ${into} --ns ${ns} --remote-store ${from} --remote-ns ${ns} --max-depth 0 --transfer-last 1${groupFilter(input)}`;
}

/**
 * A pull runs as root@pam, which then owns the groups (PBS's pull has no owner
 * option); Proxmox VE's token may read and continue only the groups it owns.
 * Handing them over lets `pct restore` read them and tonight's backups continue
 * them incrementally.
 */
export function handOverStep(input: RunbookInput): Step {
  const { lost, services } = input;
  const store = lost.backupServer.datastore;
  const ns = namespaceOf(lost.name);
  return {
    title: `Hand the copies to Proxmox VE's token (${PBS_IDS.pveToken}): restores read them, tonight's backups continue them`,
    minutes: 1,
    destructive: false,
    argv: ssh(
      input.lostSsh,
      services
        .map((c) => `proxmox-backup-debug api create /admin/datastore/${store}/change-owner --ns ${ns} --backup-type ct --backup-id ${c.vmid} --new-owner '${PBS_IDS.pveToken}'`)
        .join(" && "),
    ),
  };
}

/** The most visible service first (the target is counted on it), the others in start order. */
export function restoreOrder(lost: RunbookInput["lost"], services: readonly ContainerSpec[]): ContainerSpec[] {
  return [...services].sort((a, b) => Number(b.name === lost.recovery.mostVisible) - Number(a.name === lost.recovery.mostVisible) || a.startup.order - b.startup.order);
}

/** Seconds a restored guest has to finish booting before its check runs (the drill's limit too). */
const BOOT_SECONDS = 300;

/**
 * The guest's own health check from its spec, once it has booted: the step that
 * says the service is back, not only the container. `pct start` returns before
 * the guest's services are up (PVE::LXC::vm_start), so it first waits for
 * systemd, with a deadline ("degraded", a unit failed, is booted all the same).
 */
export function healthCheckStep(c: ContainerSpec, dest: string): Step {
  const words = c.healthCheck.command.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(" ");
  const expect = `'${c.healthCheck.expect.replace(/'/g, `'\\''`)}'`;
  return {
    title: `Check ${c.name} (${c.vmid}) answers: ${c.healthCheck.command.join(" ")} says "${c.healthCheck.expect}"`,
    minutes: ASSUMPTIONS.startCheckMinutes,
    destructive: false,
    argv: ssh(
      dest,
      `{ timeout ${BOOT_SECONDS} pct exec ${c.vmid} -- systemctl is-system-running --wait </dev/null || true; } >/dev/null && ` +
        `timeout 300 pct exec ${c.vmid} -- ${words} </dev/null 2>&1 | grep -qF -- ${expect}`,
    ),
    serviceBack: c.name,
  };
}
