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

function decodeEscaping(buf: Buffer, start: number, end: number): string {
  let out = '';
  let run = start;
  let i = start;
  while (i < end) {
    const len = sequenceLength(buf, i, end);
    if (len > 0) {
      i += len;
      continue;
    }
    if (run < i) out += buf.toString('utf8', run, i);
    out += String.fromCharCode(ESCAPE_BASE + (buf[i] as number));
    i += 1;
    run = i;
  }
  if (run < end) out += buf.toString('utf8', run, end);
  return out;
}

function encodeEscaped(s: string): Buffer {
  const parts: Buffer[] = [];
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i += 1; // a pair: one character, encoded with its run
      continue;
    }
    if (c < 0xdc80 || c > 0xdcff) continue;
    if (run < i) parts.push(Buffer.from(s.slice(run, i), 'utf8'));
    parts.push(Buffer.of(c - ESCAPE_BASE));
    run = i + 1;
  }
  if (run < s.length) parts.push(Buffer.from(s.slice(run), 'utf8'));
  return Buffer.concat(parts);
}
