/**
 * The firewall of a guest of another site that runs on this host since a
 * failover: its rules compiled for here (src/firewall/hosted.ts), declared as
 * this site's own guests' are (./container-firewall.ts). The guest itself is not this
 * stack's: the runbook restored it, and its way home destroys it.
 */
import * as pulumi from "@pulumi/pulumi";
import type { HostedGuest } from "../firewall/hosted";
import { declareContainerFirewall } from "./container-firewall";

export interface HostedGuestFirewallArgs {
  readonly guest: HostedGuest;
  /** Proxmox node of this host. */
  readonly nodeName: string;
}

export class HostedGuestFirewall extends pulumi.ComponentResource {
  static readonly TYPE = "retzien:proxmox:HostedGuestFirewall";

  constructor(name: string, args: HostedGuestFirewallArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(HostedGuestFirewall.TYPE, name, {}, opts);
    const { guest, nodeName } = args;
    const firewall = {
      parent: this,
      // The restore brought the guest's firewall from its backup: the provider refuses to create rules
      // over existing ones, so they are imported, then set to these in the same up.
      import: `container/${nodeName}/${guest.spec.vmid}`,
      // The way home takes the guest off this host (pct destroy removes its firewall with it): dropping
      // these from the state must not first strip a guest that may still be serving.
      retainOnDelete: true,
    };
    declareContainerFirewall(name, { nodeName, vmid: guest.spec.vmid, rules: guest.rules }, firewall);
    this.registerOutputs({ vmid: guest.spec.vmid, ipv4: guest.ipv4 });
  }
}
