/**
 * `npm run diagram [-- --check] [--out FILE]`: draws docs/infrastructure.svg from
 * the same offline plan `npm run plan` prints, so the picture cannot drift from
 * the code unnoticed: `--check` (run by CI) exits 1 when the committed SVG is not
 * what the plan draws now. Graphviz runs as WebAssembly (@viz-js/viz): no system
 * binary, no network, and the same version on every machine.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { instance } from "@viz-js/viz";
import { formatProblem } from "../src/problems";
import { validateSiteSpecs } from "../src/program";
import { allSites } from "../stacks/sites";
import { parseCommandLine } from "./lib/command-line";
import { buildDot, normalizeSvg } from "./lib/diagram-dot";
import { exitAfterFlush } from "./lib/exit";
import { planStacks } from "./lib/offline-plan";

const PROJECT_ROOT = resolve(__dirname, "..");
const DEFAULT_OUT = "docs/infrastructure.svg";
const USAGE = `usage: npm run diagram -- [--check] [--out FILE]   (FILE defaults to ${DEFAULT_OUT})`;

/** Renders DOT text to the SVG that is committed (Graphviz's self-description removed). */
export async function renderSvg(dot: string): Promise<string> {
  const viz = await instance();
  return normalizeSvg(viz.renderString(dot, { format: "svg", engine: "dot" }));
}

/** The DOT text of the current plan, or the problems that stop the plan. */
export async function currentDot(): Promise<{ ok: true; dot: string } | { ok: false; message: string }> {
  const result = await planStacks(PROJECT_ROOT);
  if (!result.ok) return { ok: false, message: result.problems.map(formatProblem).join("\n") };
  const specs = validateSiteSpecs(allSites);
  if (specs.problems.length > 0) return { ok: false, message: specs.problems.map(formatProblem).join("\n") };
  return { ok: true, dot: buildDot(result.plan.stacks, specs.sites) };
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function main(): Promise<number> {
  const values = parseCommandLine({ check: { type: "boolean" }, out: { type: "string" } }, `${USAGE}\nDraws the sites, containers, backups, offsite pulls and mail path from the offline plan.`);
  if (typeof values === "number") return values;
  const out = resolve(process.cwd(), values.out ?? resolve(PROJECT_ROOT, DEFAULT_OUT));
  const inside = relative(process.cwd(), out);
  const shown = inside.startsWith("..") || inside === "" ? out : inside;
  const current = await currentDot();
  if (!current.ok) {
    process.stderr.write(`${current.message}\n`);
    return 1;
  }
  const svg = await renderSvg(current.dot);
  if (values.check) {
    const committed = readIfExists(out);
    if (committed === svg) {
      process.stdout.write(`${shown} is up to date with the plan\n`);
      return 0;
    }
    const why = committed === undefined ? "does not exist" : "is not what the plan draws now";
    process.stderr.write(`${shown} ${why}: run \`npm run diagram\` and commit the result\n`);
    return 1;
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, svg);
  process.stdout.write(`wrote ${shown} (${svg.length} bytes)\n`);
  return 0;
}

// Imported by the tests for renderSvg/currentDot; runs only as a command.
if (require.main === module) {
  main().then(exitAfterFlush, (error: unknown) => {
    process.stderr.write(`diagram failed: ${error instanceof Error ? error.message : String(error)}\n`);
    exitAfterFlush(3);
  });
}
