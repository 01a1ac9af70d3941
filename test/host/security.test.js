'use strict';
// What the pull key can do on the sender, tried for real against the loopback
// sshd with the exact authorized_keys line the sender installs: read finished
// archives in the dump dir, and nothing else. Every attempt ends with the
// sender's dump dir byte-identical to before.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./harness.js');

const N1 = h.utc(2024, 5, 1, 1, 0);
const PASSWD = fs.existsSync('/etc/passwd') ? fs.readFileSync('/etc/passwd') : null;

/** A sender dump dir with an archive plus symlinks that point out of it. */
async function hostileSite(t) {
  const site = await h.makeSite(t);
  const a = site.archive({ vmid: 101, epoch: N1, rootfs: site.rootfs('101', { files: 5 }), notes: true });
  fs.symlinkSync('/etc', path.join(site.senderDump, 'etc-link'));
  fs.symlinkSync('/etc/passwd', path.join(site.senderDump, 'passwd-link'));
  // A symlink dressed as a finished archive, with its .log: must not be pulled.
  const fake = 'vzdump-lxc-999-2024_05_01-01_00_00';
  fs.symlinkSync('/etc/passwd', path.join(site.senderDump, `${fake}.tar.gz`));
  fs.writeFileSync(path.join(site.senderDump, `${fake}.log`), 'INFO: fake\n');
  site.ssh = (args, input) => h.runAsync('ssh', [...site.sshArgs(), ...args], { input, timeoutMs: 20_000 });
  site.rsync = (args) => h.runAsync('rsync', ['-e', site.rsyncE(), ...args], { timeoutMs: 20_000 });
  return { site, a, fake };
}

/** No regular file under dir carries /etc/passwd's content or an /etc name. */
function assertNothingFromOutside(dir) {
  for (const e of h.snapshot(dir)) {
    if (e.sha === undefined) continue;
    const content = fs.readFileSync(path.join(dir, e.rel));
    assert.ok(!(PASSWD && content.equals(PASSWD)), `${e.rel} holds /etc/passwd`);
    assert.ok(!/(^|\/)(passwd|shadow|hostname|os-release)$/.test(e.rel), `${e.rel} came from /etc`);
  }
}

/** Every session sshd started for the key (shell, exec, sftp, rsync) was the forced rrsync -ro. */
function assertOnlyForcedSessions(site) {
  const starts = fs.readFileSync(site.sshd.logPath, 'utf8').split('\n').filter((l) => l.includes('Starting session:'));
  assert.ok(starts.length > 0);
  for (const l of starts) {
    assert.match(l, new RegExp(`forced-command \\(key-option\\) '/usr/bin/rrsync -ro ${site.senderDump.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`));
  }
}

test('the pull key gets no shell and runs no command', { timeout: 60_000 }, async (t) => {
  const why = h.missingForSshTests();
  if (why) return t.skip(why);
  const { site } = await hostileSite(t);
  const before = h.snapshot(site.senderDump);
  const target = 'root@127.0.0.1';

  const shell = await site.ssh([target], 'echo PWNED-SHELL\nid\n');
  assert.notEqual(shell.code, 0);
  assert.doesNotMatch(shell.stdout, /PWNED|uid=/);
  const tty = await site.ssh(['-tt', target], 'echo PWNED-TTY\n');
  assert.notEqual(tty.code, 0);
  assert.doesNotMatch(tty.stdout, /PWNED-TTY\r?\nPWNED|uid=/);

  for (const cmd of [['id'], ['cat', '/etc/passwd'], ['sh', '-c', "'echo PWNED-SH'"],
    ['rsync', '--server', '--sender', '-e.LsfxC', '.', '/etc/passwd;', 'id']]) {
    const r = await site.ssh([target, ...cmd]);
    assert.notEqual(r.code, 0, `${cmd.join(' ')} must fail`);
    assert.doesNotMatch(r.stdout, /PWNED|uid=|root:x:0:0/, `${cmd.join(' ')} printed something`);
    assert.match(r.stderr, /rrsync error/, `${cmd.join(' ')} was answered by rrsync`);
  }

  // No tunnel through the sender either (`restrict` forbids forwarding).
  const tunnel = await site.ssh(['-W', `127.0.0.1:${site.sshd.port}`, target]);
  assert.notEqual(tunnel.code, 0);
  assert.match(tunnel.stderr, /administratively prohibited|forwarding/i);
  assert.deepEqual(h.snapshot(site.senderDump), before);
  assertOnlyForcedSessions(site);
});

test('the pull key cannot read outside the dump dir', { timeout: 60_000 }, async (t) => {
  const why = h.missingForSshTests();
  if (why) return t.skip(why);
  const { site, fake } = await hostileSite(t);
  const before = h.snapshot(site.senderDump);
  const recv = path.join(site.root, 'recv');
  fs.mkdirSync(recv);
  const remote = 'root@127.0.0.1:';

  const refused = [
    ['-r', `${remote}../`, `${recv}/up/`],
    ['-r', `${remote}../../`, `${recv}/up2/`],
    [`${remote}/etc/passwd`, `${recv}/abs`],
    [`${remote}etc-link/passwd`, `${recv}/via-dir-link`],
    ['-r', `${remote}etc-link/`, `${recv}/dir-link/`],
    ['-L', `${remote}passwd-link`, `${recv}/L`],
    ['--copy-links', `${remote}passwd-link`, `${recv}/copy-links`],
    ['--copy-unsafe-links', '-r', remote, `${recv}/unsafe/`],
    ['--files-from=:../../../../etc/hostname-list', remote, `${recv}/files-from/`],
  ];
  for (const args of refused) {
    const r = await site.rsync(args);
    assert.notEqual(r.code, 0, `rsync ${args.join(' ')} must be refused`);
    assert.match(r.stderr, /rrsync error: /, `rsync ${args.join(' ')} refused by rrsync, not by accident`);
  }
  // A whole-tree pull is allowed, but symlinks come across as symlinks (or
  // not at all), never as the files they point to.
  const whole = await site.rsync(['-rl', remote, `${recv}/whole/`]);
  assert.equal(whole.code, 0, whole.stderr);
  assert.ok(fs.lstatSync(path.join(recv, 'whole', 'passwd-link')).isSymbolicLink());
  assert.ok(fs.lstatSync(path.join(recv, 'whole', 'etc-link')).isSymbolicLink());
  assertNothingFromOutside(recv);

  // And the pull itself ignores a symlink named like a finished archive.
  const r = await site.pull({ NOW_EPOCH: String(N1 + 3600) });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.status.pulled.some((p) => p.archive.startsWith(fake)));
  assert.ok(!fs.existsSync(path.join(site.destDir, `${fake}.tar.gz`)));
  assertNothingFromOutside(site.destDir);
  assert.deepEqual(h.snapshot(site.senderDump), before);
  assertOnlyForcedSessions(site);
});

test('the pull key cannot write, rename or delete on the sender', { timeout: 60_000 }, async (t) => {
  const why = h.missingForSshTests();
  if (why) return t.skip(why);
  const { site, a } = await hostileSite(t);
  const before = h.snapshot(site.senderDump);
  const local = path.join(site.root, 'local');
  fs.mkdirSync(path.join(local, 'empty'), { recursive: true });
  fs.writeFileSync(path.join(local, a.name), 'overwrite attempt');
  fs.writeFileSync(path.join(local, 'planted.sh'), '#!/bin/sh\necho planted\n');
  const remote = 'root@127.0.0.1:';

  const attempts = [
    [path.join(local, 'planted.sh'), remote],                               // upload
    [path.join(local, a.name), `${remote}${a.name}`],                        // overwrite
    ['-r', '--delete', `${path.join(local, 'empty')}/`, remote],            // delete by push
    ['--remove-source-files', `${remote}${a.name}`, `${local}/took/`],      // delete by pull
    ['-r', '--remove-source-files', remote, `${local}/took-all/`],
    ['--backup', '--suffix=.old', path.join(local, a.name), `${remote}${a.name}`], // rename by push
    ['--remote-option=--log-file=pwned.log', `${remote}${a.base}.log`, `${local}/logfile`], // server-side write
  ];
  for (const args of attempts) {
    const r = await site.rsync(args);
    assert.notEqual(r.code, 0, `rsync ${args.join(' ')} must be refused`);
    assert.match(r.stderr, /rrsync error: /, `rsync ${args.join(' ')} refused by rrsync, not by accident`);
    assert.deepEqual(h.snapshot(site.senderDump), before, `rsync ${args.join(' ')} changed the sender`);
  }
  const scp = await h.runAsync('scp', ['-O', ...site.sshArgs().map((x) => (x === '-p' ? '-P' : x)),
    path.join(local, 'planted.sh'), `${remote}planted.sh`], { timeoutMs: 20_000 });
  assert.notEqual(scp.code, 0);
  assert.match(scp.stderr, /rrsync error: SSH_ORIGINAL_COMMAND does not run rsync/);
  const sftp = await h.runAsync('sftp', ['-b', '-', ...site.sshArgs().map((x) => (x === '-p' ? '-P' : x)), 'root@127.0.0.1'],
    { input: `ls\nput ${path.join(local, 'planted.sh')}\nrm ${a.name}\n`, timeoutMs: 20_000 });
  assert.notEqual(sftp.code, 0);
  assert.doesNotMatch(sftp.stdout, /vzdump-/, 'sftp got no session: ls listed nothing');
  assert.deepEqual(h.snapshot(site.senderDump), before);
  assertOnlyForcedSessions(site);
});

test('a peer whose host key is not the known one is refused', { timeout: 60_000 }, async (t) => {
  const why = h.missingForSshTests();
  if (why) return t.skip(why);
  const { site } = await hostileSite(t);
  const other = path.join(site.root, 'other_host');
  h.sh(`ssh-keygen -q -t ed25519 -N '' -f '${other}'`);
  fs.writeFileSync(site.knownHosts, `[127.0.0.1]:${site.sshd.port} ${fs.readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
  const r = await site.pull({ NOW_EPOCH: String(N1 + 3600) });
  assert.equal(r.code, 1);
  assert.match(r.status.errors[0], /^cannot reach peer sthilaire .*Host key verification failed/);
  assert.deepEqual(fs.readdirSync(site.destDir), []);
});
