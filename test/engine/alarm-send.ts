/**
 * An alarm sent on a fake host through the path the program set in its Postfix:
 * the real Postfix of this machine (Debian 12's, as on PVE 8) runs in the host's
 * namespaces, with a private network whose loopback holds the address the spec
 * gives the relay or the outbound server, where an SMTP sink (smtp-sink.js)
 * listens. What the test adds to the host is only what the world outside would
 * give: that address, and for a submission server, its name (no DNS in the
 * namespace: /etc/hosts, and Postfix told to read it) and a CA that signed its
 * certificate.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CommandRun, FakeHost } from "./fake-host";
import { shq } from "../../src/backup/pbs-commands";

const SINK = join(__dirname, "smtp-sink.js");

export interface Sink {
  readonly address: string;
  readonly port: number;
  /** A submission server: its name, on the certificate a test CA signs. */
  readonly tls?: { readonly serverName: string };
  /** The only login it takes. */
  readonly auth?: { readonly user: string; readonly password: string };
}

export interface Received {
  readonly from: string;
  readonly to: string[];
  readonly tls: boolean;
  readonly user: string | null;
  readonly subject: string | null;
}

/** A CA and a certificate it signed for `serverName`, made with openssl in `dir`. */
function certificateFor(dir: string, serverName: string): { ca: string; key: string; cert: string } {
  mkdirSync(dir, { recursive: true });
  const at = (f: string) => join(dir, f);
  const openssl = (args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", at("ca.key"), "-out", at("ca.crt"), "-days", "2", "-subj", "/CN=retzien test CA"]);
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", at("server.key"), "-out", at("server.csr"), "-subj", `/CN=${serverName}`]);
  // The name in subjectAltName, where Postfix's secure level looks for it.
  writeFileSync(at("server.ext"), `subjectAltName=DNS:${serverName}\n`);
  openssl(["x509", "-req", "-in", at("server.csr"), "-CA", at("ca.crt"), "-CAkey", at("ca.key"), "-CAcreateserial", "-out", at("server.crt"), "-days", "2", "-extfile", at("server.ext")]);
  return { ca: at("ca.crt"), key: at("server.key"), cert: at("server.crt") };
}

/**
 * Starts the host's Postfix, has `mailer` (the program's own unit-failed.sh)
 * send an alarm, waits for the sink (30 s at most), stops Postfix. Returns the
 * run and what the sink received, if anything.
 */
export function sendAlarm(host: FakeHost, sink: Sink, alarm: { mailer: string; to: readonly string[]; subject: string }, work: string): { run: CommandRun; received: Received | undefined } {
  mkdirSync(work, { recursive: true });
  const record = join(work, "received.json");
  const certs = sink.tls === undefined ? undefined : certificateFor(join(work, "tls"), sink.tls.serverName);
  const sinkArgs = [SINK, sink.address, String(sink.port), record, ...(certs === undefined ? [] : ["--tls", certs.key, certs.cert]), ...(sink.auth === undefined ? [] : ["--auth", sink.auth.user, sink.auth.password])];
  const world = [
    `ip addr add ${sink.address}/32 dev lo`,
    ...(certs === undefined || sink.tls === undefined
      ? []
      : [`cat ${shq(certs.ca)} >> /etc/ssl/certs/ca-certificates.crt`, `printf '%s %s\\n' ${shq(sink.address)} ${shq(sink.tls.serverName)} >> /etc/hosts`, "postconf -e 'smtp_host_lookup = native'"]),
  ];
  const script = [
    "set -eu",
    // Postfix's own scripts call cp and the rest: this machine's, not the stand-ins that only record a call.
    "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ...world,
    `${shq(process.execPath)} ${sinkArgs.map(shq).join(" ")} > ${shq(join(work, "sink.log"))} 2>&1 &`,
    "sink=$!",
    `for _ in $(seq 1 50); do grep -q listening ${shq(join(work, "sink.log"))} && break; sleep 0.1; done`,
    "newaliases",
    // What the host's postfix@- unit runs before it starts Postfix: /etc/hosts and the rest into its chroot.
    "/usr/lib/postfix/configure-instance.sh -",
    "postfix start",
    `${shq(alarm.mailer)} retzien-alarm-test.service ${shq(alarm.to.join(","))} ${shq(alarm.subject)} || echo "the mailer failed: $?"`,
    `for _ in $(seq 1 60); do [ -s ${shq(record)} ] && break; sleep 0.5; done`,
    "postqueue -p || true",
    "postfix stop",
    "kill $sink 2>/dev/null || true",
    ...(sink.tls === undefined ? [] : ["postconf -X smtp_host_lookup"]),
  ].join("\n");
  const run = host.run(script, "", { privateNetwork: true });
  const received = existsSync(record) ? (JSON.parse(readFileSync(record, "utf8")) as Received) : undefined;
  return { run, received };
}
