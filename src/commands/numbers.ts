/** Integer parsing with Redis's strictness (string2ll): no spaces, no "+", no overflow. */
export function parseStrictInt(s: string): number | undefined {
  if (!/^-?(0|[1-9]\d{0,17})$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}
