/**
 * The Proxmox VE API tokens, one per role, each with only what its role needs.
 * They are made once per host by the bootstrap (`npm run bootstrap`), as root:
 * the deploy token itself cannot make tokens or change ACLs, so a leaked one
 * cannot grant itself more. PBS's own tokens are made by the program
 * (src/backup/pbs-commands.ts).
 */
import { PBS_STORAGES_PATH, grantKey } from "./pve-privileges";

export type PveRoleName = "deploy" | "preview";

export interface PveTokenRole {
  readonly name: PveRoleName;
  /** Who uses it, and for what. */
  readonly purpose: string;
  /** A user of the `pve` realm with no password: it exists only to own the token. */
  readonly user: string;
  readonly tokenName: string;
  /** Privileges by ACL path; one Proxmox role per path, named `<rolePrefix><label>`. */
  readonly rolePrefix: string;
  readonly acls: readonly { readonly path: string; readonly label: string; readonly privileges: readonly string[] }[];
}

export const PVE_TOKEN_ROLES: Readonly<Record<PveRoleName, PveTokenRole>> = {
  deploy: {
    name: "deploy",
    purpose: "operators' pulumi up (and the runbook): creates, changes and deletes what the program declares",
    user: "pulumi@pve",
    tokenName: "deploy",
    rolePrefix: "RetzienDeploy",
    acls: [
      { path: "/", label: "Cluster", privileges: ["Sys.Audit", "Sys.Modify"] },
      { path: "/nodes", label: "Nodes", privileges: ["Sys.Audit", "Sys.Modify"] },
      { path: "/storage", label: "Storage", privileges: ["Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit"] },
      {
        path: "/vms",
        label: "Guests",
        privileges: ["VM.Allocate", "VM.Audit", "VM.Config.CPU", "VM.Config.Disk", "VM.Config.Memory", "VM.Config.Network", "VM.Config.Options", "VM.PowerMgmt"],
      },
      { path: "/sdn/zones/localnetwork", label: "Network", privileges: ["SDN.Use"] },
    ],
  },
  preview: {
    name: "preview",
    purpose: "CI's pulumi preview --refresh: reads everything the program declares, changes nothing",
    user: "ci@pve",
    tokenName: "preview",
    rolePrefix: "RetzienPreview",
    acls: [
      { path: "/", label: "Cluster", privileges: ["Sys.Audit"] },
      { path: "/nodes", label: "Nodes", privileges: ["Sys.Audit"] },
      { path: "/storage", label: "Storage", privileges: ["Datastore.Audit"] },
      { path: "/vms", label: "Guests", privileges: ["VM.Audit"] },
      // The one privilege beyond audit: PVE reads a storage's definition only for Allocate. On the PBS storages alone.
      { path: PBS_STORAGES_PATH, label: "PbsStorages", privileges: ["Datastore.Allocate"] },
    ],
  },
};

/** `user!token`, how Proxmox names a token (and the part of the secret before `=`). */
export const tokenId = (role: PveTokenRole): string => `${role.user}!${role.tokenName}`;

/** Every `privilege@path` a role grants, sorted. */
export function roleGrants(role: PveTokenRole): string[] {
  return role.acls.flatMap((acl) => acl.privileges.map((privilege) => grantKey({ privilege, path: acl.path }))).sort();
}

/** The role whose token this is (`user@realm!name=secret`), if any; never looks past the `=`. */
export function roleOfToken(token: string): PveTokenRole | undefined {
  const id = token.split("=")[0];
  return Object.values(PVE_TOKEN_ROLES).find((role) => tokenId(role) === id);
}
