import { describe, expect, it } from 'vitest';
import { encodeReply, encodeReplyChunk, formatDouble } from '../../src/server/encode.js';
import {
  NULL,
  OK,
  array,
  bulk,
  bulkArray,
  error,
  fieldMap,
  int,
  map,
  simple,
  stringMap,
  verbatim,
  type Reply,
} from '../../src/server/reply.js';

const enc = (r: Reply, p: 2 | 3): string => encodeReply(r, p).toString('latin1');

/** [reply, RESP2 bytes, RESP3 bytes]; the expected bytes were read from redis-sentinel 7.0.15. */
const cases: Array<[string, Reply, string, string]> = [
  ['simple', OK, '+OK\r\n', '+OK\r\n'],
  ['error', error('ERR syntax error'), '-ERR syntax error\r\n', '-ERR syntax error\r\n'],
  ['error with newlines keeps one line', error('ERR a\r\nb'), '-ERR a  b\r\n', '-ERR a  b\r\n'],
  ['integer', int(-42), ':-42\r\n', ':-42\r\n'],
  ['bigint', int(2n ** 63n - 1n), ':9223372036854775807\r\n', ':9223372036854775807\r\n'],
  ['bulk', bulk('abc'), '$3\r\nabc\r\n', '$3\r\nabc\r\n'],
  ['empty bulk', bulk(''), '$0\r\n\r\n', '$0\r\n\r\n'],
  ['bulk length counts UTF-8 bytes', bulk('é'), '$2\r\n\xc3\xa9\r\n', '$2\r\n\xc3\xa9\r\n'],
  ['binary bulk', bulk(Buffer.from([0, 255, 13, 10])), '$4\r\n\x00\xff\r\n\r\n', '$4\r\n\x00\xff\r\n\r\n'],
  ['null', NULL, '$-1\r\n', '_\r\n'],
  ['null array', { kind: 'nullArray' }, '*-1\r\n', '_\r\n'],
  ['empty array', array([]), '*0\r\n', '*0\r\n'],
  ['array', bulkArray(['a', 'b']), '*2\r\n$1\r\na\r\n$1\r\nb\r\n', '*2\r\n$1\r\na\r\n$1\r\nb\r\n'],
  ['map (HELLO-style)', fieldMap([['proto', int(3)]]), '*2\r\n$5\r\nproto\r\n:3\r\n', '%1\r\n$5\r\nproto\r\n:3\r\n'],
  ['string map', stringMap([['a', '1'], ['b', '2']]), '*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n', '%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n'],
  ['set', { kind: 'set', items: [simple('fast')] }, '*1\r\n+fast\r\n', '~1\r\n+fast\r\n'],
  ['push', { kind: 'push', items: [bulk('message'), bulk('c'), bulk('m')] }, '*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n', '>3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n'],
  ['double', { kind: 'double', value: 172.875 }, '$7\r\n172.875\r\n', ',172.875\r\n'],
  ['double with 17 digits', { kind: 'double', value: 290.655 }, '$18\r\n290.65499999999997\r\n', ',290.65499999999997\r\n'],
  ['zero double', { kind: 'double', value: 0 }, '$1\r\n0\r\n', ',0\r\n'],
  ['infinite double', { kind: 'double', value: -Infinity }, '$4\r\n-inf\r\n', ',-inf\r\n'],
  ['bool', { kind: 'bool', value: true }, ':1\r\n', '#t\r\n'],
  ['false', { kind: 'bool', value: false }, ':0\r\n', '#f\r\n'],
  ['verbatim', verbatim('id=1\n'), '$5\r\nid=1\n\r\n', '=9\r\ntxt:id=1\n\r\n'],
  ['verbatim counts UTF-8 bytes', verbatim('é'), '$2\r\n\xc3\xa9\r\n', '=6\r\ntxt:\xc3\xa9\r\n'],
  ['raw', { kind: 'raw', value: Buffer.from('+X\r\n') }, '+X\r\n', '+X\r\n'],
  [
    'nested with nulls and maps',
    array([map([[bulk('k'), array([NULL, int(1)])]]), { kind: 'nullArray' }]),
    '*2\r\n*2\r\n$1\r\nk\r\n*2\r\n$-1\r\n:1\r\n*-1\r\n',
    '*2\r\n%1\r\n$1\r\nk\r\n*2\r\n_\r\n:1\r\n_\r\n',
  ],
];

describe('encodeReply', () => {
  for (const [name, reply, resp2, resp3] of cases) {
    it(`${name} (RESP2)`, () => expect(enc(reply, 2)).toBe(resp2));
    it(`${name} (RESP3)`, () => expect(enc(reply, 3)).toBe(resp3));
  }

  it('keeps text replies as strings and binary ones as one Buffer', () => {
    expect(typeof encodeReplyChunk(bulkArray(['a']), 2)).toBe('string');
    const mixed = encodeReplyChunk(array([bulk('a'), bulk(Buffer.from('b')), bulk('c')]), 3);
    expect(Buffer.isBuffer(mixed)).toBe(true);
    expect(mixed.toString()).toBe('*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n');
  });
});

describe('formatDouble (printf %.17g, as Redis)', () => {
  const cases: Array<[number, string]> = [
    [1.5, '1.5'],
    [0.1, '0.10000000000000001'],
    [100, '100'],
    [-2.5, '-2.5'],
    [1e16, '10000000000000000'],
    [1e17, '1e+17'],
    [1.5e300, '1.5000000000000001e+300'],
    [0.0001, '0.0001'],
    [0.00001, '1.0000000000000001e-05'],
    [123456789.123, '123456789.123'],
    [-0, '-0'],
    [Infinity, 'inf'],
    [NaN, 'nan'],
  ];
  for (const [value, text] of cases) it(`${value}`, () => expect(formatDouble(value)).toBe(text));
});
