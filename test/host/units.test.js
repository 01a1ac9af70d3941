'use strict';
// Static checks of what gets installed on the hosts: the shell scripts pass
// shellcheck, the systemd units pass `systemd-analyze verify` with no warning.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const h = require('./harness.js');

const HOST = path.join(h.REPO, 'scripts', 'host');
const SERVICE = 'retzien-offsite-pull.service';
const TIMER = 'retzien-offsite-pull.timer';
const INSTALLED = '/usr/local/sbin/retzien-offsite-pull';

test('shellcheck -x passes on scripts/host/*.sh', (t) => {
  if (!h.have('shellcheck')) return t.skip('shellcheck is not installed');
  const scripts = fs.readdirSync(HOST).filter((f) => f.endsWith('.sh')).map((f) => path.join(HOST, f));
  assert.ok(scripts.length > 0);
  const r = spawnSync('shellcheck', ['-x', ...scripts], { encoding: 'utf8', cwd: HOST });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

/**
 * verify needs ExecStart's binary to exist, so check a copy whose ExecStart
 * points at the script in this repo; everything else is byte-identical.
 */
function verify(t, mutate = (s) => s) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'offsite-pull-units-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const service = fs.readFileSync(path.join(HOST, SERVICE), 'utf8');
  fs.writeFileSync(path.join(dir, SERVICE), mutate(service.split(INSTALLED).join(h.SCRIPT)));
  fs.copyFileSync(path.join(HOST, TIMER), path.join(dir, TIMER));
  return spawnSync('systemd-analyze', ['verify', path.join(dir, SERVICE), path.join(dir, TIMER)],
    { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_COLOR: '0' }, timeout: 30_000 });
}

test('systemd-analyze verify passes on the service and timer, without warnings', (t) => {
  if (!h.have('systemd-analyze')) return t.skip('systemd-analyze is not installed');
  const r = verify(t);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr.trim(), '', 'no warning (verify exits 0 on "ignoring" lines)');
  // The check above can fail: a unit with a bad setting is reported.
  const broken = verify(t, (s) => s.replace('IOSchedulingClass=idle', 'IOSchedulingClass=idel'));
  assert.match(broken.stderr, /IOSchedulingClass|idel/);
});

test('the service runs the installed script with the env file; the timer starts it', () => {
  const service = fs.readFileSync(path.join(HOST, SERVICE), 'utf8');
  const timer = fs.readFileSync(path.join(HOST, TIMER), 'utf8');
  assert.match(service, /^Type=oneshot$/m);
  assert.match(service, new RegExp(`^ExecStart=${INSTALLED} --config /etc/retzien/offsite-pull\\.env$`, 'm'));
  assert.match(service, /^Nice=19$/m);
  assert.match(service, /^IOSchedulingClass=idle$/m);
  assert.match(timer, /^OnCalendar=\*-\*-\* 04:30$/m);
  assert.match(timer, /^Persistent=true$/m);
  assert.match(timer, /^RandomizedDelaySec=\S+$/m);
  assert.match(timer, new RegExp(`^Unit=${SERVICE.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(timer, /^WantedBy=timers\.target$/m);
});

// The units as the stacks really install them (rendered per held site by the
// TypeScript side, with the timer after the sender's backup) must verify too.
test('the rendered per-site units pass systemd-analyze verify', (t) => {
  if (!h.have('systemd-analyze')) return t.skip('systemd-analyze is not installed');
  const { directionsOf } = require('../../src/offsite/directions.ts');
  const { renderPullUnits, pullNames } = require('../../src/offsite/host-files.ts');
  const { PAIRING } = require('../../src/offsite/pairing.ts');
  const { validateSiteSpecs } = require('../../src/program.ts');
  const { allSites } = require('../../stacks/sites.ts');
  const templates = {
    service: fs.readFileSync(path.join(HOST, SERVICE), 'utf8'),
    timer: fs.readFileSync(path.join(HOST, TIMER), 'utf8'),
  };
  for (const d of directionsOf(PAIRING, validateSiteSpecs(allSites).sites)) {
    const names = pullNames(d.source);
    const units = renderPullUnits(d, templates);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'offsite-pull-rendered-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, names.service), units.service.split(INSTALLED).join(h.SCRIPT));
    fs.writeFileSync(path.join(dir, names.timer), units.timer);
    const r = spawnSync('systemd-analyze', ['verify', path.join(dir, names.service), path.join(dir, names.timer)],
      { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_COLOR: '0' }, timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', `${names.timer}: no warning`);
    assert.match(units.timer, new RegExp(`^OnCalendar=\\*-\\*-\\* ${d.windowStart}$`, 'm'));
  }
});
