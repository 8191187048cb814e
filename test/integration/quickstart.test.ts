/**
 * The README's quick start, followed verbatim (issue 10, item 2):
 * `bash scripts/run.sh` must bring up something that fails over out of the
 * box (a master, two replicas, three Sentinels with a reachable quorum),
 * without reinstalling anything on a later start; and `tssentinel` must be
 * installable on PATH from a packed tarball.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../support/procs.js';
import { toPlain } from '../support/resp.js';
import { call } from '../support/sentinel.js';
import { waitFor, withTimeout } from '../support/wait.js';

const children: Array<ReturnType<typeof spawn>> = [];

afterAll(async () => {
  // SIGTERM first: the demo then stops the processes it started (a SIGKILL
  // would leave them running); SIGKILL only if it does not exit.
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGTERM');
    await withTimeout(exited, 10_000, 'the playground to stop').catch(() => c.kill('SIGKILL'));
  }
});

describe('quick start', () => {
  it('`bash scripts/run.sh` starts a playground whose Sentinels can fail over, and installs nothing again', async () => {
    // run.sh execs the demo: this pid is the demo itself, which stops its children on SIGTERM.
    const run = spawn('bash', [path.join(REPO_ROOT, 'scripts/run.sh')], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(run);
    let out = '';
    run.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    run.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((resolve) => run.once('exit', (code) => resolve(code)));
    const started = await waitFor(() => /demo started .* s1=127\.0\.0\.1:(\d+)\(pid/.exec(out) ?? undefined,
      { timeoutMs: 30_000, what: `the playground to start (output so far: ${out.slice(-300)})` });
    const sentinelPort = Number(started[1]);
    // The point of the quick start: a quorum that can authorize a failover.
    const ck = await waitFor(async () => {
      const reply = toPlain(await call(sentinelPort, 'SENTINEL', 'CKQUORUM', 'mymaster'));
      return typeof reply === 'string' && reply.startsWith('OK 3 usable Sentinels') ? reply : undefined;
    }, { timeoutMs: 20_000, what: 'CKQUORUM OK with all 3 Sentinels on the first one' });
    expect(ck).toMatch(/^OK 3 usable Sentinels/);
    // Installed and built already (by the test command): nothing is done again.
    expect(out).not.toMatch(/installing npm packages|installing Redis|building/);
    run.kill('SIGTERM');
    await withTimeout(exited, 15_000, 'the playground to stop on SIGTERM');
    expect(out).toMatch(/^DEMO RESULT /m);
  });

  it('puts `tssentinel` on PATH from a packed tarball (npm pack + npm install -g)', () => {
    const dir = tempDir('global');
    // --ignore-scripts: dist is built already, and a rebuild (prepack) would
    // rewrite dist/ under the other tests running beside this one.
    const pack = spawnSync('npm', ['pack', REPO_ROOT, '--silent', '--ignore-scripts', '--pack-destination', dir], { encoding: 'utf8', timeout: 120_000 });
    expect(pack.status, pack.stderr).toBe(0);
    const tarball = path.join(dir, pack.stdout.trim().split('\n').pop()!);
    expect(fs.existsSync(tarball), tarball).toBe(true);
    const prefix = path.join(dir, 'prefix');
    const install = spawnSync('npm', ['install', '-g', '--prefix', prefix, tarball, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
      { encoding: 'utf8', timeout: 120_000 });
    expect(install.status, install.stderr).toBe(0);
    const bin = path.join(prefix, 'bin', 'tssentinel');
    const version = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
    expect(version.stdout).toMatch(/^tssentinel \d+\.\d+\.\d+ /);
    const conf = path.join(dir, 'sentinel.conf');
    fs.copyFileSync(path.join(prefix, 'lib/node_modules/tssentinel/conf/sentinel.conf'), conf);
    const check = spawnSync(bin, [conf, '--test-config'], { encoding: 'utf8', timeout: 30_000 });
    expect([check.status, check.stdout.trim()]).toEqual([0, `Configuration test passed: ${conf}`]);
  }, 240_000);
});
