/**
 * How the host's alarms leave it. PVE's and PBS's notifications (their
 * `sendmail` targets), the drills and the dead-man watch all hand their mail to
 * the host's Postfix. Left as installed, Postfix delivers straight to each
 * recipient's MX on port 25: residential lines often block that, the
 * association's MX may be the very site that is down, and `sendmail` has
 * already answered yes, so nothing notices. The spec's `backup.alarmPath` names
 * the way out, and this puts it in Postfix's `main.cf` with `postconf`:
 * - through the site's relay: `relayhost` on its port 25, TLS if it offers it;
 * - by submission to an outside server: `relayhost` on its submission port, TLS
 *   required and the certificate checked against the server's name (postconf(5):
 *   `smtp_tls_security_level = secure`, matched against the next hop), and SASL
 *   with the host's own account, whose password is kept in a map readable by
 *   root alone.
 * Parameters read in the Postfix 3.7 manual pages (Debian 12's, PVE 8's base).
 * PVE's installer's own main.cf was not looked up here: every parameter the path
 * relies on is set, and every one the other path sets is removed.
 */
import type { SiteSpec } from "../site/schema";
import { type HostCommands, shq } from "../backup/pbs-commands";
import { hostAddress } from "../firewall/compile";

/** The password map: root-only, in the directory Postfix's tools expect. */
export const ALARM_PASSWORD_MAP = "/etc/postfix/retzien-alarm-password";

/** Debian's bundle of the system's trusted CAs: the submission server's certificate must chain to one. */
const CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

export type AlarmRoute =
  | { readonly via: "relay"; readonly relay: string; readonly relayhost: string }
  | { readonly via: "submission"; readonly server: string; readonly relayhost: string; readonly username: string };

/** SMTP to a relay on the LAN. */
const SMTP = 25;

/** Where the site's alarm path sends the host's mail, as Postfix's `relayhost` writes it. */
export function alarmRouteOf(site: SiteSpec): AlarmRoute {
  const path = site.backup.alarmPath;
  if (path.via === "submission") return { via: "submission", server: path.serverName, relayhost: `[${path.serverName}]:${path.port}`, username: path.username };
  const relay = site.containers.find((c) => c.name === path.container);
  if (relay === undefined) throw new Error(`${site.name}'s alarm path names no relay of it (${path.container}): validation should have refused it`);
  return { via: "relay", relay: relay.name, relayhost: `[${hostAddress(relay.network.ipv4)}]:${SMTP}` };
}

/** One line for the plan and the status: where the alarms go, and how. */
export function describeAlarmRoute(route: AlarmRoute): string {
  return route.via === "relay"
    ? `through the relay ${route.relay} (${route.relayhost}, the host in its mynetworks)`
    : `by submission to ${route.relayhost}, TLS with the certificate checked, as ${route.username} (password: the stack's secret alarmPassword)`;
}

/** The parameters each path sets; the union is what a path removes of the other's. */
function parametersOf(route: AlarmRoute): Record<string, string> {
  if (route.via === "relay") return { relayhost: route.relayhost, smtp_tls_security_level: "may" };
  return {
    relayhost: route.relayhost,
    smtp_tls_security_level: "secure",
    smtp_tls_CAfile: CA_BUNDLE,
    smtp_sasl_auth_enable: "yes",
    // The map's type follows the release (hash on Debian 12, its successor later): postmap makes the same.
    smtp_sasl_password_maps: `\${default_database_type}:${ALARM_PASSWORD_MAP}`,
    // No anonymous login, and plain-text passwords only inside TLS (which `secure` requires).
    smtp_sasl_security_options: "noanonymous",
    smtp_sasl_tls_security_options: "noanonymous",
  };
}

const SUBMISSION_ONLY = Object.keys(parametersOf({ via: "submission", server: "", relayhost: "", username: "" })).filter((p) => p !== "relayhost" && p !== "smtp_tls_security_level");

/** A reload when Postfix runs: a stopped one reads main.cf when it starts. */
const RELOAD = "if postfix status >/dev/null 2>&1; then postfix reload; fi";

/**
 * The host's Postfix set to the route: `password` is the account's (a secret:
 * the script that carries it is a secret output). printf is the shell's own, so
 * the password never shows in the process list.
 */
export function alarmPathCommands(route: AlarmRoute, password?: string): HostCommands {
  const set = Object.entries(parametersOf(route)).map(([name, value]) => shq(`${name} = ${value}`));
  const lines =
    route.via === "relay"
      ? [`postconf -e ${set.join(" ")}`, `postconf -X ${SUBMISSION_ONLY.join(" ")}`, `rm -f ${ALARM_PASSWORD_MAP} ${ALARM_PASSWORD_MAP}.*`]
      : [
          "umask 077",
          `printf '%s %s:%s\\n' ${shq(route.relayhost)} ${shq(route.username)} ${shq(passwordOf(password))} > ${ALARM_PASSWORD_MAP}`,
          `postmap ${ALARM_PASSWORD_MAP}`,
          `postconf -e ${set.join(" ")}`,
        ];
  return {
    create: ["set -eu", ...lines, RELOAD, ""].join("\n"),
    // Back to Postfix's own delivery: what the host did before the program set a path.
    delete: ["set -eu", `postconf -X relayhost smtp_tls_security_level ${SUBMISSION_ONLY.join(" ")}`, `rm -f ${ALARM_PASSWORD_MAP} ${ALARM_PASSWORD_MAP}.*`, RELOAD, ""].join("\n"),
  };
}

function passwordOf(password: string | undefined): string {
  if (password === undefined) throw new Error("an alarm path by submission needs its password: validation should have refused its absence");
  return password;
}
