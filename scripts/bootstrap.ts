/**
 * `npm run bootstrap -- --site NAME [--role deploy|preview]... [--update]`: the
 * commands that make the Proxmox VE tokens the program and CI use, to run once
 * as root on that site's host; with `--update`, those that bring existing roles
 * to the table after a change; with `--status-key FILE`, those that let that
 * public key run the status probe and nothing else. Prints them; runs nothing.
 */
import { readFileSync } from "node:fs";
import { bootstrapCommands, clientCheckLines, hostCheckLines, pbsStorageIdsOf, roleUpdateCommands, statusKeyCommands, statusKeyLine } from "../src/access/bootstrap";
import { PVE_TOKEN_ROLES, type PveRoleName, tokenId } from "../src/access/pve-roles";
import { API_TOKEN_VARIABLE } from "../src/config/api-token";
import { PAIRING } from "../src/offsite/pairing";
import { validateSiteSpecs } from "../src/program";
import { WATCH_PATHS } from "../src/watch/watch-commands";
import { allSites } from "../stacks/sites";
import { parseCommandLine } from "./lib/command-line";
import { exitAfterFlush } from "./lib/exit";

const USAGE =
  "usage: npm run bootstrap -- --site NAME [--role deploy|preview]... [--update] [--status-key FILE]\nPrints the pveum commands that make the Proxmox VE tokens by role (all roles by default), to run once as root on that site's host;\n--update prints those that bring the existing roles to the program's table instead;\n--status-key FILE (an OpenSSH public key) prints those that let that key run the status probe on the host, and nothing else.";

function main(): number {
  const values = parseCommandLine({ site: { type: "string" }, role: { type: "string", multiple: true }, update: { type: "boolean" }, "status-key": { type: "string" } }, USAGE);
  if (typeof values === "number") return values;
  const { sites } = validateSiteSpecs(allSites);
  const site = sites.find((s) => s.name === values.site);
  if (site === undefined) {
    process.stderr.write(`--site: found ${values.site ?? "nothing"}, expected one of ${sites.map((s) => s.name).join(", ")}\n${USAGE}\n`);
    return 2;
  }
  const keyFile = values["status-key"];
  if (keyFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(keyFile, "utf8");
    } catch (error) {
      process.stderr.write(`--status-key: cannot read ${keyFile} (${(error as NodeJS.ErrnoException).code ?? String(error)}), expected an OpenSSH public key file\n`);
      return 2;
    }
    const status = statusKeyLine(text, WATCH_PATHS.probe);
    if (!status.ok) {
      process.stderr.write(`--status-key: found ${keyFile} without one, expected ${status.reason}\n`);
      return 2;
    }
    process.stdout.write(
      [
        ...hostCheckLines(),
        `# Run as root on ${site.name}'s host, once: this key may run the status probe (installed by the dead-man watch) as root, and nothing else.`,
        ...statusKeyCommands(status.line),
        `# then, on the machine that runs npm run status (a cron job, say), a Host entry for ${site.name} with that key, and: npm run status -- --ssh ${site.name}=<that Host>`,
        "",
      ].join("\n"),
    );
    return 0;
  }
  const names = (values.role ?? Object.keys(PVE_TOKEN_ROLES)) as string[];
  const unknown = names.filter((n) => !(n in PVE_TOKEN_ROLES));
  if (unknown.length > 0) {
    process.stderr.write(`--role: found ${unknown.join(", ")}, expected one of ${Object.keys(PVE_TOKEN_ROLES).join(", ")}\n${USAGE}\n`);
    return 2;
  }
  if (values.update) {
    const lines = (names as PveRoleName[]).flatMap((name) => roleUpdateCommands(PVE_TOKEN_ROLES[name]));
    process.stdout.write(`${[...hostCheckLines(), "# Run as root on each host: the roles get exactly the program's privileges.", ...lines].join("\n")}\n`);
    return 0;
  }
  const out: string[] = [...hostCheckLines(), ...clientCheckLines(site), `# Run as root on ${site.name}'s host, once (npm run --silent bootstrap -- --site ${site.name} | ssh root@<host> bash). Each token's secret is printed once: keep it.`];
  for (const name of names as PveRoleName[]) {
    const role = PVE_TOKEN_ROLES[name];
    out.push("", `# ${tokenId(role)}: ${role.purpose}`, ...bootstrapCommands(role, pbsStorageIdsOf(site, sites, PAIRING)));
    out.push(
      name === "deploy"
        ? `# then, keep ${tokenId(role)}=<the secret printed above> in the operators' password manager as ${site.name}'s deploy token; each pulumi run for ${site.name} reads it from ${API_TOKEN_VARIABLE} (read -rs ${API_TOKEN_VARIABLE} && export ${API_TOKEN_VARIABLE})`
        : `# then, in the repository's CI secret PROXMOX_PREVIEW_TOKENS, this host's line: ${site.name} ${tokenId(role)}=<the secret printed above>`,
    );
  }
  process.stdout.write(`${out.join("\n")}\n`);
  return 0;
}

exitAfterFlush(main());
