/**
 * One entry point for the whole core: `step(state, event, nowMs)` applies an
 * event and returns the effects to carry out, in order. It is the only writer
 * of Sentinel state: timers, links and admin commands are all events, and the
 * runtime and the simulator both drive the core through it.
 */
import type { Effect, InstanceRef } from './effects.js';
import { answerIsMasterDown, ImpossibleTransition, manualFailover, onMasterDownReply, undoUnsentSlaveof, type MasterDownAnswer } from './failover.js';
import {
  evaluateMaster,
  noticeClockJump,
  onCommandDone,
  onHello,
  onInfo,
  onLinkDown,
  onLinkUp,
  onPingReply,
  onPubsubDown,
  onPubsubMessage,
  onPubsubUp,
  requestInfoNow,
  tick,
  type PingOutcome,
} from './monitor.js';
import type { SentinelState } from './state.js';
import { answersAgain, onFailoverToReply, pollFormerMaster } from './coordinated.js';
import {
  monitorMaster,
  removeMonitoredMaster,
  resetMasters,
  setDebugTimings,
  setMasterOptions,
  setSentinelOptions,
  simulateFailure,
  type MasterOptionChange,
  type MonitorRequest,
  type SentinelOptionChanges,
  type SimulatedFailure,
} from './admin.js';
import type { Timing } from './timing.js';
import { visitAllSoon, visitBy, visitSoon } from './visits.js';

export type CoreEvent =
  | { type: 'tick' }
  | { type: 'linkUp'; link: string; localIp: string; remoteIp?: string }
  /** The shell resolved a hostname (MONITOR, a replica named by hostname in INFO). */
  | { type: 'hostResolved'; host: string; ip: string }
  | { type: 'linkDown'; link: string }
  /** The pub/sub connection is subscribed to the hello channel. */
  | { type: 'pubsubUp'; link: string }
  /** The pub/sub connection was lost or closed (a refused SUBSCRIBE included). */
  | { type: 'pubsubDown'; link: string }
  /** Something arrived on the pub/sub connection (a hello is also fed as `hello`). */
  | { type: 'pubsubMessage'; link: string }
  | { type: 'pingReply'; link: string; outcome: PingOutcome }
  | { type: 'info'; target: InstanceRef; text?: string }
  | { type: 'hello'; payload: string }
  | { type: 'commandDone'; link: string }
  /** `stalled`: not sent, the process stalled between the decision and the send (the core resends it after TILT). */
  | { type: 'slaveofDone'; link: string; target: InstanceRef; ok: boolean; stalled?: boolean }
  | { type: 'masterDownReply'; master: string; peer: string; reply?: MasterDownAnswer }
  | { type: 'isMasterDownRequest'; ip: string; port: number; epoch: number; runId: string }
  | { type: 'manualFailover'; master: string; coordinated?: boolean }
  /**
   * The master's reply to FAILOVER TO: `error` is the error reply's text,
   * undefined for +OK; `noReply` when none came (timeout, link lost).
   */
  | { type: 'failoverToReply'; link: string; master: string; error?: string; noReply?: boolean }
  /** A `wakeAt` effect came due. */
  | { type: 'evaluate'; master: string }
  // Admin commands, their arguments already checked by the command modules.
  | ({ type: 'monitor' } & MonitorRequest)
  | { type: 'remove'; master: string }
  /** SENTINEL RESET: the masters its pattern matched. */
  | { type: 'reset'; masters: readonly string[] }
  | { type: 'setMasterOptions'; master: string; changes: readonly MasterOptionChange[] }
  | ({ type: 'setSentinelOptions' } & SentinelOptionChanges)
  | { type: 'simulateFailure'; flags: readonly SimulatedFailure[] }
  | { type: 'debugTiming'; updates: ReadonlyArray<readonly [keyof Timing, number]> };

export interface StepResult {
  effects: Effect[];
  /** Set for isMasterDownRequest: the answer, to send only after `effects` (persist first). */
  answer?: MasterDownAnswer;
  /** Set for manualFailover. */
  manual?: 'ok' | 'inprog' | 'nogoodslave' | 'nosuchmaster' | 'masterdown';
}

export interface StepOptions {
  /**
   * Rethrow a core bug (ImpossibleTransition) instead of containing it.
   * Default true, so unit tests and the simulator fail on it; the runtime
   * passes false: in production one bad master must not take down a
   * Sentinel that watches a thousand.
   */
  strict?: boolean;
}

export function step(state: SentinelState, event: CoreEvent, nowMs: number, opts: StepOptions = {}): StepResult {
  if (opts.strict ?? true) return stepChecked(state, event, nowMs);
  try {
    return stepChecked(state, event, nowMs);
  } catch (err) {
    if (!(err instanceof ImpossibleTransition)) throw err;
    return { effects: containImpossibleTransition(state, err, event, nowMs) };
  }
}

/**
 * The effects the step had gathered are dropped (none of them left); what it
 * changed in state stays, so the state is written again. That master's
 * failover is stopped, and it starts over from its next ODOWN.
 */
function containImpossibleTransition(state: SentinelState, err: ImpossibleTransition, event: CoreEvent, nowMs: number): Effect[] {
  const master = state.masters.get(err.master);
  const shown = master ? `${master.failover.state} (epoch ${master.failover.epoch})` : 'unknown (master gone)';
  if (master) {
    for (const r of master.replicas.values()) {
      r.promoted = false;
      r.reconf = 'none';
    }
    master.failover = { state: 'none', epoch: master.failover.epoch, stateChangedMs: nowMs, forced: false, coordinated: false };
  }
  return [
    {
      type: 'log',
      level: 'warning',
      message: `BUG: ${err.name} in the failover of master '${err.master}' (${err.message}) on event ${event.type}; ` +
        `failover state was ${shown}; this master's failover is stopped, the Sentinel keeps running`,
      master: err.master,
    },
    { type: 'persist', sync: true },
  ];
}

function stepChecked(state: SentinelState, event: CoreEvent, nowMs: number): StepResult {
  if (event.type === 'tick') return { effects: tick(state, nowMs) };
  // The clock is checked before any decision, whatever event comes first.
  const tilt = noticeClockJump(state, nowMs);
  const result = stepEvent(state, event, nowMs);
  if (tilt.length > 0) {
    result.effects.unshift(...tilt);
    visitAllSoon(state);
  }
  scheduleVisits(state, event, result, nowMs);
  return result;
}

/**
 * The timer visits a group when its work is due (visits.ts); an event that
 * may make work due sooner than planned has the next tick visit what it
 * touched. Replies that only push deadlines later (PONG, a hello that
 * changed nothing, a command done) schedule nothing.
 */
function scheduleVisits(state: SentinelState, event: Exclude<CoreEvent, { type: 'tick' }>, result: StepResult, nowMs: number): void {
  switch (event.type) {
    case 'linkUp':
    case 'linkDown':
    case 'pubsubUp':
    case 'pubsubDown':
      return visitLinkUsersSoon(state, event.link, nowMs);
    case 'hostResolved':
    case 'setSentinelOptions':
    case 'simulateFailure':
    case 'debugTiming':
      return visitAllSoon(state);
    case 'isMasterDownRequest':
      if (result.effects.length > 0) visitAllSoon(state);
      return;
    case 'info':
    case 'slaveofDone':
      return visitSoon(state, event.target.master, nowMs);
    case 'masterDownReply':
    case 'manualFailover':
    case 'failoverToReply':
    case 'evaluate':
    case 'setMasterOptions':
      return visitSoon(state, event.master, nowMs);
    case 'reset':
      for (const name of event.masters) visitSoon(state, name, nowMs);
      return;
    case 'hello':
      if (result.effects.length > 0) visitSoon(state, event.payload.split(',')[4] ?? '', nowMs);
      return;
    case 'monitor': // createMaster schedules the new master's first visit
    case 'remove':
    case 'pingReply':
    case 'commandDone':
    case 'pubsubMessage':
      return;
  }
}

/**
 * A link event concerns the groups of the instances on that link only: a
 * thousand unreachable peers going down in turn must not each make the
 * next tick visit every group.
 */
function visitLinkUsersSoon(state: SentinelState, linkKey: string, nowMs: number): void {
  const users = state.links.get(linkKey)?.users;
  if (users) for (const master of users.values()) visitBy(state, master, nowMs);
}

function stepEvent(state: SentinelState, event: Exclude<CoreEvent, { type: 'tick' }>, nowMs: number): StepResult {
  switch (event.type) {
    case 'linkUp': return { effects: onLinkUp(state, event.link, event.localIp, nowMs, event.remoteIp) };
    case 'hostResolved': state.addressing.resolved.set(event.host, event.ip); return { effects: [] };
    case 'linkDown': onLinkDown(state, event.link); return { effects: [] };
    case 'pubsubUp': onPubsubUp(state, event.link, nowMs); return { effects: [] };
    case 'pubsubDown': onPubsubDown(state, event.link); return { effects: [] };
    case 'pubsubMessage': onPubsubMessage(state, event.link, nowMs); return { effects: [] };
    case 'pingReply': {
      const back = event.outcome === 'pong' && !state.tilt && answersAgain(state, event.link, nowMs);
      onPingReply(state, event.link, event.outcome, nowMs);
      return { effects: back ? pollFormerMaster(state, event.link) : [] };
    }
    case 'failoverToReply':
      return { effects: onFailoverToReply(state, event.master, event.link, event.noReply === true ? 'no-reply' : event.error, nowMs) };
    case 'info': {
      const effects = onInfo(state, event.target, event.text, nowMs);
      // As the runtime does: a replica's INFO may unblock a running failover.
      if (event.target.kind === 'slave' && state.masters.get(event.target.master)?.failover.state !== 'none') {
        effects.push(...evaluateMaster(state, event.target.master, nowMs));
      }
      return { effects };
    }
    case 'hello': return { effects: onHello(state, event.payload, nowMs) };
    case 'commandDone': onCommandDone(state, event.link); return { effects: [] };
    case 'slaveofDone':
      onCommandDone(state, event.link);
      if (event.stalled === true) undoUnsentSlaveof(state, event.target, nowMs);
      return { effects: event.ok ? requestInfoNow(state, event.target) : [] };
    case 'masterDownReply':
      onMasterDownReply(state, event.master, event.peer, event.reply, nowMs);
      return { effects: event.reply ? evaluateMaster(state, event.master, nowMs) : [] };
    case 'isMasterDownRequest': {
      const effects: Effect[] = [];
      const answer = answerIsMasterDown(state, event.ip, event.port, event.epoch, event.runId, nowMs, effects);
      return { effects, answer };
    }
    case 'evaluate': return { effects: evaluateMaster(state, event.master, nowMs) };
    case 'manualFailover': {
      const master = state.masters.get(event.master);
      if (!master) return { effects: [], manual: 'nosuchmaster' };
      const effects: Effect[] = [];
      return { effects, manual: manualFailover(state, master, nowMs, effects, event.coordinated === true) };
    }
    case 'monitor': return { effects: monitorMaster(state, event, nowMs) };
    case 'remove': return { effects: removeMonitoredMaster(state, event.master) };
    case 'reset': return { effects: resetMasters(state, event.masters, nowMs) };
    case 'setMasterOptions': return { effects: setMasterOptions(state, event.master, event.changes) };
    case 'setSentinelOptions': return { effects: setSentinelOptions(state, event, nowMs) };
    case 'simulateFailure': return { effects: simulateFailure(state, event.flags) };
    case 'debugTiming': return { effects: setDebugTimings(state, event.updates) };
  }
}
