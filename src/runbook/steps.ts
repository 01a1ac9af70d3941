/**
 * The ordered steps of each way back, as data: what a person does, or the exact
 * command to run, whether it changes anything, and how long it should take. The
 * CLI prints them (`--dry-run`) or runs them; tests assert them exactly.
 */
import type { PullDirection } from "../offsite/directions";
import { pullNames } from "../offsite/host-files";
import type { ContainerSpec, SiteSpec } from "../site/schema";
import { ASSUMPTIONS } from "./assumptions";
import { type FailoverPlacement, failoverMemoryOf } from "./capacity";
import type { Mode } from "./estimate";
import { type PlanResource, backupTargets, containerTargets, foundationTargets, offsiteTargets, peerTrustTargets } from "./targets";

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
  readonly copies: PullDirection;
  /** SSH destinations (`user@address`) of the hosts, from their stack files. */
  readonly lostSsh: string;
  readonly survivorSsh: string;
  /** Archive file name per VMID, from the status file; absent in a dry run without one. */
  readonly archives: ReadonlyMap<number, string> | undefined;
  /** Archive bytes per VMID (held or estimated), for the per-step estimates. */
  readonly bytes: ReadonlyMap<number, number>;
  /** The offline plans of the two stacks. */
  readonly lostPlan: readonly PlanResource[];
  readonly survivorPlan: readonly PlanResource[];
  /** Where the carried disk is mounted (disk mode). */
  readonly diskPath: string;
  /** Where the failover lands (failover mode). */
  readonly placement?: FailoverPlacement;
}

const ssh = (dest: string, remote: string): string[] => ["ssh", "-o", "BatchMode=yes", dest, remote];
const pulumiUp = (stack: string, targets: readonly string[]): string[] => ["pulumi", "up", "--stack", stack, "--yes", ...targets.flatMap((t) => ["--target", t])];
const gib = (bytes: number) => bytes / 1024 ** 3;
const minutesAt = (bytes: number, mibps: number) => Math.ceil(bytes / (mibps * 1024 ** 2) / 60);

/** The archive of a VMID in `dir`: its exact name from the status file, else the newest one there, resolved by the host's shell. */
function archivePath(input: RunbookInput, dir: string, vmid: number): string {
  const name = input.archives?.get(vmid);
  return name === undefined ? `"$(ls -1 ${dir}/vzdump-lxc-${vmid}-*.tar.* | grep -v '\\.notes$' | sort | tail -n 1)"` : `${dir}/${name}`;
}

/** The archive, its .log and its .notes, for copying. */
function archiveFiles(input: RunbookInput, dir: string, vmid: number): string {
  const name = input.archives?.get(vmid);
  if (name === undefined) return `${dir}/vzdump-lxc-${vmid}-*`;
  const base = name.replace(/\.(tar|vma)(\.(gz|lzo|zst))?$/, "");
  return `${dir}/${name} ${dir}/${base}.log ${dir}/${name}.notes`;
}

/** `pct restore` onto the volumes the spec gives (root disk and each mount point on its own datastore). */
function restoreOnSpecVolumes(c: ContainerSpec, archive: string): string {
  const mps = c.mountPoints.map((m, i) => ` --mp${i} ${m.datastore}:${m.sizeGiB},mp=${m.path},backup=${m.backup ? 1 : 0}`).join("");
  return `pct restore ${c.vmid} ${archive} --rootfs ${c.rootDisk.datastore}:${c.rootDisk.sizeGiB}${mps}`;
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
      "root SSH access for the operators' keys; an API token (Datacenter > Permissions > API Tokens), then pulumi config set --secret apiToken if it changed",
      `make ${lost.publicSsh.host}:${lost.publicSsh.port} reach the new host again (DNS, port forward)`,
    ],
  };
}

function rebuildHead(input: RunbookInput): Step[] {
  const { lost } = input;
  const backupStore = lost.datastores.find((d) => d.id === lost.backup.storage);
  return [
    installProxmox(input),
    {
      title: `Recreate the local backup storage ${lost.backup.storage}`,
      minutes: 1,
      destructive: false,
      argv: ssh(input.lostSsh, `pvesm add dir ${lost.backup.storage} --path ${backupStore?.path ?? "/mnt/backup"} --content backup`),
    },
    {
      title: "Foundation: the provider, the LXC template, the storages over the other site's copies",
      minutes: ASSUMPTIONS.foundationMinutes,
      destructive: true,
      argv: pulumiUp(lost.name, foundationTargets(input.lostPlan)),
    },
  ];
}

function rebuildTail(input: RunbookInput, archiveDir: string): Step[] {
  const { lost, survivor, services } = input;
  const vmids = services.map((c) => c.vmid);
  const restores = services.flatMap((c): Step[] => [
    {
      title: `Restore ${c.name} (${c.vmid}) onto its own volumes`,
      minutes: minutesAt(input.bytes.get(c.vmid) ?? 0, ASSUMPTIONS.restoreMiBps),
      destructive: true,
      argv: ssh(input.lostSsh, restoreOnSpecVolumes(c, archivePath(input, archiveDir, c.vmid))),
    },
    { title: `Start ${c.name} (${c.vmid})`, minutes: ASSUMPTIONS.startCheckMinutes, destructive: false, argv: ssh(input.lostSsh, `pct start ${c.vmid}`) },
  ]);
  const checks = [
    ...vmids.map((v) => `pct status ${v} | grep -q running`),
    `pvesh get /cluster/backup/nightly-${lost.name} >/dev/null`,
    ...[survivor.name].map((s) => `systemctl is-active --quiet ${pullNames(s).timer}`),
  ].join(" && ");
  return [
    ...restores,
    { title: "Read what now runs into the state", minutes: 3, destructive: false, argv: ["pulumi", "refresh", "--stack", lost.name, "--yes"] },
    {
      title: "Containers, nightly backup and offsite pull back under the program",
      minutes: ASSUMPTIONS.stateSyncMinutes - 3,
      destructive: true,
      argv: pulumiUp(lost.name, [...containerTargets(input.lostPlan, vmids), ...backupTargets(input.lostPlan), ...offsiteTargets(input.lostPlan)]),
    },
    {
      title: `${survivor.name} trusts the new host key of ${lost.name} and authorises its new pull key`,
      minutes: 2,
      destructive: true,
      argv: pulumiUp(survivor.name, peerTrustTargets(input.survivorPlan, lost.name)),
    },
    { title: "Check: containers running, backup scheduled, pull timer active", minutes: 2, destructive: false, argv: ssh(input.lostSsh, checks) },
  ];
}

/** The newest copies of the services at the survivor: their total bytes and the files to copy. */
function newestCopies(input: RunbookInput): { all: number; files: string } {
  return {
    all: [...input.bytes.values()].reduce((s, b) => s + b, 0),
    files: input.services.map((c) => archiveFiles(input, input.copies.copiesDumpDir, c.vmid)).join(" "),
  };
}

function rebuildSteps(input: RunbookInput): Step[] {
  const { lost, survivor, copies } = input;
  const { all, files } = newestCopies(input);
  const port = lost.publicSsh.port === 22 ? "" : ` -e 'ssh -p ${lost.publicSsh.port}'`;
  // The lost site's own dump directory, where its archives go back to.
  const dump = copies.sourceDumpDir;
  return [
    ...rebuildHead(input),
    {
      title: `Bring the newest copies back from ${survivor.name} (${gib(all).toFixed(1)} GiB over its ${survivor.uplink.upMbps} Mbit/s upload)`,
      minutes: Math.ceil((all * 8) / (survivor.uplink.upMbps * 1e6 * ASSUMPTIONS.linkEfficiency) / 60),
      destructive: false,
      // Agent forwarding: the survivor reaches the new host with the operator's key.
      argv: ["ssh", "-A", "-o", "BatchMode=yes", input.survivorSsh, `rsync -a --partial --progress${port} ${files} root@${lost.publicSsh.host}:${dump}/`],
      notes: ["an interrupted copy resumes when the step is run again (--partial)"],
    },
    ...rebuildTail(input, dump),
  ];
}

function diskSteps(input: RunbookInput): Step[] {
  const { lost, survivor, diskPath } = input;
  const { all, files } = newestCopies(input);
  return [
    ...rebuildHead(input),
    {
      title: `At ${survivor.name}: plug in the carry disk and mount it at ${diskPath}`,
      minutes: 5,
      destructive: false,
      notes: [`it needs ${gib(all).toFixed(1)} GiB free`, `mount /dev/sdX1 ${diskPath}`],
    },
    {
      title: `Copy the newest copies onto the disk (${gib(all).toFixed(1)} GiB)`,
      minutes: minutesAt(all, ASSUMPTIONS.usbMiBps),
      destructive: false,
      argv: ssh(input.survivorSsh, `cp -v ${files} ${diskPath}/ && sync`),
    },
    {
      title: `Unmount the disk, drive it to ${lost.location}, mount it on the new host at ${diskPath}`,
      minutes: ASSUMPTIONS.driveMinutes,
      destructive: false,
      notes: [`umount ${diskPath} at ${survivor.name}`, `mount /dev/sdX1 ${diskPath} at ${lost.name}`],
    },
    ...rebuildTail(input, diskPath),
  ];
}

function failoverSteps(input: RunbookInput): Step[] {
  const { lost, survivor, services, copies, placement } = input;
  if (placement === undefined) throw new Error("failover steps need a placement (the capacity check)");
  const gateway = survivor.network.ipv4.gateway;
  const mail = services.find((c) => c.name === "mail");
  return [
    {
      title: `Stop ${survivor.name}'s nightly pull of ${lost.name} (it would fail every night)`,
      minutes: 1,
      destructive: false,
      argv: ssh(input.survivorSsh, `systemctl disable --now ${pullNames(lost.name).timer}`),
    },
    ...services.flatMap((c): Step[] => [
      {
        title: `Restore ${c.name} (${c.vmid}) on ${survivor.name}, datastore ${placement.datastore}`,
        minutes: minutesAt(input.bytes.get(c.vmid) ?? 0, ASSUMPTIONS.restoreMiBps),
        destructive: true,
        argv: ssh(input.survivorSsh, `pct restore ${c.vmid} ${archivePath(input, copies.copiesDumpDir, c.vmid)} --storage ${placement.datastore}`),
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
      title: `Back them up nightly on ${survivor.name} while they run there (a job outside the program)`,
      minutes: 1,
      destructive: false,
      argv: ssh(
        input.survivorSsh,
        `pvesh create /cluster/backup --id failover-${lost.name} --schedule '*-*-* 03:30' --vmid ${services.map((c) => c.vmid).join(",")} --storage ${survivor.backup.storage} --mode snapshot --compress gzip --prune-backups keep-daily=7`,
      ),
    },
    {
      title: "Outside the hosts: send the traffic to the survivor",
      minutes: ASSUMPTIONS.outsideChangesMinutes,
      destructive: false,
      notes: [
        ...services.map((c) => `DNS: the names served by ${c.hostname} now point to ${survivor.name}'s public address; port forwards on ${survivor.name}'s ISP box go to ${placement.addresses.get(c.vmid)?.split("/")[0]}`),
        ...(mail ? [`relay: deliver inbound mail to ${placement.addresses.get(mail.vmid)?.split("/")[0]} (the relay's transport map), and let that address relay outbound`] : []),
        "tell the members (status page, mailing list)",
      ],
    },
    {
      title: "The way back, once the lost site is rebuilt",
      minutes: 0,
      destructive: false,
      notes: [
        `stop each failed-over container on ${survivor.name}, vzdump it there, and bring that archive to ${lost.name} (mode rebuild or disk)`,
        `then pct destroy the failed-over containers and pvesh delete /cluster/backup/failover-${lost.name} on ${survivor.name}`,
        `systemctl enable --now ${pullNames(lost.name).timer} on ${survivor.name}, and undo the DNS and port-forward changes`,
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
