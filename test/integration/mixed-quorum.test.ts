/**
 * Failover in a quorum of real redis-sentinel and tssentinel processes: the
 * votes, the hello that carries the new config and the replica repointing
 * must work across implementations, whichever of them leads.
 *
 * Who leads is made deterministic: quorum 1, the intended leader has
 * down-after-milliseconds 1000 and the others 20000. Only the leader reaches
 * ODOWN and asks for votes; the others grant theirs to the first asker of the
 * epoch, and learn the new master from its hello.
 */
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  startAll,
  startRealSentinel,
  startRedis,
  startTsSentinel,
  stopAll,
  type ProcHandle,
} from '../support/procs.js';
import { parseInfo, textOf, toPlain, type Plain } from '../support/resp.js';
import { waitFor } from '../support/wait.js';
import { call, masterInfo, EventLog, closeEventLogs } from '../support/sentinel.js';

const HOST = '127.0.0.1';
const LEADER_DOWN_AFTER_MS = 1_000;
/** Long enough that the others never see the master down before the leader has replaced it. */
const FOLLOWER_DOWN_AFTER_MS = 20_000;
const FAILOVER_TIMEOUT_MS = 10_000;
const DISCOVERY_TIMEOUT_MS = 15_000;
const SWITCH_TIMEOUT_MS = 2 * FAILOVER_TIMEOUT_MS + 10_000;
const TEST_TIMEOUT_MS = 75_000;

afterAll(async () => {
  await closeEventLogs();
  await stopAll();
});

// ---------------------------------------------------------------------------
// Helpers



async function replication(port: number): Promise<Record<string, string>> {
  const section = parseInfo(textOf(await call(port, 'INFO', 'replication'))).find((s) => s.name === 'Replication');
  return Object.fromEntries(section?.fields ?? []);
}



function sentinelConf(masterPort: number, downAfterMs: number): string {
  return [
    `sentinel monitor mymaster ${HOST} ${masterPort} 1`,
    `sentinel down-after-milliseconds mymaster ${downAfterMs}`,
    `sentinel failover-timeout mymaster ${FAILOVER_TIMEOUT_MS}`,
    '',
  ].join('\n');
}

type Kind = 'real' | 'ts';

interface Member {
  readonly kind: Kind;
  readonly leader: boolean;
  readonly proc: ProcHandle;
  readonly label: string;
  log?: EventLog;
}

/**
 * Master, two replicas and one Sentinel per spec; the one marked leader gets
 * the short down-after. Resolves once every Sentinel sees 2 replicas and 2
 * peers and the replicas are in sync.
 */
async function startMixed(specs: ReadonlyArray<{ kind: Kind; leader: boolean }>) {
  const master = await startRedis();
  const replicas = await startAll([
    startRedis({ replicaOf: { host: HOST, port: master.port } }),
    startRedis({ replicaOf: { host: HOST, port: master.port } }),
  ]);
  const procs = await startAll(
    specs.map(({ kind, leader }) => {
      const text = sentinelConf(master.port, leader ? LEADER_DOWN_AFTER_MS : FOLLOWER_DOWN_AFTER_MS);
      return kind === 'real' ? startRealSentinel(text) : startTsSentinel(text);
    }),
  );
  const members: Member[] = specs.map((spec, i) => ({
    ...spec,
    proc: procs[i]!,
    label: `${spec.kind} #${i}${spec.leader ? ' (intended leader)' : ''} port ${procs[i]!.port}`,
  }));
  for (const m of members) {
    await waitFor(
      async () => {
        const info = await masterInfo(m.proc);
        return info['num-slaves'] === '2' && info['num-other-sentinels'] === '2';
      },
      { timeoutMs: DISCOVERY_TIMEOUT_MS, what: `${m.label} to report num-slaves 2 and num-other-sentinels 2` },
    );
  }
  for (const r of replicas) {
    await waitFor(async () => (await replication(r.port))['master_link_status'] === 'up', {
      what: `replica ${r.port} in sync`,
    });
  }
  for (const m of members) m.log = await EventLog.open(m.proc, m.label);
  return { master, replicas, members };
}

/**
 * Kill -9 of the master, then: the intended leader alone tries and wins, every
 * Sentinel switches to the same promoted replica, agrees on the address and
 * the config epoch, and the other replica follows the new master.
 */
async function killMasterAndCheck(specs: ReadonlyArray<{ kind: Kind; leader: boolean }>): Promise<void> {
  const { master, replicas, members } = await startMixed(specs);
  const oldPort = master.port;
  await master.kill9();

  const switchMessage = new RegExp(`^mymaster ${HOST} ${oldPort} ${HOST} (\\d+)$`);
  const newPorts = new Set<number>();
  for (const m of members) {
    const event = await m.log!.waitEvent('+switch-master', switchMessage, SWITCH_TIMEOUT_MS);
    newPorts.add(Number(switchMessage.exec(event.message)![1]));
  }
  expect([...newPorts], 'the new master announced by each Sentinel').toHaveLength(1);
  const newPort = [...newPorts][0]!;
  const promoted = replicas.find((r) => r.port === newPort);
  expect(promoted, `new master ${newPort} is one of the replicas`).toBeDefined();

  const leader = members.find((m) => m.leader)!;
  const leaderLog = leader.log!;
  for (const channel of ['+odown', '+try-failover', '+elected-leader', '+promoted-slave', '+failover-end']) {
    expect(leaderLog.find(channel), `${channel} on ${leader.label}: ${leaderLog.channels()}`).toBeDefined();
  }
  expect(leaderLog.find('+elected-leader')!.message).toBe(`master mymaster ${HOST} ${oldPort}`);
  for (const m of members.filter((x) => !x.leader)) {
    for (const channel of ['+odown', '+try-failover', '+elected-leader']) {
      expect(m.log!.find(channel), `${channel} on ${m.label}: ${m.log!.channels()}`).toBeUndefined();
    }
    // A follower learns the new master from the leader's hello.
    expect(m.log!.find('+config-update-from'), `+config-update-from on ${m.label}: ${m.log!.channels()}`).toBeDefined();
  }

  const other = replicas.find((r) => r !== promoted)!;
  await waitFor(
    async () => {
      const r = await replication(other.port);
      return r['master_port'] === String(newPort) && r['master_link_status'] === 'up';
    },
    { timeoutMs: 20_000, what: `replica ${other.port} to replicate from ${newPort} with link up` },
  );
  expect((await replication(newPort))['role']).toBe('master');

  const epochs = new Set<Plain>();
  for (const m of members) {
    const expected = JSON.stringify([HOST, String(newPort)]);
    await waitFor(
      async () => JSON.stringify(toPlain(await call(m.proc.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'))) === expected,
      { what: `${m.label} GET-MASTER-ADDR-BY-NAME to answer ${HOST}:${newPort}` },
    );
    const monitorLine = new RegExp(`^sentinel monitor mymaster ${HOST} ${newPort} 1$`, 'm');
    await waitFor(() => monitorLine.test(fs.readFileSync(m.proc.confPath, 'utf8')), {
      what: `${m.label} config file to hold the new master`,
    });
    epochs.add((await masterInfo(m.proc))['config-epoch'] ?? null);
  }
  expect([...epochs], 'config-epoch of mymaster on each Sentinel').toHaveLength(1);
  expect(Number([...epochs][0])).toBeGreaterThan(0);
}

// ---------------------------------------------------------------------------

describe('mixed quorum, kill -9 of the master', () => {
  it(
    '(a) 2 redis-sentinel + 1 tssentinel, the tssentinel leads',
    () =>
      killMasterAndCheck([
        { kind: 'real', leader: false },
        { kind: 'real', leader: false },
        { kind: 'ts', leader: true },
      ]),
    TEST_TIMEOUT_MS,
  );

  it(
    '(b) 1 redis-sentinel + 2 tssentinel, the redis-sentinel leads',
    () =>
      killMasterAndCheck([
        { kind: 'real', leader: true },
        { kind: 'ts', leader: false },
        { kind: 'ts', leader: false },
      ]),
    TEST_TIMEOUT_MS,
  );
});
