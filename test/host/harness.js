'use strict';
// Harness for the host-script integration tests: a real sshd on loopback that
// authorises a fresh client key only for `rrsync -ro <sender dump dir>`, a
// sender dump dir with real vzdump-named tar.gz archives, a receiver offsite
// dump dir, and stand-ins for pvesm / sendmail / logger that record their
// arguments. Nothing here talks to any address but 127.0.0.1.
//
// node --test runs every .js file under test/ as a test file, this one too:
// when run that way it checks its own authorized_keys format (bottom of file)
// rather than counting as an empty pass.

const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const crypto = require('node:crypto');
const { spawn, spawnSync } = require('node:child_process');

const REPO = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(REPO, 'scripts', 'host', 'offsite-pull.sh');

// The loopback sshd, the key line it authorises and the relay in front of it
// live in one module, shared with the benchmark (scripts/bench/).
const loopback = require('../../scripts/lib/loopback-sshd.ts');
const { RRSYNC, freePort, have } = loopback;

/**
 * The authorized_keys line the SENDER installs for the peer's pull key: the
 * line the stacks install (src/offsite/host-files.ts), not a copy of it, so the
 * security tests prove what production authorises.
 * @param {string} dumpDir absolute dump directory served read-only
 * @param {string} pubKey the pull key's public half ("ssh-ed25519 AAAA... comment")
 * @returns {string}
 */
function authorizedKeyLine(dumpDir, pubKey) {
  return loopback.pullAuthorization(dumpDir, pubKey, 'test-holder');
}

/**
 * Why the sshd/rsync integration tests cannot run here, or null if they can.
 * @returns {string|null}
 */
function missingForSshTests() {
  return loopback.missingForLoopbackSshd(['gzip', 'tar', 'flock', 'bash']);
}

function sh(cmd, opts = {}) {
  const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', timeout: 60_000, ...opts });
  if (r.status !== 0) {
    throw new Error(`command failed (${r.status ?? r.signal}): ${cmd}\n${r.stderr}`);
  }
  return r.stdout;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A loopback TCP relay to the sshd that can cut every connection once more
 * than `cutAfterBytes` have flowed from the server: a link that dies mid-transfer.
 */
function startProxy(targetPort) {
  return loopback.startRelay(targetPort);
}

/** Random (incompressible) and text files: a small stand-in for a container rootfs. */
function makeRootfs(dir, { files = 100, size = 8192 } = {}) {
  fs.mkdirSync(path.join(dir, 'etc'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'var', 'lib', 'data'), { recursive: true });
  for (let i = 0; i < files; i++) {
    fs.writeFileSync(path.join(dir, 'var', 'lib', 'data', `blob-${String(i).padStart(4, '0')}.bin`), crypto.randomBytes(size));
  }
  for (let i = 0; i < 20; i++) {
    fs.writeFileSync(path.join(dir, 'etc', `conf-${i}.conf`), `# config ${i}\n${'key = value\n'.repeat(50)}`);
  }
  return dir;
}

/** Rewrite `count` of the random files with new content of the same size (a night's changes). */
function changeRootfs(dir, count) {
  const data = path.join(dir, 'var', 'lib', 'data');
  const names = fs.readdirSync(data).sort();
  const step = Math.max(1, Math.floor(names.length / count));
  for (let i = 0, n = 0; i < names.length && n < count; i += step, n++) {
    const f = path.join(data, names[i]);
    fs.writeFileSync(f, crypto.randomBytes(fs.statSync(f).size));
  }
}

/** vzdump's local-time stamp, as the script reads it under TZ=UTC. */
function stampOf(epochSeconds) {
  const d = new Date(epochSeconds * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}_${p(d.getUTCMonth() + 1)}_${p(d.getUTCDate())}-${p(d.getUTCHours())}_${p(d.getUTCMinutes())}_${p(d.getUTCSeconds())}`;
}

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/**
 * Write a real vzdump archive (tar | gzip --rsyncable, as vzdump does) with
 * its .log and optionally .notes into dumpDir.
 * @returns {{name: string, base: string, path: string, size: number, sha: string}}
 */
function addArchive(dumpDir, { type = 'lxc', vmid, epoch, rootfs, log = true, notes = false }) {
  const base = `vzdump-${type}-${vmid}-${stampOf(epoch)}`;
  const name = `${base}.tar.gz`;
  const file = path.join(dumpDir, name);
  // Fixed mtimes/owners: unchanged files give identical tar bytes night to night.
  sh(`tar --sort=name --mtime=@1714521600 --owner=0 --group=0 --numeric-owner -C '${rootfs}' -cf - . | gzip -n --rsyncable > '${file}'`);
  if (log) fs.writeFileSync(path.join(dumpDir, `${base}.log`), `INFO: starting new backup job: vzdump ${vmid}\nINFO: Finished Backup of VM ${vmid}\n`);
  if (notes) fs.writeFileSync(path.join(dumpDir, `${name}.notes`), `guest ${vmid} nightly\n`);
  return { name, base, path: file, size: fs.statSync(file).size, sha: sha256(file) };
}

/**
 * Every entry under dir with type, mode, size, mtime, inode and content hash:
 * two equal snapshots mean nothing was written, renamed or deleted.
 */
function snapshot(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d).sort()) {
      const p = path.join(d, e);
      const st = fs.lstatSync(p);
      const entry = { rel: path.relative(dir, p), mode: st.mode, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
      if (st.isSymbolicLink()) entry.link = fs.readlinkSync(p);
      else if (st.isFile()) entry.sha = sha256(p);
      out.push(entry);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/** Run a command asynchronously (so the in-process proxy keeps serving), bounded in time. */
function runAsync(cmd, args, { env, input, timeoutMs = 60_000, onSpawn } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    if (onSpawn) onSpawn(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const started = Date.now();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, ms: Date.now() - started });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

const STANDINS = {
  // pvesm: one line per call with its argv; if pvesm.fail exists, prints its
  // content on stderr and fails.
  pvesm: (rec) => `#!/bin/sh
printf '%s\\n' "$*" >> '${rec}/pvesm.calls'
if [ -f '${rec}/pvesm.fail' ]; then cat '${rec}/pvesm.fail' >&2; exit 255; fi
exit 0
`,
  // sendmail: argv and the whole message, one file per mail.
  sendmail: (rec) => `#!/bin/sh
f=$(mktemp '${rec}/mail.XXXXXX')
printf 'ARGV: %s\\n' "$*" > "$f"
cat >> "$f"
`,
  logger: (rec) => `#!/bin/sh
printf '%s\\n' "$*" >> '${rec}/logger.calls'
`,
};

/**
 * A sender (peer) and a receiver (this host) in one temp dir, with sshd up.
 * Cleaned up (sshd stopped, dir removed) after the test.
 */
async function makeSite(t) {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'offsite-pull-')));
  const site = {
    root,
    senderDump: path.join(root, 'sthilaire', 'dump'),
    offsite: path.join(root, 'rouans', 'offsite'),
    destDir: path.join(root, 'rouans', 'offsite', 'dump'),
    stateDir: path.join(root, 'rouans', 'state'),
    bin: path.join(root, 'bin'),
    rec: path.join(root, 'records'),
    sshdDir: path.join(root, 'sshd'),
    key: path.join(root, 'pull_ed25519'),
    knownHosts: path.join(root, 'known_hosts'),
    config: path.join(root, 'offsite-pull.env'),
    mounts: [],
  };
  for (const d of [site.senderDump, site.destDir, site.stateDir, site.bin, site.rec, site.sshdDir]) {
    fs.mkdirSync(d, { recursive: true });
  }
  site.staging = path.join(site.offsite, '.offsite-staging');
  site.partial = path.join(site.staging, '.partial');
  for (const [name, body] of Object.entries(STANDINS)) {
    fs.writeFileSync(path.join(site.bin, name), body(site.rec), { mode: 0o755 });
  }
  const pubKey = loopback.makeEd25519Key(site.key, 'offsite-pull-test');
  const authorizedKeys = path.join(site.sshdDir, 'authorized_keys');
  fs.writeFileSync(authorizedKeys, `${authorizedKeyLine(site.senderDump, pubKey)}\n`);
  site.sshd = await loopback.startLoopbackSshd(site.sshdDir, authorizedKeys);
  site.knownHostsFor = (ports) => loopback.writeKnownHosts(site.knownHosts, ports, site.sshd.hostPub);
  site.knownHostsFor([site.sshd.port]);

  t.after(async () => {
    await site.sshd.stop();
    if (site.proxy) await site.proxy.stop();
    for (const m of site.mounts.reverse()) spawnSync('umount', [m]);
    fs.rmSync(root, { recursive: true, force: true });
  });

  site.settings = {
    PEER_NAME: 'sthilaire',
    PEER_HOST: '127.0.0.1',
    PEER_PORT: String(site.sshd.port),
    PEER_USER: 'root',
    SSH_KEY: site.key,
    KNOWN_HOSTS: site.knownHosts,
    DEST_DIR: site.destDir,
    STATE_DIR: site.stateDir,
    STORAGE_ID: 'offsite-sthilaire',
    FREE_SPACE_MARGIN_MB: '0',
    CONNECT_TIMEOUT_S: '5',
    IO_TIMEOUT_S: '30',
    MAILTO: 'ops@example.org',
    SENDMAIL: path.join(site.bin, 'sendmail'),
    PVESM: path.join(site.bin, 'pvesm'),
  };
  site.env = { PATH: `${site.bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, TZ: 'UTC', HOME: root };

  /** Write the env file (settings + overrides; undefined drops a key). */
  site.writeConfig = (overrides = {}) => {
    const all = { ...site.settings, ...overrides };
    const lines = Object.entries(all).filter(([, v]) => v !== undefined).map(([k, v]) => {
      if (String(v).includes("'")) throw new Error(`no quotes in test values: ${k}`);
      return `${k}='${v}'`;
    });
    fs.writeFileSync(site.config, `${lines.join('\n')}\n`, { mode: 0o600 });
  };

  /** Run the pull; resolves with exit code, output and the parsed status.json. */
  site.pull = async (overrides = {}, args = [], opts = {}) => {
    site.writeConfig(overrides);
    const r = await runAsync(SCRIPT, ['--config', site.config, ...args], { env: site.env, ...opts });
    const statusPath = path.join(site.stateDir, 'status.json');
    r.status = fs.existsSync(statusPath) ? JSON.parse(fs.readFileSync(statusPath, 'utf8')) : null;
    return r;
  };

  site.sshArgs = (port = site.sshd.port) => ['-F', 'none', '-i', site.key, '-p', String(port),
    '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${site.knownHosts}`,
    '-o', 'IdentitiesOnly=yes', '-o', 'ConnectTimeout=5'];
  site.rsyncE = () => `ssh ${site.sshArgs().join(' ')}`;
  site.records = (name) => {
    const f = path.join(site.rec, name);
    return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean) : [];
  };
  site.mails = () => fs.readdirSync(site.rec).filter((f) => f.startsWith('mail.')).map((f) => fs.readFileSync(path.join(site.rec, f), 'utf8'));
  site.rootfs = (name, opts) => makeRootfs(path.join(root, 'rootfs', name), opts);
  site.archive = (opts) => addArchive(site.senderDump, opts);
  /** Mount a small tmpfs as the offsite filesystem; returns an error string if not permitted. */
  site.mountSmallOffsite = (size) => {
    fs.rmSync(site.offsite, { recursive: true, force: true });
    fs.mkdirSync(site.offsite, { recursive: true });
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', site.offsite], { encoding: 'utf8' });
    if (r.status !== 0) return `mounting a tmpfs is not permitted here: ${(r.stderr || '').trim()}`;
    site.mounts.push(site.offsite);
    fs.mkdirSync(site.destDir);
    return null;
  };
  return site;
}

/** Epoch seconds of a UTC date (the tests run the script with TZ=UTC). */
const utc = (y, mo, d, h = 1, mi = 0) => Date.UTC(y, mo - 1, d, h, mi) / 1000;

/** Bounded poll: resolves true once fn() is truthy (count x stepMs at most). */
async function until(fn, { count = 200, stepMs = 25 } = {}) {
  for (let i = 0; i < count; i++) {
    if (fn()) return true;
    await sleep(stepMs);
  }
  return false;
}

module.exports = {
  REPO, SCRIPT, RRSYNC, authorizedKeyLine, missingForSshTests, have, sh, makeSite, startProxy,
  changeRootfs, addArchive, snapshot, runAsync, sha256, stampOf, utc, until, sleep, freePort,
};
