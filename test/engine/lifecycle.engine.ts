/**
 * The real Pulumi engine (CLI v3.276.0, built from Go modules) runs the
 * project's own stacks/index.ts for both sites through the Automation API,
 * against the stand-in providers and fake hosts (test/engine/).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { TYPES } from "../helpers/stacks";
import { type Engine, SITES, changesOf, startEngine } from "./harness";

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
