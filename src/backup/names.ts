/**
 * The names of everything PBS-related, derived in one place: the program creates
 * them, the status probe reads them, the runbook restores from them. A rename
 * here is a rename everywhere, never a silent mismatch.
 */

/** A site's snapshots live in the namespace named after it, at home and at every holder. */
export const namespaceOf = (site: string): string => site;

/** PBS users and API tokens, each with the one role its job needs (docs/backup.md). */
export const PBS_IDS = {
  /** Proxmox VE's own writer on the local PBS (vzdump), and reader of the held copies (restore). */
  pveUser: "pve@pbs",
  pveToken: "pve@pbs!vzdump",
  /** Local owner of the copies a pull writes (Datastore.Backup on each held namespace, nothing else). */
  offsiteOwner: "offsite@pbs",
  /** The status probe: Datastore.Audit, read-only. */
  statusUser: "status@pbs",
  statusToken: "status@pbs!probe",
} as const;

/** On the source: the user and token a holder pulls with (DatastoreReader on the source's namespace only). */
export function syncUserOf(holder: string): { user: string; token: string; tokenName: string } {
  return { user: `sync-${holder}@pbs`, token: `sync-${holder}@pbs!pull`, tokenName: "pull" };
}

/** On the holder: the remote that names the source's PBS, and the pull job from it. */
export const remoteOf = (source: string): string => source;
export const syncJobOf = (source: string): string => `pull-${source}`;
/** One prune job per namespace of the datastore (own retention at home, the holder's for copies). */
export const pruneJobOf = (namespace: string): string => `prune-${namespace}`;
export const verifyJobOf = (datastore: string): string => `verify-${datastore}`;

/** The Proxmox VE storage over the held copies of `source` on the holder: `pct restore` and the web UI list them. */
export const heldStorageOf = (source: string): string => `pbs-${source}`;

/** Where token secrets live on a host: root-only files, written once when the token is made. */
export const TOKEN_DIR = "/etc/retzien/pbs";
export const tokenSecretFile = (tokenId: string, dir: string = TOKEN_DIR): string => `${dir}/${tokenId.replace(/[@!]/g, "_")}.secret`;

/** PBS API port. */
export const PBS_PORT = 8007;

