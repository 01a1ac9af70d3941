/**
 * The plan-speed sites must be sites the program accepts: a refused spec would
 * time the validation, not the plan.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { sitesWithContainers } from "../../scripts/bench/generated-sites";
import { validateSiteSpecs } from "../../src/program";

for (const n of [10, 100, 250]) {
  test(`the generated site with ${n} containers passes every rule`, () => {
    const { sites, problems } = validateSiteSpecs(sitesWithContainers(n));
    assert.deepEqual(problems, []);
    assert.equal(sites.find((s) => s.name === "rouans")?.containers.length, n);
  });
}

test("a size outside 1..2000 is refused rather than generated", () => {
  assert.throws(() => sitesWithContainers(0), /expected 1\.\.2000/);
});
