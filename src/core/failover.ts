/**
 * The failover state machine: the start (ODOWN, or SENTINEL FAILOVER), then
 * wait-start -> select-slave -> send-slaveof-noone -> wait-promotion, each
 * step with its timeout; from the promotion on, reconf.ts; the coordinated
 * variant (send-failover -> wait-failover) in coordinated.ts. Every function
 * takes `nowMs` and returns effects; transitions go through `enterState`
 * (failoverState.ts), which refuses impossible ones.
 *
 * The names of the modules split from here are re-exported, so that
 * importers of failover.js keep working.
 */
import { instanceDetails } from './details.js';
import { sentinelEvent, type Effect, type InstanceRef } from './effects.js';
import { getLeader } from './election.js';
import { coordinatedRefusal, sendFailoverTo, waitFailover } from './coordinated.js';
import { abortFailover, enterState, failoverInProgress, promotedReplica } from './failoverState.js';
import { askMasterState } from './odown.js';
import { reconfSlaves } from './reconf.js';
import { noGoodReplicaReason, selectReplica } from './select.js';
import type { MasterState, SentinelState } from './state.js';

export {
  abortFailover,
  currentMasterAddress,
  enterState,
  failoverInProgress,
  ImpossibleTransition,
  promotedReplica,
} from './failoverState.js';
export {
  answerIsMasterDown,
  askMasterState,
  checkObjectivelyDown,
  onMasterDownReply,
  startDelayMs,
  type MasterDownAnswer,
} from './odown.js';
export { onPromotedReplicaIsMaster, trackReconf } from './reconf.js';
export { changeMasterAddress, switchToPromoted } from './addressSwitch.js';

function ev(level: 'warning' | 'notice', channel: string, text: string, master: MasterState): Effect {
  return sentinelEvent(level, channel, text, master.name);
}

// ---------------------------------------------------------------- start

/** Starts a failover when the master is ODOWN and no recent attempt blocks it. */
export function startFailoverIfNeeded(state: SentinelState, master: MasterState, nowMs: number, effects: Effect[]): boolean {
  if (!master.odown || failoverInProgress(master)) return false;
  // The start waits for ODOWN, or for the end of the back-off after an
  // attempt (ours or one we voted for), then for our rank's slot: Sentinels
  // that reach either moment together start a slot apart.
  const backoffEndMs = master.failoverStartMs === 0 ? 0 : master.failoverStartMs + master.config.failoverTimeoutMs * 2;
  const readyAtMs = Math.max(master.odownSinceMs, backoffEndMs) + master.startJitterMs;
  if (nowMs < readyAtMs) {
    // The slot only separates Sentinels if it is honoured to the
    // millisecond, not rounded up to the next tick.
    effects.push({ type: 'wakeAt', master: master.name, atMs: readyAtMs });
    return false;
  }
  startFailover(state, master, nowMs, effects, false);
  return true;
}

export function startFailover(
  state: SentinelState,
  master: MasterState,
  nowMs: number,
  effects: Effect[],
  forced: boolean,
): void {
  enterState(master, 'wait-start', nowMs);
  state.currentEpoch += 1;
  master.failover.epoch = state.currentEpoch;
  master.failover.forced = forced;
  master.failover.coordinated = false;
  master.failover.promoted = undefined;
  effects.push({ type: 'persist', sync: true });
  effects.push(ev('warning', '+new-epoch', String(state.currentEpoch), master));
  effects.push(ev('warning', '+try-failover', instanceDetails(master), master));
  master.failoverStartMs = nowMs;
}

// ---------------------------------------------------------------- state machine

export function failoverStateMachine(state: SentinelState, master: MasterState, nowMs: number, effects: Effect[]): void {
  switch (master.failover.state) {
    case 'none':
    case 'update-config':
      return;
    case 'wait-start': return waitStart(state, master, nowMs, effects);
    case 'select-slave': return selectSlave(state, master, nowMs, effects);
    case 'send-slaveof-noone': return sendSlaveofNoOne(state, master, nowMs, effects);
    case 'wait-promotion': return waitPromotion(state, master, nowMs, effects);
    case 'reconf-slaves': return reconfSlaves(state, master, nowMs, effects);
    case 'send-failover': return sendFailoverTo(state, master, nowMs, effects);
    case 'wait-failover': return waitFailover(state, master, nowMs, effects);
  }
}

function waitStart(state: SentinelState, master: MasterState, nowMs: number, effects: Effect[]): void {
  const leader = getLeader(state, master, master.failover.epoch, nowMs, effects);
  if (leader !== state.myId && !master.failover.forced) {
    const electionTimeoutMs = Math.min(state.timing.electionTimeoutMs, master.config.failoverTimeoutMs);
    if (nowMs - master.failoverStartMs > electionTimeoutMs) {
      effects.push(ev('warning', '-failover-abort-not-elected', instanceDetails(master), master));
      abortFailover(state, master, nowMs, effects);
    }
    return;
  }
  effects.push(ev('warning', '+elected-leader', instanceDetails(master), master));
  if (state.simulateFailure.crashAfterElection) {
    effects.push({ type: 'crash', reason: 'crash-after-election' });
    return;
  }
  enterState(master, 'select-slave', nowMs);
  effects.push(ev('warning', '+failover-state-select-slave', instanceDetails(master), master));
  // Go on in the same tick: nothing is gained by waiting for the next one.
  selectSlave(state, master, nowMs, effects);
}

function selectSlave(state: SentinelState, master: MasterState, nowMs: number, effects: Effect[]): void {
  const replica = selectReplica(state, master, nowMs);
  if (!replica) {
    // Elections can finish within milliseconds of ODOWN, before the INFO
    // asked for at ODOWN is back; give live replicas a bounded moment
    // instead of aborting (a retry would come 2 x failover-timeout later).
    if (awaitingReplicaInfo(state, master, nowMs)) return;
    effects.push(ev('warning', '-failover-abort-no-good-slave', instanceDetails(master), master));
    effects.push({ type: 'log', level: 'warning', master: master.name,
      message: `No replica of ${master.name} can be promoted: ${noGoodReplicaReason(state, master, nowMs)}` });
    abortFailover(state, master, nowMs, effects);
    // The peers that voted for us retry 2 x failover-timeout after their
    // vote, in rank order, and we would again be first: they may know
    // replicas we do not (after a RESET, a restart), so we retry one
    // failover-timeout after them, else the same empty attempt repeats forever.
    master.failoverStartMs = nowMs + master.config.failoverTimeoutMs;
    return;
  }
  effects.push(ev('warning', '+selected-slave', instanceDetails(replica, master), master));
  replica.promoted = true;
  master.failover.promoted = replica.name;
  if (master.failover.coordinated) {
    enterState(master, 'send-failover', nowMs);
    sendFailoverTo(state, master, nowMs, effects);
    return;
  }
  enterState(master, 'send-slaveof-noone', nowMs);
  effects.push(ev('notice', '+failover-state-send-slaveof-noone', instanceDetails(replica, master), master));
  sendSlaveofNoOne(state, master, nowMs, effects);
}

function awaitingReplicaInfo(state: SentinelState, master: MasterState, nowMs: number): boolean {
  if (nowMs - master.failover.stateChangedMs > state.timing.pingPeriodMs * 3) return false;
  for (const r of master.replicas.values()) {
    const link = state.links.get(r.linkKey);
    if (!r.sdown && link?.connected && r.replicaPriority !== 0) return true;
  }
  return false;
}

function sendSlaveofNoOne(state: SentinelState, master: MasterState, nowMs: number, effects: Effect[]): void {
  const replica = promotedReplica(master);
  const link = replica ? state.links.get(replica.linkKey) : undefined;
  if (!replica || !link?.connected) {
    if (nowMs - master.failover.stateChangedMs > master.config.failoverTimeoutMs) {
      effects.push(ev('warning', '-failover-abort-slave-timeout', instanceDetails(master), master));
      abortFailover(state, master, nowMs, effects);
    }
    return;
  }
  link.pendingCommands += 1;
  effects.push({ type: 'slaveof', link: link.key, target: { master: master.name, kind: 'slave', name: replica.name } });
  enterState(master, 'wait-promotion', nowMs);
  effects.push(ev('notice', '+failover-state-wait-promotion', instanceDetails(replica, master), master));
}

/**
 * A SLAVEOF decided before a stall was not sent (the executor and the links
 * hold such commands back): the step goes back to where it sends it, so it
 * is sent again once TILT is over, as redis-sentinel's next step after its
 * TILT would; the state's start time is kept, so failover-timeout still
 * bounds it.
 */
export function undoUnsentSlaveof(state: SentinelState, ref: InstanceRef, nowMs: number): void {
  const master = state.masters.get(ref.master);
  const replica = master?.replicas.get(ref.name);
  if (!master || !replica) return;
  if (replica.promoted && master.failover.state === 'wait-promotion') {
    const startedMs = master.failover.stateChangedMs;
    enterState(master, 'send-slaveof-noone', nowMs);
    master.failover.stateChangedMs = startedMs;
  } else if (replica.reconf === 'sent' && master.failover.state === 'reconf-slaves') {
    replica.reconf = 'none';
  }
}

function waitPromotion(state: SentinelState, master: MasterState, nowMs: number, effects: Effect[]): void {
  if (nowMs - master.failover.stateChangedMs > master.config.failoverTimeoutMs) {
    effects.push(ev('warning', '-failover-abort-slave-timeout', instanceDetails(master), master));
    abortFailover(state, master, nowMs, effects);
  }
}

/**
 * SENTINEL FAILOVER <master>: start at once, no agreement needed (as in Redis).
 * COORDINATED: the master must be reachable; the failover then waits for an
 * election like an automatic one (src/core/coordinated.ts).
 */
export function manualFailover(
  state: SentinelState,
  master: MasterState,
  nowMs: number,
  effects: Effect[],
  coordinated = false,
): 'ok' | 'inprog' | 'nogoodslave' | 'masterdown' {
  if (failoverInProgress(master)) return 'inprog';
  if (coordinated && coordinatedRefusal(state, master)) return 'masterdown';
  if (!selectReplica(state, master, nowMs)) {
    effects.push({ type: 'log', level: 'warning', master: master.name,
      message: `SENTINEL FAILOVER ${master.name}: no replica can be promoted: ${noGoodReplicaReason(state, master, nowMs)}` });
    return 'nogoodslave';
  }
  startFailover(state, master, nowMs, effects, !coordinated);
  if (coordinated) {
    master.failover.coordinated = true;
    askMasterState(state, master, true, nowMs, effects);
  }
  return 'ok';
}
