/**
 * A leader stopped (SIGSTOP) in the middle of a failover step: what it had
 * decided before the stop must not leave after it. Three tssentinels watch
 * a master and two replicas; the master is killed; the moment the leader
 * publishes +selected-slave, the test stops it (the stop lands while that
 * step is still being carried out: the SLAVEOF NO ONE not yet written), for
 * longer than the TILT trigger. After SIGCONT the leader must enter TILT
 * before anything else and send nothing on its old view: no replica becomes
 * master during its TILT period (the other Sentinels cannot start a failover
 * of their own for 2 x failover-timeout). After TILT the failover resumes
 * and ends with one master that every Sentinel names.
 *
 * And the case after it: a leader stopped once its SLAVEOF NO ONE went out,
 * before it saw the promotion; the next leader (a new epoch) keeps the
 * replica that already reports role:master instead of making a second one.
 */
import net from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { InstanceLink } from '../../src/links/link.js';
import { startAll, startRedis, startTsSentinel, stopAll, type ProcHandle } from '../support/procs.js';
import { toPlain } from '../support/resp.js';
import { EventLog, call, closeEventLogs, masterInfo } from '../support/sentinel.js';
import { sleep, waitFor } from '../support/wait.js';

const HOST = '127.0.0.1';
const DOWN_AFTER_MS = 1_000;
/** Long enough that the other Sentinels do not retry the failover while the test watches. */
const FAILOVER_TIMEOUT_MS = 60_000;
const TILT_PERIOD_MS = 10_000;
/** Longer than the TILT trigger (2 s). */
const STALL_MS = 5_000;

const stopped = new Set<number>();
afterEach(() => {
  for (const pid of stopped) {
    try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ }
  }
  stopped.clear();
});
afterAll(async () => {
  await closeEventLogs();
  await stopAll();
});

/**
 * Subscribes to `channel` on every Sentinel and SIGSTOPs the first one that
 * publishes it, from the socket's data handler (no polling delay).
 */
function stopFirstToPublish(sentinels: readonly ProcHandle[], channel: string): { stoppedOne: Promise<ProcHandle>; close: () => void } {
  const sockets: net.Socket[] = [];
  const stoppedOne = new Promise<ProcHandle>((resolve) => {
    let done = false;
    for (const s of sentinels) {
      const socket = net.connect(s.port, HOST);
      sockets.push(socket);
      socket.on('error', () => undefined);
      socket.write(`*2\r\n$9\r\nSUBSCRIBE\r\n$${channel.length}\r\n${channel}\r\n`);
      let seen = '';
      socket.on('data', (chunk: Buffer) => {
        seen += chunk.toString('latin1');
        // The subscribe confirmation has no payload; a message carries "slave <name> ...".
        if (done || !/\$\d+\r\nslave /.test(seen)) return;
        done = true;
        process.kill(s.pid, 'SIGSTOP');
        stopped.add(s.pid);
        resolve(s);
      });
    }
  });
  return { stoppedOne, close: () => { for (const socket of sockets) socket.destroy(); } };
}

interface Topology {
  master: ProcHandle;
  replicas: [ProcHandle, ProcHandle];
  sentinels: ProcHandle[];
}

/**
 * A master, two replicas and three tssentinels that see both replicas synced
 * and each other. `prepare` runs on the replicas before the Sentinels start;
 * `seen` is what every Sentinel must also show of the replicas first.
 */
async function topology(failoverTimeoutMs: number, prepare: (replicas: [ProcHandle, ProcHandle]) => Promise<void>,
  seen: (replicas: string[][]) => boolean = () => true): Promise<Topology> {
  const master = await startRedis();
  const replicas = await startAll([
    startRedis({ replicaOf: { host: HOST, port: master.port } }),
    startRedis({ replicaOf: { host: HOST, port: master.port } }),
  ]);
  await prepare(replicas);
  const text = [
    `sentinel monitor mymaster ${HOST} ${master.port} 2`,
    `sentinel down-after-milliseconds mymaster ${DOWN_AFTER_MS}`,
    `sentinel failover-timeout mymaster ${failoverTimeoutMs}`,
    '',
  ].join('\n');
  const sentinels = await startAll([startTsSentinel(text), startTsSentinel(text), startTsSentinel(text)]);
  for (const s of sentinels) {
    // Only a replica seen synced can be promoted.
    await waitFor(async () => {
      const m = await masterInfo(s);
      const list = toPlain(await call(s.port, 'SENTINEL', 'REPLICAS', 'mymaster')) as string[][];
      return m['num-other-sentinels'] === '2' && list.length === 2 &&
        list.every((r) => r[r.indexOf('master-link-status') + 1] === 'ok') && seen(list);
    }, { timeoutMs: 20_000, what: `port ${s.port} to see 2 synced replicas and 2 peers` });
  }
  return { master, replicas, sentinels };
}

async function role(p: ProcHandle): Promise<string> {
  const r = toPlain(await call(p.port, 'ROLE'));
  return Array.isArray(r) ? String(r[0]) : JSON.stringify(r);
}

describe('a link whose process stalls between a failover decision and its write', () => {
  it('does not send the queued SLAVEOF NO ONE to a real replica, and reports the stall', async () => {
    const master = await startRedis();
    const replica = await startRedis({ replicaOf: { host: HOST, port: master.port } });
    const downs: string[] = [];
    const link = new InstanceLink({
      host: HOST, port: replica.port, auth: () => ({}), clientNamePrefix: 'sentinel-00000000',
      rename: (c) => c, stallLimitMs: () => 2_000,
    }, { up: () => undefined, down: (reason) => downs.push(reason), pubsubUp: () => undefined,
      pubsubDown: () => undefined, message: () => undefined });
    try {
      link.connect();
      await waitFor(() => link.connected, { what: 'the link up' });
      const outcome = new Promise<string>((resolve) => link.transaction([['slaveof', 'NO', 'ONE']],
        (err) => resolve(err ? err.name : 'sent')));
      // The process stops after the decision and before its write: 2.5 s with the event loop held.
      const until = performance.now() + 2_500;
      while (performance.now() < until) { /* stalled */ }
      expect(await outcome).toBe('StalledError');
      expect(downs[0]).toMatch(/^not sent: the process stalled for \d+ ms/);
      await sleep(200);
      expect(await role(replica)).toBe('slave');
      // A decision taken after the stall goes out as usual.
      link.connect();
      await waitFor(() => link.connected, { what: 'the link up again' });
      const again = await new Promise<string>((resolve) => link.transaction([['slaveof', 'NO', 'ONE']],
        (err) => resolve(err ? err.name : 'sent')));
      expect(again).toBe('sent');
      expect(await role(replica)).toBe('master');
    } finally {
      link.close();
    }
  });
});

describe('a leader stopped in the middle of a failover step', () => {
  it('enters TILT first after SIGCONT and sends nothing decided before the stop; the failover resumes after TILT', async () => {
    const { master, replicas, sentinels } = await topology(FAILOVER_TIMEOUT_MS, async () => undefined);
    for (const s of sentinels) {
      expect(toPlain(await call(s.port, 'SENTINEL', 'DEBUG', 'TILT-PERIOD', String(TILT_PERIOD_MS)))).toBe('OK');
    }
    const logs = await Promise.all(sentinels.map((s) => EventLog.open(s, `port ${s.port}`)));
    const trap = stopFirstToPublish(sentinels, '+selected-slave');

    await master.kill9();
    const leader = await trap.stoppedOne.finally(() => trap.close());
    const leaderLog = logs[sentinels.indexOf(leader)]!;
    await sleep(STALL_MS);
    // Whether SLAVEOF NO ONE left before the stop (the stop landed after the write) decides what can be checked.
    const promotedBeforeStop = (await Promise.all(replicas.map(role))).includes('master');
    const eventsBefore = leaderLog.events.length;
    process.kill(leader.pid, 'SIGCONT');
    stopped.delete(leader.pid);

    await leaderLog.waitEvent('+tilt', undefined, 10_000);
    const afterResume = leaderLog.events.slice(eventsBefore).map((e) => e.channel);
    // The first thing published after the stop is the stall being noticed.
    expect(afterResume[0]).toBe('+tilt');
    if (!promotedBeforeStop) {
      // During TILT nothing decided on the old view goes out: no replica becomes master.
      const watchUntilMs = Date.now() + TILT_PERIOD_MS - 2_000;
      while (Date.now() < watchUntilMs) {
        expect(await Promise.all(replicas.map(role))).toEqual(['slave', 'slave']);
        await sleep(200);
      }
    }
    // After TILT the failover goes on: one master, named by every Sentinel.
    const promoted = await waitFor(async () => {
      const roles = await Promise.all(replicas.map(role));
      const masters = replicas.filter((_, i) => roles[i] === 'master');
      return masters.length === 1 ? masters[0] : undefined;
    }, { timeoutMs: 60_000, intervalMs: 200, what: 'one replica promoted' });
    for (const s of sentinels) {
      await waitFor(async () => {
        const addr = toPlain(await call(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'));
        return JSON.stringify(addr) === JSON.stringify([HOST, String(promoted.port)]);
      }, { timeoutMs: 30_000, intervalMs: 200, what: `port ${s.port} to name the promoted replica` });
    }
    expect((await Promise.all(replicas.map(role))).filter((r) => r === 'master')).toHaveLength(1);
    console.log(`stall test: SLAVEOF NO ONE ${promotedBeforeStop ? 'had left before the stop (nothing to hold back)' : 'was held back'}; ` +
      `leader events after SIGCONT: ${afterResume.slice(0, 6).join(' ')}`);
  }, 180_000);
});

describe('a leader stopped after SLAVEOF NO ONE, before it saw the promotion', () => {
  it('the next leader keeps the replica that already reports role:master, even when the usual rules prefer another', async () => {
    const { master, replicas: [first, second], sentinels } = await topology(3_000, async ([r]) => {
      // `first` wins the first election's selection (lower priority number).
      expect(toPlain(await call(r.port, 'CONFIG', 'SET', 'replica-priority', '10'))).toBe('OK');
    }, (list) => list.some((r) => r[r.indexOf('slave-priority') + 1] === '10'));
    const trap = stopFirstToPublish(sentinels, '+failover-state-wait-promotion');
    await master.kill9();
    const leader = await trap.stoppedOne.finally(() => trap.close());
    await waitFor(async () => (await role(first)) === 'master', { timeoutMs: 5_000, what: 'the first pick promoted' });
    // Now the usual rules prefer `second`: the next leader must keep `first` all the same.
    expect(toPlain(await call(second.port, 'CONFIG', 'SET', 'replica-priority', '1'))).toBe('OK');
    const others = sentinels.filter((s) => s !== leader);
    const logs = await Promise.all(others.map((s) => EventLog.open(s, `port ${s.port}`)));
    await Promise.race(logs.map((l) => l.waitEvent('+selected-slave', undefined, 30_000)));
    const selected = logs.flatMap((l) => l.events).find((e) => e.channel === '+selected-slave')!;
    expect(selected.message).toContain(`${HOST}:${first.port} `);
    await sleep(1_000);
    expect(await role(second)).toBe('slave');
    process.kill(leader.pid, 'SIGCONT');
    stopped.delete(leader.pid);
    for (const s of sentinels) {
      await waitFor(async () => {
        const addr = toPlain(await call(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'));
        return JSON.stringify(addr) === JSON.stringify([HOST, String(first.port)]);
      }, { timeoutMs: 30_000, intervalMs: 200, what: `port ${s.port} to name the replica promoted first` });
    }
    expect([await role(first), await role(second)]).toEqual(['master', 'slave']);
  }, 120_000);
});
