/**
 * Values in log lines and events are escaped as Redis's sdscatrepr would,
 * without its quotes: an ordinary name is unchanged, a newline cannot start
 * a line, and the escaped text wrapped in quotes reads back as the value.
 */
import { describe, expect, it } from 'vitest';
import { redisStyleLine } from '../../src/log.js';
import { bytesToText } from '../../src/byteText.js';
import { escapeText, escapeUnprintableText, splitArgsText } from '../../src/redisArgs.js';

describe('escaping bytes that are not UTF-8', () => {
  it('shows a stray byte (carried as its escape code point) as that byte, not as U+FFFD', () => {
    const text = bytesToText(Buffer.from([0x70, 0xff, 0xfe, 0x71]));
    expect(escapeText(text)).toBe('p\\xff\\xfeq');
    expect(escapeUnprintableText(`x ${text}`)).toBe('x p\\xff\\xfeq');
  });
});

describe('escapeText', () => {
  it('leaves ordinary values as Redis prints them', () => {
    expect(escapeText('master mymaster 127.0.0.1 6379 @ m ::1 26379 #quorum 2/3')).toBe(
      'master mymaster 127.0.0.1 6379 @ m ::1 26379 #quorum 2/3');
    expect(escapeText('')).toBe('');
  });

  it('escapes what sdscatrepr escapes, without the quotes', () => {
    expect(escapeText('a"b\\c\n\r\t\x07\b\x01\x1b\x7fé')).toBe('a\\"b\\\\c\\n\\r\\t\\a\\b\\x01\\x1b\\x7f\\xc3\\xa9');
  });

  it('reads back as the same value once quoted', () => {
    for (const value of ['x\n1:X # +switch-master', 'a"b\\c', '\u2028\u0085é\x00', 'plain']) {
      expect(splitArgsText(`"${escapeText(value)}"`)).toEqual([value]);
    }
  });
});

describe('escapeUnprintableText', () => {
  it('keeps backslashes and quotes, so escaped text is not escaped twice', () => {
    const escaped = escapeText('x\n"y"');
    expect(escapeUnprintableText(escaped)).toBe(escaped);
  });

  it('escapes every byte that is not printable ASCII', () => {
    expect(escapeUnprintableText('a\nb\r\x1b[2J\u0085\\"')).toBe('a\\nb\\r\\x1b[2J\\xc2\\x85\\"');
  });
});

describe('Redis-style log lines', () => {
  const t = new Date(2026, 10, 22, 0, 38, 4, 123).getTime();

  it('keep one record on one line whatever the message and error hold', () => {
    const line = redisStyleLine(JSON.stringify({ level: 40, time: t, pid: 42, msg: 'Failed to resolve hostname \'a\n7:X # forged\'', err: 'b\r\nc' }));
    expect(line).toBe('42:X 22 Nov 2026 00:38:04.123 # Failed to resolve hostname \'a\\n7:X # forged\' (b\\r\\nc)');
  });
});
