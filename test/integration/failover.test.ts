/**
 * Failover end to end: a master, two replicas and three tssentinels on
 * loopback. (a) the master is killed: a replica is promoted, the other one
 * and the restarted old master follow it, every Sentinel agrees, announces it
 * (+switch-master, then +slave for the replicas of the new master) and
 * persists it; (b) SENTINEL FAILOVER on a healthy setup, INPROG while it
 * runs, NOGOODSLAVE without replicas; (c) no failover without a quorum of
 * live Sentinels, and the failover once they are back; (d) a master is not
 * subjectively down before it has been unreachable for
 * down-after-milliseconds, nor when only its links were dropped.
 *
 * TS_SENTINEL_BIN=real runs every "ts" process as a real redis-sentinel: the
 * self-check of these expectations against the oracle.
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAll, startRedis, startTsSentinel, stopAll, type ProcHandle } from '../support/procs.js';
import { RawClient, parseInfo, textOf, toPlain, type Plain, type RespValue } from '../support/resp.js';
import { sleep, waitFor } from '../support/wait.js';
import { call, masterInfo, EventLog, closeEventLogs, type SentinelEvent } from '../support/sentinel.js';

const HOST = '127.0.0.1';
const DOWN_AFTER_MS = 1_000;
const FAILOVER_TIMEOUT_MS = 10_000;
const DISCOVERY_TIMEOUT_MS = 15_000;
/** One election round, plus one retry after 2 × failover-timeout if the first split the votes. */
const SWITCH_TIMEOUT_MS = 2 * FAILOVER_TIMEOUT_MS + 15_000;
/** Redis converts a stale master after 4 hello periods (8 s) of it reporting role:master. */
const CONVERT_TIMEOUT_MS = 30_000;
/** How long (c) watches a lone Sentinel to see that it does nothing. */
const QUIET_WATCH_MS = 8_000;
const TEST_TIMEOUT_MS = 90_000;
/** (d): how long after a PING the master is killed, within the 1 s PING period. */
const PING_PHASE_AT_KILL_MS = 700;

afterAll(async () => {
  await closeEventLogs();
  await stopAll();
});

// ---------------------------------------------------------------------------
// Helpers



/** num-slaves 2 and num-other-sentinels 2 on one sentinel. */
async function seesAll(sentinel: ProcHandle): Promise<boolean> {
  const m = await masterInfo(sentinel);
  return m['num-slaves'] === '2' && m['num-other-sentinels'] === '2';
}

async function masterAddr(sentinel: ProcHandle): Promise<Plain> {
  return toPlain(await call(sentinel.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'));
}

async function role(port: number): Promise<Plain> {
  return toPlain(await call(port, 'ROLE'));
}

async function replication(port: number): Promise<Record<string, string>> {
  const section = parseInfo(textOf(await call(port, 'INFO', 'replication'))).find((s) => s.name === 'Replication');
  return Object.fromEntries(section?.fields ?? []);
}

/** ROLE says it is a replica of 127.0.0.1:masterPort, connected. */
async function isConnectedReplicaOf(port: number, masterPort: number): Promise<boolean> {
  const r = await role(port);
  return Array.isArray(r) && r[0] === 'slave' && r[1] === HOST && r[2] === masterPort && r[3] === 'connected';
}



function sentinelConf(masterPort: number, extraLines: readonly string[] = []): string {
  return [
    `sentinel monitor mymaster ${HOST} ${masterPort} 2`,
    `sentinel down-after-milliseconds mymaster ${DOWN_AFTER_MS}`,
    `sentinel failover-timeout mymaster ${FAILOVER_TIMEOUT_MS}`,
    ...extraLines,
    '',
  ].join('\n');
}

interface Group {
  master: ProcHandle;
  replicas: ProcHandle[];
  sentinels: ProcHandle[];
  logs: EventLog[];
}

async function startGroup(extraLines: (masterPort: number) => Promise<string[]> = async () => []): Promise<Group> {
  const master = await startRedis();
  const replicas = await startAll([
    startRedis({ replicaOf: { host: HOST, port: master.port } }),
    startRedis({ replicaOf: { host: HOST, port: master.port } }),
  ]);
  const text = sentinelConf(master.port, await extraLines(master.port));
  const sentinels = await startAll([startTsSentinel(text), startTsSentinel(text), startTsSentinel(text)]);
  for (const [i, s] of sentinels.entries()) {
    await waitFor(() => seesAll(s), {
      timeoutMs: DISCOVERY_TIMEOUT_MS,
      what: `sentinel #${i} (port ${s.port}) to report num-slaves 2 and num-other-sentinels 2`,
    });
  }
  for (const r of replicas) {
    await waitFor(async () => (await replication(r.port))['master_link_status'] === 'up', {
      what: `replica ${r.port} in sync with the master`,
    });
  }
  const logs = await Promise.all(sentinels.map((s, i) => EventLog.open(s, `sentinel #${i} (port ${s.port})`)));
  return { master, replicas, sentinels, logs };
}

/** The port in `+switch-master mymaster <old-ip> <old-port> <new-ip> <new-port>`, checked against the old one. */
function newPortOf(event: SentinelEvent, oldPort: number): number {
  const m = new RegExp(`^mymaster ${HOST} ${oldPort} ${HOST} (\\d+)$`).exec(event.message);
  if (!m) throw new Error(`unexpected +switch-master message: ${event.message}`);
  return Number(m[1]);
}

/** Every Sentinel published +switch-master to the same new master; returns its port. */
async function waitSwitchEverywhere(group: Group, oldPort: number, timeoutMs: number): Promise<number> {
  const switchMessage = new RegExp(`^mymaster ${HOST} ${oldPort} ${HOST} \\d+$`);
  const events = [];
  for (const log of group.logs) events.push(await log.waitEvent('+switch-master', switchMessage, timeoutMs));
  const ports = events.map((e) => newPortOf(e, oldPort));
  expect(new Set(ports).size, `+switch-master messages: ${JSON.stringify(events)}`).toBe(1);
  return ports[0]!;
}

/** ROLE master on the new one, the other replica attached to it, every Sentinel answering it and persisting it. */
async function expectEveryoneOn(group: Group, newPort: number, followers: readonly ProcHandle[]): Promise<void> {
  await waitFor(
    async () => {
      const r = await role(newPort);
      return Array.isArray(r) && r[0] === 'master';
    },
    { what: `ROLE master on the promoted replica ${newPort}` },
  );
  for (const f of followers) {
    const info = await waitFor(
      async () => {
        const r = await replication(f.port);
        return r['master_port'] === String(newPort) && r['master_link_status'] === 'up' ? r : undefined;
      },
      { timeoutMs: 20_000, what: `replica ${f.port} to replicate from ${newPort} with link up` },
    );
    expect(info['role']).toBe('slave');
    expect(info['master_host']).toBe(HOST);
  }
  for (const [i, s] of group.sentinels.entries()) {
    await waitFor(async () => JSON.stringify(await masterAddr(s)) === JSON.stringify([HOST, String(newPort)]), {
      what: `sentinel #${i} GET-MASTER-ADDR-BY-NAME to answer ${HOST}:${newPort}`,
    });
    await waitFor(
      () => new RegExp(`^sentinel monitor mymaster ${HOST} ${newPort} 2$`, 'm').test(fs.readFileSync(s.confPath, 'utf8')),
      { what: `sentinel #${i} config file to hold sentinel monitor mymaster ${HOST} ${newPort} 2` },
    );
  }
}

/**
 * Only a SLAVEOF transaction that did not take effect is a failure: not one
 * whose EXEC reply was lost with the link while the instance switched.
 */
function expectNoSlaveofFailureLogged(sentinels: readonly ProcHandle[]): void {
  for (const s of sentinels) expect(fs.readFileSync(s.logPath, 'utf8'), s.logPath).not.toContain('SLAVEOF transaction failed');
}

// ---------------------------------------------------------------------------

describe('(a) kill -9 of the master', () => {
  let group: Group;
  /** Set by the first test, read by the second. */
  let switched: { oldPort: number; newPort: number; other: ProcHandle } | undefined;

  beforeAll(async () => {
    group = await startGroup();
  });

  it(
    'promotes a replica, repoints the other, and everyone agrees, announces and persists it; the old master comes back as a replica',
    async () => {
      const oldPort = group.master.port;
      await group.master.kill9();

      const newPort = await waitSwitchEverywhere(group, oldPort, SWITCH_TIMEOUT_MS);
      const promoted = group.replicas.find((r) => r.port === newPort);
      expect(promoted, `new master ${newPort} is one of the replicas`).toBeDefined();
      const other = group.replicas.filter((r) => r !== promoted);
      switched = { oldPort, newPort, other: other[0]! };
      await expectEveryoneOn(group, newPort, other);

      // Exactly one leader, and it went through the failover states.
      const leaders = group.logs.filter((log) => log.find('+elected-leader'));
      expect(leaders.map((l) => l.label), 'Sentinels that published +elected-leader').toHaveLength(1);
      const leader = leaders[0]!;
      for (const channel of ['+odown', '+try-failover', '+selected-slave', '+promoted-slave', '+failover-end']) {
        expect(leader.find(channel), `${channel} on the leader ${leader.label}: ${leader.channels().join(' ')}`).toBeDefined();
      }
      expect(leader.find('+selected-slave', `slave ${HOST}:${newPort} ${HOST} ${newPort} @ mymaster ${HOST} ${oldPort}`)).toBeDefined();

      // The old master restarts as a master on its own port and is turned into a replica.
      await group.master.restart();
      const converted = `slave ${HOST}:${oldPort} ${HOST} ${oldPort} @ mymaster ${HOST} ${newPort}`;
      await waitFor(() => group.logs.some((log) => log.find('+convert-to-slave', converted)), {
        timeoutMs: CONVERT_TIMEOUT_MS,
        intervalMs: 200,
        what: `+convert-to-slave ${converted} on any sentinel (seen: ${group.logs.map((l) => l.channels().join(' ')).join(' | ')})`,
      });
      await waitFor(() => isConnectedReplicaOf(oldPort, newPort), {
        timeoutMs: 20_000,
        what: `old master ${oldPort} to replicate from ${newPort}, connected`,
      });
      expectNoSlaveofFailureLogged(group.sentinels);
      for (const [i, s] of group.sentinels.entries()) {
        await waitFor(() => seesAll(s), { what: `sentinel #${i} to count 2 replicas of the new master again` });
      }
    },
    TEST_TIMEOUT_MS,
  );

  it('after +switch-master, every Sentinel announces the replicas of the new master with +slave, as redis-sentinel does', () => {
    // redis-sentinel re-creates the replica list of the new master when it
    // switches (the other replica and the old master) and publishes +slave
    // for each of them.
    expect(switched, 'the failover test above ran').toBeDefined();
    const { oldPort, newPort, other } = switched!;
    for (const log of group.logs) {
      const afterSwitch = log.events.slice(log.events.findIndex((e) => e.channel === '+switch-master'));
      for (const port of [other.port, oldPort]) {
        const details = `slave ${HOST}:${port} ${HOST} ${port} @ mymaster ${HOST} ${newPort}`;
        expect(
          afterSwitch.find((e) => e.channel === '+slave' && e.message === details),
          `+slave ${details} on ${log.label} after +switch-master; seen: ${afterSwitch.map((e) => e.channel).join(' ')}`,
        ).toBeDefined();
      }
    }
  });
});

describe('(b) SENTINEL FAILOVER', () => {
  let group: Group;
  let lonely: ProcHandle;

  beforeAll(async () => {
    // A second master without replicas, monitored by the same Sentinels.
    group = await startGroup(async () => {
      lonely = await startRedis();
      return [
        `sentinel monitor lonely ${HOST} ${lonely.port} 2`,
        `sentinel down-after-milliseconds lonely ${DOWN_AFTER_MS}`,
        `sentinel failover-timeout lonely ${FAILOVER_TIMEOUT_MS}`,
      ];
    });
  });

  it(
    'on a healthy setup moves the master; a second one while it runs is INPROG',
    async () => {
      const oldPort = group.master.port;
      // tssentinel promotes only replicas it has seen synced (issue 12): wait
      // for its view, not only for the replicas' own INFO.
      await waitFor(async () => {
        const list = toPlain(await call(group.sentinels[0]!.port, 'SENTINEL', 'REPLICAS', 'mymaster')) as string[][];
        return list.length === 2 && list.every((r) => r[r.indexOf('master-link-status') + 1] === 'ok') || undefined;
      }, { what: 'sentinel #0 to see both replicas synced' });
      const client = await RawClient.connect(group.sentinels[0]!.port);
      try {
        // Pipelined: the second arrives while the first failover is surely running.
        client.send('SENTINEL', 'FAILOVER', 'mymaster');
        client.send('SENTINEL', 'FAILOVER', 'mymaster');
        expect(toPlain(await client.read())).toBe('OK');
        expect(await client.read()).toEqual({ type: 'error', value: 'INPROG Failover already in progress' });
      } finally {
        await client.close();
      }

      const newPort = await waitSwitchEverywhere(group, oldPort, SWITCH_TIMEOUT_MS);
      const promoted = group.replicas.find((r) => r.port === newPort);
      expect(promoted, `new master ${newPort} is one of the replicas`).toBeDefined();
      await expectEveryoneOn(group, newPort, group.replicas.filter((r) => r !== promoted));
      // A user-requested failover needs no election: only the asked Sentinel leads.
      expect(group.logs[0]!.find('+try-failover'), group.logs[0]!.channels().join(' ')).toBeDefined();
      expect(group.logs[0]!.find('+elected-leader'), group.logs[0]!.channels().join(' ')).toBeDefined();
      expect(group.logs[1]!.find('+try-failover')).toBeUndefined();
      expect(group.logs[2]!.find('+try-failover')).toBeUndefined();

      // The old master, still running, must not stay a second master.
      await waitFor(() => isConnectedReplicaOf(oldPort, newPort), {
        timeoutMs: CONVERT_TIMEOUT_MS,
        intervalMs: 200,
        what: `old master ${oldPort} to become a connected replica of ${newPort}`,
      });
    },
    TEST_TIMEOUT_MS,
  );

  it('without replicas is NOGOODSLAVE', async () => {
    // Both masters are known, and lonely has no replica at all.
    expect((await masterInfo(group.sentinels[1]!, 'lonely'))['num-slaves']).toBe('0');
    const reply = await call(group.sentinels[1]!.port, 'SENTINEL', 'FAILOVER', 'lonely');
    expect(reply).toEqual({ type: 'error', value: 'NOGOODSLAVE No suitable replica to promote' });
    expect(toPlain(await call(group.sentinels[1]!.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'lonely'))).toEqual([
      HOST,
      String(lonely.port),
    ]);
  });
});

describe('(c) two of three Sentinels stopped', () => {
  let group: Group;

  beforeAll(async () => {
    group = await startGroup();
  });

  it(
    'no failover without a quorum; once they restart on their configs, the failover happens',
    async () => {
      const oldPort = group.master.port;
      const [alive, ...stopped] = group.sentinels as [ProcHandle, ProcHandle, ProcHandle];
      const aliveLog = group.logs[0]!;
      for (const log of group.logs.slice(1)) await log.close();
      for (const s of stopped) {
        const exit = await s.stop('SIGTERM');
        expect(exit, `exit of stopped sentinel ${s.port}`).toEqual({ code: 0, signal: null });
      }

      await group.master.kill9();
      const killedAtMs = Date.now();
      await aliveLog.waitEvent('+sdown', `master mymaster ${HOST} ${oldPort}`, QUIET_WATCH_MS);
      // Watch the lone Sentinel: it sees the master down, but alone it is no quorum.
      await sleep(Math.max(0, killedAtMs + QUIET_WATCH_MS - Date.now()));
      for (const channel of ['+odown', '+try-failover', '+elected-leader', '+switch-master']) {
        expect(aliveLog.find(channel), `${channel} on the lone sentinel: ${aliveLog.channels().join(' ')}`).toBeUndefined();
      }
      expect(await masterAddr(alive)).toEqual([HOST, String(oldPort)]);
      for (const r of group.replicas) expect((await role(r.port)) as Plain[]).toContain('slave');

      // Back on their ports and (rewritten) configs: now there is a quorum.
      for (const s of stopped) await s.restart();
      group.logs = [aliveLog, ...(await Promise.all(stopped.map((s, i) => EventLog.open(s, `restarted sentinel #${i + 1}`))))];
      const switchEvent = await aliveLog.waitEvent('+switch-master', new RegExp(`^mymaster ${HOST} ${oldPort} `), SWITCH_TIMEOUT_MS);
      const newPort = newPortOf(switchEvent, oldPort);
      const promoted = group.replicas.find((r) => r.port === newPort);
      expect(promoted, `new master ${newPort} is one of the replicas`).toBeDefined();
      await expectEveryoneOn(group, newPort, group.replicas.filter((r) => r !== promoted));
    },
    TEST_TIMEOUT_MS,
  );
});

describe('(d) down-after-milliseconds', () => {
  it(
    'a killed master is not +sdown before it has been unreachable for down-after-milliseconds',
    async () => {
      // One master, one Sentinel. The master is killed well into a PING
      // period (a PING answered ~700 ms earlier, seen with MONITOR): a
      // Sentinel that counts down-after from its last PONG instead of from
      // when the master stopped answering would call it down ~300 ms later.
      const master = await startRedis();
      const sentinel = await startTsSentinel(
        [`sentinel monitor mymaster ${HOST} ${master.port} 1`, `sentinel down-after-milliseconds mymaster ${DOWN_AFTER_MS}`, ''].join('\n'),
      );
      const log = await EventLog.open(sentinel, `sentinel (port ${sentinel.port})`);
      const monitor = await RawClient.connect(master.port);
      try {
        expect(toPlain(await monitor.call('MONITOR'))).toBe('OK');
        const isPing = (v: RespValue) => v.type === 'simple' && /"ping"/i.test(v.value);
        await monitor.readUntil(isPing, 5_000);
        await monitor.readUntil(isPing, 5_000); // Steady state: two PINGs seen.
        await sleep(PING_PHASE_AT_KILL_MS);
        // Measured here, kill → event received can only be longer than the
        // Sentinel's own kill → event; 5 ms absorb whole-millisecond clocks.
        const killedAtMs = performance.now();
        await master.kill9();
        const event = await log.waitEvent('+sdown', `master mymaster ${HOST} ${master.port}`, 10_000);
        const msAfterKill = Math.round(event.atMs - killedAtMs);
        expect(msAfterKill, `+sdown ${msAfterKill} ms after the kill, down-after-milliseconds ${DOWN_AFTER_MS}`).toBeGreaterThanOrEqual(
          DOWN_AFTER_MS - 5,
        );
      } finally {
        await monitor.close();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a healthy master whose Sentinel links are killed (CLIENT KILL TYPE normal, as every promotion does) is not +sdown',
    async () => {
      const master = await startRedis();
      const sentinel = await startTsSentinel(
        [`sentinel monitor mymaster ${HOST} ${master.port} 1`, `sentinel down-after-milliseconds mymaster ${DOWN_AFTER_MS}`, ''].join('\n'),
      );
      const log = await EventLog.open(sentinel, `sentinel (port ${sentinel.port})`);
      const monitor = await RawClient.connect(master.port);
      try {
        expect(toPlain(await monitor.call('MONITOR'))).toBe('OK');
        const isPing = (v: RespValue) => v.type === 'simple' && /"ping"/i.test(v.value);
        await monitor.readUntil(isPing, 5_000);
        await monitor.readUntil(isPing, 5_000);
        await sleep(PING_PHASE_AT_KILL_MS);
        // Drops the Sentinel's links (and the MONITOR); the master stays up.
        const killed = await call(master.port, 'CLIENT', 'KILL', 'TYPE', 'normal');
        expect(killed.type).toBe('int');
        // The master never stopped answering: watch a few down-after periods.
        await sleep(3 * DOWN_AFTER_MS);
        expect(log.find('+sdown'), `events: ${log.channels().join(' ')}`).toBeUndefined();
        expect(toPlain(await call(sentinel.port, 'SENTINEL', 'MASTER', 'mymaster'))).toContain('master');
      } finally {
        await monitor.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
});
