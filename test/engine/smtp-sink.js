/**
 * A mail server for the alarm-path test, run inside the fake host's private
 * network namespace at the address the spec gives the relay or the outbound
 * server. Built on nodemailer's smtp-server. It takes one message at most and
 * records its envelope, whether it came over TLS and as whom, then exits.
 *   node smtp-sink.js ADDRESS PORT RECORD [--tls KEY CERT] [--auth USER PASSWORD]
 * With --auth, a login with any other user or password is refused (535), and
 * a message without a login too.
 */
"use strict";
const { readFileSync, writeFileSync } = require("node:fs");
const { SMTPServer } = require("smtp-server");

const [address, port, record, ...rest] = process.argv.slice(2);
const option = (name, count) => {
  const at = rest.indexOf(name);
  return at < 0 ? undefined : rest.slice(at + 1, at + 1 + count);
};
const tls = option("--tls", 2);
const auth = option("--auth", 2);

const server = new SMTPServer({
  logger: false,
  banner: "retzien test sink",
  ...(tls === undefined ? { disabledCommands: ["STARTTLS", "AUTH"] } : { key: readFileSync(tls[0]), cert: readFileSync(tls[1]) }),
  authOptional: auth === undefined,
  authMethods: ["PLAIN", "LOGIN"],
  onAuth(login, _session, done) {
    if (auth !== undefined && login.username === auth[0] && login.password === auth[1]) return done(null, { user: login.username });
    return done(new Error("authentication failed"));
  },
  onData(stream, session, done) {
    const chunks = [];
    stream.on("data", (c) => chunks.push(c));
    stream.on("end", () => {
      const message = Buffer.concat(chunks).toString("utf8");
      const subject = /^Subject: (.*)$/m.exec(message)?.[1] ?? null;
      writeFileSync(record, `${JSON.stringify({ from: session.envelope.mailFrom.address, to: session.envelope.rcptTo.map((r) => r.address), tls: session.secure, user: session.user ?? null, subject })}\n`);
      done();
      server.close(() => process.exit(0));
    });
  },
});
server.listen(Number(port), address, () => process.stdout.write(`listening on ${address}:${port}\n`));
// Never outlives its test.
setTimeout(() => process.exit(2), 90_000).unref();
