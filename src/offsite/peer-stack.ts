/**
 * Reading what another site's stack published about its offsite pull (its pull
 * key and its SSH host key) through a StackReference, before any resource that
 * depends on it is declared, so that nothing is created inside an `apply` and a
 * missing or malformed key is a warning and a skipped step, never a wrong line
 * in authorized_keys.
 */
import * as pulumi from "@pulumi/pulumi";
import { type KeyCheck, checkEd25519PublicKey } from "./host-files";

/** The stack output under which a site publishes its offsite identity. */
export const OFFSITE_OUTPUT = "offsitePull";

/** What a peer published, validated; a missing key is `undefined`, with the reason in `warnings`. */
export interface PeerPublication {
  readonly site: string;
  readonly stackName: string;
  readonly pullKey: { blob: string } | undefined;
  readonly hostKey: { blob: string } | undefined;
  readonly warnings: string[];
}

/** `organization/project/stack`: the name a self-managed backend gives the peer's stack. */
export function peerStackName(site: string): string {
  return `${pulumi.getOrganization()}/${pulumi.getProject()}/${site}`;
}

function accept(site: string, what: string, value: unknown, warnings: string[]): { blob: string } | undefined {
  const check: KeyCheck = checkEd25519PublicKey(value);
  if (check.ok) return { blob: check.blob };
  warnings.push(
    value === undefined || value === null || value === ""
      ? `${site} has published no ${what} yet (is its stack deployed?); the steps that need it are skipped until the next pulumi up`
      : `${site}'s published ${what} is refused (${check.reason}); the steps that need it are skipped`,
  );
  return undefined;
}

/** Reads and validates a peer's publication; each problem becomes a warning. */
export async function readPeerPublication(ref: pulumi.StackReference, site: string, stackName: string): Promise<PeerPublication> {
  const details = await ref.getOutputDetails(OFFSITE_OUTPUT);
  const published = (details.value ?? details.secretValue) as { publicKey?: unknown; hostKey?: unknown } | undefined;
  const warnings: string[] = [];
  const pullKey = accept(site, "offsite pull key", published?.publicKey, warnings);
  const hostKey = accept(site, "SSH host key", published?.hostKey, warnings);
  // One warning when nothing at all is published (the first deployment of the first site).
  const collapsed = published === undefined ? [`${site}'s stack has no ${OFFSITE_OUTPUT} output yet (first deployment?): its pull key is not authorised and its host key not trusted until the next pulumi up of this stack`] : warnings;
  return { site, stackName, pullKey, hostKey, warnings: collapsed };
}
