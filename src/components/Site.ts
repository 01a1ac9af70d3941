/**
 * One physical host and everything on it: the explicit Proxmox provider, the LXC
 * template, the service containers, its Proxmox Backup Server, the nightly
 * backup to it, the site link, and the pulls of the sites whose copies it holds.
 */
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/stack-config";
import type { SiteSpec } from "../site/schema";
import type { SyncNight } from "../backup/night";
import type { SyncDirection } from "../offsite/directions";
import type { PeerPublication } from "../offsite/peer-stack";
import { type DrillPlan, drilledGuests } from "../drill/plan";
import { containerRules, hostRules } from "../firewall/compile";
import { BackupServer } from "./BackupServer";
import { HostFirewall } from "./HostFirewall";
import type { WatchPlan } from "../watch/plan";
import { DeadManWatch } from "./DeadManWatch";
import { RestoreDrill } from "./RestoreDrill";
import { NightlyBackup } from "./NightlyBackup";
import { OffsiteSync } from "./OffsiteSync";
import { ServiceContainer } from "./ServiceContainer";
import { HostedGuestFirewall } from "./HostedGuestFirewall";
import { type HostedGuest, hostedFirewallName } from "../firewall/hosted";
import { SiteLink } from "./SiteLink";
import { alarmPathCommands, alarmRouteOf } from "../host/alarm-path";
import { hostCommand } from "../host/host-command";

export interface SiteArgs {
  /** The validated spec of this site. */
  readonly spec: SiteSpec;
  /** The validated stack config: how to reach the host, and its secrets. */
  readonly config: StackConfig;
  /** Every site, validated: the peers' specs for the site link. */
  readonly sites: readonly SiteSpec[];
  /** Directions in which this host pulls (it holds the source's copies), each with its predicted night. */
  readonly pulls: readonly { readonly direction: SyncDirection; readonly night: SyncNight }[];
  /** Sites that pull this one's copies. */
  readonly heldBy: readonly string[];
  /** What the peers published, by site name. */
  readonly peers: ReadonlyMap<string, PeerPublication>;
  /** The restore drills this host runs on the copies it holds (planned with the rest, in the stack). */
  readonly drill: DrillPlan;
  /** The dead-man watch of the copies this host holds (planned in the stack). */
  readonly watch: WatchPlan;
  /** Guests of another site that run here since a failover: the program keeps their firewall. */
  readonly hosted: readonly HostedGuest[];
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
  readonly backupServer: BackupServer;
  readonly backup: NightlyBackup;
  readonly link: SiteLink;
  readonly firewall: HostFirewall;
  /** The pulls of the sites this host holds, by source. */
  readonly syncs: Record<string, OffsiteSync>;
  /** Containers by service name, as plain data for the stack outputs. */
  readonly containerSummaries: Record<string, ContainerSummary>;

  constructor(name: string, args: SiteArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(Site.TYPE, name, {}, opts);
    const { spec, config } = args;

    // Explicit provider: ambient `proxmoxve:` config has proven unreliable, and an
    // explicit one lets the runbook target it on a fresh host. No apiToken input:
    // the provider reads PROXMOX_VE_API_TOKEN itself (src/config/api-token.ts), so
    // CI's read-only token does not show as a change of the provider.
    this.provider = new proxmoxve.Provider(
      `${name}-proxmox`,
      {
        endpoint: config.endpoint,
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
        // PVE hashes the download and deletes it on a mismatch; TLS is verified too.
        checksum: spec.template.checksum.value,
        checksumAlgorithm: spec.template.checksum.algorithm,
        verify: true,
        overwrite: false,
        // A host set up before the program (or rebuilt by hand) has the template already: the provider
        // refuses a file it did not download ("File already exists in the datastore"), which stops the
        // very up that adopts the host's containers. Downloading it again is harmless: the name and the
        // checksum pin its content.
        overwriteUnmanaged: true,
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
          firewallRules: containerRules(spec, c),
        },
        withProvider,
      );
      this.containers[c.name] = container;
      this.containerSummaries[c.name] = { vmid: c.vmid, hostname: c.hostname, ipv4: c.network.ipv4, ipv6: c.network.ipv6 };
    }

    for (const guest of args.hosted) {
      new HostedGuestFirewall(hostedFirewallName(name, guest.site, guest.spec.name), { guest, nodeName: spec.nodeName }, withProvider);
    }

    const connection: command.types.input.remote.ConnectionArgs = {
      host: config.sshAddress,
      port: config.sshPort,
      user: config.sshUser,
      // Without a key in config, @pulumi/command uses the agent at SSH_AUTH_SOCK.
      ...(config.sshPrivateKey === undefined ? {} : { privateKey: pulumi.secret(config.sshPrivateKey) }),
    };
    // The host's alarms' way out (its Postfix's relayhost). Postfix queues what it cannot yet send, so
    // nothing waits on it; by submission the script carries the password, and is secret. From the whole
    // site: a relay away with other services still has its home address, where it comes back.
    const route = alarmRouteOf(args.sites.find((s) => s.name === spec.name) ?? spec);
    const password = args.config.alarmPassword;
    const alarmPath = route.via === "submission" && password !== undefined ? pulumi.secret(password).apply((p) => alarmPathCommands(route, p)) : pulumi.output(alarmPathCommands(route));
    hostCommand(`${name}-alarm-path`, { connection, create: alarmPath.create, delete: alarmPath.delete }, { parent: this });

    const holds = args.pulls.map((p) => p.direction.source);
    // The operators' Gotify server, when the site has one (the program refused a server without a token).
    const gotify = spec.backup.gotify === undefined || args.config.gotifyToken === undefined ? undefined : { server: spec.backup.gotify.server, token: pulumi.secret(args.config.gotifyToken) };
    this.backupServer = new BackupServer(`${name}-pbs`, { site: spec, connection, holds, heldBy: args.heldBy, ...(gotify === undefined ? {} : { gotify }) }, withProvider);

    this.backup = new NightlyBackup(
      `${name}-nightly`,
      { site: spec, storage: spec.backupServer.storageId, connection, dependsOn: [...Object.values(this.containers).map((c) => c.container), this.backupServer.storage], ...(gotify === undefined ? {} : { gotify }) },
      withProvider,
    );

    const linked = [...new Set([...holds, ...args.heldBy])].sort();
    const linkedSites = linked.map((peer) => args.sites.find((s) => s.name === peer) as SiteSpec);
    this.link = new SiteLink(
      `${name}-link`,
      {
        site: spec,
        connection,
        peers: linkedSites.map((peer) => ({ site: peer, publicKey: args.peers.get(peer.name)?.linkPublicKey })),
      },
      withProvider,
    );
    // Switched on once PBS and the link are set up over SSH: the firewall's own rules let the admin networks
    // in (the bootstrap checked the deploying machine is in one), but a long SSH session is not cut midway.
    this.firewall = new HostFirewall(`${name}-firewall`, { site: spec, rules: hostRules(spec, linkedSites), switchOnAfter: [...this.backupServer.ready, this.link] }, withProvider);

    this.syncs = {};
    for (const { direction, night } of args.pulls) {
      const source = args.peers.get(direction.source);
      if (source === undefined) throw new Error(`no publication read for ${direction.source}: the stack reads every peer first`);
      this.syncs[direction.source] = new OffsiteSync(
        `${name}-pull-${direction.source}`,
        { connection, direction, night, source, dependsOn: [...this.backupServer.ready, this.link] },
        withProvider,
      );
    }

    // Drills of the copies this host holds, when its scratch datastore can take any.
    if (drilledGuests(args.drill).length > 0) {
      new RestoreDrill(`${name}-drill`, { plan: args.drill, mailTo: spec.backup.mailTo, connection, dependsOn: [...this.backupServer.ready, ...Object.values(this.backupServer.heldStorages)] }, withProvider);
    }

    // The watch of the sites whose copies this host holds: it reads the pulls' jobs and their copies.
    if (args.watch.sources.length > 0) {
      new DeadManWatch(`${name}-watch`, { plan: args.watch, connection, dependsOn: [...this.backupServer.ready, ...Object.values(this.syncs)] }, withProvider);
    }

    this.registerOutputs({ containers: this.containerSummaries, backupJob: this.backup.jobId, fingerprint: this.backupServer.fingerprint, linkPublicKey: this.link.publicKey });
  }
}
