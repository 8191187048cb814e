/**
 * Redis's stringmatchlen (util.c) for PSUBSCRIBE and COMMAND LIST FILTERBY
 * PATTERN: `*`, `?`, `[abc]`, `[^a-z]`, `\x` escapes. It works on bytes, like
 * Redis, so `?` matches one byte of a multi-byte UTF-8 character.
 *
 * Out-of-range reads return undefined where C reads the string's NUL
 * terminator; both compare unequal to every pattern character.
 */

import { textToBytes } from '../byteText.js';

/** Recursion guard from Redis: abusive patterns stop matching instead of exhausting the stack. */
const NESTING_MAX = 1000;

export function globMatch(pattern: string | Buffer, subject: string | Buffer, nocase = false): boolean {
  const p = typeof pattern === 'string' ? textToBytes(pattern) : pattern;
  const s = typeof subject === 'string' ? textToBytes(subject) : subject;
  return matchAt(p, 0, s, 0, nocase, { skipLonger: false }, 0);
}

interface MatchState {
  /** Set once a `*` failed at every offset: a longer match for an earlier `*` cannot help. */
  skipLonger: boolean;
}

function lower(c: number | undefined): number | undefined {
  return c !== undefined && c >= 65 && c <= 90 ? c + 32 : c;
}

function same(a: number | undefined, b: number | undefined, nocase: boolean): boolean {
  return nocase ? lower(a) === lower(b) : a === b;
}

function matchAt(p: Buffer, pi: number, s: Buffer, si: number, nocase: boolean, st: MatchState, nesting: number): boolean {
  if (nesting > NESTING_MAX) return false;
  while (pi < p.length && si < s.length) {
    const c = p[pi];
    if (c === 42 /* * */) {
      while (p[pi + 1] === 42) pi++;
      if (pi + 1 === p.length) return true;
      for (; si < s.length; si++) {
        if (matchAt(p, pi + 1, s, si, nocase, st, nesting + 1)) return true;
        if (st.skipLonger) return false;
      }
      st.skipLonger = true;
      return false;
    } else if (c === 63 /* ? */) {
      si++;
    } else if (c === 91 /* [ */) {
      const r = matchClass(p, pi + 1, s[si], nocase);
      if (!r.match) return false;
      pi = r.end;
      si++;
    } else {
      if (c === 92 /* \ */ && p.length - pi >= 2) pi++;
      if (!same(p[pi], s[si], nocase)) return false;
      si++;
    }
    pi++;
    if (si === s.length) {
      while (p[pi] === 42) pi++;
      break;
    }
  }
  return pi === p.length && si === s.length;
}

/** Matches one byte against the class starting after '['; end is the index of the closing ']' (or the last byte). */
function matchClass(p: Buffer, start: number, c: number | undefined, nocase: boolean): { match: boolean; end: number } {
  let pi = start;
  const not = p[pi] === 94; /* ^ */
  if (not) pi++;
  let match = false;
  for (;;) {
    const left = p.length - pi;
    if (p[pi] === 92 /* \ */ && left >= 2) {
      pi++;
      if (p[pi] === c) match = true;
    } else if (p[pi] === 93 /* ] */) {
      break;
    } else if (left === 0) {
      // Unterminated class: Redis steps back so the outer loop ends on the last byte.
      pi--;
      break;
    } else if (left >= 3 && p[pi + 1] === 45 /* - */) {
      match = inRange(p[pi] as number, p[pi + 2] as number, c, nocase) || match;
      pi += 2;
    } else if (same(p[pi], c, nocase)) {
      match = true;
    }
    pi++;
  }
  return { match: not ? !match : match, end: pi };
}

function inRange(a: number, b: number, c: number | undefined, nocase: boolean): boolean {
  let start = Math.min(a, b);
  let end = Math.max(a, b);
  let x = c;
  if (nocase) {
    start = lower(start) as number;
    end = lower(end) as number;
    x = lower(x);
  }
  return x !== undefined && x >= start && x <= end;
}
