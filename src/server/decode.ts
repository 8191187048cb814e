/**
 * Resumable request decoder mirroring redis-server's processMultibulkBuffer and
 * processInlineBuffer (networking.c), so the same bytes give the same commands
 * and the same protocol errors as redis-sentinel, whether they arrive whole or
 * byte by byte.
 *
 * Why not redis-parser: it parses *replies* (any RESP type, nested arrays) and
 * cannot tell `*1\r\n:1\r\n` apart from a valid request, while Redis answers
 * "expected '$', got ':'" and closes; the server side grammar is small enough
 * to follow Redis's own code step by step.
 *
 * Memory (issue 9): anyone who can connect can send this decoder anything, so
 * every byte received is held once, at most:
 * - input is copied into one growable buffer per client (never a list of
 *   chunks: 1-byte TCP segments would each cost a Buffer object), and a chunk
 *   that arrives while nothing is pending is parsed in place;
 * - arguments are bytes, never strings (binary-safe, and no UTF-16 copy): the
 *   small ones of a command are packed into one arena with their bounds in a
 *   Uint32Array (no per-argument object, so `*100000000` of one-byte
 *   arguments cannot exhaust the V8 heap), a big one (>= 32 KB, Redis's
 *   PROTO_MBULK_BIG_ARG) is allocated once at its declared size when its
 *   `$<len>` header is read, as Redis does, and filled straight from the socket;
 * - consumed input is released at once (an idle client holds no buffer).
 */

import { bytesToText } from '../byteText.js';
import { string2llBytes } from '../numbers.js';
import { splitArgs } from '../redisArgs.js';

const CR = 13;
const LF = 10;
const STAR = 42;
const DOLLAR = 36;

/** PROTO_INLINE_MAX_SIZE: longest inline request and longest `*`/`$` header line. */
const INLINE_MAX_BYTES = 64 * 1024;
/** proto-max-bulk-len default. */
export const BULK_MAX_BYTES = 512 * 1024 * 1024;
/** client-query-buffer-limit default. */
export const QUERY_BUFFER_MAX_BYTES = 1024 * 1024 * 1024;
/** Redis 7 rejects a multibulk count above INT_MAX. */
const MULTIBULK_MAX = 2147483647;
/** Before AUTH, Redis caps requests so an anonymous client cannot make it allocate much. */
const UNAUTH_MULTIBULK_MAX = 10;
export const UNAUTH_BULK_MAX_BYTES = 16384;
/** PROTO_MBULK_BIG_ARG: from this size an argument gets its own buffer, allocated once. */
const BIG_ARG_BYTES = 32 * 1024;
/** PROTO_IOBUF_LEN: the smallest input buffer allocated when bytes must be kept. */
const IOBUF_BYTES = 16 * 1024;

const EMPTY = Buffer.alloc(0);
const NUL_FIRST = -2;
/** Marks a span whose argument is in `bigs` (its end field is the index there). */
const BIG_SPAN = 0xffffffff;
/** Spans of a request whose arguments are all in `bigs`, in order. */
const NO_SPANS = new Uint32Array(0);

/**
 * The arguments of one request, as bytes. Small arguments are views into a
 * per-request arena that the decoder never writes again, so they stay valid
 * for as long as the request is kept (a postponed command, say).
 */
export class RequestArgs {
  constructor(
    readonly count: number,
    /** Sum of the arguments' lengths. */
    readonly byteLength: number,
    private readonly arena: Buffer,
    private readonly spans: Uint32Array,
    /** Where this request's bounds start in spans (decoders share one span slab between requests). */
    private readonly spanStart: number,
    private readonly bigs: readonly Buffer[],
  ) {}

  /** Arguments that are Buffers already (inline requests): no spans, argument i is args[i]. */
  static fromBuffers(args: readonly Buffer[]): RequestArgs {
    let bytes = 0;
    for (const a of args) bytes += a.length;
    return new RequestArgs(args.length, bytes, EMPTY, NO_SPANS, 0, args);
  }

  arg(i: number): Buffer {
    if (this.spans === NO_SPANS) return this.bigs[i] as Buffer;
    const start = this.spans[this.spanStart + 2 * i] as number;
    const end = this.spans[this.spanStart + 2 * i + 1] as number;
    return start === BIG_SPAN ? (this.bigs[end] as Buffer) : this.arena.subarray(start, end);
  }

  argLength(i: number): number {
    if (this.spans === NO_SPANS) return (this.bigs[i] as Buffer).length;
    const start = this.spans[this.spanStart + 2 * i] as number;
    const end = this.spans[this.spanStart + 2 * i + 1] as number;
    return start === BIG_SPAN ? (this.bigs[end] as Buffer).length : end - start;
  }

  /** Argument i as text (../byteText.ts: bytes that are not UTF-8 kept as escapes), decoded straight from the arena. */
  text(i: number): string {
    if (this.spans === NO_SPANS) return bytesToText(this.bigs[i] as Buffer);
    const start = this.spans[this.spanStart + 2 * i] as number;
    const end = this.spans[this.spanStart + 2 * i + 1] as number;
    return start === BIG_SPAN ? bytesToText(this.bigs[end] as Buffer) : bytesToText(this.arena, start, end);
  }

  toBuffers(): Buffer[] {
    const out: Buffer[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.arg(i));
    return out;
  }

  /** The text of every argument (what command handlers see). */
  toStrings(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.text(i));
    return out;
  }
}

/** Receives each complete request; returning false stops decoding until drain() is called again. */
export type CommandSink = (args: RequestArgs) => boolean;

const EMPTY_SPANS = new Uint32Array(0);
const NO_ARGS = RequestArgs.fromBuffers([]);

export class RequestDecoder {
  /** Set by the server: while true the unauthenticated limits apply (checked when a header is read). */
  authRequired = false;
  /** proto-max-bulk-len. */
  bulkMaxBytes = BULK_MAX_BYTES;

  /** Input not yet parsed is buf[pos, end). */
  private buf: Buffer = EMPTY;
  private pos = 0;
  private end = 0;
  /** buf was allocated here; false while it is a socket chunk parsed in place (never written). */
  private owned = false;
  /** Bytes of the line at pos already searched for its terminator: a dribbled line is scanned once. */
  private scanned = 0;
  private scannedNul = false;

  private multibulkLen = 0;
  private bulkLen = -1;
  /** The big argument being received: its payload and CRLF, filled straight from the socket. */
  private big: Buffer | undefined;
  private bigFill = 0;

  /**
   * Small arguments are packed in a slab shared by the requests of a read
   * (the current one from arenaStart), their bounds in a shared span slab
   * (from spanStart): a pipelined PING costs no allocation of its own. A
   * request keeps its slabs alive; the decoder never writes a byte twice.
   */
  private arena: Buffer = EMPTY;
  private arenaStart = 0;
  private arenaPos = 0;
  private spans: Uint32Array = EMPTY_SPANS;
  private spanStart = 0;
  private spanPos = 0;
  private argCount = 0;
  private argBytes = 0;
  private bigs: Buffer[] = [];
  private failure: string | undefined;
  /** Bytes turned into requests so far, and the count when the current request began (CLIENT LIST qbuf). */
  private consumedBytes = 0;
  private requestStartBytes = 0;
  private lastRequestBytes = 0;

  feed(chunk: Buffer): void {
    if (this.failure !== undefined || chunk.length === 0) return;
    let off = 0;
    const big = this.big;
    if (big !== undefined && this.bigFill < big.length) {
      off = Math.min(chunk.length, big.length - this.bigFill);
      chunk.copy(big, this.bigFill, 0, off);
      this.bigFill += off;
      this.consumedBytes += off;
    }
    if (off < chunk.length) this.append(chunk, off);
  }

  /**
   * Bytes received and not yet turned into requests: Redis's querybuf, which
   * client-query-buffer-limit bounds (a big argument being received counts,
   * the arguments already complete do not).
   */
  get pendingBytes(): number {
    return this.bigFill + this.end - this.pos;
  }

  /** Bytes received and not parsed yet, a big argument being filled aside (its buffer is allocated already). */
  get unparsedBytes(): number {
    return this.end - this.pos;
  }

  /** Bytes of the read buffer while a request executes, that request included (CLIENT LIST qbuf). */
  get bufferedBytes(): number {
    return this.pendingBytes + this.lastRequestBytes;
  }

  /** The first bytes pending, for the "max query buffer length" log line. */
  peek(bytes: number): Buffer {
    if (this.big !== undefined) return this.big.subarray(0, Math.min(bytes, this.bigFill));
    return this.buf.subarray(this.pos, Math.min(this.end, this.pos + bytes));
  }

  /**
   * Decodes as many requests as possible, handing each to sink. Returns the
   * protocol error text (without the `ERR ` prefix) once the stream is broken;
   * the decoder then ignores further input, as the connection is to be closed.
   */
  drain(sink: CommandSink): string | undefined {
    if (this.failure !== undefined) return this.failure;
    try {
      this.parseLoop(sink);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.fail(e.message);
    }
    this.release();
    return this.failure;
  }

  /** Drops everything held (the connection is being closed). */
  discard(): void {
    this.fail(this.failure ?? 'discarded');
  }

  private parseLoop(sink: CommandSink): void {
    for (;;) {
      let args: RequestArgs | undefined;
      if (this.multibulkLen > 0) args = this.parseMultibulk();
      else if (this.pos >= this.end) return;
      else {
        if (this.scanned === 0) this.requestStartBytes = this.consumedBytes;
        args = this.buf[this.pos] === STAR ? this.parseMultibulk() : this.parseInline();
      }
      if (args === undefined) return;
      this.lastRequestBytes = this.consumedBytes - this.requestStartBytes;
      // An empty inline line, `*0` and `*-1` are requests with no arguments: ignored.
      if (args.count > 0 && !sink(args)) return;
    }
  }

  // --- input buffer --------------------------------------------------------

  private append(chunk: Buffer, off: number): void {
    const rest = chunk.length - off;
    const live = this.end - this.pos;
    if (live === 0) {
      // Nothing pending: parse the chunk where it is.
      this.buf = off === 0 ? chunk : chunk.subarray(off);
      this.pos = 0;
      this.end = this.buf.length;
      this.owned = false;
      return;
    }
    if (this.owned && this.end + rest <= this.buf.length) {
      chunk.copy(this.buf, this.end, off);
      this.end += rest;
      return;
    }
    const need = live + rest;
    // Moving the live bytes down pays only when it frees at least half the buffer.
    const target = this.owned && need <= this.buf.length && this.pos >= this.buf.length / 2
      ? this.buf
      : Buffer.allocUnsafe(Math.max(IOBUF_BYTES, need + (need >> 1)));
    if (target === this.buf) this.buf.copyWithin(0, this.pos, this.end);
    else this.buf.copy(target, 0, this.pos, this.end);
    chunk.copy(target, live, off);
    this.buf = target;
    this.owned = true;
    this.pos = 0;
    this.end = need;
  }

  /** Gives back what parsing consumed: an idle client holds no buffer, a mostly-consumed one shrinks. */
  private release(): void {
    const live = this.end - this.pos;
    if (live === 0) {
      this.buf = EMPTY;
      this.pos = 0;
      this.end = 0;
      this.owned = false;
      this.resetScan();
      if (this.multibulkLen === 0) this.dropSlabs();
      return;
    }
    if (this.buf.length < 4 * Math.max(live, IOBUF_BYTES)) return;
    const smaller = Buffer.allocUnsafe(Math.max(IOBUF_BYTES, 2 * live));
    this.buf.copy(smaller, 0, this.pos, this.end);
    this.buf = smaller;
    this.owned = true;
    this.pos = 0;
    this.end = live;
  }

  private advance(to: number): void {
    this.consumedBytes += to - this.pos;
    this.pos = to;
    this.resetScan();
  }

  private resetScan(): void {
    this.scanned = 0;
    this.scannedNul = false;
  }

  private fail(message: string): void {
    this.failure = message;
    this.buf = EMPTY;
    this.pos = 0;
    this.end = 0;
    this.owned = false;
    this.big = undefined;
    this.bigFill = 0;
    this.clearArgs();
    this.dropSlabs();
  }

  /** Between requests with nothing pending, an idle client holds no slab. */
  private dropSlabs(): void {
    this.arena = EMPTY;
    this.arenaStart = 0;
    this.arenaPos = 0;
    this.spans = EMPTY_SPANS;
    this.spanStart = 0;
    this.spanPos = 0;
  }

  // --- inline -------------------------------------------------------------

  private parseInline(): RequestArgs | undefined {
    const nl = this.findLineEnd(LF);
    const lineBytes = (nl < 0 ? this.end : nl) - this.pos;
    // Redis checks the size only while no newline has arrived, so its limit
    // depends on read sizes; checking the line itself keeps it deterministic.
    if (lineBytes > INLINE_MAX_BYTES) throw new ProtocolError('Protocol error: too big inline request');
    if (nl < 0) return undefined;
    const end = nl > this.pos && this.buf[nl - 1] === CR ? nl - 1 : nl;
    const argv = splitArgs(this.buf.subarray(this.pos, end));
    if (argv === undefined) throw new ProtocolError('Protocol error: unbalanced quotes in request');
    this.advance(nl + 1);
    return RequestArgs.fromBuffers(argv);
  }

  // --- multibulk ----------------------------------------------------------

  private parseMultibulk(): RequestArgs | undefined {
    if (this.multibulkLen === 0) {
      const count = this.readHeader('Protocol error: too big mbulk count string');
      if (count === undefined) return undefined;
      this.startMultibulk(count);
      if (count <= 0) return NO_ARGS;
    }
    while (this.multibulkLen > 0) {
      if (this.big !== undefined) {
        if (this.bigFill < this.big.length) return undefined;
        this.pushBig(this.big.subarray(0, this.big.length - 2));
        this.big = undefined;
        this.bigFill = 0;
        continue;
      }
      if (this.bulkLen < 0 && !this.readBulkHeader()) return undefined;
      const len = this.bulkLen;
      const avail = this.end - this.pos;
      if (len >= BIG_ARG_BYTES && avail < len + 2) {
        this.startBig(len, avail);
        continue;
      }
      if (avail < len + 2) return undefined;
      // Like Redis, the two bytes after the payload are skipped, not checked.
      if (len >= BIG_ARG_BYTES) this.pushBig(Buffer.from(this.buf.subarray(this.pos, this.pos + len)));
      else this.pushSmall(this.pos, len);
      this.advance(this.pos + len + 2);
      this.bulkLen = -1;
    }
    return this.takeArgs();
  }

  /** Redis's big-argument path: one buffer of the declared size (plus CRLF), filled as bytes arrive. */
  private startBig(len: number, avail: number): void {
    const big = Buffer.allocUnsafe(len + 2);
    this.buf.copy(big, 0, this.pos, this.end);
    this.advance(this.end);
    this.big = big;
    this.bigFill = avail;
    this.bulkLen = -1;
  }

  private startMultibulk(count: number): void {
    if (count > MULTIBULK_MAX) throw new ProtocolError('Protocol error: invalid multibulk length');
    if (count > UNAUTH_MULTIBULK_MAX && this.authRequired) {
      throw new ProtocolError('Protocol error: unauthenticated multibulk length');
    }
    this.multibulkLen = Math.max(count, 0);
    this.clearArgs();
  }

  private pushSmall(start: number, len: number): void {
    if (this.arenaPos + len > this.arena.length) this.newArena(len);
    const at = this.arenaPos;
    // Most arguments are a few bytes: a loop beats Buffer.copy's argument checks.
    if (len <= 32) {
      const from = this.buf;
      const to = this.arena;
      for (let k = 0; k < len; k++) to[at + k] = from[start + k] as number;
    } else {
      this.buf.copy(this.arena, at, start, start + len);
    }
    this.arenaPos = at + len;
    this.pushSpan(at, at + len, len);
  }

  /** A new slab, sized for what is pending; the current request's bytes move over. */
  private newArena(len: number): void {
    const used = this.arenaPos - this.arenaStart;
    const size = Math.max(256, 2 * (used + len), Math.min(IOBUF_BYTES, this.end - this.pos));
    const slab = Buffer.allocUnsafe(size);
    this.arena.copy(slab, 0, this.arenaStart, this.arenaPos);
    const shift = this.arenaStart;
    for (let k = this.spanStart; k < this.spanPos; k += 2) {
      if (this.spans[k] === BIG_SPAN) continue;
      this.spans[k] = (this.spans[k] as number) - shift;
      this.spans[k + 1] = (this.spans[k + 1] as number) - shift;
    }
    this.arena = slab;
    this.arenaStart = 0;
    this.arenaPos = used;
  }

  private newSpans(): void {
    const used = this.spanPos - this.spanStart;
    const size = Math.max(16, 2 * (used + 2), Math.min(2048, (this.end - this.pos) >> 2));
    const slab = new Uint32Array(size);
    slab.set(this.spans.subarray(this.spanStart, this.spanPos));
    this.spans = slab;
    this.spanStart = 0;
    this.spanPos = used;
  }

  private pushBig(arg: Buffer): void {
    this.bigs.push(arg);
    this.pushSpan(BIG_SPAN, this.bigs.length - 1, arg.length);
  }

  private pushSpan(start: number, end: number, len: number): void {
    if (this.spanPos + 2 > this.spans.length) this.newSpans();
    this.spans[this.spanPos] = start;
    this.spans[this.spanPos + 1] = end;
    this.spanPos += 2;
    this.argCount++;
    this.argBytes += len;
    this.multibulkLen--;
  }

  private takeArgs(): RequestArgs {
    const args = new RequestArgs(this.argCount, this.argBytes, this.arena, this.spans, this.spanStart, this.bigs);
    this.arenaStart = this.arenaPos;
    this.spanStart = this.spanPos;
    this.argCount = 0;
    this.argBytes = 0;
    if (this.bigs.length > 0) this.bigs = [];
    return args;
  }

  /** Forgets the request being read (a new header, or a failure). */
  private clearArgs(): void {
    this.arenaPos = this.arenaStart;
    this.spanPos = this.spanStart;
    this.argCount = 0;
    this.argBytes = 0;
    if (this.bigs.length > 0) this.bigs = [];
  }

  private readBulkHeader(): boolean {
    const first = this.buf[this.pos];
    if (this.findCR() >= 0 && first !== DOLLAR) {
      throw new ProtocolError(`Protocol error: expected '$', got '${String.fromCharCode(first ?? 0)}'`);
    }
    const len = this.readHeader('Protocol error: too big bulk count string');
    if (len === undefined) return false;
    if (len < 0 || len > this.bulkMaxBytes) throw new ProtocolError('Protocol error: invalid bulk length');
    if (len > UNAUTH_BULK_MAX_BYTES && this.authRequired) {
      throw new ProtocolError('Protocol error: unauthenticated bulk length');
    }
    this.bulkLen = len;
    return true;
  }

  /**
   * Redis finds line ends with strchr() on a C string, so a NUL byte before
   * the terminator hides it: the request then waits until the size limit.
   * Returns the terminator's index, -1 if absent, NUL_FIRST if hidden. A
   * line searched in vain is not searched again from its start.
   */
  private findLineEnd(terminator: number): number {
    if (this.scannedNul) return NUL_FIRST;
    const buf = this.buf;
    const start = this.pos + this.scanned;
    // Bytes past `end` are stale: a terminator found there does not count.
    let at = start < this.end ? buf.indexOf(terminator, start) : -1;
    if (at >= this.end) at = -1;
    // Header lines are a few bytes: a plain loop beats allocating a subarray per line.
    const stop = at < 0 ? this.end : at;
    for (let i = start; i < stop; i++) {
      if (buf[i] === 0) {
        this.scannedNul = true;
        return NUL_FIRST;
      }
    }
    if (at < 0) this.scanned = this.end - this.pos;
    return at;
  }

  /** A complete header line holds a '\r' followed by at least one byte (Redis skips that byte unchecked). */
  private findCR(): number {
    const cr = this.findLineEnd(CR);
    return cr >= 0 && cr + 1 < this.end ? cr : -1;
  }

  /** Reads `*<n>` or `$<n>` up to '\r'; the number follows Redis's strict string2ll. */
  private readHeader(tooBig: string): number | undefined {
    const cr = this.findLineEnd(CR);
    if (cr < 0) {
      if (this.end - this.pos > INLINE_MAX_BYTES) throw new ProtocolError(tooBig);
      return undefined;
    }
    if (cr - this.pos > INLINE_MAX_BYTES) throw new ProtocolError(tooBig);
    if (cr + 1 >= this.end) return undefined;
    const n = string2llBytes(this.buf, this.pos + 1, cr);
    if (n === undefined) {
      throw new ProtocolError(this.buf[this.pos] === STAR ? 'Protocol error: invalid multibulk length' : 'Protocol error: invalid bulk length');
    }
    this.advance(cr + 2);
    return n;
  }
}

class ProtocolError extends Error {}
