/**
 * Creating and removing instances, with the link reference counts that let
 * instances at one address share one connection.
 */
import type { MasterConfig } from '../config/model.js';
import type { Effect, InstanceRef } from './effects.js';
import { NOT_SCHEDULED, visitBy } from './visits.js';
import {
  formatAddr,
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

export function acquireLink(
  state: SentinelState,
  kind: 'redis' | 'sentinel',
  host: string,
  port: number,
  nowMs: number,
): LinkState {
  const key = linkKey(kind, host, port);
  let link = state.links.get(key);
  if (!link) {
    // A new link counts as "pinged now": down-after runs from its creation,
    // so an address that never answers goes SDOWN on time.
    link = {
      key, host, port, kind,
      refCount: 0,
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
  link.refCount += 1;
  return link;
}

export function releaseLink(state: SentinelState, key: string, effects: Effect[]): void {
  const link = state.links.get(key);
  if (!link) return;
  link.refCount -= 1;
  if (link.refCount <= 0) {
    state.links.delete(key);
    effects.push({ type: 'disconnect', link: key });
  }
}

function baseFields(state: SentinelState, name: string, host: string, port: number, link: LinkState, nowMs: number) {
  return {
    addressing: state.addressing,
    name, host, port,
    linkKey: link.key,
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
  const link = acquireLink(state, 'redis', config.host, config.port, nowMs);
  const master: MasterState = {
    kind: 'master',
    ...baseFields(state, config.name, config.host, config.port, link, nowMs),
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
  const link = acquireLink(state, 'redis', host, port, nowMs);
  // Named by the address as shown when it is first seen, as Redis does.
  const name = formatAddr(shownHost(state.addressing, host), port);
  const replica: ReplicaState = {
    kind: 'slave',
    ...baseFields(state, name, host, port, link, nowMs),
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
  const link = acquireLink(state, 'sentinel', host, port, nowMs);
  const peer: PeerSentinelState = {
    kind: 'sentinel',
    ...baseFields(state, runId, host, port, link, nowMs),
    runId,
    lastHelloMs: 0,
    lastMasterDownReplyMs: 0,
    lastMasterDownAskMs: 0,
    askPending: false,
    peerSaysMasterDown: false,
    leaderEpoch: 0,
  };
  master.sentinels.set(runId, peer);
  return peer;
}

/** Drops a master with everything it owns; returns the effects closing unused links. */
export function removeMaster(state: SentinelState, master: MasterState): Effect[] {
  const effects: Effect[] = [];
  for (const r of master.replicas.values()) releaseLink(state, r.linkKey, effects);
  for (const s of master.sentinels.values()) releaseLink(state, s.linkKey, effects);
  releaseLink(state, master.linkKey, effects);
  state.masters.delete(master.name);
  return effects;
}

export function removePeer(state: SentinelState, master: MasterState, peer: PeerSentinelState, effects: Effect[]): void {
  master.sentinels.delete(peer.name);
  releaseLink(state, peer.linkKey, effects);
}

/**
 * SENTINEL RESET: forget replicas and peers (they are rediscovered within
 * seconds), clear the down flags and re-make the master's link.
 */
export function resetMaster(state: SentinelState, master: MasterState, nowMs: number): Effect[] {
  const effects: Effect[] = [];
  for (const r of master.replicas.values()) releaseLink(state, r.linkKey, effects);
  for (const s of master.sentinels.values()) releaseLink(state, s.linkKey, effects);
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
export function findReplica(master: MasterState, host: string, port: number): ReplicaState | undefined {
  const byName = master.replicas.get(formatAddr(shownHost(master.addressing, host), port)) ??
    master.replicas.get(formatAddr(host, port));
  if (byName) return byName;
  for (const r of master.replicas.values()) if (r.port === port && sameHost(master.addressing, r.host, host)) return r;
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
