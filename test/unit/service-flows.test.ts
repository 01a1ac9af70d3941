/**
 * Each service's openings against what its kind needs: every committed
 * container opens exactly its flows, and taking any needed flow out of a spec
 * (or adding one no flow needs) is refused, naming the service and the flow.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatProblem } from "../../src/problems";
import { validateSiteSpecs } from "../../src/program";
import { type NeedPeer, neededFlows } from "../../src/firewall/service-needs";
import { cloneSites } from "../helpers/stacks";
import type { SiteSpecInput } from "../../src/site/schema";

type ContainerInput = SiteSpecInput["containers"][number];
type RuleInput = ContainerInput["firewall"]["inbound"][number] | ContainerInput["firewall"]["outbound"][number];

const problemsOf = (sites: SiteSpecInput[]) => validateSiteSpecs(sites).problems.map(formatProblem);

test("every service of both sites opens exactly what its kind needs", () => {
  assert.deepEqual(problemsOf(cloneSites().all), []);
});

/** Whether a spec rule's peer is the one a need names (a kind: any service of that kind). */
function samePeer(site: SiteSpecInput, rulePeer: unknown, need: NeedPeer): boolean {
  if (typeof need === "string") return rulePeer === need;
  if ("host" in need) return typeof rulePeer === "object" && rulePeer !== null && (rulePeer as { host?: string }).host === need.host;
  const name = (rulePeer as { service?: string } | null)?.service;
  return site.containers.some((c) => c.name === name && c.kind === need.kind);
}

const sites = cloneSites();
for (const site of sites.all) {
  for (const c of site.containers) {
    const alarmPath = (site.backup as { alarmPath: { via: string; container?: string } }).alarmPath;
    for (const need of neededFlows(c.kind, alarmPath.via === "relay" && alarmPath.container === c.name)) {
      test(`${site.name}'s ${c.name} without "${need.flow}" is refused, naming it`, () => {
        const broken = cloneSites();
        const s = broken.all.find((x) => x.name === site.name) as SiteSpecInput;
        const target = s.containers.find((x) => x.name === c.name) as ContainerInput;
        const side = need.type === "in" ? target.firewall.inbound : target.firewall.outbound;
        const peerOf = (r: RuleInput) => ("from" in r ? r.from : r.to);
        // The need's ports out of every rule that carries them; a rule left with none goes.
        const kept = side
          .map((r) => (r.proto === need.proto && samePeer(s, peerOf(r), need.peer) ? { ...r, ports: (r.ports ?? []).filter((p) => !need.ports.includes(Number(p))) } : r))
          .filter((r) => r.ports === undefined || r.ports.length > 0);
        (side as RuleInput[]).splice(0, side.length, ...kept);
        const problems = problemsOf(broken.all);
        assert.ok(
          problems.some((p) => p.startsWith(`sites.${site.name}.containers[${c.name}].firewall.`) && p.includes(`expected ${need.flow}: a ${c.kind} needs it`)),
          problems.join("\n"),
        );
      });
    }
  }
}

test("an opening no flow needs is refused, and so is an unknown kind", () => {
  const broken = cloneSites();
  const web = broken.rouans.containers.find((c) => c.name === "web") as ContainerInput;
  web.firewall.inbound.push({ proto: "tcp", ports: [3306], from: "internet", comment: "MySQL, opened by mistake" });
  const relay = broken.sthilaire.containers.find((c) => c.name === "relay") as ContainerInput;
  (relay as { kind: string }).kind = "smtp";
  assert.deepEqual(problemsOf(broken.all), [
    'sites.sthilaire.containers[relay].kind: found "smtp", expected one of web, plesk-mail, nextcloud, relay (src/firewall/service-needs.ts says what each needs)',
    'sites.rouans.containers[web].firewall.inbound: found "in tcp 3306 from internet", expected only the flows a web needs (src/firewall/service-needs.ts): remove it, or add the flow there with its source',
  ]);
});

test("the relay that carries the host's alarms must take them, and another must not", () => {
  const broken = cloneSites();
  broken.sthilaire.backup.alarmPath = { via: "submission", host: "outbound-server", serverName: "smtp.example.org", username: "alarms" };
  assert.deepEqual(problemsOf(broken.all), [
    'sites.sthilaire.containers[relay].firewall.inbound: found "in tcp 25 from site-host", expected only the flows a relay needs (src/firewall/service-needs.ts): remove it, or add the flow there with its source',
  ]);
});

test("mail whose site has no relay is told it needs one", () => {
  const broken = cloneSites();
  broken.sthilaire.containers = broken.sthilaire.containers.filter((c) => c.name !== "relay");
  const problems = problemsOf(broken.all).filter((p) => p.includes("no relay service"));
  assert.ok(problems.some((p) => p.startsWith("sites.sthilaire.containers[mail].firewall.outbound: found \"no relay service on sthilaire\"")), problems.join("\n"));
});
