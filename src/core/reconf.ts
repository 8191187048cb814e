/**
 * After the promotion: the new config-epoch, +promoted-slave, the other
 * replicas repointed `parallel-syncs` at a time (sent -> inprog -> done,
 * followed through their INFO), and the end of the failover (all done, or
 * failover-timeout) that leads to update-config.
 */
import { instanceDetails } from './details.js';
import { sentinelEvent, type Effect } from './effects.js';
import { demoteOldMaster } from './coordinated.js';
import { enterState, promotedReplica } from './failoverState.js';
import { sameHost, shownHost, type MasterState, type ReplicaState, type SentinelState } from './state.js';

function ev(level: 'warning' | 'notice', channel: string, text: string, master: MasterState): Effect {
  return sentinelEvent(level, channel, text, master.name);
}

/** Called from INFO processing when the promoted replica reports role:master. */
export function onPromotedReplicaIsMaster(
  state: SentinelState,
  master: MasterState,
  replica: ReplicaState,
  nowMs: number,
  effects: Effect[],
): void {
  master.config.configEpoch = master.failover.epoch;
  const coordinated = master.failover.coordinated;
  enterState(master, 'reconf-slaves', nowMs);
  effects.push({ type: 'persist', sync: true });
  if (coordinated) effects.push(ev('warning', '+failover-coordinated-end', instanceDetails(replica, master), master));
  effects.push(ev('warning', '+promoted-slave', instanceDetails(replica, master), master));
  demoteOldMaster(state, master, replica, effects);
  if (state.simulateFailure.crashAfterPromotion) {
    effects.push({ type: 'crash', reason: 'crash-after-promotion' });
    return;
  }
  effects.push(ev('warning', '+failover-state-reconf-slaves', instanceDetails(master), master));
  effects.push({
    type: 'reconfigScript', master: master.name, role: 'leader', state: 'start',
    fromIp: shownHost(state.addressing, master.host), fromPort: master.port,
    toIp: shownHost(state.addressing, replica.host), toPort: replica.port,
  });
  // Announce the new config-epoch at once rather than at the next hello period.
  for (const inst of [master, ...master.replicas.values(), ...master.sentinels.values()]) inst.lastHelloSentMs = 0;
  reconfSlaves(state, master, nowMs, effects);
}

export function reconfSlaves(state: SentinelState, master: MasterState, nowMs: number, effects: Effect[]): void {
  const promoted = promotedReplica(master);
  if (!promoted) return;
  let inProgress = 0;
  for (const r of master.replicas.values()) if (r.reconf === 'sent' || r.reconf === 'inprog') inProgress += 1;
  for (const r of master.replicas.values()) {
    if (inProgress >= master.config.parallelSyncs) break;
    if (r.promoted || r.reconf === 'done') continue;
    if (r.reconf === 'sent' && nowMs - r.reconfSentMs > state.timing.slaveReconfTimeoutMs) {
      effects.push(ev('notice', '-slave-reconf-sent-timeout', instanceDetails(r, master), master));
      r.reconf = 'done';
      continue;
    }
    if (r.reconf !== 'none') continue;
    if (!sendReplicaOfPromoted(state, master, r, promoted, effects)) continue;
    r.reconfSentMs = nowMs;
    effects.push(ev('notice', '+slave-reconf-sent', instanceDetails(r, master), master));
    inProgress += 1;
  }
  detectEnd(state, master, promoted, nowMs, effects);
}

/**
 * SLAVEOF <promoted> to replica r when its link is up (r.reconf becomes
 * 'sent'); false, and nothing sent, when the link is down.
 */
function sendReplicaOfPromoted(
  state: SentinelState,
  master: MasterState,
  r: ReplicaState,
  promoted: ReplicaState,
  effects: Effect[],
): boolean {
  const link = state.links.get(r.linkKey);
  if (!link?.connected) return false;
  link.pendingCommands += 1;
  effects.push({ type: 'slaveof', link: link.key, target: { master: master.name, kind: 'slave', name: r.name },
    host: promoted.host, port: promoted.port });
  r.reconf = 'sent';
  return true;
}

function detectEnd(state: SentinelState, master: MasterState, promoted: ReplicaState, nowMs: number, effects: Effect[]): void {
  if (promoted.sdown) return;
  let notReconfigured = 0;
  for (const r of master.replicas.values()) {
    if (!r.promoted && r.reconf !== 'done' && !r.sdown) notReconfigured += 1;
  }
  let timedOut = false;
  if (nowMs - master.failover.stateChangedMs > master.config.failoverTimeoutMs) {
    notReconfigured = 0;
    timedOut = true;
    effects.push(ev('warning', '+failover-end-for-timeout', instanceDetails(master), master));
  }
  if (notReconfigured > 0) return;
  effects.push(ev('warning', '+failover-end', instanceDetails(master), master));
  enterState(master, 'update-config', nowMs);
  if (!timedOut) return;
  // Best effort for replicas that never confirmed: point them at the new master.
  for (const r of master.replicas.values()) {
    if (r.promoted || r.reconf === 'done' || r.reconf === 'sent') continue;
    if (!sendReplicaOfPromoted(state, master, r, promoted, effects)) continue;
    effects.push(ev('notice', '+slave-reconf-sent-be', instanceDetails(r, master), master));
  }
}

/** Replica INFO during reconf: sent -> inprog when it follows the new master, inprog -> done when its link is up. */
export function trackReconf(master: MasterState, r: ReplicaState, effects: Effect[]): void {
  const promoted = promotedReplica(master);
  if (!promoted || (r.reconf !== 'sent' && r.reconf !== 'inprog')) return;
  if (r.reconf === 'sent' && sameHost(master.addressing, r.slaveMasterHost, promoted.host) &&
      r.slaveMasterPort === promoted.port) {
    r.reconf = 'inprog';
    effects.push(ev('notice', '+slave-reconf-inprog', instanceDetails(r, master), master));
  }
  if (r.reconf === 'inprog' && r.masterLinkUp) {
    r.reconf = 'done';
    effects.push(ev('notice', '+slave-reconf-done', instanceDetails(r, master), master));
  }
}
