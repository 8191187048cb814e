/**
 * Raft-style leader election per master and epoch. A Sentinel grants at most
 * one vote per epoch (the epoch of its vote is persisted before the reply
 * leaves), and a candidate needs max(quorum, majority of known Sentinels).
 */
import { sentinelEvent, type Effect } from './effects.js';
import type { MasterState, SentinelState } from './state.js';

export interface VoteResult {
  leader?: string;
  leaderEpoch: number;
}

/**
 * Handles a vote request (from a peer or from ourselves). Effects carry a
 * `persist` before anything that reveals the vote, so the runtime writes the
 * config before the reply is sent.
 */
export function voteLeader(
  state: SentinelState,
  master: MasterState,
  reqEpoch: number,
  reqRunId: string,
  nowMs: number,
  effects: Effect[],
): VoteResult {
  if (reqEpoch > state.currentEpoch) {
    state.currentEpoch = reqEpoch;
    effects.push({ type: 'persist', sync: true });
    effects.push(sentinelEvent('warning', '+new-epoch', String(state.currentEpoch), master.name));
  }
  if (master.config.leaderEpoch < reqEpoch && state.currentEpoch <= reqEpoch) {
    master.leader = reqRunId;
    master.config.leaderEpoch = state.currentEpoch;
    effects.push({ type: 'persist', sync: true });
    effects.push(sentinelEvent('warning', '+vote-for-leader', `${reqRunId} ${master.config.leaderEpoch}`, master.name));
    // Having voted for someone else, hold back our own attempt for a while
    // so that the winner can finish. Sentinels that voted together retry
    // apart, by their run-id rank slot (startFailoverIfNeeded), not by a
    // random desync as in Redis, which split the retry's votes.
    if (reqRunId !== state.myId) master.failoverStartMs = nowMs;
  }
  return { leader: master.leader, leaderEpoch: master.config.leaderEpoch };
}

/** Pure tally: who won `epoch`, if anyone has max(quorum, majority) votes. */
export function tallyVotes(
  votes: readonly string[],
  voters: number,
  quorum: number,
): string | undefined {
  const counts = new Map<string, number>();
  for (const v of votes) counts.set(v, (counts.get(v) ?? 0) + 1);
  let winner: string | undefined;
  let max = 0;
  for (const [runId, n] of counts) {
    if (n > max || (n === max && winner !== undefined && runId < winner)) {
      winner = runId;
      max = n;
    }
  }
  const needed = Math.max(quorum, Math.floor(voters / 2) + 1);
  return winner !== undefined && max >= needed ? winner : undefined;
}

/**
 * The leader of `epoch` as seen from here: peers' votes for this epoch plus
 * our own, which goes to the most voted candidate or else to ourselves.
 */
export function getLeader(
  state: SentinelState,
  master: MasterState,
  epoch: number,
  nowMs: number,
  effects: Effect[],
): string | undefined {
  const votes: string[] = [];
  for (const peer of master.sentinels.values()) {
    // Only votes given in this failover's epoch count: a vote of a later
    // epoch is for a different election.
    if (peer.leader !== undefined && peer.leaderEpoch === epoch) votes.push(peer.leader);
  }
  const voters = master.sentinels.size + 1;
  const leading = mostVoted(votes);
  const mine = voteLeader(state, master, epoch, leading ?? state.myId, nowMs, effects);
  if (mine.leader !== undefined && mine.leaderEpoch === epoch) votes.push(mine.leader);
  return tallyVotes(votes, voters, master.config.quorum);
}

function mostVoted(votes: readonly string[]): string | undefined {
  const counts = new Map<string, number>();
  let best: string | undefined;
  let max = 0;
  for (const v of votes) {
    const n = (counts.get(v) ?? 0) + 1;
    counts.set(v, n);
    if (n > max) {
      max = n;
      best = v;
    }
  }
  return best;
}
