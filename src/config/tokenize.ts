/**
 * Redis config-file quoting, the writing side: `sdscatrepr` and the bare form
 * Redis prints with `%s`, byte-compatible with redis 7.0. Lines are read back
 * with splitArgsText (../redisArgs.ts), Redis's sdssplitargs.
 */
import { textToBytes } from '../byteText.js';
import { reprBytes } from '../redisArgs.js';

/**
 * Always-quoted form, byte for byte what Redis `sdscatrepr` produces (used by
 * Redis for string options such as `dir`, `logfile` and `sentinel announce-ip`).
 * Bytes outside printable ASCII become lowercase `\xhh`: a value that is
 * not UTF-8 (../byteText.ts) is written as its bytes, escaped.
 */
export function reprArg(s: string): string {
  return reprBytes(textToBytes(s));
}

/**
 * Lone UTF-16 surrogates (bytes that are not UTF-8, ../byteText.ts) are
 * never left bare: quoted, the file stays UTF-8 and says which bytes they are.
 */
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
