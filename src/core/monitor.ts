/**
 * The monitoring half of the Sentinel: when to PING, INFO and hello each
 * instance, how replies update state, and the SDOWN rule. Every function takes
 * `nowMs` and returns effects; nothing here touches the network or the clock.
 */
import { sentinelEvent, type Effect, type InstanceRef } from './effects.js';
import { instanceDetails } from './details.js';
import { formatHello, isValidRunId, parseHello, type Hello } from './hello.js';
import { checkAnnouncedAddress } from '../config/address.js';
import { parseInfo, type ParsedInfo } from './info.js';
import { createPeerSentinel, createReplica, findReplica, removePeer } from './instances.js';
import {
  abortFailover,
  askMasterState,
  changeMasterAddress,
  checkObjectivelyDown,
  currentMasterAddress,
  failoverInProgress,
  failoverStateMachine,
  onPromotedReplicaIsMaster,
  startFailoverIfNeeded,
  switchToPromoted,
  trackReconf,
} from './failover.js';
import {
  formatAddr,
  isIpLiteral,
  sameHost,
  shownHost,
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
  for (const master of [...state.masters.values()]) {
    handleInstance(state, master, master, nowMs, effects);
    if (!state.tilt) handleMaster(state, master, nowMs, effects);
    for (const r of master.replicas.values()) handleInstance(state, r, master, nowMs, effects);
    for (const s of master.sentinels.values()) handleInstance(state, s, master, nowMs, effects);
    if (master.failover.state === 'update-config') switchToPromoted(state, master, nowMs, effects);
  }
  state.lastTickMs = nowMs;
  return effects;
}

/** Time went backwards, or the timer did not run for longer than the TILT trigger. */
function clockJumped(state: SentinelState, nowMs: number): boolean {
  const delta = nowMs - state.lastTickMs;
  return state.lastTickMs !== 0 && (delta < 0 || delta > state.timing.tiltTriggerMs);
}

function enterTilt(state: SentinelState, nowMs: number, effects: Effect[]): void {
  state.tiltSinceMs = nowMs;
  if (state.tilt) return;
  state.tilt = true;
  effects.push(sentinelEvent('warning', '+tilt', '#tilt mode entered'));
}

/**
 * Run before any event other than the timer's: after a stall (SIGSTOP, a
 * long GC, a suspended VM) the replies queued in sockets are handled before
 * the first tick, and must not drive a failover on a view of time that is
 * wrong. redis-sentinel only advances a failover from its timer, after its
 * TILT check; we check the clock first, whatever event arrives.
 */
export function noticeClockJump(state: SentinelState, nowMs: number): Effect[] {
  const effects: Effect[] = [];
  if (clockJumped(state, nowMs)) enterTilt(state, nowMs, effects);
  return effects;
}

function checkTilt(state: SentinelState, nowMs: number, effects: Effect[]): void {
  if (clockJumped(state, nowMs)) {
    enterTilt(state, nowMs, effects);
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

/**
 * Re-runs the decisions for one master right after a reply that may change
 * them (a peer's down-state or vote, a promotion), instead of waiting for the
 * next tick. Sends nothing periodic.
 */
export function evaluateMaster(state: SentinelState, masterName: string, nowMs: number): Effect[] {
  const master = state.masters.get(masterName);
  if (!master || state.tilt) return [];
  const effects: Effect[] = [];
  handleMaster(state, master, nowMs, effects);
  if (master.failover.state === 'update-config') switchToPromoted(state, master, nowMs, effects);
  return effects;
}

/** Asks for INFO now (after SLAVEOF, to see the result without waiting a period). */
export function requestInfoNow(state: SentinelState, ref: InstanceRef): Effect[] {
  const inst = findInstance(state, ref);
  if (!inst || inst.kind === 'sentinel' || inst.infoPending) return [];
  const link = state.links.get(inst.linkKey);
  if (!link?.connected) return [];
  inst.infoPending = true;
  link.pendingCommands += 1;
  return [{ type: 'info', link: link.key, target: ref }];
}

/** The master-only part of a tick: ODOWN, failover start, its state machine, peer queries. */
function handleMaster(state: SentinelState, master: MasterState, nowMs: number, effects: Effect[]): void {
  checkObjectivelyDown(state, master, nowMs, effects);
  if (startFailoverIfNeeded(state, master, nowMs, effects)) askMasterState(state, master, true, nowMs, effects);
  failoverStateMachine(state, master, nowMs, effects);
  askMasterState(state, master, false, nowMs, effects);
}

function reconnectIfNeeded(state: SentinelState, link: LinkState, nowMs: number, effects: Effect[]): void {
  if (link.connected) return;
  if (nowMs - link.lastReconnectAttemptMs < state.timing.pingPeriodMs) return;
  link.lastReconnectAttemptMs = nowMs;
  // Redis sends a PING with every reconnect attempt, so a lost instance is
  // timed from the first attempt after the loss, not from its last PONG:
  // down-after-milliseconds is a real minimum.
  if (link.actPingMs === 0) link.actPingMs = nowMs;
  effects.push({ type: 'connect', link: link.key });
}

function infoPeriodMs(state: SentinelState, inst: AnyInstance, master: MasterState): number {
  // While a failover waits on a replica (promotion, reconfiguration) poll it
  // fast: that wait is most of a failover's duration in Redis.
  if (inst.kind === 'slave' && failoverInProgress(master) &&
      (inst.promoted || inst.reconf === 'sent' || inst.reconf === 'inprog')) {
    return state.timing.failoverInfoPeriodMs;
  }
  // A replica whose link is down, or never came up (first sync), is polled
  // every second: it cannot be promoted until INFO shows it synced.
  if (inst.kind === 'slave' && (master.odown || failoverInProgress(master) || inst.masterLinkDownSinceMs !== 0 ||
      inst.masterLinkNeverUp)) {
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
  if (nowMs - inst.lastHelloSentMs > state.timing.publishPeriodMs) sendHello(state, inst, master, link, nowMs, effects);
}

function sendHellosNow(state: SentinelState, master: MasterState, nowMs: number, effects: Effect[]): void {
  for (const inst of instancesOf(master)) {
    const link = state.links.get(inst.linkKey);
    if (link?.connected) sendHello(state, inst, master, link, nowMs, effects);
  }
}

function sendHello(
  state: SentinelState,
  inst: AnyInstance,
  master: MasterState,
  link: LinkState,
  nowMs: number,
  effects: Effect[],
): void {
  const payload = helloPayload(state, master, link);
  if (payload === undefined) return;
  inst.lastHelloSentMs = nowMs;
  link.pendingCommands += 1;
  effects.push({ type: 'publishHello', link: link.key, payload });
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
  const addr = currentMasterAddress(master);
  return formatHello({
    ip,
    port: state.announcePort !== 0 ? state.announcePort : state.port,
    runId: state.myId,
    currentEpoch: state.currentEpoch,
    masterName: master.name,
    masterIp: shownHost(state.addressing, addr.host),
    masterPort: addr.port,
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

  const down = elapsedMs > downAfterMs ||
    masterReportsReplicaTooLong(inst, downAfterMs, state.timing.infoPeriodMs, nowMs) ||
    masterRebooting(inst, nowMs);
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

/**
 * master-reboot-down-after-period, as Redis's SRI_MASTER_REBOOT: a master seen
 * with a new run id is down once it has gone longer than the period without
 * answering +PONG (-LOADING keeps it "available" but does not end the reboot).
 */
function masterRebooting(inst: AnyInstance, nowMs: number): boolean {
  return inst.kind === 'master' && inst.rebootSinceMs !== 0 &&
    nowMs - inst.rebootSinceMs > inst.config.masterRebootDownAfterPeriodMs;
}

// ---------------------------------------------------------------- replies

/** `pong`: +PONG; `valid`: -LOADING or -MASTERDOWN; `invalid`: any other reply; `none`: no reply. */
export type PingOutcome = 'pong' | 'valid' | 'invalid' | 'none';

/**
 * +PONG, -LOADING and -MASTERDOWN prove the instance alive; any other reply
 * only proves the link works. `none` is a timeout or a dropped connection.
 * Only +PONG ends a master's reboot (Redis clears SRI_MASTER_REBOOT on PONG
 * alone): a master still loading its dataset has not come back yet.
 */
export function onPingReply(state: SentinelState, linkKeyStr: string, outcome: PingOutcome, nowMs: number): void {
  const link = state.links.get(linkKeyStr);
  if (!link) return;
  link.pendingCommands = Math.max(0, link.pendingCommands - 1);
  if (outcome === 'none') return;
  if (outcome === 'pong' || outcome === 'valid') {
    link.lastAvailMs = nowMs;
    link.answeredMs = nowMs;
    link.actPingMs = 0;
    if (link.lastPingSentMs !== 0) link.lastPingRttMs = nowMs - link.lastPingSentMs;
  }
  if (outcome === 'pong') {
    for (const master of state.masters.values()) if (master.linkKey === linkKeyStr) master.rebootSinceMs = 0;
  }
  link.lastPongMs = nowMs;
}

export function classifyPingReply(reply: string): PingOutcome {
  if (reply.startsWith('PONG')) return 'pong';
  return /^(LOADING|MASTERDOWN)/.test(reply) ? 'valid' : 'invalid';
}

export function onCommandDone(state: SentinelState, linkKeyStr: string): void {
  const link = state.links.get(linkKeyStr);
  if (link) link.pendingCommands = Math.max(0, link.pendingCommands - 1);
}

export function onLinkUp(
  state: SentinelState,
  linkKeyStr: string,
  localIp: string,
  nowMs: number,
  remoteIp?: string,
): Effect[] {
  const link = state.links.get(linkKeyStr);
  if (!link) return [];
  // The address a hostname connected to is what announce-hostnames no shows,
  // unless already resolved (IPv4 first, as Redis) when it was first seen.
  if (remoteIp !== undefined && !isIpLiteral(link.host) && !state.addressing.resolved.has(link.host)) {
    state.addressing.resolved.set(link.host, remoteIp);
  }
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
    for (const inst of instancesOf(master)) {
      if (inst.linkKey !== linkKeyStr) continue;
      inst.infoPending = false;
      if (inst.kind === 'sentinel') inst.askPending = false;
    }
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
  noteRunId(inst, master, info, nowMs, effects);
  noteRole(inst, master, info, nowMs, effects);
  if (inst.kind === 'slave') applyReplicaInfo(inst, info, nowMs);
  if (inst.kind === 'master' && info.role === 'master') {
    discoverReplicas(state, master, info, nowMs, effects);
  }
  // In TILT what we observe cannot be trusted enough to act on.
  if (state.tilt || inst.kind !== 'slave') return effects;
  if (info.role === 'master') replicaClaimsMaster(state, master, inst, nowMs, effects);
  if (info.role === 'slave') {
    trackReconf(master, inst, effects);
    fixReplicaConfig(state, master, inst, nowMs, effects);
  }
  return effects;
}

function noteRunId(
  inst: MasterState | ReplicaState,
  master: MasterState,
  info: ParsedInfo,
  nowMs: number,
  effects: Effect[],
): void {
  if (info.runId === undefined || info.runId === inst.runId) return;
  if (inst.runId !== undefined) {
    effects.push(sentinelEvent('warning', '+reboot', instanceDetails(inst, master), master.name));
    if (inst.kind === 'master' && inst.config.masterRebootDownAfterPeriodMs > 0) inst.rebootSinceMs = nowMs;
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
  if (inst.kind === 'slave' && info.role === 'slave') inst.slaveConfChangeMs = nowMs;
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
  replica.masterLinkNeverUp = info.masterLinkNeverUp === true;
  if ((info.masterHost !== undefined && info.masterHost !== replica.slaveMasterHost) ||
      (info.masterPort !== undefined && info.masterPort !== replica.slaveMasterPort)) {
    replica.slaveConfChangeMs = nowMs;
  }
  if (info.masterHost !== undefined) replica.slaveMasterHost = info.masterHost;
  if (info.masterPort !== undefined) replica.slaveMasterPort = info.masterPort;
  if (info.replicaPriority !== undefined) replica.replicaPriority = info.replicaPriority;
  if (info.replOffset !== undefined) replica.replOffset = info.replOffset;
  if (info.replicaAnnounced !== undefined) replica.replicaAnnounced = info.replicaAnnounced;
}

/**
 * A replica reports role:master. Either it is the one we promoted (the
 * failover moves on) or it is a stray master: once the configuration looks
 * settled, turn it back into a replica (+convert-to-slave).
 */
function replicaClaimsMaster(
  state: SentinelState,
  master: MasterState,
  r: ReplicaState,
  nowMs: number,
  effects: Effect[],
): void {
  if (r.promoted && master.failover.state === 'wait-promotion') {
    onPromotedReplicaIsMaster(state, master, r, nowMs, effects);
    // Announce the new configuration now: peers switch on this hello, and
    // waiting for the next tick only delays every client.
    sendHellosNow(state, master, nowMs, effects);
    return;
  }
  const waitMs = state.timing.publishPeriodMs * 4;
  if (r.promoted || !masterLooksSane(state, master, nowMs) || !noDownFor(r, waitMs, nowMs) ||
      nowMs - r.roleReportedTimeMs <= waitMs) return;
  if (sendSlaveof(state, master, r, effects)) {
    effects.push(sentinelEvent('notice', '+convert-to-slave', instanceDetails(r, master), master.name));
  }
}

/** A replica following some other master is repointed after failover-timeout. */
function fixReplicaConfig(
  state: SentinelState,
  master: MasterState,
  r: ReplicaState,
  nowMs: number,
  effects: Effect[],
): void {
  if (r.slaveMasterHost === undefined) return;
  if (sameHost(state.addressing, r.slaveMasterHost, master.host) && r.slaveMasterPort === master.port) return;
  if (failoverInProgress(master)) return;
  const waitMs = master.config.failoverTimeoutMs;
  if (!masterLooksSane(state, master, nowMs) || !noDownFor(r, waitMs, nowMs) ||
      nowMs - r.slaveConfChangeMs <= waitMs) return;
  if (sendSlaveof(state, master, r, effects)) {
    r.slaveConfChangeMs = nowMs;
    effects.push(sentinelEvent('notice', '+fix-slave-config', instanceDetails(r, master), master.name));
  }
}

function sendSlaveof(state: SentinelState, master: MasterState, r: ReplicaState, effects: Effect[]): boolean {
  const link = state.links.get(r.linkKey);
  if (!link?.connected) return false;
  link.pendingCommands += 1;
  effects.push({ type: 'slaveof', link: link.key, target: refOf(r, master), host: master.host, port: master.port });
  return true;
}

function masterLooksSane(state: SentinelState, master: MasterState, nowMs: number): boolean {
  const link = state.links.get(master.linkKey);
  return !master.sdown && !master.odown && master.roleReported === 'master' && !!link?.connected &&
    nowMs - master.infoRefreshMs < state.timing.infoPeriodMs * 2;
}

function noDownFor(r: ReplicaState, ms: number, nowMs: number): boolean {
  return r.sdownSinceMs === 0 || nowMs - r.sdownSinceMs > ms;
}

function discoverReplicas(
  state: SentinelState,
  master: MasterState,
  info: ParsedInfo,
  nowMs: number,
  effects: Effect[],
): void {
  let added = false;
  for (const listed of info.replicas) {
    // What the config loader would refuse must not be persisted, and Redis
    // does not create a replica whose address it cannot make either: a name
    // counts only once the shell resolved it (which it does only with
    // resolve-hostnames), a numeric address is stored as inet_ntop prints it.
    const named = state.addressing.resolved.has(listed.host);
    const addr = checkAnnouncedAddress(listed.host, listed.port, named);
    if (typeof addr === 'string') continue;
    const { host, port } = addr;
    if (findReplica(master, host, port)) continue;
    const replica = createReplica(state, master, host, port, nowMs);
    effects.push(sentinelEvent('notice', '+slave', instanceDetails(replica, master), master.name));
    added = true;
  }
  if (added) effects.push({ type: 'persist', sync: false });
}

// ---------------------------------------------------------------- hellos

/** A hello from a master/replica channel or PUBLISHed to us by a peer. */
export function onHello(state: SentinelState, payload: string, nowMs: number): Effect[] {
  const parsed = parseHello(payload);
  if (!parsed || parsed.runId === state.myId) return [];
  const master = state.masters.get(parsed.masterName);
  if (!master) return [];
  // Whatever a hello makes us store is written to the config file: it must
  // pass the loader's checks, or the next start would fail (Redis drops such
  // a hello too, as it cannot create the instance's address).
  const hello = checkedHello(state, parsed);
  if (!hello) return [];
  const effects: Effect[] = [];
  let peer = findPeer(master, hello.ip, hello.port, hello.runId);
  if (!peer) peer = addPeer(state, master, hello.ip, hello.port, hello.runId, nowMs, effects);
  if (hello.currentEpoch > state.currentEpoch) {
    state.currentEpoch = hello.currentEpoch;
    // Synchronous: a restart must not come back with a lower current epoch
    // than one we already acted on (a vote asked at it, a hello announcing it).
    effects.push({ type: 'persist', sync: true });
    effects.push(sentinelEvent('warning', '+new-epoch', String(state.currentEpoch), master.name));
  }
  // Adopted even in TILT (as Redis does): it is the peers' decision, not a
  // judgement of ours based on time, and acting on a stale configuration
  // right after TILT would undo their failover.
  if (master.config.configEpoch < hello.masterConfigEpoch) {
    applyNewerConfig(state, master, peer, hello.masterIp, hello.masterPort, hello.masterConfigEpoch, nowMs, effects);
  }
  peer.lastHelloMs = nowMs;
  return effects;
}

/** The hello with its addresses normalized as the config loader stores them, or undefined if it would not load. */
function checkedHello(state: SentinelState, hello: Hello): Hello | undefined {
  // As for replicas in INFO: a name counts only once the shell resolved it
  // (it resolves hello names first, and only with resolve-hostnames).
  const named = (host: string): boolean => state.addressing.resolved.has(host);
  const peer = checkAnnouncedAddress(hello.ip, hello.port, named(hello.ip));
  const master = checkAnnouncedAddress(hello.masterIp, hello.masterPort, named(hello.masterIp));
  if (typeof peer === 'string' || typeof master === 'string' || !isValidRunId(hello.runId)) return undefined;
  return { ...hello, ip: peer.host, port: peer.port, masterIp: master.host, masterPort: master.port };
}

/**
 * A peer announces a newer configuration of this master (it led a failover
 * we did not see): adopt the announced address.
 */
function applyNewerConfig(
  state: SentinelState,
  master: MasterState,
  peer: PeerSentinelState,
  host: string,
  port: number,
  configEpoch: number,
  nowMs: number,
  effects: Effect[],
): void {
  // A newer configuration supersedes any failover of ours still running.
  if (failoverInProgress(master)) {
    effects.push(sentinelEvent('warning', '-failover-abort-superseded', instanceDetails(master), master.name));
    abortFailover(state, master, nowMs, effects);
  }
  master.config.configEpoch = configEpoch;
  effects.push({ type: 'persist', sync: true });
  if (sameHost(state.addressing, host, master.host) && port === master.port) return;
  const fromIp = shownHost(state.addressing, master.host);
  const fromPort = master.port;
  effects.push(sentinelEvent('warning', '+config-update-from', instanceDetails(peer, master), master.name));
  effects.push(sentinelEvent('warning', '+switch-master', `${master.name} ${fromIp} ${fromPort} ${host} ${port}`, master.name));
  changeMasterAddress(state, master, host, port, nowMs, effects);
  effects.push({ type: 'reconfigScript', master: master.name, role: 'observer', state: 'start',
    fromIp, fromPort, toIp: host, toPort: port });
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
  effects.push({ type: 'persist', sync: false });
  return peer;
}
