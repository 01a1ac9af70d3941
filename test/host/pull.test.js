'use strict';
// The nightly pull end to end against a real loopback sshd + rrsync -ro:
// what is pulled and in which order, what is published, what pvesm is asked,
// what status.json says, and that the delta transfer really uses a basis.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./harness.js');

const N1 = h.utc(2024, 5, 1, 1, 0);
const N2 = h.utc(2024, 5, 2, 1, 0);
const PRUNE_TAIL = '--keep-daily 7 --keep-weekly 4 --keep-monthly 3';

test('happy path: pulls complete archives oldest first, publishes, prunes, reports', { timeout: 60_000 }, async (t) => {
  const why = h.missingForSshTests();
  if (why) return t.skip(why);
  const site = await h.makeSite(t);
  const fs101 = site.rootfs('101');
  const a1 = site.archive({ vmid: 101, epoch: N1, rootfs: fs101, notes: true });
  h.changeRootfs(fs101, 2);
  const a2 = site.archive({ vmid: 101, epoch: N2, rootfs: fs101 });
  const b2 = site.archive({ vmid: 102, epoch: N2 + 600, rootfs: site.rootfs('102', { files: 20 }) });
  // Not complete or not an archive: must never be pulled.
  const dump = site.senderDump;
  fs.writeFileSync(path.join(dump, 'vzdump-lxc-103-2024_05_02-01_30_00.tar.dat'), 'half written');
  fs.mkdirSync(path.join(dump, 'vzdump-lxc-103-2024_05_02-01_30_00.tmp'));
  fs.writeFileSync(path.join(dump, 'vzdump-lxc-103-2024_05_02-01_30_00.tmp', 'vzdump.log'), 'running');
  const noLog = site.archive({ vmid: 104, epoch: N2 + 2400, rootfs: site.rootfs('104', { files: 5 }), log: false });
  fs.writeFileSync(path.join(dump, 'README.txt'), 'not an archive');
  const before = h.snapshot(site.senderDump);

  const r = await site.pull({ EXPECTED_VMIDS: '101 102', NOW_EPOCH: String(N2 + 2 * 3600) });
  assert.equal(r.code, 0, r.stderr);

  assert.deepEqual(fs.readdirSync(site.destDir).sort(), [
    `${a1.base}.log`, a1.name, `${a1.name}.notes`,
    `${a2.base}.log`, a2.name,
    `${b2.base}.log`, b2.name,
  ].sort());
  for (const a of [a1, a2, b2]) assert.equal(h.sha256(path.join(site.destDir, a.name)), a.sha);
  assert.equal(fs.readFileSync(path.join(site.destDir, `${a1.name}.notes`), 'utf8'), 'guest 101 nightly\n');
  assert.ok(!fs.existsSync(path.join(site.destDir, noLog.name)));
  assert.deepEqual(h.snapshot(site.senderDump), before, 'the sender dump dir is untouched');
  // Staging keeps only its (empty) partial dir; nothing half-pulled is left.
  assert.deepEqual(fs.readdirSync(site.staging), ['.partial']);
  assert.deepEqual(fs.readdirSync(site.partial), []);

  const s = r.status;
  assert.equal(s.version, 1);
  assert.equal(s.peer, 'sthilaire');
  assert.equal(s.ok, true);
  assert.equal(s.dryRun, false);
  assert.match(s.startedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.match(s.finishedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(typeof s.durationSeconds, 'number');
  assert.deepEqual(s.errors, []);
  assert.deepEqual(s.pulled.map((p) => p.archive), [a1.name, a2.name, b2.name], 'oldest first');
  assert.deepEqual(s.pulled.map((p) => p.vmid), [101, 101, 102]);
  assert.deepEqual(s.pulled.map((p) => p.basis), [null, a1.name, null], 'night 2 of 101 uses night 1 as basis');
  assert.deepEqual(s.pulled.map((p) => p.archiveBytes), [a1.size, a2.size, b2.size]);
  for (const p of s.pulled) {
    assert.ok(p.bytesOnWire > 0 && typeof p.seconds === 'number');
  }
  assert.equal(s.bytesOnWire, s.pulled.reduce((n, p) => n + p.bytesOnWire, 0));
  assert.deepEqual(s.guests, [
    { vmid: 101, type: 'lxc', newestCopy: a2.name, newestCopyBytes: a2.size, ageHours: 2, stale: false },
    { vmid: 102, type: 'lxc', newestCopy: b2.name, newestCopyBytes: b2.size, ageHours: 1.8, stale: false },
  ]);

  assert.deepEqual(site.records('pvesm.calls'), [
    `prune-backups offsite-sthilaire --vmid 101 --type lxc ${PRUNE_TAIL}`,
    `prune-backups offsite-sthilaire --vmid 102 --type lxc ${PRUNE_TAIL}`,
  ]);
  assert.deepEqual(site.mails(), []);

  // Second night, nothing new: nothing pulled, nothing pruned.
  const destBefore = h.snapshot(site.destDir);
  const r2 = await site.pull({ EXPECTED_VMIDS: '101 102', NOW_EPOCH: String(N2 + 3 * 3600) });
  assert.equal(r2.code, 0, r2.stderr);
  assert.deepEqual(r2.status.pulled, []);
  assert.equal(r2.status.bytesOnWire, 0);
  assert.equal(r2.status.ok, true);
  assert.equal(site.records('pvesm.calls').length, 2, 'pvesm not called again');
  assert.deepEqual(h.snapshot(site.destDir), destBefore);
});

test('delta: night 2 crosses the link as changed blocks only when night 1 is the basis', { timeout: 60_000 }, async (t) => {
  const why = h.missingForSshTests();
  if (why) return t.skip(why);
  const site = await h.makeSite(t);
  const rootfs = site.rootfs('201', { files: 120 });
  const a1 = site.archive({ vmid: 201, epoch: N1, rootfs });
  const first = await site.pull({ NOW_EPOCH: String(N1 + 3600) });
  assert.equal(first.code, 0, first.stderr);
  const n1 = path.join(site.destDir, a1.name);
  const n1Stat = fs.statSync(n1);

  h.changeRootfs(rootfs, 3); // 3 of ~140 files: ~2%
  const a2 = site.archive({ vmid: 201, epoch: N2, rootfs });
  const withBasis = await site.pull({ NOW_EPOCH: String(N2 + 3600) });
  assert.equal(withBasis.code, 0, withBasis.stderr);
  const p = withBasis.status.pulled[0];
  assert.equal(p.archive, a2.name);
  assert.equal(p.basis, a1.name);
  assert.equal(h.sha256(path.join(site.destDir, a2.name)), a2.sha);
  // The basis (the published night-1 copy) was read, never written.
  const after = fs.statSync(n1);
  assert.equal(after.ino, n1Stat.ino);
  assert.equal(after.mtimeMs, n1Stat.mtimeMs);
  assert.equal(after.nlink, 1, 'the staging hard link is gone');
  assert.equal(h.sha256(n1), a1.sha);

  // The same archive with no basis available: a fresh offsite directory.
  fs.rmSync(site.destDir, { recursive: true });
  fs.mkdirSync(site.destDir);
  fs.rmSync(path.join(site.senderDump, a1.name));
  const noBasis = await site.pull({ NOW_EPOCH: String(N2 + 3600) });
  assert.equal(noBasis.code, 0, noBasis.stderr);
  const q = noBasis.status.pulled[0];
  assert.equal(q.basis, null);
  assert.ok(q.bytesOnWire > 0.9 * a2.size, `whole archive crosses without basis: ${q.bytesOnWire} of ${a2.size}`);
  assert.ok(p.bytesOnWire < 0.25 * a2.size, `with basis only changed blocks cross: ${p.bytesOnWire} of ${a2.size}`);
  assert.ok(p.bytesOnWire < 0.3 * q.bytesOnWire, `with basis ${p.bytesOnWire} vs without ${q.bytesOnWire}`);
});

test('--dry-run lists what it would pull and prune, changes nothing, calls no pvesm', { timeout: 60_000 }, async (t) => {
  const why = h.missingForSshTests();
  if (why) return t.skip(why);
  const site = await h.makeSite(t);
  const a1 = site.archive({ vmid: 101, epoch: N1, rootfs: site.rootfs('101', { files: 10 }) });
  const destBefore = h.snapshot(site.offsite);
  const r = await site.pull({ NOW_EPOCH: String(N1 + 3600) }, ['--dry-run']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`would pull ${a1.name.replace(/\./g, '\\.')} \\(${a1.size} bytes\\)`));
  assert.match(r.stderr, new RegExp(`would prune: .*pvesm prune-backups offsite-sthilaire --vmid 101 --type lxc ${PRUNE_TAIL}`));
  assert.deepEqual(h.snapshot(site.offsite), destBefore, 'DEST and staging untouched');
  assert.deepEqual(site.records('pvesm.calls'), []);
  assert.equal(r.status, null, 'no status.json written by a dry run');
  const printed = JSON.parse(r.stdout);
  assert.equal(printed.dryRun, true);
  assert.deepEqual(printed.pulled, []);
});

test('a failing pvesm prune is a problem: exit 1, reported, mailed', { timeout: 60_000 }, async (t) => {
  const why = h.missingForSshTests();
  if (why) return t.skip(why);
  const site = await h.makeSite(t);
  const a1 = site.archive({ vmid: 101, epoch: N1, rootfs: site.rootfs('101', { files: 10 }) });
  // Whatever pvesm prints ends up in status.json: it must stay valid JSON.
  const nasty = 'prune failed: "locked" by C:\\tmp\\x\ttab\u0001ctl é ✓';
  fs.writeFileSync(path.join(site.rec, 'pvesm.fail'), `${nasty}\n`);
  const r = await site.pull({ NOW_EPOCH: String(N1 + 3600) });
  assert.equal(r.code, 1);
  assert.ok(fs.existsSync(path.join(site.destDir, a1.name)), 'the tested copy is still published');
  assert.equal(r.status.ok, false);
  assert.equal(r.status.errors.length, 1);
  assert.equal(r.status.errors[0], `pruning guest 101 (lxc) on storage offsite-sthilaire failed: ${nasty}`);
  assert.equal(site.mails().length, 1);
  assert.match(site.records('logger.calls').join('\n'), /-t retzien-offsite-pull -p user\.err -- pruning guest 101/);
});
