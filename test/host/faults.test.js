'use strict';
// Bad nights: a link cut mid-transfer, a corrupt archive on the peer, a full
// offsite disk, two runs at once. Each must fail loudly and leave DEST_DIR
// holding only complete, tested archives.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const h = require('./harness.js');

const N1 = h.utc(2024, 5, 1, 1, 0);
const N2 = h.utc(2024, 5, 2, 1, 0);
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('a link cut mid-transfer keeps the partial copy; the rerun resumes from it', { timeout: 90_000 }, async (t) => {
  const why = h.missingForSshTests();
  if (why) return t.skip(why);
  const site = await h.makeSite(t);
  const big = site.archive({ vmid: 301, epoch: N1, rootfs: site.rootfs('301', { files: 40, size: 65536 }) });
  site.proxy = await h.startProxy(site.sshd.port);
  site.knownHostsFor([site.sshd.port, site.proxy.port]);
  site.proxy.state.cutAfterBytes = Math.floor(big.size * 0.6);

  const cut = await site.pull({ PEER_PORT: String(site.proxy.port), NOW_EPOCH: String(N1 + 3600) });
  assert.equal(site.proxy.state.cuts, 1, 'the relay cut the link');
  assert.equal(cut.code, 1, cut.stderr);
  assert.equal(cut.status.ok, false);
  assert.equal(cut.status.errors.length, 1, cut.status.errors.join('\n'));
  assert.match(cut.status.errors[0], new RegExp(`pull of ${esc(big.name)} from sthilaire interrupted \\(rsync exit \\d+\\)`));
  assert.deepEqual(fs.readdirSync(site.destDir), [], 'nothing published');
  const partial = path.join(site.partial, big.name);
  assert.ok(fs.existsSync(partial), 'rsync kept the partial file');
  const partialSize = fs.statSync(partial).size;
  // How much rsync wrote before the cut depends on buffering; what matters is
  // that a partial was kept and that the rerun saves what it holds (below).
  assert.ok(partialSize > 0.1 * big.size && partialSize < big.size, `partial ${partialSize} of ${big.size}`);
  assert.equal(site.mails().length, 1);

  site.proxy.state.cutAfterBytes = 0; // the link is back
  const again = await site.pull({ PEER_PORT: String(site.proxy.port), NOW_EPOCH: String(N1 + 3600) });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(h.sha256(path.join(site.destDir, big.name)), big.sha);
  const p = again.status.pulled[0];
  assert.equal(p.archive, big.name);
  assert.ok(p.bytesOnWire < big.size - 0.8 * partialSize,
    `resumed: ${p.bytesOnWire} bytes on the wire for ${big.size}, ${partialSize} already here`);
  assert.deepEqual(fs.readdirSync(site.partial), [], 'partial consumed');
});

test('a corrupt archive is not published; the previous copy stays; exit 1 and mail', { timeout: 60_000 }, async (t) => {
  const why = h.missingForSshTests();
  if (why) return t.skip(why);
  const site = await h.makeSite(t);
  const rootfs = site.rootfs('101', { files: 30 });
  site.archive({ vmid: 101, epoch: N1, rootfs, notes: true });
  const first = await site.pull({ NOW_EPOCH: String(N1 + 3600) });
  assert.equal(first.code, 0, first.stderr);
  const destBefore = h.snapshot(site.destDir);

  h.changeRootfs(rootfs, 1);
  const flipped = site.archive({ vmid: 101, epoch: N2, rootfs, notes: true });
  const bytes = fs.readFileSync(flipped.path);
  bytes[Math.floor(bytes.length / 2)] ^= 0xff;
  fs.writeFileSync(flipped.path, bytes);
  const truncated = site.archive({ vmid: 102, epoch: N2, rootfs: site.rootfs('102', { files: 10 }) });
  fs.truncateSync(truncated.path, Math.floor(truncated.size / 2));

  const r = await site.pull({ NOW_EPOCH: String(N2 + 3600) });
  assert.equal(r.code, 1);
  assert.equal(r.status.ok, false);
  assert.deepEqual(r.status.pulled, []);
  assert.equal(r.status.errors.length, 2, r.status.errors.join('\n'));
  assert.match(r.status.errors[0], new RegExp(`archive ${esc(flipped.name)} from sthilaire failed its integrity test: .*not published`));
  assert.match(r.status.errors[1], new RegExp(`archive ${esc(truncated.name)} from sthilaire failed its integrity test: .*not published`));
  assert.deepEqual(h.snapshot(site.destDir), destBefore, 'DEST exactly as before: old copy untouched, nothing new');
  assert.deepEqual(fs.readdirSync(site.staging), ['.partial'], 'staging copies removed');
  assert.equal(site.records('pvesm.calls').length, 1, 'no prune for a guest without a new tested copy');

  const mails = site.mails();
  assert.equal(mails.length, 1);
  assert.match(mails[0], /^ARGV: -t -oi$/m);
  assert.match(mails[0], new RegExp(`^Subject: .*${esc(require('node:os').hostname())}.*sthilaire.*: 2 problem\\(s\\)$`, 'm'));
  assert.match(mails[0], new RegExp(`^- archive ${esc(flipped.name)}`, 'm'));
  assert.match(mails[0], new RegExp(`^- archive ${esc(truncated.name)}`, 'm'));
  assert.match(r.stderr, new RegExp(`error: archive ${esc(flipped.name)}`));
});

test('a full offsite disk: refuses before transferring, says how much is missing', { timeout: 60_000 }, async (t) => {
  const why = h.missingForSshTests();
  if (why) return t.skip(why);
  const site = await h.makeSite(t);
  const notPermitted = site.mountSmallOffsite('2m');
  if (notPermitted) return t.skip(notPermitted);
  const big = site.archive({ vmid: 401, epoch: N1, rootfs: site.rootfs('401', { files: 48, size: 65536 }) });
  assert.ok(big.size > 2 * 1024 * 1024);

  const r = await site.pull({ NOW_EPOCH: String(N1 + 3600) });
  assert.equal(r.code, 1);
  assert.equal(r.status.errors.length, 1, r.status.errors.join('\n'));
  assert.match(r.status.errors[0], new RegExp(
    `not enough space to pull ${esc(big.name)} from sthilaire: archive is ${big.size} bytes \\+ margin 0 MiB = ${big.size} bytes needed, but ${esc(site.staging)} has only \\d+ bytes free`));
  assert.deepEqual(fs.readdirSync(site.destDir), []);
  assert.deepEqual(fs.readdirSync(site.partial), []);
  assert.deepEqual(fs.readdirSync(site.staging), ['.partial'], 'no transfer was started');
  const sessions = fs.readFileSync(site.sshd.logPath, 'utf8').match(/Starting session/g) || [];
  assert.equal(sessions.length, 1, 'only the listing connected to the peer');
});

test('two runs at once: the second leaves quietly, the first completes alone', { timeout: 60_000 }, async (t) => {
  const why = h.missingForSshTests();
  if (why) return t.skip(why);
  const site = await h.makeSite(t);
  const a = site.archive({ vmid: 501, epoch: N1, rootfs: site.rootfs('501', { files: 16, size: 65536 }) });
  const lock = path.join(site.stateDir, 'lock');
  const held = () => fs.existsSync(lock) && spawnSync('flock', ['-n', lock, 'true']).status === 1;
  // ~1 MiB at 300 KiB/s: the first run holds the lock for a few seconds.
  const first = site.pull({ BWLIMIT_KBPS: '300', NOW_EPOCH: String(N1 + 3600) });
  assert.ok(await h.until(held, { count: 400, stepMs: 25 }), 'first run took the lock');

  const second = await site.pull({ NOW_EPOCH: String(N1 + 3600) });
  assert.equal(second.code, 0, second.stderr);
  assert.ok(second.ms < 5000, `second run returned in ${second.ms} ms`);
  assert.match(second.stderr, /another pull holds the lock/);
  assert.ok(held(), 'the first run was still running when the second left');
  assert.equal(second.status, null, 'the second run wrote no status');

  const r = await first;
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.status.pulled.map((p) => p.archive), [a.name]);
  assert.equal(h.sha256(path.join(site.destDir, a.name)), a.sha);
  assert.equal(site.records('pvesm.calls').length, 1);
});

test('SIGTERM mid-transfer: status written, problem reported, partial kept, nothing published', { timeout: 60_000 }, async (t) => {
  const why = h.missingForSshTests();
  if (why) return t.skip(why);
  const site = await h.makeSite(t);
  const a = site.archive({ vmid: 601, epoch: N1, rootfs: site.rootfs('601', { files: 16, size: 65536 }) });
  let script;
  // Slow enough (~1 MiB at 200 KiB/s) that the signal lands mid-transfer.
  const run = site.pull({ BWLIMIT_KBPS: '200', NOW_EPOCH: String(N1 + 3600) }, [], { onSpawn: (c) => { script = c; } });
  const writing = () => fs.existsSync(site.staging) &&
    fs.readdirSync(site.staging).some((f) => f.startsWith(`.${a.name}.`) && fs.statSync(path.join(site.staging, f)).size > 65536);
  assert.ok(await h.until(writing, { count: 400, stepMs: 25 }), 'rsync started writing');
  script.kill('SIGTERM'); // the script only, not its process group: it must pass it on
  const r = await run;
  assert.ok(r.ms < 20_000, `stopped in ${r.ms} ms`);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.status.ok, false);
  assert.ok(r.status.errors.some((e) => /interrupted by SIGTERM/.test(e)), r.status.errors.join('\n'));
  assert.deepEqual(fs.readdirSync(site.destDir), []);
  const partial = path.join(site.partial, a.name);
  assert.ok(fs.existsSync(partial) && fs.statSync(partial).size > 0, 'partial kept for the next run');
  assert.equal(site.mails().length, 1);
});
