/**
 * Core bugs the simulator found, each reduced to a small deterministic
 * reproduction. Every test states the expected (Redis-compatible or safe)
 * behaviour; a test here fails until its bug is fixed in src/core.
 */
import { describe, expect, it } from 'vitest';
import { defaultMasterConfig, defaultSentinelConfig } from '../../src/config/model.js';
import { parseConfig } from '../../src/config/parse.js';
import type { Effect } from '../../src/core/effects.js';
import { configFromState, seededRandom, stateFromConfig } from '../../src/core/sentinel.js';
import { linkKey, type SentinelState } from '../../src/core/state.js';
import { step, type CoreEvent } from '../../src/core/step.js';
import { formatFailure, runSimulation, type SimOptions } from './sim.js';

/** A clean kill of the master with 3 Sentinels; `onPromoted` runs when the leader logs +promoted-slave. */
function cleanKill(seed: number, onPromoted: Parameters<typeof watchPromotion>[1], extra: SimOptions = {}) {
  return runSimulation(seed, {
    sentinels: 3, quorum: 2, replicas: 2, downAfterMs: 1000, failoverTimeoutMs: 10_000, faultMs: 20_000,
    latencyMsMax: 5, presetSentinels: true, presetReplicas: true, parallelSyncs: 1,
    script: [
      { atMs: 0, action: (w) => watchPromotion(w, onPromoted) },
      { atMs: 1000, action: (w) => w.killRedis(w.redis[0]!) },
    ],
    ...extra,
  });
}

type World = ReturnType<typeof runSimulation>['world'];

function watchPromotion(w: World, fn: (w: World, leaderId: string, promotedAddr: string) => void): void {
  let fired = false;
  w.watchers.push((e) => {
    if (e.channel !== '+promoted-slave' || fired) return;
    fired = true;
    const parts = e.message.split(' ');
    fn(w, e.node, `${parts[2]}:${parts[3]}`);
  });
}

describe('core bugs found by the simulator', () => {
  /*
   * src/core/sentinel.ts configFromState() writes `m.host/m.port` with
   * `m.config.configEpoch`. From +promoted-slave until +switch-master (the
   * whole reconf-slaves phase) that is the OLD master's address with the NEW
   * config-epoch. A leader that crashes in that window restarts believing
   * "old master @ new epoch", while its peers already switched to "promoted @
   * new epoch" from its hellos: equal epochs never reconcile, the Sentinels
   * disagree forever and convert each other's masters into replicas (seen:
   * two instances replicating from each other, no master at all).
   * Redis writes sentinelGetCurrentMasterAddress() in its config rewrite (and
   * the old master as a known replica in place of the promoted one).
   * Fix: in configFromState use currentMasterAddress(m) for host/port, and
   * list the old address instead of the promoted replica in knownReplicas.
   */
  it('a leader crashing while it reconfigures replicas has persisted the promoted address with the new config-epoch', () => {
    let persisted: { host: string; port: number; configEpoch: number } | undefined;
    let promoted = '';
    const r = cleanKill(201, (w, leaderId, promotedAddr) => {
      promoted = promotedAddr;
      const leader = w.sentinel(leaderId)!;
      w.schedule(150, () => {
        expect(leader.state?.masters.get('mymaster')?.failover.state).toBe('reconf-slaves');
        leader.crash('test: crash during reconf-slaves');
        const m = parseConfig(leader.disk).masters[0]!;
        persisted = { host: m.host, port: m.port, configEpoch: m.configEpoch };
        w.schedule(1_000, () => leader.start());
      });
    });
    expect(persisted?.configEpoch).toBe(1);
    expect(`${persisted?.host}:${persisted?.port}`).toBe(promoted);
    if (!r.ok) console.error(formatFailure(r, 60));
    expect(r.violations).toEqual([]);
  });

  /*
   * src/core/monitor.ts onHello() -> applyNewerConfig(): a newer master
   * config-epoch whose address equals our `master.host` is adopted silently
   * (configEpoch bumped, nothing else), even when we are ourselves in the
   * middle of a failover of an OLDER epoch. That failover then goes on and,
   * at +failover-end, switchToPromoted() moves us to our promoted replica
   * while keeping the newer config-epoch: "promoted @ epoch N+1" here,
   * "old address @ epoch N+1" everywhere else, forever. It happens when the
   * newer failover promoted our old master back (it rejoined as a replica),
   * while our reconf-slaves was still waiting for a replica (up to
   * failover-timeout). Redis 7's sentinelProcessHelloMessage has the same
   * shape (it compares with master->addr), so this is inherited.
   * Fix: when a newer config-epoch arrives for a master whose failover is in
   * progress (any state), abort that failover (or compare the announced
   * address with currentMasterAddress(), which differs from it here, and
   * reset the master via changeMasterAddress).
   */
  it('a newer config-epoch naming the old master address stops our older failover', () => {
    let after: { state: string; addr: string; configEpoch: number } | undefined;
    const r = cleanKill(202, (w, leaderId) => {
      const leader = w.sentinel(leaderId)!;
      w.schedule(150, () => {
        const st = leader.state!;
        const m = st.masters.get('mymaster')!;
        expect(m.failover.state).toBe('reconf-slaves');
        const peer = [...m.sentinels.values()][0]!;
        // A peer announces that epoch 2 (a later failover) made 10.0.0.1 the master again.
        w.inv.noteConfig('mymaster', 2, '10.0.0.1:6379', 'injected hello');
        leader.apply({ type: 'hello', payload: `${peer.host},${peer.port},${peer.name},2,mymaster,10.0.0.1,6379,2` });
        after = { state: m.failover.state, addr: `${m.host}:${m.port}`, configEpoch: m.config.configEpoch };
      });
    }, { faultMs: 3_000, healBoundMs: 1_000 });
    expect(after).toEqual({ state: 'none', addr: '10.0.0.1:6379', configEpoch: 2 });
    // The simulator's invariant sees the same thing: "config-epoch 2 is <promoted> here but 10.0.0.1:6379".
    expect(r.violations.filter((v) => v.includes('config-epoch 2'))).toEqual([]);
  });

  /*
   * src/core/failover.ts waitStart() goes on to selectSlave() in the same
   * step, and monitor.ts evaluateMaster() runs the state machine as soon as a
   * vote reply arrives. So the replica is chosen within ~100 ms of ODOWN,
   * before the INFO that ODOWN triggers (fast info period) has come back.
   * With down-after below the 10 s INFO period, the replicas' last INFO is
   * then often older than select.ts's 5 s validity (master SDOWN), every
   * replica is rejected and the failover aborts with
   * -failover-abort-no-good-slave; the retry waits 2 x failover-timeout
   * (6 minutes with the default 180 s). Measured in the simulator: 48 of 200
   * clean kills with down-after 1000. Redis runs one failover state per timer
   * tick, so its select-slave comes at least a tick later, after the INFO
   * replies (sent in the same tick as ODOWN) are in.
   * Fix: do not abort select-slave while an otherwise eligible replica has
   * an INFO reply pending (wait for it, bounded, e.g. 1-2 s), or do not chain
   * wait-start -> select-slave within one step.
   */
  /*
   * src/core/admin.ts resetMasters(): SENTINEL RESET on the failover leader
   * while it reconfigures the replicas cleared the failover and left the
   * master at the OLD address with the NEW config-epoch (as redis-sentinel's
   * sentinelResetMaster does), while its hellos had already announced the
   * promoted replica with that epoch: "config-epoch 3 is 10.0.11.1 here but
   * 10.0.11.3 on s2" (simulator seed 97), and no hello could correct it.
   * Fix: a reset past the promotion switches to the promoted replica first.
   */
  it('SENTINEL RESET on the leader after the promotion keeps the promoted address', () => {
    let leader = '';
    let promoted = '';
    let after = '';
    const r = cleanKill(201, (w, leaderId, promotedAddr) => {
      leader = leaderId;
      promoted = promotedAddr;
      const node = w.sentinel(leaderId)!;
      w.admin(node, { type: 'reset', masters: ['mymaster'] }, 'SENTINEL RESET mymaster');
      const m = node.state!.masters.get('mymaster')!;
      after = `${m.host}:${m.port}`;
    });
    expect(leader, formatFailure(r)).not.toBe('');
    expect(after, formatFailure(r)).toBe(promoted);
    expect(r.ok, formatFailure(r)).toBe(true);
  });

  /*
   * src/core/failover.ts selectSlave(): a coordinated failover's leader
   * crashed after FAILOVER TO; the roles swapped and nobody announced it.
   * The Sentinel ranked first had been RESET (no replicas known): it won
   * every election, aborted with -failover-abort-no-good-slave, and retried
   * 2 x failover-timeout later, first again, since the peers that voted for
   * it wait as long and rank after it: forever (simulator seeds 11732,
   * 15133). Fix: after a no-good-slave abort it retries one
   * failover-timeout after the peers, who know the promoted replica.
   */
  it('a leader with no replica to promote lets the peers that know one try first', () => {
    let target = '';
    const r = runSimulation(301, {
      sentinels: 3, masters: 1, quorum: 2, replicas: 2, downAfterMs: 1000, failoverTimeoutMs: 5_000, faultMs: 60_000,
      latencyMsMax: 5, presetSentinels: true, presetReplicas: true, parallelSyncs: 1, noFailoverFraction: 0,
      script: [
        {
          atMs: 500, action: (w) => {
            const byRank = [...w.sentinels].sort((a, b) => (a.myId < b.myId ? -1 : 1));
            const leader = byRank[2]!;
            w.watchers.push((e) => {
              if (e.channel !== '+failover-coordinated-start' || e.node !== leader.id || !leader.isAlive()) return;
              target = `${e.message.split(' ')[2]}:${e.message.split(' ')[3]}`;
              w.schedule(50, () => leader.crash('test: leader crashes after FAILOVER TO'));
            });
            w.manualFailover(leader, 'mymaster', true);
            w.schedule(4_000, () => w.admin(byRank[0]!, { type: 'reset', masters: ['mymaster'] }, 'SENTINEL RESET mymaster'));
          },
        },
      ],
    });
    expect(target, formatFailure(r)).not.toBe('');
    const healAt = r.world.healAtMs ?? Infinity;
    const switched = r.world.events.filter((e) => e.channel === '+switch-master' && e.atMs < healAt &&
      e.message.split(' ').slice(3).join(':') === target);
    expect(switched.length, formatFailure(r)).toBeGreaterThan(0);
    expect(r.ok, formatFailure(r)).toBe(true);
  });

  it('a clean master kill promotes a replica on the first election (no abort for stale INFO)', () => {
    const aborted: number[] = [];
    for (let i = 0; i < 10; i++) {
      const killAtMs = 1000 + i * 1000;
      const r = runSimulation(300 + i, {
        sentinels: 3, quorum: 2, replicas: 2, downAfterMs: 1000, failoverTimeoutMs: 10_000, faultMs: 14_000,
        presetSentinels: true, presetReplicas: true, priorities: [100, 100, 100], latencyMsMax: 5,
        script: [{ atMs: killAtMs, action: (w) => w.killRedis(w.redis[0]!) }],
      });
      const first = r.world.events.find((e) => e.channel === '-failover-abort-no-good-slave' || e.channel === '+promoted-slave');
      if (first?.channel !== '+promoted-slave') aborted.push(killAtMs);
    }
    expect(aborted).toEqual([]);
  });

  /*
   * src/core/election.ts getLeader() counts a peer's vote when
   * `peer.leaderEpoch === state.currentEpoch`, and failover.ts
   * askMasterState() asks for votes with `epoch: state.currentEpoch`, not the
   * failover's epoch. A candidate still in wait-start for epoch N whose
   * current-epoch moved on to N+1 (it voted for another candidate, which also
   * pushes its failoverStartMs forward and so its election timeout) asks for,
   * receives and counts votes of epoch N+1, and is elected for epoch N with no
   * majority in N. It then promotes with config-epoch N, which another
   * Sentinel may legitimately have won: two configurations with one epoch.
   * (Redis 7 counts `leader_epoch == sentinel.current_epoch` too.)
   * Fix: count only `peer.leaderEpoch === epoch` (the failover epoch) and ask
   * with `master.failover.epoch`; or abort a wait-start failover as soon as
   * state.currentEpoch > master.failover.epoch (Raft's step-down).
   */
  it('a candidate of epoch 1 is not elected by votes granted in epoch 2', () => {
    const h = coreHarness();
    h.untilEvent('+try-failover');
    const m = h.state.masters.get('mymaster')!;
    expect(m.failover.epoch).toBe(1);
    // Epoch 1 went to PEERS[0] (every peer answers our vote request so), we stay in wait-start.
    h.ticks(10);
    expect(m.failover.state).toBe('wait-start');
    // PEERS[0] tries again in epoch 2 (its promotion failed, say) and gets our vote.
    const vote = h.run({ type: 'isMasterDownRequest', ip: '10.0.0.1', port: 6379, epoch: 2, runId: PEERS[0]! });
    expect(vote.events).toContain(`+vote-for-leader ${PEERS[0]} 2`);
    // Today our next vote request goes out as epoch 2 (state.currentEpoch) although the
    // failover is epoch 1, and the other three peers grant us their epoch-2 vote.
    const later = h.ticks(30);
    // Epoch 1 has a leader already (PEERS[0], 4 votes); no peer voted for us in epoch 1.
    expect(later.events.filter((e) => e.startsWith('+elected-leader'))).toEqual([]);
  });

  /*
   * Issue 9, item 16: every Sentinel restarted more than 10 x down-after
   * after the master died (a power cut, a restart storm). Their SDOWN age
   * restarts at zero while the replicas' master_link_down_since counts from
   * the death, so Redis's staleness rule disqualified every replica forever:
   * elections ended in -failover-abort-no-good-slave, epochs climbed.
   */
  it('Sentinels restarted 12 x down-after after the master died still fail over', () => {
    let switchedAtMs: number | undefined;
    const r = runSimulation(203, {
      sentinels: 3, quorum: 2, replicas: 2, downAfterMs: 1000, failoverTimeoutMs: 10_000, faultMs: 30_000,
      latencyMsMax: 5, presetSentinels: true, presetReplicas: true, parallelSyncs: 1,
      script: [
        { atMs: 0, action: (w) => w.watchers.push((e) => {
          if (e.channel === '+switch-master' && switchedAtMs === undefined) switchedAtMs = e.atMs;
        }) },
        { atMs: 1000, action: (w) => w.killRedis(w.redis[0]!) },
        { atMs: 1300, action: (w) => { for (const s of w.sentinels) s.crash('test: power cut'); } },
        { atMs: 13_300, action: (w) => { for (const s of w.sentinels) s.start(); } },
      ],
    });
    if (!r.ok) console.error(formatFailure(r, 60));
    expect(r.violations).toEqual([]);
    expect(r.world.events.filter((e) => e.channel === '-failover-abort-no-good-slave')).toEqual([]);
    expect(switchedAtMs).toBeGreaterThan(13_300);
    expect(switchedAtMs).toBeLessThan(30_000);
  });

  /*
   * src/core/monitor.ts onHello(): a higher current-epoch learned from a
   * hello was persisted like discovery (asynchronously, coalesced). A crash
   * before that write completed restarted the Sentinel with a lower
   * current-epoch than one it had already acted on. Fix: that persist is
   * `sync: true`, so the epoch is durable before anything after it leaves.
   */
  it('a current-epoch learned from a hello survives a crash right after it', () => {
    let restartedEpoch: number | undefined;
    const r = runSimulation(203, {
      sentinels: 3, quorum: 2, replicas: 2, downAfterMs: 1000, failoverTimeoutMs: 10_000, faultMs: 3_000,
      healBoundMs: 5_000, latencyMsMax: 5, presetSentinels: true, presetReplicas: true, parallelSyncs: 1,
      script: [{
        atMs: 500, action: (w) => {
          const node = w.sentinels[0]!;
          const m = node.state!.masters.get('mymaster')!;
          const peer = [...m.sentinels.values()][0]!;
          node.apply({ type: 'hello', payload: `${peer.host},${peer.port},${peer.name},7,mymaster,10.0.0.1,6379,0` });
          expect(node.state!.currentEpoch).toBe(7);
          // Killed at once: no asynchronous write had the time to complete.
          node.crash('test: crash right after the hello');
          node.start();
          restartedEpoch = node.state?.currentEpoch;
        },
      }],
    });
    expect(restartedEpoch).toBe(7);
    expect(r.violations.filter((v) => v.includes('current-epoch went back'))).toEqual([]);
  });
});

/** A failover step the leader takes itself (what must wait for +tilt after a stall). */
const FAILOVER_STEP = /^(\+try-failover|\+elected-leader|\+failover-state-|\+selected-slave|\+promoted-slave|\+slave-reconf-|\+failover-end|\+switch-master|-failover-abort)/;

describe('a stalled process (SIGSTOP) whose queued events arrive at once', () => {
  /*
   * The leader is stopped for 10 s right after it selected or promoted a
   * replica. Replies to its SLAVEOF/INFO/PING, hellos and link changes pile
   * up meanwhile; on SIGCONT they are applied at once, before its timer runs.
   * The core checks the clock before any event (step.ts noticeClockJump), so
   * the first of them must put it in TILT before it takes any further step.
   */
  /*
   * With +selected-slave / +promoted-slave as the trigger, the replies that
   * pile up (SLAVEOF, PING, old INFO) cannot advance the failover by
   * themselves: these two cases hold even without noticeClockJump. The
   * +try-failover case can: the vote replies are queued, and without the
   * clock check the first of them makes it +elected-leader before +tilt.
   */
  it.each(['+selected-slave', '+promoted-slave', '+try-failover'])('the leader (or candidate) stalled 10 s after %s logs +tilt before its next failover step', (trigger) => {
    let leaderId = '';
    let resumeAtMs = -1;
    const r = cleanKill(203, () => undefined, {
      script: [
        {
          atMs: 0,
          action: (w) => w.watchers.push((e) => {
            if (e.channel !== trigger || leaderId !== '') return;
            leaderId = e.node;
            // Stopped once the step that logged the trigger has sent its effects.
            w.defer(() => w.stallSentinel(w.sentinel(leaderId)!, 10_000));
            resumeAtMs = e.atMs + 10_000;
          }),
        },
        { atMs: 1000, action: (w) => w.killRedis(w.redis[0]!) },
      ],
    });
    expect(leaderId).not.toBe('');
    const after = r.world.events.filter((e) => e.node === leaderId && e.atMs >= resumeAtMs);
    const first = after.find((e) => e.channel === '+tilt' || FAILOVER_STEP.test(e.channel));
    expect(first?.channel).toBe('+tilt');
    expect(after[0]?.channel).toBe('+tilt');
    if (!r.ok) console.error(formatFailure(r, 80));
    expect(r.violations).toEqual([]);
    expect(r.ok).toBe(true);
  });
});

const ME = 'a'.repeat(40);
const PEERS = ['b', 'c', 'd', 'e'].map((c) => c.repeat(40));

/** One core, 4 peers that answer pings, a master that never answers: drive it by hand. */
function coreHarness() {
  const cfg = defaultSentinelConfig();
  cfg.myid = ME;
  const mc = defaultMasterConfig('mymaster', '10.0.0.1', 6379, 2);
  mc.downAfterMs = 1000;
  mc.failoverTimeoutMs = 60_000;
  mc.knownReplicas = [{ host: '10.0.0.2', port: 6379 }];
  mc.knownSentinels = PEERS.map((runid, i) => ({ host: `10.0.1.${i + 2}`, port: 26379, runid }));
  cfg.masters.push(mc);
  let nowMs = 1_000_000;
  const state: SentinelState = stateFromConfig(cfg, ME, nowMs, seededRandom(7));
  const masterLink = linkKey('redis', '10.0.0.1', 6379);
  const run = (event: CoreEvent): { effects: Effect[]; events: string[] } => {
    const effects: Effect[] = [];
    const queue: CoreEvent[] = [event];
    while (queue.length > 0) {
      const r = step(state, queue.shift()!, nowMs);
      effects.push(...r.effects);
      for (const e of r.effects) queue.push(...reactTo(e));
    }
    return { effects, events: effects.flatMap((e) => (e.type === 'event' ? [`${e.channel} ${e.message}`] : [])) };
  };
  /** Peers and the replica connect and answer PING; the master never does; peers say the master is down. */
  const reactTo = (e: Effect): CoreEvent[] => {
    if (e.type === 'connect' && e.link !== masterLink) return [{ type: 'linkUp', link: e.link, localIp: '10.0.1.1' }];
    if (e.type === 'ping' && e.link !== masterLink) return [{ type: 'pingReply', link: e.link, outcome: 'valid' }];
    if (e.type === 'askMasterDown' && e.runId === '*') {
      return [{ type: 'masterDownReply', master: e.peer.master, peer: e.peer.name, reply: { down: true, leader: '*', leaderEpoch: 0 } }];
    }
    if (e.type === 'askMasterDown') {
      // Epoch 1: every peer voted for PEERS[0]. Later epochs: PEERS[0] votes for
      // itself, the others grant the request (it reached them first).
      const leader = e.epoch === 1 || e.peer.name === PEERS[0] ? PEERS[0]! : e.runId;
      return [{ type: 'masterDownReply', master: e.peer.master, peer: e.peer.name, reply: { down: true, leader, leaderEpoch: e.epoch } }];
    }
    if (e.type === 'publishHello') return [{ type: 'commandDone', link: e.link }];
    return [];
  };
  const ticks = (n: number) => {
    const out = { effects: [] as Effect[], events: [] as string[] };
    for (let i = 0; i < n; i++) {
      nowMs += 100;
      const r = run({ type: 'tick' });
      out.effects.push(...r.effects);
      out.events.push(...r.events);
    }
    return out;
  };
  return {
    state,
    run,
    ticks,
    untilEvent(prefix: string): void {
      for (let i = 0; i < 200; i++) if (ticks(1).events.some((e) => e.startsWith(prefix))) return;
      throw new Error(`no ${prefix} within 20 s`);
    },
    persisted: () => configFromState(cfg, state),
  };
}
