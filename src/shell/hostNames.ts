/**
 * Host names the core meets in hellos and INFO: the core cannot ask DNS, so
 * the shell looks them up first and tells the core the address it learned
 * (a `hostResolved` event), then hands over the hello or INFO.
 */
import { isIP } from 'node:net';
import { checkAnnouncedAddress, normalizeNumericHost } from '../config/address.js';
import { parseInfo } from '../core/info.js';
import type { SentinelState } from '../core/state.js';
import { resolveHost } from '../resolve.js';

export type Learned = (host: string, ip: string) => void;

/**
 * Indexes of the hello's address fields (peer ip, master ip) that are host
 * names to look up. Malformed ones are not asked to DNS: the core drops them.
 */
export function namesInHello(payload: string): number[] {
  const t = payload.split(',');
  if (t.length !== 8) return [];
  return [0, 5].filter((i) => {
    const host = t[i] ?? '';
    return normalizeNumericHost(host) === undefined && typeof checkAnnouncedAddress(host, 0, true) !== 'string';
  });
}

/**
 * Resolves the named fields of a hello; false when one does not resolve
 * (Redis's createSentinelAddr fails and the hello is dropped).
 */
export async function resolveHelloNames(payload: string, fields: readonly number[], learned: Learned): Promise<boolean> {
  const t = payload.split(',');
  for (const i of fields) {
    const host = t[i] ?? '';
    const ip = await resolveHost(host);
    if (ip === undefined) return false;
    learned(host, ip);
  }
  return true;
}

/**
 * Replicas a master lists by hostname (replica-announce-ip) are resolved
 * before the core sees the INFO, so that it can name and show them by
 * address under announce-hostnames no, as Redis does when it creates them.
 */
export async function resolveReplicaHosts(infoText: string, known: ReadonlyMap<string, string>, learned: Learned): Promise<void> {
  const hosts = new Set(parseInfo(infoText).replicas.map((r) => r.host));
  for (const host of hosts) {
    if (isIP(host) !== 0 || known.has(host)) continue;
    const ip = await resolveHost(host);
    if (ip !== undefined) learned(host, ip);
  }
}

export type StoredNameAddresses = { addresses: Array<[string, string]> } | { unresolved: string };

/**
 * SENTINEL CONFIG SET resolve-hostnames no: the address each hostname
 * stored in the state (a master, replica or Sentinel known by name) resolves
 * to now, for the core to store instead, or the first name that does not
 * resolve. Names stored while the lookups ran are looked up too, so the
 * list covers the state as it is when this returns.
 */
export async function addressesOfStoredNames(
  state: SentinelState,
  resolve: (host: string) => Promise<string | undefined> = resolveHost,
): Promise<StoredNameAddresses> {
  const addresses = new Map<string, string>();
  for (;;) {
    const missing = storedNames(state).filter((host) => !addresses.has(host));
    if (missing.length === 0) return { addresses: [...addresses] };
    for (const host of missing) {
      const ip = await resolve(host);
      if (ip === undefined) return { unresolved: host };
      addresses.set(host, ip);
    }
  }
}

function storedNames(state: SentinelState): string[] {
  const names = new Set<string>();
  for (const master of state.masters.values()) {
    for (const inst of [master, ...master.replicas.values(), ...master.sentinels.values()]) {
      if (isIP(inst.host) === 0) names.add(inst.host);
    }
  }
  return [...names];
}
