import { describe, expect, it } from 'vitest';
import type { Effect } from '../../src/core/effects.js';
import { COORDINATED_GRACE_MS } from '../../src/core/coordinated.js';
import { selectReplica } from '../../src/core/select.js';
import { formatHello } from '../../src/core/hello.js';
import { step } from '../../src/core/step.js';
import type { SentinelState } from '../../src/core/state.js';

import { ME, MASTER, PEER_A, PEER_B, R1, R2, T0, evs, replicaInfo as info, world } from './failoverWorld.js';
const PEERS = ['sentinel|127.0.0.1|26380', 'sentinel|127.0.0.1|26381'];
const R1_REF = { master: 'mymaster', kind: 'slave' as const, name: '127.0.0.1:6380' };

/** Every link up, the master reporting role:master, both replicas in sync. */
function healthy(): SentinelState {
  const s = world();
  step(s, { type: 'tick' }, T0);
  for (const link of [MASTER, R1, R2, ...PEERS]) {
    step(s, { type: 'linkUp', link, localIp: '127.0.0.1' }, T0);
    step(s, { type: 'pingReply', link, outcome: 'pong' }, T0);
  }
  step(s, { type: 'info', target: { master: 'mymaster', kind: 'master', name: 'mymaster' }, text: info(6379, 'master') }, T0);
  step(s, { type: 'info', target: R1_REF, text: info(6380, 'slave', 6379, 200) }, T0);
  step(s, { type: 'info', target: { master: 'mymaster', kind: 'slave', name: '127.0.0.1:6381' }, text: info(6381, 'slave', 6379, 100) }, T0);
  return s;
}

/** SENTINEL FAILOVER mymaster COORDINATED, then both peers vote for us: FAILOVER TO is sent. */
function startCoordinated(s: SentinelState): Effect[] {
  const all: Effect[] = [];
  const r = step(s, { type: 'manualFailover', master: 'mymaster', coordinated: true }, T0);
  expect(r.manual).toBe('ok');
  all.push(...r.effects);
  // Votes are asked with our run id although the master is up.
  const asks = r.effects.filter((e) => e.type === 'askMasterDown');
  expect(asks).toHaveLength(2);
  expect(asks.every((e) => e.type === 'askMasterDown' && e.runId === ME && e.epoch === s.currentEpoch)).toBe(true);
  // Not elected yet: nothing is sent to the master.
  all.push(...step(s, { type: 'tick' }, T0 + 10).effects);
  expect(all.some((e) => e.type === 'failoverTo')).toBe(false);
  for (const peer of [PEER_A, PEER_B]) {
    all.push(...step(s, { type: 'masterDownReply', master: 'mymaster', peer,
      reply: { down: false, leader: ME, leaderEpoch: s.currentEpoch } }, T0 + 20).effects);
  }
  return all;
}

describe('SENTINEL FAILOVER <name> COORDINATED (issue 12)', () => {
  it('wins an election, sends FAILOVER TO to the master, and follows the swap through INFO', () => {
    const s = healthy();
    const all = startCoordinated(s);
    expect(evs(all)).toEqual(expect.arrayContaining(['+new-epoch', '+try-failover', '+elected-leader',
      '+selected-slave', '+failover-coordinated-start']));
    expect(evs(all)).not.toContain('+failover-state-send-slaveof-noone');
    expect(all).toContainEqual({ type: 'failoverTo', link: MASTER,
      target: { master: 'mymaster', kind: 'master', name: 'mymaster' }, host: '127.0.0.1', port: 6380, timeoutMs: 5000 });
    // No SLAVEOF NO ONE anywhere: the master hands over itself.
    expect(all.some((e) => e.type === 'slaveof')).toBe(false);
    expect(s.masters.get('mymaster')!.failover.state).toBe('wait-failover');
    const accepted = step(s, { type: 'failoverToReply', link: MASTER, master: 'mymaster' }, T0 + 30).effects;
    expect(accepted.filter((e) => e.type === 'info').map((e) => e.type === 'info' && e.link)).toEqual([MASTER, R1]);
    const swapped = step(s, { type: 'info', target: R1_REF, text: info(6380, 'master') }, T0 + 60).effects;
    const order = evs(swapped).filter((c) => c.startsWith('+failover') || c === '+promoted-slave');
    expect(order.slice(0, 3)).toEqual(['+failover-coordinated-end', '+promoted-slave', '+failover-state-reconf-slaves']);
    // The old master (already a replica of the new one) gets the SLAVEOF
    // transaction too: its CLIENT KILL sends its clients back to the
    // Sentinels. The other replica is repointed.
    const slaveofs = swapped.filter((e) => e.type === 'slaveof');
    expect(slaveofs.map((e) => e.type === 'slaveof' && [e.link, e.port])).toEqual([[MASTER, 6380], [R2, 6380]]);
    expect(evs(swapped)).toContain('+demote-old-master');
    expect(s.masters.get('mymaster')!.config.configEpoch).toBe(s.currentEpoch);
  });

  it('is refused at once when the master is not reachable (MASTERDOWN reply)', () => {
    const s = world();
    step(s, { type: 'tick' }, T0);
    for (const link of [R1, R2]) step(s, { type: 'linkUp', link, localIp: '127.0.0.1' }, T0);
    step(s, { type: 'info', target: R1_REF, text: info(6380, 'slave', 6379, 200) }, T0);
    const r = step(s, { type: 'manualFailover', master: 'mymaster', coordinated: true }, T0);
    expect(r.manual).toBe('masterdown');
    expect(r.effects).toEqual([]);
    expect(s.masters.get('mymaster')!.failover.state).toBe('none');
  });

  it('aborts when the master refuses FAILOVER (NOPERM, unknown command, older server)', () => {
    const s = healthy();
    startCoordinated(s);
    const r = step(s, { type: 'failoverToReply', link: MASTER, master: 'mymaster',
      error: "NOPERM this user has no permissions to run the 'failover' command" }, T0 + 30).effects;
    expect(evs(r)).toEqual(['-failover-abort-coordinated-refused']);
    expect(r).toContainEqual(expect.objectContaining({ type: 'log', message: expect.stringContaining('NOPERM') }));
    const m = s.masters.get('mymaster')!;
    expect(m.failover.state).toBe('none');
    expect(m.failover.coordinated).toBe(false);
    expect([...m.replicas.values()].some((x) => x.promoted)).toBe(false);
  });

  it('sends FAILOVER ABORT and aborts when the roles never swap', () => {
    const s = healthy();
    startCoordinated(s);
    const all: Effect[] = [...step(s, { type: 'failoverToReply', link: MASTER, master: 'mymaster' }, T0 + 30).effects];
    for (let now = T0 + 100; now <= T0 + 5000 + COORDINATED_GRACE_MS + 200; now += 100) {
      for (const link of [MASTER, R1, R2, ...PEERS]) step(s, { type: 'pingReply', link, outcome: 'pong' }, now);
      const effects = [...all.filter((e) => e.type === 'info' && now === T0 + 100), ...step(s, { type: 'tick' }, now).effects];
      all.push(...effects);
      // Neither end changes role: the master stays master, the replica a replica.
      for (const e of effects) {
        if (e.type !== 'info') continue;
        const text = e.target.kind === 'master' ? info(6379, 'master') : info(Number(e.target.name.split(':')[1]), 'slave');
        all.push(...step(s, { type: 'info', target: e.target, text }, now + 1).effects);
      }
    }
    expect(all).toContainEqual({ type: 'failoverAbort', link: MASTER, target: { master: 'mymaster', kind: 'master', name: 'mymaster' } });
    expect(evs(all)).toContain('-failover-abort-coordinated-timeout');
    expect(s.masters.get('mymaster')!.failover.state).toBe('none');
    // The old master and the promoted replica were polled fast while the switch ran.
    expect(all.filter((e) => e.type === 'info' && e.link === MASTER).length).toBeGreaterThan(20);
  });

  it('aborts as not elected when the peers vote for someone else', () => {
    const s = healthy();
    step(s, { type: 'manualFailover', master: 'mymaster', coordinated: true }, T0);
    for (const peer of [PEER_A, PEER_B]) {
      step(s, { type: 'masterDownReply', master: 'mymaster', peer, reply: { down: false, leader: PEER_A, leaderEpoch: s.currentEpoch } }, T0 + 20);
    }
    const all: Effect[] = [];
    for (let now = T0 + 100; now <= T0 + 10_500; now += 100) {
      for (const link of [MASTER, R1, R2, ...PEERS]) step(s, { type: 'pingReply', link, outcome: 'pong' }, now);
      all.push(...step(s, { type: 'tick' }, now).effects);
    }
    expect(evs(all)).toContain('-failover-abort-not-elected');
    expect(all.some((e) => e.type === 'failoverTo')).toBe(false);
  });
});

describe('faster demotion of the old master (issue 12)', () => {
  it('plain SENTINEL FAILOVER of a reachable master repoints it as soon as the promotion is seen', () => {
    const s = healthy();
    const r = step(s, { type: 'manualFailover', master: 'mymaster' }, T0);
    expect(r.manual).toBe('ok');
    step(s, { type: 'tick' }, T0 + 10);
    step(s, { type: 'slaveofDone', link: R1, target: R1_REF, ok: true }, T0 + 20);
    const promoted = step(s, { type: 'info', target: R1_REF, text: info(6380, 'master') }, T0 + 40).effects;
    expect(evs(promoted)).toContain('+demote-old-master');
    expect(promoted).toContainEqual({ type: 'slaveof', link: MASTER,
      target: { master: 'mymaster', kind: 'master', name: 'mymaster' }, host: '127.0.0.1', port: 6380 });
    expect(evs(promoted).indexOf('+promoted-slave')).toBeLessThan(evs(promoted).indexOf('+demote-old-master'));
  });

  it('an automatic failover (master down) does not send SLAVEOF to the old master', () => {
    const s = healthy();
    const m = s.masters.get('mymaster')!;
    step(s, { type: 'manualFailover', master: 'mymaster' }, T0);
    step(s, { type: 'tick' }, T0 + 10);
    m.failover.forced = false; // as if elected after ODOWN
    const promoted = step(s, { type: 'info', target: R1_REF, text: info(6380, 'master') }, T0 + 40).effects;
    expect(promoted.some((e) => e.type === 'slaveof' && e.link === MASTER)).toBe(false);
    expect(evs(promoted)).not.toContain('+demote-old-master');
  });

  it('an old master seen again as master after a switch is INFO-ed on its first PONG and converted at once', () => {
    const s = world();
    step(s, { type: 'tick' }, T0);
    step(s, { type: 'hello', payload: formatHello({
      ip: '127.0.0.1', port: 26380, runId: PEER_A, currentEpoch: 3, masterName: 'mymaster',
      masterIp: '127.0.0.1', masterPort: 6381, masterConfigEpoch: 3,
    }) }, T0);
    const m = s.masters.get('mymaster')!;
    expect(m.replicas.get('127.0.0.1:6379')?.demoteAtOnce).toBe(true);
    expect(m.replicas.get('127.0.0.1:6380')?.demoteAtOnce).toBe(false);
    const now = T0 + 100;
    step(s, { type: 'tick' }, now);
    for (const link of [R1, R2]) {
      step(s, { type: 'linkUp', link, localIp: '127.0.0.1' }, now);
      step(s, { type: 'pingReply', link, outcome: 'pong' }, now);
    }
    step(s, { type: 'info', target: { master: 'mymaster', kind: 'master', name: 'mymaster' }, text: info(6381, 'master') }, now);
    const up = step(s, { type: 'linkUp', link: MASTER, localIp: '127.0.0.1' }, now).effects;
    const pong = step(s, { type: 'pingReply', link: MASTER, outcome: 'pong' }, now + 5).effects;
    const oldRef = { master: 'mymaster', kind: 'slave' as const, name: '127.0.0.1:6379' };
    // With its first PING (no INFO from it yet as a replica), else on its first PONG.
    expect([...up, ...pong]).toContainEqual({ type: 'info', link: MASTER, target: oldRef });
    // While a known peer has not been heard lately our view may be the stale
    // one: no demotion at once.
    const unconfirmed = step(s, { type: 'info', target: oldRef, text: info(6379, 'master') }, now + 10).effects;
    expect(evs(unconfirmed)).not.toContain('+convert-to-slave');
    step(s, { type: 'hello', payload: formatHello({
      ip: '127.0.0.1', port: 26381, runId: PEER_B, currentEpoch: 3, masterName: 'mymaster',
      masterIp: '127.0.0.1', masterPort: 6381, masterConfigEpoch: 3,
    }) }, now + 10);
    const seen = step(s, { type: 'info', target: oldRef, text: info(6379, 'master') }, now + 10).effects;
    expect(seen).toContainEqual({ type: 'slaveof', link: MASTER, target: oldRef, host: '127.0.0.1', port: 6381 });
    expect(evs(seen)).toContain('+convert-to-slave');
    expect(m.replicas.get('127.0.0.1:6379')?.demoteAtOnce).toBe(false);
  });

  it('an old master already seen as a replica gets the usual wait (it may be a new promotion by a peer)', () => {
    const s = world();
    step(s, { type: 'tick' }, T0);
    step(s, { type: 'hello', payload: formatHello({
      ip: '127.0.0.1', port: 26380, runId: PEER_A, currentEpoch: 3, masterName: 'mymaster',
      masterIp: '127.0.0.1', masterPort: 6381, masterConfigEpoch: 3,
    }) }, T0);
    const m = s.masters.get('mymaster')!;
    const now = T0 + 100;
    step(s, { type: 'tick' }, now);
    for (const link of [R1, R2, MASTER]) {
      step(s, { type: 'linkUp', link, localIp: '127.0.0.1' }, now);
      step(s, { type: 'pingReply', link, outcome: 'pong' }, now);
    }
    step(s, { type: 'info', target: { master: 'mymaster', kind: 'master', name: 'mymaster' }, text: info(6381, 'master') }, now);
    const oldRef = { master: 'mymaster', kind: 'slave' as const, name: '127.0.0.1:6379' };
    step(s, { type: 'info', target: oldRef, text: info(6379, 'slave', 6381) }, now + 10);
    expect(m.replicas.get('127.0.0.1:6379')?.demoteAtOnce).toBe(false);
    const later = step(s, { type: 'info', target: oldRef, text: info(6379, 'master') }, now + 20).effects;
    expect(later.some((e) => e.type === 'slaveof')).toBe(false);
  });
});

describe('FAILOVER TO without a reply (issue 12)', () => {
  it('keeps following the switch (the master may have started it) and aborts only at the timeout', () => {
    const s = healthy();
    startCoordinated(s);
    const r = step(s, { type: 'failoverToReply', link: MASTER, master: 'mymaster', noReply: true }, T0 + 30).effects;
    expect(evs(r)).toEqual([]);
    expect(s.masters.get('mymaster')!.failover.state).toBe('wait-failover');
    // The swap still completes if the replica reports role:master.
    const swapped = step(s, { type: 'info', target: R1_REF, text: info(6380, 'master') }, T0 + 60).effects;
    expect(evs(swapped)).toContain('+failover-coordinated-end');
  });
});

describe('selection after a handover nobody announced (issue 12)', () => {
  it('picks the replica that already reports role:master when the master reports role:slave', () => {
    const s = healthy();
    const m = s.masters.get('mymaster')!;
    // R2 has the higher offset, but R1 is the one the master handed over to.
    step(s, { type: 'info', target: { master: 'mymaster', kind: 'slave', name: '127.0.0.1:6381' }, text: info(6381, 'slave', 6379, 900) }, T0 + 1);
    step(s, { type: 'info', target: R1_REF, text: info(6380, 'master') }, T0 + 1);
    expect(selectReplica(s, m, T0 + 2)?.port).toBe(6381);
    step(s, { type: 'info', target: { master: 'mymaster', kind: 'master', name: 'mymaster' }, text: info(6379, 'slave', 6380) }, T0 + 2);
    expect(selectReplica(s, m, T0 + 3)?.port).toBe(6380);
  });

  it('still picks it when its last INFO is older than the selection allows, and picks none when it is unreachable', () => {
    const s = healthy();
    const m = s.masters.get('mymaster')!;
    const R2_REF = { master: 'mymaster', kind: 'slave' as const, name: '127.0.0.1:6381' };
    const MASTER_REF = { master: 'mymaster', kind: 'master' as const, name: 'mymaster' };
    step(s, { type: 'info', target: R1_REF, text: info(6380, 'master') }, T0 + 1);
    // 40 s later: R2 and the master answered INFO just now, R1's INFO is 40 s
    // old (the selection wants one within 3 INFO periods); every link answers PING.
    const later = T0 + 40_000;
    for (const link of [MASTER, R1, R2]) step(s, { type: 'pingReply', link, outcome: 'pong' }, later);
    step(s, { type: 'info', target: R2_REF, text: info(6381, 'slave', 6379, 900) }, later);
    step(s, { type: 'info', target: MASTER_REF, text: info(6379, 'slave', 6380) }, later);
    expect(selectReplica(s, m, later + 1)?.port).toBe(6380);
    // R1 unreachable: promoting R2 would make a second master; none is chosen.
    step(s, { type: 'linkDown', link: R1 }, later + 2);
    expect(selectReplica(s, m, later + 3)).toBeUndefined();
  });
});
