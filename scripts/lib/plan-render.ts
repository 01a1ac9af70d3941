/**
 * The readable form of the offline plan: one tree per stack, the inputs that
 * matter for each kind of resource, and a summary line.
 */
import { smarthostSetting } from "../../src/firewall/mail-routing";
import { describeAlarmRoute } from "../../src/host/alarm-path";
import type { PlannedResource, PlannedStack } from "./offline-plan";

import { PVE_TOKEN_ROLES, tokenId } from "../../src/access/pve-roles";
import { type FirewallRule, describeRule } from "../../src/firewall/compile";
import type { StackOutputs } from "../../src/stack";
import { minuteOfTime, minutesBetween } from "../../src/backup/night";

const CONTAINER = "proxmoxve:index/containerLegacy:ContainerLegacy";
const BACKUP_JOB = "proxmoxve:backup/job:Job";
const COMMAND = "command:remote:Command";
const FIREWALL_RULES = "proxmoxve:firewall/rulesLegacy:RulesLegacy";

/** Inputs worth a glance, per resource type; other types show their scalar inputs. */
const KEY_INPUTS: Record<string, string[]> = {
  "pulumi:providers:proxmoxve": ["endpoint", "insecure"],
  "proxmoxve:download/file:File": ["url", "checksumAlgorithm", "checksum", "verify", "datastoreId"],
  [CONTAINER]: ["vmId", "initialization.hostname", "cpu.cores", "memory.dedicated", "disk", "mountPoints", "initialization.ipConfigs", "unprivileged", "features"],
  [BACKUP_JOB]: ["schedule", "storage", "pbsChangeDetectionMode", "vmids", "mode", "mailtos"],
  "proxmoxve:storage/pbs:Pbs": ["resourceId", "server", "datastore", "namespace", "username", "password", "fingerprint"],
  "random:index/randomPassword:RandomPassword": ["length"],
  "proxmoxve:firewall/optionsLegacy:OptionsLegacy": ["enabled", "inputPolicy", "outputPolicy", "ipfilter", "macfilter"],
  "proxmoxve:firewall/ipsetLegacy:IpsetLegacy": ["name", "cidrs"],
  "proxmoxve:cluster/firewallLegacy:FirewallLegacy": ["enabled", "inputPolicy", "outputPolicy"],
  "pulumi:pulumi:StackReference": ["name"],
};

function at(inputs: Record<string, unknown>, path: string): unknown {
  return path.split(".").reduce<unknown>((node, k) => (node !== null && typeof node === "object" ? (node as Record<string, unknown>)[k] : undefined), inputs);
}

function clip(text: string, width = 110): string {
  const oneLine = text.replace(/\s+/g, " ");
  return oneLine.length > width ? `${oneLine.slice(0, width - 3)}...` : oneLine;
}

/**
 * What a host command does, in the lines that matter: every PBS setting it makes
 * (whole, never clipped: the schedules, roles and rates are the point), or its
 * first line. A secret command shows only that it is one.
 */
function describeCommand(r: PlannedResource): string[] {
  const create = r.inputs["create"];
  if (typeof create !== "string") return [`create: ${String(create)}`];
  const settings = create
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^proxmox-backup-manager (datastore (create|update)|acl update|(sync|prune|verify)-job create)|^printf 'deb |MemoryHigh|^Address|^wg |^OnCalendar=|^ExecStart=|notification (endpoint sendmail|matcher) create|^pvesh create \/cluster\/notifications/.test(l) && !l.endsWith("|| true"));
  if (settings.length > 0) return settings.map((l) => `runs: ${l}`);
  return [clip(`create: ${create.split("\n").filter((l) => l !== "set -eu")[0] ?? ""}`)];
}

function describeInputs(r: PlannedResource): string[] {
  if (r.type === COMMAND) return describeCommand(r);
  // Every rule whole, one per line: what is open is the point.
  if (r.type === FIREWALL_RULES) return ((r.inputs["rules"] as FirewallRule[] | undefined) ?? []).map(describeRule);
  const keys = KEY_INPUTS[r.type] ?? Object.keys(r.inputs).filter((k) => typeof r.inputs[k] !== "object");
  return keys
    .map((k) => [k, at(r.inputs, k)] as const)
    .filter(([, v]) => v !== undefined)
    // A checksum is compared character by character: shown whole.
    .map(([k, v]) => (k === "checksum" ? `${k}: ${String(v)}` : clip(`${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)));
}

function flags(r: PlannedResource): string {
  const out: string[] = [];
  if (r.protect) out.push("protect");
  if (r.retainOnDelete) out.push("retain on delete");
  if (r.deleteBeforeReplace && !r.protect) out.push("replaces delete-before-create");
  if (r.importId !== "") out.push(`adopt ${r.importId}`);
  if (r.ignoreChanges.length > 0) out.push(`ignoreChanges ${r.ignoreChanges.join(", ")}`);
  return out.length > 0 ? `  [${out.join("; ")}]` : "";
}

/** The tree of one stack. */
export function renderTree(stack: PlannedStack): string[] {
  const children = new Map<string, PlannedResource[]>();
  for (const r of stack.resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const lines: string[] = [];
  const walk = (r: PlannedResource, indent: string, last: boolean, root: boolean) => {
    const branch = root ? "" : last ? "└─ " : "├─ ";
    lines.push(`${indent}${branch}${r.type}  ${r.name}${flags(r)}`);
    const inner = root ? indent : `${indent}${last ? "   " : "│  "}`;
    const kids = children.get(r.urn) ?? [];
    for (const line of describeInputs(r)) lines.push(`${inner}${kids.length > 0 ? "│" : " "}    ${line}`);
    kids.forEach((k, i) => walk(k, inner, i === kids.length - 1, false));
  };
  for (const root of children.get("") ?? []) walk(root, "", true, true);
  return lines;
}

/** Minutes as hours to a tenth. */
const hours = (minutes: number) => Math.round((minutes / 60) * 10) / 10;

/** `maintenance of rouans's PBS, after the night's work (01:00-05:54): prune 08:00 (2.1 h after), GC 08:30 (2.6 h after), verify sun 10:00-13:41` */
function renderMaintenance(m: StackOutputs["backupPlan"]["maintenance"]): string {
  const jobs = m.jobs.map((j) =>
    j.start === null
      ? `${j.job} ${j.schedule}: NOT AT ONE TIME OF DAY`
      : `${j.job} ${j.schedule}${j.end === j.start ? "" : ` to ${j.end} at the most`} (${hours(j.afterNightMinutes ?? 0)} h after)${j.inNight ? ", INSIDE THE NIGHT'S WORK" : ""}`,
  );
  return `  PBS's own jobs, after the night's work on it (${m.night.start}-${m.night.end}): ${jobs.join(", ")}`;
}

/** A runway's months as a volunteer reads them. */
const months = (m: number | null) => (m === null ? "beyond 10 years" : m === 0 ? "ALREADY" : `in ${m} month(s)`);

/**
 * The stack's capacity and night plan, from its outputs: its PBS datastore's
 * predicted footprint against the disk, its backup's night, and each pull it
 * takes part in with its schedule, budget and the first, full copy.
 */
export function renderBackupPlan(stack: PlannedStack): string[] {
  const plan = stack.outputs["backupPlan"] as StackOutputs["backupPlan"] | undefined;
  if (plan === undefined) return [];
  const d = plan.datastore;
  const b = plan.backup;
  const fs = d.filesystem;
  const lines = [
    // Older outputs compared with the partition's whole size.
    fs === undefined
      ? `PBS datastore "${d.datastore}" of ${d.site} on ${d.disk}: ${d.totalGiB} of ${d.sizeGiB} GiB predicted (${Math.round(d.usedShare * 100)} %)${d.fits ? "" : ", DOES NOT FIT"}`
      : `PBS datastore "${d.datastore}" of ${d.site} on ${d.disk}: ${d.totalGiB} of ${d.usableGiB} GiB usable predicted (${Math.round(d.usedShare * 100)} %)${d.fits ? "" : ", DOES NOT FIT"}; ` +
        `the ${d.sizeGiB} GiB partition's ${fs.type} takes ${fs.metadataGiB} GiB of metadata and keeps ${fs.reservedGiB} GiB (${fs.reservedPercent} %) for root`,
    ...d.namespaces.map(
      (n) =>
        `  namespace ${n.namespace} (${n.role === "own" ? "own backups" : "copies"}): ${n.fullGiB} GiB full + ` +
        (n.paddingGiB === undefined ? "" : `${n.paddingGiB} GiB padding + `) +
        // Older outputs split no night into rewritten and new data.
        (n.rewrittenGiB === undefined
          ? `${n.nightlyGiB} GiB a night x ${n.snapshotsKept} snapshots kept`
          : `${n.rewrittenGiB} GiB rewritten a night x ${n.snapshotsKept} snapshots kept + ${n.newDataGiB} GiB new a night x ${n.spanNights} nights held`) +
        ` = ${n.totalGiB} GiB`,
    ),
    `  GC grace ${d.gcGraceGiB} GiB, kept free ${d.marginGiB} GiB`,
    ...(d.runway === undefined ? [] : [`  runway at the containers' growth: 80 % ${months(d.runway.to80)}, full ${months(d.runway.to100)}`]),
    `night of ${b.site}: backup ${b.start}-${b.end} (${b.hours} h: walk ${b.walkHours} h${b.files === undefined ? "" : ` of ${(b.files / 1e6).toFixed(2)} M files`}, ${b.changedGiB} GiB changed; the first one reads everything, ${b.firstHours} h)` +
      // Older outputs have no quiet hours.
      (b.nightStartsAt === undefined ? "" : `; quiet hours ${b.nightStartsAt}-${b.nightEndsAt}, ${b.startsInNight ? `${hours(b.slackMinutes)} h to spare` : "STARTS OUTSIDE THEM"}`),
    ...plan.syncs.map(
      (s) =>
        `  pull ${s.source} -> ${s.holder}: ${s.schedule}, ${s.newChunksGiB} GiB of new chunks at ` +
        // Older outputs gave PBS the line's budget itself.
        (s.payloadMbps === undefined ? `${s.budgetMbps} Mbit/s` : `rate-in ${Math.round(s.payloadMbps * 100) / 100} Mbit/s (${s.budgetMbps} Mbit/s on the line)`) +
        `, ${s.start}-${s.end} (window to ${s.windowEnd})${s.fits ? "" : ", DOES NOT FIT"}; ` +
        (s.backupSlackMinutes === undefined ? "" : `the backup may overrun ${hours(s.backupSlackMinutes)} h and the pull ${hours(s.endSlackMinutes)} h; `) +
        `first full copy ${s.seed.gib} GiB: one run of ${s.seed.hours} h` +
        // Older outputs counted nights.
        (s.seed.longerThanNight === undefined
          ? ""
          : s.seed.longerThanNight
            ? ` (${s.seed.days} days on end, longer than the night: carry it on a disk, docs/backup.md "The first copy")`
            : s.seed.longerThanSlot
              ? ` (inside the night, started by hand at ${s.nightStartsAt}: its nightly slot is shorter)`
              : " (inside the night)"),
    ),
    // Older outputs placed no maintenance.
    ...(plan.maintenance === undefined ? [] : [renderMaintenance(plan.maintenance)]),
    // Older outputs have no bookings.
    ...(plan.links ?? []).map(
      (l) =>
        `line of ${l.site}, ${l.direction}: ${l.sharedBy.length === 0 ? "no pull" : `${l.peakMbps} of ${Math.round(l.capacityMbps * 100) / 100} Mbit/s booked at the peak (${Math.round(l.share * 100)} %, from ${l.peakAt}: ${l.sharedBy.map((p) => p.pull).join(", ")})`}${l.fits ? "" : ", OVERBOOKED"}`,
    ),
  ];
  return [...lines, ...renderDrillPlan(stack), ...renderWatchPlan(stack), ...renderMailRouting(stack)];
}

/**
 * How the mail leaves: the host's alarms (set in its Postfix by the program), then the
 * settings inside the guests that the firewall's flows imply, each sender's smarthost
 * and each relay's mynetworks.
 */
function renderMailRouting(stack: PlannedStack): string[] {
  const routing = stack.outputs["mailRouting"] as StackOutputs["mailRouting"] | undefined;
  if (routing === undefined) return [];
  const guests = routing.smarthosts.length === 0 && routing.relays.length === 0;
  return [
    `mail routing of ${stack.stack}:`,
    `  the host's alarms leave ${describeAlarmRoute(routing.alarms)}; set in the host's Postfix by the program`,
    ...(guests
      ? []
      : [
          "  inside the guests (compiled from the firewall's flows; not yet set or read by the program):",
          ...routing.smarthosts.map((s) => `    ${s.service} sends its mail through ${s.relay}: ${smarthostSetting(s.kind, s.relayhost)}`),
          ...routing.relays.map((r) => `    ${r.service} relays for ${r.senders.length === 0 ? "nobody" : r.senders.join(", ")}: Postfix mynetworks = ${r.mynetworks}`),
        ]),
  ];
}

/** The drills of a holder: when, where, and each guest's check; the guests it cannot take. */
function renderDrillPlan(stack: PlannedStack): string[] {
  const drill = stack.outputs["drillPlan"] as StackOutputs["drillPlan"] | undefined;
  if (drill === undefined) return [];
  // Older outputs placed no night's work.
  const night = (stack.outputs["backupPlan"] as StackOutputs["backupPlan"] | undefined)?.maintenance?.night;
  const after = night === undefined ? "" : `, ${hours(minutesBetween(minuteOfTime(night.end), minuteOfTime(drill.start)))} h after the night's work on this PBS`;
  return [
    `drills on ${drill.site}: ${drill.schedule}, done by ${drill.end} at the latest (${drill.maxMinutesPerGuest} min a guest${after}), scratch VMIDs ${drill.scratch.first}..${drill.scratch.last} on ${drill.datastore} (${drill.freeGiB} GiB free)`,
    ...drill.guests.map((g) =>
      g.fits
        ? `  ${g.source}'s ${g.name} (${g.vmid}) from ${g.storage}: pct exec <scratch> -- ${g.command.join(" ")}, expects "${g.expect}"`
        : `  ${g.source}'s ${g.name} (${g.vmid}): NOT DRILLED, ${g.needGiB} GiB > ${drill.freeGiB} GiB free on ${drill.datastore}`,
    ),
  ];
}

/** The dead-man watch of a holder: when, each limit, and how soon a silent source is seen. */
function renderWatchPlan(stack: PlannedStack): string[] {
  const watch = stack.outputs["watchPlan"] as StackOutputs["watchPlan"] | undefined;
  if (watch === undefined || watch.sources.length === 0) return [];
  return [
    `dead-man watch on ${watch.site}: daily at ${watch.at}, alarms mailed to ${watch.mailTo.join(", ")}${watch.gotify === null ? "" : ` and pushed to ${watch.gotify}`}`,
    ...watch.sources.flatMap((s) => [
      `  ${s.source}: newest copy of each of its ${s.guests.length} guests and the last pull ${s.pullJob} at most ${s.maxAgeHours} h old (a good night leaves ${s.goodNightHours} h: backup ${s.backupStart}, pull ${s.pullStart}-${s.pullEnd}); the last pull OK`,
      `    ${s.source} dead or stolen: its pull fails at ${s.pullStart} (mailed by PBS), the watch says it again at ${watch.at}; alive but not backing up: alarmed ${s.silentSeenAfterHours} h after the missed backup`,
    ]),
    ...(watch.drills.length > 0 ? [`  drills of ${watch.drills.map((d) => `${d.source}'s ${d.name} (${d.vmid})`).join(", ")}: the last one passed, at most ${watch.drillMaxAgeDays} days ago`] : []),
  ];
}

/** One line per stack: counts, protected resources, and the backup coverage. */
export function renderSummary(stack: PlannedStack): string {
  const containers = stack.resources.filter((r) => r.type === CONTAINER);
  const jobs = stack.resources.filter((r) => r.type === BACKUP_JOB);
  const custom = stack.resources.filter((r) => r.custom).length;
  const protectedCount = stack.resources.filter((r) => r.protect).length;
  const vmids = containers.map((c) => Number(c.inputs["vmId"])).sort((a, b) => a - b);
  const covered = jobs.flatMap((j) => (j.inputs["vmids"] as string[] | undefined) ?? []).map(Number);
  const uncovered = vmids.filter((v) => !covered.includes(v));
  return (
    `${stack.stack}: ${stack.resources.length} resources (${custom} custom), ${protectedCount} protected, ` +
    `${containers.length} container(s) [${vmids.join(", ")}], ${jobs.length} backup job(s)` +
    (uncovered.length > 0 ? `, NOT BACKED UP: ${uncovered.join(", ")}` : ", every container backed up")
  );
}

/** The Proxmox VE tokens by role, the same on every host but for its PBS storages (made by `npm run bootstrap -- --site <site>`). */
export function renderTokenRoles(): string[] {
  return [
    "Proxmox VE API tokens by role (npm run bootstrap -- --site <site> makes them; the program refuses any other):",
    ...Object.values(PVE_TOKEN_ROLES).flatMap((role) => [
      `  ${tokenId(role)}: ${role.purpose}`,
      ...role.acls.map((acl) => `    ${acl.path}: ${acl.privileges.join(", ")}`),
    ]),
  ];
}
