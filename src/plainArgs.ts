/**
 * The usual start, `tssentinel <config> [--directive value ...]`, parsed
 * without commander (~5 MB of RSS kept for the life of the process): it gives
 * the same args as commander for tokens it has no option for. Anything it
 * could treat specially (-h, --help, -v, --version, --test-config, `--`, a
 * short option, a missing or dash-led config) returns undefined: commander
 * parses it.
 */
export function plainArgs(tokens: readonly string[]): string[] | undefined {
  const first = tokens[0];
  if (first === undefined || first.startsWith('-')) return undefined;
  for (const t of tokens) {
    if (!t.startsWith('-')) continue;
    if (!t.startsWith('--') || t === '--') return undefined;
    if (/^--(help|version|test-config)(=|$)/.test(t)) return undefined;
  }
  return [...tokens];
}
