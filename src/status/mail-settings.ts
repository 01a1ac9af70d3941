/**
 * The Postfix settings that make mail leave, read on the hosts and in the guests
 * by the status probe and compared with what the spec compiles to: the host's
 * `relayhost` (its alarm path, set by the program, so a difference is drift),
 * each Plesk mail server's `relayhost` (Plesk's smarthost) and each relay's
 * `mynetworks` (set by hand: the plan shows the values). Plesk keeps its
 * smarthost in Postfix's `relayhost` like any Postfix: that is read, not
 * Plesk's own panel (no Plesk CLI for it was looked up here). Nextcloud keeps
 * its own SMTP settings, outside Postfix: not read.
 */
import type { SiteSpec } from "../site/schema";
import { mailRoutingOf, smarthostSetting } from "../firewall/mail-routing";
import { alarmRouteOf } from "../host/alarm-path";

export interface MailSettingCheck {
  /** The probe's `--postconf` word: `host:relayhost`, `230:mynetworks`. */
  readonly key: string;
  /** What it is, for a volunteer. */
  readonly what: string;
  readonly expected: string;
  /** How to make it so. */
  readonly fix: string;
  /** Compared as a set of networks (mynetworks), or as one value. */
  readonly asSet: boolean;
}

/** The checks of one site, its relay's and mail server's included while they are home. */
export function mailSettingChecks(site: SiteSpec): MailSettingCheck[] {
  const alarms = alarmRouteOf(site);
  const routing = mailRoutingOf(site, alarms);
  const vmidOf = (name: string) => site.containers.find((c) => c.name === name)?.vmid;
  return [
    { key: "host:relayhost", what: `${site.name}'s host's alarm path`, expected: alarms.relayhost, fix: `pulumi up -s ${site.name} (the program sets it)`, asSet: false },
    ...routing.smarthosts
      .filter((s) => s.kind === "plesk-mail")
      .map((s) => ({ key: `${vmidOf(s.service)}:relayhost`, what: `${s.service}'s smarthost`, expected: s.relayhost, fix: smarthostSetting(s.kind, s.relayhost), asSet: false })),
    ...routing.relays.map((r) => ({
      key: `${vmidOf(r.service)}:mynetworks`,
      what: `${r.service}'s mynetworks`,
      expected: r.mynetworks,
      fix: `in ${r.service}: postconf -e 'mynetworks = ${r.mynetworks}', then postfix reload`,
      asSet: true,
    })),
  ];
}

/** Postfix's list separators: spaces and commas (postconf(5)). */
const networks = (value: string) => new Set(value.split(/[\s,]+/).filter((n) => n !== ""));

/** Whether a value read is what the check expects. */
export function settingHolds(check: MailSettingCheck, value: string): boolean {
  if (!check.asSet) return value.trim() === check.expected;
  const [seen, wanted] = [networks(value), networks(check.expected)];
  return seen.size === wanted.size && [...wanted].every((n) => seen.has(n));
}
