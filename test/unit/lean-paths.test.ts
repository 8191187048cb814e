/**
 * The lighter paths added for memory and latency must give the same output
 * as the paths they stand for: Redis-style log lines without pino, SENTINEL
 * MASTERS fields as a flat list.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, drainLogger, redisStyleLine, type Logger } from '../../src/log.js';
import { encodeReplyChunk } from '../../src/server/encode.js';
import { stringMap } from '../../src/server/reply.js';

function exercise(l: Logger): void {
  const child = l.child({ component: 'server' });
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  l.warn('+sdown master m 127.0.0.1 6379');
  l.info({ master: 'm', event: '+x' }, 'fields "quoted" \\ back\nnewline \u0001 ctrl é');
  l.debug({ err: new Error('boom') }, 'error object');
  l.error({ err: 'text' }, 'error text');
  l.warn({ err: null }, 'null');
  l.warn({ err: 42 }, 'number');
  l.warn({ err: { a: 1 } }, 'object');
  l.warn({ err: [1, 'x'] }, 'array');
  l.warn({ err: undefined }, 'undefined');
  l.warn({ err: circular }, 'circular');
  l.warn({ err: NaN }, 'NaN');
  l.warn({ addr: 'x' });
  child.debug({ id: 1 }, 'child debug');
  l.level = 'warn';
  child.info('hidden');
  l.info('hidden');
  child.warn('child warn');
  l.level = 'silent';
  l.error('hidden');
  l.level = 'debug';
  child.debug('child debug again');
}

describe('Redis-style logger without pino', () => {
  const dirs: string[] = [];
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('writes the bytes pino + redisStyleLine wrote', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tss-log-'));
    dirs.push(dir);
    vi.spyOn(Date, 'now').mockReturnValue(1790000000123);
    const ours = createLogger({ logfile: join(dir, 'redis.log'), loglevel: 'debug', logformat: 'redis' });
    exercise(ours);
    vi.stubEnv('TSSENTINEL_LOG_FORMAT', 'json');
    const viaPino = createLogger({ logfile: join(dir, 'json.log'), loglevel: 'debug', logformat: 'json' });
    exercise(viaPino);
    await drainLogger(ours, 1000);
    await drainLogger(viaPino, 1000);
    const expected = readFileSync(join(dir, 'json.log'), 'utf8').split('\n').filter((l) => l.length > 0)
      .map((l) => `${redisStyleLine(l)}\n`).join('');
    const got = readFileSync(join(dir, 'redis.log'), 'utf8');
    expect(got.split('\n').length).toBeGreaterThan(15);
    expect(got).toBe(expected);
  });
});

describe('bulkMap replies', () => {
  it('encode exactly like the stringMap they replace, RESP2 and RESP3', () => {
    const fields: Array<[string, string]> = [['name', 'm'], ['ip', '127.0.0.1'], ['flags', 's_down,master'], ['', ''],
      ['x'.repeat(300), 'é€😀'], ['runid', 'a'.repeat(40)]];
    for (const p of [2, 3] as const) {
      expect(encodeReplyChunk({ kind: 'bulkMap', flat: fields.flat() }, p)).toBe(encodeReplyChunk(stringMap(fields), p));
      expect(encodeReplyChunk({ kind: 'array', items: [{ kind: 'bulkMap', flat: fields.flat() }] }, p))
        .toBe(encodeReplyChunk({ kind: 'array', items: [stringMap(fields)] }, p));
    }
  });

  it('encode the same with more distinct field names than the cache of encoded names holds, twice over', () => {
    const fields: Array<[string, string]> = Array.from({ length: 3000 }, (_, i) => [`k${i}é`, `v${i}`]);
    for (let round = 0; round < 2; round++) {
      for (const p of [2, 3] as const) {
        expect(encodeReplyChunk({ kind: 'bulkMap', flat: fields.flat() }, p)).toBe(encodeReplyChunk(stringMap(fields), p));
      }
    }
  });
});
