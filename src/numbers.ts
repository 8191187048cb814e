/**
 * Integer parsing as Redis does it: one function per C routine Redis calls,
 * so each caller picks the variant Redis uses at that place.
 *
 * - string2ll: strict (commands, request headers, most config values).
 * - cAtoi / cStrtoll / cStrtoull: lenient C conversions, where Redis's
 *   config loader uses atoi() / strtoll() / strtoull() ("abc" is 0,
 *   trailing junk ignored).
 *
 * Values past 2^53 are returned as the nearest double.
 */

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
/** The longest text string2ll accepts: "-9223372036854775808". */
const LL_MAX_CHARS = 20;
const MINUS = 45;
const ZERO = 48;
const ONE = 49;
const NINE = 57;

/**
 * Redis's string2ll over bytes (the request decoder's `*<n>` and `$<n>`):
 * optional '-', no '+', no leading zeros, no "-0", no spaces, 64-bit range.
 * Undefined where Redis's would fail.
 */
export function string2llBytes(buf: Uint8Array, start: number, end: number): number | undefined {
  const len = end - start;
  if (len <= 0 || len > LL_MAX_CHARS) return undefined;
  if (len === 1 && buf[start] === ZERO) return 0;
  let i = start;
  const negative = buf[i] === MINUS;
  if (negative) i++;
  const first = buf[i];
  if (i >= end || first === undefined || first < ONE || first > NINE) return undefined;
  let n = 0;
  for (; i < end; i++) {
    const c = buf[i] as number;
    if (c < ZERO || c > NINE) return undefined;
    n = n * 10 + (c - ZERO);
  }
  // Below 2^53 the sum above is exact; past it only BigInt can tell whether
  // the value still fits a long long.
  if (n < 2 ** 53) return negative ? -n : n;
  const big = BigInt(Buffer.from(buf.subarray(start, end)).toString('latin1'));
  return big > INT64_MAX || big < INT64_MIN ? undefined : Number(big);
}

/** Redis's string2ll for an argument or config value (see string2llBytes). */
export function string2ll(s: string): number | undefined {
  // Only ASCII can be digits; latin1 would fold other characters onto them.
  if (s.length > LL_MAX_CHARS || /[^\x00-\x7f]/.test(s)) return undefined;
  return string2llBytes(Buffer.from(s, 'latin1'), 0, s.length);
}

const C_SPACE_SIGN_DIGITS = /^[ \t\n\v\f\r]*([+-]?)([0-9]*)/;

/** C strtoll(s, NULL, 10): leading spaces and sign, digits up to the first other character; saturates at 64 bits. "abc" is 0. */
export function cStrtoll(s: string): number {
  return Number(strtollBig(s));
}

/** C atoi() as glibc does it: strtol (saturating at 64 bits) cast to int. "abc" is 0. */
export function cAtoi(s: string): number {
  return Number(BigInt.asIntN(32, strtollBig(s)));
}

function strtollBig(s: string): bigint {
  const m = C_SPACE_SIGN_DIGITS.exec(s);
  if (!m?.[2]) return 0n;
  const v = m[1] === '-' ? -BigInt(m[2]) : BigInt(m[2]);
  return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : v;
}

/** C strtoull(s, NULL, 10): "abc" is 0, "-1" wraps to 2^64-1, overflow saturates. */
export function cStrtoull(s: string): number {
  const m = C_SPACE_SIGN_DIGITS.exec(s);
  if (!m?.[2]) return 0;
  const v = BigInt(m[2]);
  if (v > UINT64_MAX) return Number(UINT64_MAX);
  return Number(m[1] === '-' ? BigInt.asUintN(64, -v) : v);
}
