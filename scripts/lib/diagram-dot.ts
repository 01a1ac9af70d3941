/**
 * The infrastructure picture as Graphviz DOT text, built from the offline plan
 * (what the program declares: containers, backup jobs, the PBS datastores and
 * the pulls between them, with the planner's verdicts) and
 * the validated site specs (the host facts the plan does not carry). Pure and
 * ordered by stable keys, so the same plan always gives the same text: CI
 * compares the committed SVG with a fresh rendering of it.
 */
import { z } from "zod";
import { containerRules, hostAddress } from "../../src/firewall/compile";
import type { SiteSpec } from "../../src/site/schema";

/** The part of a planned stack the picture reads (a `PlannedStack` fits). */
export interface DiagramStack {
  readonly stack: string;
  readonly outputs: Record<string, unknown>;
}

/** The host facts the picture shows, and the containers' firewalls its mail arrows are drawn from: a validated spec. */
export type DiagramSite = Pick<SiteSpec, "name" | "location" | "host" | "uplink" | "containers" | "firewall" | "network" | "siteLink" | "backup">;

/** SMTP's ports (relay, submission over TLS, submission): a rule that lets one of them through is a mail arrow. */
const SMTP_PORTS = ["25", "465", "587"];

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
      usableGiB: z.number(),
      usedShare: z.number(),
      fits: z.boolean(),
      namespaces: z.array(z.object({ namespace: z.string(), role: z.enum(["own", "copies"]), totalGiB: z.number() })),
    }),
    syncs: z.array(
      z.object({ source: z.string(), holder: z.string(), budgetMbps: z.number(), schedule: z.string(), newChunksGiB: z.number(), end: z.string(), fits: z.boolean() }),
    ),
  }),
  drillPlan: z.object({ schedule: z.string(), guests: z.array(z.object({ source: z.string(), name: z.string(), vmid: z.number().int(), fits: z.boolean() })) }),
  watchPlan: z.object({ at: z.string(), sources: z.array(z.object({ source: z.string() })) }),
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
  outside: (key: string) => `outside/${key}`,
  container: (site: string, service: string) => `${site}/${service}`,
  backup: (site: string) => `${site}/nightly-backup`,
  pbs: (site: string) => `${site}/pbs`,
  checks: (site: string) => `${site}/checks`,
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

function siteCluster(site: DiagramSite, o: Outputs): string[] {
  const h = site.host;
  // The host facts are a node, not the cluster's title: edges route around nodes, not titles.
  const hostLabel = [
    h.model,
    `${h.cpu} (${h.cores} cores), ${h.memoryGiB} GiB RAM`,
    `uplink ${site.uplink.downMbps} down / ${site.uplink.upMbps} up Mbit/s`,
    `site link (WireGuard) ${site.siteLink.address}:${site.siteLink.port}`,
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
    `${d.totalGiB} of ${d.usableGiB} GiB usable predicted (${Math.round(d.usedShare * 100)} %)${d.fits ? "" : ", DOES NOT FIT"}`,
    // The pulls that bring the copies here (an arrow from each source's datastore).
    ...o.backupPlan.syncs
      .filter((p) => p.holder === site.name)
      .map((p) => `pulls ${p.source}: ${p.schedule.replace("*-*-* ", "")}-${p.end}, ${p.budgetMbps} Mbit/s, ~${p.newChunksGiB} GiB new, ${p.fits ? "fits" : "DOES NOT FIT"}`),
  ].join("\n");
  lines.push(`    ${q(id.pbs(site.name))} ${attrs({ label: pbsLabel, shape: "cylinder", style: "filled", fillcolor: d.fits ? "lightblue" : "mistyrose" })};`);
  lines.push(`    ${q(id.backup(site.name))} -> ${q(id.pbs(site.name))} ${attrs({ label: "writes", color: "gray40", fontcolor: "gray40" })};`);
  // What the holder checks of the copies it holds: the restore drills and the dead-man watch.
  const drilled = o.drillPlan.guests.filter((g) => g.fits);
  const watched = o.watchPlan.sources.map((w) => w.source);
  if (drilled.length > 0 || watched.length > 0) {
    const checks = [
      ...(drilled.length > 0 ? [`restore drills ${o.drillPlan.schedule}:`, drilled.map((g) => `${g.source}'s ${g.name} (${g.vmid})`).join(", ")] : []),
      ...(watched.length > 0 ? [`dead-man watch daily ${o.watchPlan.at}:`, `the copies of ${watched.join(", ")}`] : []),
    ];
    lines.push(`    ${q(id.checks(site.name))} ${attrs({ label: checks.join("\n"), shape: "note", style: "filled", fillcolor: "honeydew" })};`);
    lines.push(`    ${q(id.pbs(site.name))} -> ${q(id.checks(site.name))} ${attrs({ label: "checked", style: "dashed", color: "gray40", fontcolor: "gray40" })};`);
  }
  // Dotted: "is in this job". A container left out of the job has no such line.
  for (const [service, c] of containers) {
    if (b.vmids.includes(c.vmid)) {
      lines.push(`    ${q(id.container(site.name, service))} -> ${q(id.backup(site.name))} ${attrs({ style: "dotted", arrowhead: "none", color: "gray50" })};`);
    }
  }
  lines.push("  }");
  return lines;
}

interface MailFlow {
  /** DOT node ids, quoted (or `internet`). */
  readonly from: string;
  readonly to: string;
  readonly ports: string[];
  /** A host's own alarms (its alarm path), not a service's mail. */
  readonly alarms?: true;
}

/**
 * The mail arrows, from each container's compiled firewall rules (what the
 * firewall lets through, not what a picture assumes): the Internet to each
 * container that takes SMTP from anyone, and each container to the container
 * or outside host it may send SMTP to. One arrow per pair, its ports merged
 * (a rule per address family), and the outside hosts the rules name. Each
 * host's alarms too: to the relay whose rules take the host, or to the outside
 * server its alarm path submits to (the host's own output is not filtered).
 */
function mailFlows(sites: readonly DiagramSite[]): { flows: MailFlow[]; outside: [string, string[]][] } {
  const flows = new Map<string, MailFlow>();
  const outside = new Map<string, string[]>();
  const add = (from: string, to: string, ports: string[], alarms = false) => {
    const seen = flows.get(`${from} ${to}`)?.ports ?? [];
    flows.set(`${from} ${to}`, { from, to, ports: [...new Set([...seen, ...ports])].sort((a, b) => Number(a) - Number(b)), ...(alarms ? { alarms: true as const } : {}) });
  };
  for (const site of [...sites].sort((a, b) => a.name.localeCompare(b.name))) {
    const addressOf = new Map<string, string>();
    for (const c of site.containers) for (const a of [c.network.ipv4, c.network.ipv6]) if (a !== undefined) addressOf.set(hostAddress(a), q(id.container(site.name, c.name)));
    for (const [key, addresses] of Object.entries(site.firewall.hosts)) for (const a of addresses) addressOf.set(a, q(id.outside(key)));
    const host = q(id.host(site.name));
    const hostAt = [site.firewall.localNetwork, hostAddress(site.firewall.localNetwork)];
    for (const c of [...site.containers].sort((a, b) => a.vmid - b.vmid)) {
      const self = q(id.container(site.name, c.name));
      for (const rule of containerRules(site as SiteSpec, c)) {
        const ports = (rule.dport ?? "").split(",").filter((p) => SMTP_PORTS.includes(p));
        if (rule.proto !== "tcp" || ports.length === 0) continue;
        if (rule.type === "in" && rule.source === undefined) add("internet", self, ports);
        if (rule.type === "in" && rule.source?.split(",").some((a) => hostAt.includes(a)) === true) add(host, self, ports, true);
        if (rule.type !== "out" || rule.dest === undefined) continue;
        for (const to of new Set(rule.dest.split(",").map((a) => addressOf.get(a)))) {
          if (to === undefined) continue;
          add(self, to, ports);
          const key = /^"outside\/(.+)"$/.exec(to)?.[1];
          if (key !== undefined) outside.set(key, site.firewall.hosts[key] ?? []);
        }
      }
    }
    const path = site.backup.alarmPath;
    if (path.via === "submission") {
      add(host, q(id.outside(path.host)), [String(path.port)], true);
      outside.set(path.host, site.firewall.hosts[path.host] ?? []);
    }
  }
  return { flows: [...flows.values()], outside: [...outside].sort(([a], [b]) => a.localeCompare(b)) };
}

/**
 * DOT text of the logical schema: one cluster per site (host, uplink, containers,
 * nightly job, its PBS datastore with the planner's footprint), an edge per pull
 * from the source's PBS to the holder's, labelled with its schedule, budget and
 * the planner's verdict, and the mail arrows the firewall rules allow. Throws a
 * message naming what is missing when the plan lacks an output or a site.
 */
export function buildDot(stacks: readonly DiagramStack[], sites: readonly DiagramSite[]): string {
  const outputs = new Map(stacks.map((s) => [s.stack, parseOutputs(s)] as const));
  const directions = uniqueDirections(stacks.flatMap((s) => outputs.get(s.stack)?.backupPlan.syncs ?? []));
  const mail = mailFlows(sites.filter((site) => outputs.has(site.name)));

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
      // Room at the edges for the labels dot places beside an edge's end (head labels), which the drawing's box leaves out.
      pad: "0.4",
    })};`,
    // Wide margins: viewers without Helvetica substitute wider fonts (DejaVu Sans is ~15% wider).
    `  node ${attrs({ shape: "box", style: "rounded", fontname: "Helvetica,Arial,sans-serif", fontsize: "11", margin: "0.3,0.1" })};`,
    `  edge ${attrs({ fontname: "Helvetica,Arial,sans-serif", fontsize: "10" })};`,
    `  internet ${attrs({ label: "Internet", shape: "ellipse" })};`,
    ...mail.outside.map(([key, addresses]) => `  ${q(id.outside(key))} ${attrs({ label: `${key}\n${addresses.join(", ")}`, style: "dashed" })};`),
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
    // Its words are in the holder's datastore box: an edge's label between the sites lands across their frames.
    const color = d.fits ? "blue" : "red";
    // Each pull, one way and the other, gets its own ports so the two never overlap.
    const ports = i % 2 === 0 ? { tailport: "e", headport: "n" } : { tailport: "s", headport: "w" };
    lines.push(`  ${q(id.pbs(d.source))} -> ${q(id.pbs(d.holder))} ${attrs({ color, penwidth: "1.5", constraint: "false", ...ports })};`);
  }
  // The site link: one WireGuard tunnel per pair of sites that pull from each other (each end's address and
  // port are in its host's box).
  const drawn = sites.filter((site) => outputs.has(site.name)).sort((a, b) => a.name.localeCompare(b.name));
  const linked = new Set(directions.map((d) => [d.source, d.holder].sort().join(" ")));
  for (const pair of [...linked].sort()) {
    const [a, b] = pair.split(" ").map((n) => drawn.find((site) => site.name === n));
    if (a === undefined || b === undefined) continue;
    lines.push(`  ${q(id.host(a.name))} -> ${q(id.host(b.name))} ${attrs({ dir: "both", style: "dashed", color: "purple", constraint: "false" })};`);
  }
  // The nightly jobs level across the sites (newrank allows it through clusters).
  lines.push(`  { rank=same; ${[...outputs.keys()].sort().map((s) => q(id.backup(s))).join("; ")}; }`, `  { rank=min; ${["internet", ...mail.outside.map(([key]) => q(id.outside(key)))].join("; ")}; }`);
  const mailEdge = { color: "darkgreen", fontcolor: "darkgreen" };
  for (const f of mail.flows) {
    const label = `${f.alarms === true ? "alarms, " : ""}SMTP ${f.ports.join(", ")}`;
    // An edge that leaves a site's frame has its label at one end, off the frame's line, where the middle
    // would put it. Towards an outside host, it is drawn from that host with the arrowhead at its end, so that
    // the host ranks on top beside the Internet. A service's label goes by the service, inside its frame; a
    // host's by the outside host, as the host's box sits right under its frame's title. From the Internet,
    // by the Internet.
    if (f.to.startsWith('"outside/')) {
      const end: Record<string, string> = f.alarms === true ? { taillabel: label, labelangle: "-40" } : { headlabel: label, labelangle: "30" };
      lines.push(`  ${f.to} -> ${f.from} ${attrs({ ...end, labeldistance: "4", ...mailEdge, dir: "back" })};`);
    } else if (f.from === "internet") lines.push(`  ${f.from} -> ${f.to} ${attrs({ taillabel: label, labeldistance: "4", labelangle: "-70", ...mailEdge })};`);
    else lines.push(`  ${f.from} -> ${f.to} ${attrs({ label, ...mailEdge })};`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/**
 * Removes what Graphviz writes about itself (its version and build date), so that
 * the committed SVG changes only when the picture does.
 */
export function normalizeSvg(svg: string): string {
  return svg.replace(/<!-- Generated by graphviz[\s\S]*?-->\n/, "<!-- Generated by npm run diagram from the offline plan: do not edit -->\n");
}
