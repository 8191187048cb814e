/**
 * Values in log lines and events: a SENTINEL SET value or a master name
 * holding a newline must not start a line of its own in the log (a forged
 * `+switch-master` for whoever greps it), nor a terminal escape reach a
 * terminal. tssentinel escapes them as Redis's sdscatrepr does, without the
 * quotes; redis-sentinel 7.0.15, given the same commands, writes them raw
 * and its log gains the forged line.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAll, startRealSentinel, startRedis, startTsSentinel, stopAll, type ProcHandle } from '../support/procs.js';
import { toPlain } from '../support/resp.js';
import { call, closeEventLogs, EventLog } from '../support/sentinel.js';
import { waitFor } from '../support/wait.js';

afterAll(async () => {
  await closeEventLogs();
  await stopAll();
});

const FORGED = '1:X 01 Jan 2026 00:00:00.000 # +switch-master mymaster 10.9.9.9 6379';
/** A newline and a forged log line, a terminal escape (clear screen), a byte past ASCII. */
const USER = `x\n${FORGED}\x1b[2J\u00e9`;
const USER_ESCAPED = `x\\n${FORGED}\\x1b[2J\\xc3\\xa9`;
const NAME = `evil\n${FORGED.replace('mymaster', 'evil')}`;
const NAME_ESCAPED = `evil\\n${FORGED.replace('mymaster', 'evil')}`;

function logLines(p: ProcHandle): string[] {
  return fs.existsSync(p.logPath) ? fs.readFileSync(p.logPath, 'utf8').split('\n') : [];
}

describe('values with a newline in logs and events', () => {
  let master: ProcHandle;
  let ts: ProcHandle;
  let real: ProcHandle;
  let tsEvents: EventLog;
  let realEvents: EventLog;

  beforeAll(async () => {
    master = await startRedis();
    const text = `sentinel monitor mymaster 127.0.0.1 ${master.port} 1\n`;
    [ts, real] = await startAll([startTsSentinel(text), startRealSentinel(text)]);
    [tsEvents, realEvents] = await Promise.all([EventLog.open(ts, 'ts'), EventLog.open(real, 'real')]);
    for (const s of [ts, real]) {
      expect(toPlain(await call(s.port, 'SENTINEL', 'SET', 'mymaster', 'auth-user', USER))).toBe('OK');
      expect(toPlain(await call(s.port, 'SENTINEL', 'MONITOR', NAME, '127.0.0.1', String(master.port), '1'))).toBe('OK');
    }
  });

  it('tssentinel: one line per record, the values escaped in the log and in the events', async () => {
    const setLine = await waitFor(() => logLines(ts).find((l) => l.includes('+set master mymaster')),
      { what: '+set in the log of tssentinel' });
    expect(setLine).toMatch(/^\d+:X .* # \+set master mymaster 127\.0\.0\.1 \d+ auth-user /);
    expect(setLine.endsWith(`auth-user ${USER_ESCAPED}`)).toBe(true);
    const monitorLine = await waitFor(() => logLines(ts).find((l) => l.includes('+monitor master evil')),
      { what: '+monitor evil in the log of tssentinel' });
    expect(monitorLine.endsWith(`+monitor master ${NAME_ESCAPED} 127.0.0.1 ${master.port} quorum 1`)).toBe(true);
    expect(logLines(ts).filter((l) => l.startsWith('1:X 01 Jan 2026'))).toEqual([]);
    expect(logLines(ts).join('\n')).not.toContain('\x1b');

    const set = await tsEvents.waitEvent('+set', /auth-user/, 5_000);
    expect(set.message).toBe(`master mymaster 127.0.0.1 ${master.port} auth-user ${USER_ESCAPED}`);
    const monitor = await tsEvents.waitEvent('+monitor', /^master evil/, 5_000);
    expect(monitor.message).toBe(`master ${NAME_ESCAPED} 127.0.0.1 ${master.port} quorum 1`);
  });

  it('redis-sentinel writes the same values raw: its log gains the forged lines', async () => {
    // Polled until both forged lines are there (the +set's and the +monitor's): the file is read
    // while redis-sentinel may still be writing it.
    const forged = () => logLines(real).filter((l) => l.startsWith('1:X 01 Jan 2026'));
    await waitFor(() => forged().length >= 2, { what: 'the two forged lines in the real log' });
    expect(forged()).toHaveLength(2);
    const set = await realEvents.waitEvent('+set', /auth-user/, 5_000);
    expect(set.message).toContain(`auth-user x\n${FORGED}`);
  });
});
