/**
 * Every command checks the Node major version before anything else, and npm ci
 * refuses another Node: the wiring and the one line it prints.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../helpers/stacks";

const { NEEDED_MAJOR, nodeVersionProblem } = require("../../scripts/lib/node-version.js") as { NEEDED_MAJOR: number; nodeVersionProblem: (v: string) => string | null };
const read = (file: string) => readFileSync(join(PROJECT_ROOT, file), "utf8");

test("on another Node, one line says which Node is needed, which one this is, and how to get it", () => {
  assert.equal(nodeVersionProblem("24.21.0"), null);
  assert.equal(
    nodeVersionProblem("20.20.2"),
    "retzien-infra needs Node 24 (see .nvmrc), and this is Node 20.20.2: install Node 24 LTS (nvm install 24, or npm install --prefix ~/node24 node@24 and put ~/node24/node_modules/.bin first on PATH)",
  );
  assert.notEqual(nodeVersionProblem("25.0.0"), null);
  assert.equal(read(".nvmrc").trim(), String(NEEDED_MAJOR));
});

test("every npm script checks the version first, and npm ci refuses another Node", () => {
  const pkg = JSON.parse(read("package.json")) as { scripts: Record<string, string>; engines: { node: string } };
  for (const [name, script] of Object.entries(pkg.scripts)) {
    const checked = script.startsWith("node -r ./scripts/lib/load-typescript.js ") || script.startsWith("node scripts/lib/node-version.js && ") || /^npm run \w+( && npm run \w+| && npm test)*$/.test(script);
    assert.ok(checked, `npm run ${name} does not check the Node version first: ${script}`);
  }
  assert.match(read("scripts/lib/load-typescript.js"), /^"use strict";\nrequire\("\.\/node-version"\);$/m);
  assert.equal(pkg.engines.node, `>=${NEEDED_MAJOR} <${NEEDED_MAJOR + 1}`);
  assert.match(read(".npmrc"), /^engine-strict=true$/m);
});
