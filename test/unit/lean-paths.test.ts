/**
 * The lighter paths added for memory and latency must give the same output
 * as the paths they stand for: Redis-style log lines without pino, argv
 * without commander, SENTINEL MASTERS fields as a flat list.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, drainLogger, redisStyleLine, type Logger } from '../../src/log.js';
import { plainArgs } from '../../src/plainArgs.js';
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

describe('argv without commander', () => {
  const program = () => new Command().name('t').argument('<config>').argument('[overrides...]')
    .option('--test-config').allowUnknownOption(true).allowExcessArguments(true)
    .helpOption('-h, --help').version('x', '-v, --version').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  const cases = [
    ['a.conf'], ['a.conf', '--port', '26380', '--loglevel', 'debug'], ['a.conf', '--sentinel'],
    ['a.conf', '--sentinel', 'monitor', 'm', '127.0.0.1', '6379', '2'], ['a.conf', '--port=5'], ['a.conf', 'x'],
    ['a.conf', '--logfile', ''], ['a.conf', '--foo', '-1'], ['a.conf', '-x'], ['a.conf', '--', '--port', '1'],
    ['a.conf', '--test-config'], ['--port', '1', 'a.conf'], ['a.conf', '--foo', '-v'], ['a.conf', '--help'], [],
    ['-h'], ['a.conf', '--version'], ['a.conf', '-vh'],
  ];
  it.each(cases)('%j: the same args as commander, or left to it', (...argv) => {
    const fast = plainArgs(argv);
    if (fast === undefined) return;
    const p = program();
    p.parse(['node', 'cli', ...argv]);
    expect(fast).toEqual(p.args);
    expect(p.opts()).toEqual({});
  });
  it('leaves every special token to commander', () => {
    for (const argv of [['a.conf', '--help'], ['a.conf', '-v'], ['a.conf', '--test-config'], ['a.conf', '--'], ['-h'], [], ['a.conf', '-x']]) {
      expect(plainArgs(argv)).toBeUndefined();
    }
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
});
