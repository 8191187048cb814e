/**
 * master-reboot-down-after-period against real processes. A master with a
 * dataset that loads slowly (DEBUG POPULATE + key-load-delay) is killed and
 * restarted at once: it answers PING with -LOADING (a valid reply, so
 * down-after-milliseconds never fires) under a new run_id. Redis flags the
 * master as rebooted when INFO shows the new run_id, clears the flag only on
 * a +PONG, and counts the master subjectively down once the flag is older
 * than master-reboot-down-after-period. So (1) with a period longer than the
 * load, the restart is only a +reboot; (2) with a 1 s period, the Sentinels
 * fail over to the replica while the old master is still loading.
 *
 * Two groups run side by side, three real redis-sentinels and three
 * tssentinels, each with its own master and replica, and must tell the same
 * story.
 */
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { startAll, startRealSentinel, startRedis, startTsSentinel, stopAll, type ProcHandle } from '../support/procs.js';
import { closeEventLogs, EventLog, call, masterInfo } from '../support/sentinel.js';
import { toPlain } from '../support/resp.js';
import { waitFor } from '../support/wait.js';

afterAll(async () => {
  await closeEventLogs();
  await stopAll();
});

const KEYS = 35_000;
/**
 * Microseconds slept per key loaded: about 6 s of -LOADING here, well over
 * the ~2 s a failover takes and under the 15 s restart() waits for +PONG.
 */
const KEY_LOAD_DELAY_US = 100;
const REBOOT_PERIOD_MS = 1_000;
/** Longer than the whole load: the master is back (+PONG) before it runs out. */
const LONG_PERIOD_MS = 30_000;

type Starter = (conf: string) => Promise<ProcHandle>;

const MASTER_OPTION = 'master-reboot-down-after-period';

const WATCHED = ['+reboot', '+sdown', '+odown', '+switch-master'];

interface Story {
  /** WATCHED events any Sentinel published after a restart shorter than the period. */
  shortReboot: string[];
  /** The same after a restart that loads for longer than the period. */
  longReboot: string[];
  /** The new master is the replica. */
  switchedToReplica: boolean;
  /** The switch was seen while the old master still answered -LOADING. */
  switchedWhileLoading: boolean;
}

async function loading(port: number): Promise<boolean> {
  const reply = toPlain(await call(port, 'PING'));
  return typeof reply === 'object' && reply !== null && 'error' in reply && reply.error.startsWith('LOADING');
}

/**
 * `shortRebootOption` / `longRebootOption`: the spelling SENTINEL SET uses for (1) / (2)
 * (tssentinel also takes Valkey 8.0's primary-reboot-down-after-period).
 */
async function rebootScenario(start: Starter, label: string, shortRebootOption: string, longRebootOption: string): Promise<Story> {
  const master = await startRedis({
    extraArgs: [
      '--enable-debug-command', 'yes',
      // Serve clients between small chunks of the file, so PING gets -LOADING.
      '--loading-process-events-interval-bytes', '1024',
      '--key-load-delay', String(KEY_LOAD_DELAY_US),
    ],
  });
  const replica = await startRedis({ replicaOf: { host: '127.0.0.1', port: master.port } });
  expect(toPlain(await call(master.port, 'DEBUG', 'POPULATE', String(KEYS)))).toBe('OK');
  expect(toPlain(await call(master.port, 'SAVE'))).toBe('OK');
  await waitFor(async () => {
    const info = toPlain(await call(replica.port, 'INFO', 'keyspace'));
    return String(info).includes(`keys=${KEYS},`);
  }, { timeoutMs: 20_000, what: `${label}: the replica has the dataset` });

  const conf = [
    `sentinel monitor mymaster 127.0.0.1 ${master.port} 2`,
    // Longer than the whole test step: -LOADING replies keep the master valid.
    'sentinel down-after-milliseconds mymaster 30000',
    'sentinel failover-timeout mymaster 20000',
    '',
  ].join('\n');
  const sentinels = await startAll([start(conf), start(conf), start(conf)] as const);
  for (const s of sentinels) {
    expect(toPlain(await call(s.port, 'SENTINEL', 'DEBUG', 'INFO-PERIOD', '300', 'PING-PERIOD', '300', 'ASK-PERIOD', '300')))
      .toBe('OK');
  }
  for (const s of sentinels) {
    await waitFor(async () => {
      const m = await masterInfo(s);
      return m['num-slaves'] === '1' && m['num-other-sentinels'] === '2' && m['flags'] === 'master';
    }, { timeoutMs: 20_000, what: `${label}: sentinel ${s.port} sees the replica and both peers` });
  }
  const logs = await Promise.all(sentinels.map((s) => EventLog.open(s, `${label} sentinel ${s.port}`)));
  const seenSince = (from: number[]): string[] => {
    const seen: string[] = [];
    logs.forEach((log, i) => {
      for (const e of log.events.slice(from[i])) if (WATCHED.includes(e.channel) && !seen.includes(e.channel)) seen.push(e.channel);
    });
    return WATCHED.filter((e) => seen.includes(e));
  };
  // Resolves once the restarted master answers -LOADING; `loaded` once it answers +PONG.
  const killAndRestart = async (): Promise<{ loaded: Promise<void> }> => {
    await master.kill9();
    const loaded = master.restart();
    loaded.catch(() => undefined);
    await waitFor(() => loading(master.port), { timeoutMs: 10_000, intervalMs: 20, what: `${label}: the master answers -LOADING` });
    return { loaded };
  };
  const setPeriod = async (option: string, ms: number) => {
    for (const s of sentinels) {
      expect(toPlain(await call(s.port, 'SENTINEL', 'SET', 'mymaster', option, String(ms)))).toBe('OK');
    }
  };

  // (1) Back before the period is over: a +reboot, nothing else.
  await setPeriod(shortRebootOption, LONG_PERIOD_MS);
  let marks = logs.map((l) => l.events.length);
  await (await killAndRestart()).loaded;
  // The load is over (restart() saw +PONG): a valid reply received after this
  // instant is a +PONG, which ends the reboot for that Sentinel.
  const loadedAtMs = performance.now();
  await waitFor(async () => (await Promise.all(sentinels.map((s) => masterInfo(s)))).every((m) => m['flags'] === 'master' &&
    Number(m['last-ok-ping-reply']) < performance.now() - loadedAtMs - 20),
  { timeoutMs: 10_000, what: `${label}: every sentinel got a +PONG from the reloaded master` });
  const shortReboot = seenSince(marks);

  // (2) Still loading when the period is over: failed over to the replica.
  await setPeriod(longRebootOption, REBOOT_PERIOD_MS);
  marks = logs.map((l) => l.events.length);
  const { loaded } = await killAndRestart();
  let switchedWhileLoading = false;
  await waitFor(async () => {
    if (!logs.some((l) => l.find('+switch-master'))) return false;
    switchedWhileLoading = await loading(master.port).catch(() => false);
    return true;
  }, { timeoutMs: 30_000, intervalMs: 50, what: `${label}: +switch-master` });
  const newAddr = toPlain(await call(sentinels[0].port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'));
  await loaded;
  return {
    shortReboot,
    longReboot: seenSince(marks),
    switchedToReplica: Array.isArray(newAddr) && Number(newAddr[1]) === replica.port,
    switchedWhileLoading,
  };
}

describe('master-reboot-down-after-period', () => {
  it('fails over a master that restarted and keeps answering -LOADING past the period, as redis-sentinel does', async () => {
    const [real, ts] = await Promise.all([
      rebootScenario((conf) => startRealSentinel(conf), 'real', MASTER_OPTION, MASTER_OPTION),
      // The failover is driven by the period set under Valkey's name.
      rebootScenario((conf) => startTsSentinel(conf), 'ts', MASTER_OPTION, 'primary-reboot-down-after-period'),
    ]);
    const expected: Story = {
      shortReboot: ['+reboot'],
      longReboot: ['+reboot', '+sdown', '+odown', '+switch-master'],
      switchedToReplica: true,
      switchedWhileLoading: true,
    };
    expect(real).toEqual(expected);
    expect(ts).toEqual(expected);
  }, 60_000);
});
