/**
 * `npm run diagram`: the DOT drawn from the real offline plan shows every
 * container, each site's PBS datastore with the planner's footprint, both pulls
 * and the mail arrows its firewall rules allow; rendering is byte-for-byte
 * repeatable; `--check` accepts the committed SVG and refuses any other.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DiagramStack, buildDot } from "../../scripts/lib/diagram-dot";
import { planStacks } from "../../scripts/lib/offline-plan";
import { renderSvg } from "../../scripts/diagram";
import { validateSiteSpecs } from "../../src/program";
import { allSites } from "../../stacks/sites";
import { runScript } from "../helpers/cli";
import { PROJECT_ROOT } from "../helpers/stacks";
import { labelCrossings } from "../helpers/svg-labels";

const COMMITTED = join(PROJECT_ROOT, "docs", "infrastructure.svg");
const { sites } = validateSiteSpecs(allSites);

const planned = (() => {
  let cached: Promise<DiagramStack[]> | undefined;
  return () =>
    (cached ??= planStacks(PROJECT_ROOT).then((r) => {
      assert.ok(r.ok, "the offline plan must pass");
      return r.plan.stacks;
    }));
})();

/** The text of one site's cluster in the DOT. */
function clusterOf(dot: string, site: string): string {
  const start = dot.indexOf(`subgraph "cluster_${site}" {`);
  assert.notEqual(start, -1, `no cluster for ${site}`);
  return dot.slice(start, dot.indexOf("\n  }\n", start));
}

/** Outputs of the plan with `edit` applied to a deep copy. */
async function editedStacks(edit: (outputs: Record<string, Record<string, unknown>>) => void): Promise<DiagramStack[]> {
  const copy = structuredClone(await planned());
  edit(Object.fromEntries(copy.map((s) => [s.stack, s.outputs as Record<string, unknown>])) as Record<string, Record<string, unknown>>);
  return copy;
}

test("each site's cluster shows its host, uplink, every container with VMID and address, and its nightly job", async () => {
  const dot = buildDot(await planned(), sites);
  assert.deepEqual(sites.map((s) => s.name).sort(), ["rouans", "sthilaire"]);
  for (const site of sites) {
    const cluster = clusterOf(dot, site.name);
    for (const fact of [site.host.model, site.host.cpu, `${site.host.memoryGiB} GiB RAM`, `uplink ${site.uplink.downMbps} down / ${site.uplink.upMbps} up Mbit/s`]) {
      assert.ok(cluster.includes(fact), `${site.name}: ${fact}`);
    }
    for (const c of site.containers) {
      assert.match(cluster, new RegExp(`"${site.name}/${c.name}" \\[label="${c.name} {2}\\(VMID ${c.vmid}\\)\\\\n${c.hostname} {2}${c.network.ipv4}`), `${site.name}/${c.name}`);
    }
    const vmids = site.containers.map((c) => c.vmid).sort((a, b) => a - b).join(", ");
    assert.ok(cluster.includes(`nightly backup nightly-${site.name}\\n${site.backup.schedule}, to PBS, metadata\\nVMIDs ${vmids}`), `${site.name} job`);
    assert.ok(cluster.includes(`"${site.name}/pbs" [label="PBS datastore backup\\n`), `${site.name} PBS`);
    assert.match(cluster, /949 of 1736\.8 GiB usable predicted \(55 %\)\\n/);
  }
});

test("both pulls are edges from the source's PBS to the holder's, whose box says when, at what budget, and the planner's verdict", async () => {
  const dot = buildDot(await planned(), sites);
  assert.match(dot, /^ {2}"sthilaire\/pbs" -> "rouans\/pbs" \[color="blue"/m);
  assert.match(dot, /^ {2}"rouans\/pbs" -> "sthilaire\/pbs" \[color="blue"/m);
  assert.match(clusterOf(dot, "rouans"), /"rouans\/pbs" \[label="[^"]*\\npulls sthilaire: 04:45-05:54, 13\.6 Mbit\/s, ~5\.25 GiB new, fits"/);
  assert.match(clusterOf(dot, "sthilaire"), /"sthilaire\/pbs" \[label="[^"]*\\npulls rouans: 05:45-05:52, 40 Mbit\/s, ~1\.44 GiB new, fits"/);
});

/**
 * The mail arrows of a DOT text as `from -> to: label`, read the way each points (an
 * edge drawn from an outside host with dir=back points at that host).
 */
const mailArrows = (dot: string) =>
  dot.split("\n").flatMap((line) => {
    const edge = /^ {2}(\S+) -> (\S+) \[(.*)\];$/.exec(line);
    const label = /(?:head|tail)?label="((?:alarms, )?SMTP [^"]*)"/.exec(edge?.[3] ?? "")?.[1];
    if (edge === null || label === undefined) return [];
    const [from, to] = edge[3]?.includes('dir="back"') === true ? [edge[2], edge[1]] : [edge[1], edge[2]];
    return [`${from} -> ${to}: ${label}`];
  });

test("the mail arrows are what the compiled firewall rules let through: the Internet to mail (the MX), mail and Nextcloud to the relay, the relay and the web's sites to the outbound server; each host's alarms by its alarm path", async () => {
  assert.deepEqual(mailArrows(buildDot(await planned(), sites)), [
    '"rouans/web" -> "outside/outbound-server": SMTP 587',
    '"rouans/host" -> "outside/outbound-server": alarms, SMTP 587',
    'internet -> "sthilaire/mail": SMTP 25, 465, 587',
    '"sthilaire/mail" -> "sthilaire/relay": SMTP 25',
    '"sthilaire/nextcloud" -> "sthilaire/relay": SMTP 25',
    '"sthilaire/host" -> "sthilaire/relay": alarms, SMTP 25',
    '"sthilaire/relay" -> "outside/outbound-server": SMTP 25, 587',
  ]);
});

test("a changed rule changes its arrow: Nextcloud's mail sent to the outbound server instead of the relay", async () => {
  const changed = structuredClone(sites);
  const nextcloud = changed.find((s) => s.name === "sthilaire")?.containers.find((c) => c.name === "nextcloud");
  const rule = nextcloud?.firewall.outbound.find((r) => r.to !== "internet" && typeof r.to === "object" && "service" in r.to);
  assert.ok(rule);
  Object.assign(rule, { to: { host: "outbound-server" }, ports: [587] });
  const arrows = mailArrows(buildDot(await planned(), changed));
  assert.ok(!arrows.some((a) => a.startsWith('"sthilaire/nextcloud" -> "sthilaire/relay"')), arrows.join("\n"));
  assert.ok(arrows.includes('"sthilaire/nextcloud" -> "outside/outbound-server": SMTP 587'), arrows.join("\n"));
});

test("a changed alarm path changes its arrow: sthilaire's host submitting to the outbound server instead of its relay", async () => {
  const changed = structuredClone(sites);
  const sthilaire = changed.find((s) => s.name === "sthilaire");
  assert.ok(sthilaire);
  sthilaire.backup.alarmPath = { via: "submission", host: "outbound-server", serverName: "smtp.retzien.example", port: 587, username: "alarms-sthilaire" };
  // The relay's rules still take the host (the spec would be refused for it; the picture shows what the rules say).
  const arrows = mailArrows(buildDot(await planned(), changed));
  assert.ok(arrows.includes('"sthilaire/host" -> "outside/outbound-server": alarms, SMTP 587'), arrows.join("\n"));
});

test("a plan without an output is refused with what is missing", async () => {
  const noJob = await editedStacks((o) => delete o["rouans"]?.["nightlyBackup"]);
  assert.throws(() => buildDot(noJob, sites), /^Error: diagram: stack rouans does not have the outputs the picture reads \(outputs\.nightlyBackup: /);
});

test("a pull that does not fit its window is drawn red and says so, a datastore that does not fit likewise", async () => {
  const tight = await editedStacks((o) => {
    for (const outputs of Object.values(o)) {
      const plan = outputs["backupPlan"] as { syncs: { source: string; fits: boolean }[] };
      for (const d of plan.syncs) if (d.source === "sthilaire") d.fits = false;
    }
    (o["rouans"]?.["backupPlan"] as { datastore: { fits: boolean } }).datastore.fits = false;
  });
  const dot = buildDot(tight, sites);
  assert.match(dot, /"sthilaire\/pbs" -> "rouans\/pbs" \[color="red"/);
  assert.match(dot, /"rouans\/pbs" \[label="[^"]*pulls sthilaire: [^"]*DOES NOT FIT"/);
  assert.match(dot, /"rouans\/pbs" \[label="[^"]*, DOES NOT FIT", shape="cylinder", style="filled", fillcolor="mistyrose"\]/);
});

test("no label is crossed by a site's frame or over its title, in the committed picture; one that is, is found", async () => {
  assert.deepEqual(labelCrossings(readFileSync(COMMITTED, "utf8")), []);
  // The committed picture before labels moved off the frames: the pull's words across rouans' frame.
  const crossing = [
    '<g id="clust1" class="cluster"><title>cluster_rouans</title><path fill="none" d="M700,-8C700,-8 950,-8 950,-8 950,-600 700,-600 700,-8"/><text text-anchor="middle" x="820" y="-583" font-size="14.00">site rouans (Rouans)</text></g>',
    '<g id="edge1" class="edge"><title>a</title><path d="M0,0"/><text text-anchor="middle" x="700" y="-300" font-size="10.00">pulled by rouans&#39;s PBS</text></g>',
    '<g id="edge2" class="edge"><title>b</title><path d="M0,0"/><text text-anchor="middle" x="820" y="-585" font-size="10.00">alarms, SMTP 587</text></g>',
    '<g id="edge3" class="edge"><title>c</title><path d="M0,0"/><text text-anchor="middle" x="820" y="-300" font-size="10.00">SMTP 25</text></g>',
  ].join("\n");
  assert.deepEqual(labelCrossings(crossing), ["pulled by rouans's PBS: crosses the frame of rouans", "alarms, SMTP 587: over the title of rouans"]);
});

test("rendering is deterministic and carries no Graphviz version stamp", async () => {
  const dot = buildDot(await planned(), sites);
  const [a, b] = [await renderSvg(dot), await renderSvg(dot)];
  assert.equal(a, b);
  assert.match(a, /^<\?xml[\s\S]*<svg [\s\S]*<\/svg>\n$/);
  assert.doesNotMatch(a, /graphviz version|\d{8}\.\d{4}/);
});

test("--check accepts the committed SVG", () => {
  assert.ok(existsSync(COMMITTED), "docs/infrastructure.svg is committed");
  const result = runScript("scripts/diagram.ts", ["--check"]);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, "docs/infrastructure.svg is up to date with the plan\n");
});

test("--check refuses a modified or missing SVG; writing it again restores the committed bytes", () => {
  const dir = mkdtempSync(join(tmpdir(), "retzien-diagram-"));
  try {
    const copy = join(dir, "infrastructure.svg");
    copyFileSync(COMMITTED, copy);
    writeFileSync(copy, readFileSync(copy, "utf8").replace("VMID 230", "VMID 231"));
    const stale = runScript("scripts/diagram.ts", ["--check", "--out", copy]);
    assert.equal(stale.status, 1);
    assert.equal(stale.stderr, `${copy} is not what the plan draws now: run \`npm run diagram\` and commit the result\n`);
    const missing = runScript("scripts/diagram.ts", ["--check", "--out", join(dir, "none.svg")]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /none\.svg does not exist: run `npm run diagram`/);
    const written = runScript("scripts/diagram.ts", ["--out", copy]);
    assert.equal(written.status, 0, written.stderr);
    assert.ok(readFileSync(copy).equals(readFileSync(COMMITTED)), "a fresh process draws the committed bytes");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the site link joins the two hosts, each with its tunnel address and port; each holder's drills and dead-man watch check its PBS", async () => {
  const dot = buildDot(await planned(), sites);
  assert.match(dot, /^ {2}"rouans\/host" -> "sthilaire\/host" \[dir="both", style="dashed", color="purple"/m);
  assert.match(clusterOf(dot, "rouans"), /"rouans\/host" \[label="[^"]*\\nsite link \(WireGuard\) 10\.77\.0\.1:51820"/);
  assert.match(clusterOf(dot, "sthilaire"), /"sthilaire\/host" \[label="[^"]*\\nsite link \(WireGuard\) 10\.77\.0\.2:51820"/);
  assert.match(clusterOf(dot, "rouans"), /"rouans\/checks" \[label="restore drills sat 13:00:\\nsthilaire's relay \(230\), sthilaire's mail \(210\)\\ndead-man watch daily 09:00:\\nthe copies of sthilaire"/);
  assert.match(clusterOf(dot, "rouans"), /"rouans\/pbs" -> "rouans\/checks" \[label="checked"/);
});
