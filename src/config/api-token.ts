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

const PATH = `env.${API_TOKEN_VARIABLE}`;
const HOW = `read -rs ${API_TOKEN_VARIABLE} && export ${API_TOKEN_VARIABLE} (README, "Deploy for real")`;

/**
 * What is wrong with the token of this run, if anything.
 * @param dryRun a preview (either role's token) rather than an update (the deploy token only).
 */
export function apiTokenProblems(token: string | undefined, dryRun: boolean): Problem[] {
  const { deploy, preview } = PVE_TOKEN_ROLES;
  if (token === undefined || token === "") {
    return [{ path: PATH, found: "no value", expected: `this site's deploy token ${tokenId(deploy)}=<uuid> in the environment: ${HOW}` }];
  }
  // The provider sends `Authorization: PVEAPIToken=<token>` itself: the prefix given here would be sent twice.
  if (token.startsWith("PVEAPIToken=")) {
    return [{ path: PATH, found: "[secret]", expected: `the token without its PVEAPIToken= prefix, such as ${tokenId(deploy)}=<uuid>: the provider adds the prefix` }];
  }
  if (!/^[\w.-]+@[\w.-]+![\w.-]+=[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(token)) {
    return [{ path: PATH, found: "[secret]", expected: `a Proxmox API token such as ${tokenId(deploy)}=<uuid>` }];
  }
  const role = roleOfToken(token);
  const id = token.split("=")[0] ?? "";
  if (role === undefined) {
    return [{ path: PATH, found: `the token ${id}`, expected: `the deploy token ${tokenId(deploy)}, or CI's read-only ${tokenId(preview)} for a preview (no broader token: docs/access.md)` }];
  }
  if (role.name !== "deploy" && !dryRun) {
    return [{ path: PATH, found: `the ${role.name} token ${id} for an update`, expected: `the deploy token ${tokenId(deploy)}: the ${role.name} token can only read` }];
  }
  return [];
}
