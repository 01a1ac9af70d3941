/**
 * What the status probe (scripts/host/status-probe.sh) reports about one host,
 * validated, and the timestamps inside vzdump archive names.
 */
import { z } from "zod";
import { pullStatusSchema } from "../runbook/status-file";

const archives = z.array(z.object({ name: z.string(), bytes: z.number() })).nullable();
const df = z.object({ availBytes: z.number(), sizeBytes: z.number() }).nullable();

export const probeSchema = z.object({
  host: z.string(),
  now: z.number(),
  dump: z.object({ archives, df }),
  copies: z.record(z.string(), z.object({ archives, df })),
  pullStatus: z.record(z.string(), pullStatusSchema.nullable()),
});

export type Probe = z.output<typeof probeSchema>;
export type ArchiveEntry = NonNullable<Probe["dump"]["archives"]>[number];

const NAME = /^vzdump-(lxc|qemu)-(\d+)-(\d{4})_(\d{2})_(\d{2})-(\d{2})_(\d{2})_(\d{2})\./;

/** VMID and time (epoch seconds) of an archive name; vzdump names use the host's local time. */
export function archiveFacts(name: string): { vmid: number; epoch: number } | undefined {
  const m = NAME.exec(name);
  if (m === null) return undefined;
  const [, , vmid, y, mo, d, h, mi, s] = m.map(String) as [string, string, string, string, string, string, string, string, string];
  return { vmid: Number(vmid), epoch: new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)).getTime() / 1000 };
}

/** The newest archive of each VMID in a listing. */
export function newestByVmid(entries: readonly ArchiveEntry[] | null): Map<number, ArchiveEntry & { epoch: number }> {
  const out = new Map<number, ArchiveEntry & { epoch: number }>();
  for (const e of entries ?? []) {
    const facts = archiveFacts(e.name);
    if (facts === undefined) continue;
    const current = out.get(facts.vmid);
    if (current === undefined || facts.epoch > current.epoch) out.set(facts.vmid, { ...e, epoch: facts.epoch });
  }
  return out;
}
