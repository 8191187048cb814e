/**
 * TILT: when the timer sees time go backwards or jump by more than the
 * trigger, the Sentinel stops acting (no votes, no failovers) for a period.
 */
import { sentinelEvent, type Effect } from './effects.js';
import type { SentinelState } from './state.js';

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

export function checkTilt(state: SentinelState, nowMs: number, effects: Effect[]): void {
  if (clockJumped(state, nowMs)) {
    enterTilt(state, nowMs, effects);
  } else if (state.tilt && nowMs - state.tiltSinceMs >= state.timing.tiltPeriodMs) {
    state.tilt = false;
    effects.push(sentinelEvent('warning', '-tilt', '#tilt mode exited'));
  }
}
