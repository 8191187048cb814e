/**
 * `daemonize yes`: the command returns at once with exit code 0 and the
 * Sentinel goes on in the background, its PID in `pidfile`, as redis-sentinel
 * does. Node cannot fork(), so tssentinel re-runs itself detached.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { pidAlive, runTsSentinelToExit, startRedis, stopAll, tempDir } from '../support/procs.js';
import { call } from '../support/sentinel.js';
import { toPlain } from '../support/resp.js';
import { waitFor } from '../support/wait.js';

let daemonPid: number | undefined;

afterAll(async () => {
  if (daemonPid !== undefined) {
    try { process.kill(daemonPid, 'SIGKILL'); } catch { /* already gone */ }
  }
  await stopAll();
});


describe('daemonize', () => {
  it('detaches, writes the pidfile, serves, and stops on SIGTERM removing the pidfile', async () => {
    const m = await startRedis();
    const dir = tempDir('daemon');
    const port = await freePort();
    const pidfile = path.join(dir, 'sentinel.pid');
    const conf = path.join(dir, 'sentinel.conf');
    fs.writeFileSync(conf, [
      `port ${port}`, 'bind 127.0.0.1', 'daemonize yes', `pidfile ${pidfile}`,
      `logfile ${path.join(dir, 'sentinel.log')}`, `sentinel monitor mymaster 127.0.0.1 ${m.port} 1`, '',
    ].join('\n'));
    const run = await runTsSentinelToExit([conf], { timeoutMs: 10_000 });
    expect(run.code).toBe(0);
    const pid = await waitFor(() => {
      const text = fs.existsSync(pidfile) ? fs.readFileSync(pidfile, 'utf8').trim() : '';
      return /^\d+$/.test(text) ? Number(text) : undefined;
    }, { timeoutMs: 10_000, what: 'pidfile written by the daemon' });
    daemonPid = pid;
    expect(pidAlive(pid)).toBe(true);
    expect(toPlain(await waitFor(async () => {
      try { return await call(port, 'PING'); } catch { return undefined; }
    }, { timeoutMs: 10_000, what: 'daemon answering PING' }))).toBe('PONG');
    process.kill(pid, 'SIGTERM');
    await waitFor(() => !pidAlive(pid) || undefined, { timeoutMs: 10_000, what: 'daemon exit after SIGTERM' });
    daemonPid = undefined;
    expect(fs.existsSync(pidfile)).toBe(false);
  });
});
