/**
 * The one-time commands that make the Proxmox VE tokens on a host, from the role
 * tables, so the bootstrap and the roles the tests check cannot drift apart.
 * Run as root on the host (its console or SSH), once per host; only root can
 * make roles, users and tokens, which is why the deploy token never can.
 */
import { heldStorageOf } from "../backup/names";
import { shq } from "../backup/pbs-commands";
import { directionsOf } from "../offsite/directions";
import type { PairingEntry } from "../offsite/pairing";
import type { SiteSpec } from "../site/schema";
import { PBS_STORAGES_PATH } from "./pve-privileges";
import { type PveTokenRole, tokenId } from "./pve-roles";

/**
 * The oldest Proxmox VE the program works with: the provider's cluster and node
 * firewall resources send fields PVE accepts from 8.3 on, and the nightly job's
 * `pbs-change-detection-mode` needs 8.2 (issue 19's reading of
 * bpg/terraform-provider-proxmox and pve-manager; not yet checked against a host).
 */
export const MIN_PVE = { major: 8, minor: 3 } as const;

/**
 * The first lines of every script the bootstrap prints: bash that stops on the
 * first failure, and a check of the host's Proxmox VE version before anything
 * changes, so that a too-old host is refused with one line rather than failing
 * half-way through a `pulumi up`.
 */
export function hostCheckLines(): string[] {
  const { major, minor } = MIN_PVE;
  return [
    "#!/usr/bin/env bash",
    "set -euo pipefail",
    // pveversion prints "<package>/<version_text> (running kernel: ...)", i.e. "pve-manager/8.3.2/3e76eec21c4a14a7 (running
    // kernel: ...)" (pve-manager bin/pveversion, read at 14a22df).
    String.raw`version=$(pveversion | sed -n 's|^pve-manager/\([0-9]*\.[0-9]*\).*|\1|p')`,
    `if [ -z "$version" ] || [ "\${version%%.*}" -lt ${major} ] || { [ "\${version%%.*}" -eq ${major} ] && [ "\${version#*.}" -lt ${minor} ]; }; then`,
    `  echo "retzien-infra needs Proxmox VE ${major}.${minor} or later (its firewall and backup fields), and this host runs: $(pveversion 2>&1 || echo 'no pveversion')" >&2`,
    "  exit 1",
    "fi",
  ];
}

/**
 * Lines that refuse to go on unless the machine running the bootstrap (the one
 * that will deploy) reaches the host from one of the admin networks, as the
 * host sees it (sshd's SSH_CLIENT): the first `pulumi up` switches the firewall
 * on, and from then on the API and SSH answer those networks alone. A VPN
 * masqueraded by a LAN box, say, would show the box's LAN address here, and
 * the up would cut its own connection. Perl's core Socket module compares the
 * prefixes of both families (Perl is on every Proxmox VE host: PVE is written in it).
 */
export function clientCheckLines(site: Pick<SiteSpec, "name" | "firewall">): string[] {
  const networks = site.firewall.adminNetworks.join(" ");
  const inside = String.raw`perl -MSocket=inet_pton,AF_INET,AF_INET6 -e 'sub bits { my $f = $_[0] =~ /:/ ? AF_INET6 : AF_INET; my $p = inet_pton($f, $_[0]); defined $p ? unpack("B*", $p) : "" } my ($a, @nets) = @ARGV; $a =~ s/^::ffff:(\d+\.\d+\.\d+\.\d+)$/$1/; my $b = bits($a); for (@nets) { my ($n, $len) = split m{/}; my $c = bits($n); exit 0 if $b ne "" && length($c) == length($b) && substr($b, 0, $len) eq substr($c, 0, $len) } exit 1'`;
  return [
    `client=\${SSH_CLIENT%% *}`,
    `if [ -z "$client" ]; then`,
    `  echo "run this over SSH from the machine that will deploy (npm run --silent bootstrap -- --site ${site.name} | ssh root@<host> bash): its address as this host sees it must be in ${site.name}'s admin networks (${networks}), or the first pulumi up cuts its own connection when it switches the firewall on" >&2`,
    "  exit 1",
    "fi",
    `if ! ${inside} "$client" ${networks}; then`,
    `  echo "this host sees the deploying machine as $client, outside ${site.name}'s admin networks (${networks}): the first pulumi up would cut its own connection when it switches the firewall on. Connect through the operators' VPN (a VPN masqueraded by a LAN box shows the box's address: route it instead), or add the network to sites.${site.name}.firewall.adminNetworks" >&2`,
    "  exit 1",
    "fi",
  ];
}

/**
 * The `pveum` commands that make one role's token on one host, in order.
 * @param pbsStorages that host's PBS storage ids, for the grants on them.
 */
export function bootstrapCommands(role: PveTokenRole, pbsStorages: readonly string[]): string[] {
  const paths = (path: string) => (path === PBS_STORAGES_PATH ? pbsStorages.map((id) => `/storage/${id}`) : [path]);
  return [
    ...role.acls.map((acl) => `pveum role add ${role.rolePrefix}${acl.label} --privs ${shq(acl.privileges.join(","))}`),
    // No password in the pve realm: the user can never log in, it only owns the token.
    `pveum user add ${role.user} --comment ${shq(`retzien ${role.name}: owns the token ${tokenId(role)}, cannot log in`)}`,
    ...role.acls.flatMap((acl) => paths(acl.path).map((path) => `pveum acl modify ${path} --users ${role.user} --roles ${role.rolePrefix}${acl.label}`)),
    // privsep 0: the token has its user's privileges, which are exactly the ACLs above.
    `pveum user token add ${role.user} ${role.tokenName} --privsep 0 --comment ${shq(role.purpose)}`,
  ];
}

/** The same roles changed later (a new kind of resource needs a privilege): `role modify` replaces the list. */
export function roleUpdateCommands(role: PveTokenRole): string[] {
  return role.acls.map((acl) => `pveum role modify ${role.rolePrefix}${acl.label} --privs ${shq(acl.privileges.join(","))}`);
}

/** A host's PBS storages: its own (`pbs`) and one per site whose copies it holds (`pbs-<source>`). */
export function pbsStorageIdsOf(site: SiteSpec, sites: readonly SiteSpec[], pairing: readonly PairingEntry[]): string[] {
  const held = directionsOf(pairing, sites).filter((d) => d.holder === site.name).map((d) => heldStorageOf(d.source));
  return [site.backupServer.storageId, ...held];
}

/** An OpenSSH public key line: its type, its key, and maybe a comment. */
const PUBLIC_KEY = /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/]+={0,3}( [^\n"]*)?$/;

/**
 * The authorized_keys line that lets a key run the status probe on a host as
 * root, and nothing else: `restrict` (no shell, no forwarding, no terminal) and
 * a forced command, the probe the dead-man watch installs. For `npm run status`
 * from a cron job, whose key would otherwise be a root shell on both hosts.
 * @returns the line, or why the key is refused.
 */
export function statusKeyLine(publicKey: string, probe: string): { ok: true; line: string } | { ok: false; reason: string } {
  const key = publicKey.trim();
  if (!PUBLIC_KEY.test(key)) return { ok: false, reason: "an OpenSSH public key line, such as ssh-ed25519 AAAA... retzien-status" };
  return { ok: true, line: `restrict,command="${probe}" ${key}` };
}

/** The commands that add that line to root's authorized_keys, once. */
export function statusKeyCommands(line: string): string[] {
  return ["install -d -m 700 /root/.ssh", `grep -qxF ${shq(line)} /root/.ssh/authorized_keys 2>/dev/null || printf '%s\\n' ${shq(line)} >> /root/.ssh/authorized_keys`];
}
