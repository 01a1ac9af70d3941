/**
 * What each kind of service needs through its firewall to work, written once,
 * each flow with where it comes from. A container's openings in its spec must
 * be exactly these: a needed flow left out breaks the service behind a
 * default-deny firewall without a word (members' IMAP clients refused, mail
 * queued forever), and an opening no flow needs is a door nobody watches.
 *
 * Sources marked "not fetched here" were written from the protocol's RFC or
 * the software's defaults as known, without reading the vendor's page here.
 */
export const SERVICE_KINDS = ["web", "plesk-mail", "nextcloud", "relay"] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

/** Who is at the other end: anyone, the admin networks, the site's own host, the site's services of a kind, or an outside host of `firewall.hosts`. */
export type NeedPeer = "internet" | "admin" | "site-host" | { readonly kind: ServiceKind } | { readonly host: string };

export interface NeededFlow {
  /** What breaks without it, in a volunteer's words. */
  readonly flow: string;
  readonly type: "in" | "out";
  readonly proto: "tcp" | "udp";
  readonly ports: readonly number[];
  readonly peer: NeedPeer;
  /**
   * With a kind as peer: one rule per service of that kind on the site, none
   * when the site has none (the relay takes mail from whoever sends through
   * it). Without: the site must have one.
   */
  readonly eachOfKind?: true;
  /** Where the ports come from. */
  readonly source: string;
}

/** Every Debian container, whatever its service. */
const DEBIAN: readonly NeededFlow[] = [
  { flow: "DNS", type: "out", proto: "udp", ports: [53], peer: "internet", source: "RFC 1035" },
  { flow: "DNS over TCP (answers too large for UDP)", type: "out", proto: "tcp", ports: [53], peer: "internet", source: "RFC 7766: TCP is required of every resolver" },
  {
    flow: "Debian's updates (apt verifies their signatures, so plain HTTP is fine)",
    type: "out",
    proto: "tcp",
    ports: [80, 443],
    peer: "internet",
    source: "deb.debian.org and security.debian.org over http and https (sources.list(5))",
  },
  // No NTP: an unprivileged container keeps the host's clock and cannot set it; systemd-timesyncd does not
  // even start in one (its unit has ConditionVirtualization=!container).
];

const NEEDS: Readonly<Record<ServiceKind, readonly NeededFlow[]>> = {
  web: [
    { flow: "the websites over HTTP (redirects, and ACME's http-01 challenge)", type: "in", proto: "tcp", ports: [80], peer: "internet", source: "RFC 8555 §8.3 (http-01 on port 80)" },
    { flow: "the websites over HTTPS", type: "in", proto: "tcp", ports: [443], peer: "internet", source: "RFC 2818" },
    { flow: "the sites' mail, submitted to the outbound server", type: "out", proto: "tcp", ports: [587], peer: { host: "outbound-server" }, source: "RFC 6409 (message submission)" },
  ],
  "plesk-mail": [
    { flow: "incoming mail (the MX)", type: "in", proto: "tcp", ports: [25], peer: "internet", source: "RFC 5321" },
    { flow: "members' mail clients sending (submission with STARTTLS)", type: "in", proto: "tcp", ports: [587], peer: "internet", source: "RFC 6409" },
    { flow: "members' mail clients sending (submission over TLS)", type: "in", proto: "tcp", ports: [465], peer: "internet", source: "RFC 8314" },
    { flow: "members' mail clients reading by IMAP with STARTTLS (Plesk's client settings page offers it)", type: "in", proto: "tcp", ports: [143], peer: "internet", source: "RFC 9051; Dovecot's default imap listener" },
    { flow: "members' mail clients reading by IMAP over TLS", type: "in", proto: "tcp", ports: [993], peer: "internet", source: "RFC 8314; Dovecot's default imaps listener" },
    { flow: "members' mail clients reading by POP3 with STARTTLS", type: "in", proto: "tcp", ports: [110], peer: "internet", source: "RFC 1939, RFC 2595; Dovecot's default pop3 listener" },
    { flow: "members' mail clients reading by POP3 over TLS", type: "in", proto: "tcp", ports: [995], peer: "internet", source: "RFC 8314; Dovecot's default pop3s listener" },
    { flow: "the webmail over HTTP (redirects, and ACME's http-01 challenge)", type: "in", proto: "tcp", ports: [80], peer: "internet", source: "RFC 8555 §8.3" },
    { flow: "the webmail over HTTPS", type: "in", proto: "tcp", ports: [443], peer: "internet", source: "RFC 2818" },
    { flow: "the Plesk panel, for the operators", type: "in", proto: "tcp", ports: [8443], peer: "admin", source: "Plesk's list of the ports it uses (8443: the panel over HTTPS; not fetched here)" },
    { flow: "every outgoing mail, through the relay (Plesk's smarthost)", type: "out", proto: "tcp", ports: [25], peer: { kind: "relay" }, source: "RFC 5321; the relay's Postfix listens on 25" },
    {
      flow: "SpamAssassin's Razor checks",
      type: "out",
      proto: "tcp",
      ports: [2703, 7],
      peer: "internet",
      source: "SpamAssassin wiki, NetTestFirewallIssues (Razor2: tcp 2703, and tcp 7 to the same servers)",
    },
    { flow: "SpamAssassin's Pyzor checks", type: "out", proto: "udp", ports: [24441], peer: "internet", source: "SpamAssassin wiki, NetTestFirewallIssues; Pyzor's public server port" },
    { flow: "SpamAssassin's DCC checks", type: "out", proto: "udp", ports: [6277], peer: "internet", source: "SpamAssassin wiki, NetTestFirewallIssues (DCC: udp 6277)" },
  ],
  nextcloud: [
    { flow: "Nextcloud over HTTP (redirects, and ACME's http-01 challenge)", type: "in", proto: "tcp", ports: [80], peer: "internet", source: "RFC 8555 §8.3" },
    { flow: "Nextcloud over HTTPS (web, WebDAV, CalDAV, CardDAV, the apps)", type: "in", proto: "tcp", ports: [443], peer: "internet", source: "Nextcloud's admin manual: clients reach the server over HTTPS (not fetched here)" },
    { flow: "notifications by mail, through the relay", type: "out", proto: "tcp", ports: [25], peer: { kind: "relay" }, source: "RFC 5321; Nextcloud's mail_smtpport set to 25" },
    // Not opened, on purpose: the Mail app (IMAP 993 and SMTP to members' own mail servers) and Talk's
    // STUN/TURN (3478) are not offered; opening them is a change of this list, with its source.
  ],
  relay: [
    { flow: "mail from the mail server, on its way out", type: "in", proto: "tcp", ports: [25], peer: { kind: "plesk-mail" }, eachOfKind: true, source: "RFC 5321" },
    { flow: "Nextcloud's notifications, on their way out", type: "in", proto: "tcp", ports: [25], peer: { kind: "nextcloud" }, eachOfKind: true, source: "RFC 5321" },
    {
      flow: "mail out through the outbound server (SPF, DKIM, reverse DNS): SMTP, or submission with credentials",
      type: "out",
      proto: "tcp",
      ports: [25, 587],
      peer: { host: "outbound-server" },
      source: "RFC 5321, RFC 6409",
    },
  ],
};

/** The relay that the site's host sends its alarms through (`backup.alarmPath` via relay): one more sender. */
const HOST_ALARMS: NeededFlow = {
  flow: "the host's alarms, on their way out (backup.alarmPath names this relay)",
  type: "in",
  proto: "tcp",
  ports: [25],
  peer: "site-host",
  source: "RFC 5321; the host's Postfix relayhost (src/host/alarm-path.ts)",
};

/**
 * What a service of `kind` needs, the Debian essentials first; a relay that
 * carries the host's alarms (`takesHostAlarms`) also takes the host's mail.
 */
export function neededFlows(kind: ServiceKind, takesHostAlarms = false): readonly NeededFlow[] {
  return [...DEBIAN, ...NEEDS[kind], ...(kind === "relay" && takesHostAlarms ? [HOST_ALARMS] : [])];
}
