/**
 * The URNs the runbook passes to `pulumi up --target` and `pulumi state delete`,
 * picked from the offline plan of the stack (the same code as `npm run plan`),
 * never typed from memory. A component is targeted with every resource under it.
 * Only the stages before the restores are targeted (the foundation must come
 * up before the pull back, the nightly pulls after it); once the guests run,
 * a plain `pulumi up --refresh` is the right step.
 */
import { hostedFirewallName } from "../firewall/hosted";

export interface PlanResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly parent: string;
  readonly inputs: Record<string, unknown>;
}

const TYPE = {
  stack: "pulumi:pulumi:Stack",
  stackReference: "pulumi:pulumi:StackReference",
  provider: "pulumi:providers:proxmoxve",
  job: "proxmoxve:backup/job:Job",
  pbsStorage: "proxmoxve:storage/pbs:Pbs",
  hostCommand: "command:remote:Command",
  backupServer: "retzien:proxmox:BackupServer",
  siteLink: "retzien:proxmox:SiteLink",
  offsiteSync: "retzien:proxmox:OffsiteSync",
  hostFirewall: "retzien:proxmox:HostFirewall",
  restoreDrill: "retzien:proxmox:RestoreDrill",
  site: "retzien:proxmox:Site",
  hostedFirewall: "retzien:proxmox:HostedGuestFirewall",
  firewallRules: "proxmoxve:firewall/rulesLegacy:RulesLegacy",
  firewallOptions: "proxmoxve:firewall/optionsLegacy:OptionsLegacy",
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
 * What lived on the lost host and the program makes again: every command run
 * on it (PBS, its tokens and jobs, the site link, the pulls), its firewall, its
 * PBS storages and its backup job. A command has no state to read back, and the
 * targeted up that brings the foundation runs before any refresh: while the
 * stack's state remembers these, `pulumi up` would leave them out of the new
 * host. The state forgets them first. Nothing else depends on them, so they go
 * in one call. The containers stay (they come back by restore, then refresh),
 * and so does the template, which they depend on (the refresh drops it).
 */
export function lostHostTargets(resources: readonly PlanResource[]): string[] {
  const firewalls = urns(resources, (r) => r.type === TYPE.hostFirewall, "host firewall");
  const hostFirewall = urns(resources, (r) => firewalls.includes(r.parent), "rule or option of the host firewall");
  return [
    ...urns(resources, (r) => r.type === TYPE.hostCommand, "command run on the host"),
    ...hostFirewall,
    ...urns(resources, (r) => r.type === TYPE.pbsStorage, "PBS storage"),
    ...urns(resources, (r) => r.type === TYPE.job, "backup job"),
  ];
}

/**
 * What a fresh host needs first: the stack itself (so that its outputs publish
 * the new PBS fingerprint, site-link key and pull tokens to the peers), its
 * reads of the peers' stacks, the provider, its firewall (before its PBS
 * answers anyone; unlike the host commands, it reads back, so a refresh makes
 * it again on a new host), its PBS (install, datastore,
 * tokens, jobs, storages), its site link, the remote of each site it holds
 * (the pull back reads the survivor through it), and its alarm path (PBS's
 * notifications, set up with it, mail through the host's Postfix). The nightly pull jobs wait
 * for the end: they must not compete with the pull back for the link.
 */
export function foundationTargets(resources: readonly PlanResource[]): string[] {
  return [
    ...urns(resources, (r) => r.type === TYPE.stack, "stack"),
    ...urns(resources, (r) => r.type === TYPE.stackReference, "reference to a peer's stack"),
    ...urns(resources, (r) => r.type === TYPE.provider, "Proxmox provider"),
    ...subtrees(resources, (r) => r.type === TYPE.hostFirewall, "host firewall"),
    ...subtrees(resources, (r) => r.type === TYPE.backupServer, "backup server"),
    ...subtrees(resources, (r) => r.type === TYPE.siteLink, "site link"),
    ...urns(resources, (r) => r.type === TYPE.hostCommand && /-pull-[^-]+-remote$/.test(r.name), "remote of a site this one holds"),
    ...urns(resources, (r) => r.type === TYPE.hostCommand && r.name.endsWith("-alarm-path"), "alarm path"),
  ];
}

/**
 * In the survivor's plan: what trusts `site`'s host, which a rebuild changed:
 * its read of `site`'s stack (the new outputs), its site link (the new
 * WireGuard key) and its pull of `site` (the new PBS fingerprint and token).
 */
export function peerTrustTargets(resources: readonly PlanResource[], site: string): string[] {
  return [
    ...urns(resources, (r) => r.type === TYPE.stackReference && r.name.endsWith(`-peer-${site}`), `reference to ${site}'s stack`),
    ...subtrees(resources, (r) => r.type === TYPE.siteLink, "site link"),
    ...subtrees(resources, (r) => r.type === TYPE.offsiteSync && r.name.endsWith(`-pull-${site}`), `pull of ${site}`),
  ];
}

/** Whether the host drills its copies (a host whose scratch datastore takes none has no drill). */
export function hasDrill(resources: readonly PlanResource[]): boolean {
  return resources.some((r) => r.type === TYPE.restoreDrill);
}

/**
 * In the survivor's plan: its stack (whose outputs carry the token to the lost
 * site's stack) and the command that makes `site`'s pull token, in that order.
 */
export function pullTokenTargets(resources: readonly PlanResource[], site: string): [string, string] {
  const [stack] = urns(resources, (r) => r.type === TYPE.stack, "stack");
  const [token] = urns(resources, (r) => r.type === TYPE.hostCommand && r.name.endsWith(`-sync-token-${site}`), `pull token of ${site}`);
  return [stack as string, token as string];
}

/**
 * In the survivor's plan: the firewall the program declares for `service` of
 * `lost` once the stack config's `hosting` names it (src/components/HostedGuestFirewall.ts),
 * the component and its rules and options. The plan the runbook reads is the
 * stack's before the failover, so they are named from its Site component and
 * the names the component gives; a test holds them to the URNs the program
 * declares with that config.
 */
export function hostedFirewallTargets(resources: readonly PlanResource[], lost: string, service: string): string[] {
  const [site = ""] = urns(resources, (r) => r.type === TYPE.site, "site");
  // urn:pulumi:<stack>::<project>::<parent types>::<name>: only the name and the type chain change.
  const nameAt = site.lastIndexOf("::");
  const typesAt = site.lastIndexOf("::", nameAt - 1);
  const [base, types, siteName] = [site.slice(0, typesAt), site.slice(typesAt + 2, nameAt), site.slice(nameAt + 2)];
  const name = hostedFirewallName(siteName, lost, service);
  const component = `${types}$${TYPE.hostedFirewall}`;
  return [
    `${base}::${component}::${name}`,
    `${base}::${component}$${TYPE.firewallRules}::${name}-firewall-rules`,
    `${base}::${component}$${TYPE.firewallOptions}::${name}-firewall`,
  ];
}
