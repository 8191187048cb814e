import { describe, it, expect } from 'vitest';
import { splitArgsText as splitArgs } from '../../src/redisArgs.js';
import { configLines, joinArgs, quoteArg, reprArg } from '../../src/config/tokenize.js';

describe('splitArgs: bare tokens', () => {
  it('splits on spaces, tabs, CR and LF', () => {
    expect(splitArgs('sentinel  monitor\tm \r127.0.0.1\n6379')).toEqual(['sentinel', 'monitor', 'm', '127.0.0.1', '6379']);
  });

  it('returns [] for empty and blank input', () => {
    expect(splitArgs('')).toEqual([]);
    expect(splitArgs(' \t\v\f ')).toEqual([]);
  });

  it('skips \\v and \\f between tokens but keeps them inside a bare token (sdssplitargs quirk)', () => {
    expect(splitArgs('\va\vb c')).toEqual(['a\vb', 'c']);
    expect(splitArgs('a\fb')).toEqual(['a\fb']);
  });

  it('keeps backslashes literal outside quotes', () => {
    expect(splitArgs('a\\nb c\\"')).toBeNull(); // the " opens a quote that never closes
    expect(splitArgs('a\\nb \\x41')).toEqual(['a\\nb', '\\x41']);
  });

  it('opens a quote in the middle of a token', () => {
    expect(splitArgs('ab"c d" e')).toEqual(['abc d', 'e']);
    expect(splitArgs("ab'c d'")).toEqual(['abc d']);
  });

  it('stops at a NUL character like the C string Redis scans', () => {
    expect(splitArgs('a b\0c d')).toEqual(['a', 'b']);
  });

  it('keeps non-ASCII characters', () => {
    expect(splitArgs('pässwörd 🔑')).toEqual(['pässwörd', '🔑']);
  });
});

describe('splitArgs: double quotes', () => {
  it('handles every escape Redis knows', () => {
    expect(splitArgs('"\\n\\r\\t\\b\\a\\\\\\""')).toEqual(['\n\r\t\b\x07\\"']);
  });

  it('treats an unknown escape as the character itself', () => {
    expect(splitArgs('"\\q\\\'\\ "')).toEqual(["q' "]);
  });

  it('decodes \\xHH (either case) as bytes, then UTF-8', () => {
    expect(splitArgs('"\\x41\\x6a"')).toEqual(['Aj']);
    expect(splitArgs('"\\xC3\\xA9t\\xc3\\xa9"')).toEqual(['été']);
    expect(splitArgs('"\\x00"')).toEqual(['\0']);
  });

  it('reads \\x without two hex digits as a plain x', () => {
    expect(splitArgs('"\\x4g"')).toEqual(['x4g']);
    expect(splitArgs('"\\x"')).toEqual(['x']);
  });

  it('gives an empty argument for ""', () => {
    expect(splitArgs('logfile ""')).toEqual(['logfile', '']);
  });

  it('accepts any C whitespace after the closing quote', () => {
    expect(splitArgs('"a"\vb')).toEqual(['a', 'b']);
    expect(splitArgs('"a"\tb')).toEqual(['a', 'b']);
  });
});

describe('splitArgs: single quotes', () => {
  it("only knows the \\' escape", () => {
    expect(splitArgs("'it\\'s' 'a\\nb' 'c\\d'")).toEqual(["it's", 'a\\nb', 'c\\d']);
    // A backslash right before the closing quote escapes it: still open.
    expect(splitArgs("'\\\\'")).toBeNull();
  });

  it('does not decode \\x', () => {
    expect(splitArgs("'\\x41'")).toEqual(['\\x41']);
  });
});

describe('splitArgs: unbalanced quotes return null', () => {
  it.each([
    ['"abc'],
    ["'abc"],
    ['a "b c'],
    ['"a"b'], // closing quote must be followed by whitespace or end
    ["'a'b"],
    ['"abc\\"'], // the closing quote is escaped
    ["'abc\\'"],
    ['"abc\\'],
    ['x "\\x4'],
  ])('%j', (line) => {
    expect(splitArgs(line)).toBeNull();
  });
});

describe('reprArg: sdscatrepr output', () => {
  it('always quotes', () => {
    expect(reprArg('abc')).toBe('"abc"');
    expect(reprArg('')).toBe('""');
  });

  it('escapes like Redis, hex in lower case, non-ASCII per UTF-8 byte', () => {
    expect(reprArg('a"b\\c\n\r\t\x07\b\x01\x7fé')).toBe('"a\\"b\\\\c\\n\\r\\t\\a\\b\\x01\\x7f\\xc3\\xa9"');
  });
});

describe('quoteArg', () => {
  it('leaves safe values bare (what Redis writes with %s)', () => {
    expect(quoteArg('mymaster')).toBe('mymaster');
    expect(quoteArg('127.0.0.1')).toBe('127.0.0.1');
    expect(quoteArg('::1')).toBe('::1');
    expect(quoteArg('a\\b#c')).toBe('a\\b#c');
    expect(quoteArg('pässwörd')).toBe('pässwörd');
  });

  it('quotes empty strings, whitespace, quotes and control characters', () => {
    expect(quoteArg('')).toBe('""');
    expect(quoteArg('pa ss')).toBe('"pa ss"');
    expect(quoteArg("it's")).toBe('"it\'s"');
    expect(quoteArg('say "hi"')).toBe('"say \\"hi\\""');
    expect(quoteArg('a\tb')).toBe('"a\\tb"');
    expect(quoteArg('a\vb')).toBe('"a\\x0bb"');
  });

  it('joinArgs quotes each argument', () => {
    expect(joinArgs(['sentinel', 'auth-pass', 'm', 'a b'])).toBe('sentinel auth-pass m "a b"');
  });
});

/** Deterministic PRNG (mulberry32) so a failure replays. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const POOL = [
  'a', 'Z', '0', ' ', '\t', '\n', '\r', '\v', '\f', '\0', '"', "'", '\\', 'x', '#', '\x07', '\b', '\x7f',
  '\x1b', 'é', 'ß', '中', '🔑', '\u00a0', '\u2028', '$', '\\x41',
];

function randomString(next: () => number): string {
  const len = Math.floor(next() * 12);
  let s = '';
  for (let i = 0; i < len; i++) s += POOL[Math.floor(next() * POOL.length)] ?? '';
  return s;
}

describe('round trip', () => {
  it('splitArgs(quoteArg(x)) is [x] for random strings', () => {
    const next = rng(20240601);
    for (let i = 0; i < 5000; i++) {
      const s = randomString(next);
      expect(splitArgs(quoteArg(s)), JSON.stringify(s)).toEqual([s]);
      expect(splitArgs(reprArg(s)), JSON.stringify(s)).toEqual([s]);
    }
  });

  it('splitArgs(joinArgs(xs)) is xs for random argument lists', () => {
    const next = rng(7);
    for (let i = 0; i < 1000; i++) {
      const args = Array.from({ length: 1 + Math.floor(next() * 5) }, () => randomString(next));
      expect(splitArgs(joinArgs(args)), JSON.stringify(args)).toEqual(args);
    }
  });
});

describe('configLines', () => {
  it('splits on LF and trims space, tab, CR like sdstrim', () => {
    expect(configLines('  port 1\r\n\tdir /x \n')).toEqual(['port 1', 'dir /x', '']);
  });

  it('keeps the empty element after a final newline, and nothing for empty text', () => {
    expect(configLines('a\n')).toEqual(['a', '']);
    expect(configLines('a')).toEqual(['a']);
    expect(configLines('')).toEqual([]);
  });

  it('does not trim \\v or \\f', () => {
    expect(configLines('\va\f')).toEqual(['\va\f']);
  });
});
