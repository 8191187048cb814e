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

/**
 * Applies hostForCore to every master and known instance of a parsed config.
 * A name that does not resolve is kept as it is and reported (Redis accepts
 * unresolved names while loading its config).
 */
export async function resolveConfigHosts(cfg: SentinelConfig, unresolved: (host: string) => void = () => undefined): Promise<void> {
  const opts = { resolveHostnames: cfg.resolveHostnames, announceHostnames: cfg.announceHostnames };
  if (!opts.resolveHostnames || opts.announceHostnames) return;
  const resolveOrKeep = async (host: string): Promise<string> => {
    try {
      return await hostForCore(host, opts);
    } catch {
      unresolved(host);
      return host;
    }
  };
  for (const m of cfg.masters) {
    m.host = await resolveOrKeep(m.host);
    for (const r of m.knownReplicas) r.host = await resolveOrKeep(r.host);
    for (const s of m.knownSentinels) s.host = await resolveOrKeep(s.host);
  }
}
