/**
 * Hostname handling (resolve-hostnames / announce-hostnames), in the shell
 * because it needs DNS. Like Redis, which keeps a hostname next to its
 * resolved IP and picks one at reply time, the core keeps what it was given
 * and learns the IP (SENTINEL MONITOR resolves here, links report the address
 * they connected to, the runtime resolves replica hostnames seen in INFO);
 * announce-hostnames only chooses which one is shown, so it can change at run
 * time. A config loaded with announce-hostnames no has its hostnames replaced
 * by their addresses, as Redis would have written them.
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

/** With announce-hostnames no, the hostnames of a parsed config become their addresses. */
export async function resolveConfigHosts(cfg: SentinelConfig): Promise<void> {
  const opts = { resolveHostnames: cfg.resolveHostnames };
  if (!opts.resolveHostnames || cfg.announceHostnames) return;
  const toIp = async (host: string) => {
    const r = await hostForCore(host, opts);
    return r.ip ?? r.host;
  };
  for (const m of cfg.masters) {
    m.host = await toIp(m.host);
    for (const r of m.knownReplicas) r.host = await toIp(r.host);
    for (const s of m.knownSentinels) s.host = await toIp(s.host);
  }
}
