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
import { instancesOf, refOf } from './instances.js';
import { takeDue, visitAllSoon, visitBy } from './visits.js';
import { dropSilentPubsub, reconnectLinkIfNeeded, sendPing, startDeferredConnects } from './linkHealth.js';
import { checkSubjectivelyDown } from './sdown.js';
import type { AnyInstance, LinkState, MasterState, SentinelState } from './state.js';
import { checkTilt } from './tilt.js';

/**
 * One timer run: TILT check, then the groups that are due (visits.ts), or
 * every group at start, in TILT, and after a change that concerns them all.
 */
export function tick(state: SentinelState, nowMs: number): Effect[] {
  const effects: Effect[] = [];
  const wasTilt = state.tilt;
  checkTilt(state, nowMs, effects);
  if (state.tilt || wasTilt) visitAllSoon(state);
  startDeferredConnects(state, nowMs, effects);
  const due = takeDue(state, nowMs);
  const masters = due === 'all' ? [...state.masters.values()] : due;
  for (const master of masters) {
    visitGroup(state, master, nowMs, effects);
    visitBy(state, master, nextVisitMs(state, master, nowMs));
  }
  state.lastTickMs = nowMs;
  return effects;
}

function visitGroup(state: SentinelState, master: MasterState, nowMs: number, effects: Effect[]): void {
  const beat = nowMs - master.beatMs >= beatPeriodMs(state, master);
  if (beat) master.beatMs = nowMs;
  handleInstance(state, master, master, nowMs, beat, effects);
  if (!state.tilt) handleMaster(state, master, nowMs, effects);
  for (const r of master.replicas.values()) handleInstance(state, r, master, nowMs, beat, effects);
  for (const s of master.sentinels.values()) handleInstance(state, s, master, nowMs, beat, effects);
  if (master.failover.state === 'update-config') switchToPromoted(state, master, nowMs, effects);
}

/** A group's periodic commands (PING, hello, INFO) go out together once per this period. */
function beatPeriodMs(state: SentinelState, master: MasterState): number {
  return Math.min(master.config.downAfterMs, state.timing.pingPeriodMs);
}

/**
 * When the group needs the timer again: at the next tick while anything is
 * going on; otherwise at its next beat, or earlier at a deadline of its own
 * (a command overdue because no beat came, a reply late enough to check the
 * link, a silent pub/sub connection).
 */
function nextVisitMs(state: SentinelState, master: MasterState, nowMs: number): number {
  if (state.tilt || busy(master)) return nowMs;
  const t = state.timing;
  const beatMs = beatPeriodMs(state, master);
  let due = master.beatMs + beatMs;
  // The conditions below are strict (elapsed > period): due 1 ms after.
  for (const inst of instancesOf(master)) {
    if (inst.sdown) return nowMs;
    const link = state.links.get(inst.linkKey);
    if (!link?.connected || (link.kind === 'redis' && !link.pubsub.connected)) return nowMs;
    if (link.pendingCommands >= t.maxPendingCommands * link.users.size) return nowMs;
    if (inst.kind !== 'sentinel' && !inst.infoPending) {
      if (inst.infoRefreshMs === 0) return nowMs;
      const period = infoPeriodMs(state, inst, master);
      due = Math.min(due, inst.infoRefreshMs + sendAfterMs(period, beatMs, false) + 1);
    }
    due = Math.min(due, inst.lastHelloSentMs + sendAfterMs(t.publishPeriodMs, beatMs, false) + 1);
    // A PING in flight: its reply sets the next one, or its absence is
    // checked at half of down-after (stuck link) and down-after (SDOWN).
    // A peer's link is shared by every master: its pings ride on their beats.
    if (link.actPingMs !== 0) due = Math.min(due, link.actPingMs + master.config.downAfterMs / 2 + 1);
    else if (link.kind === 'redis') due = Math.min(due, Math.max(link.lastPongMs + beatMs, link.lastPingSentMs + beatMs / 2) + 1);
    if (link.kind === 'redis') {
      due = Math.min(due, Math.max(link.pubsub.lastActivityMs + t.publishPeriodMs * 3,
        link.pubsub.connectedAtMs + t.minLinkReconnectPeriodMs) + 1);
    }
  }
  return Math.max(due, nowMs);
}

/** Anything under way that the timer must look at every tick, as it once did for all. */
function busy(master: MasterState): boolean {
  if (master.sdown || master.odown || master.failover.state !== 'none' || master.rebootSinceMs !== 0 ||
      master.roleReported === 'slave') return true;
  for (const r of master.replicas.values()) if (r.promoted || r.reconf !== 'none' || r.demoteAtOnce) return true;
  for (const p of master.sentinels.values()) if (p.peerSaysMasterDown || p.leader !== undefined || p.askPending) return true;
  return false;
}

/**
 * How long after the last one a periodic command (INFO, hello) goes out.
 * Periods of two beats or more are aligned on beats: on a beat, once within
 * half a beat of due; off the beat, only when overdue by a whole beat (no
 * beat came). Shorter periods keep their own time.
 */
function sendAfterMs(periodMs: number, beatMs: number, beat: boolean): number {
  if (periodMs < 2 * beatMs) return periodMs;
  return beat ? periodMs - beatMs / 2 : periodMs + beatMs;
}

function handleInstance(
  state: SentinelState,
  inst: AnyInstance,
  master: MasterState,
  nowMs: number,
  beat: boolean,
  effects: Effect[],
): void {
  const link = state.links.get(inst.linkKey);
  if (!link) return;
  if (!state.tilt) dropSilentPubsub(state, link, nowMs, effects);
  reconnectLinkIfNeeded(state, link, inst.kind === 'master', nowMs, effects);
  sendPeriodicCommands(state, inst, master, link, nowMs, beat, effects);
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

/**
 * PING, INFO and hello, each at its period, aligned on the group's beat
 * (sendAfterMs) so that its commands leave in one write and their replies
 * come back in one read.
 */
function sendPeriodicCommands(
  state: SentinelState,
  inst: AnyInstance,
  master: MasterState,
  link: LinkState,
  nowMs: number,
  beat: boolean,
  effects: Effect[],
): void {
  if (!link.connected) return;
  if (link.pendingCommands >= state.timing.maxPendingCommands * link.users.size) return;
  const beatMs = beatPeriodMs(state, master);
  if (inst.kind !== 'sentinel' && !inst.infoPending) {
    const period = infoPeriodMs(state, inst, master);
    if (inst.infoRefreshMs === 0 || nowMs - inst.infoRefreshMs > sendAfterMs(period, beatMs, beat)) {
      inst.infoPending = true;
      link.pendingCommands += 1;
      effects.push({ type: 'info', link: link.key, target: refOf(inst, master) });
    }
  }
  // On a beat a PING goes early (a quarter period since the last, so that a
  // link's pings move onto the group's beat; half for a peer's shared link).
  const sincePongMs = nowMs - link.lastPongMs;
  const sincePingMs = nowMs - link.lastPingSentMs;
  const earlyMs = link.kind === 'redis' ? beatMs / 4 : beatMs / 2;
  if ((sincePongMs > beatMs && sincePingMs > beatMs / 2) || (beat && sincePongMs > earlyMs && sincePingMs > earlyMs)) {
    sendPing(link, nowMs, effects);
  }
  if (nowMs - inst.lastHelloSentMs > sendAfterMs(state.timing.publishPeriodMs, beatMs, beat)) sendHello(state, inst, master, link, nowMs, effects);
}
