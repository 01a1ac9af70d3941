/**
 * The Proxmox API token a run uses. It lives in the environment
 * (`PROXMOX_VE_API_TOKEN`), never in the stack file: the provider reads that
 * variable itself when its `apiToken` input is unset (bpg's provider
 * `Configure`, fwprovider/provider.go and proxmoxtf/provider/provider.go), so
 * the token is not an input of the provider resource. Were it an input, CI's
 * preview with its read-only token would propose to update the provider on
 * every run and `--expect-no-changes` would always fail. The program still
 * judges the token before anything is registered; only its id (before the
 * `=`) is ever shown.
 */
import { type Problem } from "../problems";
import { PVE_TOKEN_ROLES, roleOfToken, tokenId } from "../access/pve-roles";

/** The variable both the program and the provider read. */
export const API_TOKEN_VARIABLE = "PROXMOX_VE_API_TOKEN";

/**
 * Where the runbook finds a site's deploy token: one run goes through both
 * stacks, and its one process cannot have its environment changed between
 * steps, so it holds each site's token under its own name and passes it to
 * each pulumi step as PROXMOX_VE_API_TOKEN.
 */
export function siteTokenVariable(site: string): string {
  return `${API_TOKEN_VARIABLE}_${site.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/**
 * What is wrong with the token of this run, if anything.
 * @param dryRun a preview (either role's token) rather than an update (the deploy token only).
 * @param variable the environment variable it came from.
 */
export function apiTokenProblems(token: string | undefined, dryRun: boolean, variable = API_TOKEN_VARIABLE): Problem[] {
  const { deploy, preview } = PVE_TOKEN_ROLES;
  const path = `env.${variable}`;
  if (token === undefined || token === "") {
    const how = `read -rs ${variable} && export ${variable}${variable === API_TOKEN_VARIABLE ? ' (README, "Deploy for real")' : ""}`;
    return [{ path, found: "no value", expected: `this site's deploy token ${tokenId(deploy)}=<uuid> in the environment: ${how}` }];
  }
  // The provider sends `Authorization: PVEAPIToken=<token>` itself: the prefix given here would be sent twice.
  if (token.startsWith("PVEAPIToken=")) {
    return [{ path, found: "[secret]", expected: `the token without its PVEAPIToken= prefix, such as ${tokenId(deploy)}=<uuid>: the provider adds the prefix` }];
  }
  if (!/^[\w.-]+@[\w.-]+![\w.-]+=[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(token)) {
    return [{ path, found: "[secret]", expected: `a Proxmox API token such as ${tokenId(deploy)}=<uuid>` }];
  }
  const role = roleOfToken(token);
  const id = token.split("=")[0] ?? "";
  if (role === undefined) {
    return [{ path, found: `the token ${id}`, expected: `the deploy token ${tokenId(deploy)}, or CI's read-only ${tokenId(preview)} for a preview (no broader token: docs/access.md)` }];
  }
  if (role.name !== "deploy" && !dryRun) {
    return [{ path, found: `the ${role.name} token ${id} for an update`, expected: `the deploy token ${tokenId(deploy)}: the ${role.name} token can only read` }];
  }
  return [];
}
