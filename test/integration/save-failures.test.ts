/**
 * Never answer OK for a change that was not saved (issue 9, item 9).
 *
 * A real redis-sentinel 7.0.15 and a tssentinel run side by side; their
 * config directories are then made unwritable — immutable (`chattr +i`, so
 * even root cannot create the temp file) or on a full tmpfs — and every
 * command that changes persisted state must answer as the real one does:
 * `ERR Failed to save config file. Check server logs.` where it saves first.
 *
 * Needs root (chattr, mount); skipped with the reason otherwise.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { startAll, startRealSentinel, startTsSentinel, stopAll, tempDir, type ProcHandle } from '../support/procs.js';
import { RawClient, toPlain } from '../support/resp.js';
import { sleep } from '../support/wait.js';
import { call } from '../support/sentinel.js';

function tryRun(cmd: string, args: string[]): string | undefined {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

function unavailable(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root (chattr +i and mount need it)';
  const probe = tempDir('chattr-probe');
  const failed = tryRun('chattr', ['+i', probe]);
  if (failed) return `chattr +i not supported here: ${failed}`;
  tryRun('chattr', ['-i', probe]);
  return undefined;
}

const SKIP = unavailable();
if (SKIP) console.warn(`save-failures.test.ts: skipped: ${SKIP}`);

const SAVE_FAILED = { error: 'ERR Failed to save config file. Check server logs.' };

/** The change commands, in an order where each one applies in memory. */
function changeCommands(deadPort: number): string[][] {
  return [
    ['SENTINEL', 'SET', 'mymaster', 'quorum', '3'],
    ['SENTINEL', 'SET', 'mymaster', 'down-after-milliseconds', '4000', 'quorum', 'x'],
    ['SENTINEL', 'MONITOR', 'other', '127.0.0.1', String(deadPort), '1'],
    ['SENTINEL', 'REMOVE', 'other'],
    ['SENTINEL', 'RESET', 'mymaster'],
    ['SENTINEL', 'FLUSHCONFIG'],
  ];
}

async function replies(s: ProcHandle, commands: string[][]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const c of commands) out.push(toPlain(await call(s.port, ...c)));
  return out;
}

afterAll(async () => {
  await stopAll();
});

describe.skipIf(SKIP !== undefined)(`a config directory that cannot be written${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  let real: ProcHandle;
  let ts: ProcHandle;
  let deadPort: number;

  beforeAll(async () => {
    deadPort = await freePort();
    const text = `sentinel monitor mymaster 127.0.0.1 ${deadPort} 2\n`;
    [real, ts] = await startAll([startRealSentinel(text), startTsSentinel(text)]);
  });

  it('immutable: every saving command answers the save error, as redis-sentinel does, and the file is untouched', async () => {
    const before = fs.readFileSync(ts.confPath, 'utf8');
    const dirs = [real.dir, ts.dir];
    execFileSync('chattr', ['+i', ...dirs]);
    let got: { real: unknown[]; ts: unknown[] };
    try {
      const commands = changeCommands(deadPort);
      got = { real: await replies(real, commands), ts: await replies(ts, commands) };
    } finally {
      execFileSync('chattr', ['-i', ...dirs]);
    }
    expect(got.ts).toEqual(got.real);
    expect(got.ts).toEqual([
      SAVE_FAILED,
      { error: "ERR Invalid argument 'x' for SENTINEL SET 'quorum'" },
      SAVE_FAILED,
      SAVE_FAILED,
      1,
      SAVE_FAILED,
    ]);
    expect(fs.readFileSync(ts.confPath, 'utf8')).toBe(before);
    expect(fs.readdirSync(ts.dir).filter((f) => f.includes('.tmp'))).toEqual([]);
    // Writable again: the next save holds every change made in memory meanwhile.
    expect(toPlain(await call(ts.port, 'SENTINEL', 'FLUSHCONFIG'))).toBe('OK');
    const after = fs.readFileSync(ts.confPath, 'utf8');
    expect(after).toMatch(/^sentinel monitor mymaster 127\.0\.0\.1 \d+ 3$/m);
    expect(after).toMatch(/^sentinel down-after-milliseconds mymaster 4000$/m);
  });

  it('full disk (a full tmpfs over its directory): SET and MONITOR answer the save error, the old file stays whole', async () => {
    const s = await startTsSentinel(`sentinel monitor mymaster 127.0.0.1 ${deadPort} 2\n`);
    const before = fs.readFileSync(s.confPath, 'utf8');
    const mounted = tryRun('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', s.dir]);
    if (mounted) {
      console.warn(`full-disk case skipped: ${mounted}`);
      return;
    }
    try {
      // The same file at the same path, now on a disk with no space left.
      fs.writeFileSync(s.confPath, before);
      try {
        fs.writeFileSync(path.join(s.dir, 'filler'), Buffer.alloc(128 * 1024));
      } catch {
        // ENOSPC once the disk is full: that is the point.
      }
      expect(toPlain(await call(s.port, 'SENTINEL', 'SET', 'mymaster', 'quorum', '1'))).toEqual(SAVE_FAILED);
      expect(toPlain(await call(s.port, 'SENTINEL', 'MONITOR', 'm2', '127.0.0.1', String(deadPort), '1'))).toEqual(SAVE_FAILED);
      expect(fs.readFileSync(s.confPath, 'utf8')).toBe(before);
      expect(fs.readdirSync(s.dir).filter((f) => f.includes('.tmp'))).toEqual([]);
      expect(toPlain(await call(s.port, 'PING'))).toBe('PONG');
      await s.stop();
    } finally {
      await s.stop();
      tryRun('umount', ['-l', s.dir]);
    }
  });
});

describe('temp files left by a save that was interrupted (kill -9 mid-save)', () => {
  it('are removed at the next start; files of live processes and other files are kept', async () => {
    const deadPort = await freePort();
    const s = await startTsSentinel(`sentinel monitor mymaster 127.0.0.1 ${deadPort} 2\n`);
    // Saves in a tight loop, killed in the middle a few times.
    for (let round = 0; round < 3; round++) {
      const c = await RawClient.connect(s.port, { timeoutMs: 2_000 });
      const spam = (async () => {
        for (let i = 0; i < 200; i++) await c.call('SENTINEL', 'SET', 'mymaster', 'quorum', String(2 + (i % 2)));
      })().catch(() => undefined);
      await sleep(100);
      await s.kill9();
      await spam;
      await c.close().catch(() => undefined);
      await s.restart();
    }
    await s.stop();
    const deadPid = spawnSync('true').pid!;
    const base = path.basename(s.confPath);
    const stale = [`.${base}.tmp-${deadPid}-1`, `.${base}.tmp-${deadPid}-7`];
    const kept = [`.${base}.tmp-${process.pid}-1`, '.other.conf.tmp-1-1', `${base}.bak`];
    for (const name of [...stale, ...kept]) fs.writeFileSync(path.join(s.dir, name), 'partial');
    await s.restart();
    const names = fs.readdirSync(s.dir);
    expect(names.filter((n) => n.startsWith(`.${base}.tmp-`) && !n.includes(`-${process.pid}-`))).toEqual([]);
    for (const name of kept) expect(names).toContain(name);
    expect(toPlain(await call(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'))).toEqual(['127.0.0.1', String(deadPort)]);
  });
});
