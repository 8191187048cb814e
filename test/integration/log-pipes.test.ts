/**
 * Logging must never block shutdown nor crash the process (issue 10, item
 * 1): stdout and stderr a closed pipe (`tssentinel s.conf 2>&1 | head -2`),
 * or a pipe nobody reads (a stuck log shipper). Before the fix, SIGTERM with
 * a closed pipe left the process hanging in pino's exit flush (4 of 5 tries).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { TS_CLI_PATH, pidAlive, tempDir } from '../support/procs.js';
import { RawClient, toPlain } from '../support/resp.js';
import { sleep, waitFor, withTimeout } from '../support/wait.js';

const started = new Set<ChildProcess>();
/** Sentinels started by a shell (not our children): killed by pid at the end. */
const pids = new Set<number>();

afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const pid of pids) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
});


async function spawnSentinel(): Promise<{ child: ChildProcess; port: number; exited: Promise<number | null> }> {
  const dir = tempDir('logpipe');
  const port = await freePort();
  const conf = path.join(dir, 'sentinel.conf');
  fs.writeFileSync(conf, `bind 127.0.0.1\nport ${port}\nsentinel monitor mymaster 127.0.0.1 ${await freePort()} 1\n`);
  const child = spawn(process.execPath, [TS_CLI_PATH, conf], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor(async () => {
    const c = await RawClient.connect(port, { timeoutMs: 500 });
    try {
      return toPlain(await c.call('PING')) === 'PONG';
    } finally {
      await c.close();
    }
  }, { timeoutMs: 15_000, what: `tssentinel on ${port} to answer` });
  return { child, port, exited };
}

/** Many warning-level events (+set), each one log line. */
async function logALot(port: number, events: number): Promise<void> {
  const c = await RawClient.connect(port, { timeoutMs: 10_000 });
  try {
    const pairs: string[] = [];
    for (let i = 0; i < events; i++) pairs.push('quorum', String(1 + (i % 3)));
    expect(toPlain(await c.call('SENTINEL', 'SET', 'mymaster', ...pairs))).toBe('OK');
  } finally {
    await c.close();
  }
}

describe('log output that nobody reads', () => {
  it('`tssentinel s.conf 2>&1 | head -2`, then SIGTERM: it exits (5 tries)', async () => {
    for (let i = 0; i < 5; i++) {
      const dir = tempDir('logpipe-head');
      const port = await freePort();
      const conf = path.join(dir, 'sentinel.conf');
      fs.writeFileSync(conf, `bind 127.0.0.1\nport ${port}\nsentinel monitor mymaster 127.0.0.1 ${await freePort()} 1\n`);
      const sh = spawn('sh', ['-c', `"${process.execPath}" "${TS_CLI_PATH}" "${conf}" 2>&1 | head -2`], {
        cwd: dir, stdio: ['ignore', 'pipe', 'ignore'],
      });
      started.add(sh);
      let out = '';
      sh.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
      // Redis-style lines start with the Sentinel's pid (the shell's child, not ours).
      const pid = await waitFor(() => Number(/^(\d+):X /m.exec(out)?.[1]) || undefined, { what: 'the first log lines' });
      pids.add(pid);
      // head exits after its two lines: the next line written (SIGTERM's own) meets a closed pipe.
      await waitFor(() => out.split('\n').filter(Boolean).length >= 2 || undefined, { what: 'two lines through head' });
      await sleep(300);
      process.kill(pid, 'SIGTERM');
      await waitFor(() => !pidAlive(pid), { timeoutMs: 5_000, what: `try ${i + 1}: pid ${pid} to exit after SIGTERM with stdout a closed pipe` });
    }
  });

  it('stdout a full pipe: it keeps answering, and SIGTERM still exits with 0', async () => {
    const { child, port, exited } = await spawnSentinel();
    child.stdout!.pause();
    // Far more than a pipe holds (64 KiB): the writes back up.
    await logALot(port, 3000);
    const c = await RawClient.connect(port, { timeoutMs: 2_000 });
    try {
      expect(toPlain(await c.call('PING'))).toBe('PONG');
    } finally {
      await c.close();
    }
    child.kill('SIGTERM');
    expect(await withTimeout(exited, 5_000, 'exit after SIGTERM with a full stdout pipe')).toBe(0);
  });
});
