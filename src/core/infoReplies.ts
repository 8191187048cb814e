/**
 * INFO replies: what a master or replica reports (run id, role, replicas,
 * replication link, priority, offset) and the corrections it calls for
 * (+convert-to-slave, +fix-slave-config), replicas discovered from a master.
 */
import { checkAnnouncedAddress } from '../config/address.js';
import { roomFor } from './caps.js';
import { instanceDetails } from './details.js';
import { sentinelEvent, type Effect, type InstanceRef } from './effects.js';
import { failoverInProgress, onPromotedReplicaIsMaster, trackReconf } from './failover.js';
import { sendHellosNow } from './gossip.js';
import { parseInfo, type ParsedInfo } from './info.js';
import { createReplica, findInstance, findReplica, refOf } from './instances.js';
import { onCommandDone, reconnectLinkIfNeeded } from './linkHealth.js';
import { formatAddr, sameHost, storableName, type MasterState, type ReplicaState, type SentinelState } from './state.js';

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
  if (inst.kind === 'master' && inst.rebootSinceMs !== 0) state.rebootHint = true;
  noteRole(inst, master, info, nowMs, effects);
  if (inst.kind === 'slave') applyReplicaInfo(inst, info, nowMs);
  if (inst.kind === 'master' && info.role === 'master') {
    discoverReplicas(state, master, info, nowMs, effects);
  }
  // In TILT what we observe cannot be trusted enough to act on.
  if (state.tilt || inst.kind !== 'slave') return effects;
  if (info.role === 'master') replicaClaimsMaster(state, master, inst, nowMs, effects);
  if (info.role === 'slave') {
    // Seen as a replica since the switch: from now on a role:master from it
    // may be a promotion by another Sentinel (whose hello is on its way),
    // so it gets the usual settling wait again.
    inst.demoteAtOnce = false;
    trackReconf(master, inst, effects);
    fixReplicaConfig(state, master, inst, nowMs, effects);
  }
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
  if (r.promoted && (master.failover.state === 'wait-promotion' || master.failover.state === 'wait-failover')) {
    onPromotedReplicaIsMaster(state, master, r, nowMs, effects);
    // Announce the new configuration now: peers switch on this hello, and
    // waiting for the next tick only delays every client.
    sendHellosNow(state, master, nowMs, effects);
    return;
  }
  // The master we switched away from, back and still a master: every write
  // it takes now is lost, so no settling wait (issue 12) -- unless we may be
  // the one out of date (see below).
  if (r.demoteAtOnce && !r.promoted && !failoverInProgress(master) && masterLooksSane(state, master, nowMs) &&
      confirmedLately(state, master, nowMs, 'every')) {
    if (sendSlaveof(state, master, r, effects)) {
      r.demoteAtOnce = false;
      effects.push(sentinelEvent('notice', '+convert-to-slave', instanceDetails(r, master), master.name));
    }
    return;
  }
  const waitMs = state.timing.publishPeriodMs * 4;
  if (r.promoted || !masterLooksSane(state, master, nowMs) || !noDownFor(r, waitMs, nowMs) ||
      nowMs - r.roleReportedTimeMs <= waitMs) return;
  // Cut off from every peer, our configuration may be the stale one: a
  // Sentinel back from a partition repointed the newer master at the older
  // one while a peer repointed the older at the newer (a loop no failover
  // can undo; found by the simulator). Wait for a peer's hello first.
  if (!confirmedLately(state, master, nowMs)) return;
  if (sendSlaveof(state, master, r, effects)) {
    effects.push(sentinelEvent('notice', '+convert-to-slave', instanceDetails(r, master), master.name));
  }
}

/**
 * No peer known, or peers heard within two publish periods (one for the
 * settled conversion; every one for the at-once demotion, which skips the
 * wait): a newer configuration would have reached us.
 */
function confirmedLately(state: SentinelState, master: MasterState, nowMs: number, peers: 'one' | 'every' = 'one'): boolean {
  if (master.sentinels.size === 0) return true;
  const lateMs = state.timing.publishPeriodMs * 2;
  let heard = 0;
  for (const peer of master.sentinels.values()) if (nowMs - peer.lastHelloMs <= lateMs) heard += 1;
  return peers === 'every' ? heard === master.sentinels.size : heard > 0;
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

/**
 * A replica just found is linked now rather than at the next tick (within
 * the tick's connect budget), its INFO going with the first PING (onLinkUp),
 * or at once on a link already up: until that INFO is back it cannot be
 * promoted, and SENTINEL FAILOVER right after a start answered NOGOODSLAVE
 * meanwhile (redis-sentinel accepts it ~0.1 s after its start).
 */
function askInfoSoon(state: SentinelState, master: MasterState, replica: ReplicaState, nowMs: number, effects: Effect[]): void {
  const link = state.links.get(replica.linkKey);
  if (!link) return;
  if (link.connected) effects.push(...requestInfoNow(state, refOf(replica, master)));
  else reconnectLinkIfNeeded(state, link, false, nowMs, effects);
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
    const named = storableName(state, listed.host);
    const addr = checkAnnouncedAddress(listed.host, listed.port, named);
    if (typeof addr === 'string') continue;
    const { host, port } = addr;
    if (findReplica(state, master, host, port)) continue;
    if (!roomFor(state, master, 'slave', formatAddr(host, port), nowMs, effects)) continue;
    const replica = createReplica(state, master, host, port, nowMs);
    effects.push(sentinelEvent('notice', '+slave', instanceDetails(replica, master), master.name));
    askInfoSoon(state, master, replica, nowMs, effects);
    added = true;
  }
  if (added) effects.push({ type: 'persist', sync: false });
}
