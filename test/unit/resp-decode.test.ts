import { describe, expect, it } from 'vitest';
import { seededRandom as mulberry32 } from '../../src/core/sentinel.js';
import { RequestDecoder } from '../../src/server/decode.js';
import { splitArgs as splitBytes } from '../../src/redisArgs.js';

interface Decoded {
  commands: string[][];
  error?: string;
}

/** Feeds `input` cut at the given sizes, draining after every chunk, like the server does. */
function decodeChunked(input: Buffer, chunkSizes: (i: number) => number, authRequired = false): Decoded {
  const d = new RequestDecoder();
  d.authRequired = authRequired;
  const commands: string[][] = [];
  let error: string | undefined;
  for (let pos = 0, i = 0; pos < input.length && error === undefined; i++) {
    const n = Math.max(1, chunkSizes(i));
    d.feed(input.subarray(pos, pos + n));
    pos += n;
    error = d.drain((argv) => {
      commands.push(argv.toStrings());
      return true;
    });
  }
  return error === undefined ? { commands } : { commands, error };
}

function whole(input: Buffer | string, authRequired = false): Decoded {
  const buf = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  return decodeChunked(buf, () => buf.length, authRequired);
}

function byteByByte(input: Buffer | string, authRequired = false): Decoded {
  const buf = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  return decodeChunked(buf, () => 1, authRequired);
}

/** Every case must decode the same whole and byte by byte. */
function decode(input: string | Buffer, authRequired = false): Decoded {
  const a = whole(input, authRequired);
  const b = byteByByte(input, authRequired);
  expect(b).toEqual(a);
  return a;
}

const PE = (what: string): string => `Protocol error: ${what}`;

describe('multibulk requests', () => {
  const cases: Array<[string, string, string[][]]> = [
    ['one command', '*1\r\n$4\r\nPING\r\n', [['PING']]],
    ['arguments', '*3\r\n$8\r\nsentinel\r\n$3\r\nset\r\n$0\r\n\r\n', [['sentinel', 'set', '']]],
    ['pipelined', '*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n', [['PING'], ['ECHO', 'hi']]],
    ['*0 and *-1 are ignored', '*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n', [['PING']]],
    ['payload with CRLF inside', '*2\r\n$4\r\nPING\r\n$4\r\na\r\nb\r\n', [['PING', 'a\r\nb']]],
    ['bytes after a payload are skipped unchecked', '*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n', [['PING'], ['PING']]],
    ['byte after a header CR is skipped unchecked', '*1\rX$4\r\nPING\r\n', [['PING']]],
    ['UTF-8 argument', '*2\r\n$4\r\nPING\r\n$2\r\n\xc3\xa9\r\n', [['PING', 'é']]],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => expect(decode(input)).toEqual({ commands: expected }));
  }

  it('half frames wait for the rest', () => {
    for (const partial of ['*', '*1', '*1\r', '*1\r\n$', '*1\r\n$4\r', '*1\r\n$4\r\nPI', '*1\r\n$4\r\nPING\r']) {
      expect(decode(partial)).toEqual({ commands: [] });
    }
  });

  it('a huge declared length waits', () => {
    expect(decode('*2147483647\r\n')).toEqual({ commands: [] });
    expect(decode('*1\r\n$536870912\r\n')).toEqual({ commands: [] });
  });

  it('large payloads split in many chunks', () => {
    const payload = 'x'.repeat(100_000);
    const input = Buffer.from(`*2\r\n$4\r\nPING\r\n$${payload.length}\r\n${payload}\r\n*1\r\n$4\r\nPING\r\n`);
    const expected = { commands: [['PING', payload], ['PING']] };
    expect(whole(input)).toEqual(expected);
    expect(decodeChunked(input, (i) => 1 + ((i * 7919) % 3000))).toEqual(expected);
  });
});

describe('protocol errors (texts from redis-sentinel 7.0.15)', () => {
  const cases: Array<[string, string, string, string[][]?]> = [
    ['non-numeric count', '*a\r\n', PE('invalid multibulk length')],
    ['count above INT_MAX', '*2147483648\r\n', PE('invalid multibulk length')],
    ['leading zero', '*01\r\n', PE('invalid multibulk length')],
    ['plus sign', '*+1\r\n', PE('invalid multibulk length')],
    ['21-digit count', '*999999999999999999999\r\n', PE('invalid multibulk length')],
    ['non-numeric bulk length', '*1\r\n$a\r\n', PE('invalid bulk length')],
    ['negative bulk length', '*1\r\n$-1\r\n', PE('invalid bulk length')],
    ['bulk length leading zero', '*1\r\n$04\r\nPING\r\n', PE('invalid bulk length')],
    ['bulk above 512MB', '*1\r\n$536870913\r\n', PE('invalid bulk length')],
    ['not a bulk', '*1\r\nx\r\n', PE("expected '$', got 'x'")],
    ['integer item', '*1\r\n:1\r\n', PE("expected '$', got ':'")],
    ['unbalanced quotes', '"a\r\n', PE('unbalanced quotes in request')],
    ['closing quote glued to text', 'ping "a"b\r\n', PE('unbalanced quotes in request')],
    ['closing quote glued to text inside a token', 'ping a"b c"d\r\n', PE('unbalanced quotes in request')],
    ['commands before the error still run', 'PING\r\n*a\r\nPING\r\n', PE('invalid multibulk length'), [['PING']]],
  ];
  for (const [name, input, error, commands] of cases) {
    it(name, () => expect(decode(input)).toEqual({ commands: commands ?? [], error }));
  }

  it('too big inline request', () => {
    expect(decode('x'.repeat(70_000))).toEqual({ commands: [], error: PE('too big inline request') });
    // A line longer than the limit fails even when its newline came in the same read.
    expect(decode(`${'x'.repeat(70_000)}\r\n`)).toEqual({ commands: [], error: PE('too big inline request') });
    expect(decode(`PING ${'x'.repeat(60_000)}\r\n`).commands[0]?.[1]?.length).toBe(60_000);
  });

  it('too big count strings', () => {
    expect(decode(`*${'1'.repeat(70_000)}`)).toEqual({ commands: [], error: PE('too big mbulk count string') });
    expect(decode(`*1\r\n$${'1'.repeat(70_000)}`)).toEqual({ commands: [], error: PE('too big bulk count string') });
  });

  it('unauthenticated clients get small limits', () => {
    expect(decode('*11\r\n', true)).toEqual({ commands: [], error: PE('unauthenticated multibulk length') });
    expect(decode('*1\r\n$16385\r\n', true)).toEqual({ commands: [], error: PE('unauthenticated bulk length') });
    expect(decode('*10\r\n$16384\r\n', true)).toEqual({ commands: [] });
    expect(decode('*11\r\n', false)).toEqual({ commands: [] });
  });

  it('ignores input after an error', () => {
    const d = new RequestDecoder();
    d.feed(Buffer.from('*a\r\n'));
    expect(d.drain(() => true)).toBe(PE('invalid multibulk length'));
    d.feed(Buffer.from('PING\r\n'));
    const seen: string[][] = [];
    expect(d.drain((argv) => seen.push(argv.toStrings()) > 0)).toBe(PE('invalid multibulk length'));
    expect(seen).toEqual([]);
    expect(d.pendingBytes).toBe(0);
  });
});

describe('inline commands', () => {
  const cases: Array<[string, string, string[][]]> = [
    ['CRLF', 'PING\r\n', [['PING']]],
    ['bare LF', 'ping x\n', [['ping', 'x']]],
    ['empty lines are ignored', '\r\n\n\r\nPING\r\n', [['PING']]],
    ['spaces and tabs', 'ping  \t  x  \r\n', [['ping', 'x']]],
    ['double quotes', 'ping "a b" c\r\n', [['ping', 'a b', 'c']]],
    ['escapes', 'ping "\\x41\\n\\t\\"q"\r\n', [['ping', 'A\n\t"q']]],
    ['bad hex escape is literal', 'ping "\\x4"\r\n', [['ping', 'x4']]],
    ['single quotes', "ping 'a\\'b' 'c\\n'\r\n", [['ping', "a'b", 'c\\n']]],
    ['quote opening inside a token', 'ping a"b c" d\r\n', [['ping', 'ab c', 'd']]],
    ['empty quoted string', 'ping ""\r\n', [['ping', '']]],
    ['vertical tab is a separator only between tokens', 'ping \x0bx y\x0bz\r\n', [['ping', 'x', 'y\x0bz']]],
    ['CR inside a line separates', 'PI\rNG\r\n', [['PI', 'NG']]],
    ['mixed with multibulk', 'PING\r\n*1\r\n$4\r\nPING\r\nPING a\r\n', [['PING'], ['PING'], ['PING', 'a']]],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => expect(decode(input)).toEqual({ commands: expected }));
  }

  it('a NUL byte hides the line end, as strchr() does in Redis', () => {
    expect(decode('PI\x00NG\r\nPING\r\n')).toEqual({ commands: [] });
    expect(decode('*1\x00\r\n$4\r\nPING\r\n')).toEqual({ commands: [] });
    expect(decode(`PI\x00${'x'.repeat(70_000)}`)).toEqual({ commands: [], error: PE('too big inline request') });
  });

  it('splitArgs mirrors sdssplitargs', () => {
    const splitArgs = (b: Buffer): string[] | undefined => splitBytes(b)?.map((a) => a.toString('utf8'));
    expect(splitArgs(Buffer.from(''))).toEqual([]);
    expect(splitArgs(Buffer.from('   '))).toEqual([]);
    expect(splitArgs(Buffer.from('"unterminated'))).toBeUndefined();
    expect(splitArgs(Buffer.from("'unterminated"))).toBeUndefined();
    expect(splitArgs(Buffer.from('a\x00b c'))).toEqual(['a']);
  });
});

describe('flow control', () => {
  it('stops when the sink returns false and resumes on the next drain', () => {
    const d = new RequestDecoder();
    d.feed(Buffer.from('PING 1\r\nPING 2\r\n*1\r\n$4\r\nPING\r\n'));
    const seen: string[][] = [];
    d.drain((argv) => {
      seen.push(argv.toStrings());
      return false;
    });
    expect(seen).toEqual([['PING', '1']]);
    expect(d.pendingBytes).toBe(22);
    d.drain((argv) => seen.push(argv.toStrings()) > 0);
    expect(seen).toEqual([['PING', '1'], ['PING', '2'], ['PING']]);
    expect(d.pendingBytes).toBe(0);
  });
});

describe('junk never throws and never depends on chunking', () => {
  const alphabet = Buffer.from('*$\r\n0123456789-+ "\'\\xPINGa\x00\xff');

  it('random inputs', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const rnd = mulberry32(seed);
      const len = Math.floor(rnd() * 120);
      const input = Buffer.alloc(len);
      for (let i = 0; i < len; i++) {
        input[i] = rnd() < 0.85 ? (alphabet[Math.floor(rnd() * alphabet.length)] as number) : Math.floor(rnd() * 256);
      }
      const a = whole(input);
      expect(byteByByte(input), `seed ${seed}`).toEqual(a);
      expect(decodeChunked(input, () => 1 + Math.floor(rnd() * 9)), `seed ${seed}`).toEqual(a);
    }
  });
});
