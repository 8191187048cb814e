/**
 * Safety invariants, checked after every core step from the effects the
 * step returned and the state it left (VOPR-style: a violation is recorded
 * with the simulated time and the node, and fails the seed).
 *
 * - at most one +elected-leader per epoch across all Sentinels (forced
 *   failovers, SENTINEL FAILOVER, excluded);
 * - a Sentinel emits +vote-for-leader at most once per epoch and master,
 *   across restarts (unless a failed save left the vote only in memory: then
 *   it was never revealed, and a restart forgets it);
 * - a non-forced failover starts only with the master ODOWN, and is won only
 *   with votes (+vote-for-leader events naming the winner in that epoch, self
 *   included) >= max(quorum, majority of the Sentinels it knows) and a
 *   majority of all Sentinels in the simulation;
 * - current-epoch and each master's config-epoch never decrease, restarts
 *   included (a restart after a failed save goes back to what is on disk);
 * - what left the process is never taken back: a restarted Sentinel's
 *   current-epoch is at least every epoch it sent (hellos, vote requests),
 *   and it never answers two different leaders for one master and epoch;
 * - a config-epoch names one master address: no two Sentinels (or one
 *   Sentinel at two times) hold the same config-epoch with different current
 *   master addresses (unless SENTINEL FAILOVER put two leaders in that epoch);
 * - in TILT no failover decision is taken (no SDOWN/ODOWN changes, no
 *   failover start or progress, no SLAVEOF, no vote requests);
 * - a FAILOVER TO that swaps roles loses no acknowledged write (the target
 *   had the master's whole offset) and never adds a master to its group;
 * - with the master down, SLAVEOF NO ONE goes to no replica that reports
 *   role:slave while another replica the leader can reach already reports
 *   role:master (an earlier leader promoted it and stalled): that one is
 *   kept, not a second master made.
 *
 * Admin commands legitimately change what some of these check (each is
 * what redis-sentinel does too):
 * - SENTINEL REMOVE + MONITOR forgets the master's epochs: its config-epoch
 *   starts again at 0 (at whatever address was given) and its vote record is
 *   gone, so it may vote again in the current epoch: the per-node epoch and
 *   vote records of that master are dropped, and a second leader in that one
 *   epoch is logged, not a violation;
 *   if that Sentinel alone held the newest configuration (the others never
 *   saved it), the Sentinels are left with equal config-epochs naming
 *   different addresses, which no hello reconciles: liveness is waived then
 *   (sim.ts), as for two SENTINEL FAILOVERs in one epoch;
 * - SENTINEL RESET (and REMOVE + MONITOR) forgets the peer Sentinels: until
 *   it knows all of them again, its majority is counted over fewer Sentinels
 *   (max(quorum, majority of known) votes), so "a majority of all Sentinels"
 *   is not required of its elections meanwhile, and another Sentinel may
 *   win the same epoch with a true majority: such leaders are recorded as
 *   the forced ones of SENTINEL FAILOVER are (see forcedEpochCollision).
 */
import type { Effect } from '../../src/core/effects.js';
import { currentMasterAddress } from '../../src/core/failover.js';
import type { FailoverStateName, SentinelState } from '../../src/core/state.js';
import type { CoreEvent } from '../../src/core/step.js';
import type { FailoverSwap } from './fakeRedis.js';

/** What the invariants see of a Redis instance. */
interface FakeRedisRef {
  readonly id: string;
}

export interface NodeRef {
  readonly id: string;
  readonly myId: string;
}

interface MasterPre {
  state: FailoverStateName;
  forced: boolean;
}

export type PreStep = Map<string, MasterPre>;

/** Channels that mean "this Sentinel decided something": forbidden in TILT. */
const TILT_FORBIDDEN = [
  '+sdown', '-sdown', '+odown', '-odown', '+try-failover', '+elected-leader', '+selected-slave',
  '+promoted-slave', '+convert-to-slave', '+fix-slave-config', '+failover-end', '+failover-end-for-timeout',
];
const TILT_FORBIDDEN_PREFIXES = ['+failover-state-', '+slave-reconf-', '-failover-abort-'];

export class Invariants {
  readonly violations: string[] = [];
  /** "master epoch" -> node id elected in it (non-forced). Epochs are per Sentinel, votes and leaders per master. */
  private readonly electedByEpoch = new Map<string, string>();
  /** "node id master" -> epochs it voted in. */
  private readonly votedEpochs = new Map<string, Set<number>>();
  /** "master epoch runid" -> node ids that voted so. */
  private readonly votesFor = new Map<string, Set<string>>();
  private readonly maxCurrentEpoch = new Map<string, number>();
  private readonly maxConfigEpoch = new Map<string, number>();
  /** "master config-epoch" -> the address first seen with it, and where. */
  private readonly configAddress = new Map<string, { addr: string; node: string }>();
  /** "master epoch" -> leaders of forced failovers (SENTINEL FAILOVER) in it, and leaders after an admin amnesia. */
  private readonly forcedByEpoch = new Map<string, string[]>();
  /** node id -> highest epoch it sent out. */
  private readonly sentEpoch = new Map<string, number>();
  /** "node id master-address epoch" -> the leader it answered. */
  private readonly answeredVote = new Map<string, string>();
  /** "master epoch": an epoch in which a Sentinel forgot its vote (REMOVE + MONITOR). */
  private readonly amnesiaEpochs = new Set<string>();
  /** Masters a RESET or REMOVE + MONITOR made some Sentinel forget its replicas and peers. */
  readonly resetGroups = new Set<string>();
  /** master -> the highest config-epoch a REMOVE + MONITOR dropped. */
  readonly droppedConfigEpoch = new Map<string, number>();
  /** "node id master": config-epoch 0 after a MONITOR may name any address. */
  private readonly remonitored = new Set<string>();
  /** "node id master": the peers were forgotten (RESET, REMOVE) and not all known again yet. */
  private readonly peersForgotten = new Set<string>();
  /** Elections won (non-forced), for the report. */
  elections = 0;

  constructor(
    private readonly ctx: {
      readonly nowMs: number;
      readonly sentinelCount: number;
      log(who: string, text: string): void;
    },
  ) {}

  violate(node: string, text: string): void {
    const line = `t=${(this.ctx.nowMs / 1000).toFixed(3)} ${node}: ${text}`;
    this.violations.push(line);
    this.ctx.log(node, `VIOLATION ${text}`);
  }

  coreThrew(node: NodeRef, event: CoreEvent, err: unknown): void {
    const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    this.violate(node.id, `core threw on ${event.type}: ${text}`);
  }

  beforeStep(state: SentinelState): PreStep {
    const pre: PreStep = new Map();
    for (const [name, m] of state.masters) pre.set(name, { state: m.failover.state, forced: m.failover.forced });
    return pre;
  }

  /** An epoch left `node` (in a hello or a vote request). */
  sent(node: NodeRef, epoch: number): void {
    if (epoch > (this.sentEpoch.get(node.id) ?? 0)) this.sentEpoch.set(node.id, epoch);
  }

  /** `node` answered IS-MASTER-DOWN-BY-ADDR for `masterAddr` with a vote. */
  answered(node: NodeRef, masterAddr: string, epoch: number, leader: string): void {
    const key = `${node.id} ${masterAddr} ${epoch}`;
    const before = this.answeredVote.get(key);
    if (before !== undefined && before !== leader) {
      this.violate(node.id, `answered two leaders for ${masterAddr} in epoch ${epoch}: ${before}, then ${leader}`);
    }
    this.answeredVote.set(key, leader);
  }

  afterStart(node: NodeRef, state: SentinelState): void {
    const sent = this.sentEpoch.get(node.id) ?? 0;
    if (state.currentEpoch < sent) {
      this.violate(node.id, `restarted with current-epoch ${state.currentEpoch} below epoch ${sent} it had sent`);
    }
    this.checkEpochs(node, state);
    this.checkConfigAddresses(node, state);
  }

  /** Records that `configEpoch` of `master` means `addr` (a scripted test injecting a config). */
  noteConfig(master: string, configEpoch: number, addr: string, node: string): void {
    this.configAddress.set(`${master} ${configEpoch}`, { addr, node });
  }

  afterStep(node: NodeRef, state: SentinelState, event: CoreEvent, effects: readonly Effect[], pre: PreStep): void {
    for (const e of effects) {
      if (e.type === 'event') this.onEvent(node, state, event, e, pre);
      if (e.type === 'slaveof' && e.host === undefined) this.checkPromotion(node, state, e.target);
      if (e.type === 'crash') break;
    }
    this.checkEpochs(node, state);
    this.checkConfigAddresses(node, state);
    if (state.tilt && event.type !== 'manualFailover') this.checkTilt(node, effects);
    for (const m of state.masters.values()) {
      if (m.sentinels.size + 1 >= this.ctx.sentinelCount) this.peersForgotten.delete(`${node.id} ${m.name}`);
    }
  }

  /** SLAVEOF NO ONE to `target`: no other reachable replica of a down master reports role:master. */
  private checkPromotion(node: NodeRef, state: SentinelState, target: { master: string; name: string }): void {
    const master = state.masters.get(target.master);
    // A target that reports role:master itself is kept, not made (several may: the best of them is kept).
    if (!master?.sdown || master.replicas.get(target.name)?.roleReported === 'master') return;
    for (const r of master.replicas.values()) {
      if (r.name === target.name || r.roleReported !== 'master' || r.sdown) continue;
      if (!state.links.get(r.linkKey)?.connected) continue;
      this.violate(node.id, `SLAVEOF NO ONE to ${target.name} of ${target.master} while replica ${r.name} already reports role:master`);
    }
  }

  private onEvent(
    node: NodeRef,
    state: SentinelState,
    event: CoreEvent,
    e: Extract<Effect, { type: 'event' }>,
    pre: PreStep,
  ): void {
    const master = e.master === undefined ? undefined : state.masters.get(e.master);
    switch (e.channel) {
      case '+vote-for-leader': return this.onVote(node, e.master ?? '', e.message);
      case '+try-failover':
        if (event.type !== 'manualFailover' && master && !master.odown) {
          this.violate(node.id, `+try-failover of ${e.master} without ODOWN (epoch ${master.failover.epoch})`);
        }
        return;
      case '+elected-leader': {
        if (!master) return;
        const p = pre.get(master.name);
        // Started and won in one step: startFailoverIfNeeded never forces.
        const forced = p?.state === 'wait-start' ? p.forced : false;
        if (!forced) this.onElected(node, state, master.name, master.failover.epoch);
        else {
          const key = `${master.name} ${master.failover.epoch}`;
          this.forcedByEpoch.set(key, [...(this.forcedByEpoch.get(key) ?? []), node.id]);
        }
        return;
      }
    }
  }

  /** SENTINEL REMOVE (then MONITOR) of `master` on `node` at current-epoch `epoch`: its epochs and votes are gone. */
  forgotEpochs(node: NodeRef, master: string, epoch: number, configEpoch: number): void {
    this.droppedConfigEpoch.set(master, Math.max(configEpoch, this.droppedConfigEpoch.get(master) ?? 0));
    this.votedEpochs.delete(`${node.id} ${master}`);
    this.maxConfigEpoch.delete(`${node.id} ${master}`);
    this.remonitored.add(`${node.id} ${master}`);
    // A vote is granted only in an epoch >= current-epoch, which never goes
    // back: the only epoch it can vote in twice is this one.
    this.amnesiaEpochs.add(`${master} ${epoch}`);
    for (const key of [...this.answeredVote.keys()]) {
      if (key.startsWith(`${node.id} `) && key.endsWith(` ${epoch}`)) this.answeredVote.delete(key);
    }
  }

  /** SENTINEL RESET / REMOVE of `master` on `node`: the peer Sentinels are forgotten. */
  forgotPeers(node: NodeRef, master: string): void {
    this.peersForgotten.add(`${node.id} ${master}`);
    this.resetGroups.add(master);
  }

  /** A FAILOVER TO is about to swap roles; `masters`: the group's live masters before. */
  beforeFailoverSwap(swap: FailoverSwap, masters: readonly FakeRedisRef[]): void {
    this.mastersBeforeSwap = masters.length;
    if (swap.newOffset !== swap.oldOffset) {
      this.violate(swap.oldMaster.id, `FAILOVER TO ${swap.newMaster.id} swapped at offset ${swap.newOffset}, master had ${swap.oldOffset}: writes lost`);
    }
  }

  afterFailoverSwap(swap: FailoverSwap, masters: readonly FakeRedisRef[]): void {
    if (masters.length > this.mastersBeforeSwap || !masters.includes(swap.newMaster) || masters.includes(swap.oldMaster)) {
      this.violate(swap.oldMaster.id, `FAILOVER TO ${swap.newMaster.id} left masters [${masters.map((m) => m.id).join(' ')}] ` +
        `(${this.mastersBeforeSwap} before)`);
    }
  }

  private mastersBeforeSwap = 0;

  /** Two leaders in one epoch because of SENTINEL FAILOVER (no election): described, or undefined. */
  forcedEpochCollision(): string | undefined {
    for (const [key, forced] of this.forcedByEpoch) {
      const elected = this.electedByEpoch.get(key);
      const leaders = elected === undefined ? forced : [...forced, elected];
      if (leaders.length > 1) return `${key.replace(' ', ' epoch ')} has leaders ${leaders.join(', ')} (forced: ${forced.join(', ')})`;
    }
    return undefined;
  }

  /**
   * A Sentinel restarts from a config older than its memory was (a save
   * failed and no later one succeeded): what it never made durable it never
   * revealed either (the executor held it back), so it starts over from disk.
   */
  restartedFromOlderDisk(node: NodeRef, state: SentinelState): void {
    this.maxCurrentEpoch.set(node.id, state.currentEpoch);
    for (const m of state.masters.values()) {
      this.maxConfigEpoch.set(`${node.id} ${m.name}`, m.config.configEpoch);
      const epochs = this.votedEpochs.get(`${node.id} ${m.name}`);
      for (const epoch of [...(epochs ?? [])]) if (epoch > m.config.leaderEpoch) epochs?.delete(epoch);
    }
  }

  private onVote(node: NodeRef, master: string, message: string): void {
    const [runId, epochText] = message.split(' ');
    const epoch = Number(epochText);
    let epochs = this.votedEpochs.get(`${node.id} ${master}`);
    if (!epochs) this.votedEpochs.set(`${node.id} ${master}`, (epochs = new Set()));
    if (epochs.has(epoch)) this.violate(node.id, `second +vote-for-leader in epoch ${epoch} (now for ${runId})`);
    epochs.add(epoch);
    const key = `${master} ${epoch} ${runId}`;
    let voters = this.votesFor.get(key);
    if (!voters) this.votesFor.set(key, (voters = new Set()));
    voters.add(node.id);
  }

  private onElected(node: NodeRef, state: SentinelState, masterName: string, epoch: number): void {
    this.elections += 1;
    const key = `${masterName} ${epoch}`;
    const master = state.masters.get(masterName)!;
    const votes = this.votesFor.get(`${masterName} ${epoch} ${node.myId}`)?.size ?? 0;
    const known = master.sentinels.size + 1;
    const needed = Math.max(master.config.quorum, Math.floor(known / 2) + 1);
    if (votes < needed) {
      this.violate(node.id, `elected in epoch ${epoch} with ${votes} votes, needs ${needed} (quorum ${master.config.quorum}, knows ${known})`);
    }
    const all = Math.floor(this.ctx.sentinelCount / 2) + 1;
    // A leader that forgot its peers (RESET, REMOVE + MONITOR) counts its
    // majority over those it knows; in an epoch where a Sentinel forgot its
    // vote, two majorities may overlap. Such a leader may share its epoch
    // with another: it is recorded as the forced ones are (the same
    // config-epoch may then name two addresses, and liveness is waived).
    if ((votes < all && this.peersForgotten.has(`${node.id} ${masterName}`)) || this.amnesiaEpochs.has(key)) {
      this.ctx.log(node.id, `elected in epoch ${epoch} with ${votes} votes after a RESET / REMOVE + MONITOR: not required to be the only leader`);
      this.forcedByEpoch.set(key, [...(this.forcedByEpoch.get(key) ?? []), node.id]);
      return;
    }
    if (votes < all) {
      this.violate(node.id, `elected in epoch ${epoch} with ${votes} votes: not a majority of all ${this.ctx.sentinelCount} Sentinels`);
    }
    const other = this.electedByEpoch.get(key);
    if (other !== undefined) {
      this.violate(node.id, `second leader in epoch ${epoch} for ${masterName} (already ${other})`);
    } else {
      this.electedByEpoch.set(key, node.id);
    }
  }

  private checkEpochs(node: NodeRef, state: SentinelState): void {
    const cur = this.maxCurrentEpoch.get(node.id) ?? 0;
    if (state.currentEpoch < cur) {
      this.violate(node.id, `current-epoch went back from ${cur} to ${state.currentEpoch}`);
    } else {
      this.maxCurrentEpoch.set(node.id, state.currentEpoch);
    }
    for (const m of state.masters.values()) {
      const key = `${node.id} ${m.name}`;
      const prev = this.maxConfigEpoch.get(key) ?? 0;
      if (m.config.configEpoch < prev) {
        this.violate(node.id, `config-epoch of ${m.name} went back from ${prev} to ${m.config.configEpoch}`);
      } else {
        this.maxConfigEpoch.set(key, m.config.configEpoch);
      }
    }
  }

  private checkConfigAddresses(node: NodeRef, state: SentinelState): void {
    for (const m of state.masters.values()) {
      const a = currentMasterAddress(m);
      const addr = `${a.host}:${a.port}`;
      if (m.config.configEpoch === 0 && this.remonitored.has(`${node.id} ${m.name}`)) continue;
      const key = `${m.name} ${m.config.configEpoch}`;
      const seen = this.configAddress.get(key);
      if (!seen) {
        this.configAddress.set(key, { addr, node: node.id });
      } else if (seen.addr !== addr && !this.forcedCollisionIn(m.name, m.config.configEpoch)) {
        this.violate(node.id, `config-epoch ${m.config.configEpoch} of ${m.name} is ${addr} here but ${seen.addr} on ${seen.node}`);
        // Report each conflict once.
        this.configAddress.set(key, { addr, node: node.id });
      }
    }
  }

  private forcedCollisionIn(master: string, epoch: number): boolean {
    const forced = this.forcedByEpoch.get(`${master} ${epoch}`) ?? [];
    return forced.length + (this.electedByEpoch.has(`${master} ${epoch}`) ? 1 : 0) > 1;
  }

  private checkTilt(node: NodeRef, effects: readonly Effect[]): void {
    for (const e of effects) {
      if (e.type === 'slaveof') this.violate(node.id, `SLAVEOF to ${e.target.name} sent in TILT`);
      if (e.type === 'askMasterDown' && e.runId !== '*') this.violate(node.id, 'asked for votes in TILT');
      if (e.type !== 'event') continue;
      // A newer configuration announced by a peer stops our own failover even
      // in TILT: that is the peers' decision, adopted, not one of ours.
      if (e.channel === '-failover-abort-superseded') continue;
      if (TILT_FORBIDDEN.includes(e.channel) || TILT_FORBIDDEN_PREFIXES.some((p) => e.channel.startsWith(p))) {
        this.violate(node.id, `${e.channel} in TILT`);
      }
    }
  }
}
