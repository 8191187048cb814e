/**
 * What one event costs must not grow with the number of instances a master
 * has: anyone who can PUBLISH on its hello channel can give it ten thousand
 * peers, and a hostile master can list ten thousand replicas. Work is
 * counted as the instances the core walks over in the master's maps (a
 * counting Map), at 10 and at 10,000 of them; and the timer's connection
 * attempts to peers that never answered are spread over ticks.
 */
import { describe, expect, it } from 'vitest';
import { defaultMasterConfig, defaultSentinelConfig } from '../../src/config/model.js';
import type { Effect } from '../../src/core/effects.js';
import { formatHello } from '../../src/core/hello.js';
import { stateFromConfig } from '../../src/core/sentinel.js';
import { linkKey, type MasterState, type SentinelState } from '../../src/core/state.js';
import { step, type CoreEvent } from '../../src/core/step.js';

const MY_ID = '1'.repeat(40);
const T0 = 1_000_000;
const MASTER_PORT = 6379;
const MASTER_KEY = linkKey('redis', '127.0.0.1', MASTER_PORT);
const DEAD_PORT = 9;

/** A Map that counts the entries handed out by iteration (what a walk over the instances costs). */
class CountingMap<K, V> extends Map<K, V> {
  static visited = 0;
  override *entries(): MapIterator<[K, V]> {
    for (const e of super.entries()) {
      CountingMap.visited += 1;
      yield e;
    }
  }
  override *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }
  override *keys(): MapIterator<K> {
    for (const [k] of this.entries()) yield k;
  }
  override [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }
  override forEach(fn: (v: V, k: K, m: Map<K, V>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }
}

function peerHost(i: number): string {
  return `127.1.${(i >> 8) & 255}.${i & 255}`;
}

function peerId(i: number): string {
  return i.toString(16).padStart(40, '0');
}

function replicaHost(i: number): string {
  return `127.2.${(i >> 8) & 255}.${i & 255}`;
}

/** One master with `peers` known Sentinels and `replicas` known replicas, its maps counting. */
function world(peers: number, replicas: number): SentinelState {
  const cfg = defaultSentinelConfig();
  const m = defaultMasterConfig('m', '127.0.0.1', MASTER_PORT, 2);
  for (let i = 0; i < peers; i++) m.knownSentinels.push({ host: peerHost(i), port: DEAD_PORT, runid: peerId(i) });
  for (let i = 0; i < replicas; i++) m.knownReplicas.push({ host: replicaHost(i), port: DEAD_PORT });
  cfg.masters.push(m);
  // Above the default caps on discovery (max-sentinels/replicas-per-master): the cost is measured, not the cap.
  cfg.maxSentinelsPerMaster = 1_000_000;
  cfg.maxReplicasPerMaster = 1_000_000;
  const s = stateFromConfig(cfg, MY_ID, T0);
  const master = s.masters.get('m')!;
  master.replicas = new CountingMap(master.replicas);
  master.sentinels = new CountingMap(master.sentinels);
  s.masters = new CountingMap(s.masters);
  return s;
}

function masterOf(s: SentinelState): MasterState {
  return s.masters.get('m')!;
}

/** Instances walked over by one step of `event`. */
function visitsOf(s: SentinelState, event: CoreEvent, nowMs: number): number {
  CountingMap.visited = 0;
  step(s, event, nowMs);
  return CountingMap.visited;
}

function masterInfo(replicas: number): string {
  const lines = ['# Server', `run_id:${'9'.repeat(40)}`, '# Replication', 'role:master', `connected_slaves:${replicas}`];
  for (let i = 0; i < replicas; i++) lines.push(`slave${i}:ip=${replicaHost(i)},port=${DEAD_PORT},state=online,offset=0,lag=0`);
  return `${lines.join('\r\n')}\r\n`;
}

/** The work of each kind of event at this size. */
function workPerEvent(n: number): Record<string, number> {
  const s = world(n, n);
  const peerLink = linkKey('sentinel', peerHost(n - 1), DEAD_PORT);
  const replicaLink = linkKey('redis', replicaHost(n - 1), DEAD_PORT);
  const newHello = formatHello({
    ip: '127.3.0.1', port: 26379, runId: 'f'.repeat(40), currentEpoch: 0,
    masterName: 'm', masterIp: '127.0.0.1', masterPort: MASTER_PORT, masterConfigEpoch: 0,
  });
  const masterRef = { master: 'm', kind: 'master' as const, name: 'm' };
  step(s, { type: 'linkUp', link: MASTER_KEY, localIp: '127.0.0.1' }, T0 + 1);
  return {
    peerLinkDown: visitsOf(s, { type: 'linkDown', link: peerLink }, T0 + 10),
    replicaLinkDown: visitsOf(s, { type: 'linkDown', link: replicaLink }, T0 + 11),
    peerLinkUp: visitsOf(s, { type: 'linkUp', link: peerLink, localIp: '127.0.0.1' }, T0 + 12),
    // A PONG on a link made moments ago: the instance is back, a former master among its users is polled.
    peerPong: visitsOf(s, { type: 'pingReply', link: peerLink, outcome: 'pong' }, T0 + 13),
    newPeerHello: visitsOf(s, { type: 'hello', payload: newHello }, T0 + 14),
    // The master lists every known replica and one more.
    masterInfoWithNewReplica: visitsOf(s, { type: 'info', target: masterRef, text: masterInfo(n + 1) }, T0 + 15),
  };
}

describe('per-event work at 10 and at 10,000 instances per master', () => {
  it('walks over no more instances for one link or hello event at 10,000 peers and replicas than at 10', () => {
    const small = workPerEvent(10);
    const large = workPerEvent(10_000);
    expect(large).toEqual(small);
  });

  it('the new replica and the new peer were added (the events did their work)', () => {
    const s = world(10_000, 10_000);
    step(s, { type: 'linkUp', link: MASTER_KEY, localIp: '127.0.0.1' }, T0 + 1);
    step(s, { type: 'info', target: { master: 'm', kind: 'master', name: 'm' }, text: masterInfo(10_001) }, T0 + 2);
    expect(masterOf(s).replicas.size).toBe(10_001);
    // A known peer at a new address replaces its entry (-dup-sentinel), found without a walk.
    const moved = formatHello({
      ip: '127.3.0.2', port: 26379, runId: peerId(5), currentEpoch: 0,
      masterName: 'm', masterIp: '127.0.0.1', masterPort: MASTER_PORT, masterConfigEpoch: 0,
    });
    const effects = step(s, { type: 'hello', payload: moved }, T0 + 3).effects;
    expect(effects.some((e) => e.type === 'event' && e.channel === '-dup-sentinel')).toBe(true);
    expect(masterOf(s).sentinels.size).toBe(10_000);
    expect(masterOf(s).sentinels.get(peerId(5))?.host).toBe('127.3.0.2');
    expect(s.links.has(linkKey('sentinel', peerHost(5), DEAD_PORT))).toBe(false);
  });
});

/** Runs ticks from `fromMs` for `count` ticks, every connect refused at once; returns the connect effects by tick. */
function refusedTicks(s: SentinelState, fromMs: number, count: number): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < count; i++) {
    const t = fromMs + i * 100;
    const effects: Effect[] = step(s, { type: 'tick' }, t).effects;
    const connects = effects.flatMap((e) => (e.type === 'connect' ? [e.link] : []));
    for (const link of connects) if (link !== MASTER_KEY) step(s, { type: 'linkDown', link }, t + 1);
    out.push(connects);
  }
  return out;
}

describe('connection attempts to thousands of peers that never answered', () => {
  it('are spread over ticks, each peer tried in turn, the master linked at the first tick', () => {
    const n = 10_000;
    const s = world(n, 0);
    const perTick = s.timing.connectsPerTick;
    const ticks = refusedTicks(s, T0, Math.ceil(n / perTick) + 5);
    expect(ticks[0]).toContain(MASTER_KEY);
    for (const connects of ticks) expect(connects.filter((l) => l !== MASTER_KEY).length).toBeLessThanOrEqual(perTick);
    const tried = new Set(ticks.flat());
    for (let i = 0; i < n; i++) expect(tried.has(linkKey('sentinel', peerHost(i), DEAD_PORT))).toBe(true);
  });

  it('go out at once, as before, when there are fewer than the budget', () => {
    const s = world(10, 0);
    const [first] = refusedTicks(s, T0, 1);
    expect(first).toHaveLength(11);
  });

  it('a peer that answered since the start is tried again on time whatever the flood', () => {
    const n = 10_000;
    const s = world(n, 0);
    const known = linkKey('sentinel', peerHost(n - 1), DEAD_PORT);
    // Let every peer be tried once, then the last one answers and drops.
    refusedTicks(s, T0, Math.ceil(n / s.timing.connectsPerTick) + 5);
    const t = T0 + 20_000;
    step(s, { type: 'linkUp', link: known, localIp: '127.0.0.1' }, t);
    step(s, { type: 'pingReply', link: known, outcome: 'pong' }, t + 1);
    step(s, { type: 'linkDown', link: known }, t + 2);
    const later = refusedTicks(s, t + 1_000, 2).flat();
    expect(later).toContain(known);
  });
});
