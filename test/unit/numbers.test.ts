import { describe, it, expect } from 'vitest';
import { cAtoi, cStrtoll, cStrtoull, string2ll, string2llBytes } from '../../src/numbers.js';

describe('string2ll: Redis strict integers', () => {
  it('accepts plain decimals up to the long long range, exactly at its ends', () => {
    expect(string2ll('0')).toBe(0);
    expect(string2ll('-17')).toBe(-17);
    expect(string2ll('9007199254740993')).toBe(Number(9007199254740993n));
    expect(string2ll('9223372036854775807')).toBe(Number(2n ** 63n - 1n));
    expect(string2ll('-9223372036854775808')).toBe(-(2 ** 63));
  });

  it('rejects what Redis rejects', () => {
    for (const s of ['', '-', '-0', '+1', '01', ' 1', '1 ', '1.0', '0x10', '9223372036854775808', '-9223372036854775809', '99999999999999999999', '\u0130']) {
      expect(string2ll(s), JSON.stringify(s)).toBeUndefined();
    }
  });

  it('the byte variant agrees with the text one', () => {
    const samples = ['0', '-0', '12', '-12', '012', '+3', '9223372036854775807', '9223372036854775808', '-9223372036854775808', 'x1'];
    for (const s of samples) {
      const b = Buffer.from(`*${s}\r`);
      expect(string2llBytes(b, 1, b.length - 1), s).toBe(string2ll(s));
    }
  });
});

describe('C conversions used by the config loader', () => {
  it('cAtoi is lenient and 32-bit', () => {
    expect(cAtoi('  42abc')).toBe(42);
    expect(cAtoi('abc')).toBe(0);
    expect(cAtoi('4294967297')).toBe(1);
  });

  it('cStrtoll saturates at 64 bits and stops at the first non-digit', () => {
    expect(cStrtoll('60mb')).toBe(60);
    expect(cStrtoll('-7')).toBe(-7);
    expect(cStrtoll('99999999999999999999')).toBe(Number(2n ** 63n - 1n));
    expect(cStrtoll('kb')).toBe(0);
  });

  it('cStrtoull wraps negatives', () => {
    expect(cStrtoull('-1')).toBe(Number(2n ** 64n - 1n));
    expect(cStrtoull('7x')).toBe(7);
  });
});
