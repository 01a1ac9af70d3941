/**
 * The `--target` URNs the runbook passes to `pulumi up`, picked from the offline
 * plan of the stack (the same code as `npm run plan`), never typed from memory.
 * A component is targeted with every resource under it.
 */
export interface PlanResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly parent: string;
  readonly inputs: Record<string, unknown>;
}

const TYPE = {
  provider: "pulumi:providers:proxmoxve",
  template: "proxmoxve:download/file:File",
  container: "proxmoxve:index/containerLegacy:ContainerLegacy",
  job: "proxmoxve:backup/job:Job",
  backupServer: "retzien:proxmox:BackupServer",
  siteLink: "retzien:proxmox:SiteLink",
  offsiteSync: "retzien:proxmox:OffsiteSync",
} as const;

function urns(resources: readonly PlanResource[], pick: (r: PlanResource) => boolean, what: string): string[] {
  const found = resources.filter(pick).map((r) => r.urn);
  if (found.length === 0) throw new Error(`the plan has no ${what}: the runbook and the program disagree`);
  return found;
}

/** The components picked, and every resource under them (children, grandchildren...). */
function subtrees(resources: readonly PlanResource[], pick: (r: PlanResource) => boolean, what: string): string[] {
  const roots = urns(resources, pick, what);
  const out = [...roots];
  for (let i = 0; i < out.length; i += 1) out.push(...resources.filter((r) => r.parent === out[i]).map((r) => r.urn));
  return out;
}

/**
 * What a fresh host needs first: the provider, the template, its PBS (install,
 * datastore, tokens, jobs, storages), its site link, and its pulls of the sites
 * it holds (their published fingerprints and tokens did not change).
 */
export function foundationTargets(resources: readonly PlanResource[]): string[] {
  return [
    ...urns(resources, (r) => r.type === TYPE.provider, "Proxmox provider"),
    ...urns(resources, (r) => r.type === TYPE.template, "LXC template"),
    ...subtrees(resources, (r) => r.type === TYPE.backupServer, "backup server"),
    ...subtrees(resources, (r) => r.type === TYPE.siteLink, "site link"),
    ...subtrees(resources, (r) => r.type === TYPE.offsiteSync, "pull of another site"),
  ];
}

/** The containers with these VMIDs. */
export function containerTargets(resources: readonly PlanResource[], vmids: readonly number[]): string[] {
  return vmids.flatMap((vmid) => urns(resources, (r) => r.type === TYPE.container && r.inputs["vmId"] === vmid, `container ${vmid}`));
}

/** The nightly backup job. */
export function backupTargets(resources: readonly PlanResource[]): string[] {
  return urns(resources, (r) => r.type === TYPE.job, "backup job");
}

/**
 * In the survivor's plan: what trusts `site`'s host, which a rebuild changed:
 * the survivor's site link (the new host's WireGuard key) and its pull of `site`
 * (the new PBS's fingerprint and the new token).
 */
export function peerTrustTargets(resources: readonly PlanResource[], site: string): string[] {
  return [
    ...subtrees(resources, (r) => r.type === TYPE.siteLink, "site link"),
    ...subtrees(resources, (r) => r.type === TYPE.offsiteSync && r.name.endsWith(`-pull-${site}`), `pull of ${site}`),
  ];
}
