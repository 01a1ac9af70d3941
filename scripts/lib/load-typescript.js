/**
 * How this project's own commands and tests load its TypeScript (`node -r
 * ./scripts/lib/load-typescript.js`): ts-node with swc as its transpiler (ts-node's
 * `swc` option), which turns a file into JavaScript many times faster than
 * TypeScript's own transpileModule; that transpiling was most of `npm run plan`'s
 * time (docs/performance.md). Nothing is type-checked here: `npm run typecheck`
 * (tsc) does that, and `pulumi up` loads the program through Pulumi's own ts-node,
 * which type-checks (test/stack/plan-cli.test.ts loads it that way too).
 */
"use strict";
require("./node-version");
require("ts-node").register({ transpileOnly: true, swc: true });
