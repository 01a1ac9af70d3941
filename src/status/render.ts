/**
 * The daily glance as text: one block per site, a line per guest (newest
 * snapshot at home, newest copy at each holder), per PBS job and for the
 * datastore, then the problems. Upper case marks what needs a person.
 */
import type { DrillSeen, Glance, JobGlance, JobStatus, MailQueueSeen, MailSettingSeen, SnapshotSeen, WatchSeen } from "./assess";

function snap(g: SnapshotSeen): string {
  if (g === "none") return "NONE";
  if (g === "unknown") return "unknown";
  const verified = g.verified === "ok" ? ", verified" : g.verified === "failed" ? ", FAILED verification" : "";
  return `${g.time} (${g.ageHours} h${verified})`;
}

function drill(d: DrillSeen): string {
  if (typeof d === "string") return d === "never" ? "NEVER" : d;
  const speed = d.restoreSeconds > 0 ? `, restore ${Math.round(d.restoreSeconds / 60)} min at ${Math.round(d.bytes / 1024 ** 2 / d.restoreSeconds)} MiB/s` : "";
  return `${d.ok ? "ok" : "FAILED"} ${d.at} (${d.ageDays} d${speed})`;
}

function watch(w: WatchSeen): string {
  if (typeof w === "string") return w === "never" ? "NEVER RAN" : w;
  return `${w.ok ? "all well" : `ALARMED (${w.alarms.length})`} ${w.at} (${w.ageHours} h ago)`;
}

function mailQueue(q: MailQueueSeen): string {
  if (typeof q === "string") return q;
  if (q.messages === 0) return "empty";
  return `${q.messages} message(s), the oldest ${q.oldestHours} h old${q.reasons.length === 0 ? "" : `: ${q.reasons.join("; ")}`}`;
}

function mailSetting(m: MailSettingSeen): string {
  if (m.value === null) return `${m.what} UNREAD`;
  return m.ok ? `${m.what} ok` : `${m.what} WRONG ("${m.value}")`;
}

const JOB_WORDS: Record<JobStatus, (j: JobGlance) => string> = {
  ok: () => "ok",
  warnings: (j) => `${j.state}`,
  failed: (j) => `FAILED: ${j.state}`,
  running: () => "running",
  "never ran": () => "NEVER RAN",
  "not configured": () => "NOT CONFIGURED",
  unknown: () => "unknown",
};

/** The glance as the operator reads it: a block per site (guests, jobs, datastore), then every problem. */
export function renderGlance(glance: Glance): string[] {
  const lines: string[] = [];
  for (const s of glance.sites) {
    lines.push(`${s.site}${s.reachable ? "" : " (UNREACHABLE)"}`);
    for (const g of s.guests) {
      const copies = Object.entries(g.copies).map(([holder, c]) => `copy at ${holder}: ${snap(c)}, drill ${drill(g.drills[holder] ?? "unknown")}`);
      lines.push(`  ${`${g.name} (${g.vmid})`.padEnd(18)} home: ${snap(g.home)}; ${copies.join("; ")}`);
    }
    for (const j of s.jobs) {
      const ended = j.endedAt === null ? "" : `, ${j.endedAt} (${j.ageHours} h ago)`;
      const next = j.nextRun === null ? "" : `, next ${j.nextRun}`;
      lines.push(`  ${`${j.kind} ${j.id}`.padEnd(24)} ${JOB_WORDS[j.status](j)}${ended}${next}`);
    }
    if (s.watch !== "not kept") lines.push(`  ${"dead-man watch".padEnd(24)} ${watch(s.watch)}`);
    if (s.reachable) lines.push(`  ${"mail queue (alarms)".padEnd(24)} ${mailQueue(s.mailQueue)}`);
    if (s.reachable && s.mailSettings !== "unknown") lines.push(`  ${"mail settings".padEnd(24)} ${s.mailSettings.map(mailSetting).join("; ")}`);
    const d = s.datastore;
    if (d !== null) {
      const planner = d.predictedGiB === null ? "" : ` (planner: ${d.predictedGiB} GiB once the retention has filled)`;
      lines.push(`  datastore ${d.name}: ${d.usedGiB} of ${d.totalGiB} GiB used, ${d.usedPercent} %${planner}`);
    } else if (s.reachable) {
      lines.push("  datastore: unknown");
    }
  }
  lines.push(glance.problems.length === 0 ? "All well." : `Needs attention (${glance.problems.length}):`);
  for (const p of glance.problems) lines.push(`  - ${p}`);
  return lines;
}
