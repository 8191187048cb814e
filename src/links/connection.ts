/**
 * One outbound RESP2 connection over net or tls: commands are written as
 * they come, replies are parsed by redis-parser and matched to one FIFO of
 * pending callbacks. There is no timer here, no retry and no reconnect: a
 * reply that never comes is the core's to notice (its PING bookkeeping),
 * and a lost connection rejects every pending callback at once.
 *
 * Writes are gathered until the end of the current macrotask: what one
 * timer run sends to a socket (a PING, an INFO, fifty hellos to a peer)
 * leaves in one write of one string, as Redis's event loop writes a
 * client's buffer once per loop.
 *
 * A command sent with `guarded` (a failover step, a vote request) must not
 * leave on a view that a stall made old: if more than `stallLimitMs` passed
 * between queueing it and the flush (the process was stopped in between),
 * nothing queued is written and the connection fails instead, so the
 * Sentinel notices the stall (TILT) before it acts again.
 *
 * Plain TCP connections read into one buffer shared by all of them (net's
 * `onread`), without a Buffer per read or the stream machinery; only a
 * reply split across reads is copied (see `parse`).
 *
 * Bytes (../byteText.ts): commands carry their arguments' exact bytes (a
 * password that is not UTF-8 authenticates). Replies are decoded as UTF-8
 * (PING, INFO and votes hold addresses, ids and numbers), except on a
 * `binaryReplies` connection, the hello subscription, whose messages carry
 * master names and announced addresses byte for byte to onPush.
 */
import { createRequire } from 'node:module';
import * as net from 'node:net';
import type * as tls from 'node:tls';
import RedisParser from 'redis-parser';
import { hasEscapes, textToBytes } from '../byteText.js';

export type ReplyCallback = (err: Error | undefined, reply: unknown) => void;

/**
 * The connection was lost after the command was written: whether the
 * instance ran it is unknown (a command that was never sent fails with a
 * plain Error). The message stays Redis's "link down".
 */
export class ReplyLostError extends Error {
  override readonly name = 'ReplyLostError';
  constructor() {
    super('link down');
  }
}

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
  /** How old a guarded command may be when its flush comes (the TILT trigger); unlimited when undefined. */
  stallLimitMs?: () => number;
  /** Pushes reach onPush with Buffers for strings (other replies too), not UTF-8 text. */
  binaryReplies?: boolean;
}

/** A command as sent: text (no escaped bytes in it), or bytes. */
export type Frame = string | Buffer;

const KEEPALIVE_MS = 10_000;

/** One read buffer for every plain connection: a read is parsed before the next one starts. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/**
 * What redis-parser holds of the chunks it was given while a reply is
 * incomplete (its own fields, stable in the 3.x line this package pins):
 * `buffer` (null once everything was parsed) and `bufferCache` (the chunks
 * of a large bulk string).
 */
interface ParserHold {
  buffer: Buffer | null;
  bufferCache: Buffer[];
}

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
  /** What send() wrote since the last flush; it leaves in one write on the next process tick. */
  private out = '';
  /** Set once a frame of bytes was sent since the last flush: `out` so far, then every frame, in order. */
  private outParts: Buffer[] | undefined;
  private flushQueued = false;
  /** When the first guarded command in `out` was queued (monotonic ms), or -1. */
  private guardedAtMs = -1;
  private readonly parser: RedisParser;

  constructor(private readonly opts: ConnectionOptions) {
    const parser = this.parser = new RedisParser({
      returnBuffers: opts.binaryReplies === true,
      returnReply: (reply: unknown) => this.reply(undefined, reply),
      returnError: (err: Error) => this.reply(err, undefined),
      returnFatalError: (err: Error) => this.end(`protocol error: ${err.message}`),
    });
    const socket = opts.tls
      ? tlsConnect({ ...opts.tls, host: opts.host, port: opts.port })
      : net.connect({
        host: opts.host,
        port: opts.port,
        onread: { buffer: READ_BUFFER, callback: (n: number, buf: Uint8Array) => this.parse(n, buf as Buffer) },
      });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_MS);
    socket.once(opts.tls ? 'secureConnect' : 'connect', () => {
      if (this.ended) return;
      if (isSelfConnection(socket)) return this.end('connected to itself (nothing listens on that port)');
      opts.onOpen(socket.localAddress ?? '127.0.0.1', socket.remoteAddress);
    });
    if (opts.tls) socket.on('data', (chunk: Buffer) => parser.execute(chunk));
    socket.on('error', (err: Error) => this.end(err.message));
    socket.once('close', () => this.end('connection closed'));
  }

  get pendingCount(): number {
    return this.pending.length - this.head;
  }

  /**
   * Writes one encoded frame expecting one reply. `guarded`: a decision that
   * must not leave after a stall (see the module comment).
   */
  send(frame: Frame, done: ReplyCallback, guarded = false): void {
    if (this.ended) {
      done(new Error('link down'), undefined);
      return;
    }
    this.pending.push(done);
    if (!this.flushQueued) {
      this.flushQueued = true;
      process.nextTick(flush, this);
    }
    if (guarded && this.guardedAtMs < 0) this.guardedAtMs = performance.now();
    if (typeof frame === 'string' && this.outParts === undefined) {
      this.out += frame;
      return;
    }
    this.outParts ??= [];
    if (this.out.length > 0) this.outParts.push(Buffer.from(this.out, 'utf8'));
    this.out = '';
    this.outParts.push(typeof frame === 'string' ? Buffer.from(frame, 'utf8') : frame);
  }

  /** Sends what send() gathered since the last flush, in one write (or fails the connection after a stall). */
  flush(): void {
    this.flushQueued = false;
    if (this.out.length === 0 && this.outParts === undefined) return;
    const out = this.outParts === undefined ? this.out : Buffer.concat(this.outParts);
    this.out = '';
    this.outParts = undefined;
    const guardedAtMs = this.guardedAtMs;
    this.guardedAtMs = -1;
    const limitMs = this.opts.stallLimitMs?.();
    if (guardedAtMs >= 0 && limitMs !== undefined && performance.now() - guardedAtMs > limitMs) {
      const stalled = new StalledError(Math.round(performance.now() - guardedAtMs));
      this.end(`${stalled.message} after the command was decided`, stalled);
      return;
    }
    this.socket.write(out);
  }

  /**
   * Parses `n` bytes read into the shared buffer. The parser keeps a chunk
   * only while a reply is incomplete; such a chunk is copied out of the
   * shared buffer (the next read overwrites it), and so is every chunk fed
   * while a reply is pending.
   */
  private parse(n: number, shared: Buffer): true {
    const hold = this.parser as unknown as ParserHold;
    const view = shared.subarray(0, n);
    if (hold.buffer !== null) {
      this.parser.execute(Buffer.from(view));
      return true;
    }
    this.parser.execute(view);
    if (hold.buffer === null) return true;
    const copy = Buffer.from(view);
    if (hold.buffer === view) hold.buffer = copy;
    for (let i = 0; i < hold.bufferCache.length; i++) if (hold.bufferCache[i] === view) hold.bufferCache[i] = copy;
    return true; // keep reading
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
    const onPush = this.opts.onPush;
    if (onPush && Array.isArray(reply) && isMessageKind(reply[0])) {
      try {
        onPush(reply);
      } catch (err) {
        rethrowLater(err);
      }
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
    try {
      done(err, reply);
    } catch (thrown) {
      rethrowLater(thrown);
    }
  }

  /** `lost`: what pending callbacks get ('link down' unless a stall ended the connection). */
  private end(reason: string | undefined, lost?: Error): void {
    if (this.ended) return;
    this.ended = true;
    // What was sent just before a close still leaves, as with uncorked writes.
    this.flush();
    this.socket.destroy();
    const waiting = this.pending.slice(this.head);
    this.pending = [];
    this.head = 0;
    // Made only when something waits: an Error captures a stack, and a
    // refused connect (thousands a second to unreachable peers) has no reply pending.
    if (waiting.length > 0) lost ??= new ReplyLostError();
    for (const done of waiting) {
      try {
        done?.(lost, undefined);
      } catch (err) {
        rethrowLater(err);
      }
    }
    if (reason !== undefined) this.opts.onClose(reason);
  }
}

/**
 * A connect to a port of this host where nothing listens can be given that
 * very port as its source port (in the ephemeral range) and connect to
 * itself. Kept, that connection would hold the port: the Sentinel or Redis
 * that should listen there could not bind it when it restarts ("Address
 * already in use"). It is closed at once, as a refused connect.
 */
export function isSelfConnection(socket: net.Socket): boolean {
  return socket.localPort !== undefined && socket.localPort === socket.remotePort &&
    socket.localAddress === socket.remoteAddress;
}

/** What the pending commands of a connection failed after a stall get: they were never sent. */
export class StalledError extends Error {
  override readonly name = 'StalledError';
  constructor(readonly stalledMs: number) {
    super(`not sent: the process stalled for ${stalledMs} ms`);
  }
}

function flush(conn: Connection): void {
  conn.flush();
}

/**
 * Reply and push callbacks run from inside the parser. One that throws must
 * not leave the parser half-way through a read (the replies after it would
 * be lost or matched to the wrong commands): its error is thrown again
 * outside, to the process's safety net, as a rejected promise used to reach it.
 */
function rethrowLater(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}

const MESSAGE = Buffer.from('message');
const PMESSAGE = Buffer.from('pmessage');

/** The first element of a pub/sub message, as text or (binaryReplies) bytes. */
function isMessageKind(kind: unknown): boolean {
  if (typeof kind === 'string') return kind === 'message' || kind === 'pmessage';
  return Buffer.isBuffer(kind) && (kind.equals(MESSAGE) || kind.equals(PMESSAGE));
}

/**
 * RESP2 multi-bulk encoding of one command: a string to write as UTF-8, or
 * the bytes when an argument holds bytes that are not UTF-8 (its escapes,
 * ../byteText.ts, become those bytes again).
 */
export function encodeCommand(args: ReadonlyArray<string | number>): Frame {
  let out = `*${args.length}\r\n`;
  let escaped = false;
  for (const a of args) {
    const s = String(a);
    const bytes = hasEscapes(s) ? textToBytes(s) : undefined;
    escaped ||= bytes !== undefined;
    out += `$${bytes?.length ?? Buffer.byteLength(s)}\r\n${s}\r\n`;
  }
  return escaped ? textToBytes(out) : out;
}
