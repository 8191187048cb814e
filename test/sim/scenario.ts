/**
 * What a seed decides: the topology and timings of a run, and the faults
 * thrown at it. Faults are drawn while the run goes (they look at the world:
 * "kill the current master"), from their own random stream, so a seed
 * replays exactly.
 */
import type { MasterOptionChange } from '../../src/core/admin.js';
import type { SentinelNode } from './node.js';
import type { Rng } from './rng.js';
import type { World } from './sim.js';

export const MASTER_NAME = 'mymaster';

/** The name of master group `g` (group 0 is MASTER_NAME). */
export function masterName(g: number): string {
  return g === 0 ? MASTER_NAME : `master${g}`;
}

export interface Scenario {
  seed: number;
  sentinels: number;
  /** Masters watched by the same Sentinels (over the same Sentinel links), each with `replicas` replicas. */
  masters: number;
  replicas: number;
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  parallelSyncs: number;
  latencyMsMax: number;
  /** Sentinels discover each other before any fault. */
  warmupMs: number;
  faultMs: number;
  /** After healing, everything must converge within this. */
  healBoundMs: number;
  /** sentinel.conf already lists the peers / the replicas (a restart of an old deployment). */
  presetSentinels: boolean;
  presetReplicas: boolean;
  /** replica-priority of each Redis instance (index 0 starts as master). */
  priorities: number[];
  /** Mean gap between two random faults. */
  faultGapMs: number;
  /** Fraction of Redis instances without FAILOVER (older servers): they refuse FAILOVER TO. */
  noFailoverFraction: number;
}

export interface ScenarioOverrides {
  sentinels?: number;
  masters?: number;
  replicas?: number;
  quorum?: number;
  downAfterMs?: number;
  failoverTimeoutMs?: number;
  parallelSyncs?: number;
  latencyMsMax?: number;
  warmupMs?: number;
  faultMs?: number;
  healBoundMs?: number;
  presetSentinels?: boolean;
  presetReplicas?: boolean;
  faultGapMs?: number;
  /** replica-priority per instance, index 0 = the first master. */
  priorities?: number[];
  noFailoverFraction?: number;
}

export function makeScenario(seed: number, rng: Rng, o: ScenarioOverrides = {}): Scenario {
  const sentinels = o.sentinels ?? rng.pick([3, 3, 5]);
  const replicas = o.replicas ?? rng.int(2, 3);
  const quorum = o.quorum ?? Math.min(rng.pick([2, 2, 3]), sentinels);
  const priorities = [100];
  for (let i = 0; i < replicas; i++) priorities.push(rng.chance(0.15) ? 0 : rng.pick([100, 100, 50, 10]));
  if (o.priorities) priorities.splice(0, priorities.length, ...o.priorities);
  const masters = o.masters ?? rng.pick([1, 1, 2, 3]);
  return {
    seed,
    sentinels,
    masters,
    replicas,
    quorum,
    downAfterMs: o.downAfterMs ?? rng.int(10, 50) * 100,
    failoverTimeoutMs: o.failoverTimeoutMs ?? rng.pick([5, 5, 6, 8, 10, 15, 20]) * 1000,
    parallelSyncs: o.parallelSyncs ?? rng.int(1, 2),
    latencyMsMax: o.latencyMsMax ?? rng.pick([5, 20, 50]),
    warmupMs: o.warmupMs ?? 5_000,
    faultMs: o.faultMs ?? rng.int(5, 25) * 1000,
    healBoundMs: o.healBoundMs ?? 120_000,
    presetSentinels: o.presetSentinels ?? rng.chance(0.5),
    presetReplicas: o.presetReplicas ?? rng.chance(0.5),
    priorities,
    faultGapMs: o.faultGapMs ?? rng.int(5, 30) * 100,
    noFailoverFraction: o.noFailoverFraction ?? rng.pick([0, 0, 0.3, 1]),
  };
}

export function describeScenario(s: Scenario): string {
  return `seed ${s.seed}: ${s.sentinels} sentinels quorum ${s.quorum}, ${s.masters} master(s) with ${s.replicas} replicas each ` +
    `(priorities ${s.priorities.join('/')}), down-after ${s.downAfterMs} ms, failover-timeout ` +
    `${s.failoverTimeoutMs} ms, parallel-syncs ${s.parallelSyncs}, latency <= ${s.latencyMsMax} ms, ` +
    `faults for ${s.faultMs} ms every ~${s.faultGapMs} ms, preset sentinels ${s.presetSentinels} replicas ${s.presetReplicas}, ` +
    `without FAILOVER ${s.noFailoverFraction}`;
}

type FaultFn = (w: World, rng: Rng) => void;

/** The random fault menu, with weights. */
const FAULTS: ReadonlyArray<readonly [number, string, FaultFn]> = [
  [3, 'kill-master', (w, rng) => {
    const m = w.trueMaster(w.randomGroup(rng));
    if (!m) return;
    w.killRedis(m);
    if (rng.chance(0.5)) w.scheduleFault(rng.int(2_000, 15_000), () => w.restartRedis(m));
  }],
  [1, 'kill-redis', (w, rng) => {
    const alive = w.redis.filter((r) => r.alive);
    if (alive.length === 0) return;
    const r = rng.pick(alive);
    w.killRedis(r);
    if (rng.chance(0.5)) w.scheduleFault(rng.int(1_000, 10_000), () => w.restartRedis(r));
  }],
  [1, 'restart-redis', (w, rng) => {
    const dead = w.redis.filter((r) => !r.alive);
    if (dead.length > 0) w.restartRedis(rng.pick(dead));
  }],
  [1, 'split', (w, rng) => {
    const ids = [...w.sentinels.map((s) => s.id), ...w.redis.map((r) => r.id)];
    const a = ids.filter(() => rng.chance(0.5));
    w.split(a, ids.filter((id) => !a.includes(id)));
  }],
  [2, 'isolate-master-with-minority', (w, rng) => {
    const m = w.trueMaster(w.randomGroup(rng));
    if (!m) return;
    const minority = rng.shuffle(w.sentinels.map((s) => s.id)).slice(0, rng.int(0, Math.floor((w.sentinels.length - 1) / 2)));
    const a = [m.id, ...minority];
    const ids = [...w.sentinels.map((s) => s.id), ...w.redis.map((r) => r.id)];
    w.split(a, ids.filter((id) => !a.includes(id)));
  }],
  [1, 'isolate-sentinels', (w, rng) => {
    const cut = rng.shuffle(w.sentinels.map((s) => s.id)).slice(0, rng.int(1, Math.floor(w.sentinels.length / 2)));
    const ids = [...w.sentinels.map((s) => s.id), ...w.redis.map((r) => r.id)];
    w.split(cut, ids.filter((id) => !cut.includes(id)));
  }],
  [1, 'one-way', (w, rng) => {
    const ids = [...w.sentinels.map((s) => s.id), ...w.redis.map((r) => r.id)];
    const n = rng.int(1, 4);
    for (let i = 0; i < n; i++) w.blockOneWay(rng.pick(ids), rng.pick(ids));
  }],
  [1, 'kill-master-and-split-sentinels', (w, rng) => {
    const m = w.trueMaster(w.randomGroup(rng));
    if (m) w.killRedis(m);
    const ids = [...w.sentinels.map((s) => s.id), ...w.redis.map((r) => r.id)];
    const a = ids.filter(() => rng.chance(0.5));
    w.split(a, ids.filter((id) => !a.includes(id)));
  }],
  [1.5, 'isolate-failover-leader', (w, rng) => {
    const leaders = w.sentinels.filter((s) => failingOver(s));
    if (leaders.length === 0) return;
    const l = rng.pick(leaders);
    const ids = [...w.sentinels.map((s) => s.id), ...w.redis.map((r) => r.id)];
    w.split([l.id], ids.filter((id) => id !== l.id));
  }],
  [1.5, 'crash-failover-leader', (w, rng) => {
    const leaders = w.sentinels.filter((s) => failingOver(s));
    if (leaders.length === 0) return;
    const l = rng.pick(leaders);
    l.crash('fault: leader mid-failover');
    w.scheduleFault(rng.int(200, 5_000), () => l.start());
  }],
  [2, 'heal', (w) => w.healNetwork()],
  [1, 'loss', (w, rng) => w.setLoss(rng.chance(0.3) ? 0 : rng.pick([0.02, 0.05, 0.1, 0.3]))],
  [2, 'crash-sentinel', (w, rng) => {
    const alive = w.sentinels.filter((s) => s.isAlive());
    if (alive.length === 0) return;
    const s = rng.pick(alive);
    s.crash('fault');
    if (rng.chance(0.8)) w.scheduleFault(rng.int(500, 8_000), () => s.start());
  }],
  [1, 'restart-sentinel', (w, rng) => {
    const dead = w.sentinels.filter((s) => !s.isAlive());
    if (dead.length > 0) rng.pick(dead).start();
  }],
  [1, 'clock-jump', (w, rng) => {
    const alive = w.sentinels.filter((s) => s.isAlive());
    if (alive.length === 0) return;
    const jumpMs = rng.chance(0.6) ? rng.int(2_500, 10_000) : -rng.int(300, 5_000);
    w.jumpClock(rng.pick(alive), jumpMs);
  }],
  [0.7, 'stall-sentinel', (w, rng) => {
    // SIGSTOP / VM pause: a failover leader when there is one, else any Sentinel.
    const leaders = w.sentinels.filter((s) => s.isAlive() && failingOver(s));
    const alive = w.sentinels.filter((s) => s.isAlive());
    const pool = leaders.length > 0 && rng.chance(0.5) ? leaders : alive;
    if (pool.length > 0) w.stallSentinel(rng.pick(pool), rng.int(3_000, 15_000));
  }],
  [1, 'disk-fault', (w, rng) => {
    // Config writes fail (I/O error, or the disk is full) for a while; the
    // Sentinel may crash meanwhile and restart from what is on disk.
    const alive = w.sentinels.filter((s) => s.isAlive());
    if (alive.length === 0) return;
    const s = rng.pick(alive);
    const durationMs = rng.int(1_000, 15_000);
    w.diskFault(s, rng.chance(0.5) ? 'eio' : 'enospc', durationMs);
    if (rng.chance(0.4)) {
      w.scheduleFault(rng.int(100, durationMs), () => {
        s.crash('fault: crash while the disk fails');
        w.scheduleFault(rng.int(200, 5_000), () => s.start());
      });
    }
  }],
  [1, 'pubsub-fault', (w, rng) => {
    // Hellos stop arriving on some pub/sub connections while the command
    // connections work (dropped and re-made, or half-open for a while).
    const alive = w.sentinels.filter((s) => s.isAlive());
    if (alive.length === 0) return;
    const nodes = rng.chance(0.3) ? alive : [rng.pick(alive)];
    const targets = rng.chance(0.5) ? w.redis : [rng.pick(w.redis)];
    const mode = rng.chance(0.3) ? 'dropped' : 'half-open';
    const durationMs = rng.int(2_000, 30_000);
    for (const s of nodes) for (const r of targets) w.pubsubFault(s, r, mode, durationMs);
  }],
  [0.3, 'manual-failover', (w, rng) => {
    const alive = w.sentinels.filter((s) => s.isAlive());
    if (alive.length > 0) w.manualFailover(rng.pick(alive), masterName(w.randomGroup(rng)));
  }],
  [0.3, 'simulate-failure', (w, rng) => {
    const s = adminTarget(w, rng);
    if (!s) return;
    const what = rng.chance(0.5) ? 'crashAfterElection' : 'crashAfterPromotion';
    w.admin(s, { type: 'simulateFailure', flags: [what] }, `SENTINEL SIMULATE-FAILURE ${what === 'crashAfterElection' ? 'crash-after-election' : 'crash-after-promotion'}`);
    w.scheduleFault(rng.int(5_000, 15_000), () => s.start());
  }],
  // Admin commands (issue 11), sent to one Sentinel as an operator would.
  [0.5, 'coordinated-failover', (w, rng) => {
    const s = adminTarget(w, rng);
    if (s) w.manualFailover(s, masterName(w.randomGroup(rng)), true);
  }],
  [0.5, 'sentinel-set', (w, rng) => {
    const s = adminTarget(w, rng);
    if (!s) return;
    const name = masterName(w.randomGroup(rng));
    // Values within the scenario's own ranges: liveness is still owed after the heal.
    const change = rng.pick<() => NumericChange>([
      () => numeric('quorum', 'quorum', rng.int(1, w.sentinels.length)),
      () => numeric('downAfterMs', 'down-after-milliseconds', rng.int(10, 50) * 100),
      () => numeric('failoverTimeoutMs', 'failover-timeout', rng.pick([5, 6, 8, 10, 15, 20]) * 1000),
      () => numeric('parallelSyncs', 'parallel-syncs', rng.int(1, 3)),
    ])();
    w.admin(s, { type: 'setMasterOptions', master: name, changes: [change] }, `SENTINEL SET ${name} ${change.option} ${change.raw}`);
  }],
  [0.3, 'sentinel-reset', (w, rng) => {
    const s = adminTarget(w, rng);
    if (!s) return;
    const name = masterName(w.randomGroup(rng));
    w.inv.forgotPeers(s, name);
    w.admin(s, { type: 'reset', masters: [name] }, `SENTINEL RESET ${name}`);
  }],
  [0.3, 'remove-and-monitor', (w, rng) => {
    const s = adminTarget(w, rng);
    if (s) w.removeAndMonitor(s, masterName(w.randomGroup(rng)));
  }],
  [0.2, 'config-set-announce', (w, rng) => {
    const s = adminTarget(w, rng);
    if (!s?.state) return;
    const { announceIp, announcePort } = s.state.settings;
    w.admin(s, { type: 'setSentinelOptions', settings: { announceIp, announcePort } },
      `SENTINEL CONFIG SET announce-ip "${announceIp ?? ''}" announce-port ${announcePort}`);
  }],
];

/** A Sentinel able to take a command now (alive, not stopped), or undefined. */
function adminTarget(w: World, rng: Rng): SentinelNode | undefined {
  const ready = w.sentinels.filter((s) => s.isAlive() && !s.isStalled());
  return ready.length === 0 ? undefined : rng.pick(ready);
}

type NumericChange = Extract<MasterOptionChange, { value: number }>;

function numeric(field: 'quorum' | 'downAfterMs' | 'failoverTimeoutMs' | 'parallelSyncs', option: string, value: number): NumericChange {
  return { field, option, raw: String(value), value };
}

function failingOver(s: SentinelNode): boolean {
  for (const m of s.state?.masters.values() ?? []) if (m.failover.state !== 'none') return true;
  return false;
}

const TOTAL_WEIGHT = FAULTS.reduce((sum, [w]) => sum + w, 0);

/** Draws and applies one random fault. */
export function randomFault(w: World, rng: Rng): void {
  let x = rng.float() * TOTAL_WEIGHT;
  for (const [weight, name, fn] of FAULTS) {
    x -= weight;
    if (x < 0) {
      w.log('fault', name);
      fn(w, rng);
      return;
    }
  }
}
