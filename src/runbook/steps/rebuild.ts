/**
 * A new host in place of the lost one: Proxmox VE installed by hand, the
 * program's foundation, the copies pulled back from the survivor over the
 * link, restored onto their own volumes, and everything back under the program.
 */
import { PBS_IDS, namespaceOf, syncJobOf, syncUserOf } from "../../backup/names";
import { ASSUMPTIONS } from "../assumptions";
import { rebuildOutside } from "../outside";
import type { ContainerSpec } from "../../site/schema";
import type { RunbookInput, Step } from "../step";
import { foundationTargets, lostHostTargets, peerTrustTargets, pullTokenTargets } from "../targets";
import { PBM, gib, groupFilter, handOverStep, healthCheckStep, linkMbps, minutesAt, pullOnHost, pulumiUp, rateKiB, restoreOnSpecVolumes, restoreOrder, ssh, storedBytes, tokenNote, volumeOf } from "./shared";

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
export function rebuildHead(input: RunbookInput): Step[] {
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
      // The lost host's disks may be in other hands, with the token that reads the survivor's copies:
      // the survivor makes it anew (its delete removes the old one), and its stack publishes the new one.
      title: `On ${survivor.name}: a new pull token for ${lost.name}, the old one revoked`,
      minutes: 1,
      destructive: true,
      argv: [...pulumiUp(survivor.name, pullTokenTargets(input.survivorPlan, lost.name)), "--replace", pullTokenTargets(input.survivorPlan, lost.name)[1] as string],
      notes: [tokenNote(survivor.name)],
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

/**
 * One guest restored onto its own volumes from `storage` on the lost site's
 * host, started, and checked; `restore` may add to the restore's command line.
 */
export function restoreHome(input: RunbookInput, c: ContainerSpec, storage: string, how = "", restore = (command: string) => command): Step[] {
  return [
    {
      title: `Restore ${c.name} (${c.vmid}) onto its own volumes${how}`,
      minutes: minutesAt(input.bytes.get(c.vmid) ?? 0, input.restoreMiBps),
      destructive: true,
      argv: ssh(input.lostSsh, restore(restoreOnSpecVolumes(c, volumeOf(input, storage, c.vmid)))),
    },
    { title: `Start ${c.name} (${c.vmid})`, minutes: 1, destructive: false, argv: ssh(input.lostSsh, `pct start ${c.vmid}`) },
    healthCheckStep(c, input.lostSsh),
  ];
}

/** Every restored guest and the rest of the host back under the program, then checked. */
export function underProgram(input: RunbookInput): Step[] {
  const { lost, survivor, services } = input;
  const vmids = services.map((c) => c.vmid);
  const checks = [
    ...vmids.map((v) => `pct status ${v} | grep -q running`),
    `pvesh get /cluster/backup/nightly-${lost.name} >/dev/null`,
    `${PBM} sync-job show ${syncJobOf(survivor.name)} >/dev/null`,
  ].join(" && ");
  // Services left out of an --only rebuild run elsewhere or not at all: the program must not make empty guests
  // with their VMIDs, nor name them in the nightly backup (the stack's `away` config).
  const away = lost.containers.filter((c) => !vmids.includes(c.vmid)).map((c) => c.name);
  return [
    ...(away.length === 0
      ? []
      : [
          {
            title: `Mark ${away.join(", ")} away in ${lost.name}'s stack: the program leaves them out until they are home`,
            minutes: 1,
            destructive: false,
            argv: ["pulumi", "config", "set-all", "--stack", lost.name, "--path", ...away.flatMap((name, i) => ["--plaintext", `away[${i}]=${name}`])],
            notes: [
              // The plain up below drops them from the state (the refresh finds them gone): back on the host, they are adopted, not made again.
              `once they are back on ${lost.name}: pulumi config set-all --stack ${lost.name} --path ${away.map((name, i) => `--plaintext adopt[${i}]=${name}`).join(" ")}, ` +
                `pulumi config rm --stack ${lost.name} away, pulumi up --stack ${lost.name} --refresh, then pulumi config rm --stack ${lost.name} adopt`,
            ],
          },
        ]),
    {
      // Every remaining resource follows from the program: a plain up, reading first what the restores made.
      title: "Containers, the template, the nightly backup and the pulls of the other sites back under the program (a plain up, after a refresh)",
      minutes: ASSUMPTIONS.stateSyncMinutes,
      destructive: true,
      argv: ["pulumi", "up", "--stack", lost.name, "--refresh", "--yes"],
      notes: [tokenNote(lost.name)],
    },
    { title: "Check: containers running, backup scheduled, the pull of the other site in place", minutes: 2, destructive: false, argv: ssh(input.lostSsh, checks) },
  ];
}

/** From the copies in the new host's own PBS to running, checked, backed-up services. */
export function rebuildTail(input: RunbookInput): Step[] {
  const storage = input.lost.backupServer.storageId;
  return [...restoreOrder(input.lost, input.services).flatMap((c) => restoreHome(input, c, storage)), ...underProgram(input)];
}

/** The pull back's unit on the new host, and its day rate's rule on the survivor. */
const PULL_BACK = "retzien-pull-back";

/**
 * The newest copies of `input.services` pulled back from the survivor into the
 * new host's own PBS, over the link, and handed to Proxmox VE's token.
 */
export function pullBackSteps(input: RunbookInput): Step[] {
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
  // download. At night the pull is held a little under it (the assumed efficiency) so
  // that the ISP box's queue stays short; by day the survivor's PBS serves it at a
  // share that leaves its members room (a traffic-control rule: PBS applies it to the
  // clients connecting from the rule's networks, here the new host's site-link address).
  const mbps = linkMbps(input);
  const day = ASSUMPTIONS.pullBackDay;
  const dayHours = day.to - day.from;
  const meanShare = (dayHours * day.share + (24 - dayHours) * ASSUMPTIONS.linkEfficiency) / 24;
  const dayRule = (remove: boolean) =>
    remove
      ? `${PBM} traffic-control remove ${PULL_BACK}`
      : `{ ${PBM} traffic-control remove ${PULL_BACK} >/dev/null 2>&1 || true; } && ${PBM} traffic-control create ${PULL_BACK} --network ${lost.siteLink.address}/32 --rate-out ${rateKiB(mbps, day.share)}KiB --timeframe ${day.from}:00-${day.to}:00 --comment 'retzien: the pull back of ${lost.name} by day'`;
  const pull = pullOnHost(input, PULL_BACK, { store: copies.holderDatastore, ns }, lost.backupServer.datastore, groupFilter(input));
  return [
    {
      title: `On ${survivor.name}: let the new ${lost.name} read its own copies, for the transfer back, at ${Math.round(day.share * 100)} % of the link by day`,
      minutes: 1,
      destructive: true,
      argv: ssh(input.survivorSsh, `${grant(false)} && ${dayRule(false)}`),
      notes: [`${lost.name}'s pull token may otherwise read only ${survivor.name}'s own namespace; the grant and the day rate are taken back after the pull`],
    },
    {
      title: `Pull the newest copies back from ${survivor.name} (${gib(stored).toFixed(1)} GiB of chunks at ${mbps.toFixed(1)} Mbit/s, what the link leaves after the headers, ${Math.round(day.share * 100)} % of it from ${day.from}:00 to ${day.to}:00)`,
      minutes: Math.ceil((stored * 8) / (mbps * 1e6 * meanShare) / 60),
      destructive: false,
      argv: ssh(input.lostSsh, pull),
      notes: [
        `it runs on ${lost.name} as the unit ${PULL_BACK}: if this session drops, it goes on (journalctl -fu ${PULL_BACK}); run the step again only once systemctl is-active ${PULL_BACK} says inactive`,
        "a pull that breaks starts the snapshot it was on again from its beginning: count on that snapshot's whole time again",
        `not needed if the old backup disk survived (its snapshots are here already, owned by ${PBS_IDS.pveToken}): resume from the first restore step instead`,
      ],
    },
    handOverStep(input),
    { title: `On ${survivor.name}: take the read grant and the day rate back`, minutes: 1, destructive: true, argv: ssh(input.survivorSsh, `${grant(true)} && ${dayRule(true)}`) },
  ];
}

export function rebuildSteps(input: RunbookInput): Step[] {
  return [...rebuildHead(input), ...pullBackSteps(input), ...rebuildTail(input)];
}
