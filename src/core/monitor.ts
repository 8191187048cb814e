/**
 * The monitoring half of the Sentinel: when to PING, INFO and hello each
 * instance, how replies update state, and the SDOWN rule. Every function takes
 * `nowMs` and returns effects; nothing here touches the network or the clock.
 */
import { sentinelEvent, type Effect, type InstanceRef } from './effects.js';
import { instanceDetails } from './details.js';
import { formatHello, parseHello } from './hello.js';
import { parseInfo, type ParsedInfo } from './info.js';
import { createPeerSentinel, createReplica, removePeer } from './instances.js';
import {
  formatAddr,
  type AnyInstance,
  type LinkState,
  type MasterState,
  type PeerSentinelState,
  type ReplicaState,
  type SentinelState,
} from './state.js';

/** One timer run over every instance. */
export function tick(state: SentinelState, nowMs: number): Effect[] {
  const effects: Effect[] = [];
  checkTilt(state, nowMs, effects);
  for (const master of state.masters.values()) {
    handleInstance(state, master, master, nowMs, effects);
    for (const r of master.replicas.values()) handleInstance(state, r, master, nowMs, effects);
    for (const s of master.sentinels.values()) handleInstance(state, s, master, nowMs, effects);
  }
  state.lastTickMs = nowMs;
  return effects;
}

function checkTilt(state: SentinelState, nowMs: number, effects: Effect[]): void {
  const delta = nowMs - state.lastTickMs;
  if (state.lastTickMs !== 0 && (delta < 0 || delta > state.timing.tiltTriggerMs)) {
    state.tiltSinceMs = nowMs;
    if (!state.tilt) {
      state.tilt = true;
      effects.push(sentinelEvent('warning', '+tilt', '#tilt mode entered'));
    }
  } else if (state.tilt && nowMs - state.tiltSinceMs >= state.timing.tiltPeriodMs) {
    state.tilt = false;
    effects.push(sentinelEvent('warning', '-tilt', '#tilt mode exited'));
  }
}

function handleInstance(
  state: SentinelState,
  inst: AnyInstance,
  master: MasterState,
  nowMs: number,
  effects: Effect[],
): void {
  const link = state.links.get(inst.linkKey);
  if (!link) return;
  reconnectIfNeeded(state, link, nowMs, effects);
  sendPeriodicCommands(state, inst, master, link, nowMs, effects);
  // In TILT the timer's notion of elapsed time cannot be trusted.
  if (state.tilt) return;
  checkSubjectivelyDown(state, inst, master, link, nowMs, effects);
}

function reconnectIfNeeded(state: SentinelState, link: LinkState, nowMs: number, effects: Effect[]): void {
  if (link.connected) return;
  if (nowMs - link.lastReconnectAttemptMs < state.timing.pingPeriodMs) return;
  link.lastReconnectAttemptMs = nowMs;
  effects.push({ type: 'connect', link: link.key });
}

function infoPeriodMs(state: SentinelState, inst: AnyInstance, master: MasterState): number {
  if (inst.kind === 'slave' && (master.odown || inst.masterLinkDownSinceMs !== 0)) {
    return state.timing.fastInfoPeriodMs;
  }
  return state.timing.infoPeriodMs;
}

function sendPeriodicCommands(
  state: SentinelState,
  inst: AnyInstance,
  master: MasterState,
  link: LinkState,
  nowMs: number,
  effects: Effect[],
): void {
  if (!link.connected) return;
  if (link.pendingCommands >= state.timing.maxPendingCommands * link.refCount) return;
  if (inst.kind !== 'sentinel' && !inst.infoPending &&
      (inst.infoRefreshMs === 0 || nowMs - inst.infoRefreshMs > infoPeriodMs(state, inst, master))) {
    inst.infoPending = true;
    link.pendingCommands += 1;
    effects.push({ type: 'info', link: link.key, target: refOf(inst, master) });
  }
  const pingPeriodMs = Math.min(master.config.downAfterMs, state.timing.pingPeriodMs);
  if (nowMs - link.lastPongMs > pingPeriodMs && nowMs - link.lastPingSentMs > pingPeriodMs / 2) {
    sendPing(link, nowMs, effects);
  }
  if (nowMs - inst.lastHelloSentMs > state.timing.publishPeriodMs) {
    const payload = helloPayload(state, master, link);
    if (payload !== undefined) {
      inst.lastHelloSentMs = nowMs;
      link.pendingCommands += 1;
      effects.push({ type: 'publishHello', link: link.key, payload });
    }
  }
}

export function sendPing(link: LinkState, nowMs: number, effects: Effect[]): void {
  link.pendingCommands += 1;
  link.lastPingSentMs = nowMs;
  if (link.actPingMs === 0) link.actPingMs = nowMs;
  effects.push({ type: 'ping', link: link.key });
}

function helloPayload(state: SentinelState, master: MasterState, link: LinkState): string | undefined {
  const ip = state.announceIp ?? link.localIp;
  if (ip === undefined) return undefined;
  return formatHello({
    ip,
    port: state.announcePort !== 0 ? state.announcePort : state.port,
    runId: state.myId,
    currentEpoch: state.currentEpoch,
    masterName: master.name,
    masterIp: master.host,
    masterPort: master.port,
    masterConfigEpoch: master.config.configEpoch,
  });
}

export function refOf(inst: AnyInstance, master: MasterState): InstanceRef {
  return { master: master.name, kind: inst.kind, name: inst.name };
}

function checkSubjectivelyDown(
  state: SentinelState,
  inst: AnyInstance,
  master: MasterState,
  link: LinkState,
  nowMs: number,
  effects: Effect[],
): void {
  const downAfterMs = master.config.downAfterMs;
  let elapsedMs = 0;
  if (link.actPingMs !== 0) elapsedMs = nowMs - link.actPingMs;
  else if (!link.connected) elapsedMs = nowMs - link.lastAvailMs;

  // A link that is connected but silent for half of down-after is likely
  // stuck (a half-open TCP connection): drop it so the next tick reconnects.
  if (link.connected && nowMs - link.connectedAtMs > state.timing.minLinkReconnectPeriodMs &&
      link.actPingMs !== 0 && nowMs - link.actPingMs > downAfterMs / 2 &&
      nowMs - link.lastPongMs > downAfterMs / 2) {
    link.connected = false;
    effects.push({ type: 'disconnect', link: link.key });
  }

  const down = elapsedMs > downAfterMs || masterReportsReplicaTooLong(inst, downAfterMs, state.timing.infoPeriodMs, nowMs);
  if (down && !inst.sdown) {
    inst.sdown = true;
    inst.sdownSinceMs = nowMs;
    effects.push(sentinelEvent('warning', '+sdown', instanceDetails(inst, master), master.name));
  } else if (!down && inst.sdown) {
    inst.sdown = false;
    inst.sdownSinceMs = 0;
    effects.push(sentinelEvent('warning', '-sdown', instanceDetails(inst, master), master.name));
  }
}

/** A master that keeps saying it is a replica is as good as down. */
function masterReportsReplicaTooLong(inst: AnyInstance, downAfterMs: number, infoPeriodMs: number, nowMs: number): boolean {
  return inst.kind === 'master' && inst.roleReported === 'slave' &&
    nowMs - inst.roleReportedTimeMs > downAfterMs + 2 * infoPeriodMs;
}

// ---------------------------------------------------------------- replies

export type PingOutcome = 'valid' | 'invalid' | 'none';

/**
 * +PONG, -LOADING and -MASTERDOWN prove the instance alive; any other reply
 * only proves the link works. `none` is a timeout or a dropped connection.
 */
export function onPingReply(state: SentinelState, linkKeyStr: string, outcome: PingOutcome, nowMs: number): void {
  const link = state.links.get(linkKeyStr);
  if (!link) return;
  link.pendingCommands = Math.max(0, link.pendingCommands - 1);
  if (outcome === 'none') return;
  if (outcome === 'valid') {
    link.lastAvailMs = nowMs;
    link.actPingMs = 0;
  }
  link.lastPongMs = nowMs;
}

export function classifyPingReply(reply: string): PingOutcome {
  return /^(PONG|LOADING|MASTERDOWN)/.test(reply) ? 'valid' : 'invalid';
}

export function onCommandDone(state: SentinelState, linkKeyStr: string): void {
  const link = state.links.get(linkKeyStr);
  if (link) link.pendingCommands = Math.max(0, link.pendingCommands - 1);
}

export function onLinkUp(state: SentinelState, linkKeyStr: string, localIp: string, nowMs: number): Effect[] {
  const link = state.links.get(linkKeyStr);
  if (!link) return [];
  link.connected = true;
  link.connectedAtMs = nowMs;
  link.pendingCommands = 0;
  link.localIp = localIp;
  const effects: Effect[] = [];
  // Redis pings as soon as a link comes up, so a restarted instance is
  // seen alive without waiting for the next period.
  sendPing(link, nowMs, effects);
  return effects;
}

export function onLinkDown(state: SentinelState, linkKeyStr: string): void {
  const link = state.links.get(linkKeyStr);
  if (!link) return;
  link.connected = false;
  link.pendingCommands = 0;
  for (const master of state.masters.values()) {
    for (const inst of instancesOf(master)) if (inst.linkKey === linkKeyStr) inst.infoPending = false;
  }
}

function* instancesOf(master: MasterState): Iterable<AnyInstance> {
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

/** An INFO reply (or failure: text undefined) for the instance it was sent to. */
export function onInfo(state: SentinelState, ref: InstanceRef, text: string | undefined, nowMs: number): Effect[] {
  const master = state.masters.get(ref.master);
  const inst = findInstance(state, ref);
  if (!master || !inst || inst.kind === 'sentinel') return [];
  onCommandDone(state, inst.linkKey);
  inst.infoPending = false;
  if (text === undefined) return [];
  const info = parseInfo(text);
  inst.infoRefreshMs = nowMs;
  inst.infoText = text;
  const effects: Effect[] = [];
  noteRunId(inst, master, info, effects);
  noteRole(inst, master, info, nowMs, effects);
  if (inst.kind === 'slave') applyReplicaInfo(inst, info, nowMs);
  if (inst.kind === 'master' && info.role === 'master') {
    discoverReplicas(state, master, info, nowMs, effects);
  }
  return effects;
}

function noteRunId(inst: MasterState | ReplicaState, master: MasterState, info: ParsedInfo, effects: Effect[]): void {
  if (info.runId === undefined || info.runId === inst.runId) return;
  if (inst.runId !== undefined) {
    effects.push(sentinelEvent('warning', '+reboot', instanceDetails(inst, master), master.name));
  }
  inst.runId = info.runId;
}

function noteRole(
  inst: MasterState | ReplicaState,
  master: MasterState,
  info: ParsedInfo,
  nowMs: number,
  effects: Effect[],
): void {
  if (info.role === 'unknown' || info.role === inst.roleReported) return;
  const first = inst.roleReported === 'unknown';
  inst.roleReported = info.role;
  inst.roleReportedTimeMs = nowMs;
  if (first && info.role === inst.kind) return;
  const channel = info.role === inst.kind ? '+role-change' : '-role-change';
  effects.push(sentinelEvent('verbose', channel,
    `${instanceDetails(inst, master)} new reported role is ${info.role}`, master.name));
}

function applyReplicaInfo(replica: ReplicaState, info: ParsedInfo, nowMs: number): void {
  replica.masterLinkDownSinceMs = info.masterLinkDownSinceSeconds !== undefined
    ? info.masterLinkDownSinceSeconds * 1000
    : 0;
  if (info.masterLinkUp !== undefined) replica.masterLinkUp = info.masterLinkUp;
  if (info.masterHost !== undefined) replica.slaveMasterHost = info.masterHost;
  if (info.masterPort !== undefined) replica.slaveMasterPort = info.masterPort;
  if (info.replicaPriority !== undefined) replica.replicaPriority = info.replicaPriority;
  if (info.replOffset !== undefined) replica.replOffset = info.replOffset;
  if (info.replicaAnnounced !== undefined) replica.replicaAnnounced = info.replicaAnnounced;
  void nowMs;
}

function discoverReplicas(
  state: SentinelState,
  master: MasterState,
  info: ParsedInfo,
  nowMs: number,
  effects: Effect[],
): void {
  let added = false;
  for (const { host, port } of info.replicas) {
    if (master.replicas.has(formatAddr(host, port))) continue;
    const replica = createReplica(state, master, host, port, nowMs);
    effects.push(sentinelEvent('notice', '+slave', instanceDetails(replica, master), master.name));
    added = true;
  }
  if (added) effects.push({ type: 'persist' });
}

// ---------------------------------------------------------------- hellos

/** A hello from a master/replica channel or PUBLISHed to us by a peer. */
export function onHello(state: SentinelState, payload: string, nowMs: number): Effect[] {
  const hello = parseHello(payload);
  if (!hello || hello.runId === state.myId) return [];
  const master = state.masters.get(hello.masterName);
  if (!master) return [];
  const effects: Effect[] = [];
  let peer = findPeer(master, hello.ip, hello.port, hello.runId);
  if (!peer) peer = addPeer(state, master, hello.ip, hello.port, hello.runId, nowMs, effects);
  if (hello.currentEpoch > state.currentEpoch) {
    state.currentEpoch = hello.currentEpoch;
    effects.push({ type: 'persist' });
    effects.push(sentinelEvent('warning', '+new-epoch', String(state.currentEpoch), master.name));
  }
  peer.lastHelloMs = nowMs;
  return effects;
}

function findPeer(master: MasterState, host: string, port: number, runId: string): PeerSentinelState | undefined {
  const peer = master.sentinels.get(runId);
  return peer && peer.host === host && peer.port === port ? peer : undefined;
}

/**
 * A Sentinel seen under a new address or a known address with a new run id
 * (a restart without its config) replaces the stale entry: `-dup-sentinel`.
 */
function addPeer(
  state: SentinelState,
  master: MasterState,
  host: string,
  port: number,
  runId: string,
  nowMs: number,
  effects: Effect[],
): PeerSentinelState {
  let removed = 0;
  for (const other of [...master.sentinels.values()]) {
    if (other.name === runId || (other.host === host && other.port === port)) {
      removePeer(state, master, other, effects);
      removed += 1;
    }
  }
  if (removed > 0) {
    effects.push(sentinelEvent('notice', '-dup-sentinel',
      `${instanceDetails(master)} #duplicate of ${formatAddr(host, port)} or ${runId}`, master.name));
  }
  const peer = createPeerSentinel(state, master, host, port, runId, nowMs);
  effects.push(sentinelEvent('notice', '+sentinel', instanceDetails(peer, master), master.name));
  effects.push({ type: 'persist' });
  return peer;
}
