/**
 * The status probe's raw answer (the PBS API's own JSON, by path) turned into a
 * {@link PbsReport}: PBS's field names (`backup-type`, `last-run-state`...) are
 * read here and nowhere else. Pure: the CLI fetches, this decides.
 */
import { z } from "zod";
import type { Problem } from "../problems";
import { parseWithProblems } from "../rules/schema-problems";
import { type PbsJob, type PbsReport, type PbsSnapshot, drillResultSchema, watchRunSchema } from "./pbs-report";

/** What `scripts/host/status-probe.sh` prints. */
export const probeAnswerSchema = z.object({
  now: z.number(),
  responses: z.record(z.string(), z.unknown()),
  /** The drills' results file (restore-drill.sh), null before the first drill; absent from an older probe. */
  drills: z.unknown().optional(),
  /** The dead-man watch's last run (watch-copies.pl), null before the first; absent from an older probe. */
  watch: z.unknown().optional(),
  /** postqueue -j's objects, null on a host without Postfix; absent from an older probe. */
  mailQueue: z.unknown().optional(),
  /** The Postfix parameters asked for (`--postconf`), each its value or null; absent from an older probe. */
  postconf: z.record(z.string(), z.string().nullable()).optional(),
  errors: z.array(z.string()),
});

/** One queued message as postqueue -j prints it (postqueue(1)): what the glance reads of it. */
const queuedMessage = z.object({
  arrival_time: z.number(),
  recipients: z.array(z.object({ delay_reason: z.string().optional() })),
});

export type ProbeAnswer = z.output<typeof probeAnswerSchema>;

const apiSnapshot = z.object({
  "backup-type": z.enum(["ct", "vm", "host"]),
  "backup-id": z.string(),
  "backup-time": z.number().int(),
  size: z.number().optional(),
  verification: z.object({ state: z.string() }).nullable().optional(),
  protected: z.boolean().optional(),
});
/** A sync, prune or verify job's config and state; a GC entry has `store` and no `id`. */
const apiJob = z.object({
  id: z.string().optional(),
  store: z.string().optional(),
  "last-run-state": z.string().optional(),
  "last-run-upid": z.string().optional(),
  "last-run-endtime": z.number().optional(),
  "next-run": z.number().optional(),
});
const apiStatus = z.object({ total: z.number(), used: z.number(), avail: z.number() });

/** The `data` of one response if it has the expected shape, else undefined (and a reason). */
function dataOf<T>(answer: ProbeAnswer, path: string, schema: z.ZodType<T>, errors: string[]): T | undefined {
  const body = answer.responses[path];
  if (body === undefined || body === null) return undefined; // the probe said why in its errors
  const parsed = z.object({ data: schema }).safeParse(body);
  if (parsed.success) return parsed.data.data;
  errors.push(`GET ${path}: an answer PBS does not give (${parsed.error.issues[0]?.message ?? "unexpected shape"})`);
  return undefined;
}

const job = (kind: PbsJob["kind"], j: z.output<typeof apiJob>, id: string): PbsJob => ({
  kind,
  id,
  lastRunState: j["last-run-state"] ?? null,
  lastRunUpid: j["last-run-upid"] ?? null,
  lastRunEndtime: j["last-run-endtime"] ?? null,
  nextRun: j["next-run"] ?? null,
});

/** The report of one host, from its probe's answer, for `datastore` and the namespaces asked for. */
export function reportFromProbe(
  raw: unknown,
  datastore: string,
  namespaces: readonly string[],
  source: string,
): { ok: true; report: PbsReport } | { ok: false; problems: Problem[] } {
  const parsed = parseWithProblems(probeAnswerSchema, raw, source);
  if (!parsed.ok) return parsed;
  const answer = parsed.value;
  const errors = [...answer.errors];
  const status = dataOf(answer, `/admin/datastore/${datastore}/status`, apiStatus, errors);
  const snapshots: Record<string, PbsSnapshot[]> = {};
  for (const ns of namespaces) {
    const list = dataOf(answer, `/admin/datastore/${datastore}/snapshots?ns=${ns}`, z.array(apiSnapshot), errors);
    if (list === undefined) continue;
    snapshots[ns] = list.map((s) => ({
      type: s["backup-type"],
      id: s["backup-id"],
      time: s["backup-time"],
      sizeBytes: s.size ?? null,
      verified: s.verification?.state === "ok" ? "ok" : s.verification?.state === undefined ? null : "failed",
      protected: s.protected ?? false,
    }));
  }
  const jobs: PbsJob[] = [];
  const jobKindsRead: PbsJob["kind"][] = [];
  for (const kind of ["sync", "prune", "verify"] as const) {
    const list = dataOf(answer, `/admin/${kind}`, z.array(apiJob), errors);
    if (list === undefined) continue;
    jobKindsRead.push(kind);
    for (const j of list) if (j.store === undefined || j.store === datastore) jobs.push(job(kind, j, j.id ?? "?"));
  }
  // PBS lists GC like the jobs ("max one per datastore"), an array even for one store.
  const gc = dataOf(answer, `/admin/gc/${datastore}`, z.array(apiJob), errors);
  if (gc !== undefined) {
    jobKindsRead.push("gc");
    for (const j of gc) if (j.store === datastore) jobs.push(job("gc", j, datastore));
  }
  let drills: PbsReport["drills"];
  if (answer.drills === null) drills = null;
  else if (answer.drills !== undefined) {
    const parsedDrills = z.object({ drills: z.array(drillResultSchema) }).safeParse(answer.drills);
    if (parsedDrills.success) drills = parsedDrills.data.drills;
    else errors.push(`the drills' results are not what restore-drill.sh writes (${parsedDrills.error.issues[0]?.message ?? "unexpected shape"})`);
  }
  let watch: PbsReport["watch"];
  if (answer.watch === null) watch = null;
  else if (answer.watch !== undefined) {
    const parsedWatch = watchRunSchema.safeParse(answer.watch);
    if (parsedWatch.success) watch = parsedWatch.data;
    else errors.push(`the dead-man watch's last run is not what watch-copies.pl writes (${parsedWatch.error.issues[0]?.message ?? "unexpected shape"})`);
  }
  let mailQueue: PbsReport["mailQueue"];
  if (answer.mailQueue === null) mailQueue = null;
  else if (answer.mailQueue !== undefined) {
    const parsedQueue = z.array(queuedMessage).safeParse(answer.mailQueue);
    if (parsedQueue.success) {
      const messages = parsedQueue.data;
      mailQueue = {
        messages: messages.length,
        oldest: messages.length === 0 ? null : Math.min(...messages.map((m) => m.arrival_time)),
        reasons: [...new Set(messages.flatMap((m) => m.recipients.flatMap((r) => (r.delay_reason === undefined ? [] : [r.delay_reason]))))],
      };
    } else errors.push(`the mail queue is not what postqueue -j prints (${parsedQueue.error.issues[0]?.message ?? "unexpected shape"})`);
  }
  return {
    ok: true,
    report: {
      version: 2,
      now: answer.now,
      datastore: status === undefined ? null : { name: datastore, totalBytes: status.total, usedBytes: status.used, availBytes: status.avail },
      namespaces: snapshots,
      jobs,
      jobKindsRead,
      errors,
      ...(drills === undefined ? {} : { drills }),
      ...(watch === undefined ? {} : { watch }),
      ...(mailQueue === undefined ? {} : { mailQueue }),
      ...(answer.postconf === undefined ? {} : { postconf: answer.postconf }),
    },
  };
}

/** A report from text (the probe's stdout, or a file saved from it). */
export function reportFromText(text: string, datastore: string, namespaces: readonly string[], source: string): ReturnType<typeof reportFromProbe> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // Built by hand: problem() would quote the found text, and the parser's message already quotes.
    return { ok: false, problems: [{ path: source, found: `text that is not JSON (${(error as Error).message})`, expected: "the JSON the status probe prints" }] };
  }
  return reportFromProbe(json, datastore, namespaces, source);
}
