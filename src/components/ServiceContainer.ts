/**
 * One service (web, mail, nextcloud, relay) as a Proxmox LXC container with its own
 * random root password.
 */
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { FirewallRule } from "../firewall/compile";
import { declareContainerFirewall } from "./container-firewall";
import type { ContainerSpec } from "../site/schema";

/**
 * Fields for which the provider would replace a live container on any change.
 * A password rotation or a newer template must never recreate a container: they
 * are set at creation and then left alone (rotate a password inside the guest).
 */
export const REPLACING_FIELDS_IGNORED = [
  "initialization.userAccount.password",
  "initialization.userAccount.keys",
  "operatingSystem.templateFileId",
] as const;

export interface ServiceContainerArgs {
  /** The validated container spec. */
  readonly spec: ContainerSpec;
  /** Proxmox node the container runs on. */
  readonly nodeName: string;
  /** Bridge of the site's LAN. */
  readonly bridge: string;
  /** IPv4 gateway of the site's LAN. */
  readonly ipv4Gateway: string;
  /** IPv6 gateway, when the site has IPv6. @default no IPv6 */
  readonly ipv6Gateway?: string;
  /** Volume id of the LXC template (`local:vztmpl/...`). */
  readonly templateFileId: pulumi.Input<string>;
  /** Its firewall rules, compiled from the spec; everything else is dropped. */
  readonly firewallRules: readonly FirewallRule[];
}

export class ServiceContainer extends pulumi.ComponentResource {
  static readonly TYPE = "retzien:proxmox:ServiceContainer";

  /** Proxmox VMID. */
  readonly vmid: number;
  readonly hostname: string;
  /** Static IPv4 with prefix. */
  readonly ipv4: string;
  /** Static IPv6 with prefix, if any. */
  readonly ipv6: string | undefined;
  /** Root password, a secret output. */
  readonly rootPassword: pulumi.Output<string>;
  readonly container: proxmoxve.ContainerLegacy;

  constructor(name: string, args: ServiceContainerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(ServiceContainer.TYPE, name, {}, opts);
    const { spec } = args;

    const password = new random.RandomPassword(
      `${name}-root-password`,
      // No quote or backslash: the password is typed at a console during an outage.
      { length: 32, special: true, overrideSpecial: "-_.,:+=" },
      { parent: this },
    );

    this.container = new proxmoxve.ContainerLegacy(
      name,
      {
        nodeName: args.nodeName,
        vmId: spec.vmid,
        description: spec.description,
        unprivileged: spec.unprivileged,
        // Proxmox's own flag: refuses deletion and disk removal even outside Pulumi.
        protection: spec.stateful,
        cpu: { cores: spec.cores },
        memory: { dedicated: spec.memoryMiB, swap: spec.swapMiB },
        disk: { datastoreId: spec.rootDisk.datastore, size: spec.rootDisk.sizeGiB },
        mountPoints: spec.mountPoints.map((m) => ({
          volume: m.datastore,
          size: `${m.sizeGiB}G`,
          path: m.path,
          backup: m.backup,
        })),
        networkInterfaces: [{ name: "eth0", bridge: args.bridge, firewall: true }],
        initialization: {
          hostname: spec.hostname,
          ipConfigs: [
            {
              ipv4: { address: spec.network.ipv4, gateway: args.ipv4Gateway },
              ...(spec.network.ipv6 !== undefined && args.ipv6Gateway !== undefined
                ? { ipv6: { address: spec.network.ipv6, gateway: args.ipv6Gateway } }
                : {}),
            },
          ],
          // Marked secret here too: the provider's schema does it in the engine, but
          // nothing else would stop a plain copy reaching a plan or a mock.
          userAccount: { password: pulumi.secret(password.result) },
        },
        operatingSystem: { templateFileId: args.templateFileId, type: "debian" },
        features: { nesting: spec.features.nesting },
        startOnBoot: spec.startup.onBoot,
        started: true,
        startup: { order: spec.startup.order, upDelay: spec.startup.upDelaySec, downDelay: spec.startup.downDelaySec },
        // Proxmox stores tags sorted; sending them sorted keeps the diff empty.
        tags: [...spec.tags].sort(),
      },
      {
        parent: this,
        // A stateful container holds data that exists nowhere else: any delete or
        // replace (a mount point change, say) fails loudly instead of happening.
        protect: spec.stateful,
        // A replacement keeps the VMID: Proxmox refuses a second container with it,
        // so the old one must go first (only stateless ones can be replaced at all).
        deleteBeforeReplace: true,
        ignoreChanges: [...REPLACING_FIELDS_IGNORED],
        // Adopting a running container: the engine reads it instead of creating a
        // twin. Where it differs from the spec, the engine (3.276) imports it and
        // then updates it to the spec in the same up: the preview shows both.
        ...(spec.adopt ? { import: `${args.nodeName}/${spec.vmid}` } : {}),
      },
    );

    // An adopted container has its firewall already: the provider refuses to create rules over
    // existing ones ("Existing rules detected"), so they are imported with it (the import ids of
    // bpg's RulesImport and optionsImport).
    const adopted = spec.adopt ? { import: `container/${args.nodeName}/${spec.vmid}` } : {};
    // A stateful container's firewall is protected with it: a `pulumi destroy` deletes the
    // dependents of a protected resource before it refuses the resource itself (seen on the
    // engine, 3.276), which would leave a guest that stays running without its openings.
    // Neither resource has an input that forces a replacement, so protect never blocks a rule change.
    const firewall = { parent: this, dependsOn: [this.container], protect: spec.stateful, ...adopted };
    declareContainerFirewall(name, { nodeName: args.nodeName, vmid: spec.vmid, rules: args.firewallRules }, firewall);

    this.vmid = spec.vmid;
    this.hostname = spec.hostname;
    this.ipv4 = spec.network.ipv4;
    this.ipv6 = spec.network.ipv6;
    this.rootPassword = pulumi.secret(password.result);
    this.registerOutputs({ vmid: this.vmid, hostname: this.hostname, ipv4: this.ipv4, ipv6: this.ipv6 });
  }
}
