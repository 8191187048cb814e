import { describe, expect, it } from 'vitest';
import { globMatch } from '../../src/server/glob.js';

/**
 * [pattern, subject, matches], read from redis-server 7.0.15 (KEYS pattern
 * over a one-key database), so quirks such as "[+-]" being a range up to ']'
 * are Redis's own.
 */
const FROM_REDIS: Array<[string, string, boolean]> = [
  ["*", "anything", true],
  ["", "a", false],
  ["?", "a", true],
  ["?", "ab", false],
  ["h?llo", "hello", true],
  ["h?llo", "hllo", false],
  ["h*llo", "hllo", true],
  ["h*llo", "heeeello", true],
  ["h*llo", "hello!", false],
  ["h[ae]llo", "hello", true],
  ["h[ae]llo", "hallo", true],
  ["h[ae]llo", "hillo", false],
  ["h[^e]llo", "hallo", true],
  ["h[^e]llo", "hello", false],
  ["h[a-b]llo", "hbllo", true],
  ["h[a-b]llo", "hcllo", false],
  ["h[b-a]llo", "hallo", true],
  ["h\\*llo", "h*llo", true],
  ["h\\*llo", "hello", false],
  ["[abc", "a", true],
  ["[abc", "c", true],
  ["[abc", "d", false],
  ["a[", "a", false],
  ["a[", "a[", false],
  ["[]", "]", false],
  ["[]]", "]", false],
  ["[\\]]", "]", true],
  ["[\\", "\\", true],
  ["\\", "\\", true],
  ["a\\", "a\\", true],
  ["a\\", "a", false],
  ["[a-]", "-", false],
  ["[a-]", "a", true],
  ["[-a]", "-", true],
  ["**a", "ba", true],
  ["a**", "abc", true],
  ["*a*b*c*", "xaybzc", true],
  ["*a*b*c*", "xaybz", false],
  ["__sentinel__:*", "__sentinel__:hello", true],
  ["+*", "+sdown", true],
  ["+*", "-sdown", false],
  ["*down", "+odown", true],
  ["[+-]sdown", "-sdown", false],
  ["[^+]sdown", "+sdown", false],
  ["a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false],
  ["?", "é", false],
  ["??", "é", true],
  ["[é]", "é", false],
  ["H?LLO", "hello", false],
  ["*?", "a", true],
  ["[a-c", "b", true],
  ["[a-", "a", true],
  ["[^]", "a", true],
  ["[^", "a", true],
];

describe('globMatch (Redis stringmatchlen)', () => {
  for (const [pattern, subject, matches] of FROM_REDIS) {
    it(`${JSON.stringify(pattern)} vs ${JSON.stringify(subject)}`, () => expect(globMatch(pattern, subject)).toBe(matches));
  }

  it('empty subjects: only the empty pattern matches (the loop never runs)', () => {
    expect(globMatch('', '')).toBe(true);
    expect(globMatch('*', '')).toBe(false);
    expect(globMatch('?', '')).toBe(false);
    expect(globMatch('[', '')).toBe(false);
  });

  it('nocase folds ASCII letters, ranges included', () => {
    expect(globMatch('H?LLO', 'hello', true)).toBe(true);
    expect(globMatch('[A-C]x', 'bX', true)).toBe(true);
    expect(globMatch('*SENTINEL*', 'Sentinel-Pass', true)).toBe(true);
  });

  it('accepts Buffers', () => {
    expect(globMatch(Buffer.from('a?c'), Buffer.from([97, 0xff, 99]))).toBe(true);
  });

  it('abusive patterns stay fast', () => {
    const subject = 'a'.repeat(5000);
    const start = Date.now();
    expect(globMatch(`${'a*'.repeat(100)}b`, subject)).toBe(false);
    expect(globMatch('*'.repeat(3000) + 'b', subject)).toBe(false);
    expect(Date.now() - start).toBeLessThan(1000);
  });

  it('stops at the nesting limit instead of overflowing the stack', () => {
    const pattern = `${'a*'.repeat(1500)}`;
    expect(() => globMatch(pattern, 'a'.repeat(2000))).not.toThrow();
  });
});
