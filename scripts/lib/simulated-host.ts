/**
 * What only a real host could answer, simulated for the offline plan and the
 * stack tests: each site's PBS certificate fingerprint, its site-link public key,
 * the secrets of the tokens its PBS makes, and what the peers' stacks have
 * published. All derived from names, so they are stable and obviously not real.
 */
import { createHash } from "node:crypto";

const digest = (text: string) => createHash("sha256").update(text).digest();

/** A well-formed SHA-256 fingerprint, `aa:bb:...`, standing for a PBS certificate's. */
export function simulatedFingerprint(site: string): string {
  return [...digest(`simulated PBS certificate of ${site}`)].map((b) => b.toString(16).padStart(2, "0")).join(":");
}

/** A well-formed WireGuard public key (32 bytes, base64). */
export function simulatedLinkKey(site: string): string {
  return digest(`simulated site-link key of ${site}`).toString("base64");
}

/** A well-formed PBS token secret (a UUID) standing for the one `generate-token` prints. */
export function simulatedTokenSecret(site: string, tokenId: string): string {
  const h = digest(`simulated secret of ${tokenId} on ${site}`).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** What a host command prints, by the command resource's name (see BackupServer and SiteLink). */
export function simulatedCommandStdout(site: string, name: string): string {
  if (name === `${site}-pbs-install`) return `${simulatedFingerprint(site)}\n`;
  if (name === `${site}-link-key`) return `${simulatedLinkKey(site)}\n`;
  if (name === `${site}-pbs-pve-token`) return `${simulatedTokenSecret(site, "pve@pbs!vzdump")}\n`;
  const sync = new RegExp(`^${site}-pbs-sync-token-(.+)$`).exec(name);
  if (sync !== null) return `${simulatedTokenSecret(site, `sync-${sync[1]}@pbs!pull`)}\n`;
  return "";
}

/** The outputs a deployed peer stack has published, and which of them are secret. */
export function simulatedPeerOutputs(site: string, holders: readonly string[]): { outputs: Record<string, unknown>; secretOutputNames: string[] } {
  return {
    outputs: {
      backupServer: { fingerprint: simulatedFingerprint(site), linkPublicKey: simulatedLinkKey(site) },
      syncTokens: Object.fromEntries(holders.map((h) => [h, simulatedTokenSecret(site, `sync-${h}@pbs!pull`)])),
    },
    secretOutputNames: ["syncTokens"],
  };
}
