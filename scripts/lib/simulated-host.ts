/**
 * What only a real host could answer, simulated for the offline plan and the
 * stack tests: each site's pull key and SSH host key (well-formed ed25519 public
 * keys derived from the site name, so they are stable and obviously not real),
 * and what the peers' stacks have published.
 */
import { createHash } from "node:crypto";

/** A deterministic, well-formed `ssh-ed25519` public key standing for a host's key. */
export function simulatedPublicKey(site: string, kind: "pull" | "host"): string {
  const type = Buffer.from("ssh-ed25519");
  const key = createHash("sha256").update(`simulated ${kind} key of ${site}`).digest();
  const blob = Buffer.alloc(4 + type.length + 4 + key.length);
  blob.writeUInt32BE(type.length, 0);
  type.copy(blob, 4);
  blob.writeUInt32BE(key.length, 4 + type.length);
  key.copy(blob, 8 + type.length);
  return `ssh-ed25519 ${blob.toString("base64")} simulated-${kind}@${site}`;
}

/** The stdout of the keys command on `site`: its pull key, then its host key. */
export function simulatedKeysStdout(site: string): string {
  return `${simulatedPublicKey(site, "pull")}\n${simulatedPublicKey(site, "host")}\n`;
}

/** The outputs a deployed peer stack has published. */
export function simulatedPeerOutputs(site: string): Record<string, unknown> {
  return { offsitePull: { publicKey: simulatedPublicKey(site, "pull"), hostKey: simulatedPublicKey(site, "host") } };
}
