/**
 * A container's Proxmox firewall, as this site's own guests and the guests it
 * runs for another site both have it: its rules, then its default-deny
 * policies. Declared under the caller's component with its options (protect,
 * import, retainOnDelete are the caller's to decide).
 */
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import type * as pulumi from "@pulumi/pulumi";
import type { FirewallRule } from "../firewall/compile";

/**
 * Default-deny both ways. Inbound drops (a scanner learns nothing); outbound
 * rejects, so that a PHP worker of one of the 250 sites calling an undeclared
 * address fails at once instead of holding its slot until its timeout.
 * ipfilter: the container may only send from its own addresses, so a guest
 * broken into cannot pose as another one on the LAN.
 */
const CONTAINER_FIREWALL_OPTIONS = { enabled: true, inputPolicy: "DROP", outputPolicy: "REJECT", ipfilter: true, macfilter: true, dhcp: false, ndp: true, radv: false } as const;

/**
 * `<name>-firewall-rules` and `<name>-firewall` (the options). The policies come
 * once the openings exist: on a replaced, adopted or restored guest, options
 * first would cut its service (and its admin SSH) until the rules land.
 */
export function declareContainerFirewall(
  name: string,
  target: { readonly nodeName: string; readonly vmid: number; readonly rules: readonly FirewallRule[] },
  opts: Omit<pulumi.CustomResourceOptions, "dependsOn"> & { readonly dependsOn?: pulumi.Resource[] },
): void {
  const { nodeName, vmid } = target;
  const rules = new proxmoxve.firewall.RulesLegacy(`${name}-firewall-rules`, { nodeName, containerId: vmid, rules: target.rules.map((r) => ({ ...r })) }, opts);
  new proxmoxve.firewall.OptionsLegacy(`${name}-firewall`, { nodeName, containerId: vmid, ...CONTAINER_FIREWALL_OPTIONS }, { ...opts, dependsOn: [...(opts.dependsOn ?? []), rules] });
}
