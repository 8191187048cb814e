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
 */

const CR = 13;
const LF = 10;
const STAR = 42;
const DOLLAR = 36;

/** PROTO_INLINE_MAX_SIZE: longest inline request and longest `*`/`$` header line. */
export const INLINE_MAX_BYTES = 64 * 1024;
/** proto-max-bulk-len default. */
export const BULK_MAX_BYTES = 512 * 1024 * 1024;
/** Redis 7 rejects a multibulk count above INT_MAX. */
export const MULTIBULK_MAX = 2147483647;
/** Before AUTH, Redis caps requests so an anonymous client cannot make it allocate much. */
export const UNAUTH_MULTIBULK_MAX = 10;
export const UNAUTH_BULK_MAX_BYTES = 16384;

const EMPTY = Buffer.alloc(0);
const NUL_FIRST = -2;

/** Receives each complete command; returning false stops decoding until drain() is called again. */
export type CommandSink = (argv: string[]) => boolean;

export class RequestDecoder {
  /** Set by the server: while true the unauthenticated limits apply (checked when a header is read). */
  authRequired = false;

  private buf: Buffer = EMPTY;
  private pos = 0;
  /** Chunks received since the last parse attempt that could not progress; merged lazily. */
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private scannedChunks = 0;
  /** Parse again only once this many bytes are pending... */
  private needBytes = 0;
  /** ...and (if >= 0) once a new chunk holds this byte: avoids rescanning a long partial line per byte. */
  private needByte = -1;

  private multibulkLen = 0;
  private bulkLen = -1;
  private args: string[] = [];
  private failure: string | undefined;

  feed(chunk: Buffer): void {
    if (this.failure !== undefined || chunk.length === 0) return;
    this.queued.push(chunk);
    this.queuedBytes += chunk.length;
  }

  /** Bytes received and not yet turned into commands. */
  get pendingBytes(): number {
    return this.buf.length - this.pos + this.queuedBytes;
  }

  /** Bytes of the read buffer, including the command being executed (CLIENT LIST qbuf). */
  get bufferedBytes(): number {
    return this.buf.length + this.queuedBytes;
  }

  /**
   * Decodes as many commands as possible, handing each to sink. Returns the
   * protocol error text (without the `ERR ` prefix) once the stream is broken;
   * the decoder then ignores further input, as the connection is to be closed.
   */
  drain(sink: CommandSink): string | undefined {
    if (this.failure !== undefined) return this.failure;
    if (!this.canProgress()) return undefined;
    this.merge();
    try {
      this.parseLoop(sink);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.fail(e.message);
    }
    this.compact();
    return this.failure;
  }

  private parseLoop(sink: CommandSink): void {
    while (this.pos < this.buf.length) {
      const argv = this.multibulkLen > 0 || this.buf[this.pos] === STAR ? this.parseMultibulk() : this.parseInline();
      if (argv === undefined) return;
      // An empty inline line, `*0` and `*-1` are requests with no arguments: ignored.
      if (argv.length > 0 && !sink(argv)) return;
    }
  }

  private canProgress(): boolean {
    const pending = this.pendingBytes;
    if (pending === 0 || pending < this.needBytes) return false;
    if (this.needByte < 0 || pending > INLINE_MAX_BYTES) return true;
    for (; this.scannedChunks < this.queued.length; this.scannedChunks++) {
      if ((this.queued[this.scannedChunks] as Buffer).includes(this.needByte)) return true;
    }
    return false;
  }

  private merge(): void {
    this.needBytes = 0;
    this.needByte = -1;
    this.scannedChunks = 0;
    if (this.queued.length === 0) return;
    const rest = this.pos < this.buf.length ? [this.buf.subarray(this.pos)] : [];
    const parts = rest.concat(this.queued);
    this.buf = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    this.pos = 0;
    this.queued = [];
    this.queuedBytes = 0;
  }

  /** Drop consumed bytes so a long-lived client does not pin a large chunk. */
  private compact(): void {
    if (this.pos >= this.buf.length) {
      this.buf = EMPTY;
      this.pos = 0;
    }
  }

  private fail(message: string): void {
    this.failure = message;
    this.buf = EMPTY;
    this.pos = 0;
    this.queued = [];
    this.queuedBytes = 0;
  }

  private waitFor(bytes: number, byte: number): undefined {
    this.needBytes = bytes;
    this.needByte = byte;
    return undefined;
  }

  // --- inline -------------------------------------------------------------

  private parseInline(): string[] | undefined {
    const nl = this.findLineEnd(LF);
    const lineBytes = (nl < 0 ? this.buf.length : nl) - this.pos;
    // Redis checks the size only while no newline has arrived, so its limit
    // depends on read sizes; checking the line itself keeps it deterministic.
    if (lineBytes > INLINE_MAX_BYTES) throw new ProtocolError('Protocol error: too big inline request');
    if (nl === NUL_FIRST) return this.waitFor(INLINE_MAX_BYTES + 1, -1);
    if (nl < 0) return this.waitFor(0, LF);
    const end = nl > this.pos && this.buf[nl - 1] === CR ? nl - 1 : nl;
    const argv = splitArgs(this.buf.subarray(this.pos, end));
    if (argv === undefined) throw new ProtocolError('Protocol error: unbalanced quotes in request');
    this.pos = nl + 1;
    return argv;
  }

  // --- multibulk ----------------------------------------------------------

  private parseMultibulk(): string[] | undefined {
    if (this.multibulkLen === 0) {
      const count = this.readHeader('Protocol error: too big mbulk count string');
      if (count === undefined) return undefined;
      this.startMultibulk(count);
      if (count <= 0) return [];
    }
    while (this.multibulkLen > 0) {
      if (this.bulkLen < 0 && !this.readBulkHeader()) return undefined;
      if (this.buf.length - this.pos < this.bulkLen + 2) return this.waitFor(this.bulkLen + 2, -1);
      // Like Redis, the two bytes after the payload are skipped, not checked.
      this.args.push(this.buf.toString('utf8', this.pos, this.pos + this.bulkLen));
      this.pos += this.bulkLen + 2;
      this.bulkLen = -1;
      this.multibulkLen--;
    }
    const argv = this.args;
    this.args = [];
    return argv;
  }

  private startMultibulk(count: number): void {
    if (count > MULTIBULK_MAX) throw new ProtocolError('Protocol error: invalid multibulk length');
    if (count > UNAUTH_MULTIBULK_MAX && this.authRequired) {
      throw new ProtocolError('Protocol error: unauthenticated multibulk length');
    }
    this.multibulkLen = Math.max(count, 0);
    this.args = [];
  }

  private readBulkHeader(): boolean {
    const first = this.buf[this.pos];
    if (this.findCR() >= 0 && first !== DOLLAR) {
      throw new ProtocolError(`Protocol error: expected '$', got '${String.fromCharCode(first ?? 0)}'`);
    }
    const len = this.readHeader('Protocol error: too big bulk count string');
    if (len === undefined) return false;
    if (len < 0 || len > BULK_MAX_BYTES) throw new ProtocolError('Protocol error: invalid bulk length');
    if (len > UNAUTH_BULK_MAX_BYTES && this.authRequired) {
      throw new ProtocolError('Protocol error: unauthenticated bulk length');
    }
    this.bulkLen = len;
    return true;
  }

  /**
   * Redis finds line ends with strchr() on a C string, so a NUL byte before
   * the terminator hides it: the request then waits until the size limit.
   * Returns the terminator's index, -1 if absent, NUL_FIRST if hidden.
   */
  private findLineEnd(terminator: number): number {
    const buf = this.buf;
    const at = buf.indexOf(terminator, this.pos);
    // Header lines are a few bytes: a plain loop beats allocating a subarray per line.
    const end = at < 0 ? buf.length : at;
    for (let i = this.pos; i < end; i++) if (buf[i] === 0) return NUL_FIRST;
    return at;
  }

  /** A complete header line holds a '\r' followed by at least one byte (Redis skips that byte unchecked). */
  private findCR(): number {
    const cr = this.findLineEnd(CR);
    return cr >= 0 && cr + 1 < this.buf.length ? cr : -1;
  }

  /** Reads `*<n>` or `$<n>` up to '\r'; the number follows Redis's strict string2ll. */
  private readHeader(tooBig: string): number | undefined {
    const cr = this.findLineEnd(CR);
    if (cr < 0) {
      if (this.buf.length - this.pos > INLINE_MAX_BYTES) throw new ProtocolError(tooBig);
      return cr === NUL_FIRST ? this.waitFor(INLINE_MAX_BYTES + 1, -1) : this.waitFor(0, CR);
    }
    if (cr - this.pos > INLINE_MAX_BYTES) throw new ProtocolError(tooBig);
    if (cr + 1 >= this.buf.length) return this.waitFor(this.buf.length - this.pos + 1, -1);
    const n = parseStrictInt(this.buf, this.pos + 1, cr);
    if (n === undefined) {
      throw new ProtocolError(this.buf[this.pos] === STAR ? 'Protocol error: invalid multibulk length' : 'Protocol error: invalid bulk length');
    }
    this.pos = cr + 2;
    return n;
  }
}

class ProtocolError extends Error {}

const LLONG_MAX = 9223372036854775807;

/**
 * Redis's string2ll: optional '-', no '+', no leading zeros, no spaces, at
 * most 20 characters. Returns undefined where Redis's would fail. Values past
 * 2^53 only need to compare as "too big", which a float does.
 */
export function parseStrictInt(buf: Buffer, start: number, end: number): number | undefined {
  const len = end - start;
  if (len <= 0 || len > 20) return undefined;
  if (len === 1 && buf[start] === 48) return 0;
  let i = start;
  const negative = buf[i] === 45;
  if (negative) i++;
  const first = buf[i];
  if (first === undefined || i >= end || first < 49 || first > 57) return undefined;
  let n = 0;
  for (; i < end; i++) {
    const c = buf[i] as number;
    if (c < 48 || c > 57) return undefined;
    n = n * 10 + (c - 48);
  }
  // long long overflow fails in Redis (and must not wrap to a small count here).
  if (n > (negative ? LLONG_MAX + 1 : LLONG_MAX)) return undefined;
  return negative ? -n : n;
}

// --- sdssplitargs ----------------------------------------------------------

const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const APOS = 39;
const BACKSLASH = 92;

/** isspace() in the C locale. */
function isSpace(c: number | undefined): boolean {
  return c === SPACE || (c !== undefined && c >= 9 && c <= 13);
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Redis's sdssplitargs over bytes: whitespace-separated tokens, "double
 * quotes" with \n \r \t \b \a \xHH escapes, 'single quotes' with \' only. A
 * closing quote must be followed by a space or the end. A NUL byte ends the
 * line, since Redis works on a C string. Returns undefined on unbalanced quotes.
 */
export function splitArgs(line: Buffer): string[] | undefined {
  const nul = line.indexOf(0);
  const end = nul >= 0 ? nul : line.length;
  const argv: string[] = [];
  let p = 0;
  for (;;) {
    while (p < end && isSpace(line[p])) p++;
    if (p >= end) return argv;
    const token = readToken(line, p, end);
    if (token === undefined) return undefined;
    argv.push(token.value);
    p = token.next;
  }
}

function readToken(line: Buffer, start: number, end: number): { value: string; next: number } | undefined {
  const bytes: number[] = [];
  let p = start;
  let mode: 'plain' | 'double' | 'single' = 'plain';
  for (;;) {
    const c = p < end ? (line[p] as number) : undefined;
    if (mode === 'plain') {
      if (c === undefined || c === SPACE || c === LF || c === CR || c === TAB) break;
      if (c === QUOTE) mode = 'double';
      else if (c === APOS) mode = 'single';
      else bytes.push(c);
      p++;
      continue;
    }
    if (c === undefined) return undefined;
    const next = p + 1 < end ? line[p + 1] : undefined;
    const closing = mode === 'double' ? QUOTE : APOS;
    if (c === closing) {
      if (next !== undefined && !isSpace(next)) return undefined;
      p++;
      break;
    }
    p += mode === 'double' ? readDoubleQuoted(line, p, end, bytes) : readSingleQuoted(c, next, bytes);
  }
  return { value: Buffer.from(bytes).toString('utf8'), next: p };
}

/** One unit inside "double quotes"; returns how many bytes it took. */
function readDoubleQuoted(line: Buffer, p: number, end: number, out: number[]): number {
  const c = line[p] as number;
  const next = p + 1 < end ? line[p + 1] : undefined;
  if (c === BACKSLASH && next === 120) {
    const hi = hexValue(p + 2 < end ? line[p + 2] : undefined);
    const lo = hexValue(p + 3 < end ? line[p + 3] : undefined);
    if (hi >= 0 && lo >= 0) {
      out.push(hi * 16 + lo);
      return 4;
    }
  }
  if (c === BACKSLASH && next !== undefined) {
    out.push(unescape(next));
    return 2;
  }
  out.push(c);
  return 1;
}

function unescape(c: number): number {
  switch (c) {
    case 110: return LF; // n
    case 114: return CR; // r
    case 116: return TAB; // t
    case 98: return 8; // b
    case 97: return 7; // a
    default: return c;
  }
}

function readSingleQuoted(c: number, next: number | undefined, out: number[]): number {
  if (c === BACKSLASH && next === APOS) {
    out.push(APOS);
    return 2;
  }
  out.push(c);
  return 1;
}
