/**
 * The README's own text, run as a reader would paste it: the `--json` command
 * gives JSON on stdout, and the "Adding a container" example is accepted by the
 * program as written.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectCopy, runScript } from "../helpers/cli";
import { PROJECT_ROOT } from "../helpers/stacks";

const README = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");

/** The first fenced ```ts block after a heading. */
function codeAfter(heading: string): string {
  const at = README.indexOf(heading);
  assert.ok(at >= 0, `README has no "${heading}"`);
  const block = /```ts\n([\s\S]*?)```/.exec(README.slice(at));
  assert.ok(block?.[1] !== undefined, `no ts block after "${heading}"`);
  return block[1];
}

test("the README's --json command, run as written through npm, prints one JSON document on stdout", () => {
  const line = /`(npm run --silent plan -- --json)[^`]*`/.exec(README)?.[1];
  assert.ok(line !== undefined, "the README names the --json command");
  const [cmd = "", ...args] = line.split(" ");
  const run = spawnSync(cmd, args, { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 120_000 });
  assert.equal(run.status, 0, run.stderr);
  const doc = JSON.parse(run.stdout) as { stacks: { stack: string; resources: unknown[] }[] };
  assert.deepEqual(doc.stacks.map((s) => s.stack), ["rouans", "sthilaire"]);
  assert.ok(doc.stacks.every((s) => s.resources.length > 0));
});

test("the README's container example, pasted into the site it names, plans with no problem: its VMID in the nightly job", () => {
  const example = codeAfter("### Adding a container");
  const copy = projectCopy();
  try {
    const file = join(copy.root, "stacks", "rouans.ts");
    const text = readFileSync(file, "utf8");
    // "At the end of the site's containers list": before the list's closing bracket.
    const end = text.lastIndexOf("  ],\n};");
    assert.ok(end > 0, "stacks/rouans.ts ends with its containers list");
    writeFileSync(file, `${text.slice(0, end)}${example}${text.slice(end)}`);
    const result = runScript("scripts/plan.ts", ["--stack", "rouans", "--json"], copy.root);
    assert.equal(result.status, 0, result.stderr);
    const rouans = (JSON.parse(result.stdout) as { stacks: { resources: { type: string; name: string; inputs: Record<string, unknown> }[] }[] }).stacks[0];
    const job = rouans?.resources.find((r) => r.type === "proxmoxve:backup/job:Job");
    assert.deepEqual(job?.inputs["vmids"], ["110", "140"]);
    assert.ok(rouans?.resources.some((r) => r.type === "retzien:proxmox:ServiceContainer" && r.name === "rouans-wiki"));
  } finally {
    copy.remove();
  }
});
