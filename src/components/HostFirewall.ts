/**
 * The Proxmox firewall of one host: the `management` IP set (the admin networks,
 * which Proxmox's own rules for 8006, 22 and the consoles then accept instead of
 * the whole LAN, and the `local_network` alias that Proxmox adds to it, set to
 * the host alone), the host's rules, and the switch that turns it all on with a
 * default-deny input policy. Each host is its own single-node "cluster", so the
 * cluster-level options are this host's.
 */
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import * as pulumi from "@pulumi/pulumi";
import { type FirewallRule, MANAGEMENT_IPSET } from "../firewall/compile";
import type { SiteSpec } from "../site/schema";

export interface HostFirewallArgs {
  readonly site: SiteSpec;
  /** The host's rules, compiled from the spec. */
  readonly rules: readonly FirewallRule[];
  /** What the deploy sets up over SSH before the firewall is switched on (PBS, the site link). @default [] */
  readonly switchOnAfter?: readonly pulumi.Resource[];
}

export class HostFirewall extends pulumi.ComponentResource {
  static readonly TYPE = "retzien:proxmox:HostFirewall";

  /** The firewall switched on, last: depend on it for anything that needs it in force. */
  readonly enabled: proxmoxve.cluster.FirewallLegacy;

  constructor(name: string, args: HostFirewallArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(HostFirewall.TYPE, name, {}, opts);
    const { site } = args;
    const child = { parent: this };

    const management = new proxmoxve.firewall.IpsetLegacy(
      `${name}-management`,
      {
        name: MANAGEMENT_IPSET,
        comment: "retzien: the admin networks, the only sources of the API and SSH",
        cidrs: site.firewall.adminNetworks.map((cidr) => ({ name: cidr, comment: "admin network" })),
      },
      child,
    );
    // pve-firewall adds the cluster alias local_network to the management set (compile); detected, it is
    // the host's whole LAN. Declared, it is the host's own address, and the set what the code says.
    const localNetwork = new proxmoxve.firewall.AliasLegacy(
      `${name}-local-network`,
      { name: "local_network", cidr: site.firewall.localNetwork, comment: "retzien: the host alone, so that the management set is the admin networks and the host" },
      child,
    );
    const rules = new proxmoxve.firewall.RulesLegacy(`${name}-rules`, { nodeName: site.nodeName, rules: args.rules.map((r) => ({ ...r })) }, child);
    const node = new proxmoxve.node.Firewall(`${name}-node`, { nodeName: site.nodeName, enabled: true, ndp: true, nosmurfs: true }, child);

    // On only once the management set and the rules exist (the API and SSH never pass through a moment
    // where the deploy's own connection has no rule), and after what the deploy does over SSH.
    this.enabled = new proxmoxve.cluster.FirewallLegacy(
      `${name}-enabled`,
      { enabled: true, inputPolicy: "DROP", outputPolicy: "ACCEPT", ebtables: true },
      { ...child, dependsOn: [management, localNetwork, rules, node, ...(args.switchOnAfter ?? [])] },
    );
    this.registerOutputs({});
  }
}
