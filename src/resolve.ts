/**
 * Hostname handling (resolve-hostnames / announce-hostnames), in the shell
 * because it needs DNS. With announce-hostnames off, Redis reports and
 * persists the resolved IP, so a hostname is replaced by its address before it
 * reaches the core; with it on, the hostname is kept everywhere (links resolve
 * it when they connect) and reported as given.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { SentinelConfig } from './config/model.js';

export class ResolveError extends Error {
  override readonly name = 'ResolveError';
}

/** The address to store for `host`: itself when it is an IP or hostnames are announced. */
export async function hostForCore(
  host: string,
  opts: { resolveHostnames: boolean; announceHostnames: boolean },
): Promise<string> {
  if (isIP(host) !== 0) return host;
  if (!opts.resolveHostnames) throw new ResolveError('Invalid IP address or hostname specified');
  if (opts.announceHostnames) return host;
  try {
    // IPv4 first, as getaddrinfo orders loopback names on Debian.
    const { address } = await lookup(host, { verbatim: false });
    return address;
  } catch {
    throw new ResolveError("Can't resolve instance hostname.");
  }
}

/** Applies hostForCore to every master and known instance of a parsed config. */
export async function resolveConfigHosts(cfg: SentinelConfig): Promise<void> {
  const opts = { resolveHostnames: cfg.resolveHostnames, announceHostnames: cfg.announceHostnames };
  if (!opts.resolveHostnames || opts.announceHostnames) return;
  for (const m of cfg.masters) {
    m.host = await hostForCore(m.host, opts);
    for (const r of m.knownReplicas) r.host = await hostForCore(r.host, opts);
    for (const s of m.knownSentinels) s.host = await hostForCore(s.host, opts);
  }
}
