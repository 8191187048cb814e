/**
 * `tssentinel demo` end to end, as a script would run it: (a) with
 * --kill-after 3 and no terminal on stdin it exits 0, its DEMO RESULT says a
 * replica became master and all three Sentinels agree, and none of the PIDs
 * it reports is left running; (b) SIGTERM in the middle of a run stops every
 * process it started and removes its temp dir. First, the pure judgements the
 * result rests on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRole, type Snapshot } from '../../src/demo/status.js';
import { agreement, failoverTarget, isDiscovered } from '../../src/demo/verdict.js';
import { TS_CLI_PATH } from '../support/procs.js';
import { waitFor } from '../support/wait.js';

const DEMO_TIMEOUT_MS = 45_000;
const TEST_TIMEOUT_MS = 60_000;

interface DemoRun {
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

interface DemoResult {
  ok: boolean;
  reason: string;
  oldMaster: string | null;
  newMaster: string | null;
  newMasterRole: string | null;
  newMasterWasReplica: boolean;
  failover: boolean;
  agreed: boolean;
  views: Record<string, string | null>;
  pids: number[];
  events: { source: string; channel: string; message: string }[];
}

const runs = new Set<DemoRun>();

// Safety net if an assertion failed mid-run: the demo by its PID, then every
// PID it announced (its "started" line), by PID only.
afterAll(async () => {
  for (const run of runs) {
    if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    for (const pid of announcedPids(run.output())) killQuietly(pid);
  }
});

function startDemo(args: readonly string[]): DemoRun {
  const child = spawn(process.execPath, [TS_CLI_PATH, 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => chunks.push(c));
  child.stderr?.on('data', (c: Buffer) => chunks.push(c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close': the pipes are drained too, so the DEMO RESULT line is in.
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const run = { child, exited, output: () => Buffer.concat(chunks).toString('utf8') };
  runs.add(run);
  return run;
}

async function waitExit(run: DemoRun): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`demo did not exit within ${DEMO_TIMEOUT_MS} ms:\n${run.output().slice(-4000)}`)), DEMO_TIMEOUT_MS);
  });
  try {
    return await Promise.race([run.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function demoResult(output: string): DemoResult {
  const line = output.split('\n').find((l) => l.startsWith('DEMO RESULT '));
  if (line === undefined) throw new Error(`no DEMO RESULT line in:\n${output.slice(-4000)}`);
  return JSON.parse(line.slice('DEMO RESULT '.length)) as DemoResult;
}

/** PIDs from the "demo started r1=127.0.0.1:N(pid P) ..." timeline line. */
function announcedPids(output: string): number[] {
  return [...output.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

describe('tssentinel demo', () => {
  it(
    'kills the master, reports the failover all Sentinels agree on, exits 0 and leaves nothing running',
    async () => {
      // No terminal on stdin: --kill-after alone must end after the verdict (issue 10, item 7).
      const run = startDemo(['--kill-after', '3']);
      const exit = await waitExit(run);
      const output = run.output();
      const result = demoResult(output);
      expect(exit, output.slice(-4000)).toEqual({ code: 0, signal: null });
      expect(result.ok).toBe(true);
      expect(result.failover).toBe(true);
      expect(result.newMasterWasReplica).toBe(true);
      expect(result.newMaster).not.toBe(result.oldMaster);
      expect(result.newMasterRole).toBe('master');
      expect(result.agreed).toBe(true);
      expect(Object.keys(result.views).sort()).toEqual(['s1', 's2', 's3']);
      for (const view of Object.values(result.views)) expect(view).toBe(result.newMaster);
      // Every Sentinel announced the switch on its own pub/sub.
      const switched = new Set(result.events.filter((e) => e.channel === '+switch-master').map((e) => e.source));
      expect([...switched].sort()).toEqual(['s1', 's2', 's3']);
      expect(result.pids).toHaveLength(6);
      expect(result.pids.filter(isAlive)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'stops every process it started and removes its temp dir on SIGTERM mid-run',
    async () => {
      const run = startDemo([]);
      await waitFor(() => /demo ready /.test(run.output()), { timeoutMs: 30_000, what: 'the demo to be ready' });
      const dir = /^dir (\S+)$/m.exec(run.output())?.[1];
      expect(dir).toBeDefined();
      run.child.kill('SIGTERM');
      const exit = await waitExit(run);
      const output = run.output();
      expect(exit, output.slice(-4000)).toEqual({ code: 143, signal: null });
      const result = demoResult(output);
      expect(result.reason).toBe('signal SIGTERM');
      expect(result.pids).toHaveLength(6);
      expect(new Set(result.pids)).toEqual(new Set(announcedPids(output)));
      expect(result.pids.filter(isAlive)).toEqual([]);
      expect(fs.existsSync(dir!)).toBe(false);
    },
    TEST_TIMEOUT_MS,
  );
});

describe('demo verdicts (pure)', () => {
  const A = '127.0.0.1:11001';
  const B = '127.0.0.1:11002';
  const snapshot = (views: (string | undefined)[], roles: Record<string, unknown>): Snapshot => ({
    atMs: 0,
    redis: Object.entries(roles).map(([addr, role], i) => ({ name: `r${i + 1}`, addr, pid: 1, role: parseRole(role) })),
    sentinels: views.map((masterAddr, i) => ({
      name: `s${i + 1}`,
      addr: `127.0.0.1:2000${i}`,
      pid: 1,
      masterAddr,
      master: { 'num-slaves': '1', 'num-other-sentinels': String(views.length - 1) },
    })),
  });

  it('parses ROLE replies of a master and of a replica', () => {
    expect(parseRole(['master', 42, [['127.0.0.1', '11002', '40']]])).toEqual({ role: 'master', offset: 42, replicas: [B] });
    expect(parseRole(['slave', '127.0.0.1', 11001, 'connected', 42])).toEqual({
      role: 'slave',
      masterAddr: A,
      linkState: 'connected',
      offset: 42,
    });
    expect(parseRole('nope')).toBeUndefined();
  });

  it('sees a completed failover only when every Sentinel names the new master and its ROLE agrees', () => {
    const promoted = { [A]: ['slave', '127.0.0.1', 11002, 'connected', 1], [B]: ['master', 1, []] };
    expect(failoverTarget(snapshot([B, B, B], promoted), A)).toBe(B);
    expect(failoverTarget(snapshot([B, A, B], promoted), A)).toBeUndefined();
    expect(failoverTarget(snapshot([B, B, undefined], promoted), A)).toBeUndefined();
    expect(failoverTarget(snapshot([B, B, B], { [B]: ['slave', '127.0.0.1', 11001, 'connect', 1] }), A)).toBeUndefined();
    expect(agreement(snapshot([A, B], {}))).toEqual({ agreed: false, addr: undefined, views: { s1: A, s2: B } });
  });

  it('calls discovery done when every Sentinel sees all and every replica is connected', () => {
    const roles = { [A]: ['master', 1, []], [B]: ['slave', '127.0.0.1', 11001, 'connected', 1] };
    expect(isDiscovered(snapshot([A, A], roles), 1, 2)).toBe(true);
    expect(isDiscovered(snapshot([A, A], { ...roles, [B]: ['slave', '127.0.0.1', 11001, 'sync', 0] }), 1, 2)).toBe(false);
    expect(isDiscovered(snapshot([A, A], roles), 1, 3)).toBe(false);
  });
});
