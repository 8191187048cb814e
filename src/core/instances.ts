/**
 * Creating and removing instances, with the link reference counts that let
 * instances at one address share one connection.
 */
import type { MasterConfig } from '../config/model.js';
import type { Effect, InstanceRef } from './effects.js';
import { NOT_SCHEDULED, visitBy } from './visits.js';
import {
  formatAddr,
  isIpLiteral,
  sameHost,
  shownHost,
  linkKey,
  type AnyInstance,
  type LinkState,
  type MasterState,
  type PeerSentinelState,
  type ReplicaState,
  type SentinelState,
} from './state.js';

/**
 * Attaches `inst` to the link of its address (kind, host, port), made on
 * first use, and records the link's key on it.
 */
export function acquireLink(state: SentinelState, inst: AnyInstance, master: MasterState, nowMs: number): LinkState {
  const kind = linkKind(inst);
  const key = linkKey(kind, inst.host, inst.port);
  let link = state.links.get(key);
  if (!link) {
    // A new link counts as "pinged now": down-after runs from its creation,
    // so an address that never answers goes SDOWN on time.
    link = {
      key, host: inst.host, port: inst.port, kind,
      users: new Map(),
      connected: false,
      connectedAtMs: 0,
      lastReconnectAttemptMs: 0,
      connecting: false,
      pendingCommands: 0,
      actPingMs: nowMs,
      lastPingSentMs: 0,
      lastPongMs: nowMs,
      lastAvailMs: nowMs,
      answeredMs: 0,
      pubsub: { connected: false, connectedAtMs: 0, lastActivityMs: 0, lastReconnectAttemptMs: 0, connecting: false },
    };
    state.links.set(key, link);
  }
  link.users.set(inst, master);
  inst.linkKey = key;
  return link;
}

/** Detaches `inst` from its link; the last user's leaving closes it. */
export function releaseLink(state: SentinelState, inst: AnyInstance, effects: Effect[]): void {
  const link = state.links.get(inst.linkKey);
  if (!link) return;
  link.users.delete(inst);
  if (link.users.size === 0) {
    state.links.delete(link.key);
    state.connects.deferred.delete(link);
    effects.push({ type: 'disconnect', link: link.key });
  }
}

function linkKind(inst: AnyInstance): 'redis' | 'sentinel' {
  return inst.kind === 'sentinel' ? 'sentinel' : 'redis';
}

function baseFields(state: SentinelState, name: string, host: string, port: number, nowMs: number) {
  return {
    addressing: state.addressing,
    name, host, port,
    // Set by acquireLink.
    linkKey: '',
    createdAtMs: nowMs,
    sdown: false,
    sdownSinceMs: 0,
    lastHelloSentMs: 0,
    infoRefreshMs: 0,
    roleReported: 'unknown' as const,
    roleReportedTimeMs: nowMs,
    infoPending: false,
  };
}

export function createMaster(state: SentinelState, config: MasterConfig, nowMs: number): MasterState {
  const master: MasterState = {
    kind: 'master',
    ...baseFields(state, config.name, config.host, config.port, nowMs),
    config: liveCopy(config),
    replicas: new Map(),
    sentinels: new Map(),
    odown: false,
    odownSinceMs: 0,
    failover: { state: 'none', epoch: 0, stateChangedMs: nowMs, forced: false, coordinated: false },
    failoverStartMs: 0,
    rebootSinceMs: 0,
    startJitterMs: 0,
    nextVisitMs: NOT_SCHEDULED,
    // Groups beat at different instants, so that a thousand masters do not
    // all write (and get their replies) in the same tick.
    beatMs: nowMs - beatPhaseMs(config.name, state.timing.pingPeriodMs),
  };
  acquireLink(state, master, master, nowMs);
  state.masters.set(config.name, master);
  visitBy(state, master, nowMs);
  return master;
}

/** A fixed spread in [0, periodMs) from the master's name (FNV-1a): no random draw. */
function beatPhaseMs(name: string, periodMs: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return (h >>> 0) % Math.max(1, periodMs);
}

/**
 * The core's own copy of a master's settings: the parsed config is input,
 * never live state (the core changes epochs and, on a switch, the address).
 * Known replicas and Sentinels live in the instance maps, not here.
 */
function liveCopy(config: MasterConfig): MasterConfig {
  return { ...config, renameCommands: { ...config.renameCommands }, knownReplicas: [], knownSentinels: [] };
}

export function createReplica(
  state: SentinelState,
  master: MasterState,
  host: string,
  port: number,
  nowMs: number,
): ReplicaState {
  // Named by the address as shown when it is first seen, as Redis does.
  const name = formatAddr(shownHost(state.addressing, host), port);
  const replica: ReplicaState = {
    kind: 'slave',
    ...baseFields(state, name, host, port, nowMs),
    masterLinkDownSinceMs: 0,
    masterLinkUp: false,
    masterLinkNeverUp: false,
    replicaPriority: 100,
    replOffset: 0,
    replicaAnnounced: true,
    promoted: false,
    reconf: 'none',
    reconfSentMs: 0,
    slaveConfChangeMs: nowMs,
    demoteAtOnce: false,
  };
  acquireLink(state, replica, master, nowMs);
  master.replicas.set(name, replica);
  return replica;
}

export function createPeerSentinel(
  state: SentinelState,
  master: MasterState,
  host: string,
  port: number,
  runId: string,
  nowMs: number,
): PeerSentinelState {
  const peer: PeerSentinelState = {
    kind: 'sentinel',
    ...baseFields(state, runId, host, port, nowMs),
    runId,
    lastHelloMs: 0,
    lastMasterDownReplyMs: 0,
    lastMasterDownAskMs: 0,
    askPending: false,
    peerSaysMasterDown: false,
    leaderEpoch: 0,
  };
  acquireLink(state, peer, master, nowMs);
  master.sentinels.set(runId, peer);
  return peer;
}

/** Drops a master with everything it owns; returns the effects closing unused links. */
export function removeMaster(state: SentinelState, master: MasterState): Effect[] {
  const effects: Effect[] = [];
  for (const r of master.replicas.values()) releaseLink(state, r, effects);
  for (const s of master.sentinels.values()) releaseLink(state, s, effects);
  releaseLink(state, master, effects);
  state.masters.delete(master.name);
  return effects;
}

export function removePeer(state: SentinelState, master: MasterState, peer: PeerSentinelState, effects: Effect[]): void {
  master.sentinels.delete(peer.name);
  releaseLink(state, peer, effects);
}

/**
 * SENTINEL RESET: forget replicas and peers (they are rediscovered within
 * seconds), clear the down flags and re-make the master's link.
 */
export function resetMaster(state: SentinelState, master: MasterState, nowMs: number): Effect[] {
  const effects: Effect[] = [];
  for (const r of master.replicas.values()) releaseLink(state, r, effects);
  for (const s of master.sentinels.values()) releaseLink(state, s, effects);
  master.replicas.clear();
  master.sentinels.clear();
  resetMasterFields(master, nowMs);
  const link = state.links.get(master.linkKey);
  if (link) {
    link.connected = false;
    link.actPingMs = nowMs;
    link.lastAvailMs = nowMs;
    link.lastPongMs = nowMs;
    effects.push({ type: 'disconnect', link: link.key });
  }
  return effects;
}

/**
 * What a reset (SENTINEL RESET, or a switch to a new address) clears on a
 * master: down flags, what INFO said, the failover and the vote; peers'
 * opinions about the old master are forgotten too.
 */
export function resetMasterFields(master: MasterState, nowMs: number): void {
  master.sdown = false;
  master.sdownSinceMs = 0;
  master.odown = false;
  master.odownSinceMs = 0;
  master.infoRefreshMs = 0;
  master.infoPending = false;
  master.infoText = undefined;
  master.runId = undefined;
  master.roleReported = 'master';
  master.roleReportedTimeMs = nowMs;
  master.leader = undefined;
  master.failover = { state: 'none', epoch: master.failover.epoch, stateChangedMs: nowMs, forced: false, coordinated: false };
  master.failoverStartMs = 0;
  master.rebootSinceMs = 0;
  for (const peer of master.sentinels.values()) {
    peer.peerSaysMasterDown = false;
    peer.leader = undefined;
  }
}

/** The replica of `master` at host:port, by name or by resolved address. */
export function findReplica(state: SentinelState, master: MasterState, host: string, port: number): ReplicaState | undefined {
  const byName = master.replicas.get(formatAddr(shownHost(master.addressing, host), port)) ??
    master.replicas.get(formatAddr(host, port));
  if (byName) return byName;
  if (isIpLiteral(host)) return replicaAtAddress(state, master, host, port);
  for (const r of master.replicas.values()) if (r.port === port && sameHost(master.addressing, r.host, host)) return r;
  return undefined;
}

/**
 * The replica at a numeric address, found from the links rather than by a
 * walk over every replica (a master listing ten thousand would make each
 * new one cost ten thousand comparisons). Numeric addresses are stored as
 * inet_ntop prints them, so a replica at this address is stored under it,
 * or under a hostname that the shell resolved to it (sameHost matches a
 * name to an address only through `resolved`). A hostname looked up still
 * takes the walk: names are only stored with resolve-hostnames.
 */
function replicaAtAddress(state: SentinelState, master: MasterState, ip: string, port: number): ReplicaState | undefined {
  const at = (host: string): ReplicaState | undefined => {
    const users = state.links.get(linkKey('redis', host, port))?.users;
    if (!users) return undefined;
    for (const [inst, owner] of users) if (owner === master && inst.kind === 'slave') return inst;
    return undefined;
  };
  const exact = at(ip);
  if (exact) return exact;
  for (const [name, resolvedIp] of state.addressing.resolved) {
    if (resolvedIp !== ip) continue;
    const named = at(name);
    if (named) return named;
  }
  return undefined;
}

export function* instancesOf(master: MasterState): Iterable<AnyInstance> {
  yield master;
  yield* master.replicas.values();
  yield* master.sentinels.values();
}

export function findInstance(state: SentinelState, ref: InstanceRef): AnyInstance | undefined {
  const master = state.masters.get(ref.master);
  if (!master) return undefined;
  if (ref.kind === 'master') return master.name === ref.name ? master : undefined;
  if (ref.kind === 'slave') return master.replicas.get(ref.name);
  return master.sentinels.get(ref.name);
}

export function refOf(inst: AnyInstance, master: MasterState): InstanceRef {
  return { master: master.name, kind: inst.kind, name: inst.name };
}
