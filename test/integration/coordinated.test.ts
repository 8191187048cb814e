/**
 * SENTINEL FAILOVER <name> COORDINATED end to end (issue 12): a master, two
 * replicas, Sentinels on loopback.
 *
 * (a) 2 tssentinels + 1 real redis-sentinel: the asked tssentinel wins the
 *     election (the real one votes although the master is up), the master
 *     hands over with FAILOVER TO, the old master is a replica of the new one
 *     at once, the real Sentinel (which knows nothing of COORDINATED)
 *     converges through hello; at no sample are there two masters.
 * (b) an ACL user without +failover on the master, (b2) FAILOVER renamed
 *     away: the failover aborts cleanly (-failover-abort-coordinated-refused),
 *     the master stays.
 * (c) the selected replica is stopped then killed mid-switch: the switch is
 *     aborted (FAILOVER ABORT after the timeout, -failover-abort-coordinated-timeout)
 *     or completes; one master in the end, named by every Sentinel.
 * (d) the leader is killed mid-switch: the master completes the swap alone,
 *     the surviving Sentinels converge on one master, never two.
 * (e) an old master SIGSTOPped through an automatic failover is converted on
 *     its first INFO after SIGCONT.
 * (f) plain SENTINEL FAILOVER repoints the reachable old master at the
 *     promotion (+demote-old-master).
 */
import fs from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startAll, startRealSentinel, startRedis, startTsSentinel, stopAll, type ProcHandle } from '../support/procs.js';
import { RawClient, parseInfo, textOf, toPlain, type Plain } from '../support/resp.js';
import { waitFor } from '../support/wait.js';
import { call, masterInfo, EventLog, closeEventLogs } from '../support/sentinel.js';

const HOST = '127.0.0.1';
const DOWN_AFTER_MS = 1_000;
const FAILOVER_TIMEOUT_MS = 6_000;
const TEST_TIMEOUT_MS = 120_000;
const ACL_USER = 'sentinel-user';
const ACL_PASS = 'sentinel-pass';

afterAll(async () => {
  await closeEventLogs();
  await stopAll();
});

interface Group {
  master: ProcHandle;
  replicas: ProcHandle[];
  sentinels: ProcHandle[];
  logs: EventLog[];
}

const stopped = new Set<number>();
afterEach(() => {
  for (const pid of stopped) {
    try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ }
  }
  stopped.clear();
});

/**
 * Only a SLAVEOF transaction that did not take effect is a failure: not one
 * whose EXEC reply was lost with the link while the instance switched.
 */
function expectNoSlaveofFailureLogged(sentinels: readonly ProcHandle[]): void {
  for (const s of sentinels) expect(fs.readFileSync(s.logPath, 'utf8'), s.logPath).not.toContain('SLAVEOF transaction failed');
}

function signal(p: ProcHandle, sig: 'SIGSTOP' | 'SIGCONT'): void {
  process.kill(p.pid, sig);
  if (sig === 'SIGSTOP') stopped.add(p.pid);
  else stopped.delete(p.pid);
}

function conf(masterPort: number, extra: readonly string[] = []): string {
  return [
    `sentinel monitor mymaster ${HOST} ${masterPort} 2`,
    `sentinel down-after-milliseconds mymaster ${DOWN_AFTER_MS}`,
    `sentinel failover-timeout mymaster ${FAILOVER_TIMEOUT_MS}`,
    ...extra,
    '',
  ].join('\n');
}

async function replication(port: number): Promise<Record<string, string>> {
  const section = parseInfo(textOf(await call(port, 'INFO', 'replication'))).find((s) => s.name === 'Replication');
  return Object.fromEntries(section?.fields ?? []);
}

async function startGroup(kinds: ReadonlyArray<'ts' | 'real'>, redisArgs: readonly string[] = [], sentinelExtra: readonly string[] = []): Promise<Group> {
  const master = await startRedis({ extraArgs: redisArgs });
  const replicas = await startAll([
    startRedis({ replicaOf: { host: HOST, port: master.port }, extraArgs: redisArgs }),
    startRedis({ replicaOf: { host: HOST, port: master.port }, extraArgs: redisArgs }),
  ]);
  const text = conf(master.port, sentinelExtra);
  const sentinels = await startAll(kinds.map((k) => (k === 'ts' ? startTsSentinel(text) : startRealSentinel(text))));
  for (const [i, s] of sentinels.entries()) {
    await waitFor(async () => {
      const m = await masterInfo(s);
      return m['num-slaves'] === '2' && m['num-other-sentinels'] === String(kinds.length - 1);
    }, { timeoutMs: 20_000, what: `sentinel #${i} to see 2 replicas and ${kinds.length - 1} peers` });
  }
  // The asked Sentinel promotes only replicas it has seen synced.
  await waitFor(async () => {
    const list = toPlain(await call(sentinels[0]!.port, 'SENTINEL', 'REPLICAS', 'mymaster')) as string[][];
    return (list.length === 2 && list.every((r) => r[r.indexOf('master-link-status') + 1] === 'ok')) || undefined;
  }, { timeoutMs: 20_000, what: 'sentinel #0 to see both replicas synced' });
  const logs = await Promise.all(sentinels.map((s, i) => EventLog.open(s, `sentinel #${i} (port ${s.port})`)));
  return { master, replicas, sentinels, logs };
}

/**
 * Samples ROLE of every data node every 25 ms until stopped; records the
 * most masters seen answering in one round (a stopped process answers
 * nothing and takes no writes).
 */
function roleSampler(nodes: readonly ProcHandle[]): { stop: () => Promise<number>; rounds: () => number } {
  let running = true;
  let maxMasters = 0;
  let rounds = 0;
  const roleOf = async (port: number): Promise<Plain | undefined> => {
    const client = await RawClient.connect(port, { timeoutMs: 200 }).catch(() => undefined);
    if (!client) return undefined;
    try {
      return toPlain(await client.call('ROLE'));
    } catch {
      return undefined;
    } finally {
      await client.close().catch(() => undefined);
    }
  };
  const loop = (async () => {
    while (running) {
      const roles = await Promise.all(nodes.map((n) => roleOf(n.port)));
      maxMasters = Math.max(maxMasters, roles.filter((r) => Array.isArray(r) && r[0] === 'master').length);
      rounds += 1;
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  return { stop: async () => { running = false; await loop; return maxMasters; }, rounds: () => rounds };
}

async function mastersNow(nodes: readonly ProcHandle[]): Promise<number[]> {
  const out: number[] = [];
  for (const n of nodes) {
    const r = toPlain(await call(n.port, 'ROLE'));
    if (Array.isArray(r) && r[0] === 'master') out.push(n.port);
  }
  return out;
}

describe('(a) 2 tssentinels + 1 redis-sentinel: SENTINEL FAILOVER COORDINATED', () => {
  it('hands over without two masters; the old master follows at once; the real Sentinel converges by hello', async () => {
    const g = await startGroup(['ts', 'ts', 'real']);
    const nodes = [g.master, ...g.replicas];
    const sampler = roleSampler(nodes);
    expect(toPlain(await call(g.sentinels[0]!.port, 'SENTINEL', 'FAILOVER', 'mymaster', 'COORDINATED'))).toBe('OK');
    const sw = await g.logs[0]!.waitEvent('+switch-master', new RegExp(`^mymaster ${HOST} ${g.master.port} ${HOST} \\d+$`), 30_000);
    const newPort = Number(sw.message.split(' ')[4]);
    const leader = g.logs[0]!;
    for (const ch of ['+try-failover', '+elected-leader', '+selected-slave', '+failover-coordinated-start',
      '+failover-coordinated-end', '+promoted-slave', '+failover-end']) {
      expect(leader.find(ch), `${ch} on the leader: ${leader.channels().join(' ')}`).toBeDefined();
    }
    expect(leader.find('+failover-state-send-slaveof-noone')).toBeUndefined();
    // The real Sentinel voted for the leader although the master was up, and
    // switched on its hello.
    const leaderId = String(toPlain(await call(g.sentinels[0]!.port, 'SENTINEL', 'MYID')));
    await g.logs[2]!.waitEvent('+vote-for-leader', new RegExp(`^${leaderId} \\d+$`), 5_000);
    await g.logs[2]!.waitEvent('+switch-master', sw.message, 20_000);
    await g.logs[1]!.waitEvent('+switch-master', sw.message, 20_000);
    // The old master already replicates from the new one: no +convert-to-slave needed.
    await waitFor(async () => {
      const r = await replication(g.master.port);
      return r['role'] === 'slave' && r['master_port'] === String(newPort) && r['master_link_status'] === 'up';
    }, { timeoutMs: 10_000, what: `old master ${g.master.port} replicating from ${newPort}` });
    const other = g.replicas.find((r) => r.port !== newPort)!;
    await waitFor(async () => (await replication(other.port))['master_port'] === String(newPort),
      { timeoutMs: 20_000, what: `other replica ${other.port} repointed to ${newPort}` });
    expect(g.logs.some((l) => l.find('+convert-to-slave'))).toBe(false);
    for (const [i, s] of g.sentinels.entries()) {
      await waitFor(async () => JSON.stringify(toPlain(await call(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'))) ===
        JSON.stringify([HOST, String(newPort)]), { timeoutMs: 20_000, what: `sentinel #${i} to answer ${newPort}` });
    }
    const maxMasters = await sampler.stop();
    expect(sampler.rounds()).toBeGreaterThan(0);
    expect(maxMasters).toBe(1);
    expect(await mastersNow(nodes)).toEqual([newPort]);
  }, TEST_TIMEOUT_MS);
});

describe('(b) master refuses FAILOVER (ACL user without +failover)', () => {
  it('aborts cleanly: the master stays master, no switch', async () => {
    const user = [`--user`, ACL_USER, 'on', `>${ACL_PASS}`, 'allchannels', '~*', '+@all', '-failover'];
    const g = await startGroup(['ts', 'ts', 'ts'], user,
      [`sentinel auth-user mymaster ${ACL_USER}`, `sentinel auth-pass mymaster ${ACL_PASS}`]);
    expect(toPlain(await call(g.sentinels[0]!.port, 'SENTINEL', 'FAILOVER', 'mymaster', 'COORDINATED'))).toBe('OK');
    await g.logs[0]!.waitEvent('-failover-abort-coordinated-refused', `master mymaster ${HOST} ${g.master.port}`, 20_000);
    const m = await masterInfo(g.sentinels[0]!);
    expect(m['flags']).toBe('master');
    expect(g.logs.some((l) => l.find('+switch-master'))).toBe(false);
    expect(await mastersNow([g.master, ...g.replicas])).toEqual([g.master.port]);
    // Plain SENTINEL FAILOVER still works for this user (SLAVEOF allowed).
    expect(toPlain(await call(g.sentinels[0]!.port, 'SENTINEL', 'FAILOVER', 'mymaster'))).toBe('OK');
    await g.logs[0]!.waitEvent('+switch-master', undefined, 30_000);
  }, TEST_TIMEOUT_MS);
});

describe('(b2) master with FAILOVER disabled (rename-command FAILOVER "")', () => {
  it('aborts cleanly: the master stays master, no switch', async () => {
    const g = await startGroup(['ts', 'ts', 'ts'], ['--rename-command', 'FAILOVER', '']);
    expect(toPlain(await call(g.sentinels[0]!.port, 'SENTINEL', 'FAILOVER', 'mymaster', 'COORDINATED'))).toBe('OK');
    await g.logs[0]!.waitEvent('-failover-abort-coordinated-refused', `master mymaster ${HOST} ${g.master.port}`, 20_000);
    expect(await masterInfo(g.sentinels[0]!)).toMatchObject({ flags: 'master', port: String(g.master.port) });
    expect(g.logs.some((l) => l.find('+switch-master'))).toBe(false);
    expect(await mastersNow([g.master, ...g.replicas])).toEqual([g.master.port]);
  }, TEST_TIMEOUT_MS);
});

describe('(c) the selected replica dies mid-switch', () => {
  it('the switch is aborted or completes, never two masters, one master at the end', async () => {
    const g = await startGroup(['ts', 'ts', 'ts']);
    const nodes = [g.master, ...g.replicas];
    const sampler = roleSampler(nodes);
    // Stopped replicas never acknowledge the replication offset: the master
    // waits in FAILOVER, and the selected one is killed while it does.
    for (const r of g.replicas) signal(r, 'SIGSTOP');
    expect(toPlain(await call(g.sentinels[0]!.port, 'SENTINEL', 'FAILOVER', 'mymaster', 'COORDINATED'))).toBe('OK');
    const start = await g.logs[0]!.waitEvent('+failover-coordinated-start', undefined, 15_000);
    const selectedPort = Number(start.message.split(' ')[3]);
    const selected = g.replicas.find((r) => r.port === selectedPort)!;
    await selected.kill9();
    stopped.delete(selected.pid);
    for (const r of g.replicas) if (r !== selected) signal(r, 'SIGCONT');
    await waitFor(() => g.logs[0]!.find('-failover-abort-coordinated-timeout') ?? g.logs[0]!.find('+switch-master'),
      { timeoutMs: 30_000, what: `abort or switch on the leader (seen: ${g.logs[0]!.channels().join(' ')})` });
    const survivors = nodes.filter((n) => n !== selected);
    const maxMasters = await sampler.stop();
    expect(maxMasters).toBeLessThanOrEqual(1);
    // When the master had already demoted itself towards the killed replica
    // (its last ACK covered the offset: nothing was written), it stays a
    // replica of a dead node: an automatic failover (master reporting
    // role:slave for down-after + 2 INFO periods, ~21 s) ends it.
    const masters = await waitFor(async () => { const m = await mastersNow(survivors); return m.length === 1 ? m : undefined; },
      { timeoutMs: 60_000, intervalMs: 250, what: 'exactly one master among the survivors' });
    expect(masters).toHaveLength(1);
    // Aborted or completed, every Sentinel names that one master in the end
    // (after an abort the old master may have stayed a replica of the dead
    // target: then an automatic failover follows, which is correct too).
    const dump = () => g.logs.map((l) => `${l.label}: ${l.channels().join(' ')}`).join('\n');
    for (const [i, s] of g.sentinels.entries()) {
      await waitFor(async () => JSON.stringify(toPlain(await call(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'))) ===
        JSON.stringify([HOST, String(masters[0])]), { timeoutMs: 60_000, what: `sentinel #${i} to name ${masters[0]}\n${dump()}` });
    }
  }, TEST_TIMEOUT_MS + 60_000);
});

describe('(d) the leader dies mid-switch', () => {
  it('the master completes the swap alone; the other Sentinels converge on one master, never two', async () => {
    const g = await startGroup(['ts', 'ts', 'ts']);
    const nodes = [g.master, ...g.replicas];
    const sampler = roleSampler(nodes);
    for (const r of g.replicas) signal(r, 'SIGSTOP');
    expect(toPlain(await call(g.sentinels[0]!.port, 'SENTINEL', 'FAILOVER', 'mymaster', 'COORDINATED'))).toBe('OK');
    await g.logs[0]!.waitEvent('+failover-coordinated-start', undefined, 15_000);
    await g.sentinels[0]!.kill9();
    for (const r of g.replicas) signal(r, 'SIGCONT');
    // Whatever the master did (swap or timeout), the survivors agree on the one master.
    const agreed = await waitFor(async () => {
      const masters = await mastersNow(nodes);
      if (masters.length !== 1) return undefined;
      for (const s of g.sentinels.slice(1)) {
        const addr = toPlain(await call(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'));
        if (JSON.stringify(addr) !== JSON.stringify([HOST, String(masters[0])])) return undefined;
      }
      return masters[0];
    }, { timeoutMs: 90_000, intervalMs: 250, what: 'one master, named by both surviving Sentinels' });
    expect(agreed).toBeGreaterThan(0);
    expect(await sampler.stop(), g.logs.map((l) => `${l.label}: ${l.events.map((e) => `${e.channel} ${e.message}`).join('\n')}`).join('\n\n'))
      .toBeLessThanOrEqual(1);
  }, TEST_TIMEOUT_MS + 60_000);
});

describe('(e) an old master SIGSTOPped through a failover, then SIGCONT', () => {
  it('is converted on its first INFO as a master (+convert-to-slave), one master in the end', async () => {
    const g = await startGroup(['ts', 'ts', 'ts']);
    signal(g.master, 'SIGSTOP');
    const sw = await g.logs[0]!.waitEvent('+switch-master', new RegExp(`^mymaster ${HOST} ${g.master.port} `), 30_000);
    const newPort = Number(sw.message.split(' ')[4]);
    for (const l of g.logs.slice(1)) await l.waitEvent('+switch-master', sw.message, 20_000);
    signal(g.master, 'SIGCONT');
    const converted = `slave ${HOST}:${g.master.port} ${HOST} ${g.master.port} @ mymaster ${HOST} ${newPort}`;
    await waitFor(() => g.logs.some((l) => l.find('+convert-to-slave', converted)), {
      timeoutMs: 30_000, what: `+convert-to-slave ${converted} (seen: ${g.logs.map((l) => l.channels().join(' ')).join(' | ')})`,
    });
    await waitFor(async () => (await replication(g.master.port))['master_port'] === String(newPort),
      { timeoutMs: 10_000, what: `old master ${g.master.port} replicating from ${newPort}` });
    expect(await mastersNow([g.master, ...g.replicas])).toEqual([newPort]);
    expectNoSlaveofFailureLogged(g.sentinels);
  }, TEST_TIMEOUT_MS);
});

describe('(f) plain SENTINEL FAILOVER of a reachable master', () => {
  it('repoints the old master at the promotion (+demote-old-master), without waiting for +convert-to-slave', async () => {
    const g = await startGroup(['ts', 'ts', 'ts']);
    expect(toPlain(await call(g.sentinels[0]!.port, 'SENTINEL', 'FAILOVER', 'mymaster'))).toBe('OK');
    await g.logs[0]!.waitEvent('+demote-old-master', `master mymaster ${HOST} ${g.master.port}`, 20_000);
    const promoted = g.logs[0]!.find('+promoted-slave');
    expect(promoted, g.logs[0]!.channels().join(' ')).toBeDefined();
    const newPort = Number(promoted!.message.split(' ')[3]);
    await waitFor(async () => {
      const r = await replication(g.master.port);
      return r['role'] === 'slave' && r['master_port'] === String(newPort);
    }, { timeoutMs: 10_000, what: `old master ${g.master.port} replicating from ${newPort}` });
    await g.logs[0]!.waitEvent('+switch-master', undefined, 30_000);
    expect(g.logs.some((l) => l.find('+convert-to-slave'))).toBe(false);
    expect(await mastersNow([g.master, ...g.replicas])).toEqual([newPort]);
    expectNoSlaveofFailureLogged(g.sentinels);
  }, TEST_TIMEOUT_MS);
});
