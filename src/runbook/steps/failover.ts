/**
 * The lost site's guests restored on the survivor from its own PBS, with
 * addresses on its LAN, while the lost site is rebuilt. The survivor first
 * stops trusting the lost host and makes room (its own guests and PBS at their
 * degraded budgets, its drill paused); the traffic is sent over before the
 * restores, so that the DNS TTL runs while they restore; the most visible
 * service comes back first, named in the survivor's stack, which puts the
 * firewall it compiles for the guest there on it before it starts; each is
 * checked by its own health check.
 */
import { heldStorageOf, syncJobOf, syncUserOf } from "../../backup/names";
import { syncNightOf } from "../../backup/night";
import { DRILL_UNIT } from "../../drill/drill-commands";
import type { ContainerSpec } from "../../site/schema";
import { ASSUMPTIONS } from "../assumptions";
import { degradedMemoryOf, degradedPbsMemoryGiB, failoverMemoryOf } from "../capacity";
import { failoverOutside, portClashes } from "../outside";
import type { RunbookInput, Step } from "../step";
import { hasDrill, hostedFirewallTargets } from "../targets";
import { failoverView, hostingEntry } from "../../firewall/hosted";
import { mailRoutingOf, smarthostSetting } from "../../firewall/mail-routing";
import { PBM, healthCheckStep, minutesAt, pulumiUp, restoreOrder, ssh, tokenNote, volumeOf } from "./shared";

const PBS_PROXY = "proxmox-backup-proxy.service";
/** The survivor's own guests whose degraded budget is below their memory: a failover lowers them, the way home gives it back. */
const loweredGuests = (survivor: RunbookInput["survivor"]): ContainerSpec[] => survivor.containers.filter((c) => degradedMemoryOf(c) < c.memoryMiB);
/** The tag a failover puts on what it restores on the survivor: the way home destroys only guests that carry it. */
export const FAILOVER_TAG = "retzien-failover";
/** The survivor's nightly backup of the guests it runs for the lost site (a job outside the program). */
export const failoverJobOf = (lost: string): string => `failover-${lost}`;

/**
 * On the survivor, once the failed-over guests are home: its own guests, PBS,
 * drill and pull of the lost site as they were before the failover.
 */
export function survivorAsBefore(input: RunbookInput): string[] {
  const { lost, survivor } = input;
  const lowered = loweredGuests(survivor);
  return [
    ...lowered.map((c) => `pct set ${c.vmid} --memory ${c.memoryMiB}`),
    ...(degradedPbsMemoryGiB(survivor) < survivor.backupServer.memoryGiB ? [`systemctl set-property --runtime ${PBS_PROXY} MemoryHigh=${survivor.backupServer.memoryGiB}G`] : []),
    ...(hasDrill(input.survivorPlan) ? [`systemctl enable --now ${DRILL_UNIT}.timer`] : []),
    // pulumi up does not see that the failover paused it: the schedule goes back by hand.
    `${PBM} sync-job update ${syncJobOf(lost.name)} --schedule '${syncNightOf(input.copies, lost).schedule}'`,
  ];
}

/**
 * On the survivor: what the lost host could still do, and what would compete
 * with its guests. Its pull of the lost site would fail every night; the lost
 * host's pull token still reads the survivor's namespace (a stolen host keeps
 * it); the drill would restore a second copy of the guests now running here.
 */
function quietSurvivor(input: RunbookInput): Step {
  const { lost, survivor } = input;
  const drill = hasDrill(input.survivorPlan);
  return {
    title: `On ${survivor.name}: pause its pull of ${lost.name}${drill ? " and its restore drill" : ""}, and lock out ${lost.name}'s pull token`,
    minutes: 1,
    destructive: true,
    argv: ssh(
      input.survivorSsh,
      [
        `${PBM} sync-job update ${syncJobOf(lost.name)} --delete schedule`,
        `${PBM} user update ${syncUserOf(lost.name).user} --enable false`,
        ...(drill ? [`systemctl disable --now ${DRILL_UNIT}.timer`] : []),
      ].join(" && "),
    ),
  };
}

/** The survivor's own guests and PBS down to their degraded budgets, when any is set. */
function makeRoom(input: RunbookInput): Step[] {
  const { survivor } = input;
  const lowered = loweredGuests(survivor);
  const pbsGiB = degradedPbsMemoryGiB(survivor);
  const commands = [
    ...lowered.map((c) => `pct set ${c.vmid} --memory ${degradedMemoryOf(c)}`),
    // --runtime: gone at a reboot, when PBS takes its planned ceiling again (run this step again then).
    ...(pbsGiB < survivor.backupServer.memoryGiB ? [`systemctl set-property --runtime ${PBS_PROXY} MemoryHigh=${pbsGiB}G`] : []),
  ];
  if (commands.length === 0) return [];
  return [
    {
      title: `On ${survivor.name}: its own guests and PBS down to their degraded memory (${[...lowered.map((c) => `${c.name} ${degradedMemoryOf(c)} MiB`), `PBS ${pbsGiB} GiB`].join(", ")})`,
      minutes: 1,
      destructive: true,
      argv: ssh(input.survivorSsh, commands.join(" && ")),
      notes: [`an LXC memory limit is a ceiling: a running guest above it gives pages back; after a reboot of ${survivor.name}, run this step again`],
    },
  ];
}

/** @param before the guests restored before this one: the survivor's stack runs them already. */
function restoreSteps(input: RunbookInput, c: ContainerSpec, before: readonly ContainerSpec[]): Step[] {
  const { lost, survivor, placement } = input;
  if (placement === undefined) throw new Error("failover steps need a placement (the capacity check)");
  const held = heldStorageOf(lost.name);
  const address = placement.addresses.get(c.vmid);
  return [
    {
      title: `Restore ${c.name} (${c.vmid}) on ${survivor.name} from its PBS, datastore ${placement.datastore}`,
      minutes: minutesAt(input.bytes.get(c.vmid) ?? 0, input.restoreMiBps),
      destructive: true,
      argv: ssh(input.survivorSsh, `pct restore ${c.vmid} ${volumeOf(input, held, c.vmid)} --storage ${placement.datastore} --tags ${FAILOVER_TAG}`),
    },
    {
      title: `Give ${c.name} the address ${address} on ${survivor.name}'s LAN and ${failoverMemoryOf(c)} MiB`,
      minutes: 1,
      destructive: false,
      argv: ssh(
        input.survivorSsh,
        `pct set ${c.vmid} --net0 name=eth0,bridge=${survivor.network.bridge},firewall=1,ip=${address},gw=${survivor.network.ipv4.gateway} --memory ${failoverMemoryOf(c)} --onboot 1`,
      ),
    },
    {
      // One at a time, once restored: the program imports the firewall of each guest it names, which must exist.
      title: `Name ${c.name} in ${survivor.name}'s stack as a guest it runs for ${lost.name}`,
      minutes: 1,
      destructive: false,
      argv: ["pulumi", "config", "set-all", "--stack", survivor.name, "--path", "--plaintext", `hosting[${before.length}]=${hostingEntry(lost.name, c.name)}`],
    },
    {
      // The restore brought the firewall of its backup, which names the lost site's addresses. The guests
      // restored before it are targeted too: their rules name this one's address from now on.
      title: `Put ${c.name}'s firewall for ${survivor.name} on it: its address there, and those of the guests it talks to (compiled by ${survivor.name}'s stack)`,
      minutes: 1,
      destructive: false,
      argv: pulumiUp(survivor.name, [...before, c].flatMap((x) => hostedFirewallTargets(input.survivorPlan, lost.name, x.name))),
      notes: [tokenNote(survivor.name)],
    },
    { title: `Start ${c.name} (${c.vmid})`, minutes: 1, destructive: false, argv: ssh(input.survivorSsh, `pct start ${c.vmid}`) },
    // Plesk serves on the addresses it knows: it must read the new one.
    ...(/plesk/i.test(c.description)
      ? [{ title: `Let Plesk in ${c.name} serve on ${address?.split("/")[0]}`, minutes: 1, destructive: false, argv: ssh(input.survivorSsh, `pct exec ${c.vmid} -- plesk bin ipmanage --reread </dev/null`) }]
      : []),
    unreachableIf(healthCheckStep(c, input.survivorSsh), input, c),
  ];
}

/**
 * A check of a service whose Internet ports the survivor's own services hold:
 * with every one of them taken it runs but nobody reaches it; with some, it is
 * back without them (mail without its webmail), and the step says so.
 */
function unreachableIf(step: Step, input: RunbookInput, c: ContainerSpec): Step {
  const clashes = portClashes(input.survivor, c);
  if (clashes.length === 0) return step;
  const why =
    `${clashes.join(", ")} already go to ${input.survivor.name}'s own services behind its one public address ${input.survivor.recovery.publicIpv4}; ` +
    `a second public IPv4 address at ${input.survivor.name}, or a reverse proxy there that routes by name, would open them`;
  const open = c.firewall.inbound.filter((r) => r.from === "internet").flatMap((r) => r.ports ?? []).filter((p) => !clashes.some((x) => x.split(" ")[1]?.split(",").includes(String(p))));
  return open.length === 0 ? { ...step, unreachable: `its Internet ports ${why}` } : { ...step, notes: [...(step.notes ?? []), `back without some of its Internet ports: ${why}`] };
}

/**
 * Mail goes out through the relay; the mail container is the MX and takes its inbound mail itself.
 * The smarthosts and the relay's mynetworks live in the guests, not in the program: after the
 * restore they still name the lost site's addresses. The values are the firewall's own flows,
 * compiled for the failover's addresses.
 */
function mailRoutingNotes(input: RunbookInput): string[] {
  const { lost, survivor, services, placement } = input;
  if (placement === undefined) return [];
  const routing = mailRoutingOf(failoverView(lost, survivor, placement.addresses));
  const here = (name: string) => services.some((c) => c.name === name);
  return [
    ...routing.smarthosts.filter((s) => here(s.service)).map((s) =>
      here(s.relay) ? `${s.service}: ${smarthostSetting(s.kind, s.relayhost)}` : `${s.service} sends through ${s.relay}, which stays at ${lost.name}: its outgoing mail waits in its queue until ${s.relay} is back`,
    ),
    ...routing.relays.filter((r) => here(r.service)).map((r) => `${r.service}: Postfix mynetworks = ${r.mynetworks} (postconf -e, then postfix reload)`),
  ];
}

export function failoverSteps(input: RunbookInput): Step[] {
  const { lost, survivor, services, placement } = input;
  if (placement === undefined) throw new Error("failover steps need a placement (the capacity check)");
  const ttl = survivor.recovery.dns.ttlSeconds;
  const mailRouting = mailRoutingNotes(input);
  return [
    quietSurvivor(input),
    ...makeRoom(input),
    {
      title: `Outside the hosts: send the traffic to ${survivor.name} now (the DNS TTL runs while the copies restore)`,
      minutes: ASSUMPTIONS.outsideChangesMinutes,
      destructive: false,
      notes: [
        ...failoverOutside(lost, survivor, services, placement.addresses),
        `${lost.name} answers nothing meanwhile: clients that follow the new records early lose nothing`,
      ],
      clock: { minutes: Math.ceil(ttl / 60), what: `the DNS TTL (${ttl} s): clients keep ${lost.name}'s address until it runs out` },
    },
    ...restoreOrder(lost, services).flatMap((c, i, order) => restoreSteps(input, c, order.slice(0, i))),
    ...(mailRouting.length === 0
      ? []
      : [{ title: "Inside the guests: their mail's way out through the relay, at its address here", minutes: ASSUMPTIONS.mailRelaySettingsMinutes, destructive: false, notes: mailRouting }]),
    {
      title: `Back them up nightly into ${survivor.name}'s PBS while they run there (a job outside the program)`,
      minutes: 1,
      destructive: false,
      argv: ssh(
        input.survivorSsh,
        `pvesh create /cluster/backup --id ${failoverJobOf(lost.name)} --schedule '*-*-* 03:30' --vmid ${services.map((c) => c.vmid).join(",")} --storage ${survivor.backupServer.storageId} --mode snapshot --pbs-change-detection-mode metadata`,
      ),
    },
    {
      title: "The way home, once the lost site's host is back",
      minutes: 0,
      destructive: false,
      notes: [
        `npm run rebuild -- --lost ${lost.name} --mode failback: the guests that run here come home with what was written meanwhile, the others from their copies, and ${survivor.name} is left as before`,
        `while they run here, lower budgets stay: after a reboot of ${survivor.name}, run the step that lowered them again`,
      ],
    },
  ];
}
