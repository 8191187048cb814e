/**
 * C number parsing (atoi, strtoull, Redis's string2ll), so odd values in a
 * config file behave as they do in Redis. Pure: no I/O.
 */

const C_SPACE_SIGN_DIGITS = /^[ \t\n\v\f\r]*([+-]?)([0-9]*)/;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** C atoi() as glibc does it: strtol (saturating at 64 bits) cast to int. "abc" is 0. */
export function cAtoi(s: string): number {
  const m = C_SPACE_SIGN_DIGITS.exec(s);
  if (!m?.[2]) return 0;
  let v = BigInt(m[2]);
  if (m[1] === '-') v = -v;
  if (v > INT64_MAX) v = INT64_MAX;
  if (v < INT64_MIN) v = INT64_MIN;
  return Number(BigInt.asIntN(32, v));
}

/**
 * C strtoull(s, NULL, 10): "abc" is 0, "-1" wraps to 2^64-1, overflow
 * saturates. Values above 2^53 lose precision as JS numbers.
 */
export function cStrtoull(s: string): number {
  const m = C_SPACE_SIGN_DIGITS.exec(s);
  if (!m?.[2]) return 0;
  const v = BigInt(m[2]);
  if (v > UINT64_MAX) return Number(UINT64_MAX);
  return Number(m[1] === '-' ? BigInt.asUintN(64, -v) : v);
}

/** Redis string2ll(): strict decimal, no '+', no leading zeros, no "-0", 64-bit range. */
export function string2ll(s: string): number | undefined {
  if (!/^(0|-?[1-9][0-9]*)$/.test(s)) return undefined;
  const v = BigInt(s);
  return v > INT64_MAX || v < INT64_MIN ? undefined : Number(v);
}
