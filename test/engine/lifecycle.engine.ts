/**
 * The real Pulumi engine (CLI v3.276.0, built from Go modules) runs the
 * project's own stacks/index.ts for both sites through the Automation API,
 * against the stand-in providers and fake hosts (test/engine/).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { TYPES, cloneSites } from "../helpers/stacks";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { type Engine, SITES, type SiteName, changesOf, startEngine } from "./harness";
import { sendAlarm } from "./alarm-send";
import { type SiteSpec, siteSchema } from "../../src/site/schema";
import { ALARM_PASSWORD_MAP, alarmRouteOf } from "../../src/host/alarm-path";
import { hostAddress } from "../../src/firewall/compile";
import { DRILL_PATHS } from "../../src/drill/drill-commands";

const CONTAINER = TYPES.container;

let engine: Engine;
before(async () => {
  engine = await startEngine();
});
after(() => engine?.remove());

test("both stacks come up on empty hosts, the first again once the second has published, then preview --expect-no-changes passes for both", async () => {
  const [rouans, sthilaire] = await Promise.all(SITES.map((s) => engine.stack(s)));
  if (rouans === undefined || sthilaire === undefined) throw new Error("no stacks");
  const first = await rouans.up();
  assert.equal(first.summary.result, "succeeded");
  // sthilaire had published nothing yet: rouans waits with the link and the pull.
  assert.equal(Object.keys(first.outputs).includes("backupServer"), true);
  const second = await sthilaire.up();
  assert.equal(second.summary.result, "succeeded");
  const again = await rouans.up();
  assert.equal(again.summary.result, "succeeded");
  assert.ok((again.summary.resourceChanges?.["create"] ?? 0) > 0, "rouans' second up makes the link and the pull it waited for");
  for (const stack of [rouans, sthilaire]) {
    const preview = await stack.preview({ expectNoChanges: true });
    assert.deepEqual(Object.keys(changesOf(preview.changeSummary)), [], `${stack.name}: ${JSON.stringify(preview.changeSummary)}`);
  }
  // What the program made exists on the hosts: the containers, and the PBS objects the stand-ins keep.
  assert.deepEqual(Object.keys(engine.host("rouans").objects(CONTAINER)), ["110"]);
  assert.deepEqual(Object.keys(engine.host("sthilaire").objects(CONTAINER)).sort(), ["210", "220", "230"]);
  assert.match(engine.host("rouans").file("/etc/wireguard/wg-retzien.conf") ?? "", /^Endpoint = sthilaire\.retzien\.fr:51820$/m);
});

test("each host's alarms leave by its alarm path, in its real Postfix: sthilaire's through its relay, rouans' by submission over checked TLS with its account; the password is in no state", () => {
  // Runs on the hosts the first test brought up.
  const sites = Object.fromEntries(SITES.map((name) => [name, siteSchema.parse(cloneSites()[name])]));
  for (const [name, spec] of Object.entries(sites) as [SiteName, SiteSpec][]) {
    const host = engine.host(name);
    const route = alarmRouteOf(spec);
    const [address = "", port = ""] = route.relayhost.replace(/^\[/, "").split("]:");
    const sink =
      route.via === "relay"
        ? { address, port: Number(port) }
        : {
            address: hostAddress((spec.firewall.hosts[(spec.backup.alarmPath as { host: string }).host] ?? [])[0] ?? ""),
            port: Number(port),
            tls: { serverName: route.server },
            auth: { user: route.username, password: engine.secretOf(name, "alarmPassword") },
          };
    assert.ok(host.file(DRILL_PATHS.mailer) !== undefined, `${name}: the program installed its mailer`);
    const { run, received } = sendAlarm(host, sink, { mailer: DRILL_PATHS.mailer, to: spec.backup.mailTo, subject: "alarm path test" }, join(engine.dir, "alarm", name));
    assert.deepEqual(
      received && { to: received.to, tls: received.tls, user: received.user, subject: received.subject?.startsWith("retzien: alarm path test on ") },
      { to: spec.backup.mailTo, tls: route.via === "submission", user: route.via === "submission" ? route.username : null, subject: true },
      `${name}: ${run.stdout}\n${run.stderr}`,
    );
    // Postfix knows every parameter the program set (postconf warns of one it does not use).
    const check = host.run("postconf -n >/dev/null");
    assert.equal(check.stderr, "", `${name}: ${check.stderr}`);
    if (route.via === "submission") {
      const mode = host.run(`stat -c %a ${ALARM_PASSWORD_MAP}`);
      assert.equal(mode.stdout.trim(), "600", `${name}: the password map is root's alone`);
    }
  }
  // The password went to the host, and nowhere in the state in clear.
  const password = engine.secretOf("rouans", "alarmPassword");
  const state = spawnSync("grep", ["-rl", "--", password, join(engine.dir, "state")], { encoding: "utf8" });
  assert.equal(state.status, 1, `found in ${state.stdout}`);
});
