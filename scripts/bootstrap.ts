/**
 * `npm run bootstrap -- --site NAME [--role deploy|preview]... [--update]`: the
 * commands that make the Proxmox VE tokens the program and CI use, to run once
 * as root on that site's host; with `--update`, those that bring existing roles
 * to the table after a change. Prints them; runs nothing.
 */
import { bootstrapCommands, pbsStorageIdsOf, roleUpdateCommands } from "../src/access/bootstrap";
import { PVE_TOKEN_ROLES, type PveRoleName, tokenId } from "../src/access/pve-roles";
import { PAIRING } from "../src/offsite/pairing";
import { validateSiteSpecs } from "../src/program";
import { allSites } from "../stacks/sites";
import { parseCommandLine } from "./lib/command-line";
import { exitAfterFlush } from "./lib/exit";

const USAGE =
  "usage: npm run bootstrap -- --site NAME [--role deploy|preview]... [--update]\nPrints the pveum commands that make the Proxmox VE tokens by role (all roles by default), to run once as root on that site's host;\n--update prints those that bring the existing roles to the program's table instead.";

function main(): number {
  const values = parseCommandLine({ site: { type: "string" }, role: { type: "string", multiple: true }, update: { type: "boolean" } }, USAGE);
  if (typeof values === "number") return values;
  const { sites } = validateSiteSpecs(allSites);
  const site = sites.find((s) => s.name === values.site);
  if (site === undefined) {
    process.stderr.write(`--site: found ${values.site ?? "nothing"}, expected one of ${sites.map((s) => s.name).join(", ")}\n${USAGE}\n`);
    return 2;
  }
  const names = (values.role ?? Object.keys(PVE_TOKEN_ROLES)) as string[];
  const unknown = names.filter((n) => !(n in PVE_TOKEN_ROLES));
  if (unknown.length > 0) {
    process.stderr.write(`--role: found ${unknown.join(", ")}, expected one of ${Object.keys(PVE_TOKEN_ROLES).join(", ")}\n${USAGE}\n`);
    return 2;
  }
  if (values.update) {
    const lines = (names as PveRoleName[]).flatMap((name) => roleUpdateCommands(PVE_TOKEN_ROLES[name]));
    process.stdout.write(`# Run as root on each host: the roles get exactly the program's privileges.\n${lines.join("\n")}\n`);
    return 0;
  }
  const out: string[] = [`# Run as root on ${site.name}'s host (console or SSH), once. Each token's secret is printed once: keep it.`];
  for (const name of names as PveRoleName[]) {
    const role = PVE_TOKEN_ROLES[name];
    out.push("", `# ${tokenId(role)}: ${role.purpose}`, ...bootstrapCommands(role, pbsStorageIdsOf(site, sites, PAIRING)));
    out.push(
      name === "deploy"
        ? `# then, on the operator's machine: pulumi config set --secret --stack ${site.name} apiToken '${tokenId(role)}=<the secret printed above>'`
        : `# then, in the repository's CI secret PROXMOX_PREVIEW_TOKENS, this host's line: ${site.name} ${tokenId(role)}=<the secret printed above>`,
    );
  }
  process.stdout.write(`${out.join("\n")}\n`);
  return 0;
}

exitAfterFlush(main());
