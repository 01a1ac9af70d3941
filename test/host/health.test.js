'use strict';
// What the run says about the state of the offsite copies: an unreachable
// peer, archives still being written, guests with no copy or an old one.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./harness.js');

const N1 = h.utc(2024, 5, 1, 1, 0);

test('peer unreachable: exit 1, clear error, status written, mail sent', { timeout: 60_000 }, async (t) => {
  const why = h.missingForSshTests();
  if (why) return t.skip(why);
  const site = await h.makeSite(t);
  const closed = await h.freePort();
  const r = await site.pull({ PEER_PORT: String(closed), EXPECTED_VMIDS: '101', NOW_EPOCH: String(N1) });
  assert.equal(r.code, 1);
  assert.equal(r.status.ok, false);
  assert.match(r.status.errors[0], new RegExp(`^cannot reach peer sthilaire at root@127\\.0\\.0\\.1 port ${closed}: .*Connection refused`));
  assert.match(r.status.errors[1], /^guest 101 of sthilaire has no offsite copy at all/);
  assert.equal(r.status.errors.length, 2);
  assert.doesNotMatch(r.status.errors[0], /\r/);
  assert.equal(site.mails().length, 1);
  assert.deepEqual(site.records('pvesm.calls'), []);
});

test('peer reachable but its dump dir is gone: exit 1, rrsync\'s reason quoted', { timeout: 60_000 }, async (t) => {
  const why = h.missingForSshTests();
  if (why) return t.skip(why);
  const site = await h.makeSite(t);
  fs.rmSync(site.senderDump, { recursive: true });
  const r = await site.pull({ NOW_EPOCH: String(N1) });
  assert.equal(r.code, 1);
  assert.deepEqual(r.status.errors, [r.status.errors[0]]);
  assert.match(r.status.errors[0],
    /^cannot list the dump directory of peer sthilaire at root@127\.0\.0\.1 port \d+ \(rsync exit \d+\): .*rrsync error: Restricted directory does not exist/);
});

test('an archive still being written (.dat, .tmp) is not pulled', { timeout: 60_000 }, async (t) => {
  const why = h.missingForSshTests();
  if (why) return t.skip(why);
  const site = await h.makeSite(t);
  const base = 'vzdump-lxc-103-2024_05_01-01_00_00';
  fs.writeFileSync(path.join(site.senderDump, `${base}.tar.dat`), 'still writing');
  fs.mkdirSync(path.join(site.senderDump, `${base}.tmp`));
  fs.writeFileSync(path.join(site.senderDump, `${base}.tmp`, 'vzdump.log'), 'INFO: starting');
  const r = await site.pull({ NOW_EPOCH: String(N1 + 3600) });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.status.pulled, []);
  assert.deepEqual(r.status.guests, []);
  assert.deepEqual(fs.readdirSync(site.destDir), []);
  assert.deepEqual(fs.readdirSync(site.staging), ['.partial']);
});

test('an expected guest with no copy at all is a problem naming it', { timeout: 60_000 }, async (t) => {
  const why = h.missingForSshTests();
  if (why) return t.skip(why);
  const site = await h.makeSite(t);
  const a = site.archive({ vmid: 101, epoch: N1, rootfs: site.rootfs('101', { files: 5 }) });
  const r = await site.pull({ EXPECTED_VMIDS: '101 103', NOW_EPOCH: String(N1 + 3600) });
  assert.equal(r.code, 1);
  assert.deepEqual(r.status.pulled.map((p) => p.archive), [a.name]);
  assert.deepEqual(r.status.errors, [`guest 103 of sthilaire has no offsite copy at all in ${site.destDir}`]);
  assert.deepEqual(r.status.guests[1], { vmid: 103, type: null, newestCopy: null, newestCopyBytes: null, ageHours: null, stale: true });
  assert.equal(r.status.guests[0].stale, false);
});

test('stale: newest copy 3 days old is a problem naming the guest and its age', { timeout: 60_000 }, async (t) => {
  const why = h.missingForSshTests();
  if (why) return t.skip(why);
  const site = await h.makeSite(t);
  const a = site.archive({ vmid: 101, epoch: N1, rootfs: site.rootfs('101', { files: 5 }) });
  const r = await site.pull({ NOW_EPOCH: String(N1 + 72 * 3600) });
  assert.equal(r.code, 1);
  assert.deepEqual(r.status.errors, [
    `guest 101 (lxc) of sthilaire: newest offsite copy ${a.name} is 72.0 hours old (limit 36 hours)`,
  ]);
  assert.deepEqual(r.status.guests, [{ vmid: 101, type: 'lxc', newestCopy: a.name, newestCopyBytes: a.size, ageHours: 72, stale: true }]);
  // Just inside the limit is fine.
  const ok = await site.pull({ NOW_EPOCH: String(N1 + 36 * 3600) });
  assert.equal(ok.code, 0, ok.stderr);
});
