/**
 * This host's nightly pull of one source's backups: the source's PBS as a
 * remote (reached through the site link, its certificate pinned, with the
 * read-only token the source made for this holder), and a PBS pull sync job at
 * the pair's budget, after the source's backup. Only this host can write or
 * delete what it holds; the source has no credential here.
 */
import { hostCommand } from "../host/host-command";
import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { PBS_IDS, syncUserOf } from "../backup/names";
import { remoteCommands, remoteDeleteCommand, syncJobCommands } from "../backup/pbs-commands";
import type { SyncNight } from "../backup/night";
import type { SyncDirection } from "../offsite/directions";
import type { PeerPublication } from "../offsite/peer-stack";

export interface OffsiteSyncArgs {
  /** How to reach this (the holder's) host's SSH. */
  readonly connection: command.types.input.remote.ConnectionArgs;
  readonly direction: SyncDirection;
  /** The predicted night of this pull: its schedule comes from it. */
  readonly night: SyncNight;
  /** What the source published; without its fingerprint and token the pull waits (a warning says so). */
  readonly source: PeerPublication;
  /** The holder's PBS objects the job needs (datastore, namespaces, the copies' owner). */
  readonly dependsOn: pulumi.Resource[];
}

export class OffsiteSync extends pulumi.ComponentResource {
  static readonly TYPE = "retzien:proxmox:OffsiteSync";

  /** PBS sync job id on this host, e.g. `pull-sthilaire`. */
  readonly jobId: string;
  readonly schedule: string;
  /** Whether the pull is declared now (false until the source has published its fingerprint and token). */
  readonly declared: boolean;

  constructor(name: string, args: OffsiteSyncArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(OffsiteSync.TYPE, name, {}, opts);
    const { direction: d, connection } = args;
    this.jobId = d.jobId;
    this.schedule = args.night.schedule;
    const { fingerprint, syncSecret } = args.source;
    this.declared = fingerprint !== undefined && syncSecret !== undefined;

    if (fingerprint !== undefined && syncSecret !== undefined) {
      const create = syncSecret.apply(
        (secret) => remoteCommands({ name: d.remote, host: d.sourceAddress, port: d.sourcePort, authId: syncUserOf(d.holder).token, secret, fingerprint }).create,
      );
      const remoteCmd = hostCommand(
        `${name}-remote`,
        // The create text carries the token secret: pulumi.secret keeps it encrypted in the state.
        { connection, create: pulumi.secret(create), delete: remoteDeleteCommand(d.remote) },
        { parent: this, dependsOn: args.dependsOn },
      );
      const job = syncJobCommands({
        id: d.jobId,
        store: d.holderDatastore,
        namespace: d.namespace,
        remote: d.remote,
        remoteStore: d.sourceDatastore,
        remoteNamespace: d.namespace,
        owner: PBS_IDS.offsiteOwner,
        schedule: args.night.schedule,
        rateInKiB: Math.floor(d.rateInBytesPerSecond / 1024),
      });
      hostCommand(`${name}-job`, { connection, create: job.create, delete: job.delete }, { parent: this, dependsOn: [remoteCmd] });
    }

    this.registerOutputs({ jobId: this.jobId, schedule: this.schedule, declared: this.declared });
  }
}
