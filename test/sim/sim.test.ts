/**
 * The seeded simulator in CI: many random seeds (safety at every step,
 * convergence after healing), determinism, and named scenarios.
 *
 *   SIM_SEEDS=10000 SIM_FROM=1 npx vitest run test/sim   more seeds
 *   SIM_SEED=1234 npx vitest run test/sim                replay one seed, full log
 *   node scripts/sim.mjs --seeds 10000 --from 1 --jobs 2 the same, outside vitest
 */
import { describe, expect, it } from 'vitest';
import { formatFailure, runSimulation, type SimEventRecord, type SimResult, type World } from './sim.js';

const SEEDS = Number(process.env.SIM_SEEDS ?? 250);
const FROM = Number(process.env.SIM_FROM ?? 1);
const ONE_SEED = process.env.SIM_SEED === undefined ? undefined : Number(process.env.SIM_SEED);

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
  it(`random seeds ${FROM}..${FROM + SEEDS - 1} keep the invariants and converge`, () => {
    const failures: SimResult[] = [];
    for (let seed = FROM; seed < FROM + SEEDS; seed++) {
      const r = runSimulation(seed, { logLimit: 200 });
      if (!r.ok) failures.push(r);
    }
    for (const f of failures.slice(0, 3)) console.error(formatFailure(f));
    expect(failures.map((f) => `seed ${f.seed}: ${f.violations[0]}`)).toEqual([]);
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
      sentinels: 3, quorum: 2, replicas: 2, downAfterMs: 1000, failoverTimeoutMs: 10_000,
      faultMs: 20_000, presetSentinels: false, presetReplicas: false, latencyMsMax: 20,
      script: [{ atMs: 1000, action: (w) => w.killRedis(w.redis[0]!) }],
    });
    expectOk(r);
    const healAt = r.world.healAtMs ?? Infinity;
    expect(eventsOf(r, '+elected-leader')).toHaveLength(1);
    const promoted = eventsOf(r, '+promoted-slave');
    expect(promoted).toHaveLength(1);
    const switches = eventsOf(r, '+switch-master').filter((e) => e.atMs < healAt);
    expect(new Set(switches.map((e) => e.node))).toEqual(new Set(['s0', 's1', 's2']));
    const to = new Set(switches.map((e) => e.message.split(' ').slice(3).join(':')));
    expect(to.size).toBe(1);
    expect([...to][0]).not.toBe('10.0.0.1:6379');
    // Kill at warm-up + 1 s; down-after 1 s; Redis needs ~2.25 s on loopback.
    expect(Math.max(...switches.map((e) => e.atMs))).toBeLessThan(5_000 + 1_000 + 8_000);
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
        sentinels: 3, quorum: 2, replicas: 2, downAfterMs: 1000, failoverTimeoutMs: 10_000, faultMs: 20_000,
        script: [
          { atMs: 1000, action: (w) => w.jumpClock(w.sentinels[0]!, jumpMs) },
          { atMs: 1500, action: (w) => w.killRedis(w.redis[0]!) },
        ],
      });
      expectOk(r);
      const tilt = eventsOf(r, '+tilt', ['s0']);
      expect(tilt).toHaveLength(1);
      const exit = eventsOf(r, '-tilt', ['s0'])[0]?.atMs ?? Infinity;
      const during = r.world.events.filter((e) => e.node === 's0' && e.atMs >= tilt[0]!.atMs && e.atMs < exit);
      const decisions = during.filter((e) =>
        /^(\+sdown|\+odown|\+try-failover|\+elected-leader|\+failover-state-|\+promoted-slave|\+selected-slave)/.test(e.channel));
      expect(decisions).toEqual([]);
      // The others still fail over while s0 is tilted.
      expect(eventsOf(r, '+promoted-slave', ['s1', 's2'])).toHaveLength(1);
    }
  });
});

function currentMaster(w: World): string | undefined {
  const m = w.trueMaster();
  return m ? `${m.host}:${m.port}` : undefined;
}
