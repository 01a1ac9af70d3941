/**
 * The site's nightly vzdump job: every container of the site, to the site's own
 * PBS, reading only the files whose metadata changed; and the notification
 * target and matcher through which its failures reach the operators.
 */
import { hostCommand } from "../host/host-command";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { pveGotifyCommands, pveNotificationCommands } from "../backup/pbs-commands";
import type { GotifyTarget } from "./BackupServer";
import type { SiteSpec } from "../site/schema";

export interface NightlyBackupArgs {
  /** Site whose containers are backed up. */
  readonly site: SiteSpec;
  /** The PVE storage id over the local PBS. */
  readonly storage: string;
  /** Containers (and the PBS storage) that must exist before the job names them. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** How to reach the host's SSH, for its notification settings (no provider resource for them). */
  readonly connection: command.types.input.remote.ConnectionArgs;
  /** The operators' Gotify server and this host's token (a secret), when the site has one. */
  readonly gotify?: GotifyTarget;
}

export class NightlyBackup extends pulumi.ComponentResource {
  static readonly TYPE = "retzien:proxmox:NightlyBackup";

  /** Proxmox job id. */
  readonly jobId: string;
  readonly schedule: string;
  /** VMIDs in the job, ascending. */
  readonly vmids: number[];
  readonly job: proxmoxve.backup.Job;

  constructor(name: string, args: NightlyBackupArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(NightlyBackup.TYPE, name, {}, opts);
    const { site } = args;
    const { backup } = site;
    this.jobId = `nightly-${site.name}`;
    this.schedule = backup.schedule;
    this.vmids = site.containers.map((c) => c.vmid).sort((a, b) => a - b);

    this.job = new proxmoxve.backup.Job(
      `${name}-job`,
      {
        resourceId: this.jobId,
        node: site.nodeName,
        schedule: backup.schedule,
        storage: args.storage,
        // Every container by VMID (invariant 1): `all` would silently include a
        // container restored from the peer during a failover.
        all: false,
        vmids: this.vmids.map(String),
        mode: backup.mode,
        // Unchanged files are referenced from the previous snapshot; only changed ones
        // are read. The first run (and the first after another mode) reads everything.
        pbsChangeDetectionMode: "metadata",
        // No pruneBackups: PBS's own prune job applies the retention. Proxmox VE's
        // token can write snapshots but not delete them (docs/backup.md).
        // A night missed while the host was off runs at the next boot.
        repeatMissed: true,
        enabled: true,
        // No mailto: with none, PVE's notification mode "auto" sends through its
        // notification system, where the matcher below mails the operators every
        // backup that warns or fails (quiet when it works: nobody reads a daily success mail).
        notesTemplate: "{{guestname}} (nightly, {{node}})",
      },
      { parent: this, dependsOn: args.dependsOn ?? [] },
    );
    // The Gotify target first (secret for its token): the matcher names it.
    const gotify: pulumi.Resource[] = [];
    if (args.gotify !== undefined) {
      const { server } = args.gotify;
      const cmds = args.gotify.token.apply((token) => pveGotifyCommands({ server, token }));
      gotify.push(hostCommand(`${name}-gotify`, { connection: args.connection, create: cmds.create, delete: cmds.delete }, { parent: this }));
    }
    const notify = pveNotificationCommands(backup.mailTo, args.gotify !== undefined);
    hostCommand(`${name}-notify`, { connection: args.connection, create: notify.create, delete: notify.delete }, { parent: this, dependsOn: gotify });

    this.registerOutputs({ jobId: this.jobId, schedule: this.schedule, vmids: this.vmids });
  }
}
