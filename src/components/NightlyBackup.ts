/**
 * The site's nightly vzdump job: every container of the site, to the site's own
 * PBS, reading only the files whose metadata changed.
 */
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import * as pulumi from "@pulumi/pulumi";
import type { SiteSpec } from "../site/schema";

export interface NightlyBackupArgs {
  /** Site whose containers are backed up. */
  readonly site: SiteSpec;
  /** The PVE storage id over the local PBS. */
  readonly storage: string;
  /** Containers (and the PBS storage) that must exist before the job names them. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
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
        mailtos: backup.mailTo,
        // Quiet when it works, loud when it does not: nobody reads a daily success mail.
        mailnotification: "failure",
        notesTemplate: "{{guestname}} (nightly, {{node}})",
      },
      { parent: this, dependsOn: args.dependsOn ?? [] },
    );

    this.registerOutputs({ jobId: this.jobId, schedule: this.schedule, vmids: this.vmids });
  }
}
