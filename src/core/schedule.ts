/**
 * The timer's work: one tick over every instance (reconnect, INFO, PING and
 * hello when due, SDOWN) and over every master (ODOWN, failover start, its
 * state machine, peer queries), and the same master decisions on demand.
 */
import type { Effect } from './effects.js';
import {
  askMasterState,
  checkObjectivelyDown,
  failoverInProgress,
  failoverStateMachine,
  startFailoverIfNeeded,
  switchToPromoted,
} from './failover.js';
import { coordinatedInfoPeriodMs } from './coordinated.js';
import { sendHello } from './gossip.js';
import { refOf } from './instances.js';
import { dropSilentPubsub, reconnectIfNeeded, reconnectPubsubIfNeeded, sendPing } from './linkHealth.js';
import { checkSubjectivelyDown } from './sdown.js';
import type { AnyInstance, LinkState, MasterState, SentinelState } from './state.js';
import { checkTilt } from './tilt.js';

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

function handleInstance(
  state: SentinelState,
  inst: AnyInstance,
  master: MasterState,
  nowMs: number,
  effects: Effect[],
): void {
  const link = state.links.get(inst.linkKey);
  if (!link) return;
  if (!state.tilt) dropSilentPubsub(state, link, nowMs, effects);
  reconnectIfNeeded(state, link, nowMs, effects);
  reconnectPubsubIfNeeded(state, link, nowMs, effects);
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

/** The master-only part of a tick: ODOWN, failover start, its state machine, peer queries. */
function handleMaster(state: SentinelState, master: MasterState, nowMs: number, effects: Effect[]): void {
  checkObjectivelyDown(state, master, nowMs, effects);
  if (startFailoverIfNeeded(state, master, nowMs, effects)) askMasterState(state, master, true, nowMs, effects);
  failoverStateMachine(state, master, nowMs, effects);
  askMasterState(state, master, false, nowMs, effects);
}

function infoPeriodMs(state: SentinelState, inst: AnyInstance, master: MasterState): number {
  const coordinatedMs = coordinatedInfoPeriodMs(state, inst, master);
  if (coordinatedMs !== undefined) return coordinatedMs;
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
