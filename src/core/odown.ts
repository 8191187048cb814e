/**
 * ODOWN and the IS-MASTER-DOWN-BY-ADDR exchange: how many Sentinels say the
 * master is down, asking the peers (and, during our failover, for their
 * vote), their replies, and our answer to a peer's question (a vote when it
 * names a run id, persisted before the answer leaves).
 */
import { instanceDetails } from './details.js';
import { sentinelEvent, type Effect } from './effects.js';
import { voteLeader as voteLeaderFor } from './election.js';
import { failoverInProgress } from './failoverState.js';
import { sameHost, shownHost, type MasterState, type SentinelState } from './state.js';

function ev(level: 'warning' | 'notice', channel: string, text: string, master: MasterState): Effect {
  return sentinelEvent(level, channel, text, master.name);
}

export function checkObjectivelyDown(state: SentinelState, master: MasterState, nowMs: number, effects: Effect[]): void {
  let votes = 0;
  if (master.sdown) {
    votes = 1;
    for (const peer of master.sentinels.values()) if (peer.peerSaysMasterDown) votes += 1;
  }
  const odown = master.sdown && votes >= master.config.quorum;
  if (odown && !master.odown) {
    master.odown = true;
    master.odownSinceMs = nowMs;
    // Sentinels that reach ODOWN in the same instant would split the vote.
    // Each waits a slot given by its rank among the known Sentinels (by run
    // id, the same order everywhere) plus a small random part, so starts are
    // a slot apart: by then the vote request of the Sentinel ranked before
    // has arrived, and a Sentinel that voted for another does not start.
    master.startJitterMs = startDelayMs(state, master);
    effects.push(ev('warning', '+odown', `${instanceDetails(master)} #quorum ${votes}/${master.config.quorum}`, master));
  } else if (!odown && master.odown) {
    master.odown = false;
    master.odownSinceMs = 0;
    effects.push(ev('warning', '-odown', instanceDetails(master), master));
  }
}

export function startDelayMs(state: SentinelState, master: MasterState): number {
  const ids = [state.myId, ...master.sentinels.keys()].sort();
  const rank = ids.indexOf(state.myId);
  const { startSlotMs, startSlotJitter } = state.timing;
  return Math.floor((rank + state.random() * startSlotJitter) * startSlotMs);
}

/**
 * Asks every connected peer whether it sees the master down (and, once we
 * are failing over, for its vote). Replies older than 5 ask periods expire.
 */
export function askMasterState(
  state: SentinelState,
  master: MasterState,
  forced: boolean,
  nowMs: number,
  effects: Effect[],
): void {
  const askPeriodMs = state.timing.askPeriodMs;
  for (const peer of master.sentinels.values()) {
    if (nowMs - peer.lastMasterDownReplyMs > askPeriodMs * 5) {
      peer.peerSaysMasterDown = false;
      peer.leader = undefined;
    }
    // A coordinated failover asks for votes although the master is up.
    if (!master.sdown && !master.failover.coordinated) continue;
    const link = state.links.get(peer.linkKey);
    if (!link?.connected) continue;
    // Until ODOWN is reached, ask fast: agreement is what a failover waits on.
    const periodMs = master.odown || !master.sdown ? askPeriodMs : Math.min(askPeriodMs, state.timing.sdownAskPeriodMs);
    if (!forced && nowMs - peer.lastMasterDownAskMs < periodMs) continue;
    if (peer.askPending && !forced) continue;
    peer.askPending = true;
    peer.lastMasterDownAskMs = nowMs;
    link.pendingCommands += 1;
    effects.push({
      type: 'askMasterDown',
      link: link.key,
      peer: { master: master.name, kind: 'sentinel', name: peer.name },
      masterIp: shownHost(state.addressing, master.host),
      masterPort: master.port,
      // A vote request is for our failover's epoch, never a later one.
      epoch: failoverInProgress(master) ? master.failover.epoch : state.currentEpoch,
      runId: failoverInProgress(master) ? state.myId : '*',
    });
  }
}

/** A peer's reply to IS-MASTER-DOWN-BY-ADDR: [down-state, leader-runid, leader-epoch]. */
export function onMasterDownReply(
  state: SentinelState,
  masterName: string,
  peerName: string,
  reply: { down: boolean; leader: string; leaderEpoch: number } | undefined,
  nowMs: number,
): void {
  const master = state.masters.get(masterName);
  const peer = master?.sentinels.get(peerName);
  if (!master || !peer) return;
  const link = state.links.get(peer.linkKey);
  if (link) link.pendingCommands = Math.max(0, link.pendingCommands - 1);
  peer.askPending = false;
  if (!reply) return;
  peer.lastMasterDownReplyMs = nowMs;
  peer.peerSaysMasterDown = reply.down;
  if (reply.leader !== '*') {
    peer.leader = reply.leader;
    peer.leaderEpoch = reply.leaderEpoch;
  }
}

export interface MasterDownAnswer {
  down: boolean;
  leader: string;
  leaderEpoch: number;
}

/**
 * SENTINEL IS-MASTER-DOWN-BY-ADDR <ip> <port> <epoch> <runid>. With a run id
 * it is also a vote request. In TILT we never say "down". The returned effects
 * include any persist, which must complete before the answer is sent.
 */
export function answerIsMasterDown(
  state: SentinelState,
  ip: string,
  port: number,
  reqEpoch: number,
  reqRunId: string,
  nowMs: number,
  effects: Effect[],
): MasterDownAnswer {
  const master = [...state.masters.values()].find((m) => m.port === port && sameHost(state.addressing, m.host, ip));
  const down = !state.tilt && !!master?.sdown;
  let leader: string | undefined;
  let leaderEpoch = 0;
  // In TILT our view of time is unreliable: give no vote (always safe).
  if (master && reqRunId !== '*' && !state.tilt) {
    const vote = voteLeaderFor(state, master, reqEpoch, reqRunId, nowMs, effects);
    leader = vote.leader;
    leaderEpoch = vote.leaderEpoch;
  }
  return { down, leader: leader ?? '*', leaderEpoch: leader !== undefined ? leaderEpoch : 0 };
}
