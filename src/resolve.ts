/**
 * Hostname handling (resolve-hostnames / announce-hostnames), in the shell
 * because it needs DNS. Like Redis, which keeps a hostname next to its
 * resolved IP and picks one at reply time, the core keeps what it was given
 * and learns the IP (SENTINEL MONITOR resolves here, links report the address
 * they connected to, the runtime resolves replica hostnames seen in INFO);
 * announce-hostnames only chooses which one is shown, so it can change at run
 * time.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { SentinelConfig } from './config/model.js';

export class ResolveError extends Error {
  override readonly name = 'ResolveError';
}

/** The IPv4-first address of a hostname, undefined when it does not resolve. */
export async function resolveHost(host: string): Promise<string | undefined> {
  try {
    // IPv4 first, as getaddrinfo orders loopback names on Debian.
    const { address } = await lookup(host, { verbatim: false });
    return address;
  } catch {
    return undefined;
  }
}

/**
 * The address to store for `host` (itself: an IP, or a hostname when
 * resolve-hostnames is on) and, for a hostname, the IP it resolves to.
 */
export async function hostForCore(
  host: string,
  opts: { resolveHostnames: boolean },
): Promise<{ host: string; ip?: string }> {
  if (isIP(host) !== 0) return { host };
  if (!opts.resolveHostnames) throw new ResolveError('Invalid IP address or hostname specified');
  const ip = await resolveHost(host);
  if (ip === undefined) throw new ResolveError("Can't resolve instance hostname.");
  return { host, ip };
}

/**
 * Resolves the hostnames of a parsed config into cfg.resolvedHosts, keeping
 * the names (as Redis keeps both). A name that does not resolve yet (DNS is
 * often not up at boot) is reported and left to the links to resolve later:
 * redis-sentinel 7.0.15 starts too (it shows an empty address until then).
 */
export async function resolveConfigHosts(cfg: SentinelConfig, unresolved: (host: string) => void = () => undefined): Promise<void> {
  if (!cfg.resolveHostnames) return;
  const resolved = cfg.resolvedHosts ?? new Map<string, string>();
  cfg.resolvedHosts = resolved;
  const hosts = cfg.masters.flatMap((m) => [m.host, ...m.knownReplicas.map((r) => r.host), ...m.knownSentinels.map((s) => s.host)]);
  for (const host of new Set(hosts)) {
    if (isIP(host) !== 0 || resolved.has(host)) continue;
    const ip = await resolveHost(host);
    if (ip !== undefined) resolved.set(host, ip);
    else unresolved(host);
  }
}
