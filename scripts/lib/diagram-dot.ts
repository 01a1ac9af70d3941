/**
 * The infrastructure picture as Graphviz DOT text, built from the offline plan
 * (what the program declares: containers, backup jobs, the PBS datastores and
 * the pulls between them, with the planner's verdicts) and
 * the validated site specs (the host facts the plan does not carry). Pure and
 * ordered by stable keys, so the same plan always gives the same text: CI
 * compares the committed SVG with a fresh rendering of it.
 */
import { z } from "zod";
import type { SiteSpec } from "../../src/site/schema";

/** The part of a planned stack the picture reads (a `PlannedStack` fits). */
export interface DiagramStack {
  readonly stack: string;
  readonly outputs: Record<string, unknown>;
}

/** The host facts the picture shows, from a validated spec (a `SiteSpec` fits). */
export type DiagramSite = Pick<SiteSpec, "name" | "location" | "host" | "uplink">;

/** Container names that carry the mail path; the picture is wrong without them. */
export const MAIL_SERVICES = { relay: "relay", mail: "mail" } as const;

// Parsed rather than cast: a renamed output must fail here, by name, not draw an empty box.
const outputsSchema = z.object({
  containers: z.record(
    z.string(),
    z.object({ vmid: z.number().int(), hostname: z.string(), ipv4: z.string(), ipv6: z.string().optional() }),
  ),
  nightlyBackup: z.object({ jobId: z.string(), schedule: z.string(), vmids: z.array(z.number().int()), storage: z.string() }),
  backupPlan: z.object({
    datastore: z.object({
      datastore: z.string(),
      sizeGiB: z.number(),
      totalGiB: z.number(),
      usedShare: z.number(),
      fits: z.boolean(),
      namespaces: z.array(z.object({ namespace: z.string(), role: z.enum(["own", "copies"]), totalGiB: z.number() })),
    }),
    syncs: z.array(
      z.object({ source: z.string(), holder: z.string(), budgetMbps: z.number(), schedule: z.string(), newChunksGiB: z.number(), end: z.string(), fits: z.boolean() }),
    ),
  }),
});
type Outputs = z.infer<typeof outputsSchema>;
type Direction = Outputs["backupPlan"]["syncs"][number];

/** A DOT double-quoted string; `\n` in `text` becomes a centred line break. */
function q(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

function attrs(a: Record<string, string>): string {
  return `[${Object.entries(a).map(([k, v]) => `${k}=${q(v)}`).join(", ")}]`;
}

/** Node ids are `<site>/<thing>`: stable keys, so a diff of the DOT reads like the plan's. */
const id = {
  host: (site: string) => `${site}/host`,
  container: (site: string, service: string) => `${site}/${service}`,
  backup: (site: string) => `${site}/nightly-backup`,
  pbs: (site: string) => `${site}/pbs`,
};

function parseOutputs(stack: DiagramStack): Outputs {
  const parsed = outputsSchema.safeParse(stack.outputs);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `outputs.${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`diagram: stack ${stack.stack} does not have the outputs the picture reads (${where})`);
  }
  return parsed.data;
}

/** Each direction once, in a stable order; two stacks reporting the same direction differently is a bug worth stopping on. */
function uniqueDirections(all: readonly Direction[]): Direction[] {
  const byKey = new Map<string, Direction>();
  for (const d of all) {
    const key = `${d.source}->${d.holder}`;
    const seen = byKey.get(key);
    if (seen !== undefined && JSON.stringify(seen) !== JSON.stringify(d)) {
      throw new Error(`diagram: the stacks disagree about the pull ${key}: ${JSON.stringify(seen)} vs ${JSON.stringify(d)}`);
    }
    byKey.set(key, d);
  }
  return [...byKey.values()].sort((a, b) => (a.source + a.holder).localeCompare(b.source + b.holder));
}

/** The site (stack) that runs the container named `service`, or a clear error. */
function siteOfService(service: string, outputs: ReadonlyMap<string, Outputs>): string {
  const found = [...outputs].filter(([, o]) => service in o.containers).map(([s]) => s);
  if (found.length !== 1) {
    const all = [...outputs].flatMap(([s, o]) => Object.keys(o.containers).map((c) => `${s}/${c}`));
    throw new Error(
      `diagram: the mail path needs exactly one container named "${service}", found ${found.length} (containers: ${all.join(", ")})`,
    );
  }
  return found[0] as string;
}

function siteCluster(site: DiagramSite, o: Outputs): string[] {
  const h = site.host;
  // The host facts are a node, not the cluster's title: edges route around nodes, not titles.
  const hostLabel = [
    h.model,
    `${h.cpu} (${h.cores} cores), ${h.memoryGiB} GiB RAM`,
    `uplink ${site.uplink.downMbps} down / ${site.uplink.upMbps} up Mbit/s`,
  ].join("\n");
  const lines = [
    `  subgraph ${q(`cluster_${site.name}`)} {`,
    `    graph ${attrs({ label: `site ${site.name} (${site.location})`, style: "rounded", color: "gray40", margin: "14", fontsize: "14" })};`,
    `    ${q(id.host(site.name))} ${attrs({ label: hostLabel, shape: "box", style: "filled", fillcolor: "gray95", color: "gray60" })};`,
  ];
  const containers = Object.entries(o.containers).sort(([, a], [, b]) => a.vmid - b.vmid);
  for (const [service, c] of containers) {
    const text = [`${service}  (VMID ${c.vmid})`, `${c.hostname}  ${c.ipv4}`, ...(c.ipv6 ? [c.ipv6] : [])].join("\n");
    lines.push(`    ${q(id.container(site.name, service))} ${attrs({ label: text })};`);
    // Invisible: only keeps the host box above what runs on it.
    lines.push(`    ${q(id.host(site.name))} -> ${q(id.container(site.name, service))} ${attrs({ style: "invis" })};`);
  }
  const b = o.nightlyBackup;
  const backupLabel = [`nightly backup ${b.jobId}`, `${b.schedule}, to PBS, metadata`, `VMIDs ${b.vmids.join(", ")}`].join("\n");
  lines.push(`    ${q(id.backup(site.name))} ${attrs({ label: backupLabel, shape: "cylinder", style: "filled", fillcolor: "lightyellow" })};`);
  const d = o.backupPlan.datastore;
  const pbsLabel = [
    `PBS datastore ${d.datastore}`,
    ...d.namespaces.map((n) => `${n.role === "own" ? "own" : "copies of"} ${n.namespace}: ${n.totalGiB} GiB`),
    `${d.totalGiB} of ${d.sizeGiB} GiB predicted (${Math.round(d.usedShare * 100)} %)${d.fits ? "" : ", DOES NOT FIT"}`,
  ].join("\n");
  lines.push(`    ${q(id.pbs(site.name))} ${attrs({ label: pbsLabel, shape: "cylinder", style: "filled", fillcolor: d.fits ? "lightblue" : "mistyrose" })};`);
  lines.push(`    ${q(id.backup(site.name))} -> ${q(id.pbs(site.name))} ${attrs({ label: "writes", color: "gray40", fontcolor: "gray40" })};`);
  // Dotted: "is in this job". A container left out of the job has no such line.
  for (const [service, c] of containers) {
    if (b.vmids.includes(c.vmid)) {
      lines.push(`    ${q(id.container(site.name, service))} -> ${q(id.backup(site.name))} ${attrs({ style: "dotted", arrowhead: "none", color: "gray50" })};`);
    }
  }
  lines.push("  }");
  return lines;
}

/**
 * DOT text of the logical schema: one cluster per site (host, uplink, containers,
 * nightly job, its PBS datastore with the planner's footprint), an edge per pull
 * from the source's PBS to the holder's, labelled with its schedule, budget and
 * the planner's verdict, and the mail path through the relay. Throws a message
 * naming what is missing when the plan lacks an output, a site, or the `relay` /
 * `mail` containers.
 */
export function buildDot(stacks: readonly DiagramStack[], sites: readonly DiagramSite[]): string {
  const outputs = new Map(stacks.map((s) => [s.stack, parseOutputs(s)] as const));
  const directions = uniqueDirections(stacks.flatMap((s) => outputs.get(s.stack)?.backupPlan.syncs ?? []));
  const relaySite = siteOfService(MAIL_SERVICES.relay, outputs);
  const mailSite = siteOfService(MAIL_SERVICES.mail, outputs);

  const lines = [
    "digraph retzien {",
    `  graph ${attrs({
      label: "retzien-infra: what the program declares (npm run diagram, from the offline plan)",
      labelloc: "t",
      fontname: "Helvetica,Arial,sans-serif",
      fontsize: "14",
      newrank: "true",
      nodesep: "0.35",
      ranksep: "0.55",
    })};`,
    // Wide margins: viewers without Helvetica substitute wider fonts (DejaVu Sans is ~15% wider).
    `  node ${attrs({ shape: "box", style: "rounded", fontname: "Helvetica,Arial,sans-serif", fontsize: "11", margin: "0.3,0.1" })};`,
    `  edge ${attrs({ fontname: "Helvetica,Arial,sans-serif", fontsize: "10" })};`,
    `  internet ${attrs({ label: "Internet", shape: "ellipse" })};`,
    `  outbound ${attrs({ label: "dedicated outbound\nmail server\n(SPF, DKIM, reverse DNS)", style: "dashed" })};`,
  ];
  for (const stack of [...outputs.keys()].sort()) {
    const site = sites.find((s) => s.name === stack);
    if (site === undefined) throw new Error(`diagram: no site spec named ${stack} (specs: ${sites.map((s) => s.name).join(", ")})`);
    lines.push(...siteCluster(site, outputs.get(stack) as Outputs));
  }
  for (const [i, d] of directions.entries()) {
    if (!outputs.has(d.source) || !outputs.has(d.holder)) {
      throw new Error(`diagram: the pull ${d.source} -> ${d.holder} names a site that is not in the plan (${[...outputs.keys()].join(", ")})`);
    }
    const label = [
      `pulled by ${d.holder}'s PBS`,
      `${d.schedule.replace("*-*-* ", "")}-${d.end}, ${d.budgetMbps} Mbit/s`,
      `~${d.newChunksGiB} GiB of new chunks, ${d.fits ? "fits" : "DOES NOT FIT"}`,
    ].join("\n");
    const color = d.fits ? "blue" : "red";
    // Staggered lengths: the pulls cross between the sites, and labels on one rank would overlap.
    const minlen = String(1 + 2 * i);
    const ports = i % 2 === 0 ? { tailport: "e", headport: "n" } : { tailport: "s", headport: "w" };
    lines.push(`  ${q(id.pbs(d.source))} -> ${q(id.pbs(d.holder))} ${attrs({ label, color, fontcolor: color, penwidth: "1.5", minlen, constraint: "false", ...ports })};`);
  }
  // The nightly jobs level across the sites (newrank allows it through clusters);
  // each pull, one way and the other, gets its own ports so the two never overlap.
  lines.push(`  { rank=same; ${[...outputs.keys()].sort().map((s) => q(id.backup(s))).join("; ")}; }`, "  { rank=min; internet; outbound; }");
  const relay = q(id.container(relaySite, MAIL_SERVICES.relay));
  const mail = q(id.container(mailSite, MAIL_SERVICES.mail));
  const mailEdge = { color: "darkgreen", fontcolor: "darkgreen" };
  lines.push(
    `  internet -> ${relay} ${attrs({ label: "inbound SMTP", ...mailEdge })};`,
    // One edge both ways: two edges between the same nodes would fold into a loop and stack their labels.
    `  ${relay} -> ${mail} ${attrs({ label: "delivers in,\nsends out", dir: "both", ...mailEdge })};`,
    // Not a ranking edge: the outbound server sits on top, beside the Internet.
    `  ${relay} -> outbound ${attrs({ label: "outbound SMTP", constraint: "false", ...mailEdge })};`,
    "}",
  );
  return `${lines.join("\n")}\n`;
}

/**
 * Removes what Graphviz writes about itself (its version and build date), so that
 * the committed SVG changes only when the picture does.
 */
export function normalizeSvg(svg: string): string {
  return svg.replace(/<!-- Generated by graphviz[\s\S]*?-->\n/, "<!-- Generated by npm run diagram from the offline plan: do not edit -->\n");
}
