/**
 * Byte strings as JS strings. Redis values (passwords, user names, master
 * names, script paths, announce addresses, renamed commands) are bytes, not
 * text: redis-sentinel stores, sends and saves whatever bytes it was given.
 *
 * They are carried here as ordinary JS strings, "UTF-8 with escaped bytes"
 * (Python's surrogateescape, PEP 383): bytes that are valid UTF-8 decode as
 * usual, so text stays text everywhere (logs, literals, comparisons); each
 * byte that is not part of valid UTF-8 (always 0x80-0xff) becomes one lone
 * low surrogate, U+DC80-U+DCFF, that no valid UTF-8 can produce. So
 * textToBytes(bytesToText(b)) is b for every byte string b.
 *
 * Convert at the edges, and only there: bytesToText on what comes in
 * (request arguments, the config and ACL files, pub/sub messages on links),
 * textToBytes on what goes out (replies, commands to instances, the config
 * file, password digests). Node's own UTF-8 conversions (Buffer.from(s),
 * socket.write(s), Buffer#toString()) replace the escapes with U+FFFD: never
 * hand them a string that may hold one. A string without escapes converts
 * the usual way, so the common case costs a check, not a copy.
 */

/** Valid UTF-8 never decodes to a lone surrogate: one in U+DC80-U+DCFF is an escaped byte. */
const ESCAPE = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;
const ESCAPE_BASE = 0xdc00;

/** The text of bytes buf[start, end). */
export function bytesToText(buf: Buffer, start = 0, end = buf.length): string {
  const s = buf.toString('utf8', start, end);
  // U+FFFD marks what Node could not decode (or a real U+FFFD: decoded again, unchanged).
  return s.includes('\uFFFD') ? decodeEscaping(buf, start, end) : s;
}

/** The bytes a text stands for. */
export function textToBytes(s: string): Buffer {
  return hasEscapes(s) ? encodeEscaped(s) : Buffer.from(s, 'utf8');
}

/** textToBytes(s).length, without the copy in the usual case. */
export function textByteLength(s: string): number {
  return hasEscapes(s) ? encodeEscaped(s).length : Buffer.byteLength(s, 'utf8');
}

/**
 * True when s holds an escaped byte: such a text must go out through
 * textToBytes. V8 answers at once for a one-byte string (most of them),
 * which cannot hold a surrogate.
 */
export function hasEscapes(s: string): boolean {
  return ESCAPE.test(s);
}

/** Length of the valid UTF-8 sequence at buf[i] (Unicode's table of well-formed sequences), 0 if none. */
function sequenceLength(buf: Uint8Array, i: number, end: number): number {
  const b0 = buf[i] as number;
  if (b0 < 0x80) return 1;
  let len: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) len = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3;
    if (b0 === 0xe0) lo = 0xa0;
    else if (b0 === 0xed) hi = 0x9f; // no surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4;
    if (b0 === 0xf0) lo = 0x90;
    else if (b0 === 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + len > end) return 0;
  const b1 = buf[i + 1] as number;
  if (b1 < lo || b1 > hi) return 0;
  for (let k = 2; k < len; k++) {
    const b = buf[i + k] as number;
    if (b < 0x80 || b > 0xbf) return 0;
  }
  return len;
}

/**
 * The slow path, linear and without a string per byte (an argument may be
 * megabytes of bytes that are not UTF-8): UTF-16 code units are written into
 * one array (never more units than bytes), then turned into text in chunks.
 */
function decodeEscaping(buf: Buffer, start: number, end: number): string {
  const units = new Uint16Array(end - start);
  let n = 0;
  let i = start;
  while (i < end) {
    const len = sequenceLength(buf, i, end);
    const b0 = buf[i] as number;
    if (len === 0) {
      units[n++] = ESCAPE_BASE + b0;
      i += 1;
    } else if (len === 1) {
      units[n++] = b0;
      i += 1;
    } else {
      let cp = b0 & (0xff >> (len + 1));
      for (let k = 1; k < len; k++) cp = (cp << 6) | ((buf[i + k] as number) & 0x3f);
      if (cp < 0x10000) {
        units[n++] = cp;
      } else {
        units[n++] = 0xd800 + ((cp - 0x10000) >> 10);
        units[n++] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
      }
      i += len;
    }
  }
  let text = '';
  for (let k = 0; k < n; k += TEXT_CHUNK_UNITS) {
    text += String.fromCharCode.apply(null, units.subarray(k, Math.min(n, k + TEXT_CHUNK_UNITS)) as unknown as number[]);
  }
  return text;
}

/** Code units per String.fromCharCode call (its arguments live on the stack). */
const TEXT_CHUNK_UNITS = 8192;

/** The slow path, linear: at most 3 bytes per UTF-16 code unit, written into one buffer. */
function encodeEscaped(s: string): Buffer {
  const out = Buffer.allocUnsafe(3 * s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
    } else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) {
      const cp = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
      out[n++] = 0xf0 | (cp >> 18);
      out[n++] = 0x80 | ((cp >> 12) & 0x3f);
      out[n++] = 0x80 | ((cp >> 6) & 0x3f);
      out[n++] = 0x80 | (cp & 0x3f);
    } else if (c >= 0xdc80 && c <= 0xdcff) {
      out[n++] = c - ESCAPE_BASE; // an escaped byte
    } else if (c >= 0xd800 && c <= 0xdfff) {
      n = put(out, n, 0xfffd); // any other lone surrogate: as Buffer.from(s, 'utf8') writes it
    } else {
      n = put(out, n, c);
    }
  }
  return out.subarray(0, n);
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** A code point of the Basic Multilingual Plane from U+0800, as 3 bytes of UTF-8. */
function put(out: Buffer, n: number, c: number): number {
  out[n] = 0xe0 | (c >> 12);
  out[n + 1] = 0x80 | ((c >> 6) & 0x3f);
  out[n + 2] = 0x80 | (c & 0x3f);
  return n + 3;
}
