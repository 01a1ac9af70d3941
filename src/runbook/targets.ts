/**
 * The `--target` URNs the runbook passes to `pulumi up`, picked from the offline
 * plan of the stack (the same code as `npm run plan`), never typed from memory.
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
  directory: "proxmoxve:storage/directory:Directory",
  container: "proxmoxve:index/containerLegacy:ContainerLegacy",
  job: "proxmoxve:backup/job:Job",
  command: "command:remote:Command",
  offsitePull: "retzien:proxmox:OffsitePull",
} as const;

function urns(resources: readonly PlanResource[], pick: (r: PlanResource) => boolean, what: string): string[] {
  const found = resources.filter(pick).map((r) => r.urn);
  if (found.length === 0) throw new Error(`the plan has no ${what}: the runbook and the program disagree`);
  return found;
}

/** Provider, template and the storages over the other sites' copies: what a fresh host needs first. */
export function foundationTargets(resources: readonly PlanResource[]): string[] {
  return [
    ...urns(resources, (r) => r.type === TYPE.provider, "Proxmox provider"),
    ...urns(resources, (r) => r.type === TYPE.template, "LXC template"),
    ...urns(resources, (r) => r.type === TYPE.directory, "offsite storage"),
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

/** Every resource of the offsite pull component (keys, installs, trust, authorisations, storages). */
export function offsiteTargets(resources: readonly PlanResource[]): string[] {
  const component = urns(resources, (r) => r.type === TYPE.offsitePull, "offsite pull component");
  return urns(resources, (r) => component.includes(r.parent), "offsite pull resources");
}

/** In the survivor's plan: its trust of `site`'s host key and its authorisation of `site`'s pull key. */
export function peerTrustTargets(resources: readonly PlanResource[], site: string): string[] {
  return urns(
    resources,
    (r) => r.type === TYPE.command && (r.name.endsWith(`-offsite-${site}-known-host`) || r.name.endsWith(`-offsite-authorize-${site}`)),
    `trust of ${site}'s keys`,
  );
}
