/**
 * Redis's argument text: sdssplitargs (reading) and sdscatrepr (writing).
 *
 * sdssplitargs is the one argument tokenizer: inline commands (the
 * request decoder), sentinel.conf lines and ACL selector bodies "(...)" are
 * all split by it in Redis, so here too.
 *
 * It works on bytes, as Redis does. Text callers (config, ACL) pass byte
 * strings (./byteText.ts): split as their bytes, each argument decoded back,
 * so a `\xHH` escape adds one raw byte that is decoded with its neighbours
 * ("p\xc3\xa4ss" reads as "päss", "p\xff" as "p" and the escaped byte 0xff).
 */
import { bytesToText, textToBytes } from './byteText.js';

const CR = 13;
const LF = 10;
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
export function splitArgs(line: Buffer): Buffer[] | undefined {
  const nul = line.indexOf(0);
  const end = nul >= 0 ? nul : line.length;
  const argv: Buffer[] = [];
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

function readToken(line: Buffer, start: number, end: number): { value: Buffer; next: number } | undefined {
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
  return { value: Buffer.from(bytes), next: p };
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

/**
 * splitArgs for a text line: the line is split as its bytes and each
 * argument decoded back. Null on unbalanced quotes, [] for a blank line.
 */
export function splitArgsText(line: string): string[] | null {
  return splitArgs(textToBytes(line))?.map((a) => bytesToText(a)) ?? null;
}

/** Redis's sdscatrepr: printable ASCII as is, the rest escaped, in double quotes. */
export function reprBytes(b: Uint8Array): string {
  return `"${escapeBytes(b)}"`;
}

/** sdscatrepr's escapes for the bytes it does not print as they are (\\ and \" aside). */
const NAMED_ESCAPES: Readonly<Record<number, string>> = { 10: '\\n', 13: '\\r', 9: '\\t', 7: '\\a', 8: '\\b' };

function escapeUnprintable(c: number): string {
  return NAMED_ESCAPES[c] ?? `\\x${c.toString(16).padStart(2, '0')}`;
}

/**
 * sdscatrepr without the surrounding quotes: `\\` and `\"` escaped,
 * printable ASCII as is, \n \r \t \a \b, every other byte `\xhh`.
 * Wrapped in double quotes it reads back (sdssplitargs) as the same bytes.
 */
export function escapeBytes(b: Uint8Array): string {
  let out = '';
  for (const c of b) {
    if (c === 0x5c || c === 0x22) out += `\\${String.fromCharCode(c)}`;
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += escapeUnprintable(c);
  }
  return out;
}

/** Printable ASCII other than `\\` and `"`: what escapeText leaves as it is. */
const PLAIN_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * escapeBytes for a text value (its UTF-8 bytes): a value that cannot start
 * a line, a terminal escape or an ambiguous `\\` is returned unchanged, so
 * ordinary names look as Redis prints them.
 */
export function escapeText(s: string): string {
  return PLAIN_TEXT.test(s) ? s : escapeBytes(textToBytes(s));
}

const PRINTABLE_TEXT = /^[\x20-\x7e]*$/;

/**
 * Only the bytes that are not printable ASCII escaped as sdscatrepr does;
 * `\\` and `"` kept. For a whole log line whose values were escaped where it
 * was built (event texts): escaping them again would double every
 * backslash, yet whatever reached the line unescaped still cannot break it.
 */
export function escapeUnprintableText(s: string): string {
  if (PRINTABLE_TEXT.test(s)) return s;
  let out = '';
  for (const c of textToBytes(s)) {
    out += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : escapeUnprintable(c);
  }
  return out;
}
