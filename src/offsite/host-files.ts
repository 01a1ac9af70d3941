/**
 * What the offsite pull puts on a host, rendered as text from a direction: the
 * authorized_keys line that lets the other site read (only) the dump directory,
 * the pull's env file, and its systemd units. Pure, so the exact bytes are tested
 * and the same line is used by the integration tests against a real sshd.
 */
import type { SiteSpec } from "../spec/schema";
import { pruneKeepOptions } from "./retention";
import type { PullDirection } from "./directions";

/** Where things live on a Proxmox host. */
export const HOST_PATHS = {
  script: "/usr/local/sbin/retzien-offsite-pull",
  keyDir: "/etc/retzien/offsite-pull",
  privateKey: "/etc/retzien/offsite-pull/id_ed25519",
  publicKey: "/etc/retzien/offsite-pull/id_ed25519.pub",
  knownHosts: "/etc/retzien/offsite-pull/known_hosts",
  hostKey: "/etc/ssh/ssh_host_ed25519_key.pub",
  rrsync: "/usr/bin/rrsync",
  authorizedKeys: "/root/.ssh/authorized_keys",
  unitDir: "/etc/systemd/system",
} as const;

/** Per held site: env file, state directory and unit names. */
export function pullNames(source: string): { envFile: string; stateDir: string; service: string; timer: string } {
  return {
    envFile: `/etc/retzien/offsite-pull-${source}.env`,
    stateDir: `/var/lib/retzien-offsite-pull/${source}`,
    service: `retzien-offsite-pull-${source}.service`,
    timer: `retzien-offsite-pull-${source}.timer`,
  };
}

export type KeyCheck = { ok: true; type: "ssh-ed25519"; blob: string } | { ok: false; reason: string };

/**
 * Accepts exactly one ed25519 public key (`ssh-ed25519 <base64> [comment]`) whose
 * blob really encodes an ed25519 key; anything else (empty, RSA, two lines, an
 * injected option) is refused, so a wrong key is never authorised.
 */
export function checkEd25519PublicKey(text: unknown): KeyCheck {
  if (typeof text !== "string" || text.trim() === "") return { ok: false, reason: "no key" };
  const trimmed = text.trim();
  if (/[\r\n]/.test(trimmed)) return { ok: false, reason: "more than one line" };
  const match = /^ssh-ed25519 ([A-Za-z0-9+/]{68})( [\w@.:+-]*)?$/.exec(trimmed);
  if (match === null) return { ok: false, reason: "not a single ssh-ed25519 public key" };
  const blob = Buffer.from(match[1] as string, "base64");
  const typeLength = blob.readUInt32BE(0);
  const type = blob.subarray(4, 4 + typeLength).toString("latin1");
  const keyLength = blob.length >= 4 + typeLength + 4 ? blob.readUInt32BE(4 + typeLength) : -1;
  if (type !== "ssh-ed25519" || keyLength !== 32 || blob.length !== 4 + typeLength + 4 + 32) {
    return { ok: false, reason: "its blob is not an ed25519 key" };
  }
  return { ok: true, type: "ssh-ed25519", blob: match[1] as string };
}

/** The marker comment that identifies the line authorising `holder`'s pull key. */
export function authorizationMarker(holder: string): string {
  return `retzien-offsite-pull-from-${holder}`;
}

/**
 * `restrict,command="/usr/bin/rrsync -ro <dumpDir>" ssh-ed25519 <blob> <marker>`:
 * no shell, no forwarding, no pty, and rsync limited to reading `dumpDir`.
 */
export function authorizedKeyLine(dumpDir: string, key: { blob: string }, marker: string): string {
  if (!/^\/[\w./-]+$/.test(dumpDir)) throw new Error(`dump directory ${JSON.stringify(dumpDir)} is not a plain absolute path`);
  return `restrict,command="${HOST_PATHS.rrsync} -ro ${dumpDir}" ssh-ed25519 ${key.blob} ${marker}`;
}

/** `[host]:port ssh-ed25519 <blob>`, the known_hosts line for the source's SSH. */
export function knownHostsLine(host: string, port: number, key: { blob: string }): string {
  const name = port === 22 ? host : `[${host}]:${port}`;
  return `${name} ssh-ed25519 ${key.blob}`;
}

/** Quotes a value for a bash-sourced env file. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The env file the pull script reads (`--config`), for one direction, on the holder. */
export function renderPullEnv(direction: PullDirection, holder: SiteSpec): string {
  const names = pullNames(direction.source);
  const keep = pruneKeepOptions(holder.offsite.retention);
  const settings: [string, string][] = [
    ["PEER_NAME", direction.source],
    ["PEER_HOST", direction.sourceHost],
    ["PEER_PORT", String(direction.sourcePort)],
    ["PEER_USER", "root"],
    ["SSH_KEY", HOST_PATHS.privateKey],
    ["KNOWN_HOSTS", HOST_PATHS.knownHosts],
    ["DEST_DIR", direction.copiesDumpDir],
    ["STAGING_DIR", `${direction.storagePath}/.staging`],
    ["STATE_DIR", names.stateDir],
    ["STORAGE_ID", direction.storageId],
    ["KEEP_LAST", keep.keepLast],
    ["KEEP_DAILY", keep.keepDaily],
    ["KEEP_WEEKLY", keep.keepWeekly],
    ["KEEP_MONTHLY", keep.keepMonthly],
    ["KEEP_YEARLY", keep.keepYearly],
    ["BWLIMIT_KBPS", String(direction.bwlimitKiBps)],
    ["EXPECTED_VMIDS", direction.sourceVmids.join(" ")],
    ["STALE_AFTER_HOURS", String(holder.offsite.staleAfterHours)],
    ["FREE_SPACE_MARGIN_MB", String(Math.round(holder.offsite.freeSpaceMarginGiB * 1024))],
    ["MAILTO", holder.backup.mailTo.join(" ")],
  ];
  const lines = settings.map(([k, v]) => `${k}=${shellQuote(v)}`);
  return [
    `# Written by the Pulumi program (OffsitePull, ${direction.holder} pulls ${direction.source}); edits are overwritten.`,
    `# Budget ${direction.budgetMbps} Mbit/s of ${direction.source}'s upload, window ${direction.windowStart}-${direction.windowEnd}.`,
    ...lines,
    "",
  ].join("\n");
}

/** The unit templates shipped in scripts/host/, rendered for one direction. */
export function renderPullUnits(direction: PullDirection, templates: { service: string; timer: string }): { service: string; timer: string } {
  const names = pullNames(direction.source);
  const service = templates.service
    .replace(/^Description=(.*)$/m, `Description=$1, from ${direction.source}`)
    .replace(/ --config \S+$/m, ` --config ${names.envFile}`);
  const timer = templates.timer
    .replace(/^Description=(.*)$/m, `Description=$1, from ${direction.source}`)
    .replace(/^OnCalendar=.*$/m, `OnCalendar=*-*-* ${direction.windowStart}`)
    .replace(/^Unit=.*$/m, `Unit=${names.service}`);
  for (const [name, text, must] of [
    ["service", service, names.envFile],
    ["timer", timer, `Unit=${names.service}`],
  ] as const) {
    if (!text.includes(must)) throw new Error(`the ${name} template no longer has the line the program rewrites (${must})`);
  }
  return { service, timer };
}
