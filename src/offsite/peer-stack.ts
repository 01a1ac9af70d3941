/**
 * Reading what another site's stack published (its PBS certificate fingerprint,
 * its site-link public key, and the read-only sync token it made for this site)
 * through a StackReference, before any resource that depends on it is declared:
 * nothing is created inside an `apply`, and a missing or malformed value is a
 * warning and a skipped step, never a wrong remote or tunnel peer.
 */
import * as pulumi from "@pulumi/pulumi";

/** Stack outputs under which a site publishes what its peers need. */
export const PUBLICATION_OUTPUT = "backupServer";
export const SYNC_TOKENS_OUTPUT = "syncTokens";

/** What a site publishes in the clear. */
export interface Publication {
  /** SHA-256 fingerprint of its PBS certificate, `aa:bb:...` (32 bytes). */
  readonly fingerprint: string;
  /** Its WireGuard public key. */
  readonly linkPublicKey: string;
}

/** What a peer published for this site, validated; a missing value is `undefined`, with the reason in `warnings`. */
export interface PeerPublication {
  readonly site: string;
  readonly stackName: string;
  readonly fingerprint: string | undefined;
  readonly linkPublicKey: string | undefined;
  /** The secret of the token the peer made for this site to pull with; a secret Output. */
  readonly syncSecret: pulumi.Output<string> | undefined;
  readonly warnings: string[];
}

const FINGERPRINT = /^([0-9a-f]{2}:){31}[0-9a-f]{2}$/i;
const WIREGUARD_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw480]=$/;
const TOKEN_SECRET = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `organization/project/stack`: the name a self-managed backend gives the peer's stack. */
export function peerStackName(site: string): string {
  return `${pulumi.getOrganization()}/${pulumi.getProject()}/${site}`;
}

/** Checks one published value; `undefined` (and a warning) when it is missing or malformed. */
export function acceptPublished(site: string, what: string, value: unknown, pattern: RegExp, warnings: string[]): string | undefined {
  if (typeof value === "string" && pattern.test(value)) return value;
  warnings.push(
    value === undefined || value === null || value === ""
      ? `${site} has published no ${what} yet (is its stack deployed?); the steps that need it are skipped until the next pulumi up`
      : `${site}'s published ${what} is refused (not the expected format); the steps that need it are skipped`,
  );
  return undefined;
}

/** Reads and validates what `site` published for `self`; each problem becomes a warning. */
export async function readPeerPublication(ref: pulumi.StackReference, site: string, stackName: string, self: string): Promise<PeerPublication> {
  const published = (await ref.getOutputDetails(PUBLICATION_OUTPUT)).value as Partial<Publication> | undefined;
  const tokens = (await ref.getOutputDetails(SYNC_TOKENS_OUTPUT)).secretValue as Record<string, unknown> | undefined;
  if (published === undefined) {
    return {
      site,
      stackName,
      fingerprint: undefined,
      linkPublicKey: undefined,
      syncSecret: undefined,
      warnings: [`${site}'s stack has no ${PUBLICATION_OUTPUT} output yet (first deployment?): the site link and the pull of its copies wait for the next pulumi up of this stack`],
    };
  }
  const warnings: string[] = [];
  const fingerprint = acceptPublished(site, "PBS certificate fingerprint", published.fingerprint, FINGERPRINT, warnings);
  const linkPublicKey = acceptPublished(site, "site-link public key", published.linkPublicKey, WIREGUARD_KEY, warnings);
  // The secret is checked for shape only; it never appears in a warning.
  const secret = acceptPublished(site, `sync token for ${self}`, tokens?.[self], TOKEN_SECRET, warnings);
  return { site, stackName, fingerprint, linkPublicKey, syncSecret: secret === undefined ? undefined : pulumi.secret(secret), warnings };
}
