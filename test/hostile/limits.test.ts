/**
 * Issue 9: the limits of redis.conf that bound what a client can make a
 * Sentinel hold, honoured as redis-sentinel 7.0.15 does, side by side with it:
 * client-output-buffer-limit (per class, hard and soft), the length of event
 * texts (sentinelEvent's 1024-byte buffer), and maxclients under a low
 * `ulimit -n`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import {
  REDIS_SENTINEL_BIN,
  runTsSentinelToExit,
  startRealSentinel,
  startRedis,
  startTsSentinel,
  stopAll,
  tempDir,
  tsSentinelCommand,
  type ProcHandle,
} from '../support/procs.js';
import { RawClient, encodeCommand, textOf } from '../support/resp.js';
import { sleep, waitFor } from '../support/wait.js';
import { exchange, pingMs, tiltOf } from './hostile.js';

const spawned: number[] = [];

afterAll(async () => {
  for (const pid of spawned) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await stopAll();
});

describe('config directives', () => {
  const cases = [
    'client-output-buffer-limit pubsub 1mb',
    'client-output-buffer-limit master 1mb 1mb 1',
    'client-output-buffer-limit pubsub 1mb 1xb 1',
    'proto-max-bulk-len 12x',
    'proto-max-bulk-len 1000',
    'client-query-buffer-limit 2kb',
  ];
  it.each(cases)('%s is refused with redis-sentinel\'s words', async (line) => {
    const dir = tempDir('limits');
    const conf = path.join(dir, 'sentinel.conf');
    fs.writeFileSync(conf, `bind 127.0.0.1\nport 0\n${line}\n`);
    const ours = await runTsSentinelToExit([conf]);
    const theirs = await new Promise<string>((resolve) => {
      const child = spawn(REDIS_SENTINEL_BIN, [conf], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
      child.on('exit', () => resolve(out));
    });
    expect(ours.code).toBe(1);
    expect(ours.output.trim()).toBe(theirs.trim());
  });

  it('accepted forms start', async () => {
    const conf = 'client-output-buffer-limit normal 0 0 0 pubsub 64mb 16mb 30\nclient-output-buffer-limit "slave 1gb 512mb 120"\nproto-max-bulk-len 2mb\nclient-query-buffer-limit 1gb\n';
    const p = await startTsSentinel(conf);
    expect(await pingMs(p.port)).toBeLessThan(2000);
  });
});

/** A subscriber that never reads: everything published to it piles up in the server. */
async function deafSubscriber(port: number): Promise<{ socket: net.Socket }> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.on('error', () => undefined);
  await new Promise((r) => socket.once('connect', r));
  socket.write(encodeCommand(['PSUBSCRIBE', '*']));
  await sleep(100);
  socket.pause();
  return { socket };
}

/** The server no longer lists a pattern subscriber (a paused client socket does not see the close). */
async function subscriberDropped(p: ProcHandle): Promise<boolean> {
  const c = await RawClient.connect(p.port);
  const list = textOf(await c.call('CLIENT', 'LIST'));
  await c.close();
  return !list.includes('psub=1');
}

async function setMany(port: number, master: string, pairs: number): Promise<void> {
  const args = ['SENTINEL', 'SET', master];
  for (let i = 0; i < pairs; i++) args.push('quorum', String(2 + (i % 2)));
  const r = await exchange(port, [encodeCommand(args)], { until: (x) => x.head.includes('\r\n'), timeoutMs: 20_000 });
  expect(r.head.toString().slice(0, 5)).toBe('+OK\r\n');
}

describe('client-output-buffer-limit pubsub', () => {
  const longName = 'n'.repeat(900);

  /** One master each: Sentinels of one master find each other, and their events would reach the subscriber. */
  async function pair(limits: string): Promise<Array<[string, ProcHandle]>> {
    const [m1, m2] = await Promise.all([startRedis(), startRedis()]);
    const conf = (port: number): string => `${limits}\nsentinel monitor ${longName} 127.0.0.1 ${port} 2\n`;
    const [t, r] = await Promise.all([startTsSentinel(conf(m1.port)), startRealSentinel(conf(m2.port))]);
    return [['ts', t], ['real', r]];
  }

  it('hard limit: a subscriber that stops reading is dropped, with Redis\'s log line', async () => {
    for (const [name, p] of await pair('client-output-buffer-limit pubsub 1mb 0 0')) {
      const sub = await deafSubscriber(p.port);
      // 20,000 events of ~1 KB: far beyond the kernel's socket buffers.
      await setMany(p.port, longName, 20_000);
      await waitFor(() => subscriberDropped(p), { timeoutMs: 5000, what: `${name} subscriber closed` });
      sub.socket.destroy();
      // The log is written asynchronously: wait for the line.
      const line = /Client id=\d+ addr=127\.0\.0\.1:\d+ .*psub=1 .* scheduled to be closed ASAP for overcoming of output buffer limits\./;
      await waitFor(() => line.test(fs.readFileSync(p.logPath, 'utf8')), { timeoutMs: 3000, what: `${name} log line` });
      expect(await tiltOf(p.port), name).toBe('0');
    }
  }, 60_000);

  it('soft limit: over it for longer than soft-seconds', async () => {
    for (const [name, p] of await pair('client-output-buffer-limit pubsub 512mb 1mb 1')) {
      const sub = await deafSubscriber(p.port);
      await setMany(p.port, longName, 20_000);
      await sleep(300);
      expect(await subscriberDropped(p), `${name}: soft limit not yet over for 1 s`).toBe(false);
      await sleep(1500);
      await setMany(p.port, longName, 2);
      await waitFor(() => subscriberDropped(p), { timeoutMs: 5000, what: `${name} subscriber closed` });
      sub.socket.destroy();
    }
  }, 60_000);
});

describe('client-output-buffer-limit normal', () => {
  it('a client that pipelines without reading is dropped past the hard limit', async () => {
    const conf = 'client-output-buffer-limit normal 1mb 0 0\n';
    const [t, r] = await Promise.all([startTsSentinel(conf), startRealSentinel(conf)]);
    for (const [name, p] of [['ts', t], ['real', r]] as const) {
      const socket = net.connect({ port: p.port, host: '127.0.0.1' });
      socket.on('error', () => undefined);
      await new Promise((res) => socket.once('connect', res));
      socket.pause();
      // 3000 COMMAND replies: ~24 MB, far past 1 MB plus the kernel's buffers.
      socket.write(Buffer.concat(Array.from({ length: 3000 }, () => encodeCommand(['COMMAND']))));
      const line = /Client id=\d+ addr=127\.0\.0\.1:\d+ .*cmd=command .*scheduled to be closed ASAP for overcoming of output buffer limits\./;
      await waitFor(() => line.test(fs.readFileSync(p.logPath, 'utf8')), { timeoutMs: 10_000, what: `${name} log line` });
      socket.destroy();
      expect(await pingMs(p.port), name).toBeLessThan(2000);
    }
  }, 30_000);
});

describe('event texts', () => {
  it('are cut at 1023 bytes like sentinelEvent\'s buffer', async () => {
    const master = await startRedis();
    const [t, r] = await Promise.all([startTsSentinel(''), startRealSentinel('')]);
    const seen: string[] = [];
    for (const p of [t, r]) {
      const sub = await RawClient.connect(p.port);
      await sub.call('SUBSCRIBE', '+monitor');
      const admin = await RawClient.connect(p.port);
      const name = `m${'x'.repeat(2000)}`;
      expect(textOf(await admin.call('SENTINEL', 'MONITOR', name, '127.0.0.1', master.port, 2))).toBe('OK');
      const msg = await sub.read();
      const items = msg.type === 'array' || msg.type === 'push' ? msg.items : [];
      seen.push(textOf(items[2] as never));
      await sub.close();
      await admin.close();
    }
    expect(seen[0]?.length).toBe(1023);
    expect(seen[0]).toBe(seen[1]);
  });
});

describe('maxclients under ulimit -n 256', () => {
  /** Starts `command` under `ulimit -n 256` in sh; returns its pid and log path. */
  async function underUlimit(command: string, args: string[], port: number, dir: string): Promise<{ pid: number; log: string }> {
    const log = path.join(dir, 'out.log');
    const fd = fs.openSync(log, 'a');
    const quoted = [command, ...args].map((a) => `'${a}'`).join(' ');
    const child = spawn('sh', ['-c', `ulimit -n 256 && exec ${quoted}`], { stdio: ['ignore', fd, fd], detached: false });
    fs.closeSync(fd);
    spawned.push(child.pid as number);
    await waitFor(() => pingMs(port, 500).then(() => true, () => false), { timeoutMs: 10_000, what: `${command} on ${port}` });
    return { pid: child.pid as number, log };
  }

  it('lowers maxclients to limit - 32 with Redis\'s log line; the 225th client gets the error', async () => {
    const results: Array<{ name: string; refused: number; info: string; log: string }> = [];
    for (const name of ['ts', 'real']) {
      const dir = tempDir(`ulimit-${name}`);
      const port = await freePort();
      const conf = path.join(dir, 'sentinel.conf');
      fs.writeFileSync(conf, `bind 127.0.0.1\nport ${port}\n`);
      const ts = tsSentinelCommand();
      const started = name === 'ts'
        ? await underUlimit(ts.command, [...ts.args, conf], port, dir)
        : await underUlimit(REDIS_SENTINEL_BIN, [conf], port, dir);
      const sockets: net.Socket[] = [];
      const replies: string[] = [];
      for (let i = 0; i < 235; i++) {
        const s = net.connect({ port, host: '127.0.0.1' });
        s.on('error', () => undefined);
        s.on('data', (d: Buffer) => replies.push(d.toString()));
        sockets.push(s);
        await new Promise((r) => s.once('connect', r));
      }
      await waitFor(() => replies.length >= 11, { timeoutMs: 5000, what: `${name}: refusals` });
      for (const s of sockets) s.destroy();
      await sleep(200);
      const c = await RawClient.connect(port);
      const info = textOf(await c.call('INFO', 'clients'));
      await c.close();
      results.push({ name, refused: replies.length, info: /maxclients:\d+/.exec(info)?.[0] ?? '', log: fs.readFileSync(started.log, 'utf8') });
      expect(new Set(replies), name).toEqual(new Set(['-ERR max number of clients reached\r\n']));
      expect(await tiltOf(port), name).toBe('0');
      process.kill(started.pid, 'SIGKILL');
    }
    for (const r of results) {
      expect(r.refused, r.name).toBe(11);
      expect(r.info, r.name).toBe('maxclients:224');
      expect(r.log, r.name).toContain("Current maximum open files is 256. maxclients has been reduced to 224 to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.");
      expect(r.log, r.name).toContain('You requested maxclients of 10000 requiring at least 10032 max file descriptors.');
    }
  }, 60_000);
});
