/**
 * The failover record of a master: its states and the transitions between
 * them (an impossible one is a bug, thrown as ImpossibleTransition and
 * contained by step()), the abort, and the address the failover implies.
 * Shared by the state machine (failover.ts), the replica reconfiguration
 * (reconf.ts), the coordinated switch (coordinated.ts) and the votes (odown.ts).
 */
import type { FailoverStateName, MasterState, ReplicaState, SentinelState } from './state.js';
import type { Effect } from './effects.js';

const NEXT: Record<FailoverStateName, readonly FailoverStateName[]> = {
  none: ['wait-start'],
  'wait-start': ['select-slave', 'none'],
  'select-slave': ['send-slaveof-noone', 'send-failover', 'none'],
  'send-slaveof-noone': ['wait-promotion', 'none'],
  // Back to send-slaveof-noone when SLAVEOF NO ONE was decided before a stall and not sent.
  'wait-promotion': ['reconf-slaves', 'send-slaveof-noone', 'none'],
  'send-failover': ['wait-failover', 'none'],
  'wait-failover': ['reconf-slaves', 'none'],
  'reconf-slaves': ['update-config', 'none'],
  'update-config': ['none'],
};

/** A bug: the failover state machine was asked for a transition it does not have. step() contains it. */
export class ImpossibleTransition extends Error {
  override readonly name = 'ImpossibleTransition';
  constructor(readonly master: string, readonly from: FailoverStateName, readonly to: FailoverStateName) {
    super(`failover of ${master}: ${from} -> ${to}`);
  }
}

export function enterState(master: MasterState, next: FailoverStateName, nowMs: number): void {
  const from = master.failover.state;
  if (!NEXT[from].includes(next)) throw new ImpossibleTransition(master.name, from, next);
  master.failover.state = next;
  master.failover.stateChangedMs = nowMs;
}

export function failoverInProgress(master: MasterState): boolean {
  return master.failover.state !== 'none';
}

export function abortFailover(state: SentinelState, master: MasterState, nowMs: number, effects: Effect[]): void {
  const promoted = promotedReplica(master);
  if (promoted) promoted.promoted = false;
  for (const r of master.replicas.values()) r.reconf = 'none';
  enterState(master, 'none', nowMs);
  master.failover.promoted = undefined;
  master.failover.forced = false;
  master.failover.coordinated = false;
  void state;
  void effects;
}

/**
 * The address clients should use: once the promoted replica has confirmed
 * its promotion, it is the master, even while the other replicas are still
 * being repointed (Redis does the same in hellos and GET-MASTER-ADDR-BY-NAME).
 */
export function currentMasterAddress(master: MasterState): { host: string; port: number } {
  const promoted = promotedReplica(master);
  if (promoted && (master.failover.state === 'reconf-slaves' || master.failover.state === 'update-config')) {
    return { host: promoted.host, port: promoted.port };
  }
  return { host: master.host, port: master.port };
}

export function promotedReplica(master: MasterState): ReplicaState | undefined {
  const name = master.failover.promoted;
  return name === undefined ? undefined : master.replicas.get(name);
}
