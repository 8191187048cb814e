/**
 * One entry point for the whole core: `step(state, event, nowMs)` applies an
 * event and returns the effects to carry out, in order. The runtime and the
 * simulator both drive the core through it (the runtime also calls the
 * underlying functions directly where that reads better).
 */
import type { Effect, InstanceRef } from './effects.js';
import { answerIsMasterDown, manualFailover, onMasterDownReply, type MasterDownAnswer } from './failover.js';
import {
  evaluateMaster,
  noticeClockJump,
  onCommandDone,
  onHello,
  onInfo,
  onLinkDown,
  onLinkUp,
  onPingReply,
  requestInfoNow,
  tick,
  type PingOutcome,
} from './monitor.js';
import type { SentinelState } from './state.js';
import { answersAgain, onFailoverToReply, pollFormerMaster } from './coordinated.js';

export type CoreEvent =
  | { type: 'tick' }
  | { type: 'linkUp'; link: string; localIp: string; remoteIp?: string }
  /** The shell resolved a hostname (MONITOR, a replica named by hostname in INFO). */
  | { type: 'hostResolved'; host: string; ip: string }
  | { type: 'linkDown'; link: string }
  | { type: 'pingReply'; link: string; outcome: PingOutcome }
  | { type: 'info'; target: InstanceRef; text?: string }
  | { type: 'hello'; payload: string }
  | { type: 'commandDone'; link: string }
  | { type: 'slaveofDone'; link: string; target: InstanceRef; ok: boolean }
  | { type: 'masterDownReply'; master: string; peer: string; reply?: MasterDownAnswer }
  | { type: 'isMasterDownRequest'; ip: string; port: number; epoch: number; runId: string }
  | { type: 'manualFailover'; master: string; coordinated?: boolean }
  /**
   * The master's reply to FAILOVER TO: `error` is the error reply's text,
   * undefined for +OK; `noReply` when none came (timeout, link lost).
   */
  | { type: 'failoverToReply'; link: string; master: string; error?: string; noReply?: boolean }
  /** A `wakeAt` effect came due. */
  | { type: 'evaluate'; master: string };

export interface StepResult {
  effects: Effect[];
  /** Set for isMasterDownRequest: the answer, to send only after `effects` (persist first). */
  answer?: MasterDownAnswer;
  /** Set for manualFailover. */
  manual?: 'ok' | 'inprog' | 'nogoodslave' | 'nosuchmaster' | 'masterdown';
}

export function step(state: SentinelState, event: CoreEvent, nowMs: number): StepResult {
  if (event.type === 'tick') return { effects: tick(state, nowMs) };
  // The clock is checked before any decision, whatever event comes first.
  const tilt = noticeClockJump(state, nowMs);
  const result = stepEvent(state, event, nowMs);
  if (tilt.length > 0) result.effects.unshift(...tilt);
  return result;
}

function stepEvent(state: SentinelState, event: Exclude<CoreEvent, { type: 'tick' }>, nowMs: number): StepResult {
  switch (event.type) {
    case 'linkUp': return { effects: onLinkUp(state, event.link, event.localIp, nowMs, event.remoteIp) };
    case 'hostResolved': state.addressing.resolved.set(event.host, event.ip); return { effects: [] };
    case 'linkDown': onLinkDown(state, event.link); return { effects: [] };
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
  }
}
