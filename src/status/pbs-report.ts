/**
 * What one host's Proxmox Backup Server says about itself, as the status probe
 * (scripts/host/status-probe.sh) reports it: the datastore's usage, every
 * snapshot of every namespace, and the last run of each PBS job. Read-only
 * facts from the PBS API (src/status/pbs-api.ts makes it from the probe's
 * answer); `npm run status` and the runbook both read this one shape, so what the
 * runbook restores is what the glance shows.
 */
import { z } from "zod";

const snapshotSchema = z.object({
  /** `ct` for containers (`vm`, `host` exist in PBS; this project backs up containers). */
  type: z.enum(["ct", "vm", "host"]),
  /** The backup id: the VMID for guests. */
  id: z.string(),
  /** Snapshot time, epoch seconds (PBS `backup-time`). */
  time: z.number().int(),
  /** Bytes of the snapshot's files (PBS `size`), null when PBS gives none. */
  sizeBytes: z.number().nullable(),
  /** Last verification: `ok`, `failed`, or null when never verified. */
  verified: z.enum(["ok", "failed"]).nullable(),
  protected: z.boolean(),
});

/** The PBS jobs the glance reads: pulls, prunes, verify, and GC (one per datastore). */
export const JOB_KINDS = ["sync", "prune", "verify", "gc"] as const;

const jobSchema = z.object({
  kind: z.enum(JOB_KINDS),
  /** Job id (`pull-sthilaire`, `prune-rouans`...), or the datastore name for GC. */
  id: z.string(),
  /** PBS `last-run-state`: `OK`, `WARNINGS: N`, or the error text; null when no run has finished. */
  lastRunState: z.string().nullable(),
  /** PBS `last-run-upid`: the task of the last run; set with no state while a run is under way. */
  lastRunUpid: z.string().nullable(),
  /** Epoch seconds. */
  lastRunEndtime: z.number().nullable(),
  nextRun: z.number().nullable(),
});

/** One guest's last restore drill on this host, as scripts/host/restore-drill.sh records it. */
export const drillResultSchema = z.object({
  vmid: z.number().int(),
  /** The PVE storage the copy was read from (`pbs-<source>`). */
  storage: z.string(),
  snapshot: z.string(),
  ok: z.boolean(),
  /** Why it failed; empty when it passed. */
  reason: z.string(),
  /** The restored copy's size (PBS `size`, data bytes). */
  bytes: z.number().int().min(0),
  restoreSeconds: z.number().int().min(0),
  totalSeconds: z.number().int().min(0),
  /** When it started, epoch seconds. */
  at: z.number().int(),
});

/** The dead-man watch's last run, as scripts/host/watch-copies.pl records it. */
export const watchRunSchema = z.object({
  /** When it judged, epoch seconds (the host's clock). */
  at: z.number().int(),
  ok: z.boolean(),
  /** What it alarmed on, one line each; empty when all was well. */
  alarms: z.array(z.string()),
});

/** The host's own mail queue, where its alarms wait when they cannot leave (postqueue -j). */
export const mailQueueSchema = z.object({
  messages: z.number().int().min(0),
  /** Arrival of the oldest queued message, epoch seconds; null when the queue is empty. */
  oldest: z.number().nullable(),
  /** Why they wait (Postfix's delay_reason), each once. */
  reasons: z.array(z.string()),
});

export const pbsReportSchema = z.object({
  version: z.literal(2),
  /** The host's clock when it answered, epoch seconds (ages are computed against it). */
  now: z.number(),
  datastore: z
    .object({ name: z.string(), totalBytes: z.number(), usedBytes: z.number(), availBytes: z.number() })
    .nullable(),
  /**
   * Snapshots by namespace (a site's name: its own at home, a source's at the
   * holder). A namespace PBS did not list is absent, never an empty list.
   */
  namespaces: z.record(z.string(), z.array(snapshotSchema)),
  jobs: z.array(jobSchema),
  /**
   * The job kinds whose list PBS gave: a job missing from `jobs` is known to be
   * missing only if its kind is here (else PBS did not answer, and `errors` says why).
   * Absent: every kind was read.
   */
  jobKindsRead: z.array(z.enum(JOB_KINDS)).optional(),
  /** What the probe could not read, each as one line (an API error, PBS not answering). */
  errors: z.array(z.string()),
  /** The last run of the restore drills on this host; null before the first, absent when not read. */
  drills: z.array(drillResultSchema).nullable().optional(),
  /** The dead-man watch's last run on this host; null before the first, absent when not read. */
  watch: watchRunSchema.nullable().optional(),
  /** The host's mail queue; null when it has no Postfix, absent when not read. */
  mailQueue: mailQueueSchema.nullable().optional(),
  /** Postfix parameters read on the host and in guests (`host:relayhost`, `230:mynetworks`); null when unreadable. */
  postconf: z.record(z.string(), z.string().nullable()).optional(),
});

export type PbsReport = z.output<typeof pbsReportSchema>;
export type PbsSnapshot = PbsReport["namespaces"][string][number];
export type PbsJob = PbsReport["jobs"][number];
export type DrillResult = z.output<typeof drillResultSchema>;
export type WatchRun = z.output<typeof watchRunSchema>;
export type MailQueue = z.output<typeof mailQueueSchema>;

/** The newest snapshot of each guest (VMID) of one namespace. */
export function newestByGuest(snapshots: readonly PbsSnapshot[] | undefined): Map<number, PbsSnapshot> {
  const out = new Map<number, PbsSnapshot>();
  for (const s of snapshots ?? []) {
    const vmid = Number(s.id);
    if (!Number.isInteger(vmid)) continue;
    const current = out.get(vmid);
    if (current === undefined || s.time > current.time) out.set(vmid, s);
  }
  return out;
}
