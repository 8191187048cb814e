/**
 * Building the in-memory state from a parsed config, and writing the state
 * back into the config model (what `sentinel.conf` persists).
 */
import type { MasterConfig, SentinelConfig } from '../config/model.js';
import { currentMasterAddress } from './failover.js';
import { createMaster, createPeerSentinel, createReplica } from './instances.js';
import { shownHost, type MasterState, type SentinelSettings, type SentinelState } from './state.js';
import { defaultTiming } from './timing.js';
import { newVisitQueue } from './visits.js';

export function stateFromConfig(
  cfg: SentinelConfig,
  myId: string,
  nowMs: number,
  random: () => number = seededRandom(1),
  /** The port announced in hellos when announce-port is 0 (the TLS port under tls-replication). */
  helloPort: number = cfg.port,
): SentinelState {
  const state: SentinelState = {
    myId,
    addressing: { announceHostnames: cfg.announceHostnames, resolved: new Map(cfg.resolvedHosts ?? []) },
    currentEpoch: cfg.currentEpoch,
    masters: new Map(),
    links: new Map(),
    settings: settingsFromConfig(cfg),
    instanceCaps: { sentinels: cfg.maxSentinelsPerMaster, replicas: cfg.maxReplicasPerMaster },
    port: helloPort,
    tilt: false,
    tiltSinceMs: 0,
    lastTickMs: 0,
    visits: newVisitQueue(),
    connects: { leftInTick: 0, deferred: new Set() },
    startedAtMs: nowMs,
    timing: defaultTiming(),
    simulateFailure: { crashAfterElection: false, crashAfterPromotion: false },
    random,
  };
  for (const mc of cfg.masters) addMasterFromConfig(state, mc, nowMs);
  return state;
}

export function settingsFromConfig(cfg: SentinelConfig): SentinelSettings {
  const settings: SentinelSettings = {
    announcePort: cfg.announcePort,
    resolveHostnames: cfg.resolveHostnames,
    loglevel: cfg.loglevel,
  };
  if (cfg.announceIp !== undefined) settings.announceIp = cfg.announceIp;
  if (cfg.sentinelUser !== undefined) settings.sentinelUser = cfg.sentinelUser;
  if (cfg.sentinelPass !== undefined) settings.sentinelPass = cfg.sentinelPass;
  return settings;
}

export function addMasterFromConfig(state: SentinelState, mc: MasterConfig, nowMs: number): MasterState {
  const master = createMaster(state, mc, nowMs);
  for (const r of mc.knownReplicas) {
    // The master itself may be listed after a failover we slept through.
    if (r.host === mc.host && r.port === mc.port) continue;
    createReplica(state, master, r.host, r.port, nowMs);
  }
  for (const s of mc.knownSentinels) {
    if (s.runid === state.myId) continue;
    createPeerSentinel(state, master, s.host, s.port, s.runid, nowMs);
  }
  return master;
}

/**
 * The config model with the state that must survive a restart folded in:
 * `base` gives what the core does not hold (bind, tls, users, ...), every
 * setting the Sentinel changes at run time comes from `state`.
 */
export function configFromState(base: SentinelConfig, state: SentinelState): SentinelConfig {
  const masters = [...state.masters.values()].map((m) => {
    // Once the promotion is confirmed the config-epoch is already the new
    // one, so the address written next to it must be the new one too;
    // the old master is then listed among the replicas.
    const addr = currentMasterAddress(m);
    const switched = addr.host !== m.host || addr.port !== m.port;
    // Written as shown (announce-hostnames), as Redis's config rewrite does.
    const shown = (host: string) => shownHost(state.addressing, host);
    const replicas = [...m.replicas.values()]
      .filter((r) => !(r.host === addr.host && r.port === addr.port))
      .map((r) => ({ host: shown(r.host), port: r.port }));
    if (switched) replicas.push({ host: shown(m.host), port: m.port });
    return {
    ...m.config,
    host: shown(addr.host),
    port: addr.port,
    knownReplicas: replicas,
    knownSentinels: [...m.sentinels.values()].map((s) => ({ host: shown(s.host), port: s.port, runid: s.name })),
    };
  });
  return {
    ...base,
    myid: state.myId,
    currentEpoch: state.currentEpoch,
    announceIp: state.settings.announceIp,
    announcePort: state.settings.announcePort,
    resolveHostnames: state.settings.resolveHostnames,
    announceHostnames: state.addressing.announceHostnames,
    sentinelUser: state.settings.sentinelUser,
    sentinelPass: state.settings.sentinelPass,
    loglevel: state.settings.loglevel,
    masters,
  };
}

/** mulberry32: a small seeded PRNG, so simulated runs replay exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
