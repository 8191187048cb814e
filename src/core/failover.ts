/**
 * ODOWN, the start of a failover and its state machine:
 * wait-start -> select-slave -> send-slaveof-noone -> wait-promotion ->
 * reconf-slaves -> update-config, each step with its timeout. Every
 * function takes `nowMs` and returns effects; transitions go through
 * `enterState`, which refuses impossible ones.
 */
import { instanceDetails } from './details.js';
import { sentinelEvent, type Effect } from './effects.js';
import { getLeader, voteLeader as voteLeaderFor } from './election.js';
import { coordinatedRefusal, demoteOldMaster, sendFailoverTo, waitFailover } from './coordinated.js';
import { acquireLink, createReplica, findReplica, releaseLink, resetMasterFields } from './instances.js';
import { noGoodReplicaReason, selectReplica } from './select.js';
import {
  sameHost,
  shownHost,
  type FailoverStateName,
  type MasterState,
  type ReplicaState,
  type SentinelState,
} from './state.js';

const NEXT: Record<FailoverStateName, readonly FailoverStateName[]> = {
  none: ['wait-start'],
  'wait-start': ['select-slave', 'none'],
  'select-slave': ['send-slaveof-noone', 'send-failover', 'none'],
  'send-slaveof-noone': ['wait-promotion', 'none'],
  'wait-promotion': ['reconf-slaves', 'none'],
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

function ev(level: 'warning' | 'notice', channel: string, text: string, master: MasterState): Effect {
  return sentinelEvent(level, channel, text, master.name);
}

// ---------------------------------------------------------------- ODOWN

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

function waitPromotion(state: SentinelState, master: MasterState, nowMs: number, effects: Effect[]): void {
  if (nowMs - master.failover.stateChangedMs > master.config.failoverTimeoutMs) {
    effects.push(ev('warning', '-failover-abort-slave-timeout', instanceDetails(master), master));
    abortFailover(state, master, nowMs, effects);
  }
}

/** Called from INFO processing when the promoted replica reports role:master. */
export function onPromotedReplicaIsMaster(
  state: SentinelState,
  master: MasterState,
  replica: ReplicaState,
  nowMs: number,
  effects: Effect[],
): void {
  master.config.configEpoch = master.failover.epoch;
  const coordinated = master.failover.coordinated;
  enterState(master, 'reconf-slaves', nowMs);
  effects.push({ type: 'persist', sync: true });
  if (coordinated) effects.push(ev('warning', '+failover-coordinated-end', instanceDetails(replica, master), master));
  effects.push(ev('warning', '+promoted-slave', instanceDetails(replica, master), master));
  demoteOldMaster(state, master, replica, effects);
  if (state.simulateFailure.crashAfterPromotion) {
    effects.push({ type: 'crash', reason: 'crash-after-promotion' });
    return;
  }
  effects.push(ev('warning', '+failover-state-reconf-slaves', instanceDetails(master), master));
  effects.push({
    type: 'reconfigScript', master: master.name, role: 'leader', state: 'start',
    fromIp: shownHost(state.addressing, master.host), fromPort: master.port,
    toIp: shownHost(state.addressing, replica.host), toPort: replica.port,
  });
  // Announce the new config-epoch at once rather than at the next hello period.
  for (const inst of [master, ...master.replicas.values(), ...master.sentinels.values()]) inst.lastHelloSentMs = 0;
  reconfSlaves(state, master, nowMs, effects);
}

function reconfSlaves(state: SentinelState, master: MasterState, nowMs: number, effects: Effect[]): void {
  const promoted = promotedReplica(master);
  if (!promoted) return;
  let inProgress = 0;
  for (const r of master.replicas.values()) if (r.reconf === 'sent' || r.reconf === 'inprog') inProgress += 1;
  for (const r of master.replicas.values()) {
    if (inProgress >= master.config.parallelSyncs) break;
    if (r.promoted || r.reconf === 'done') continue;
    if (r.reconf === 'sent' && nowMs - r.reconfSentMs > state.timing.slaveReconfTimeoutMs) {
      effects.push(ev('notice', '-slave-reconf-sent-timeout', instanceDetails(r, master), master));
      r.reconf = 'done';
      continue;
    }
    if (r.reconf !== 'none') continue;
    const link = state.links.get(r.linkKey);
    if (!link?.connected) continue;
    link.pendingCommands += 1;
    effects.push({ type: 'slaveof', link: link.key, target: { master: master.name, kind: 'slave', name: r.name },
      host: promoted.host, port: promoted.port });
    r.reconf = 'sent';
    r.reconfSentMs = nowMs;
    effects.push(ev('notice', '+slave-reconf-sent', instanceDetails(r, master), master));
    inProgress += 1;
  }
  detectEnd(state, master, promoted, nowMs, effects);
}

function detectEnd(state: SentinelState, master: MasterState, promoted: ReplicaState, nowMs: number, effects: Effect[]): void {
  if (promoted.sdown) return;
  let notReconfigured = 0;
  for (const r of master.replicas.values()) {
    if (!r.promoted && r.reconf !== 'done' && !r.sdown) notReconfigured += 1;
  }
  let timedOut = false;
  if (nowMs - master.failover.stateChangedMs > master.config.failoverTimeoutMs) {
    notReconfigured = 0;
    timedOut = true;
    effects.push(ev('warning', '+failover-end-for-timeout', instanceDetails(master), master));
  }
  if (notReconfigured > 0) return;
  effects.push(ev('warning', '+failover-end', instanceDetails(master), master));
  enterState(master, 'update-config', nowMs);
  if (!timedOut) return;
  // Best effort for replicas that never confirmed: point them at the new master.
  for (const r of master.replicas.values()) {
    if (r.promoted || r.reconf === 'done' || r.reconf === 'sent') continue;
    const link = state.links.get(r.linkKey);
    if (!link?.connected) continue;
    link.pendingCommands += 1;
    effects.push({ type: 'slaveof', link: link.key, target: { master: master.name, kind: 'slave', name: r.name },
      host: promoted.host, port: promoted.port });
    r.reconf = 'sent';
    effects.push(ev('notice', '+slave-reconf-sent-be', instanceDetails(r, master), master));
  }
}

/** Replica INFO during reconf: sent -> inprog when it follows the new master, inprog -> done when its link is up. */
export function trackReconf(master: MasterState, r: ReplicaState, effects: Effect[]): void {
  const promoted = promotedReplica(master);
  if (!promoted || (r.reconf !== 'sent' && r.reconf !== 'inprog')) return;
  if (r.reconf === 'sent' && sameHost(master.addressing, r.slaveMasterHost, promoted.host) &&
      r.slaveMasterPort === promoted.port) {
    r.reconf = 'inprog';
    effects.push(ev('notice', '+slave-reconf-inprog', instanceDetails(r, master), master));
  }
  if (r.reconf === 'inprog' && r.masterLinkUp) {
    r.reconf = 'done';
    effects.push(ev('notice', '+slave-reconf-done', instanceDetails(r, master), master));
  }
}

// ---------------------------------------------------------------- switch

/** update-config: the promoted replica becomes the master this Sentinel monitors. */
export function switchToPromoted(state: SentinelState, master: MasterState, nowMs: number, effects: Effect[]): void {
  const promoted = promotedReplica(master);
  if (!promoted) return;
  const shown = (host: string) => shownHost(state.addressing, host);
  effects.push(ev('warning', '+switch-master',
    `${master.name} ${shown(master.host)} ${master.port} ${shown(promoted.host)} ${promoted.port}`, master));
  changeMasterAddress(state, master, promoted.host, promoted.port, nowMs, effects);
  // No client-reconfig-script call here: redis-sentinel 7.0 only ever calls
  // it with state "start" (the leader at promotion, observers on the hello).
}

/**
 * Points `master` at a new address. Known replicas are kept (minus the new
 * master), the old master is added as a replica so that it is converted
 * when it comes back, peers are kept, and the failover state is cleared.
 */
export function changeMasterAddress(
  state: SentinelState,
  master: MasterState,
  host: string,
  port: number,
  nowMs: number,
  effects: Effect[],
): void {
  const keep = [...master.replicas.values()]
    .filter((r) => !(sameHost(state.addressing, r.host, host) && r.port === port))
    .map((r) => ({ host: r.host, port: r.port, formerMaster: false }));
  if (!sameHost(state.addressing, master.host, host) || master.port !== port) {
    keep.push({ host: master.host, port: master.port, formerMaster: true });
  }
  for (const r of master.replicas.values()) releaseLink(state, r.linkKey, effects);
  master.replicas.clear();
  releaseLink(state, master.linkKey, effects);
  resetMasterFields(master, nowMs);
  master.host = host;
  master.port = port;
  master.config.host = host;
  master.config.port = port;
  master.linkKey = acquireLink(state, 'redis', host, port, nowMs).key;
  for (const r of keep) {
    if (findReplica(master, r.host, r.port)) continue;
    const replica = createReplica(state, master, r.host, r.port, nowMs);
    // The master we switched away from: converted as soon as it is seen
    // claiming role:master, without the settling wait of a stray master.
    replica.demoteAtOnce = r.formerMaster;
    effects.push(ev('notice', '+slave', instanceDetails(replica, master), master));
  }
  effects.push({ type: 'persist', sync: true });
}

// ---------------------------------------------------------------- requests from peers and users

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
