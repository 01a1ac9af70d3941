/**
 * The ordered steps of each way back, as data: what a person does, or the exact
 * command to run, whether it changes anything, and how long it should take. The
 * CLI prints them (`--dry-run`) or runs them; tests assert them exactly.
 *
 * Every copy comes back through PBS: a failover restores from the survivor's
 * own PBS (storage `pbs-<lost>`); a rebuild brings PBS back first, pulls the
 * lost site's namespace back from the survivor (or from a carried disk), then
 * restores from the new host's own PBS.
 */
import { PBS_IDS, heldStorageOf, namespaceOf, remoteOf, syncJobOf, syncUserOf } from "../backup/names";
import { syncNightOf } from "../backup/night";
import type { SyncDirection } from "../offsite/directions";
import type { ContainerSpec, SiteSpec } from "../site/schema";
import { ASSUMPTIONS } from "./assumptions";
import { type FailoverPlacement, failoverMemoryOf } from "./capacity";
import type { Mode } from "./estimate";
import { failoverOutside, rebuildOutside } from "./outside";
import { type PlanResource, containerTargets, foundationTargets, lostHostTargets, peerTrustTargets, tailTargets } from "./targets";

export interface Step {
  readonly title: string;
  /** Estimated minutes. */
  readonly minutes: number;
  /** Changes something that cannot simply be undone: asks first, unless --yes. */
  readonly destructive: boolean;
  /** The command to run; absent for a step a person does by hand. */
  readonly argv?: readonly string[];
  /** What a person does (manual steps), or what to know (command steps). */
  readonly notes?: readonly string[];
}

export interface RunbookInput {
  readonly mode: Mode;
  readonly lost: SiteSpec;
  readonly survivor: SiteSpec;
  /** Services to bring back, in start order. */
  readonly services: readonly ContainerSpec[];
  /** The direction in which the survivor holds the lost site's copies. */
  readonly copies: SyncDirection;
  /** SSH destinations (`user@address`) of the hosts, from their stack files. */
  readonly lostSsh: string;
  readonly survivorSsh: string;
  /** Snapshot time (`2026-11-24T01:00:00Z`) per VMID, from the survivor's PBS; absent in a dry run without it. */
  readonly snapshots: ReadonlyMap<number, string> | undefined;
  /** Data bytes per VMID (held or from the spec), for the per-step estimates. */
  readonly bytes: ReadonlyMap<number, number>;
  /** The offline plans of the two stacks. */
  readonly lostPlan: readonly PlanResource[];
  readonly survivorPlan: readonly PlanResource[];
  /** The carry datastore's directory on the carry disk, relative to the disk's root (disk mode). */
  readonly diskPath: string;
  /** Where the failover lands (failover mode). */
  readonly placement?: FailoverPlacement;
  /** How fast `pct restore` goes, MiB/s: measured by the survivor's drills, or assumed. */
  readonly restoreMiBps: number;
}

const ssh = (dest: string, remote: string): string[] => ["ssh", "-o", "BatchMode=yes", dest, remote];
/** Each stack's runs reach its own host with its own deploy token: the one in the shell must match the --stack. */
const tokenNote = (stack: string): string => `with ${stack}'s deploy token in PROXMOX_VE_API_TOKEN (read -rs PROXMOX_VE_API_TOKEN && export PROXMOX_VE_API_TOKEN)`;
const pulumiUp = (stack: string, targets: readonly string[]): string[] => ["pulumi", "up", "--stack", stack, "--yes", ...targets.flatMap((t) => ["--target", t])];
const gib = (bytes: number) => bytes / 1024 ** 3;
const minutesAt = (bytes: number, mibps: number) => Math.ceil(bytes / (mibps * 1024 ** 2) / 60);
const PBM = "proxmox-backup-manager";
const CARRY = "carry";

/** The volume id of the copy of `vmid` on `storage`: the exact snapshot when known, else the newest, resolved by the host. */
function volumeOf(input: RunbookInput, storage: string, vmid: number): string {
  const time = input.snapshots?.get(vmid);
  return time === undefined ? `"$(pvesm list ${storage} --vmid ${vmid} | awk 'NR > 1 { print $1 }' | sort | tail -n 1)"` : `${storage}:backup/ct/${vmid}/${time}`;
}

/** `pct restore` onto the volumes the spec gives (root disk and each mount point on its own datastore). */
function restoreOnSpecVolumes(c: ContainerSpec, volume: string): string {
  const mps = c.mountPoints.map((m, i) => ` --mp${i} ${m.datastore}:${m.sizeGiB},mp=${m.path},backup=${m.backup ? 1 : 0}`).join("");
  return `pct restore ${c.vmid} ${volume} --rootfs ${c.rootDisk.datastore}:${c.rootDisk.sizeGiB}${mps}`;
}

/** What the copies weigh in PBS (compressed chunks): what crosses a link or lands on the carry disk. */
function storedBytes(input: RunbookInput): number {
  return input.services.reduce((s, c) => s + (input.bytes.get(c.vmid) ?? 0) * c.compressionRatio, 0);
}

/**
 * A local pull of the lost site's namespace from datastore `from` into `into`
 * on the same host (PBS's pull API: its CLI wants a remote), newest snapshot of
 * each group only.
 */
function localPull(input: RunbookInput, from: string, into: string): string {
  const ns = namespaceOf(input.lost.name);
  return `proxmox-backup-debug api create /pull --store ${into} --ns ${ns} --remote-store ${from} --remote-ns ${ns} --max-depth 0 --transfer-last 1`;
}

/**
 * A pull runs as root@pam, which then owns the groups (PBS's pull has no owner
 * option); Proxmox VE's token may read and continue only the groups it owns.
 * Handing them over lets `pct restore` read them and tonight's backups continue
 * them incrementally.
 */
function handOverStep(input: RunbookInput): Step {
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

function installProxmox(input: RunbookInput): Step {
  const { lost } = input;
  return {
    title: `Install Proxmox VE on the spare hardware at ${lost.location}`,
    minutes: ASSUMPTIONS.proxmoxInstallMinutes,
    destructive: false,
    notes: [
      `node name ${lost.nodeName}, address ${input.lostSsh.split("@")[1]} on ${lost.network.bridge} (${lost.network.ipv4.subnet}, gateway ${lost.network.ipv4.gateway})`,
      ...lost.datastores.map((d) => `datastore ${d.id}: ${d.type}${d.path ? ` at ${d.path}` : ""}, ${d.sizeGiB} GiB on ${d.disk}, content ${d.content.join(",")}`),
      `the backup disk (${lost.backupServer.disk}) mounted so that ${lost.backupServer.path} is on it (ext4 or xfs, with atime); if the old disk survived, mount it: its snapshots come back as they are`,
      "root SSH access for the operators' keys",
      `as root on the new host, the commands npm run bootstrap -- --site ${lost.name} prints (the deploy and preview tokens); then the new deploy token in the operators' password manager in place of the old one (the steps below read it from PROXMOX_VE_API_TOKEN), and the new preview token in CI's PROXMOX_PREVIEW_TOKENS`,
      ...rebuildOutside(lost, input.lostSsh, input.mode === "disk"),
    ],
  };
}

/** A new host up to a working PBS, trusted by the survivor: the part every rebuild shares. */
function rebuildHead(input: RunbookInput): Step[] {
  const { lost, survivor } = input;
  return [
    installProxmox(input),
    {
      title: `Forget in ${lost.name}'s state what ran on the lost host, so that the program makes it again`,
      minutes: 1,
      destructive: true,
      argv: ["pulumi", "state", "delete", "--stack", lost.name, "--yes", ...lostHostTargets(input.lostPlan)],
      notes: ["the commands, firewall, PBS storages and backup job of the old host; the containers stay in the state (they come back by restore)"],
    },
    {
      title: "Foundation: the provider, the host firewall, PBS (install, datastore, tokens, jobs, storages), the site link, the remotes of the other sites",
      minutes: ASSUMPTIONS.foundationMinutes,
      destructive: true,
      argv: pulumiUp(lost.name, foundationTargets(input.lostPlan)),
      notes: [tokenNote(lost.name)],
    },
    {
      title: `${survivor.name} trusts the new ${lost.name}: its site-link key, its PBS certificate and token`,
      minutes: 2,
      destructive: true,
      argv: pulumiUp(survivor.name, peerTrustTargets(input.survivorPlan, lost.name)),
      notes: [tokenNote(survivor.name)],
    },
  ];
}

/** From the copies in the new host's own PBS to running, checked, backed-up services. */
function rebuildTail(input: RunbookInput): Step[] {
  const { lost, survivor, services } = input;
  const storage = lost.backupServer.storageId;
  const vmids = services.map((c) => c.vmid);
  const restores = services.flatMap((c): Step[] => [
    {
      title: `Restore ${c.name} (${c.vmid}) onto its own volumes`,
      minutes: minutesAt(input.bytes.get(c.vmid) ?? 0, input.restoreMiBps),
      destructive: true,
      argv: ssh(input.lostSsh, restoreOnSpecVolumes(c, volumeOf(input, storage, c.vmid))),
    },
    { title: `Start ${c.name} (${c.vmid})`, minutes: ASSUMPTIONS.startCheckMinutes, destructive: false, argv: ssh(input.lostSsh, `pct start ${c.vmid}`) },
  ]);
  const checks = [
    ...vmids.map((v) => `pct status ${v} | grep -q running`),
    `pvesh get /cluster/backup/nightly-${lost.name} >/dev/null`,
    `${PBM} sync-job show ${syncJobOf(survivor.name)} >/dev/null`,
  ].join(" && ");
  return [
    ...restores,
    { title: "Read what now runs into the state", minutes: 3, destructive: false, argv: ["pulumi", "refresh", "--stack", lost.name, "--yes"], notes: [tokenNote(lost.name)] },
    {
      title: "Containers, the template, the nightly backup and the pulls of the other sites back under the program",
      minutes: ASSUMPTIONS.stateSyncMinutes - 3,
      destructive: true,
      argv: pulumiUp(lost.name, [...containerTargets(input.lostPlan, vmids), ...tailTargets(input.lostPlan)]),
      notes: [tokenNote(lost.name)],
    },
    { title: "Check: containers running, backup scheduled, the pull of the other site in place", minutes: 2, destructive: false, argv: ssh(input.lostSsh, checks) },
  ];
}

function rebuildSteps(input: RunbookInput): Step[] {
  const { lost, survivor, copies } = input;
  const stored = storedBytes(input);
  const ns = namespaceOf(lost.name);
  // To the user and its token alike: PBS limits a token to what its user may do on the
  // same path (lookup_privs_details, pbs-config/src/cached_user_info.rs), so a grant to the
  // token alone gives it nothing.
  const sync = syncUserOf(lost.name);
  const grant = (remove: boolean) =>
    [sync.user, sync.token].map((id) => `${PBM} acl update /datastore/${copies.holderDatastore}/${ns} DatastoreReader --auth-id '${id}'${remove ? " --delete true" : ""}`).join(" && ");
  // The bottleneck of the transfer back: the survivor's upload or the new host's
  // download. The pull is held a little under it (the assumed efficiency) so that
  // the ISP box's queue stays short for the survivor's members and this SSH session.
  const mbps = Math.min(survivor.uplink.upMbps, lost.uplink.downMbps);
  const rateInKiB = Math.floor((mbps * 1e6 * ASSUMPTIONS.linkEfficiency) / 8 / 1024);
  const pull = [
    `${PBM} pull ${remoteOf(survivor.name)} ${copies.holderDatastore} ${lost.backupServer.datastore}`,
    `--ns ${ns} --remote-ns ${ns} --max-depth 0 --transfer-last 1 --rate-in ${rateInKiB}KiB`,
  ].join(" ");
  return [
    ...rebuildHead(input),
    {
      title: `On ${survivor.name}: let the new ${lost.name} read its own copies, for the transfer back`,
      minutes: 1,
      destructive: true,
      argv: ssh(input.survivorSsh, grant(false)),
      notes: [`${lost.name}'s pull token may otherwise read only ${survivor.name}'s own namespace; the grant is taken back after the pull`],
    },
    {
      title: `Pull the newest copies back from ${survivor.name} (${gib(stored).toFixed(1)} GiB of chunks at ${mbps} Mbit/s)`,
      minutes: Math.ceil((stored * 8) / (mbps * 1e6 * ASSUMPTIONS.linkEfficiency) / 60),
      destructive: false,
      argv: ssh(input.lostSsh, pull),
      notes: [
        "an interrupted pull resumes when the step is run again: chunks already here are not sent twice",
        `not needed if the old backup disk survived (its snapshots are here already, owned by ${PBS_IDS.pveToken}): resume from the first restore step instead`,
      ],
    },
    handOverStep(input),
    { title: `On ${survivor.name}: take the read grant back`, minutes: 1, destructive: true, argv: ssh(input.survivorSsh, grant(true)) },
    ...rebuildTail(input),
  ];
}

function diskSteps(input: RunbookInput): Step[] {
  const { lost, survivor, diskPath, copies } = input;
  const stored = storedBytes(input);
  const ns = namespaceOf(lost.name);
  // A removable datastore (PBS 3.3+): its path is relative to the disk's root, PBS mounts the disk itself.
  const createCarry = `${PBM} datastore create ${CARRY} ${diskPath} --backing-device <the filesystem UUID of the disk's partition, from blkid>`;
  // A disk that holds the carry datastore already: through the API, which takes reuse-datastore from
  // PBS 3.3 on; the CLI only from 4.0.11 (vocab/pbs-manager-3.4.0.json lacks it).
  const reuseCarry = `proxmox-backup-debug api create /config/datastore --name ${CARRY} --path ${diskPath} --backing-device <the filesystem UUID of the disk's partition, from blkid> --reuse-datastore true`;
  return [
    ...rebuildHead(input),
    {
      title: `At ${survivor.name}: plug in the carry disk and add it as the removable datastore "${CARRY}"`,
      minutes: 5,
      destructive: false,
      notes: [
        `it needs ${gib(stored).toFixed(1)} GiB free, on an ext4 or xfs partition`,
        `${createCarry}; a disk already used as "${CARRY}": ${reuseCarry}`,
      ],
    },
    {
      title: `Copy the newest copies of ${lost.name} onto the carry disk (${gib(stored).toFixed(1)} GiB)`,
      minutes: minutesAt(stored, ASSUMPTIONS.usbMiBps),
      destructive: false,
      argv: ssh(
        input.survivorSsh,
        // The namespace may be there already (a disk carried before): then the creation fails, harmlessly.
        `{ proxmox-backup-debug api create /admin/datastore/${CARRY}/namespace --name ${ns} >/dev/null 2>&1 || true; } && ` +
          `${localPull(input, copies.holderDatastore, CARRY)} && ${PBM} datastore unmount ${CARRY}`,
      ),
    },
    {
      title: `Drive the disk to ${lost.location}, plug it into the new host and add it there`,
      minutes: ASSUMPTIONS.driveMinutes,
      destructive: false,
      notes: [reuseCarry],
    },
    {
      title: `Bring the copies from the carry disk into ${lost.name}'s own PBS`,
      minutes: minutesAt(stored, ASSUMPTIONS.usbMiBps),
      destructive: false,
      argv: ssh(input.lostSsh, `${localPull(input, CARRY, lost.backupServer.datastore)} && ${PBM} datastore unmount ${CARRY}`),
    },
    handOverStep(input),
    ...rebuildTail(input),
  ];
}

function failoverSteps(input: RunbookInput): Step[] {
  const { lost, survivor, services, placement } = input;
  if (placement === undefined) throw new Error("failover steps need a placement (the capacity check)");
  const gateway = survivor.network.ipv4.gateway;
  const mail = services.find((c) => c.name === "mail");
  const held = heldStorageOf(lost.name);
  return [
    {
      title: `Pause ${survivor.name}'s nightly pull of ${lost.name} (it would fail every night)`,
      minutes: 1,
      destructive: false,
      argv: ssh(input.survivorSsh, `${PBM} sync-job update ${syncJobOf(lost.name)} --delete schedule`),
    },
    ...services.flatMap((c): Step[] => [
      {
        title: `Restore ${c.name} (${c.vmid}) on ${survivor.name} from its PBS, datastore ${placement.datastore}`,
        minutes: minutesAt(input.bytes.get(c.vmid) ?? 0, input.restoreMiBps),
        destructive: true,
        argv: ssh(input.survivorSsh, `pct restore ${c.vmid} ${volumeOf(input, held, c.vmid)} --storage ${placement.datastore}`),
      },
      {
        title: `Give ${c.name} the address ${placement.addresses.get(c.vmid)} on ${survivor.name}'s LAN and ${failoverMemoryOf(c)} MiB`,
        minutes: 1,
        destructive: false,
        argv: ssh(
          input.survivorSsh,
          `pct set ${c.vmid} --net0 name=eth0,bridge=${survivor.network.bridge},firewall=1,ip=${placement.addresses.get(c.vmid)},gw=${gateway} --memory ${failoverMemoryOf(c)} --onboot 1`,
        ),
      },
      { title: `Start ${c.name} (${c.vmid})`, minutes: ASSUMPTIONS.startCheckMinutes, destructive: false, argv: ssh(input.survivorSsh, `pct start ${c.vmid}`) },
    ]),
    {
      title: `Back them up nightly into ${survivor.name}'s PBS while they run there (a job outside the program)`,
      minutes: 1,
      destructive: false,
      argv: ssh(
        input.survivorSsh,
        `pvesh create /cluster/backup --id failover-${lost.name} --schedule '*-*-* 03:30' --vmid ${services.map((c) => c.vmid).join(",")} --storage ${survivor.backupServer.storageId} --mode snapshot --pbs-change-detection-mode metadata`,
      ),
    },
    {
      title: "Outside the hosts: send the traffic to the survivor",
      minutes: ASSUMPTIONS.outsideChangesMinutes,
      destructive: false,
      notes: [
        ...(mail ? [`relay: deliver inbound mail to ${placement.addresses.get(mail.vmid)?.split("/")[0]} (the relay's transport map), and let that address relay outbound`] : []),
        ...failoverOutside(lost, survivor, services, placement.addresses),
      ],
    },
    {
      title: "The way back, once the lost site is rebuilt",
      minutes: 0,
      destructive: false,
      notes: [
        `stop each failed-over container on ${survivor.name} and back it up there (vzdump <vmid> --storage ${survivor.backupServer.storageId} --mode stop): the copy with what changed during the failover is in ${survivor.name}'s namespace ${namespaceOf(survivor.name)}`,
        `rebuild ${lost.name} (mode rebuild or disk), pulling namespace ${namespaceOf(survivor.name)} for those guests, so nothing written during the failover is lost`,
        `then, on ${survivor.name}: pct set <vmid> --protection 0 && pct destroy <vmid> for each failed-over container, pvesh delete /cluster/backup/failover-${lost.name}, ` +
          `and ${PBM} sync-job update ${syncJobOf(lost.name)} --schedule '${syncNightOf(input.copies, lost).schedule}' (pulumi up does not see that it was paused); undo the DNS and port-forward changes`,
      ],
    },
  ];
}

/** Every step of a mode, in order. */
export function runbookSteps(input: RunbookInput): Step[] {
  switch (input.mode) {
    case "failover":
      return failoverSteps(input);
    case "rebuild":
      return rebuildSteps(input);
    case "disk":
      return diskSteps(input);
  }
}
