/**
 * SENTINEL CONFIG SET resolve-hostnames no while hostnames are stored.
 * redis-sentinel keeps the names: under announce-hostnames yes its config
 * rewrite writes them next to `resolve-hostnames no`, and its next start
 * stops with "Can't resolve instance hostname.". Here every stored hostname
 * (masters, replicas, Sentinels) is replaced by the address the shell
 * resolved it to just before, so that replies, hellos and the file hold
 * what a restart on that file would hold.
 */
import type { Effect } from './effects.js';
import { acquireLink, releaseLink } from './instances.js';
import {
  formatAddr,
  isIpLiteral,
  type AnyInstance,
  type MasterState,
  type ReplicaState,
  type SentinelState,
} from './state.js';

/** `addresses`: hostname -> address, looked up by the shell for this change. */
export function storeAddresses(state: SentinelState, addresses: ReadonlyMap<string, string>, nowMs: number): Effect[] {
  const effects: Effect[] = [];
  const replaced = new Map<string, string>();
  // What the shell looked up now; what it learned earlier only if a name
  // appeared after its lookups (it looks again until none is missing).
  const addressOf = (host: string): string | undefined => {
    if (isIpLiteral(host)) return undefined;
    const ip = addresses.get(host) ?? state.addressing.resolved.get(host);
    if (ip !== undefined) replaced.set(host, ip);
    return ip;
  };
  for (const master of state.masters.values()) {
    const ip = addressOf(master.host);
    if (ip !== undefined) {
      moveToAddress(state, master, master, ip, nowMs, effects);
      master.config.host = ip;
    }
    storeReplicaAddresses(state, master, addressOf, nowMs, effects);
    for (const peer of master.sentinels.values()) {
      const peerIp = addressOf(peer.host);
      if (peerIp !== undefined) moveToAddress(state, peer, master, peerIp, nowMs, effects);
    }
  }
  for (const [host, ip] of replaced) {
    effects.push({ type: 'log', level: 'notice', message: `resolve-hostnames no: ${host} is stored as ${ip}` });
  }
  return effects;
}

/**
 * A replica is named by its address as shown when first seen, so one found
 * under a hostname (announce-hostnames yes) takes the name the file gives
 * it on the next start. The map keeps its order; the failover's promoted
 * replica follows its rename.
 */
function storeReplicaAddresses(
  state: SentinelState,
  master: MasterState,
  addressOf: (host: string) => string | undefined,
  nowMs: number,
  effects: Effect[],
): void {
  const replicas = [...master.replicas.values()];
  master.replicas.clear();
  for (const replica of replicas) {
    const ip = addressOf(replica.host);
    const oldName = replica.name;
    if (ip !== undefined) {
      moveToAddress(state, replica, master, ip, nowMs, effects);
      replica.name = formatAddr(ip, replica.port);
    }
    const kept = keepReplica(state, master, replica, effects);
    if (master.failover.promoted === oldName) master.failover.promoted = kept.name;
  }
}

/** The same server listed twice (by name and by address) is kept once. */
function keepReplica(state: SentinelState, master: MasterState, replica: ReplicaState, effects: Effect[]): ReplicaState {
  const listed = master.replicas.get(replica.name);
  if (listed) {
    releaseLink(state, replica, effects);
    return listed;
  }
  master.replicas.set(replica.name, replica);
  return replica;
}

/**
 * The instance moves to the link of its address (links are keyed by the
 * address they connect to). A link made for it starts from what the old one
 * measured, so that down-after and SDOWN go on as they were; only the
 * connections are made again. Requests in flight on the old link are
 * forgotten, as when a link goes down.
 */
function moveToAddress(
  state: SentinelState,
  inst: AnyInstance,
  master: MasterState,
  ip: string,
  nowMs: number,
  effects: Effect[],
): void {
  const old = state.links.get(inst.linkKey);
  releaseLink(state, inst, effects);
  inst.host = ip;
  const link = acquireLink(state, inst, master, nowMs);
  if (old && link.users.size === 1) {
    link.actPingMs = old.actPingMs;
    link.lastPingSentMs = old.lastPingSentMs;
    link.lastPongMs = old.lastPongMs;
    link.lastAvailMs = old.lastAvailMs;
    link.answeredMs = old.answeredMs;
    if (old.lastPingRttMs !== undefined) link.lastPingRttMs = old.lastPingRttMs;
  }
  inst.infoPending = false;
  if (inst.kind === 'sentinel') inst.askPending = false;
}
