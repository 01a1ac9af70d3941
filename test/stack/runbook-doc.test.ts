/**
 * docs/runbook.md against the rehearsals: every `npm run rebuild` it tells a
 * volunteer to type is one the engine suite runs end to end
 * (test/engine/rehearsal/rehearsed.ts), once a placeholder is filled with some
 * site or service and the options each run adds are set aside; every host
 * command in its shell blocks is one the PVE tools take (their vocabulary).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { validateSiteSpecs } from "../../src/program";
import { allSites } from "../../stacks/sites";
import { PER_RUN, REHEARSED } from "../engine/rehearsal/rehearsed";
import { PROJECT_ROOT } from "../helpers/stacks";

const DOC = readFileSync(join(PROJECT_ROOT, "docs", "runbook.md"), "utf8");
const { sites } = validateSiteSpecs(allSites);

/** `--opt value` pairs and switches, order aside, without what each run adds and --dry-run (which prints the steps a run runs). */
function optionsOf(argv: readonly string[]): string[] {
  const pairs: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const option = argv[i] ?? "";
    const value = argv[i + 1] !== undefined && !(argv[i + 1] ?? "").startsWith("--") ? argv[(i += 1)] : undefined;
    if (option === "--dry-run" || (PER_RUN as readonly string[]).includes(option)) continue;
    pairs.push(value === undefined ? option : `${option} ${value}`);
  }
  return pairs.sort();
}

/** The command with each placeholder filled every way the sites allow. */
function filled(command: string): string[] {
  return sites.flatMap((site) => {
    const withSite = command.replaceAll("<site>", site.name);
    return withSite.includes("<service>") ? site.containers.map((c) => withSite.replaceAll("<service>", c.name)) : [withSite];
  });
}

test("every npm run rebuild in docs/runbook.md is one the engine suite's rehearsals run", () => {
  const commands = [...new Set([...DOC.matchAll(/npm run rebuild -- ([^`\n]+)/g)].map((m) => (m[1] ?? "").trim()))];
  assert.ok(commands.length >= 8, commands.join("\n"));
  const rehearsed = Object.values(REHEARSED).map((argv) => optionsOf(argv).join(" "));
  const unrehearsed = commands.filter((c) => !filled(c).some((f) => rehearsed.includes(optionsOf(f.split(/\s+/)).join(" "))));
  assert.deepEqual(unrehearsed, [], `not rehearsed:\n${unrehearsed.join("\n")}\nrehearsed:\n${rehearsed.join("\n")}`);
  // The options every run adds are rehearsed too: --from by the resumed rebuild of rouans.
  assert.ok(commands.some((c) => c.includes("--from")));
});

test("every host command in docs/runbook.md's shell blocks is one the PVE 8.4 and 9.1 tools take", () => {
  const blocks = [...DOC.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => (m[1] ?? "").split("\n"));
  const calls = blocks
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line.startsWith("ssh "))
    .map((line) => line.replace(/^ssh root@<host> /, "").replaceAll("<vmid>", "210").replaceAll("<time>", "2026-12-01T01:30:00Z").replace(/ --rootfs \.\.\. --mp0 \.\.\.$/, " --rootfs local-lvm:32"));
  assert.ok(calls.length >= 2, calls.join("\n"));
  for (const version of ["8", "9"]) {
    for (const call of calls) {
      const run = spawnSync(process.execPath, [join(PROJECT_ROOT, "test", "fixtures", "lib", "pve-cli.js"), ...call.split(/\s+/)], { encoding: "utf8", env: { ...process.env, PVE_VERSION: version } });
      assert.equal(run.status, 0, `PVE ${version} refuses: ${call}\n${run.stderr}`);
    }
  }
});
