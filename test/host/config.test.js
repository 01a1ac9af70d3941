'use strict';
// The command line and the env file: --help documents every setting, bad
// usage and bad configuration exit 2 with a message that names the problem,
// before anything is attempted. No sshd needed.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./harness.js');

const SETTINGS = [
  'PEER_NAME', 'PEER_HOST', 'PEER_PORT', 'PEER_USER', 'SSH_KEY', 'KNOWN_HOSTS',
  'DEST_DIR', 'STATE_DIR', 'STAGING_DIR', 'STORAGE_ID',
  'KEEP_LAST', 'KEEP_DAILY', 'KEEP_WEEKLY', 'KEEP_MONTHLY', 'KEEP_YEARLY',
  'BWLIMIT_KBPS', 'IO_TIMEOUT_S', 'CONNECT_TIMEOUT_S',
  'EXPECTED_VMIDS', 'STALE_AFTER_HOURS', 'FREE_SPACE_MARGIN_MB',
  'MAILTO', 'SENDMAIL', 'PVESM', 'LOCK_WAIT_S', 'NOW_EPOCH',
];
const EXAMPLE = path.join(h.REPO, 'scripts', 'host', 'offsite-pull.env.example');

function tmp(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'offsite-pull-cfg-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'key'), 'not used');
  fs.writeFileSync(path.join(dir, 'known_hosts'), '');
  return dir;
}

function config(dir, values, mode = 0o600) {
  const file = path.join(dir, 'offsite-pull.env');
  const all = {
    PEER_NAME: 'sthilaire', PEER_HOST: '127.0.0.1', SSH_KEY: path.join(dir, 'key'),
    KNOWN_HOSTS: path.join(dir, 'known_hosts'), DEST_DIR: path.join(dir, 'dest'),
    STATE_DIR: path.join(dir, 'state'), STORAGE_ID: 'offsite-sthilaire',
    SENDMAIL: path.join(dir, 'sendmail'), MAILTO: '', ...values,
  };
  fs.writeFileSync(file, Object.entries(all).filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}='${v}'`).join('\n') + '\n', { mode });
  fs.chmodSync(file, mode);
  return file;
}

const run = (args) => h.runAsync(h.SCRIPT, args, { env: { PATH: process.env.PATH, TZ: 'UTC' }, timeoutMs: 20_000 });

test('--help documents every setting with its default', async () => {
  const r = await run(['--help']);
  assert.equal(r.code, 0, r.stderr);
  for (const key of SETTINGS) {
    assert.match(r.stdout, new RegExp(`^  ${key} `, 'm'), `--help documents ${key}`);
  }
  for (const dflt of ['(default 22)', '(default root)', '(default 7)', '(default 4)', '(default 3)',
    '(default 300)', '(default 20)', '(default 36)', '(default 1024)', '(default 0)',
    'default /usr/sbin/sendmail', '(default pvesm)', 'default /var/lib/retzien-offsite-pull',
    'default /etc/retzien/offsite-pull/id_ed25519', 'default /etc/retzien/offsite-pull/known_hosts',
    'default: DEST_DIR/../.offsite-staging', 'testing seam']) {
    assert.ok(r.stdout.includes(dflt), `--help mentions ${dflt}`);
  }
});

test('the env example sets or documents every setting, and the script accepts it', async (t) => {
  const text = fs.readFileSync(EXAMPLE, 'utf8');
  for (const key of SETTINGS) assert.match(text, new RegExp(`^#?${key}=`, 'm'), `example has ${key}`);
  // Parse it the way the script does (sourced by bash) with the file paths
  // pointed at existing files, and check it passes validation (exit 1 for the
  // unreachable example host would come later; exit 2 would mean bad config).
  const dir = tmp(t);
  const file = path.join(dir, 'example.env');
  fs.writeFileSync(file, text
    .replace(/^SSH_KEY=.*$/m, `SSH_KEY='${dir}/key'`)
    .replace(/^KNOWN_HOSTS=.*$/m, `KNOWN_HOSTS='${dir}/known_hosts'`)
    .replace(/^DEST_DIR=.*$/m, `DEST_DIR='${dir}/missing/dump'`)
    .replace(/^STATE_DIR=.*$/m, `STATE_DIR='${dir}/state'`)
    .replace(/^MAILTO=.*$/m, "MAILTO=''"), { mode: 0o600 });
  const r = await run(['--config', file]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /DEST_DIR .*missing\/dump does not exist \(offsite storage not mounted\?\)/);
});

test('--config with a missing file: exit 2, names the file', async (t) => {
  const dir = tmp(t);
  const r = await run(['--config', path.join(dir, 'nope.env')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`config file '${dir}/nope\\.env' does not exist or is not a readable file`));
  const r2 = await run(['--config']);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /--config needs a file argument/);
});

test('an unknown option: exit 2', async () => {
  const r = await run(['--dryrun']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option or argument '--dryrun'/);
});

test('a missing or bad setting: exit 2 naming each one, nothing attempted', async (t) => {
  const dir = tmp(t);
  const missing = await run(['--config', config(dir, { PEER_HOST: undefined })]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /PEER_HOST: missing; expected the peer's address/);
  assert.ok(!fs.existsSync(path.join(dir, 'state')), 'no state dir, no lock, no status');

  const bad = await run(['--config', config(dir, {
    PEER_PORT: '70000', KEEP_DAILY: '0', EXPECTED_VMIDS: '101 abc', STAGING_DIR: path.join(dir, 'dest', 'staging'),
    PEER_HOST: '-oProxyCommand=x', STORAGE_ID: undefined,
  })]);
  assert.equal(bad.code, 2);
  for (const re of [
    /PEER_PORT: found '70000', expected an integer 1\.\.65535/,
    /KEEP_DAILY: found '0', expected an integer >= 1/,
    /EXPECTED_VMIDS: found 'abc', expected an integer 100\.\.999999999/,
    /STAGING_DIR: found '.*', expected a directory outside DEST_DIR/,
    /PEER_HOST: found '-oProxyCommand=x', expected a host name/,
    /STORAGE_ID: missing/,
  ]) assert.match(bad.stderr, re);

  const noKeep = await run(['--config', config(dir, { KEEP_DAILY: '', KEEP_WEEKLY: '', KEEP_MONTHLY: '' })]);
  assert.equal(noKeep.code, 2);
  assert.match(noKeep.stderr, /KEEP_\*: all empty/);

  const noKey = await run(['--config', config(dir, { SSH_KEY: path.join(dir, 'absent_key') })]);
  assert.equal(noKey.code, 2);
  assert.match(noKey.stderr, /SSH_KEY: '.*absent_key' does not exist or is not readable/);
});

test('a bad configuration is mailed when MAILTO is usable (a nightly unit fails unseen otherwise)', async (t) => {
  const dir = tmp(t);
  const rec = path.join(dir, 'mail.txt');
  fs.writeFileSync(path.join(dir, 'sendmail'), `#!/bin/sh\n{ printf 'ARGV: %s\\n' "$*"; cat; } > '${rec}'\n`, { mode: 0o755 });
  const r = await run(['--config', config(dir, { PEER_HOST: undefined, MAILTO: 'ops@example.org' })]);
  assert.equal(r.code, 2);
  const mail = fs.readFileSync(rec, 'utf8');
  assert.match(mail, /^ARGV: -t -oi$/m);
  assert.match(mail, /^To: ops@example\.org$/m);
  assert.match(mail, /^Subject: .*offsite pull from sthilaire not run: 1 configuration problem\(s\)$/m);
  assert.match(mail, /^- PEER_HOST: missing/m);
});

test('a config file others could edit is refused (it is sourced as root)', async (t) => {
  const dir = tmp(t);
  const r = await run(['--config', config(dir, {}, 0o666)]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /has mode 666; expected it not group\/world-writable/);
});

test('settings come from the file, not from the environment', async (t) => {
  const dir = tmp(t);
  const file = config(dir, { PEER_HOST: undefined });
  const r = await h.runAsync(h.SCRIPT, ['--config', file],
    { env: { PATH: process.env.PATH, TZ: 'UTC', PEER_HOST: '127.0.0.1' }, timeoutMs: 20_000 });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /PEER_HOST: missing/);
});
