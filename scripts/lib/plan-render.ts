/**
 * The readable form of the offline plan: one tree per stack, the inputs that
 * matter for each kind of resource, and a summary line.
 */
import type { PlannedResource, PlannedStack } from "./offline-plan";

const CONTAINER = "proxmoxve:index/containerLegacy:ContainerLegacy";
const BACKUP_JOB = "proxmoxve:backup/job:Job";

/** Inputs worth a glance, per resource type; other types show their scalar inputs. */
const KEY_INPUTS: Record<string, string[]> = {
  "pulumi:providers:proxmoxve": ["endpoint", "insecure", "apiToken"],
  "proxmoxve:download/file:File": ["url", "datastoreId"],
  [CONTAINER]: ["vmId", "initialization.hostname", "cpu.cores", "memory.dedicated", "disk", "mountPoints", "initialization.ipConfigs", "unprivileged", "features"],
  [BACKUP_JOB]: ["schedule", "storage", "vmids", "mode", "compress", "pigz", "pruneBackups", "mailtos"],
  "random:index/randomPassword:RandomPassword": ["length"],
  "pulumi:pulumi:StackReference": ["name"],
};

function at(inputs: Record<string, unknown>, path: string): unknown {
  return path.split(".").reduce<unknown>((node, k) => (node !== null && typeof node === "object" ? (node as Record<string, unknown>)[k] : undefined), inputs);
}

function clip(text: string, width = 110): string {
  const oneLine = text.replace(/\s+/g, " ");
  return oneLine.length > width ? `${oneLine.slice(0, width - 3)}...` : oneLine;
}

function describeInputs(r: PlannedResource): string[] {
  const keys = KEY_INPUTS[r.type] ?? Object.keys(r.inputs).filter((k) => typeof r.inputs[k] !== "object");
  return keys
    .map((k) => [k, at(r.inputs, k)] as const)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => clip(`${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`));
}

function flags(r: PlannedResource): string {
  const out: string[] = [];
  if (r.protect) out.push("protect");
  if (r.retainOnDelete) out.push("retain on delete");
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

/** The offsite directions a stack reported in its outputs, one line each. */
export function renderOffsite(stack: PlannedStack): string[] {
  const directions = (stack.outputs["offsiteDirections"] as { source: string; holder: string; budgetMbps: number; window: string; nightlyGiB: number; fits: boolean }[] | undefined) ?? [];
  return directions.map(
    (d) =>
      `offsite ${d.source} -> ${d.holder}: ~${d.nightlyGiB} GiB a night at ${d.budgetMbps} Mbit/s in ${d.window} (${d.holder} pulls)` +
      (d.fits ? ", fits" : ", DOES NOT FIT"),
  );
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
