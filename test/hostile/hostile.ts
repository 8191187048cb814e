/**
 * Helpers for the hostile-input suite: raw sockets that count what comes back
 * without keeping it, RSS of a process, TILT state, and a PING probe that
 * measures how long another client waits while one client misbehaves.
 */
import fs from 'node:fs';
import net from 'node:net';
import { RawClient, parseInfo, textOf } from '../support/resp.js';
import { sleep } from '../support/wait.js';

/** Resident set size of a process, in bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]) * 1024;
}

export const MB = 1024 * 1024;

/** INFO sentinel's sentinel_tilt (the process must answer within timeoutMs). */
export async function tiltOf(port: number, timeoutMs = 5000): Promise<string> {
  const c = await RawClient.connect(port, { timeoutMs });
  try {
    const info = parseInfo(textOf(await c.call('INFO', 'sentinel')));
    return info.flatMap((s) => s.fields).find(([k]) => k === 'sentinel_tilt')?.[1] ?? '?';
  } finally {
    await c.close();
  }
}

/** Milliseconds for a fresh connection to get +PONG. */
export async function pingMs(port: number, timeoutMs = 10_000): Promise<number> {
  const t0 = performance.now();
  const c = await RawClient.connect(port, { timeoutMs });
  try {
    const r = await c.call('PING');
    if (textOf(r) !== 'PONG') throw new Error(`PING answered ${JSON.stringify(r)}`);
    return performance.now() - t0;
  } finally {
    await c.close();
  }
}

/** PINGs every intervalMs on one connection; stop() gives the worst wait seen (an unanswered PING counts until stop). */
export class PingProbe {
  private worstMs = 0;
  private stopped = false;
  private readonly done: Promise<void>;
  count = 0;

  private constructor(private readonly client: RawClient, intervalMs: number) {
    this.done = this.loop(intervalMs);
  }

  static async start(port: number, intervalMs = 20): Promise<PingProbe> {
    return new PingProbe(await RawClient.connect(port, { timeoutMs: 60_000 }), intervalMs);
  }

  private async loop(intervalMs: number): Promise<void> {
    while (!this.stopped) {
      const t0 = performance.now();
      await this.client.call('PING');
      this.worstMs = Math.max(this.worstMs, performance.now() - t0);
      this.count++;
      await sleep(intervalMs);
    }
  }

  async stop(): Promise<number> {
    this.stopped = true;
    await this.done;
    await this.client.close();
    return this.worstMs;
  }
}

export interface RawResult {
  /** Bytes received in all. */
  bytes: number;
  /** The first bytes received (at most 256). */
  head: Buffer;
  /** True if the server closed the connection. */
  closed: boolean;
}

/**
 * Connects, writes every chunk (waiting for the socket to take each), then
 * reads until `until` says enough, the server closes, or timeoutMs. Replies
 * are counted, not kept.
 */
export async function exchange(
  port: number,
  chunks: readonly Buffer[],
  options: { until?: (r: RawResult) => boolean; timeoutMs?: number } = {},
): Promise<RawResult> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.setNoDelay(true);
  const result: RawResult = { bytes: 0, head: Buffer.alloc(0), closed: false };
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => { finish = resolve; });
  socket.on('data', (d: Buffer) => {
    result.bytes += d.length;
    if (result.head.length < 256) result.head = Buffer.concat([result.head, d]).subarray(0, 256);
    if (options.until?.(result) === true) finish();
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    result.closed = true;
    finish();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  for (const chunk of chunks) {
    if (result.closed) break;
    if (!socket.write(chunk)) await Promise.race([new Promise((r) => socket.once('drain', r)), finished]);
  }
  const timer = setTimeout(finish, options.timeoutMs ?? 30_000);
  await finished;
  clearTimeout(timer);
  socket.destroy();
  return result;
}

/** `$<n>\r\n` header of a bulk. */
export function bulkHeader(n: number): Buffer {
  return Buffer.from(`$${n}\r\n`);
}

export const CRLF = Buffer.from('\r\n');

/** The first reply line as text (`-ERR ...`, `+PONG`, `$2`). */
export function firstLine(r: RawResult): string {
  const text = r.head.toString('latin1');
  const end = text.indexOf('\r\n');
  return end < 0 ? text : text.slice(0, end);
}
