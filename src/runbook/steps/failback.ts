/**
 * The way home after a failover, once the lost site's host is back: the guests
 * that ran on the survivor come home with everything written there meanwhile,
 * the others from their copies as a rebuild brings them, and the survivor is
 * left as it was before the failover. The failed-over guests stay in service
 * on the survivor while a first copy crosses the link; each is then stopped,
 * backed up once more (only what changed since crosses), pulled, restored on
 * its own volumes and address, and checked; only then does the traffic go home.
 */
import { heldStorageOf, namespaceOf, syncUserOf } from "../../backup/names";
import { directionOf } from "../../offsite/directions";
import type { ContainerSpec } from "../../site/schema";
import { ASSUMPTIONS } from "../assumptions";
import { failbackOutside } from "../outside";
import type { RunbookInput, Step } from "../step";
import { FAILOVER_TAG, failoverJobOf, survivorAsBefore } from "./failover";
import { pullBackSteps, rebuildHead, restoreHome, underProgram } from "./rebuild";
import { hostedFirewallTargets } from "../targets";
import { PBM, gib, linkMbps, minutesAt, pullOnHost, pulumiUp, restoreOrder, ssh, storedBytes, tokenNote } from "./shared";

/** The unit the pulls home run in on the lost site's host: a dropped SSH session leaves them running. */
const PULL_HOME = "retzien-failback";

export function failbackSteps(input: RunbookInput): Step[] {
  const { lost, survivor } = input;
  const failedOver = input.failedOver ?? [];
  // A kept host (its uplink was down) still runs the guests that did not move: only the others come home.
  const fromCopies = input.keptHost === true ? [] : input.services.filter((c) => !failedOver.includes(c));
  const home = directionOf(lost, survivor);
  // One argument, a pve-vmid-list (vzdump takes a single vmid parameter: PVE::CLI::vzdump).
  const vmids = failedOver.map((c) => c.vmid).join(",");
  const stored = storedBytes({ ...input, services: failedOver });
  const changed = stored * ASSUMPTIONS.failbackChangedShare;
  const mbps = linkMbps(input);
  const linkMinutes = (bytes: number) => Math.ceil((bytes * 8) / (mbps * 1e6 * ASSUMPTIONS.linkEfficiency) / 60);
  // Into the namespace the host's own pull of the survivor fills: its storage of the survivor's copies reads it.
  // Always by group: that namespace holds the survivor's own guests too.
  const groups = failedOver.map((c) => ` --group-filter group:ct/${c.vmid}`).join("");
  const pullHome = pullOnHost(input, PULL_HOME, { store: home.sourceDatastore, ns: home.namespace }, home.holderDatastore, groups);
  const backUp = (mode: "snapshot" | "stop") => `vzdump ${vmids} --storage ${survivor.backupServer.storageId} --mode ${mode}`;
  // The copy from the survivor carries the failover's address and memory: the guest gets its own back as it is restored.
  const ownPlace = (c: ContainerSpec) => (command: string) =>
    `{ ! pct status ${c.vmid} >/dev/null 2>&1 || { { pct stop ${c.vmid} || true; } && pct set ${c.vmid} --protection 0; }; } && ` +
    `${command} --force 1 --memory ${c.memoryMiB} --net0 name=eth0,bridge=${lost.network.bridge},firewall=1,ip=${c.network.ipv4},gw=${lost.network.ipv4.gateway}${c.network.ipv6 ? `,ip6=${c.network.ipv6}` : ""}`;
  const destroyCopies = failedOver.map(
    (c) =>
      `{ pct config ${c.vmid} | grep -q '^tags:.*${FAILOVER_TAG}' || { echo '${c.vmid} on ${survivor.name} is not the failover copy (no tag ${FAILOVER_TAG}): left alone' >&2; exit 1; }; } && ` +
      `pct set ${c.vmid} --protection 0 && pct destroy ${c.vmid}`,
  );
  const ttl = lost.recovery.dns.ttlSeconds;
  return [
    ...(input.keptHost === true ? [] : rebuildHead(input)),
    {
      // The head makes the pull token anew, which makes its user anew; a host kept through an
      // uplink outage has no head, and its user is still locked out.
      title: `On ${survivor.name}: let ${lost.name}'s pull user in again (the failover locked it out)`,
      minutes: 1,
      destructive: false,
      argv: ssh(input.survivorSsh, `${PBM} user update ${syncUserOf(lost.name).user} --enable true`),
    },
    ...(fromCopies.length === 0 ? [] : [...pullBackSteps({ ...input, services: fromCopies }), ...restoreOrder(lost, fromCopies).flatMap((c) => restoreHome(input, c, lost.backupServer.storageId))]),
    {
      title: `On ${survivor.name}: a first copy of ${failedOver.map((c) => c.name).join(", ")} while they still serve`,
      minutes: minutesAt(stored, input.restoreMiBps),
      destructive: false,
      argv: ssh(input.survivorSsh, backUp("snapshot")),
    },
    {
      title: `Pull it home (${gib(stored).toFixed(1)} GiB of chunks at most, over ${mbps} Mbit/s: what the nightly pull of ${namespaceOf(survivor.name)} brought already does not cross again)`,
      minutes: linkMinutes(stored),
      destructive: false,
      argv: ssh(input.lostSsh, pullHome),
      notes: [`it runs on ${lost.name} as the unit ${PULL_HOME}: if this session drops, it goes on (journalctl -fu ${PULL_HOME})`],
    },
    {
      title: `On ${survivor.name}: stop them and take the last copy (the services are down from here until their checks at home)`,
      minutes: minutesAt(changed, input.restoreMiBps) + 1,
      destructive: true,
      argv: ssh(input.survivorSsh, `${failedOver.map((c) => `pct shutdown ${c.vmid} --timeout 120`).join(" && ")} && ${backUp("stop")}`),
    },
    {
      title: `Pull the last copy home (what changed since the first, about ${gib(changed).toFixed(1)} GiB)`,
      minutes: linkMinutes(changed),
      destructive: false,
      argv: ssh(input.lostSsh, pullHome),
      notes: [`the share that changed is assumed (${ASSUMPTIONS.failbackChangedShare * 100} %, src/runbook/assumptions.ts)`],
    },
    ...restoreOrder(lost, failedOver).flatMap((c) => restoreHome(input, c, heldStorageOf(survivor.name), ` from ${survivor.name}'s last copy, on its own address`, ownPlace(c))),
    {
      title: `Outside the hosts: send the traffic home to ${lost.name}`,
      minutes: ASSUMPTIONS.outsideChangesMinutes,
      destructive: false,
      notes: failbackOutside(lost, survivor, failedOver),
      clock: { minutes: Math.ceil(ttl / 60), what: `the DNS TTL (${ttl} s): clients keep ${survivor.name}'s address until it runs out` },
    },
    {
      title: `On ${survivor.name}: the failover copies gone, and its own guests, PBS, drill and pull of ${lost.name} as before`,
      minutes: 2,
      destructive: true,
      argv: ssh(input.survivorSsh, [...destroyCopies, `pvesh delete /cluster/backup/${failoverJobOf(lost.name)}`, ...survivorAsBefore(input)].join(" && ")),
    },
    ...(failedOver.length === 0 ? [] : forgetHosted(input, failedOver)),
    ...underProgram(input),
  ];
}

/** The survivor's stack no longer runs the guests home: their names out of its config, their firewalls out of its state. */
function forgetHosted(input: RunbookInput, failedOver: readonly ContainerSpec[]): Step[] {
  const { lost, survivor } = input;
  return [
    {
      title: `Take ${failedOver.map((c) => c.name).join(", ")} out of the guests ${survivor.name}'s stack runs for ${lost.name}`,
      minutes: 1,
      destructive: false,
      argv: ["pulumi", "config", "rm", "--stack", survivor.name, "hosting"],
    },
    {
      // Their firewall resources are retained on delete: the state forgets them (the destroy above took the guests' firewalls).
      title: `${survivor.name}'s state forgets their firewalls`,
      minutes: 1,
      destructive: false,
      argv: pulumiUp(survivor.name, failedOver.flatMap((c) => hostedFirewallTargets(input.survivorPlan, lost.name, c.name))),
      notes: [tokenNote(survivor.name)],
    },
  ];
}
