/**
 * The Proxmox Backup Server on this host, beside Proxmox VE: installed from
 * Proxmox's repository, one datastore on the backup disk with a namespace for
 * this site and one per site it holds, prune jobs by namespace, GC and verify,
 * a user and token per role with the least role it needs, and the Proxmox VE
 * storages through which vzdump writes and `pct restore` reads. PBS has no
 * provider resources, so each object is a `@pulumi/command` create-or-update
 * over SSH (src/backup/pbs-commands.ts).
 */
import { hostCommand } from "../host/host-command";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { PBS_IDS, heldStorageOf, namespaceOf, pruneJobOf, syncUserOf, verifyJobOf } from "../backup/names";
import {
  type HostCommands,
  datastoreCommands,
  gotifyCommands,
  installCommands,
  notificationCommands,
  principalCommands,
  pruneJobCommands,
  verifyJobCommands,
} from "../backup/pbs-commands";
import type { SiteSpec } from "../site/schema";

export interface BackupServerArgs {
  /** This site. */
  readonly site: SiteSpec;
  /** How to reach this host's SSH. */
  readonly connection: command.types.input.remote.ConnectionArgs;
  /** Sites whose copies this host holds (it pulls them). */
  readonly holds: readonly string[];
  /** Sites that hold this one's copies (each gets a read-only token here). */
  readonly heldBy: readonly string[];
  /** The operators' Gotify server and this host's token (a secret), when the site has one. */
  readonly gotify?: GotifyTarget;
}

/** A Gotify server, and the token (secret) with which a host pushes to it. */
export interface GotifyTarget {
  readonly server: string;
  readonly token: pulumi.Output<string>;
}

export class BackupServer extends pulumi.ComponentResource {
  static readonly TYPE = "retzien:proxmox:BackupServer";

  /** SHA-256 fingerprint of this PBS's certificate, as `proxmox-backup-manager cert info` prints it. */
  readonly fingerprint: pulumi.Output<string>;
  /** Secret of the read-only token each holder pulls with, by holder; a secret Output. */
  readonly syncSecrets: pulumi.Output<Record<string, string>>;
  /** The PVE storage over this site's own snapshots (vzdump's target). */
  readonly storage: proxmoxve.storage.Pbs;
  /** PVE storages over the copies this host holds, by source. */
  readonly heldStorages: Record<string, proxmoxve.storage.Pbs>;
  /** Every PBS object this component made, for what must come after. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: BackupServerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(BackupServer.TYPE, name, {}, opts);
    const { site, connection } = args;
    const pbs = site.backupServer;
    const store = pbs.datastore;
    const run = (key: string, cmds: HostCommands, after: pulumi.Resource[], secretStdout = false) =>
      hostCommand(
        `${name}-${key}`,
        { connection, create: cmds.create, delete: cmds.delete },
        { parent: this, dependsOn: after, ...(secretStdout ? { additionalSecretOutputs: ["stdout"] } : {}) },
      );

    const install = run("install", installCommands(pbs.memoryGiB), []);
    this.fingerprint = install.stdout.apply((out) => out.trim());
    const namespaces = [site.name, ...args.holds].map(namespaceOf);
    const datastore = run("datastore", datastoreCommands({ name: store, path: pbs.path, gcSchedule: pbs.gcSchedule, namespaces }), [install]);
    // The operators' Gotify server: a target of its own, secret for its token, made before the matcher names it.
    const gotify: pulumi.Resource[] = [];
    if (args.gotify !== undefined) {
      const { server } = args.gotify;
      const cmds = args.gotify.token.apply((token) => gotifyCommands({ server, token }));
      gotify.push(hostCommand(`${name}-gotify`, { connection, create: cmds.create, delete: cmds.delete }, { parent: this, dependsOn: [install] }));
    }
    // Every PBS job that warns or fails is mailed (and pushed) to the operators, through PBS's notification system.
    const notify = run("notify", notificationCommands({ store, mailTo: site.backup.mailTo, gotify: args.gotify !== undefined }), [datastore, ...gotify]);
    const after = [datastore];
    const acl = (ns: string) => `/datastore/${store}/${ns}`;

    // Proxmox VE writes this site's snapshots and reads the held copies; it can
    // delete neither (no Prune): the prune jobs below are the only deleters.
    const pve = run(
      "pve-token",
      principalCommands({
        user: PBS_IDS.pveUser,
        token: PBS_IDS.pveToken,
        acls: [{ path: acl(namespaceOf(site.name)), role: "DatastoreBackup" }, ...args.holds.map((s) => ({ path: acl(namespaceOf(s)), role: "DatastoreReader" }))],
        comment: "Proxmox VE on this host: vzdump and pct restore",
        printSecret: true,
      }),
      after,
      true,
    );
    const ready: pulumi.Resource[] = [datastore, pve, notify, ...gotify];
    if (args.holds.length > 0) {
      // Owner of the pulled copies: Datastore.Backup on the held namespaces, and no token at all.
      ready.push(
        run(
          "offsite-owner",
          principalCommands({ user: PBS_IDS.offsiteOwner, acls: args.holds.map((s) => ({ path: acl(namespaceOf(s)), role: "DatastoreBackup" })), comment: "owner of the copies pulled from the other sites" }),
          after,
        ),
      );
    }
    ready.push(
      run(
        "status-token",
        principalCommands({
          user: PBS_IDS.statusUser,
          token: PBS_IDS.statusToken,
          // RemoteAudit too: PBS lists a sync job only to whom may audit its remote.
          acls: [{ path: `/datastore/${store}`, role: "DatastoreAudit" }, ...(args.holds.length > 0 ? [{ path: "/remote", role: "RemoteAudit" }] : [])],
          comment: "npm run status: read-only",
        }),
        after,
      ),
    );

    const secrets: Record<string, pulumi.Output<string>> = {};
    for (const holder of args.heldBy) {
      const sync = syncUserOf(holder);
      // DatastoreReader (Audit + Read + Verify) on this site's namespace only: the
      // least role with which a pull can list and read snapshots; no Backup, no Prune.
      const token = run(
        `sync-token-${holder}`,
        principalCommands({ user: sync.user, token: sync.token, acls: [{ path: acl(namespaceOf(site.name)), role: "DatastoreReader" }], comment: `${holder} pulls its copies of ${site.name}`, printSecret: true }),
        after,
        true,
      );
      secrets[holder] = token.stdout.apply((s) => s.trim());
      ready.push(token);
    }
    this.syncSecrets = pulumi.secret(pulumi.all(secrets));

    for (const ns of namespaces) {
      const retention = ns === namespaceOf(site.name) ? site.backup.retention : site.offsite.retention;
      ready.push(run(`prune-${ns}`, pruneJobCommands({ id: pruneJobOf(ns), store, namespace: ns, schedule: pbs.pruneSchedule, retention }), after));
    }
    ready.push(run("verify", verifyJobCommands({ id: verifyJobOf(store), store, schedule: pbs.verify.schedule, outdatedAfterDays: pbs.verify.outdatedAfterDays }), after));

    const pveSecret = pve.stdout.apply((s) => s.trim());
    const pbsStorage = (key: string, id: string, ns: string) =>
      new proxmoxve.storage.Pbs(
        `${name}-${key}`,
        {
          resourceId: id,
          nodes: [site.nodeName],
          // Co-installed: the API is on this host; the certificate is pinned all the same.
          server: "127.0.0.1",
          datastore: store,
          namespace: ns,
          username: PBS_IDS.pveToken,
          password: pveSecret,
          fingerprint: this.fingerprint,
          contents: ["backup"],
        },
        { parent: this, dependsOn: [pve] },
      );
    this.storage = pbsStorage("storage", pbs.storageId, namespaceOf(site.name));
    this.heldStorages = {};
    for (const source of args.holds) this.heldStorages[source] = pbsStorage(`storage-${source}`, heldStorageOf(source), namespaceOf(source));
    this.ready = ready;

    this.registerOutputs({ fingerprint: this.fingerprint, storage: pbs.storageId });
  }
}
