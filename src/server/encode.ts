import { hasEscapes, textByteLength, textToBytes } from '../byteText.js';
import type { Reply } from './reply.js';
import type { Protocol } from './types.js';

/**
 * RESP encoder. Replies are built as one JS string as long as they hold no
 * Buffer (the common case: V8 concatenates strings as ropes, and the socket
 * turns the string into bytes once); a Buffer inside switches to a list of
 * parts so binary payloads are never re-encoded.
 *
 * Strings are byte strings (../byteText.ts): one that holds bytes that are
 * not UTF-8 (a master name, say) goes in as its bytes, so a string chunk
 * returned here never holds an escape and may be written as UTF-8.
 */
export function encodeReply(reply: Reply, protocol: Protocol): Buffer {
  const out = encodeReplyChunk(reply, protocol);
  return typeof out === 'string' ? Buffer.from(out, 'utf8') : out;
}

/** Like encodeReply, but keeps pure-text replies as a string for the server's write batching. */
export function encodeReplyChunk(reply: Reply, protocol: Protocol): string | Buffer {
  // The most frequent replies skip the Writer.
  if (reply.kind === 'simple') return escapeFree(`+${oneLine(reply.value)}\r\n`);
  if (reply.kind === 'int') return `:${reply.value}\r\n`;
  const w = new Writer();
  write(w, reply, protocol);
  return w.finish();
}

class Writer {
  str = '';
  parts: Buffer[] | undefined;

  text(s: string): void {
    if (hasEscapes(s)) this.bytes(textToBytes(s));
    else this.str += s;
  }

  bytes(b: Buffer): void {
    this.parts ??= [];
    if (this.str.length > 0) this.parts.push(Buffer.from(this.str, 'utf8'));
    this.str = '';
    this.parts.push(b);
  }

  finish(): string | Buffer {
    if (this.parts === undefined) return this.str;
    if (this.str.length > 0) this.parts.push(Buffer.from(this.str, 'utf8'));
    return this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts);
  }
}

function write(w: Writer, r: Reply, p: Protocol): void {
  switch (r.kind) {
    case 'simple':
      return w.text(`+${oneLine(r.value)}\r\n`);
    case 'error':
      return w.text(`-${oneLine(r.value)}\r\n`);
    case 'int':
      return w.text(`:${r.value}\r\n`);
    case 'bulk':
      return writeBulk(w, r.value);
    case 'null':
      return w.text(p === 3 ? '_\r\n' : '$-1\r\n');
    case 'nullArray':
      return w.text(p === 3 ? '_\r\n' : '*-1\r\n');
    case 'array':
      return writeItems(w, '*', r.items, p);
    case 'set':
      return writeItems(w, p === 3 ? '~' : '*', r.items, p);
    case 'push':
      return writeItems(w, p === 3 ? '>' : '*', r.items, p);
    case 'map':
      return writeMap(w, r.entries, p);
    case 'bulkMap':
      return writeBulkMap(w, r.flat, p);
    case 'double':
      return writeDouble(w, r.value, p);
    case 'bool':
      return w.text(p === 3 ? (r.value ? '#t\r\n' : '#f\r\n') : r.value ? ':1\r\n' : ':0\r\n');
    case 'verbatim':
      return writeVerbatim(w, r.format, r.value, p);
    case 'raw':
      return w.bytes(r.value);
  }
}

function writeBulk(w: Writer, value: string | Buffer): void {
  if (typeof value === 'string') {
    w.text(encodedBulk(value));
    return;
  }
  w.text(`$${value.length}\r\n`);
  w.bytes(value);
  w.text('\r\n');
}

function writeItems(w: Writer, type: string, items: readonly Reply[], p: Protocol): void {
  w.text(`${type}${items.length}\r\n`);
  for (const item of items) write(w, item, p);
}

function writeMap(w: Writer, entries: ReadonlyArray<readonly [Reply, Reply]>, p: Protocol): void {
  // RESP2 has no map type: redis-server sends the flat key/value array.
  w.text(p === 3 ? `%${entries.length}\r\n` : `*${entries.length * 2}\r\n`);
  for (const [k, v] of entries) {
    write(w, k, p);
    write(w, v, p);
  }
}

/** Decimal texts of small lengths, shared instead of made per field. */
const SMALL_LENGTHS: readonly string[] = Array.from({ length: 256 }, (_, n) => String(n));

/**
 * Encoded field names of bulk maps (`$4\r\nname\r\n`): the same few dozen
 * names come back in every SENTINEL MASTER / REPLICAS / SENTINELS entry.
 * Bounded: past the limit a name is encoded each time.
 */
const encodedKeys = new Map<string, string>();
const ENCODED_KEYS_MAX = 1024;

/** A string to write as UTF-8: itself, or its bytes when it holds escapes. */
function escapeFree(s: string): string | Buffer {
  return hasEscapes(s) ? textToBytes(s) : s;
}

function encodedBulk(s: string): string {
  const len = textByteLength(s);
  return `$${len < SMALL_LENGTHS.length ? SMALL_LENGTHS[len]! : String(len)}\r\n${s}\r\n`;
}

function encodedKey(key: string): string {
  let e = encodedKeys.get(key);
  if (e === undefined) {
    e = encodedBulk(key);
    if (encodedKeys.size < ENCODED_KEYS_MAX) encodedKeys.set(key, e);
  }
  return e;
}

function writeBulkMap(w: Writer, flat: readonly string[], p: Protocol): void {
  // One join per map, two pieces per field (the name's encoding is cached):
  // concatenating every piece would leave a long rope of small strings for
  // the GC (SENTINEL MASTERS is 60,000 fields at a thousand masters).
  const parts: string[] = new Array<string>(flat.length + 1);
  parts[0] = p === 3 ? `%${flat.length >> 1}\r\n` : `*${flat.length}\r\n`;
  for (let i = 0; i < flat.length; i++) parts[i + 1] = (i & 1) === 0 ? encodedKey(flat[i]!) : encodedBulk(flat[i]!);
  w.text(parts.join(''));
}

function writeDouble(w: Writer, value: number, p: Protocol): void {
  const text = formatDouble(value);
  if (p === 3) w.text(`,${text}\r\n`);
  else w.text(`$${text.length}\r\n${text}\r\n`);
}

function writeVerbatim(w: Writer, format: string, value: string, p: Protocol): void {
  if (p === 2) return writeBulk(w, value);
  w.text(`=${textByteLength(value) + 4}\r\n${format}:${value}\r\n`);
}

/** A status or error line must not break the framing: Redis turns CR/LF into spaces. */
function oneLine(s: string): string {
  return s.includes('\r') || s.includes('\n') ? s.replace(/[\r\n]/g, ' ') : s;
}

/**
 * Redis's addReplyDouble: `inf`/`-inf`, otherwise printf("%.17g"). The
 * 17 significant digits make 0.1 print as 0.10000000000000001, like Redis.
 */
export function formatDouble(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  return formatG(d, 17);
}

/** printf's %.<precision>g for a finite, non-zero number. */
function formatG(d: number, precision: number): string {
  const exp = d.toExponential(precision - 1);
  const eAt = exp.indexOf('e');
  const x = Number(exp.slice(eAt + 1));
  if (x < -4 || x >= precision) {
    const mantissa = stripZeros(exp.slice(0, eAt));
    const digits = String(Math.abs(x)).padStart(2, '0');
    return `${mantissa}e${x < 0 ? '-' : '+'}${digits}`;
  }
  return stripZeros(d.toFixed(precision - 1 - x));
}

function stripZeros(s: string): string {
  if (!s.includes('.')) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  return s.slice(0, end);
}
