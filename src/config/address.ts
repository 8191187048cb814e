/**
 * Instance addresses as Redis checks them (createSentinelAddr): a port in
 * 0..65535, and a numeric host stored as inet_ntop prints it, or a hostname
 * when resolve-hostnames is on. Shared by the config loader and by the core
 * for addresses learned from the network (hellos), so that whatever is
 * accepted at run time loads again at the next start. Pure: no I/O.
 */
// (getaddrinfo with AI_NUMERICHOST) and stores the address as inet_ntop
// prints it, so `127.1` is saved as `127.0.0.1`.

/** glibc inet_aton: 1 to 4 parts, each decimal, 0-octal or 0x-hex. */
function inetAton(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length > 4) return undefined;
  const vals: number[] = [];
  for (const p of parts) {
    if (!/^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(p)) return undefined;
    const v = /^0[xX]/.test(p) ? parseInt(p.slice(2), 16) : p.startsWith('0') ? parseInt(p, 8) : Number(p);
    vals.push(v);
  }
  const last = vals.pop() ?? 0;
  if (vals.some((v) => v > 0xff) || last >= 2 ** (8 * (4 - vals.length))) return undefined;
  const bytes = [...vals];
  for (let k = 3 - vals.length; k >= 0; k--) bytes.push(Math.floor(last / 2 ** (8 * k)) % 256);
  return bytes;
}

function ipv6Words(s: string): number[] | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return undefined;
  let canon: string;
  try {
    canon = new URL(`http://[${s}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  // WHATWG output is pure hex groups with at most one "::".
  const [left = '', right] = canon.split('::');
  const l = left ? left.split(':') : [];
  const r = right ? right.split(':') : [];
  const groups = right === undefined ? l : [...l, ...Array<string>(8 - l.length - r.length).fill('0'), ...r];
  return groups.map((g) => parseInt(g, 16));
}

/** inet_ntop for IPv6, glibc flavour (first longest zero run, embedded IPv4 for ::a.b.c.d and ::ffff:a.b.c.d). */
function inetNtop6(w: number[]): string {
  let best = { base: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i >= 2 && j - i > best.len) best = { base: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && w[5] === 0xffff))) {
      const a = w[6] ?? 0;
      const b = w[7] ?? 0;
      return out + [a >> 8, a & 0xff, b >> 8, b & 0xff].join('.');
    }
    out += (w[i] ?? 0).toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) out += ':';
  return out;
}

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const CANONICAL_V4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/** The canonical numeric form of host, or undefined when it is not a numeric address. */
export function normalizeNumericHost(host: string): string | undefined {
  // Fast path: a dotted quad already in inet_ntop's form (every hello carries two).
  if (CANONICAL_V4.test(host)) return host;
  const v4 = inetAton(host);
  if (v4) return v4.join('.');
  const v6 = ipv6Words(host);
  return v6 ? inetNtop6(v6) : undefined;
}


export type AddressCheck = { host: string; port: number } | string;

/** Redis createSentinelAddr(): port range first, then the host. */
export function checkAddress(host: string, port: number, resolveHostnames: boolean): AddressCheck {
  if (!Number.isInteger(port) || port < 0 || port > 65535) return 'Invalid port number.';
  const numeric = normalizeNumericHost(host);
  if (numeric !== undefined) return { host: numeric, port };
  if (resolveHostnames) return { host, port };
  return "Can't resolve instance hostname.";
}

/** A DNS name (RFC 1123 letters, digits, '-', '.', and '_' seen in the wild), at most 253 bytes. */
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;

/**
 * An address announced by someone else (a hello): the config loader's rules,
 * and when a name is allowed it must look like a host name — a hello is not
 * trusted to put arbitrary text into the config file.
 */
export function checkAnnouncedAddress(host: string, port: number, resolveHostnames: boolean): AddressCheck {
  const checked = checkAddress(host, port, resolveHostnames);
  if (typeof checked === 'string' || normalizeNumericHost(host) !== undefined) return checked;
  return HOSTNAME.test(host) ? checked : "Can't resolve instance hostname.";
}
