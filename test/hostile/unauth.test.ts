/**
 * What a client can make a Sentinel with `requirepass` hold before it
 * authenticates, side by side with redis-sentinel 7.0.15: Redis caps an
 * unauthenticated client's requests (10 arguments, 16 KB each) and, with the
 * CVE-2025-21605 fix Debian ships, its unread replies (its 16 KB reply buffer);
 * past either it is closed. A client that pipelines without reading its
 * replies must not grow the Sentinel's memory, authenticated or not.
 */
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRealSentinel, startTsSentinel, stopAll, type ProcHandle } from '../support/procs.js';
import { waitFor } from '../support/wait.js';
import { RawClient, textOf } from '../support/resp.js';
import { MB, PingProbe, exchange, rssBytes, type RawResult } from './hostile.js';

let ts: ProcHandle;
let real: ProcHandle;
const both = (): Array<[string, ProcHandle]> => [['ts', ts], ['real', real]];

beforeAll(async () => {
  [ts, real] = await Promise.all([
    startTsSentinel('requirepass secret\n', { auth: ['secret'] }),
    startRealSentinel('requirepass secret\n', { auth: ['secret'] }),
  ]);
}, 30_000);

afterAll(async () => {
  await stopAll();
});

const NOAUTH = '-NOAUTH Authentication required.\r\n';
const OUTPUT_LIMIT_LINE = /Client id=\d+ addr=127\.0\.0\.1:\d+ .*cmd=ping .*scheduled to be closed ASAP for overcoming of output buffer limits\./;

/** Milliseconds for a fresh connection to authenticate and get +PONG. */
async function authedPingMs(port: number): Promise<number> {
  const t0 = performance.now();
  const c = await RawClient.connect(port, { timeoutMs: 10_000 });
  try {
    expect(textOf(await c.call('AUTH', 'secret'))).toBe('OK');
    expect(textOf(await c.call('PING'))).toBe('PONG');
    return performance.now() - t0;
  } finally {
    await c.close();
  }
}

function lineCount(r: RawResult): number {
  return r.head.toString('latin1').split('\r\n').length - 1;
}

describe('unauthenticated request limits', () => {
  const pings = (n: number): string => '$4\r\nPING\r\n'.repeat(n);
  const refused: Array<[string, string, string]> = [
    ['11 arguments', '*11\r\n', '-ERR Protocol error: unauthenticated multibulk length'],
    ['100 arguments', '*100\r\n', '-ERR Protocol error: unauthenticated multibulk length'],
    ['after an empty request', '*0\r\n*11\r\n', '-ERR Protocol error: unauthenticated multibulk length'],
    ['a 16385-byte argument', '*1\r\n$16385\r\n', '-ERR Protocol error: unauthenticated bulk length'],
    ['a 16385-byte AUTH password', '*2\r\n$4\r\nAUTH\r\n$16385\r\n', '-ERR Protocol error: unauthenticated bulk length'],
    ['after a wrong AUTH', `AUTH wrong\r\n*11\r\n${pings(11)}`, '-WRONGPASS invalid username-password pair or user is disabled.'],
  ];
  it.each(refused)('%s: Redis\'s error, then closed', async (_what, request, first) => {
    const replies: string[] = [];
    for (const [name, p] of both()) {
      const r = await exchange(p.port, [Buffer.from(request)], { until: () => false, timeoutMs: 5000 });
      expect(r.closed, name).toBe(true);
      expect(r.head.toString('latin1').split('\r\n')[0], name).toBe(first);
      replies.push(r.head.toString('latin1'));
    }
    expect(replies[0]).toBe(replies[1]);
  });

  const accepted: Array<[string, string, number]> = [
    ['10 arguments', `*10\r\n${pings(10)}`, 1],
    ['a 16384-byte argument', `*1\r\n$16384\r\n${'a'.repeat(16384)}\r\n`, 1],
    ['11 arguments after AUTH', `AUTH secret\r\n*11\r\n${pings(11)}`, 2],
  ];
  it.each(accepted)('%s: answered, the connection stays open', async (_what, request, lines) => {
    const replies: string[] = [];
    for (const [name, p] of both()) {
      const r = await exchange(p.port, [Buffer.from(request)], { until: (x) => lineCount(x) >= lines, timeoutMs: 5000 });
      expect(r.closed, name).toBe(false);
      expect(lineCount(r), name).toBe(lines);
      replies.push(r.head.toString('latin1'));
    }
    expect(replies[0]).toBe(replies[1]);
  });
});

describe('unauthenticated replies', () => {
  it('481 pipelined NOAUTH replies fit the 16 KB reply buffer; 482 close the client, no reply sent', async () => {
    for (const [name, p] of both()) {
      const fits = await exchange(p.port, [Buffer.from('PING\r\n'.repeat(481))], { until: (x) => x.bytes >= 481 * NOAUTH.length, timeoutMs: 5000 });
      expect(fits.closed, name).toBe(false);
      expect(fits.bytes, name).toBe(481 * NOAUTH.length);
      const over = await exchange(p.port, [Buffer.from('PING\r\n'.repeat(482))], { until: () => false, timeoutMs: 5000 });
      expect(over.closed, name).toBe(true);
      expect(over.bytes, name).toBe(0);
      // Authenticated, the same pipeline is answered in full.
      const authed = await exchange(p.port, [Buffer.from(`AUTH secret\r\n${'PING\r\n'.repeat(2000)}`)], {
        until: (x) => x.bytes >= 5 + 2000 * 7,
        timeoutMs: 5000,
      });
      expect(authed.closed, name).toBe(false);
      expect(authed.bytes, name).toBe(5 + 2000 * 7);
    }
  });
});

interface Deaf {
  closed: boolean;
  /** PINGs written (those still in our socket buffer included). */
  pings: number;
  socket: net.Socket;
}

/**
 * A client that pipelines PING without reading: writes 60 KB batches until
 * the server closes it, `maxBytes` are written or `deadlineMs` passes (a
 * held-back socket stops taking data).
 */
async function deafPipeline(port: number, preamble: string, maxBytes: number, deadlineMs: number): Promise<Deaf> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  const state: Deaf = { closed: false, pings: 0, socket };
  socket.on('error', () => undefined);
  socket.on('close', () => { state.closed = true; });
  await new Promise((r) => socket.once('connect', r));
  socket.pause();
  if (preamble !== '') socket.write(preamble);
  const batch = Buffer.from('PING\r\n'.repeat(10_000));
  const end = Date.now() + deadlineMs;
  let written = 0;
  while (!state.closed && written < maxBytes && Date.now() < end) {
    const flowing = socket.write(batch);
    written += batch.length;
    state.pings += 10_000;
    if (!flowing) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          socket.off('drain', done);
          socket.off('close', done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, end - Date.now()));
        socket.once('drain', done);
        socket.once('close', done);
      });
    }
  }
  return state;
}

/** RSS of p sampled every 20 ms while fn runs: growth of the peak over the start. */
async function rssGrowthDuring<T>(p: ProcHandle, fn: () => Promise<T>): Promise<[T, number]> {
  const before = rssBytes(p.pid);
  let peak = before;
  const sampler = setInterval(() => { peak = Math.max(peak, rssBytes(p.pid)); }, 20);
  try {
    const result = await fn();
    return [result, Math.max(peak, rssBytes(p.pid)) - before];
  } finally {
    clearInterval(sampler);
  }
}

describe('a pipeline that never reads its replies', () => {
  // At most 128 MB in 5 s: tssentinel used to read all of it (and 1 GB more) into its query buffer.
  const maxBytes = 128 * MB;

  it('unauthenticated: closed with the output-limit log line, RSS flat, like redis-sentinel', async () => {
    const lines: string[] = [];
    for (const [name, p] of both()) {
      const probe = await PingProbe.start(p.port);
      const [deaf, grown] = await rssGrowthDuring(p, () => deafPipeline(p.port, '', maxBytes, 5000));
      const worstMs = await probe.stop();
      deaf.socket.destroy();
      lines.push(`${name} +${(grown / MB).toFixed(1)} MB (worst PING ${worstMs.toFixed(0)} ms)`);
      expect(deaf.closed, name).toBe(true);
      await waitFor(() => OUTPUT_LIMIT_LINE.test(fs.readFileSync(p.logPath, 'utf8')), { timeoutMs: 3000, what: `${name} log line` });
      if (name === 'ts') expect(grown).toBeLessThan(32 * MB);
      expect(await authedPingMs(p.port), name).toBeLessThan(2000);
    }
    console.log(`unauthenticated PING pipeline, not reading: RSS peak growth ${lines.join(', ')}`);
  }, 60_000);

  it('authenticated: held back (not read) until it reads, then every PING is answered', async () => {
    const lines: string[] = [];
    for (const [name, p] of both()) {
      const [deaf, grown] = await rssGrowthDuring(p, () => deafPipeline(p.port, 'AUTH secret\r\n', maxBytes, 3000));
      lines.push(`${name} +${(grown / MB).toFixed(1)} MB after ${(deaf.pings * 6 / MB).toFixed(0)} MB written`);
      // redis-sentinel buffers the replies without bound (client-output-buffer-limit normal 0 0 0): printed only.
      if (name === 'ts') expect(grown).toBeLessThan(64 * MB);
      expect(deaf.closed, name).toBe(false);
      // Once the client reads, nothing was lost: +OK and one +PONG per PING.
      const expected = 5 + deaf.pings * 7;
      let received = 0;
      deaf.socket.on('data', (d: Buffer) => { received += d.length; });
      deaf.socket.resume();
      await waitFor(() => received >= expected, { timeoutMs: 30_000, what: `${name}: ${expected} bytes of replies` });
      expect(received, name).toBe(expected);
      deaf.socket.destroy();
    }
    console.log(`authenticated PING pipeline, not reading for 3 s: RSS peak growth ${lines.join(', ')}`);
  }, 90_000);
});
