/**
 * The seeded simulator in CI: random seeds (safety at every step,
 * convergence after healing; the first half here, the second half in
 * simSeeds.test.ts so both cores work), determinism, named scenarios, and a
 * check that the invariant checker itself bites.
 *
 *   SIM_SEEDS=10000 SIM_FROM=1 npx vitest run test/sim    more seeds
 *   SIM_SEED=1234 npx vitest run test/sim/sim.test.ts     replay one seed, full log
 *   node scripts/sim.mjs --seeds 10000 --from 1 --jobs 2  the same, outside vitest
 */
import { describe, expect, it } from 'vitest';
import { defaultMasterConfig, defaultSentinelConfig } from '../../src/config/model.js';
import { stateFromConfig } from '../../src/core/sentinel.js';
import { expectSeedsPass, ONE_SEED, seedRange } from './ciSeeds.js';
import { Invariants } from './invariants.js';
import { formatFailure, runSimulation, type SimEventRecord, type SimResult, type World } from './sim.js';


function expectOk(r: SimResult): void {
  if (!r.ok) console.error(formatFailure(r));
  expect(r.violations).toEqual([]);
}

function eventsOf(r: SimResult, channel: string, nodes?: readonly string[]): SimEventRecord[] {
  return r.world.events.filter((e) => e.channel === channel && (!nodes || nodes.includes(e.node)));
}

describe.runIf(ONE_SEED !== undefined)('replay', () => {
  it(`seed ${ONE_SEED}`, () => {
    const r = runSimulation(ONE_SEED!);
    console.log(r.log.join('\n'));
    expectOk(r);
  });
});

describe.runIf(ONE_SEED === undefined)('simulator', () => {
  const { from, count } = seedRange(0, 2);
  it(`random seeds ${from}..${from + count - 1} keep the invariants and converge`, () => {
    expectSeedsPass(from, count);
  });

  it('replays a seed exactly: same seed, same log', () => {
    for (const seed of [7, 42]) {
      const a = runSimulation(seed);
      const b = runSimulation(seed);
      expect(a.log.length).toBeGreaterThan(50);
      expect(b.log.join('\n')).toBe(a.log.join('\n'));
      expect(b.stats).toEqual(a.stats);
    }
  });

  it('a clean master kill with 3 Sentinels promotes a replica and switches every Sentinel', () => {
    const r = runSimulation(101, {
      sentinels: 3, quorum: 2, replicas: 2, downAfterMs: 1000, failoverTimeoutMs: 5_000,
      faultMs: 20_000, presetSentinels: false, presetReplicas: false, latencyMsMax: 20,
      script: [{ atMs: 1000, action: (w) => w.killRedis(w.redis[0]!) }],
    });
    expectOk(r);
    const healAt = r.world.healAtMs ?? Infinity;
    // A first attempt may abort (-failover-abort-no-good-slave: replica INFO older than
    // 5 s right after ODOWN, as in Redis); the retry comes 2 x failover-timeout later.
    expect(eventsOf(r, '+elected-leader').length).toBeGreaterThanOrEqual(1);
    const promoted = eventsOf(r, '+promoted-slave');
    expect(promoted).toHaveLength(1);
    const switches = eventsOf(r, '+switch-master').filter((e) => e.atMs < healAt);
    expect(new Set(switches.map((e) => e.node))).toEqual(new Set(['s0', 's1', 's2']));
    const to = new Set(switches.map((e) => e.message.split(' ').slice(3).join(':')));
    expect(to.size).toBe(1);
    expect([...to][0]).not.toBe('10.0.0.1:6379');
    expect(currentMaster(r.world)).toBe([...to][0]);
  });

  it('a partition isolating 2 of 3 Sentinels from the rest makes no failover', () => {
    const r = runSimulation(102, {
      sentinels: 3, quorum: 2, replicas: 2, downAfterMs: 1000, failoverTimeoutMs: 5_000, faultMs: 30_000,
      script: [{ atMs: 1000, action: (w) => w.split(['s0', 's1'], ['s2', 'r0', 'r1', 'r2']) }],
    });
    expectOk(r);
    expect(eventsOf(r, '+promoted-slave')).toEqual([]);
    expect(eventsOf(r, '+switch-master')).toEqual([]);
    expect(r.log.some((l) => l.includes('SLAVEOF NO ONE'))).toBe(false);
    expect(currentMaster(r.world)).toBe('10.0.0.1:6379');
  });

  it('a minority of 2 of 5 Sentinels that sees the master down (quorum 2) is never elected', () => {
    const r = runSimulation(103, {
      sentinels: 5, quorum: 2, replicas: 2, downAfterMs: 1000, failoverTimeoutMs: 5_000, faultMs: 30_000,
      presetSentinels: true,
      script: [{ atMs: 1000, action: (w) => w.split(['s0', 's1'], ['s2', 's3', 's4', 'r0', 'r1', 'r2']) }],
    });
    expectOk(r);
    expect(eventsOf(r, '+odown', ['s0', 's1']).length).toBeGreaterThan(0);
    expect(eventsOf(r, '+try-failover', ['s0', 's1']).length).toBeGreaterThan(0);
    expect(eventsOf(r, '+elected-leader')).toEqual([]);
    expect(eventsOf(r, '+switch-master')).toEqual([]);
    expect(currentMaster(r.world)).toBe('10.0.0.1:6379');
  });

  it('a clock jump triggers TILT and the tilted Sentinel takes no failover decision', () => {
    for (const jumpMs of [5_000, -3_000]) {
      const r = runSimulation(104, {
        sentinels: 3, quorum: 2, replicas: 2, downAfterMs: 1000, failoverTimeoutMs: 5_000, faultMs: 25_000,
        script: [
          { atMs: 1000, action: (w) => w.jumpClock(w.sentinels[0]!, jumpMs) },
          { atMs: 1500, action: (w) => w.killRedis(w.redis[0]!) },
        ],
      });
      expectOk(r);
      const tilt = eventsOf(r, '+tilt', ['s0']);
      expect(tilt).toHaveLength(1);
      const exit = eventsOf(r, '-tilt', ['s0'])[0]?.atMs ?? Infinity;
      expect(exit - tilt[0]!.atMs).toBeGreaterThanOrEqual(30_000);
      const during = r.world.events.filter((e) => e.node === 's0' && e.atMs >= tilt[0]!.atMs && e.atMs < exit);
      const decisions = during.filter((e) =>
        /^([+-]sdown|[+-]odown|\+try-failover|\+elected-leader|\+failover-state-|\+promoted-slave|\+selected-slave|\+convert-to-slave|\+fix-slave-config)/.test(e.channel));
      expect(decisions).toEqual([]);
      // The others fail over meanwhile (s0 only follows their hellos).
      // (The seed's random fault phase may force a later failover too.)
      const promoted = eventsOf(r, '+promoted-slave', ['s1', 's2']);
      expect(promoted.length).toBeGreaterThanOrEqual(1);
      expect(promoted[0]!.atMs).toBeLessThan(exit);
      expect(eventsOf(r, '+switch-master', ['s0']).every((e) => e.atMs > tilt[0]!.atMs)).toBe(true);
    }
  });
});

describe.runIf(ONE_SEED === undefined)('admin commands and the coordinated failover', () => {
  const base = {
    sentinels: 3, quorum: 2, replicas: 2, downAfterMs: 1000, failoverTimeoutMs: 6_000, faultMs: 15_000,
    presetSentinels: true, presetReplicas: true, latencyMsMax: 5,
  } as const;

  /** Counts, every 10 ms of the fault phase, the moments with two live masters in group 0. */
  function watchMasters(w: World, counts: { two: number }): void {
    const check = (): void => {
      if (w.healing) return;
      if (w.groups[0]!.filter((r) => r.alive && r.role === 'master').length > 1) counts.two += 1;
      w.schedule(10, check);
    };
    check();
  }

  it('SENTINEL FAILOVER COORDINATED hands over with FAILOVER TO: one master at every moment, every Sentinel switches', () => {
    const counts = { two: 0 };
    const r = runSimulation(111, {
      ...base, noFailoverFraction: 0,
      script: [
        { atMs: 0, action: (w) => watchMasters(w, counts) },
        { atMs: 2000, action: (w) => w.manualFailover(w.sentinels[0]!, 'mymaster', true) },
      ],
    });
    expectOk(r);
    expect(r.log.some((l) => l.includes('FAILOVER done'))).toBe(true);
    expect(eventsOf(r, '+failover-coordinated-start')).toHaveLength(1);
    expect(r.world.events.filter((e) => e.channel.startsWith('-failover-abort'))).toEqual([]);
    const switches = eventsOf(r, '+switch-master').filter((e) => e.atMs < (r.world.healAtMs ?? Infinity));
    expect(new Set(switches.map((e) => e.node))).toEqual(new Set(['s0', 's1', 's2']));
    expect(counts.two).toBe(0);
    expect(currentMaster(r.world)).not.toBe('10.0.0.1:6379');
    expect(r.world.redis[0]!.role).toBe('slave');
  });

  it('a master without FAILOVER refuses it: the coordinated failover aborts and the master stays', () => {
    const r = runSimulation(112, {
      ...base, noFailoverFraction: 1,
      script: [{ atMs: 2000, action: (w) => w.manualFailover(w.sentinels[0]!, 'mymaster', true) }],
    });
    expectOk(r);
    expect(eventsOf(r, '-failover-abort-coordinated-refused')).toHaveLength(1);
    expect(eventsOf(r, '+switch-master')).toEqual([]);
    expect(currentMaster(r.world)).toBe('10.0.0.1:6379');
  });

  it('REMOVE + MONITOR forgets the epochs of that master; SET applies; the Sentinel re-learns the configuration', () => {
    let forgotten = '';
    const r = runSimulation(113, {
      ...base,
      script: [
        { atMs: 1000, action: (w) => w.killRedis(w.redis[0]!) },
        {
          atMs: 9000, action: (w) => {
            const s = w.sentinels[1]!;
            w.removeAndMonitor(s, 'mymaster');
            const m = s.state!.masters.get('mymaster')!;
            forgotten = `${m.config.configEpoch}/${m.config.leaderEpoch}/${m.config.downAfterMs}`;
            w.admin(s, { type: 'setMasterOptions', master: 'mymaster', changes: [
              { field: 'quorum', option: 'quorum', raw: '3', value: 3 }] }, 'SENTINEL SET mymaster quorum 3');
          },
        },
      ],
    });
    expectOk(r);
    expect(forgotten).toBe('0/0/1000');
    const m = r.world.sentinels[1]!.state!.masters.get('mymaster')!;
    expect(m.config.quorum).toBe(3);
    expect(m.config.configEpoch).toBeGreaterThan(0);
    expect(`${m.host}:${m.port}`).toBe(currentMaster(r.world));
  });
});

describe.runIf(ONE_SEED === undefined)('invariant checker', () => {
  it('flags a second leader in one epoch and a second vote in one epoch', () => {
    const log: string[] = [];
    const inv = new Invariants({ nowMs: 0, sentinelCount: 3, log: (who, text) => log.push(`${who} ${text}`) });
    const ids = ['1', '2', '3'].map((c) => c.repeat(40));
    const states = ids.map((id) => {
      const cfg = defaultSentinelConfig();
      const m = defaultMasterConfig('mymaster', '10.0.0.1', 6379, 2);
      m.knownSentinels = ids.filter((x) => x !== id).map((runid, i) => ({ host: `10.0.1.${i + 1}`, port: 26379, runid }));
      cfg.masters.push(m);
      const st = stateFromConfig(cfg, id, 1_000);
      st.masters.get('mymaster')!.failover.epoch = 3;
      return st;
    });
    const ev = (channel: string, message: string) =>
      ({ type: 'event' as const, level: 'warning' as const, channel, message, master: 'mymaster' });
    const pre = new Map([['mymaster', { state: 'wait-start' as const, forced: false }]]);
    // Node 0 votes for itself and for node 1 in epoch 3; both claim epoch 3 with 1-2 votes.
    inv.afterStep({ id: 's0', myId: ids[0]! }, states[0]!, { type: 'tick' }, [
      ev('+vote-for-leader', `${ids[0]} 3`), ev('+vote-for-leader', `${ids[1]} 3`),
      ev('+elected-leader', 'master mymaster 10.0.0.1 6379'),
    ], pre);
    inv.afterStep({ id: 's1', myId: ids[1]! }, states[1]!, { type: 'tick' }, [
      ev('+elected-leader', 'master mymaster 10.0.0.1 6379'),
    ], pre);
    const text = inv.violations.join('\n');
    expect(text).toContain('second +vote-for-leader in epoch 3');
    expect(text).toContain('second leader in epoch 3');
    expect(text).toContain('elected in epoch 3 with 1 votes, needs 2');
  });
});

function currentMaster(w: World): string | undefined {
  const m = w.trueMaster();
  return m ? `${m.host}:${m.port}` : undefined;
}
