/**
 * Issue 9, "Stalls": nothing one client sends may block the event loop long
 * enough to starve other clients or the timer (a stall over 2 s puts a
 * Sentinel in TILT: 30 s without votes or failovers). Each flood runs against
 * tssentinel and redis-sentinel side by side while another client PINGs every
 * 20 ms; the worst PING wait is printed for both and bounded (generously) for
 * tssentinel, and INFO must show sentinel_tilt:0 afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRealSentinel, startRedis, startTsSentinel, stopAll, type ProcHandle } from '../support/procs.js';
import { RawClient, encodeCommand, textOf } from '../support/resp.js';
import { MB, PingProbe, exchange, pingMs, rssBytes, tiltOf } from './hostile.js';

let ts: ProcHandle;
let real: ProcHandle;
const both = (): Array<[string, ProcHandle]> => [['ts', ts], ['real', real]];

beforeAll(async () => {
  const master = await startRedis();
  const conf = `sentinel monitor m 127.0.0.1 ${master.port} 2\nsentinel down-after-milliseconds m 5000\n`;
  [ts, real] = await Promise.all([startTsSentinel(conf), startRealSentinel(conf)]);
}, 30_000);

afterAll(async () => {
  await stopAll();
});

interface Flood {
  ms: number;
  worstPingMs: number;
  rssGrowthMb: number;
}

/** Runs fn against p while a probe PINGs; returns how long fn took and the worst PING wait. */
async function flood(p: ProcHandle, fn: (port: number) => Promise<void>): Promise<Flood> {
  const probe = await PingProbe.start(p.port);
  const rss0 = rssBytes(p.pid);
  let peak = rss0;
  const sampler = setInterval(() => { peak = Math.max(peak, rssBytes(p.pid)); }, 50);
  const t0 = performance.now();
  await fn(p.port);
  const ms = performance.now() - t0;
  clearInterval(sampler);
  const worstPingMs = await probe.stop();
  return { ms, worstPingMs, rssGrowthMb: (peak - rss0) / MB };
}

function report(what: string, results: Array<[string, Flood]>): void {
  const text = results.map(([n, r]) => `${n} ${r.ms.toFixed(0)} ms (worst PING wait ${r.worstPingMs.toFixed(0)} ms, RSS +${r.rssGrowthMb.toFixed(0)} MB)`);
  console.log(`${what}: ${text.join('; ')}`);
}

async function oneCall(port: number, args: Array<string | Buffer>): Promise<string> {
  const c = await RawClient.connect(port, { timeoutMs: 60_000 });
  try {
    // write + read: spreading 40,000 arguments into call() would overflow the stack.
    c.write(encodeCommand(args));
    const v = await c.read();
    return v.type === 'error' ? `-${v.value}` : textOf(v);
  } finally {
    await c.close();
  }
}

describe('one command, many arguments', () => {
  it('SENTINEL SET with 20,000 option pairs is linear', async () => {
    const args = ['SENTINEL', 'SET', 'm'];
    for (let i = 0; i < 20_000; i++) args.push('quorum', String(2 + (i % 2)));
    const results: Array<[string, Flood]> = [];
    for (const [name, p] of both()) {
      let reply = '';
      results.push([name, await flood(p, async (port) => { reply = await oneCall(port, args); })]);
      expect(reply, name).toBe('OK');
    }
    report('SENTINEL SET x 20,000 pairs', results);
    const tsResult = results[0]![1];
    expect(tsResult.ms).toBeLessThan(5000);
    expect(tsResult.worstPingMs).toBeLessThan(2000);
  }, 60_000);

  it('CLIENT TRACKING with 20,000 prefixes is linear, and reports collisions like Redis', async () => {
    const args = ['CLIENT', 'TRACKING', 'on', 'BCAST'];
    for (let i = 0; i < 20_000; i++) args.push('PREFIX', `p${i}:`);
    const results: Array<[string, Flood]> = [];
    for (const [name, p] of both()) {
      let reply = '';
      results.push([name, await flood(p, async (port) => { reply = await oneCall(port, args); })]);
      expect(reply, name).toBe('OK');
    }
    report('CLIENT TRACKING x 20,000 prefixes', results);
    expect(results[0]![1].ms).toBeLessThan(5000);
    // Which pair is reported follows Redis's order (first argument, existing prefixes first).
    const cases = [
      ['ac', 'a', 'ab'], ['x', 'y', 'xy', 'yz'], ['b', 'a', 'a'], ['abc', 'ab', 'zz', 'a'], ['q', 'r', 's'],
    ];
    for (const prefixes of cases) {
      const cmd = ['CLIENT', 'TRACKING', 'on', 'BCAST', ...prefixes.flatMap((x) => ['PREFIX', x])];
      const [a, b] = await Promise.all([oneCall(ts.port, cmd), oneCall(real.port, cmd)]);
      expect(a, prefixes.join(' ')).toBe(b);
    }
    for (const [name, p] of both()) {
      const c = await RawClient.connect(p.port);
      await c.call('CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'ab', 'PREFIX', 'cd');
      const clash = await c.call('CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'zz', 'PREFIX', 'c');
      expect(clash.type === 'error' ? clash.value : '', name).toBe("ERR Prefix 'c' overlaps with an existing prefix 'cd'. Prefixes for a single client must not overlap.");
      await c.close();
    }
  }, 60_000);
});

describe('pipelines', () => {
  it('20,000 pipelined COMMAND do not starve another client', async () => {
    const count = 20_000;
    const results: Array<[string, Flood]> = [];
    for (const [name, p] of both()) {
      const one = await exchange(p.port, [encodeCommand(['COMMAND'])], { timeoutMs: 500 });
      const replyBytes = one.bytes;
      const pipeline = Buffer.concat(Array.from({ length: count }, () => encodeCommand(['COMMAND'])));
      let got = 0;
      results.push([name, await flood(p, async (port) => {
        const r = await exchange(port, [pipeline], { until: (x) => x.bytes >= count * replyBytes, timeoutMs: 50_000 });
        got = r.bytes;
      })]);
      expect(got, name).toBe(count * replyBytes);
    }
    report(`${count} pipelined COMMAND`, results);
    const tsResult = results[0]![1];
    expect(tsResult.worstPingMs).toBeLessThan(1000);
    expect(tsResult.rssGrowthMb).toBeLessThan(200);
  }, 120_000);

  it('100,000 pipelined PING', async () => {
    for (const [name, p] of both()) {
      const pipeline = Buffer.from('PING\r\n'.repeat(100_000));
      const probe = await PingProbe.start(p.port);
      const r = await exchange(p.port, [pipeline], { until: (x) => x.bytes >= 700_000, timeoutMs: 20_000 });
      expect(r.bytes, name).toBe(700_000);
      const worst = await probe.stop();
      if (name === 'ts') expect(worst).toBeLessThan(1000);
    }
  }, 60_000);
});

describe('after the floods', () => {
  it('no TILT, still answering', async () => {
    // redis-sentinel's own prefix check is quadratic: under load its CLIENT TRACKING flood can put it in TILT. Printed, not asserted.
    console.log(`after the floods: ts sentinel_tilt:${await tiltOf(ts.port)}, real sentinel_tilt:${await tiltOf(real.port)}`);
    expect(await tiltOf(ts.port)).toBe('0');
    for (const [name, p] of both()) expect(await pingMs(p.port), name).toBeLessThan(1000);
  });
});
