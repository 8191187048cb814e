import { describe, expect, it } from 'vitest';
import type { Effect } from '../../src/core/effects.js';
import { tallyVotes, voteLeader } from '../../src/core/election.js';
import { abortFailover, answerIsMasterDown, ImpossibleTransition, startDelayMs, startFailoverIfNeeded } from '../../src/core/failover.js';
import { formatHello } from '../../src/core/hello.js';
import { seededRandom } from '../../src/core/sentinel.js';
import { step } from '../../src/core/step.js';
import type { SentinelState } from '../../src/core/state.js';

import { ME, MASTER, PEER_A, PEER_B, R1, R2, T0, evs, replicaInfo, world } from './failoverWorld.js';

describe('election rules', () => {
  it('needs max(quorum, majority) votes for one candidate', () => {
    expect(tallyVotes([ME, ME], 3, 2)).toBe(ME);
    expect(tallyVotes([ME, PEER_A], 3, 2)).toBeUndefined();
    expect(tallyVotes([ME, ME], 5, 2)).toBeUndefined(); // majority of 5 is 3
    expect(tallyVotes([ME, ME, ME], 5, 4)).toBeUndefined(); // quorum 4
    expect(tallyVotes([ME, ME, ME, ME], 5, 4)).toBe(ME);
    expect(tallyVotes([], 1, 1)).toBeUndefined();
  });

  it('grants one vote per epoch and persists it before anything else happens', () => {
    const s = world();
    const m = s.masters.get('mymaster')!;
    const first: Effect[] = [];
    expect(voteLeader(s, m, 3, PEER_A, T0, first)).toEqual({ leader: PEER_A, leaderEpoch: 3 });
    expect(first[0]).toEqual({ type: 'persist', sync: true });
    expect(evs(first)).toEqual(['+new-epoch', '+vote-for-leader']);
    const second: Effect[] = [];
    expect(voteLeader(s, m, 3, PEER_B, T0 + 1, second)).toEqual({ leader: PEER_A, leaderEpoch: 3 });
    expect(second).toEqual([]);
    expect(voteLeader(s, m, 4, PEER_B, T0 + 2, [])).toEqual({ leader: PEER_B, leaderEpoch: 4 });
  });

  it('a vote for another Sentinel holds back our own failover attempts', () => {
    const s = world();
    const m = s.masters.get('mymaster')!;
    voteLeader(s, m, 1, PEER_A, T0, []);
    expect(m.failoverStartMs).toBeGreaterThanOrEqual(T0);
  });

  it('never votes for an epoch older than its current epoch', () => {
    const s = world();
    s.currentEpoch = 10;
    const m = s.masters.get('mymaster')!;
    expect(voteLeader(s, m, 9, PEER_A, T0, []).leader).toBeUndefined();
  });

  it('answers IS-MASTER-DOWN-BY-ADDR "not down" while in TILT', () => {
    const s = world();
    s.masters.get('mymaster')!.sdown = true;
    expect(answerIsMasterDown(s, '127.0.0.1', 6379, 0, '*', T0, []).down).toBe(true);
    s.tilt = true;
    expect(answerIsMasterDown(s, '127.0.0.1', 6379, 0, '*', T0, []).down).toBe(false);
    expect(answerIsMasterDown(s, '127.0.0.1', 9999, 0, PEER_A, T0, [])).toEqual({ down: false, leader: '*', leaderEpoch: 0 });
  });
});

/** Drives one Sentinel's core through a whole failover with scripted replies. */
function bringUp(s: SentinelState, now: number): number {
  step(s, { type: 'tick' }, now);
  for (const link of [MASTER, R1, R2, 'sentinel|127.0.0.1|26380', 'sentinel|127.0.0.1|26381']) {
    step(s, { type: 'linkUp', link, localIp: '127.0.0.1' }, now);
    step(s, { type: 'pingReply', link, outcome: 'valid' }, now);
  }
  step(s, { type: 'info', target: { master: 'mymaster', kind: 'slave', name: '127.0.0.1:6380' }, text: replicaInfo(6380, 'slave', 6379, 200) }, now);
  step(s, { type: 'info', target: { master: 'mymaster', kind: 'slave', name: '127.0.0.1:6381' }, text: replicaInfo(6381, 'slave', 6379, 100) }, now);
  return now;
}

/** From a healthy world: the master dies, we win the election and send SLAVEOF NO ONE to R1. */
function electAndPromote(s: SentinelState): { now: number; all: Effect[] } {
  let now = bringUp(s, T0);
  const all: Effect[] = [];
  const run = (r: { effects: Effect[] }) => { all.push(...r.effects); return r.effects; };
  // The master stops answering; replicas and peers keep answering.
  for (now = T0 + 100; now <= T0 + 2500; now += 100) {
    for (const link of [R1, R2, 'sentinel|127.0.0.1|26380', 'sentinel|127.0.0.1|26381']) {
      step(s, { type: 'pingReply', link, outcome: 'valid' }, now);
    }
    run(step(s, { type: 'tick' }, now));
  }
  expect(evs(all)).toContain('+sdown');
  // Peers agree it is down, and vote for us once asked with our run id.
  const vote = (peer: string) => step(s, { type: 'masterDownReply', master: 'mymaster', peer,
    reply: { down: true, leader: s.currentEpoch > 0 ? ME : '*', leaderEpoch: s.currentEpoch } }, now);
  run(vote(PEER_A));
  expect(evs(all)).toContain('+odown');
  for (let i = 0; i < 3 && !evs(all).includes('+try-failover'); i += 1) {
    now += 100;
    run(step(s, { type: 'tick' }, now));
  }
  expect(evs(all)).toContain('+try-failover');
  run(vote(PEER_A));
  run(vote(PEER_B));
  now += 100;
  run(step(s, { type: 'tick' }, now));
  expect(evs(all)).toEqual(expect.arrayContaining(['+elected-leader', '+selected-slave']));
  return { now, all };
}

describe('failover start schedule (issue 9, item 15)', () => {
  it('neighbouring ranks start at least 80 ms apart, more than the ODOWN skew measured between Sentinels (34 ms)', () => {
    const ids = [ME, PEER_A, PEER_B];
    const delays = ids.map(() => [] as number[]);
    for (let seed = 1; seed <= 500; seed++) {
      for (const [i, id] of ids.entries()) {
        const s = world();
        s.myId = id;
        s.masters.get('mymaster')!.sentinels.clear();
        for (const other of ids) if (other !== id) s.masters.get('mymaster')!.sentinels.set(other, {} as never);
        s.random = seededRandom(seed * 31 + i);
        delays[i]!.push(startDelayMs(s, s.masters.get('mymaster')!));
      }
    }
    // Ranks by run id: ME (111...) < PEER_A (aaa...) < PEER_B (bbb...).
    for (let r = 0; r + 1 < ids.length; r++) {
      expect(Math.min(...delays[r + 1]!) - Math.max(...delays[r]!)).toBeGreaterThanOrEqual(80);
    }
    expect(Math.max(...delays[0]!)).toBeLessThanOrEqual(20);
  });

  it('after voting for a leader that never finished, the retry also waits for our slot (Sentinels that voted together retry apart)', () => {
    const s = world();
    const m = s.masters.get('mymaster')!;
    m.odown = true;
    m.odownSinceMs = T0;
    m.startJitterMs = 150;
    const votedAtMs = T0 + 1_000;
    voteLeader(s, m, 1, PEER_A, votedAtMs, []);
    const readyAtMs = votedAtMs + 2 * m.config.failoverTimeoutMs + 150;
    const early: Effect[] = [];
    expect(startFailoverIfNeeded(s, m, readyAtMs - 1, early)).toBe(false);
    expect(early).toContainEqual({ type: 'wakeAt', master: 'mymaster', atMs: readyAtMs });
    expect(startFailoverIfNeeded(s, m, readyAtMs, [])).toBe(true);
  });
});

describe('failover state machine', () => {
  it('goes from ODOWN to +switch-master, promoting the replica with the highest offset', () => {
    const s = world();
    let { now, all } = electAndPromote(s);
    const run = (r: { effects: Effect[] }) => { all.push(...r.effects); return r.effects; };
    const promote = all.find((e) => e.type === 'slaveof');
    expect(promote).toMatchObject({ link: R1 });
    expect(promote && 'host' in promote ? promote.host : undefined).toBeUndefined();
    // The replica reports role:master: promotion seen, the other replica repointed.
    const r1 = { master: 'mymaster', kind: 'slave' as const, name: '127.0.0.1:6380' };
    run(step(s, { type: 'slaveofDone', link: R1, target: r1, ok: true }, now));
    run(step(s, { type: 'info', target: r1, text: replicaInfo(6380, 'master') }, now));
    expect(evs(all)).toContain('+promoted-slave');
    const reconf = all.filter((e) => e.type === 'slaveof').at(-1);
    expect(reconf).toMatchObject({ link: R2, host: '127.0.0.1', port: 6380 });
    const r2 = { master: 'mymaster', kind: 'slave' as const, name: '127.0.0.1:6381' };
    run(step(s, { type: 'info', target: r2, text: replicaInfo(6381, 'slave', 6380) }, now));
    expect(evs(all)).toEqual(expect.arrayContaining(['+slave-reconf-inprog', '+slave-reconf-done']));
    now += 100;
    run(step(s, { type: 'tick' }, now));
    expect(evs(all)).toEqual(expect.arrayContaining(['+failover-end', '+switch-master']));
    const m = s.masters.get('mymaster')!;
    expect([m.host, m.port]).toEqual(['127.0.0.1', 6380]);
    expect(m.config.configEpoch).toBe(s.currentEpoch);
    // The old master is kept as a replica, to be converted when it returns.
    expect([...m.replicas.keys()].sort()).toEqual(['127.0.0.1:6379', '127.0.0.1:6381']);
  });

  it('after a stall, replies queued in sockets do not advance the failover: TILT comes first (issue 9, item 14)', () => {
    const s = world();
    const { now } = electAndPromote(s);
    const later = now + 10_000;
    const r1 = { master: 'mymaster', kind: 'slave' as const, name: '127.0.0.1:6380' };
    const r2 = { master: 'mymaster', kind: 'slave' as const, name: '127.0.0.1:6381' };
    // The process was stopped for 10 s; the first events after it are replies, not the timer.
    const first = step(s, { type: 'slaveofDone', link: R1, target: r1, ok: true }, later).effects;
    expect(evs(first)[0]).toBe('+tilt');
    const after = [
      step(s, { type: 'info', target: r1, text: replicaInfo(6380, 'master') }, later),
      step(s, { type: 'info', target: r2, text: replicaInfo(6381, 'slave') }, later),
      step(s, { type: 'masterDownReply', master: 'mymaster', peer: PEER_A,
        reply: { down: true, leader: ME, leaderEpoch: s.currentEpoch } }, later),
      step(s, { type: 'evaluate', master: 'mymaster' }, later),
    ].flatMap((r) => r.effects);
    // Observations (a role change in INFO) are still reported, as Redis does in TILT; decisions are not.
    expect(evs(after).filter((c) => !/^[+-]role-change$/.test(c))).toEqual([]);
    expect(after.filter((e) => e.type === 'slaveof')).toEqual([]);
    expect(s.tilt).toBe(true);
    expect(s.masters.get('mymaster')!.failover.state).not.toBe('none');
  });

  it('a SLAVEOF NO ONE held back after a stall is sent again once TILT is over, not left to failover-timeout', () => {
    const s = world();
    const { now } = electAndPromote(s);
    const m = s.masters.get('mymaster')!;
    expect(m.failover.state).toBe('wait-promotion');
    const r1 = { master: 'mymaster', kind: 'slave' as const, name: '127.0.0.1:6380' };
    // The process stopped between the decision and the send; the executor reports it not sent.
    const later = now + 13_000;
    const first = step(s, { type: 'slaveofDone', link: R1, target: r1, ok: false, stalled: true }, later).effects;
    expect(evs(first)[0]).toBe('+tilt');
    expect(m.failover.state).toBe('send-slaveof-noone');
    const slaveofs = (from: number, to: number): Effect[] => {
      const out: Effect[] = [];
      for (let t = from; t <= to; t += 100) {
        for (const link of [R1, R2, 'sentinel|127.0.0.1|26380', 'sentinel|127.0.0.1|26381']) {
          step(s, { type: 'pingReply', link, outcome: 'valid' }, t);
        }
        out.push(...step(s, { type: 'tick' }, t).effects.filter((e) => e.type === 'slaveof'));
      }
      return out;
    };
    // Nothing during TILT; then SLAVEOF NO ONE to the same replica, once.
    expect(slaveofs(later + 100, later + s.timing.tiltPeriodMs - 100)).toEqual([]);
    const resent = slaveofs(later + s.timing.tiltPeriodMs, later + s.timing.tiltPeriodMs + 1_000);
    expect(resent).toHaveLength(1);
    expect(resent[0]).toMatchObject({ link: R1 });
    expect(resent[0] && 'host' in resent[0] ? resent[0].host : undefined).toBeUndefined();
    expect(m.failover.state).toBe('wait-promotion');
  });

  it('aborts with -failover-abort-not-elected when the votes do not come', () => {
    const s = world();
    let now = bringUp(s, T0);
    const all: Effect[] = [];
    for (now = T0 + 100; now <= T0 + 2500; now += 100) all.push(...step(s, { type: 'tick' }, now).effects);
    all.push(...step(s, { type: 'masterDownReply', master: 'mymaster', peer: PEER_A,
      reply: { down: true, leader: '*', leaderEpoch: 0 } }, now).effects);
    for (let t = now; t <= now + 12_000; t += 100) {
      all.push(...step(s, { type: 'masterDownReply', master: 'mymaster', peer: PEER_A,
        reply: { down: true, leader: PEER_B, leaderEpoch: s.currentEpoch } }, t).effects);
      all.push(...step(s, { type: 'tick' }, t).effects);
    }
    expect(evs(all)).toContain('+try-failover');
    expect(evs(all)).toContain('-failover-abort-not-elected');
    expect(evs(all)).not.toContain('+elected-leader');
    expect(s.masters.get('mymaster')!.failover.state).toBe('none');
  });

  it('a hello with a higher config-epoch switches the master (+config-update-from)', () => {
    const s = world();
    const r = step(s, { type: 'hello', payload: formatHello({
      ip: '127.0.0.1', port: 26380, runId: PEER_A, currentEpoch: 3, masterName: 'mymaster',
      masterIp: '127.0.0.1', masterPort: 6381, masterConfigEpoch: 3,
    }) }, T0);
    expect(evs(r.effects)).toEqual(['+new-epoch', '+config-update-from', '+switch-master', '+slave', '+slave']);
    const m = s.masters.get('mymaster')!;
    expect([m.port, m.config.configEpoch]).toEqual([6381, 3]);
    expect(r.effects).toContainEqual(expect.objectContaining({ type: 'reconfigScript', role: 'observer' }));
  });

  it('SENTINEL FAILOVER refuses without a good replica and while one runs', () => {
    const s = world();
    expect(step(s, { type: 'manualFailover', master: 'mymaster' }, T0).manual).toBe('nogoodslave');
    bringUp(s, T0);
    expect(step(s, { type: 'manualFailover', master: 'mymaster' }, T0).manual).toBe('ok');
    expect(step(s, { type: 'manualFailover', master: 'mymaster' }, T0).manual).toBe('inprog');
    expect(step(s, { type: 'manualFailover', master: 'nope' }, T0).manual).toBe('nosuchmaster');
  });

  it('throws on an impossible transition instead of logging it', () => {
    const s = world();
    const m = s.masters.get('mymaster')!;
    expect(() => abortFailover(s, m, T0, [])).toThrow(ImpossibleTransition);
  });
});
