/**
 * A new host in place of the lost one, its copies carried on a disk: filled
 * at the survivor by a local pull, driven over, emptied into the new PBS.
 */
import { namespaceOf } from "../../backup/names";
import { ASSUMPTIONS } from "../assumptions";
import type { RunbookInput, Step } from "../step";
import { rebuildHead, rebuildTail } from "./rebuild";
import { CARRY, PBM, gib, handOverStep, localPull, minutesAt, ssh, storedBytes } from "./shared";

export function diskSteps(input: RunbookInput): Step[] {
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
