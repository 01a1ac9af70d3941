/**
 * One physical host and everything on it: the explicit Proxmox provider, the LXC
 * template, the service containers and the nightly backup.
 */
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/stack-config";
import type { SiteSpec } from "../spec/schema";
import { NightlyBackup } from "./NightlyBackup";
import { OffsitePull, type OffsitePullArgs } from "./OffsitePull";
import { ServiceContainer } from "./ServiceContainer";

export interface SiteArgs {
  /** The validated spec of this site. */
  readonly spec: SiteSpec;
  /** The validated stack config: how to reach the host, and its secrets. */
  readonly config: StackConfig;
  /** The cross-site shipping of this host (directions, the peers' publications, host files). */
  readonly offsite: Omit<OffsitePullArgs, "site" | "connection">;
}

/** What the stack exports about one container. */
export interface ContainerSummary {
  readonly vmid: number;
  readonly hostname: string;
  readonly ipv4: string;
  readonly ipv6: string | undefined;
}

export class Site extends pulumi.ComponentResource {
  static readonly TYPE = "retzien:proxmox:Site";

  readonly provider: proxmoxve.Provider;
  readonly template: proxmoxve.download.File;
  /** Containers by service name. */
  readonly containers: Record<string, ServiceContainer>;
  readonly backup: NightlyBackup;
  readonly offsite: OffsitePull;
  /** Containers by service name, as plain data for the stack outputs. */
  readonly containerSummaries: Record<string, ContainerSummary>;

  constructor(name: string, args: SiteArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(Site.TYPE, name, {}, opts);
    const { spec, config } = args;

    // Explicit provider: ambient `proxmoxve:` config has proven unreliable, and an
    // explicit one lets the runbook target it on a fresh host.
    this.provider = new proxmoxve.Provider(
      `${name}-proxmox`,
      {
        endpoint: config.endpoint,
        apiToken: pulumi.secret(config.apiToken),
        insecure: config.insecure,
        ssh: {
          username: config.sshUser,
          ...(config.sshPrivateKey === undefined ? { agent: true } : { privateKey: pulumi.secret(config.sshPrivateKey) }),
          nodes: [{ name: spec.nodeName, address: config.sshAddress, port: config.sshPort }],
        },
      },
      { parent: this },
    );
    const withProvider = { parent: this, providers: [this.provider] };

    this.template = new proxmoxve.download.File(
      `${name}-template`,
      {
        nodeName: spec.nodeName,
        datastoreId: spec.template.datastore,
        contentType: "vztmpl",
        url: spec.template.url,
        fileName: spec.template.fileName,
        overwrite: false,
      },
      // Containers were created from it; deleting it would only break a later rebuild.
      { parent: this, provider: this.provider, retainOnDelete: true },
    );

    this.containers = {};
    this.containerSummaries = {};
    for (const c of spec.containers) {
      const container = new ServiceContainer(
        `${name}-${c.name}`,
        {
          spec: c,
          nodeName: spec.nodeName,
          bridge: spec.network.bridge,
          ipv4Gateway: spec.network.ipv4.gateway,
          ...(spec.network.ipv6 === undefined ? {} : { ipv6Gateway: spec.network.ipv6.gateway }),
          templateFileId: this.template.id,
        },
        withProvider,
      );
      this.containers[c.name] = container;
      this.containerSummaries[c.name] = { vmid: c.vmid, hostname: c.hostname, ipv4: c.network.ipv4, ipv6: c.network.ipv6 };
    }

    this.backup = new NightlyBackup(
      `${name}-nightly`,
      { site: spec, dependsOn: Object.values(this.containers).map((c) => c.container) },
      withProvider,
    );

    const connection: command.types.input.remote.ConnectionArgs = {
      host: config.sshAddress,
      port: config.sshPort,
      user: config.sshUser,
      // Without a key in config, @pulumi/command uses the agent at SSH_AUTH_SOCK.
      ...(config.sshPrivateKey === undefined ? {} : { privateKey: pulumi.secret(config.sshPrivateKey) }),
    };
    this.offsite = new OffsitePull(`${name}-offsite`, { site: spec, connection, ...args.offsite }, withProvider);

    this.registerOutputs({ containers: this.containerSummaries, backupJob: this.backup.jobId, offsite: this.offsite.publication });
  }
}
