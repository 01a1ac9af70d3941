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
    assert.match(cluster, /702\.1 of 920 GiB predicted \(76 %\)", shape="cylinder"/);
  }
});

test("both pulls are edges from the source's PBS to the holder's, with schedule, budget and the planner's verdict", async () => {
  const dot = buildDot(await planned(), sites);
  assert.match(dot, /^ {2}"sthilaire\/pbs" -> "rouans\/pbs" \[label="pulled by rouans's PBS\\n02:45-03:47, 13\.6 Mbit\/s\\n~5\.25 GiB of new chunks, fits", color="blue"/m);
  assert.match(dot, /^ {2}"rouans\/pbs" -> "sthilaire\/pbs" \[label="pulled by sthilaire's PBS\\n01:30-01:36, 40 Mbit\/s\\n~1\.44 GiB of new chunks, fits", color="blue"/m);
});

/** The mail arrows of a DOT text, one line each. */
const mailArrows = (dot: string) => dot.split("\n").filter((l) => l.includes('label="SMTP '));

test("the mail arrows are what the compiled firewall rules let through: the Internet to mail (the MX), mail and Nextcloud to the relay, the relay and the web's sites to the outbound server", async () => {
  assert.deepEqual(mailArrows(buildDot(await planned(), sites)), [
    '  "rouans/web" -> "outside/outbound-server" [label="SMTP 587", color="darkgreen", fontcolor="darkgreen", constraint="false"];',
    '  internet -> "sthilaire/mail" [label="SMTP 25, 465, 587", color="darkgreen", fontcolor="darkgreen"];',
    '  "sthilaire/mail" -> "sthilaire/relay" [label="SMTP 25", color="darkgreen", fontcolor="darkgreen"];',
    '  "sthilaire/nextcloud" -> "sthilaire/relay" [label="SMTP 25", color="darkgreen", fontcolor="darkgreen"];',
    '  "sthilaire/relay" -> "outside/outbound-server" [label="SMTP 25, 587", color="darkgreen", fontcolor="darkgreen", constraint="false"];',
  ]);
});

test("a changed rule changes its arrow: Nextcloud's mail sent to the outbound server instead of the relay", async () => {
  const changed = structuredClone(sites);
  const nextcloud = changed.find((s) => s.name === "sthilaire")?.containers.find((c) => c.name === "nextcloud");
  const rule = nextcloud?.firewall.outbound.find((r) => r.to !== "internet" && typeof r.to === "object" && "service" in r.to);
  assert.ok(rule);
  Object.assign(rule, { to: { host: "outbound-server" }, ports: [587] });
  const arrows = mailArrows(buildDot(await planned(), changed));
  assert.ok(!arrows.some((a) => a.startsWith('  "sthilaire/nextcloud" -> "sthilaire/relay"')), arrows.join("\n"));
  assert.ok(arrows.includes('  "sthilaire/nextcloud" -> "outside/outbound-server" [label="SMTP 587", color="darkgreen", fontcolor="darkgreen", constraint="false"];'), arrows.join("\n"));
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
  assert.match(dot, /"sthilaire\/pbs" -> "rouans\/pbs" \[label="[^"]*DOES NOT FIT", color="red"/);
  assert.match(dot, /"rouans\/pbs" \[label="[^"]*, DOES NOT FIT", shape="cylinder", style="filled", fillcolor="mistyrose"\]/);
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

test("the site link joins the two hosts with its tunnel addresses and ports; each holder's drills and dead-man watch check its PBS", async () => {
  const dot = buildDot(await planned(), sites);
  assert.match(dot, /^ {2}"rouans\/host" -> "sthilaire\/host" \[label="site link \(WireGuard\)\\nrouans 10\.77\.0\.1:51820\\nsthilaire 10\.77\.0\.2:51820", dir="both"/m);
  assert.match(clusterOf(dot, "rouans"), /"rouans\/checks" \[label="restore drills sat 13:00:\\nsthilaire's relay \(230\), sthilaire's mail \(210\)\\ndead-man watch daily 09:00:\\nthe copies of sthilaire"/);
  assert.match(clusterOf(dot, "rouans"), /"rouans\/pbs" -> "rouans\/checks" \[label="checked"/);
});
