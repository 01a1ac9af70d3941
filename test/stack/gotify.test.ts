/**
 * A site with a Gotify server: its targets on PBS and PVE are secret commands of
 * their own, made before the matchers that name them, and the token reaches
 * neither the plan's inputs nor its outputs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readStackFile } from "../../scripts/lib/stack-file";
import type { SiteSpecInput } from "../../src/site/schema";
import { PROJECT, PROJECT_ROOT, TYPES, byName, cloneSites, runStack } from "../helpers/stacks";

const SERVER = "https://push.example.org";

test("a Gotify server: secret targets on PBS and PVE before the matchers that name them, the token nowhere in the plan", async () => {
  const sites = cloneSites();
  (sites.rouans.backup as SiteSpecInput["backup"]).gotify = { server: SERVER };
  (globalThis as { __retzienSites?: SiteSpecInput[] }).__retzienSites = sites.all;
  const token = `A${randomBytes(9).toString("base64url")}`;
  const run = await runStack("rouans", {
    main: "test/fixtures/program-with-sites.ts",
    config: (c) => void (c[`${PROJECT}:gotifyToken`] = token),
    secretKeys: [...readStackFile(PROJECT_ROOT, "rouans").secretKeys, `${PROJECT}:gotifyToken`],
  });
  const pbsGotify = byName(run, TYPES.command, "rouans-pbs-gotify");
  const pveGotify = byName(run, TYPES.command, "rouans-nightly-gotify");
  for (const r of [pbsGotify, pveGotify]) assert.equal(r.inputs["create"], "[secret]", `${r.name}: its create holds the token`);
  const pbsNotify = byName(run, TYPES.command, "rouans-pbs-notify");
  const pveNotify = byName(run, TYPES.command, "rouans-nightly-notify");
  assert.ok(pbsNotify.dependsOn.includes(pbsGotify.urn), "PBS's matcher after its target");
  assert.ok(pveNotify.dependsOn.includes(pveGotify.urn), "PVE's matcher after its target");
  assert.match(String(pbsNotify.inputs["create"]), /notification matcher create retzien-failures --target retzien-operators --target retzien-gotify /);
  assert.match(String(pveNotify.inputs["create"]), /--name retzien-failures --target retzien-operators --target retzien-gotify /);
  // The drills and the watch, whose mailer pushes with the token file, come after it.
  for (const unit of ["rouans-watch-timer", "rouans-drill-timer"]) {
    assert.ok(byName(run, TYPES.command, unit).dependsOn.includes(pbsGotify.urn), `${unit} after the token file exists`);
  }
  assert.ok(!JSON.stringify(run.resources).includes(token), "the token is in no input");
  assert.ok(!JSON.stringify(run.outputs).includes(token), "the token is in no output");

  // Without a Gotify server, nothing of it.
  const plain = await runStack("rouans");
  assert.equal(plain.resources.filter((r) => r.name.endsWith("-gotify")).length, 0);
  assert.match(String(byName(plain, TYPES.command, "rouans-pbs-notify").inputs["create"]), /--target retzien-operators --match-severity/);
});
