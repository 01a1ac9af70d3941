/**
 * The mail settings inside the guests that the firewall's flows imply: each
 * service that sends its mail through the site's relay names the relay as its
 * smarthost, and the relay relays for exactly those senders (Postfix's
 * `mynetworks`). Compiled from the spec's openings, so that the settings the
 * plan shows and the runbook's failover step ask for are the firewall's own.
 * Not yet set or read in the guests by the program: the plan shows them.
 */
import type { SiteSpec } from "../site/schema";
import { type AlarmRoute, alarmRouteOf } from "../host/alarm-path";
import type { ServiceKind } from "./service-needs";
import { hostAddress } from "./compile";

export interface MailRouting {
  /** Each service that hands its mail to a relay of the site, and that relay as Postfix's `relayhost` writes it. */
  readonly smarthosts: readonly { readonly service: string; readonly kind: ServiceKind; readonly relay: string; readonly relayhost: string }[];
  /** Each relay, and the `mynetworks` that lets exactly its senders relay (and the relay itself); the host is one when its alarms go through it. */
  readonly relays: readonly { readonly service: string; readonly senders: readonly string[]; readonly mynetworks: string }[];
  /** How the host's own alarms leave it (`backup.alarmPath`). */
  readonly alarms: AlarmRoute;
}

/** The host, among a relay's senders. */
export const HOST_SENDER = "the host's alarms";

/** SMTP to a relay: its port 25. */
const SMTP = 25;

/** A Postfix network: IPv6 in brackets (postconf(5), mynetworks). */
const postfixNetwork = (address: string, prefix: number) => (address.includes(":") ? `[${address}]/${prefix}` : `${address}/${prefix}`);

/**
 * @param alarms the host's alarm path, from the whole site: `site` may leave out
 * the services away from it, and the relay the path names with them.
 */
export function mailRoutingOf(site: SiteSpec, alarms: AlarmRoute = alarmRouteOf(site)): MailRouting {
  const relays = site.containers.filter((c) => c.kind === "relay");
  const sendsTo = (c: SiteSpec["containers"][number]) =>
    relays.filter((relay) =>
      c.firewall.outbound.some((r) => r.proto === "tcp" && (r.ports ?? []).map(Number).includes(SMTP) && typeof r.to === "object" && "service" in r.to && r.to.service === relay.name),
    );
  const smarthosts = site.containers.flatMap((c) => sendsTo(c).map((relay) => ({ service: c.name, kind: c.kind, relay: relay.name, relayhost: `[${hostAddress(relay.network.ipv4)}]:${SMTP}` })));
  return {
    smarthosts,
    relays: relays.map((relay) => {
      const services = smarthosts.filter((s) => s.relay === relay.name).map((s) => s.service);
      const carriesAlarms = alarms.via === "relay" && alarms.relay === relay.name;
      const addresses = [
        ...site.containers.filter((c) => services.includes(c.name)).flatMap((c) => [c.network.ipv4, ...(c.network.ipv6 === undefined ? [] : [c.network.ipv6])]),
        ...(carriesAlarms ? [site.firewall.localNetwork] : []),
      ].map((a) => hostAddress(a));
      const senders = [...services, ...(carriesAlarms ? [HOST_SENDER] : [])];
      return { service: relay.name, senders, mynetworks: ["127.0.0.0/8", "[::1]/128", ...addresses.map((a) => postfixNetwork(a, a.includes(":") ? 128 : 32))].join(" ") };
    }),
    alarms,
  };
}

/** Where a service of `kind` keeps its smarthost, for a volunteer who sets it by hand. */
export function smarthostSetting(kind: ServiceKind, relayhost: string): string {
  const [host = "", port = ""] = relayhost.replace(/^\[/, "").split("]:");
  if (kind === "plesk-mail") return `Plesk's smarthost (Tools & Settings > Mail Server Settings) ${host}, port ${port}: Postfix's relayhost = ${relayhost}`;
  if (kind === "nextcloud") return `Nextcloud's mail_smtphost ${host} and mail_smtpport ${port} (occ config:system:set)`;
  return `its smarthost ${relayhost}`;
}
