/**
 * Whether the surviving host can run the lost site's containers: memory left
 * after its own containers, a datastore with room for the restored volumes, and
 * free addresses on its LAN. Pure: the runbook checks it before running anything.
 */
import { type Problem, problem } from "../problems";
import { volumesGiB } from "../rules/disk-rules";
import { inSubnet, ipv4ToNumber, numberToIpv4, parseCidr } from "../rules/net";
import { containerMemoryBudgetMiB } from "../rules/site-rules";
import type { ContainerSpec, SiteSpec } from "../site/schema";

/** Where each failed-over container lands on the survivor. */
export interface FailoverPlacement {
  /** Survivor datastore that receives every restored volume (`pct restore --storage`). */
  readonly datastore: string;
  /** VMID → IPv4 address with prefix on the survivor's LAN. */
  readonly addresses: Map<number, string>;
  readonly memoryNeededMiB: number;
  readonly memoryFreeMiB: number;
  readonly diskNeededGiB: number;
  readonly diskFreeGiB: number;
}

/** The memory a container gets while it runs on the other site. */
export const failoverMemoryOf = (c: ContainerSpec) => c.failoverMemoryMiB ?? c.memoryMiB;

/** The memory a survivor's own container keeps while the failed-over guests run beside it. */
export const degradedMemoryOf = (c: ContainerSpec) => c.degradedMemoryMiB ?? c.memoryMiB;

/** PBS's ceiling on the survivor during a failover: it pulls nothing from the lost site. */
export const degradedPbsMemoryGiB = (site: SiteSpec) => site.backupServer.degradedMemoryGiB ?? site.backupServer.memoryGiB;

/**
 * The memory the survivor has for containers during a failover, and what its
 * own keep: its own guests and PBS at their degraded budgets, the reserve whole.
 */
export function degradedMemory(survivor: SiteSpec): { budgetMiB: number; usedMiB: number; freedMiB: number } {
  const budgetMiB = (survivor.host.memoryGiB - survivor.host.reserveGiB - degradedPbsMemoryGiB(survivor)) * 1024;
  const usedMiB = survivor.containers.reduce((s, c) => s + degradedMemoryOf(c), 0);
  const freedMiB = budgetMiB - containerMemoryBudgetMiB(survivor) + survivor.containers.reduce((s, c) => s + c.memoryMiB - degradedMemoryOf(c), 0);
  return { budgetMiB, usedMiB, freedMiB };
}

/**
 * Places `services` of `lost` on `survivor`, or lists why it cannot: every
 * problem at once, with the numbers.
 */
export function placeFailover(lost: SiteSpec, survivor: SiteSpec, services: readonly ContainerSpec[]): { ok: true; placement: FailoverPlacement } | { ok: false; problems: Problem[] } {
  const problems: Problem[] = [];
  const { budgetMiB, usedMiB, freedMiB } = degradedMemory(survivor);
  const memoryNeededMiB = services.reduce((s, c) => s + failoverMemoryOf(c), 0);
  const memoryFreeMiB = budgetMiB - usedMiB;
  if (memoryNeededMiB > memoryFreeMiB) {
    problems.push(
      problem(
        `failover of ${services.map((c) => c.name).join(", ")} onto ${survivor.name}: memory`,
        `${memoryNeededMiB} MiB needed`,
        `at most ${memoryFreeMiB} MiB free (${budgetMiB} MiB for containers beside Proxmox and PBS at ${degradedPbsMemoryGiB(survivor)} GiB, ` +
          `${usedMiB} MiB kept by ${survivor.name}'s own at their degraded budgets, ${freedMiB} MiB freed by those budgets): ` +
          `${memoryNeededMiB - memoryFreeMiB} MiB more, from lower degradedMemoryMiB or failoverMemoryMiB, a lower backupServer.degradedMemoryGiB, or ${Math.ceil((memoryNeededMiB - memoryFreeMiB) / 1024)} GiB more RAM in ${survivor.name}'s host`,
      ),
    );
  }

  const diskNeededGiB = services.reduce((s, c) => s + volumesGiB(c), 0);
  const free = survivor.datastores
    .filter((d) => d.content.includes("rootdir"))
    .map((d) => {
      const used = survivor.containers.reduce(
        (s, c) => s + (c.rootDisk.datastore === d.id ? c.rootDisk.sizeGiB : 0) + c.mountPoints.filter((m) => m.datastore === d.id).reduce((t, m) => t + m.sizeGiB, 0),
        0,
      );
      return { id: d.id, freeGiB: d.sizeGiB - used };
    })
    .sort((a, b) => b.freeGiB - a.freeGiB);
  const best = free[0];
  if (best === undefined || best.freeGiB < diskNeededGiB) {
    problems.push(
      problem(
        `failover of ${services.map((c) => c.name).join(", ")} onto ${survivor.name}: disk`,
        `${diskNeededGiB} GiB of volumes`,
        `one datastore with that much free (largest: ${best ? `${best.id} with ${best.freeGiB} GiB: ${diskNeededGiB - best.freeGiB} GiB more there would do` : "none"})`,
      ),
    );
  }

  const addresses = new Map<number, string>();
  const from = survivor.network.ipv4.failoverFrom;
  const subnet = parseCidr(survivor.network.ipv4.subnet);
  if (from === undefined || subnet === undefined) {
    problems.push(problem(`sites.${survivor.name}.network.ipv4.failoverFrom`, undefined, "the first free address for failed-over containers"));
  } else {
    const taken = new Set([survivor.network.ipv4.gateway, ...survivor.containers.map((c) => c.network.ipv4.split("/")[0])]);
    // Every guest of the lost site has its own address, whichever of them fail over: a guest keeps
    // it while others join it (the survivor's stack names them one at a time, src/firewall/hosted.ts).
    const everyGuest = [...lost.containers].sort((a, b) => a.startup.order - b.startup.order);
    let next = ipv4ToNumber(from);
    for (const c of everyGuest) {
      while (taken.has(numberToIpv4(next))) next += 1;
      const address = numberToIpv4(next);
      if (!inSubnet(address, subnet)) {
        problems.push(problem(`sites.${survivor.name}.network.ipv4.failoverFrom`, from, `room in ${survivor.network.ipv4.subnet} for ${everyGuest.length} address(es), one per guest of ${lost.name}`));
        break;
      }
      if (services.some((x) => x.vmid === c.vmid)) addresses.set(c.vmid, `${address}/${subnet.prefix}`);
      next += 1;
    }
  }
  if (problems.length > 0 || best === undefined) return { ok: false, problems };
  return { ok: true, placement: { datastore: best.id, addresses, memoryNeededMiB, memoryFreeMiB, diskNeededGiB, diskFreeGiB: best.freeGiB } };
}

/**
 * The services that do fit, taken in start order, each kept if it fits with
 * those already kept: what a failover can bring back when the whole site cannot.
 */
export function servicesThatFit(lost: SiteSpec, survivor: SiteSpec, services: readonly ContainerSpec[]): ContainerSpec[] {
  const kept: ContainerSpec[] = [];
  for (const c of services) if (placeFailover(lost, survivor, [...kept, c]).ok) kept.push(c);
  return kept;
}
