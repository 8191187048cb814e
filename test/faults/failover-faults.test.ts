/**
 * Faults in the middle of a failover, with real processes (issue 9, "Faults
 * mid-failover"): the leader killed or stopped at each step, the master
 * paused and resumed, a Sentinel restarted from a config it saved
 * mid-failover. Each run ends with the same checks:
 *   - exactly one master among the Redis instances, every replica following it;
 *   - every Sentinel answers GET-MASTER-ADDR-BY-NAME with that master;
 *   - every Sentinel config file loads again (`--test-config`);
 *   - no Sentinel's persisted current-epoch ever went back (polled throughout).
 * Also measured: how long two instances answered ROLE as master at once.
 *
 * Issue 9-f adds: partitions (iptables by process uid, test/support/partition.ts)
 * isolating the leader with the old master, or one Sentinel from its peers;
 * a clock jump of +10 s then -10 s on one Sentinel under libfaketime (TILT:
 * no votes, no failover, then -tilt); a leader crash right after SLAVEOF NO
 * ONE, before the new config-epoch is persisted (SIMULATE-FAILURE
 * crash-after-promotion).
 *
 * CI runs every scenario once with tssentinel. FAULT_RUNS=n runs each n
 * times, FAULT_SENTINELS=real runs only real redis-sentinel, and
 * FAULT_SENTINELS=both adds the same runs with real
 * redis-sentinel 7.0.15 (outcomes printed as the README's table rows, not
 * asserted: the real one sometimes needs a second failover).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  runTsSentinelToExit, startAll, startRealSentinel, startRedis, startTsSentinel, stopAll, type ProcHandle,
} from '../support/procs.js';
import { toPlain } from '../support/resp.js';
import { cut, healAll, partitionUnavailable, type Endpoint } from '../support/partition.js';
import { call, closeEventLogs, EventLog } from '../support/sentinel.js';
import { sleep, waitFor } from '../support/wait.js';

const HOST = '127.0.0.1';
const DOWN_AFTER_MS = 1_000;
const FAILOVER_TIMEOUT_MS = 6_000;
const SETTLE_TIMEOUT_MS = 45_000;
const RUNS = Number(process.env['FAULT_RUNS'] ?? '1');
const KINDS: ReadonlyArray<'ts' | 'real'> = (
  { both: ['ts', 'real'], real: ['real'] } as const
)[process.env['FAULT_SENTINELS'] as 'both' | 'real'] ?? ['ts'];
const TEST_TIMEOUT_MS = 90_000 * RUNS;

afterAll(async () => {
  healAll();
  await closeEventLogs();
  await stopAll();
});

interface Group {
  kind: 'ts' | 'real';
  redis: ProcHandle[];
  sentinels: ProcHandle[];
  logs: EventLog[];
  /** Every current-epoch seen in each Sentinel's config file, in order. */
  epochs: number[][];
  /** Longest time two Redis instances answered ROLE master at once. */
  twoMastersMs: number;
  stopWatch: () => Promise<void>;
  /** uids of [...redis, ...sentinels] when started for partitions. */
  uids?: number[];
  /** libfaketime offset file of sentinel #0 when started with a fake clock. */
  clockFile?: string;
}

interface GroupOptions {
  /** Each process as its own uid, so that partitions can cut between them. */
  uids?: boolean;
  /** Sentinel #0 under libfaketime, its offset read from a file at every call. */
  fakeClock?: boolean;
}

const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
/** Distinct per test process, far from real users' uids. */
const UID_BASE = 40_000 + (process.pid % 2_000) * 8;

function conf(masterPort: number): string {
  return [
    `sentinel monitor mymaster ${HOST} ${masterPort} 2`,
    `sentinel down-after-milliseconds mymaster ${DOWN_AFTER_MS}`,
    `sentinel failover-timeout mymaster ${FAILOVER_TIMEOUT_MS}`,
    '',
  ].join('\n');
}

async function roleOf(port: number): Promise<string> {
  try {
    const r = toPlain(await call(port, 'ROLE'));
    return Array.isArray(r) ? String(r[0]) : 'error';
  } catch {
    return 'down';
  }
}

async function startGroup(kind: 'ts' | 'real', opts: GroupOptions = {}): Promise<Group> {
  const uid = (i: number) => (opts.uids ? UID_BASE + i : undefined);
  const master = await startRedis({ uid: uid(0) });
  const replicas = await startAll([
    startRedis({ replicaOf: { host: HOST, port: master.port }, uid: uid(1) }),
    startRedis({ replicaOf: { host: HOST, port: master.port }, uid: uid(2) }),
  ]);
  const start = kind === 'ts' ? startTsSentinel : startRealSentinel;
  const text = conf(master.port);
  let clockFile: string | undefined;
  let env: NodeJS.ProcessEnv | undefined;
  if (opts.fakeClock) {
    clockFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tss-clock-')), 'offset');
    fs.writeFileSync(clockFile, '+0s\n');
    // Only the wall clock moves: node's timers (and Redis's) keep the real
    // monotonic clock, as after an NTP step or a VM resume.
    env = {
      LD_PRELOAD: LIBFAKETIME, FAKETIME_TIMESTAMP_FILE: clockFile, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1',
    };
  }
  const sentinels = await startAll([
    start(text, { uid: uid(3), env }), start(text, { uid: uid(4) }), start(text, { uid: uid(5) }),
  ]);
  for (const s of sentinels) {
    await waitFor(async () => {
      const m = toPlain(await call(s.port, 'SENTINEL', 'MASTER', 'mymaster')) as string[];
      const at = (k: string) => m[m.indexOf(k) + 1];
      return at('num-slaves') === '2' && at('num-other-sentinels') === '2';
    }, { timeoutMs: 20_000, what: `${kind} sentinel ${s.port} to see 2 replicas and 2 peers` });
  }
  for (const r of replicas) {
    await waitFor(async () => /master_link_status:up/.test(String(toPlain(await call(r.port, 'INFO', 'replication')))), {
      what: `replica ${r.port} in sync`,
    });
  }
  const logs = await Promise.all(sentinels.map((s, i) => EventLog.open(s, `${kind} #${i}`)));
  const g: Group = {
    kind, redis: [master, ...replicas], sentinels, logs,
    epochs: sentinels.map(() => []), twoMastersMs: 0, stopWatch: async () => undefined,
    uids: opts.uids ? [0, 1, 2, 3, 4, 5].map((i) => UID_BASE + i) : undefined, clockFile,
  };
  g.stopWatch = watch(g);
  return g;
}

/** Polls config epochs and ROLEs every 100 ms until stopped. */
function watch(g: Group): () => Promise<void> {
  let running = true;
  let bothSinceMs: number | undefined;
  const loop = (async () => {
    while (running) {
      for (const [i, s] of g.sentinels.entries()) {
        const m = /^sentinel current-epoch (\d+)$/m.exec(fs.readFileSync(s.confPath, 'utf8'));
        if (m) g.epochs[i]!.push(Number(m[1]));
      }
      const roles = await Promise.all(g.redis.map((r) => (r.exited ? Promise.resolve('down') : roleOf(r.port))));
      const masters = roles.filter((r) => r === 'master').length;
      const now = Date.now();
      if (masters > 1) {
        bothSinceMs ??= now;
        g.twoMastersMs = Math.max(g.twoMastersMs, now - bothSinceMs);
      } else {
        bothSinceMs = undefined;
      }
      await sleep(100);
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

function firstEvent(g: Group, channel: string, timeoutMs = 30_000): Promise<number> {
  return waitFor(() => {
    const i = g.logs.findIndex((l) => l.find(channel));
    return i >= 0 ? { i } : undefined;
  }, { timeoutMs, intervalMs: 10, what: `${channel} on any ${g.kind} sentinel` }).then((found) => found.i);
}

/** The end state every scenario must reach. Returns a one-line outcome. */
async function settle(g: Group): Promise<string> {
  // A dead master must have been replaced before it comes back, else the
  // run would "settle" on the old master without any failover.
  await firstEvent(g, '+switch-master', SETTLE_TIMEOUT_MS);
  for (const r of g.redis) if (r.exited) await r.restart();
  for (const s of g.sentinels) if (s.exited) await s.restart();
  const agreed = await waitFor(async () => {
    const roles = await Promise.all(g.redis.map((r) => roleOf(r.port)));
    const masters = g.redis.filter((_, i) => roles[i] === 'master');
    if (masters.length !== 1) return undefined;
    const port = String(masters[0]!.port);
    for (const s of g.sentinels) {
      const addr = toPlain(await call(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'));
      if (JSON.stringify(addr) !== JSON.stringify([HOST, port])) return undefined;
    }
    return roles.filter((r) => r === 'slave').length === g.redis.length - 1 ? port : undefined;
  }, { timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: 250, what: `${g.kind}: one master, every Sentinel agreeing on it` });
  await g.stopWatch();
  for (const [i, seen] of g.epochs.entries()) {
    for (let k = 1; k < seen.length; k++) {
      expect(seen[k]!, `${g.kind} #${i} current-epoch went back: ${seen.join(',')}`).toBeGreaterThanOrEqual(seen[k - 1]!);
    }
  }
  if (g.kind === 'ts') {
    for (const s of g.sentinels) {
      const r = await runTsSentinelToExit([s.confPath, '--test-config']);
      expect(r.code, r.output).toBe(0);
    }
  }
  const failovers = Math.max(...g.logs.map((l) => l.events.filter((e) => e.channel === '+switch-master').length));
  const splits = g.logs.reduce((n, l) => n + l.events.filter((e) => e.channel === '-failover-abort-not-elected').length, 0);
  return `master ${agreed}, +switch-master x${failovers}, not-elected aborts ${splits}, two masters ${g.twoMastersMs} ms`;
}

function endpoint(g: Group, p: ProcHandle): Endpoint {
  const i = [...g.redis, ...g.sentinels].indexOf(p);
  const uid = g.uids?.[i];
  if (uid === undefined) throw new Error('group not started with uids');
  return { uid, port: p.port };
}

function sentinelEventsIn(g: Group, i: number, channels: readonly string[], fromMs: number, toMs: number): string[] {
  return g.logs[i]!.events.filter((e) => channels.includes(e.channel) && e.atMs >= fromMs && e.atMs <= toMs).map((e) => e.channel);
}

async function tiltFlag(port: number): Promise<string> {
  return /sentinel_tilt:(\d)/.exec(String(toPlain(await call(port, 'INFO', 'sentinel'))))?.[1] ?? '?';
}

/**
 * Moves sentinel #0's wall clock to `offset` (libfaketime syntax) and checks
 * TILT: +tilt, sentinel_tilt:1, then -tilt after the TILT period; returns
 * what that Sentinel published in between that it must not (votes, failover
 * steps). `during` runs while it is in TILT.
 */
async function clockJump(g: Group, offset: string, during: () => Promise<void>): Promise<{ acted: string[]; note: string }> {
  const s = g.sentinels[0]!;
  const log = g.logs[0]!;
  const before = log.events.filter((e) => e.channel === '+tilt').length;
  const jumpedAtMs = performance.now();
  fs.writeFileSync(g.clockFile!, `${offset}\n`);
  await waitFor(() => log.events.filter((e) => e.channel === '+tilt').length > before, {
    timeoutMs: 5_000, intervalMs: 10, what: `+tilt on ${g.kind} #0 after ${offset}`,
  });
  const flag = await tiltFlag(s.port);
  await during();
  const left = await waitFor(() => log.events.find((e) => e.channel === '-tilt' && e.atMs > jumpedAtMs), {
    timeoutMs: 20_000, intervalMs: 50, what: `-tilt on ${g.kind} #0 after ${offset}`,
  });
  const acted = sentinelEventsIn(g, 0, ['+vote-for-leader', '+try-failover', '+elected-leader', '+failover-state-select-slave'], jumpedAtMs, left.atMs);
  return { acted, note: `${offset}: tilt:${flag}, ${((left.atMs - jumpedAtMs) / 1000).toFixed(1)} s in TILT, acted [${acted.join(' ')}]` };
}

async function stopGroup(g: Group): Promise<void> {
  await g.stopWatch();
  for (const l of g.logs) await l.close();
  await Promise.all([...g.sentinels, ...g.redis].map((p) => p.stop('SIGKILL')));
  if (g.clockFile) fs.rmSync(path.dirname(g.clockFile), { recursive: true, force: true });
}

/** May return a note for the outcome line. */
type Scenario = (g: Group) => Promise<string | void>;

const SCENARIOS: ReadonlyArray<[string, Scenario]> = [
  ['leader kill -9 at +elected-leader', async (g) => {
    await g.redis[0]!.kill9();
    await g.sentinels[await firstEvent(g, '+elected-leader')]!.kill9();
  }],
  ['leader kill -9 at +promoted-slave', async (g) => {
    await g.redis[0]!.kill9();
    await g.sentinels[await firstEvent(g, '+promoted-slave')]!.kill9();
  }],
  ['leader SIGSTOP 8 s at +selected-slave', async (g) => {
    await g.redis[0]!.kill9();
    const leader = g.sentinels[await firstEvent(g, '+selected-slave')]!;
    process.kill(leader.pid, 'SIGSTOP');
    await sleep(8_000);
    process.kill(leader.pid, 'SIGCONT');
  }],
  ['master SIGSTOP 6 s, then SIGCONT (comes back as a stale master)', async (g) => {
    const master = g.redis[0]!;
    process.kill(master.pid, 'SIGSTOP');
    await firstEvent(g, '+switch-master');
    await sleep(Math.max(0, 6_000 - 3_000));
    process.kill(master.pid, 'SIGCONT');
  }],
  ['a Sentinel restarted from its config saved mid-failover (kill -9 of a follower at +promoted-slave)', async (g) => {
    await g.redis[0]!.kill9();
    const leader = await firstEvent(g, '+promoted-slave');
    const follower = g.sentinels[(leader + 1) % g.sentinels.length]!;
    await follower.kill9();
    await follower.restart();
  }],
];

const CRASH_SCENARIOS: ReadonlyArray<[string, Scenario]> = [
  ['leader crash after SLAVEOF NO ONE, before persisting the new config-epoch (SIMULATE-FAILURE crash-after-promotion)', async (g) => {
    // Armed on all three: whichever wins crashes. The others cannot start
    // their own failover before 2 x failover-timeout, long enough to disarm them.
    for (const s of g.sentinels) await call(s.port, 'SENTINEL', 'SIMULATE-FAILURE', 'crash-after-promotion');
    await g.redis[0]!.kill9();
    const crashed = await waitFor(() => g.sentinels.find((s) => s.exited), { timeoutMs: 30_000, intervalMs: 5, what: 'the leader to crash' });
    // Every SIMULATE-FAILURE call first clears the flags; HELP names none
    // (a bare SIMULATE-FAILURE is refused by the command's arity).
    for (const s of g.sentinels) if (!s.exited) await call(s.port, 'SENTINEL', 'SIMULATE-FAILURE', 'HELP');
    const roles = await Promise.all(g.redis.slice(1).map((r) => roleOf(r.port)));
    expect(roles, 'the leader crashed after promoting: one replica is master').toContain('master');
    const code = (await crashed.waitExit()).code;
    return `leader exited with code ${code}`;
  }],
];

const CLOCK_SCENARIOS: ReadonlyArray<[string, Scenario]> = [
  ['clock +10 s then -10 s on one Sentinel (faketime), master kill -9 while it is in TILT', async (g) => {
    const s0 = g.sentinels[0]!;
    await call(s0.port, 'SENTINEL', 'DEBUG', 'TILT-PERIOD', '5000');
    const up = await clockJump(g, '+10s', async () => {
      await g.redis[0]!.kill9();
      await firstEvent(g, '+switch-master');
    });
    const down = await clockJump(g, '-10s', () => sleep(500));
    if (g.kind === 'ts') {
      expect(up.note).toMatch(/tilt:1/);
      expect(down.note).toMatch(/tilt:1/);
      expect([...up.acted, ...down.acted], 'votes or failover steps in TILT').toEqual([]);
    }
    return `${up.note}; ${down.note}`;
  }],
];

const PARTITION_SCENARIOS: ReadonlyArray<[string, Scenario]> = [
  ['partition: leader and old master cut off from the rest at +elected-leader (master SIGSTOP, SIGCONT inside the minority)', async (g) => {
    const master = g.redis[0]!;
    process.kill(master.pid, 'SIGSTOP');
    let heal = (): void => undefined;
    try {
      const li = await firstEvent(g, '+elected-leader');
      const leader = g.sentinels[li]!;
      const inside = [master, leader];
      const outside = [...g.redis, ...g.sentinels].filter((p) => !inside.includes(p));
      heal = cut(inside.map((p) => endpoint(g, p)), outside.map((p) => endpoint(g, p)));
      process.kill(master.pid, 'SIGCONT');
      // The majority side fails over on its own, after the vote it gave
      // keeps it out for 2 x failover-timeout.
      await waitFor(() => g.logs.some((l, i) => i !== li && l.find('+switch-master')), {
        timeoutMs: 40_000, intervalMs: 50, what: `${g.kind}: +switch-master on the majority side`,
      });
      await sleep(2_000);
    } finally {
      if (!master.exited) process.kill(master.pid, 'SIGCONT');
      heal();
    }
  }],
  ['partition: the leader cut off from the other Sentinels (not from Redis) at +elected-leader', async (g) => {
    await g.redis[0]!.kill9();
    let heal = (): void => undefined;
    try {
      const li = await firstEvent(g, '+elected-leader');
      const others = g.sentinels.filter((_, i) => i !== li);
      heal = cut([endpoint(g, g.sentinels[li]!)], others.map((p) => endpoint(g, p)));
      await firstEvent(g, '+switch-master');
      await sleep(3_000);
    } finally {
      heal();
    }
  }],
];

const NO_PARTITIONS = partitionUnavailable();
const NO_FAKETIME = fs.existsSync(LIBFAKETIME) ? undefined : `${LIBFAKETIME} missing (apt-get install faketime)`;
if (NO_PARTITIONS) console.warn(`SKIP partition faults: ${NO_PARTITIONS}`);
if (NO_FAKETIME) console.warn(`SKIP clock faults: ${NO_FAKETIME}`);
/**
 * Measured 2026-11-27: redis-sentinel 7.0.15 under libfaketime never
 * finishes starting ("libfaketime: Unexpected recursive calls to
 * clock_gettime() without proper initialization"), with or without
 * FAKETIME_DONT_FAKE_MONOTONIC, libfaketimeMT, FAKETIME instead of a file:
 * the same hang as redis-server's. So the clock scenario runs on tssentinel only.
 */
const NO_FAKETIME_REAL = 'libfaketime hangs redis-sentinel 7.0.15 at start (recursive clock_gettime during its init)';

async function runScenario(kind: 'ts' | 'real', name: string, scenario: Scenario, opts: GroupOptions = {}): Promise<void> {
  for (let run = 0; run < RUNS; run++) {
    const g = await startGroup(kind, opts);
    try {
      const note = await scenario(g);
      const outcome = await settle(g);
      console.log(`FAULT | ${name} | ${kind} | run ${run + 1} | ${outcome}${note ? `, ${note}` : ''}`);
    } catch (err) {
      if (kind === 'ts') throw err;
      console.log(`FAULT | ${name} | ${kind} | run ${run + 1} | FAILED: ${String(err).split('\n')[0]}`);
    } finally {
      healAll();
      await stopGroup(g);
    }
  }
}

describe.each(KINDS)('failover faults (issue 9-f), %s sentinels', (kind) => {
  it.each(CRASH_SCENARIOS)('%s', (name, scenario) => runScenario(kind, name, scenario), TEST_TIMEOUT_MS);
  if (kind === 'real') console.warn(`SKIP clock faults on real redis-sentinel: ${NO_FAKETIME_REAL}`);
  it.skipIf(NO_FAKETIME !== undefined || kind === 'real').each(CLOCK_SCENARIOS)('%s', (name, scenario) => runScenario(kind, name, scenario, { fakeClock: true }), TEST_TIMEOUT_MS);
  it.skipIf(NO_PARTITIONS).each(PARTITION_SCENARIOS)('%s', (name, scenario) => runScenario(kind, name, scenario, { uids: true }), TEST_TIMEOUT_MS);
});

describe.each(KINDS)('failover faults, %s sentinels', (kind) => {
  it.each(SCENARIOS)('%s', async (name, scenario) => {
    for (let run = 0; run < RUNS; run++) {
      const g = await startGroup(kind);
      try {
        await scenario(g);
        const outcome = await settle(g);
        console.log(`FAULT | ${name} | ${kind} | run ${run + 1} | ${outcome}`);
      } catch (err) {
        if (kind === 'ts') throw err;
        console.log(`FAULT | ${name} | ${kind} | run ${run + 1} | FAILED: ${String(err).split('\n')[0]}`);
      } finally {
        await stopGroup(g);
      }
    }
  }, TEST_TIMEOUT_MS);
});
