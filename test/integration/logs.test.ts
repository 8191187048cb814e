/**
 * Logs: one JSON line per event with master and event fields, the loglevel
 * honoured and changeable at run time (SENTINEL CONFIG SET loglevel), and the
 * redis-sentinel line format on a terminal.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { redisStyleLine } from '../../src/log.js';
import { startRedis, startTsSentinel, stopAll, tempDir } from '../support/procs.js';
import { RawClient, toPlain, toRecord } from '../support/resp.js';
import { waitFor } from '../support/wait.js';

afterAll(async () => {
  await stopAll();
});

interface LogRecord { level: number; msg: string; event?: string; master?: string }

function records(file: string): LogRecord[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogRecord);
}

describe('logs', () => {
  it('honours loglevel, changes it at run time and logs each event as one JSON line', async () => {
    const m = await startRedis();
    await startRedis({ replicaOf: { host: '127.0.0.1', port: m.port } });
    const logfile = path.join(tempDir('logs'), 'sentinel.log');
    const s = await startTsSentinel([
      `logfile ${logfile}`,
      'logformat json',
      'loglevel warning',
      `sentinel monitor mymaster 127.0.0.1 ${m.port} 1`,
    ].join('\n'));
    const c = await RawClient.connect(s.port);
    try {
      await waitFor(async () => toRecord(await c.call('SENTINEL', 'MASTER', 'mymaster'))['num-slaves'] === '1' || undefined,
        { timeoutMs: 15_000, what: 'replica discovered' });
      // +monitor is a warning: logged; +slave is a notice: not at this level.
      await waitFor(() => records(logfile).some((r) => r.event === '+monitor') || undefined, { timeoutMs: 5_000, what: '+monitor logged' });
      expect(records(logfile).some((r) => r.event === '+slave')).toBe(false);

      expect(toPlain(await c.call('SENTINEL', 'CONFIG', 'SET', 'loglevel', 'notice'))).toBe('OK');
      expect(toPlain(await c.call('SENTINEL', 'CONFIG', 'GET', 'loglevel'))).toEqual(['loglevel', 'notice']);
      expect(toPlain(await c.call('SENTINEL', 'RESET', 'mymaster'))).toBe(1);
      const slave = await waitFor(() => records(logfile).find((r) => r.event === '+slave'),
        { timeoutMs: 15_000, what: '+slave logged after loglevel notice' });
      expect(slave).toMatchObject({ master: 'mymaster', level: 30 });
      expect(slave.msg).toMatch(/^\+slave slave 127\.0\.0\.1:\d+ 127\.0\.0\.1 \d+ @ mymaster 127\.0\.0\.1 \d+$/);
      expect(toPlain(await c.call('SENTINEL', 'CONFIG', 'SET', 'loglevel', 'loud'))).toEqual({
        error: "ERR Invalid value 'loud' to SENTINEL CONFIG SET 'loglevel'",
      });
    } finally {
      await c.close();
    }
    // The level was persisted with the rest of the config.
    expect(fs.readFileSync(s.confPath, 'utf8')).toMatch(/^loglevel notice$/m);
  });

  it('writes redis-sentinel style lines to a logfile by default', async () => {
    const m = await startRedis();
    const logfile = path.join(tempDir('logs-redis'), 'sentinel.log');
    const s = await startTsSentinel(`logfile ${logfile}\nsentinel monitor mymaster 127.0.0.1 ${m.port} 1\n`);
    const line = await waitFor(() => fs.existsSync(logfile)
      ? fs.readFileSync(logfile, 'utf8').split('\n').find((l) => l.includes('+monitor master mymaster'))
      : undefined, { timeoutMs: 5_000, what: '+monitor in the logfile' });
    expect(line).toMatch(/^\d+:X \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2}\.\d{3} # \+monitor master mymaster 127\.0\.0\.1 \d+ quorum 1$/);
    expect(fs.readFileSync(s.confPath, 'utf8')).not.toMatch(/^logformat/m);
  });

  // `pretty` is the older name of `redis`: deployments that set it keep their lines.
  it.each(['redis', 'pretty'])('prints redis-sentinel style lines on a terminal under TSSENTINEL_LOG_FORMAT=%s, over logformat json', async (format) => {
    const m = await startRedis();
    const s = await startTsSentinel(`logformat json\nsentinel monitor mymaster 127.0.0.1 ${m.port} 1\n`,
      { env: { TSSENTINEL_LOG_FORMAT: format } });
    const line = await waitFor(() => {
      const text = fs.existsSync(s.logPath) ? fs.readFileSync(s.logPath, 'utf8') : '';
      return text.split('\n').find((l) => l.includes('+monitor master mymaster'));
    }, { timeoutMs: 5_000, what: '+monitor line on stdout' });
    expect(line).toMatch(/^\d+:X \d\d \w{3} \d{4} \d\d:\d\d:\d\d\.\d{3} # \+monitor master mymaster 127\.0\.0\.1 \d+ quorum 1$/);
  });

  it('lists the server directives it does not use at start, and none of those it honours (Debian\'s acllog-max-len)', async () => {
    const honoured = [
      'acllog-max-len 128',
      'acl-pubsub-default resetchannels',
      'proto-max-bulk-len 1mb',
      'client-query-buffer-limit 1mb',
      'client-output-buffer-limit pubsub 32mb 8mb 60',
    ];
    const s = await startTsSentinel(['hz 10', ...honoured, ''].join('\n'));
    const text = await waitFor(() => {
      const t = fs.existsSync(s.logPath) ? fs.readFileSync(s.logPath, 'utf8') : '';
      return t.includes('Sentinel ID is') ? t : undefined;
    }, { timeoutMs: 5_000, what: 'start-up lines' });
    expect(text).toMatch(/Config directive 'hz' \(line \d+\) is accepted for compatibility and not used by tssentinel/);
    for (const line of honoured) expect(text).not.toContain(`Config directive '${line.split(' ')[0]}'`);
  });

  it('formats a pino record the way Redis does', () => {
    const t = new Date(2026, 10, 22, 0, 38, 4, 123).getTime();
    expect(redisStyleLine(JSON.stringify({ level: 40, time: t, pid: 42, msg: '+sdown master m 127.0.0.1 6379' })))
      .toBe('42:X 22 Nov 2026 00:38:04.123 # +sdown master m 127.0.0.1 6379');
    expect(redisStyleLine(JSON.stringify({ level: 30, time: t, pid: 42, msg: 'x' }))).toMatch(/ \* x$/);
    expect(redisStyleLine('not json')).toBe('not json');
  });
});
