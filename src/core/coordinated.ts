/**
 * SENTINEL FAILOVER <name> COORDINATED (Valkey 9's option) and the faster
 * demotion of an old master.
 *
 * Coordinated switch: the Sentinel wins an election among its peers as for
 * an automatic failover (votes are asked with IS-MASTER-DOWN-BY-ADDR and our
 * run id even though the master is up: redis-sentinel and tssentinel both
 * vote on any master they know, down or not), selects the replica as for any
 * failover, then asks the *current master* to hand over with
 * `FAILOVER TO <ip> <port> TIMEOUT <ms>`: the master pauses writes, waits
 * until the replica has every byte, demotes itself and promotes the replica.
 * No acknowledged write is lost, and at no moment are there two masters.
 *
 *   select-slave -> send-failover -> wait-failover -> reconf-slaves -> ...
 *
 * The swap is followed through INFO (the promoted replica and the old master
 * are polled every 100 ms while it runs); from role:master on the replica
 * the failover goes on as any other (+promoted-slave, replicas repointed,
 * config-epoch bumped and announced by hello).
 *
 * A master that refuses FAILOVER (older server, ACL NOPERM, renamed or
 * disabled command) aborts the failover at once; one whose roles never swap
 * is sent FAILOVER ABORT after the timeout and the failover is aborted.
 */
import { instanceDetails } from './details.js';
import { sentinelEvent, type Effect } from './effects.js';
import { abortFailover, enterState, failoverInProgress, promotedReplica } from './failoverState.js';
import { refOf } from './instances.js';
import { requestInfoNow } from './monitor.js';
import type { AnyInstance, MasterState, ReplicaState, SentinelState } from './state.js';

/** INFO period for the old master and the promoted replica while the swap runs. */
export const COORDINATED_INFO_PERIOD_MS = 100;
/** Added to the FAILOVER timeout before the Sentinel calls the switch stuck. */
export const COORDINATED_GRACE_MS = 2_000;

/**
 * The TIMEOUT given to FAILOVER: how long the master may pause writes while
 * the replica catches up. Half the failover-timeout, within [1 s, 10 s]: a
 * replica in sync catches up in milliseconds, and writes must not stay
 * paused for minutes when it does not.
 */
export function coordinatedTimeoutMs(master: MasterState): number {
  return Math.max(1_000, Math.min(10_000, Math.floor(master.config.failoverTimeoutMs / 2)));
}

/** Why a coordinated failover cannot start, known at command time; undefined when it can. */
export function coordinatedRefusal(state: SentinelState, master: MasterState): 'masterdown' | undefined {
  const link = state.links.get(master.linkKey);
  if (!link?.connected || master.sdown || master.roleReported !== 'master') return 'masterdown';
  return undefined;
}

/** send-failover: FAILOVER TO the selected replica, sent to the current master. */
export function sendFailoverTo(state: SentinelState, master: MasterState, nowMs: number, effects: Effect[]): void {
  const replica = promotedReplica(master);
  const link = state.links.get(master.linkKey);
  if (!replica) return;
  if (!link?.connected || master.sdown) {
    effects.push(sentinelEvent('warning', '-failover-abort-coordinated-master-down', instanceDetails(master), master.name));
    abortFailover(state, master, nowMs, effects);
    return;
  }
  link.pendingCommands += 1;
  effects.push({
    type: 'failoverTo', link: link.key, target: refOf(master, master),
    host: replica.host, port: replica.port, timeoutMs: coordinatedTimeoutMs(master),
  });
  enterState(master, 'wait-failover', nowMs);
  effects.push(sentinelEvent('warning', '+failover-coordinated-start', instanceDetails(replica, master), master.name));
}

/** wait-failover: the roles never swapped within the timeout: FAILOVER ABORT, then abort. */
export function waitFailover(state: SentinelState, master: MasterState, nowMs: number, effects: Effect[]): void {
  if (nowMs - master.failover.stateChangedMs <= coordinatedTimeoutMs(master) + COORDINATED_GRACE_MS) return;
  const link = state.links.get(master.linkKey);
  if (link?.connected) effects.push({ type: 'failoverAbort', link: link.key, target: refOf(master, master) });
  effects.push(sentinelEvent('warning', '-failover-abort-coordinated-timeout', instanceDetails(master), master.name));
  abortFailover(state, master, nowMs, effects);
}

/**
 * The master's reply to FAILOVER TO: an error reply aborts the failover
 * (nothing was started). No reply at all (timeout, lost link) proves
 * nothing: the master may have started the switch, so the Sentinel keeps
 * following it and, if the roles never swap, sends FAILOVER ABORT.
 */
export function onFailoverToReply(
  state: SentinelState,
  masterName: string,
  linkKey: string,
  error: string | undefined | 'no-reply',
  nowMs: number,
): Effect[] {
  const link = state.links.get(linkKey);
  if (link) link.pendingCommands = Math.max(0, link.pendingCommands - 1);
  const master = state.masters.get(masterName);
  if (!master || master.failover.state !== 'wait-failover') return [];
  const effects: Effect[] = [];
  if (error === 'no-reply') {
    effects.push({ type: 'log', level: 'warning', master: master.name,
      message: `No reply to FAILOVER TO from the master of ${master.name}: following the switch until its timeout` });
    return effects;
  }
  if (error === undefined) {
    // Accepted: look at both ends now rather than at the next poll.
    const promoted = promotedReplica(master);
    effects.push(...requestInfoNow(state, refOf(master, master)));
    if (promoted) effects.push(...requestInfoNow(state, refOf(promoted, master)));
    return effects;
  }
  effects.push({ type: 'log', level: 'warning', master: master.name,
    message: `FAILOVER TO refused by the master of ${master.name}: ${error}` });
  effects.push(sentinelEvent('warning', '-failover-abort-coordinated-refused', instanceDetails(master), master.name));
  abortFailover(state, master, nowMs, effects);
  return effects;
}

/** INFO period override while a coordinated switch runs, or for an old master not yet converted. */
export function coordinatedInfoPeriodMs(state: SentinelState, inst: AnyInstance, master: MasterState): number | undefined {
  if (master.failover.state === 'wait-failover') {
    // The promoted replica's role:master is the commit point: poll it as a
    // replica being promoted (failoverInfoPeriodMs); the old master less often.
    if (inst.kind === 'slave' && inst.promoted) return Math.min(COORDINATED_INFO_PERIOD_MS, state.timing.failoverInfoPeriodMs);
    if (inst.kind === 'master') return COORDINATED_INFO_PERIOD_MS;
  }
  if (inst.kind === 'slave' && inst.demoteAtOnce) return state.timing.fastInfoPeriodMs;
  return undefined;
}

/**
 * Plain SENTINEL FAILOVER of a reachable master: once the promotion is
 * confirmed, point the old master at the new one at once instead of waiting
 * for +convert-to-slave after the switch (seconds during which it still
 * takes writes that will be lost).
 *
 * Coordinated: the old master already follows the new one, but FAILOVER
 * leaves its clients connected (they get -READONLY forever, as clients only
 * go back to the Sentinels when disconnected). The same SLAVEOF transaction
 * (a no-op SLAVEOF, CONFIG REWRITE, CLIENT KILL normal and pubsub)
 * disconnects them, as the Sentinel client protocol expects.
 */
export function demoteOldMaster(state: SentinelState, master: MasterState, promoted: ReplicaState, effects: Effect[]): void {
  const coordinated = master.failover.coordinated;
  if (!master.failover.forced && !coordinated) return;
  const link = state.links.get(master.linkKey);
  if (!link?.connected || master.sdown || (!coordinated && master.roleReported !== 'master')) return;
  link.pendingCommands += 1;
  effects.push({ type: 'slaveof', link: link.key, target: refOf(master, master), host: promoted.host, port: promoted.port });
  effects.push(sentinelEvent('notice', '+demote-old-master', instanceDetails(master), master.name));
}

/**
 * This PONG ends a silence (no valid reply for two PING periods) or comes
 * on a link made less than two PING periods ago: the instance is back.
 * Checked before the reply is recorded; keeps the per-PONG work of
 * pollFormerMaster off the steady state of a Sentinel watching many masters.
 */
export function answersAgain(state: SentinelState, linkKey: string, nowMs: number): boolean {
  const link = state.links.get(linkKey);
  if (!link) return false;
  const twoPeriodsMs = state.timing.pingPeriodMs * 2;
  return nowMs - link.lastAvailMs > twoPeriodsMs || nowMs - link.connectedAtMs < twoPeriodsMs;
}

/**
 * A valid PING reply from an old master we switched away from and that has
 * not been seen as a replica yet: ask its INFO now, so that a master coming
 * back (SIGCONT, partition healed) is converted within one round trip.
 */
export function pollFormerMaster(state: SentinelState, linkKey: string): Effect[] {
  const effects: Effect[] = [];
  const users = state.links.get(linkKey)?.users ?? [];
  for (const [inst, master] of users) {
    if (inst.kind !== 'slave' || !inst.demoteAtOnce || failoverInProgress(master)) continue;
    effects.push(...requestInfoNow(state, refOf(inst, master)));
  }
  return effects;
}
