/**
 * The lost site's guests restored on the survivor from its own PBS, with
 * addresses on its LAN, while the lost site is rebuilt.
 */
import { heldStorageOf, namespaceOf, syncJobOf } from "../../backup/names";
import { syncNightOf } from "../../backup/night";
import { ASSUMPTIONS } from "../assumptions";
import { failoverMemoryOf } from "../capacity";
import { failoverOutside } from "../outside";
import type { RunbookInput, Step } from "../step";
import { PBM, minutesAt, ssh, volumeOf } from "./shared";

export function failoverSteps(input: RunbookInput): Step[] {
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
