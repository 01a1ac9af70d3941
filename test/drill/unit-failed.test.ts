/**
 * scripts/host/unit-failed.sh, the OnFailure of the drills and of the dead-man
 * watch: the mail (sendmail and journalctl stand-ins), and the push to a fake
 * Gotify server over HTTPS on 127.0.0.1, its token kept off curl's command line.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type IncomingHttpHeaders } from "node:http";
import { createServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeCertificate } from "../helpers/fake-pbs-api";
import { skipUnless } from "../helpers/system-tools";

const ROOT = join(__dirname, "../..");
const MAILER = join(ROOT, "scripts/host/unit-failed.sh");
const STANDINS = join(ROOT, "test/fixtures/drill-standins");

interface Run {
  status: number | null;
  stderr: string;
  mail: string | undefined;
  curlArgs: string;
}

function box(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), "retzien-unit-failed-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // A curl that logs its command line (what ps would show), then runs the real one.
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const log = join(dir, "curl-args.log");
  writeFileSync(join(bin, "curl"), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec "$(PATH=/usr/bin:/bin command -v curl)" "$@"\n`);
  chmodSync(join(bin, "curl"), 0o755);
  const out = join(dir, "mail.txt");
  /** The mailer run with sh (as systemd runs it), without blocking this process: the fake server must answer. */
  const run = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
    new Promise((resolve) => {
      writeFileSync(log, "");
      rmSync(out, { force: true });
      const child = spawn("sh", [MAILER, ...args], {
        env: { ...process.env, PATH: `${bin}:${STANDINS}:${process.env["PATH"] ?? ""}`, MAIL_OUT: out, STANDIN_LOG: join(dir, "calls.log"), RETZIEN_GOTIFY_FILE: join(dir, "no-gotify"), ...env },
      });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      child.on("close", (status) => {
        clearTimeout(timer);
        resolve({ status, stderr, mail: existsSync(out) ? readFileSync(out, "utf8") : undefined, curlArgs: readFileSync(log, "utf8") });
      });
    });
  return { dir, run };
}

test("a failed unit is mailed: the end of its log and, when given, its results, to every operator", async (t) => {
  const { dir, run } = box(t);
  writeFileSync(join(dir, "results.json"), '{"drills": []}\n');
  let r = await run(["retzien-restore-drill.service", "a@retzien.fr,b@retzien.fr", "restore drill FAILED", join(dir, "results.json")]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.mail ?? "", /^To: a@retzien\.fr,b@retzien\.fr\nSubject: retzien: restore drill FAILED on \S+\n\n/);
  assert.match(r.mail ?? "", /^-- journal of retzien-restore-drill\.service --$/m);
  assert.match(r.mail ?? "", /^\{"drills": \[\]\}$/m);
  // No file: the log alone; no Gotify file: no push.
  r = await run(["retzien-watch.service", "a@retzien.fr", "dead-man ALARM"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.mail ?? "", /^Subject: retzien: dead-man ALARM on \S+$/m);
  assert.match(r.mail ?? "", /^-- journal of retzien-watch\.service --\n$/m);
  assert.doesNotMatch(r.mail ?? "", /drills/);
  assert.equal(r.curlArgs, "");
  // Missing words are refused, and nothing is sent.
  r = await run(["retzien-watch.service", "a@retzien.fr"]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /needs a subject/);
  assert.equal(r.mail, undefined);
});

test("with a Gotify server, the alarm is pushed too, the token in a header and never on curl's command line; a refused push fails the unit, the mail still goes", { skip: skipUnless("curl", "openssl") }, async (t) => {
  const { dir, run } = box(t);
  const { key, cert } = makeCertificate(dir);
  const token = `A${randomBytes(9).toString("base64url")}`;
  const pushes: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  let answer = 200;
  const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      pushes.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      res.writeHead(answer, { "content-type": "application/json" });
      res.end(answer === 200 ? '{"id":1}' : '{"error":"Unauthorized","errorCode":401}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const gotify = join(dir, "gotify");
  writeFileSync(gotify, `https://127.0.0.1:${port}/\n${token}\n`, { mode: 0o600 });
  const env = { RETZIEN_GOTIFY_FILE: gotify, CURL_CA_BUNDLE: cert };

  let r = await run(["retzien-watch.service", "a@retzien.fr", "dead-man ALARM"], env);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(pushes.length, 1);
  const push = pushes[0]!;
  assert.deepEqual([push.method, push.url, push.headers["x-gotify-key"]], ["POST", "/message", token]);
  assert.match(push.body, /name="title"\r\n\r\nretzien: dead-man ALARM on \S+\r\n/);
  assert.match(push.body, /name="message"\r\n\r\n-- journal of retzien-watch\.service --\r\n/);
  assert.match(push.body, /name="priority"\r\n\r\n8\r\n/);
  assert.ok(r.curlArgs.length > 0 && !r.curlArgs.includes(token), "the token is not on curl's command line");
  assert.match(r.mail ?? "", /^Subject: retzien: dead-man ALARM on \S+$/m);

  answer = 401;
  r = await run(["retzien-watch.service", "a@retzien.fr", "dead-man ALARM"], env);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /curl: \(22\)/);
  assert.match(r.mail ?? "", /^Subject: retzien: dead-man ALARM/m, "the mail went all the same");
});
