/**
 * What each kind of Proxmox VE resource the program declares needs of the API
 * token, to write it (`pulumi up`) and to read it (`pulumi preview --refresh`),
 * with the ACL path Proxmox checks and why. Taken from each API method's
 * `permissions` (and the checks in its code) in Proxmox's sources: pve-container
 * `API2/LXC.pm` and `LXC.pm` (check_ct_modify_config_perm), pve-storage
 * `API2/Storage/Status.pm` (download_url) and `Storage.pm` (check_volume_access),
 * pve-manager `API2/Backup.pm`, pve-firewall `Firewall.pm` (rules_*_permissions)
 * and `API2/Firewall/{Host,Cluster}.pm`.
 * The roles in `pve-roles.ts` are checked against these by the tests: a new
 * kind of resource without an entry here, or a role granting more, fails them.
 */

/** A privilege on an ACL path, with the reason it is needed. */
export interface Grant {
  readonly privilege: string;
  /** `/`, `/nodes`, `/storage`, `/vms`, `/sdn/zones/localnetwork`: granted with propagation. */
  readonly path: string;
  readonly why: string;
}

export interface ResourceNeeds {
  /** To create, update and delete it. */
  readonly write: readonly Grant[];
  /** To read it back (refresh, preview). */
  readonly read: readonly Grant[];
}

const vmAudit: Grant = { privilege: "VM.Audit", path: "/vms", why: "read a guest's config, status and firewall" };
const datastoreAudit: Grant = { privilege: "Datastore.Audit", path: "/storage", why: "read storage definitions and their content lists" };
const sysAuditRoot: Grant = { privilege: "Sys.Audit", path: "/", why: "read cluster-level settings: backup jobs, firewall options and IP sets" };
const sysAuditNodes: Grant = { privilege: "Sys.Audit", path: "/nodes", why: "read the node's firewall and task logs" };
const sysModifyRoot: Grant = {
  privilege: "Sys.Modify",
  path: "/",
  why: "change cluster-level settings: backup jobs, the firewall switch and IP sets; lets the template download reach the network",
};

/**
 * The host's PBS storages (`pbs` and `pbs-<source>` for each source it holds):
 * an ACL path the bootstrap expands per host.
 */
export const PBS_STORAGES_PATH = "/storage/<PBS storages>";

/** Keyed by the provider's type token, as the engine registers it. */
export const PVE_RESOURCE_NEEDS: Readonly<Record<string, ResourceNeeds>> = {
  "proxmoxve:index/containerLegacy:ContainerLegacy": {
    write: [
      { privilege: "VM.Allocate", path: "/vms", why: "create and destroy the container; set its nesting feature" },
      { privilege: "VM.Config.CPU", path: "/vms", why: "set its cores" },
      { privilege: "VM.Config.Memory", path: "/vms", why: "set its memory and swap" },
      { privilege: "VM.Config.Disk", path: "/vms", why: "set its root disk and mount points" },
      { privilege: "VM.Config.Network", path: "/vms", why: "set its NIC and addresses" },
      { privilege: "VM.Config.Options", path: "/vms", why: "set its description, tags, start-up order, protection" },
      { privilege: "VM.PowerMgmt", path: "/vms", why: "start it after creation, stop it before deletion" },
      { privilege: "Datastore.AllocateSpace", path: "/storage", why: "allocate its root disk and mount-point volumes, and use the template" },
      { privilege: "SDN.Use", path: "/sdn/zones/localnetwork", why: "attach its NIC to the bridge (checked since PVE 8)" },
      vmAudit,
      datastoreAudit,
    ],
    read: [vmAudit],
  },
  "proxmoxve:download/file:File": {
    // download-url: AllocateTemplate on the storage, and Sys.Audit + Sys.Modify on /
    // (or the newer Sys.AccessNetwork on the node): it lets the host fetch any URL.
    write: [{ privilege: "Datastore.AllocateTemplate", path: "/storage", why: "download the LXC template to the storage" }, sysModifyRoot, sysAuditRoot, datastoreAudit],
    read: [datastoreAudit],
  },
  "proxmoxve:storage/pbs:Pbs": {
    write: [{ privilege: "Datastore.Allocate", path: "/storage", why: "define the PBS storages PVE backs up to" }, datastoreAudit],
    // pve-storage's GET /storage/{storage} checks Datastore.Allocate: no audit privilege reads a storage's definition.
    read: [{ privilege: "Datastore.Allocate", path: PBS_STORAGES_PATH, why: "read the PBS storages' definitions (PVE asks Allocate even to read one)" }],
  },
  "proxmoxve:backup/job:Job": {
    // The job runs as root by the scheduler: naming guests needs no VM.Backup, its storage needs Allocate.
    write: [sysModifyRoot, { privilege: "Datastore.Allocate", path: "/storage", why: "name the PBS storage the nightly job writes to" }, sysAuditRoot],
    read: [sysAuditRoot],
  },
  "proxmoxve:firewall/rulesLegacy:RulesLegacy": {
    write: [
      { privilege: "VM.Config.Network", path: "/vms", why: "write a container's firewall rules" },
      { privilege: "Sys.Modify", path: "/nodes", why: "write the host's firewall rules" },
      vmAudit,
      sysAuditNodes,
    ],
    read: [vmAudit, sysAuditNodes],
  },
  "proxmoxve:firewall/optionsLegacy:OptionsLegacy": {
    write: [{ privilege: "VM.Config.Network", path: "/vms", why: "set a container's firewall policies" }, vmAudit],
    read: [vmAudit],
  },
  "proxmoxve:firewall/ipsetLegacy:IpsetLegacy": {
    write: [sysModifyRoot, sysAuditRoot],
    read: [sysAuditRoot],
  },
  // A cluster alias: pve-firewall's rules_modify_permissions for the cluster, Sys.Modify on / (rules_audit_permissions: Sys.Audit).
  "proxmoxve:firewall/aliasLegacy:AliasLegacy": {
    write: [sysModifyRoot, sysAuditRoot],
    read: [sysAuditRoot],
  },
  "proxmoxve:cluster/firewallLegacy:FirewallLegacy": {
    write: [sysModifyRoot, sysAuditRoot],
    read: [sysAuditRoot],
  },
  "proxmoxve:node/firewall:Firewall": {
    write: [{ privilege: "Sys.Modify", path: "/nodes", why: "switch the host's firewall on" }, sysAuditNodes],
    read: [sysAuditNodes],
  },
};

/** `privilege@path`, the unit roles are compared in. */
export const grantKey = (g: Pick<Grant, "privilege" | "path">): string => `${g.privilege}@${g.path}`;

/**
 * The grants a set of resource types needs, deduplicated and sorted.
 * @throws when a type has no entry: nobody has said what it needs yet.
 */
export function grantsFor(types: Iterable<string>, mode: keyof ResourceNeeds): string[] {
  const keys = new Set<string>();
  for (const type of types) {
    const needs = PVE_RESOURCE_NEEDS[type];
    if (needs === undefined) throw new Error(`no privileges recorded for ${type}: add it to PVE_RESOURCE_NEEDS (src/access/pve-privileges.ts)`);
    for (const g of needs[mode]) keys.add(grantKey(g));
  }
  return [...keys].sort();
}
