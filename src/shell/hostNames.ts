/**
 * Host names the core meets in hellos and INFO: the core cannot ask DNS, so
 * the shell looks them up first and tells the core the address it learned
 * (a `hostResolved` event), then hands over the hello or INFO.
 */
import { isIP } from 'node:net';
import { checkAnnouncedAddress, normalizeNumericHost } from '../config/address.js';
import { parseInfo } from '../core/info.js';
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
