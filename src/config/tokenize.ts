/**
 * Redis config-file quoting: a port of `sdssplitargs` (reading) and
 * `sdscatrepr` (writing), byte-compatible with redis 7.0.
 *
 * Redis works on bytes. We work on JS strings but keep the byte semantics:
 * a token is assembled as UTF-8 bytes (literal characters are UTF-8 encoded,
 * `\xHH` escapes append one raw byte) and decoded at the end, so a password
 * that real Redis wrote as "p\xc3\xa4ss" reads back as "päss".
 */

/** C `isspace` in the C locale: what sdssplitargs skips between tokens. */
function isCSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';
}

/**
 * Characters that end an unquoted token. Narrower than isCSpace on purpose:
 * sdssplitargs does not stop a bare token at \v or \f.
 */
function endsBareToken(c: string | undefined): boolean {
  return c === undefined || c === ' ' || c === '\n' || c === '\r' || c === '\t';
}

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };

/** Accumulates a token as bytes; see the module comment for why. */
class TokenBytes {
  private readonly bytes: number[] = [];

  pushText(text: string): void {
    for (const b of Buffer.from(text, 'utf8')) this.bytes.push(b);
  }

  pushByte(b: number): void {
    this.bytes.push(b);
  }

  toString(): string {
    return Buffer.from(this.bytes).toString('utf8');
  }
}

/** The code point starting at s[i], as a string (1 or 2 UTF-16 units). */
function charAt(s: string, i: number): string {
  return String.fromCodePoint(s.codePointAt(i) ?? 0);
}

type Mode = 'bare' | 'double' | 'single';
interface Step { next: number; mode: Mode; done?: boolean; error?: boolean }

/** One step inside "double quotes": escapes, \xHH, or the closing quote. */
function stepDouble(s: string, i: number, out: TokenBytes): Step {
  const c = s[i];
  if (c === undefined) return { next: i, mode: 'double', error: true }; // unterminated
  if (c === '\\' && s[i + 1] === 'x' && isHex(s[i + 2]) && isHex(s[i + 3])) {
    out.pushByte(parseInt(s.slice(i + 2, i + 4), 16));
    return { next: i + 4, mode: 'double' };
  }
  if (c === '\\' && s[i + 1] !== undefined) {
    const e = charAt(s, i + 1);
    out.pushText(ESCAPES[e] ?? e);
    return { next: i + 1 + e.length, mode: 'double' };
  }
  if (c === '"') {
    // Redis: a closing quote must be followed by a space or nothing at all.
    const after = s[i + 1];
    if (after !== undefined && !isCSpace(after)) return { next: i, mode: 'double', error: true };
    return { next: i + 1, mode: 'double', done: true };
  }
  const ch = charAt(s, i);
  out.pushText(ch);
  return { next: i + ch.length, mode: 'double' };
}

/** One step inside 'single quotes': only \' is an escape. */
function stepSingle(s: string, i: number, out: TokenBytes): Step {
  const c = s[i];
  if (c === undefined) return { next: i, mode: 'single', error: true };
  if (c === '\\' && s[i + 1] === "'") {
    out.pushText("'");
    return { next: i + 2, mode: 'single' };
  }
  if (c === "'") {
    const after = s[i + 1];
    if (after !== undefined && !isCSpace(after)) return { next: i, mode: 'single', error: true };
    return { next: i + 1, mode: 'single', done: true };
  }
  const ch = charAt(s, i);
  out.pushText(ch);
  return { next: i + ch.length, mode: 'single' };
}

/** One step outside quotes. A quote may open mid-token (`ab"c d"` is `abc d`). */
function stepBare(s: string, i: number, out: TokenBytes): Step {
  const c = s[i];
  if (endsBareToken(c)) return { next: c === undefined ? i : i + 1, mode: 'bare', done: true };
  if (c === '"') return { next: i + 1, mode: 'double' };
  if (c === "'") return { next: i + 1, mode: 'single' };
  const ch = charAt(s, i);
  out.pushText(ch);
  return { next: i + ch.length, mode: 'bare' };
}

const STEPPERS: Readonly<Record<Mode, typeof stepBare>> = {
  bare: stepBare, double: stepDouble, single: stepSingle,
};

function readToken(s: string, start: number): { value: string; end: number } | null {
  const out = new TokenBytes();
  let i = start;
  let mode: Mode = 'bare';
  for (;;) {
    const step: Step = STEPPERS[mode](s, i, out);
    if (step.error) return null;
    i = step.next;
    mode = step.mode;
    if (step.done) return { value: out.toString(), end: i };
  }
}

/**
 * Split a config line into arguments exactly like Redis `sdssplitargs`.
 * Returns null on unbalanced quotes (including a closing quote followed by a
 * non-space character), an empty array for a blank line. A NUL character ends
 * the line, as it does for the C string Redis scans.
 */
export function splitArgs(line: string): string[] | null {
  const nul = line.indexOf('\0');
  const s = nul === -1 ? line : line.slice(0, nul);
  const args: string[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && isCSpace(s[i])) i++;
    if (i >= s.length) return args;
    const tok = readToken(s, i);
    if (tok === null) return null;
    args.push(tok.value);
    i = tok.end;
  }
}

const REPR_ESCAPES: Readonly<Record<number, string>> = {
  0x5c: '\\\\', 0x22: '\\"', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x07: '\\a', 0x08: '\\b',
};

/**
 * Always-quoted form, byte for byte what Redis `sdscatrepr` produces (used by
 * Redis for string options such as `dir`, `logfile` and `sentinel announce-ip`).
 * Bytes outside printable ASCII become lowercase `\xhh`.
 */
export function reprArg(s: string): string {
  let out = '"';
  for (const b of Buffer.from(s, 'utf8')) {
    const esc = REPR_ESCAPES[b];
    if (esc !== undefined) out += esc;
    else if (b >= 0x20 && b <= 0x7e) out += String.fromCharCode(b);
    else out += '\\x' + b.toString(16).padStart(2, '0');
  }
  return out + '"';
}

/** Lone UTF-16 surrogates cannot be written as UTF-8, so never leave them bare. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Controls, space, DEL and quote characters would change how the token splits. */
const NEEDS_QUOTES = /[\x00-\x20\x7f"']/;

/**
 * Quote an argument for a config line: bare when that reads back unchanged
 * (this is what Redis's `%s` output looks like for ordinary values), otherwise
 * the `sdscatrepr` form. `splitArgs(quoteArg(x))` is `[x]` for every
 * well-formed string x.
 */
export function quoteArg(s: string): string {
  if (s.length > 0 && !NEEDS_QUOTES.test(s) && !LONE_SURROGATE.test(s)) return s;
  return reprArg(s);
}

/** Join arguments into one config line, quoting each as needed. */
export function joinArgs(args: readonly string[]): string {
  return args.map(quoteArg).join(' ');
}

/**
 * Split file text into lines the way Redis does before parsing or rewriting:
 * `sdssplitlen(text, "\n")` then `sdstrim(" \t\r\n")`. Note the element after
 * a final newline is kept as an empty line (Redis does the same, which is why
 * a rewritten file gains one trailing blank line).
 */
export function configLines(text: string): string[] {
  if (text === '') return [];
  return text.split('\n').map(trimRedis);
}

function trimRedis(line: string): string {
  return line.replace(/^[ \t\r\n]+/, '').replace(/[ \t\r\n]+$/, '');
}
