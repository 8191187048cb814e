/**
 * The systemd unit and scripts/install-systemd.sh, without a running systemd:
 * `systemd-analyze verify` (and `security --offline`) on the unit as shipped
 * and as installed; the install script run into a temporary root (--destdir);
 * then the installed tssentinel started exactly as the installed unit's
 * ExecStart says (paths moved under the temporary root, `--port` on a free
 * loopback port), as the `tssentinel` user when running as root (the script
 * creates it; this test removes it again if it did not exist before), in the
 * unit's WorkingDirectory. It must answer PING and persist its state into the
 * config (temp file + rename in a directory only the service user can write).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { REPO_ROOT } from '../support/procs.js';
import { waitFor } from '../support/wait.js';

const UNIT = path.join(REPO_ROOT, 'conf/systemd/tssentinel.service');
const INSTALL = path.join(REPO_ROOT, 'scripts/install-systemd.sh');
const IS_ROOT = process.getuid?.() === 0;
const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
const userExists = (name: string) => spawnSync('getent', ['passwd', name]).status === 0;

function verify(unitPath: string): { status: number | null; out: string } {
  const r = spawnSync('systemd-analyze', ['verify', unitPath], { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function unitValue(text: string, key: string): string {
  const m = new RegExp(`^${key}=(.*)$`, 'm').exec(text);
  if (!m) throw new Error(`no ${key}= in unit`);
  return m[1]!.trim();
}

describe.skipIf(!hasAnalyze)('systemd unit (systemd-analyze)', () => {
  it('verifies cleanly as shipped, and verify does catch a broken unit', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tss-unit-'));
    try {
      // verify checks that ExecStart's program exists: where node is not
      // /usr/bin/node (the install script substitutes it), check that copy.
      let unit = UNIT;
      if (!fs.existsSync('/usr/bin/node')) {
        unit = path.join(dir, 'shipped', 'tssentinel.service');
        fs.mkdirSync(path.dirname(unit));
        fs.writeFileSync(unit, fs.readFileSync(UNIT, 'utf8').replace(/^ExecStart=\/usr\/bin\/node /m, `ExecStart=${process.execPath} `));
      }
      const ok = verify(unit);
      expect(ok.out).toBe('');
      expect(ok.status).toBe(0);
      const bad = path.join(dir, 'tssentinel.service');
      fs.writeFileSync(bad, fs.readFileSync(UNIT, 'utf8').replace(/^ExecStart=\/usr\/bin\/node/m, 'ExecStart=/nonexistent/node'));
      expect(verify(bad).status).not.toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has the hardening it promises and a writable config directory only', () => {
    const unit = fs.readFileSync(UNIT, 'utf8');
    for (const line of ['User=tssentinel', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'PrivateTmp=yes',
      'ReadWritePaths=/etc/tssentinel', 'Restart=on-failure']) {
      expect(unit).toMatch(new RegExp(`^${line}$`, 'm'));
    }
    expect(unit).not.toMatch(/\/var\/log/);
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', UNIT], { encoding: 'utf8' });
    const level = /Overall exposure level for tssentinel\.service: ([\d.]+)/.exec(r.stdout);
    expect(level, r.stdout + r.stderr).not.toBeNull();
    expect(Number(level![1])).toBeLessThan(5);
  });
});

describe('install-systemd.sh into a temporary root, then the unit\'s ExecStart', () => {
  let root = '';
  let child: ChildProcess | undefined;
  let createdUser = false;
  let installOut = '';
  const PREFIX = '/opt/tssentinel';
  const CONFDIR = '/etc/tssentinel';

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tss-install-'));
    fs.chmodSync(root, 0o755); // the service user must be able to traverse it
    createdUser = IS_ROOT && !userExists('tssentinel');
    installOut = execFileSync('bash', [INSTALL, '--destdir', root], { encoding: 'utf8' });
  }, 60_000);

  afterAll(async () => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      process.kill(child.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
    }
    if (root) fs.rmSync(root, { recursive: true, force: true });
    if (createdUser) spawnSync('userdel', ['tssentinel']);
  });

  it('lays out package, config and unit, and skips systemctl with a message', () => {
    expect(installOut).toMatch(/skipped systemctl/);
    expect(fs.existsSync(path.join(root, PREFIX, 'dist/cli.js'))).toBe(true);
    expect(fs.existsSync(path.join(root, PREFIX, 'package.json'))).toBe(true);
    expect(fs.existsSync(path.join(root, PREFIX, 'node_modules/commander/package.json'))).toBe(true);
    expect(fs.existsSync(path.join(root, PREFIX, 'node_modules/vitest'))).toBe(false); // production deps only
    const conf = path.join(root, CONFDIR, 'sentinel.conf');
    expect(fs.readFileSync(conf, 'utf8')).toBe(fs.readFileSync(path.join(REPO_ROOT, 'conf/sentinel.conf'), 'utf8'));
    expect(fs.statSync(conf).mode & 0o777).toBe(0o640);
    expect(fs.statSync(path.join(root, CONFDIR)).mode & 0o777).toBe(0o750);
    if (IS_ROOT) {
      const uid = Number(execFileSync('id', ['-u', 'tssentinel'], { encoding: 'utf8' }));
      expect(fs.statSync(conf).uid).toBe(uid);
      expect(fs.statSync(path.join(root, CONFDIR)).uid).toBe(uid);
      expect(fs.statSync(path.join(root, PREFIX, 'dist/cli.js')).uid).toBe(0); // code not writable by the service
    }
    const unitPath = path.join(root, 'etc/systemd/system/tssentinel.service');
    if (hasAnalyze) expect(verify(unitPath).status).toBe(0);
  });

  it('never overwrites an existing sentinel.conf and replaces the package on a second run', () => {
    const conf = path.join(root, CONFDIR, 'sentinel.conf');
    const original = fs.readFileSync(conf, 'utf8');
    fs.appendFileSync(conf, '# kept by the second install\n');
    const out = execFileSync('bash', [INSTALL, '--destdir', root], { encoding: 'utf8' });
    expect(out).toMatch(/kept existing/);
    expect(fs.readFileSync(conf, 'utf8')).toBe(`${original}# kept by the second install\n`);
    fs.writeFileSync(conf, original);
    expect(fs.readdirSync(path.join(root, 'opt')).filter((n) => n !== 'tssentinel')).toEqual([]); // no staging left
  }, 60_000);

  it('starts as ExecStart says, as the service user, answers PING and persists its state', async () => {
    const unit = fs.readFileSync(path.join(root, 'etc/systemd/system/tssentinel.service'), 'utf8');
    const relocate = (s: string) => s.replaceAll(PREFIX, path.join(root, PREFIX)).replaceAll(CONFDIR, path.join(root, CONFDIR));
    const argv = relocate(unitValue(unit, 'ExecStart')).split(/\s+/);
    const cwd = relocate(unitValue(unit, 'WorkingDirectory'));
    const port = await freePort();
    let uid: number | undefined;
    let gid: number | undefined;
    if (IS_ROOT) {
      expect(unitValue(unit, 'User')).toBe('tssentinel');
      uid = Number(execFileSync('id', ['-u', 'tssentinel'], { encoding: 'utf8' }));
      gid = Number(execFileSync('id', ['-g', 'tssentinel'], { encoding: 'utf8' }));
    }
    const logPath = path.join(root, 'stdout.log');
    const logFd = fs.openSync(logPath, 'a');
    child = spawn(argv[0]!, [...argv.slice(1), '--port', String(port)], {
      cwd, uid, gid, stdio: ['ignore', logFd, logFd], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    });
    fs.closeSync(logFd);
    const cli = (...args: string[]) => spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 3000 }).stdout.trim();
    await waitFor(() => cli('ping') === 'PONG' || undefined, { timeoutMs: 15_000, what: 'PONG from the installed tssentinel' });
    if (IS_ROOT) {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      expect(/^Uid:\s+(\d+)/m.exec(status)![1]).toBe(String(uid));
    }
    // A runtime change is persisted by rewriting the file (temp file + rename in CONFDIR).
    expect(cli('sentinel', 'set', 'mymaster', 'down-after-milliseconds', '6000')).toBe('OK');
    const conf = path.join(root, CONFDIR, 'sentinel.conf');
    await waitFor(() => /down-after-milliseconds mymaster 6000/.test(fs.readFileSync(conf, 'utf8')) || undefined, { timeoutMs: 5000, what: 'the rewritten config' });
    const text = fs.readFileSync(conf, 'utf8');
    expect(text).toMatch(/^sentinel myid [0-9a-f]{40}$/m);
    if (IS_ROOT) expect(fs.statSync(conf).uid).toBe(uid);
    expect(fs.readdirSync(path.join(root, CONFDIR)).filter((n) => n.includes('.tmp-'))).toEqual([]);
    // Logs go to stdout (the journal), in redis-sentinel's line format.
    expect(fs.readFileSync(logPath, 'utf8')).toMatch(/^\d+:X \d+ \w{3} \d{4} [\d:.]+ [#*.-] /m);
  }, 40_000);
});
