/**
 * Never promote an empty replica (issue 12): a replica still waiting for its
 * first sync (the master does diskless sync with a delay, so the replica
 * reports master_link_status:down and master_link_down_since_seconds:-1)
 * must not be promoted by SENTINEL FAILOVER: every write would be lost.
 * redis-sentinel 7.0.15 promotes it; tssentinel answers NOGOODSLAVE and logs
 * why, then fails over once the replica has synced.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startAll, startRealSentinel, startRedis, startTsSentinel, stopAll, type ProcHandle } from '../support/procs.js';
import { toPlain } from '../support/resp.js';
import { call } from '../support/sentinel.js';
import { waitFor } from '../support/wait.js';

afterAll(async () => {
  await stopAll();
});

/** A master with data whose diskless sync waits 6 s, and a fresh replica of it. */
async function unsyncedPair(): Promise<{ master: ProcHandle; replica: ProcHandle }> {
  const master = await startRedis({ extraArgs: ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '6'] });
  await call(master.port, 'SET', 'precious', 'data');
  const replica = await startRedis({ replicaOf: { host: '127.0.0.1', port: master.port } });
  return { master, replica };
}

async function replicaFields(s: ProcHandle): Promise<Record<string, string>> {
  const list = toPlain(await call(s.port, 'SENTINEL', 'REPLICAS', 'mymaster')) as string[][];
  const r = list[0] ?? [];
  return Object.fromEntries(r.flatMap((v, i) => (i % 2 === 0 ? [[v, r[i + 1] ?? '']] : [])));
}

describe('a replica that never completed its first sync', () => {
  it('is not promoted by SENTINEL FAILOVER (redis-sentinel promotes it), and is once synced', async () => {
    const [ts, real] = await Promise.all([unsyncedPair(), unsyncedPair()]);
    const conf = (p: number) => `sentinel monitor mymaster 127.0.0.1 ${p} 1\nsentinel down-after-milliseconds mymaster 5000\n`;
    const [tsSentinel, realSentinel] = await startAll([startTsSentinel(conf(ts.master.port)), startRealSentinel(conf(real.master.port))]);
    for (const s of [tsSentinel!, realSentinel!]) {
      // Discovered and polled, with the link still never up.
      await waitFor(async () => {
        const r = await replicaFields(s);
        const polled = (r['runid'] ?? '') !== '' && !(r['flags'] ?? '').includes('disconnected');
        return polled && r['master-link-status'] === 'err' ? r : undefined;
      }, { timeoutMs: 15_000, what: `${s.kind} to see the unsynced replica` });
    }
    const realReply = toPlain(await call(realSentinel!.port, 'SENTINEL', 'FAILOVER', 'mymaster'));
    const tsReply = toPlain(await call(tsSentinel!.port, 'SENTINEL', 'FAILOVER', 'mymaster'));
    expect(realReply).toBe('OK');
    expect(tsReply).toEqual({ error: 'NOGOODSLAVE No suitable replica to promote' });
    // Log lines are written asynchronously.
    await waitFor(() => /no replica can be promoted: 127\.0\.0\.1:\d+: never completed a first sync/.test(tsSentinel!.logTail(50)) || undefined,
      { timeoutMs: 5_000, what: `the reason in the log (tail: ${tsSentinel!.logTail(5)})` });
    // The real one promoted the empty replica: the key is gone on its new master.
    await waitFor(async () => JSON.stringify(toPlain(await call(real.replica.port, 'ROLE'))).startsWith('["master"'), {
      timeoutMs: 15_000, what: 'redis-sentinel to promote the empty replica',
    });
    expect(toPlain(await call(real.replica.port, 'GET', 'precious'))).toBeNull();
    // Once the first sync is done, tssentinel fails over, and the data is there.
    await waitFor(async () => /master_link_status:up/.test(String(toPlain(await call(ts.replica.port, 'INFO', 'replication')))), {
      timeoutMs: 20_000, what: 'the replica to finish its first sync',
    });
    await waitFor(async () => toPlain(await call(tsSentinel!.port, 'SENTINEL', 'FAILOVER', 'mymaster')) === 'OK' || undefined, {
      timeoutMs: 15_000, what: 'SENTINEL FAILOVER accepted once the replica synced',
    });
    await waitFor(async () => JSON.stringify(toPlain(await call(ts.replica.port, 'ROLE'))).startsWith('["master"'), {
      timeoutMs: 15_000, what: 'the synced replica promoted',
    });
    expect(toPlain(await call(ts.replica.port, 'GET', 'precious'))).toBe('data');
  }, 90_000);
});
