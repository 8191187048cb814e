/**
 * One outbound RESP2 connection over net or tls: commands are written as
 * they come, replies are parsed by redis-parser and matched to one FIFO of
 * pending callbacks. There is no timer here, no retry and no reconnect: a
 * reply that never comes is the core's to notice (its PING bookkeeping),
 * and a lost connection rejects every pending callback at once.
 *
 * Writes are corked until the end of the current macrotask: what one timer
 * run sends to a socket (a PING, an INFO, fifty hellos to a peer) leaves in
 * one write, as Redis's event loop writes a client's buffer once per loop.
 */
import { createRequire } from 'node:module';
import * as net from 'node:net';
import type * as tls from 'node:tls';
import RedisParser from 'redis-parser';

export type ReplyCallback = (err: Error | undefined, reply: unknown) => void;

export interface ConnectionOptions {
  host: string;
  port: number;
  /** TLS options (tls-replication yes); plain TCP when undefined. */
  tls?: tls.ConnectionOptions;
  /** The socket is open (TLS handshake done); localIp is our end, remoteIp the resolved peer. */
  onOpen(localIp: string, remoteIp: string | undefined): void;
  /** The connection ended without close() being called. */
  onClose(reason: string): void;
  /** A pub/sub message (`message`, channel, payload); replies that are not pushes go to the FIFO. */
  onPush?(reply: unknown[]): void;
}

const KEEPALIVE_MS = 10_000;

/** node:tls, loaded at the first TLS link: without tls-replication it is never loaded (~3.7 MB of RSS). */
let tlsModule: typeof tls | undefined;

function tlsConnect(options: tls.ConnectionOptions): tls.TLSSocket {
  tlsModule ??= createRequire(import.meta.url)('node:tls') as typeof tls;
  return tlsModule.connect(options);
}

export class Connection {
  private readonly socket: net.Socket;
  /** Pending reply callbacks in send order; `head` avoids shifting the array. */
  private pending: (ReplyCallback | undefined)[] = [];
  private head = 0;
  private ended = false;
  /** Writes are held (socket.cork) until flush() on the next process tick. */
  private corked = false;

  constructor(private readonly opts: ConnectionOptions) {
    const parser = new RedisParser({
      returnReply: (reply: unknown) => this.reply(undefined, reply),
      returnError: (err: Error) => this.reply(err, undefined),
      returnFatalError: (err: Error) => this.end(`protocol error: ${err.message}`),
    });
    const socket = opts.tls
      ? tlsConnect({ ...opts.tls, host: opts.host, port: opts.port })
      : net.connect({ host: opts.host, port: opts.port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_MS);
    socket.once(opts.tls ? 'secureConnect' : 'connect', () => {
      if (!this.ended) opts.onOpen(socket.localAddress ?? '127.0.0.1', socket.remoteAddress);
    });
    socket.on('data', (chunk: Buffer) => parser.execute(chunk));
    socket.on('error', (err: Error) => this.end(err.message));
    socket.once('close', () => this.end('connection closed'));
  }

  get pendingCount(): number {
    return this.pending.length - this.head;
  }

  /** Writes one encoded frame expecting one reply. */
  send(frame: Buffer | string, done: ReplyCallback): void {
    if (this.ended) {
      done(new Error('link down'), undefined);
      return;
    }
    this.pending.push(done);
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(flush, this);
    }
    this.socket.write(frame);
  }

  /** Sends what send() held since the last flush, in one write. */
  flush(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  }

  /** Sends a command and resolves with its reply, or rejects with the error reply or the loss. */
  call(frame: Buffer | string): Promise<unknown> {
    return new Promise((resolve, reject) => this.send(frame, (err, reply) => (err ? reject(err) : resolve(reply))));
  }

  /** Closes and reports onClose(reason), as a loss would. */
  fail(reason: string): void {
    this.end(reason);
  }

  /** Closes without reporting onClose; pending callbacks fail. */
  close(): void {
    this.end(undefined);
  }

  private reply(err: Error | undefined, reply: unknown): void {
    if (this.opts.onPush && Array.isArray(reply) && (reply[0] === 'message' || reply[0] === 'pmessage')) {
      this.opts.onPush(reply);
      return;
    }
    if (this.head >= this.pending.length) return; // unsolicited: nothing waits for it
    const pending = this.pending;
    const done = pending[this.head]!;
    // The slot is released at once: an answered callback (and the promise
    // and closures it holds) must not stay reachable until a compaction.
    pending[this.head] = undefined;
    this.head += 1;
    if (this.head === pending.length) {
      pending.length = 0;
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > pending.length) {
      this.pending = pending.slice(this.head);
      this.head = 0;
    }
    done(err, reply);
  }

  private end(reason: string | undefined): void {
    if (this.ended) return;
    this.ended = true;
    // What was sent just before a close still leaves, as with uncorked writes.
    this.flush();
    this.socket.destroy();
    const waiting = this.pending.slice(this.head);
    this.pending = [];
    this.head = 0;
    const lost = new Error('link down');
    for (const done of waiting) done?.(lost, undefined);
    if (reason !== undefined) this.opts.onClose(reason);
  }
}

function flush(conn: Connection): void {
  conn.flush();
}

/** RESP2 multi-bulk encoding of one command. */
export function encodeCommand(args: ReadonlyArray<string | number>): Buffer {
  let out = `*${args.length}\r\n`;
  for (const a of args) {
    const s = String(a);
    out += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
  }
  return Buffer.from(out);
}
