/**
 * Changes made while everything runs, each compared with the real
 * redis-sentinel watching the same servers:
 *
 * - credentials: the servers move from `requirepass` to an ACL user (default
 *   user off, its clients killed); Sentinels given `SENTINEL SET auth-user /
 *   auth-pass` link again, the others show `disconnected` (so do Sentinels
 *   given a user that may not SUBSCRIBE), and all link again once the
 *   default user is back;
 * - `replica-announced no` on a replica: gone from SENTINEL REPLICAS, back
 *   with `yes`, and still a failover candidate;
 * - `SENTINEL CONFIG SET announce-hostnames` switches replies, events and
 *   hellos between the hostname (`localhost`) and its address.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startAll, startRealSentinel, startRedis, startTsSentinel, stopAll, type ProcHandle } from '../support/procs.js';
import { RawClient, toPlain, toRecord, type Plain, type RespValue } from '../support/resp.js';
import { EventLog, closeEventLogs } from '../support/sentinel.js';
import { waitFor } from '../support/wait.js';

afterAll(async () => {
  await closeEventLogs();
  await stopAll();
});

async function call(port: number, auth: readonly string[], ...args: string[]): Promise<RespValue> {
  const client = await RawClient.connect(port, { timeoutMs: 3_000 });
  try {
    if (auth.length > 0) {
      const ok = await client.call('AUTH', ...auth);
      if (ok.type !== 'simple') throw new Error(`AUTH on ${port}: ${JSON.stringify(toPlain(ok))}`);
    }
    return await client.call(...args);
  } finally {
    await client.close();
  }
}

async function ok(port: number, auth: readonly string[], ...args: string[]): Promise<void> {
  const reply = toPlain(await call(port, auth, ...args));
  if (typeof reply === 'object' && reply !== null && 'error' in reply) {
    throw new Error(`${args.join(' ')} on ${port}: ${reply.error}`);
  }
}

async function records(port: number, ...args: string[]): Promise<Array<Record<string, Plain>>> {
  const v = await call(port, [], ...args);
  return v.type === 'array' ? v.items.map(toRecord) : [];
}

/** Flags of the master and of each replica, as SENTINEL MASTER / REPLICAS report them. */
async function linkFlags(s: ProcHandle): Promise<string[]> {
  const m = toRecord(await call(s.port, [], 'SENTINEL', 'MASTER', 'mymaster'));
  const replicas = await records(s.port, 'SENTINEL', 'REPLICAS', 'mymaster');
  return [String(m['flags']), ...replicas.map((r) => String(r['flags']))];
}

function label(s: ProcHandle): string {
  return `${s.kind}:${s.port}`;
}

const DOWN_AFTER_MS = 2_000;

describe('credentials changed at run time', () => {
  it('re-links with SENTINEL SET auth-user/auth-pass; without them shows disconnected; heals when the default user is back', async () => {
    const master = await startRedis();
    const replicas = await startAll([
      startRedis({ replicaOf: { host: '127.0.0.1', port: master.port } }),
      startRedis({ replicaOf: { host: '127.0.0.1', port: master.port } }),
    ] as const);
    const servers = [master, ...replicas];
    // Passwords are set once the servers run: the start-up check PINGs without one.
    for (const s of servers) {
      await ok(s.port, [], 'CONFIG', 'SET', 'masterauth', 'pw');
      await ok(s.port, [], 'CONFIG', 'SET', 'requirepass', 'pw');
    }
    const conf = [
      `sentinel monitor mymaster 127.0.0.1 ${master.port} 2`,
      `sentinel down-after-milliseconds mymaster ${DOWN_AFTER_MS}`,
      'sentinel failover-timeout mymaster 60000',
      'sentinel auth-pass mymaster pw',
      '',
    ].join('\n');
    // "given": told the new credentials; "kept": left with the old password.
    const [tsGiven, tsKept, realGiven, realKept] = await startAll([
      startTsSentinel(conf), startTsSentinel(conf), startRealSentinel(conf), startRealSentinel(conf),
    ] as const);
    const all = [tsGiven, tsKept, realGiven, realKept];
    const linked = async (s: ProcHandle): Promise<boolean> => {
      const flags = await linkFlags(s);
      return flags.length === 3 && flags[0] === 'master' && flags.slice(1).every((f) => f === 'slave');
    };
    for (const s of all) {
      await waitFor(() => linked(s), { timeoutMs: 15_000, what: `${label(s)} linked to the master and 2 replicas` });
    }

    // The switch, as an operator does it: an ACL user for Sentinels, one for
    // replication, the default user off and its clients killed.
    const admin = ['admin', 'adminpw'];
    for (const s of servers) {
      await ok(s.port, ['pw'], 'ACL', 'SETUSER', 'admin', 'on', '>adminpw', '~*', '&*', '+@all');
      await ok(s.port, ['pw'], 'ACL', 'SETUSER', 'sentuser', 'on', '>spw', '~*', '&*', '+@all');
      await ok(s.port, ['pw'], 'ACL', 'SETUSER', 'repl', 'on', '>rpw', '+@all');
      // No channel rights (resetchannels): SUBSCRIBE __sentinel__:hello is refused.
      await ok(s.port, ['pw'], 'ACL', 'SETUSER', 'nochan', 'on', '>npw', '~*', 'resetchannels', '+@all');
    }
    for (const r of replicas) {
      await ok(r.port, admin, 'CONFIG', 'SET', 'masteruser', 'repl');
      await ok(r.port, admin, 'CONFIG', 'SET', 'masterauth', 'rpw');
    }
    for (const s of servers) {
      await ok(s.port, admin, 'ACL', 'SETUSER', 'default', 'off');
      await ok(s.port, admin, 'CLIENT', 'KILL', 'USER', 'default');
    }
    for (const s of [tsGiven, realGiven]) {
      await ok(s.port, [], 'SENTINEL', 'SET', 'mymaster', 'auth-user', 'sentuser', 'auth-pass', 'spw');
    }

    const kept = (s: ProcHandle) => async (): Promise<boolean> => {
      const flags = await linkFlags(s);
      return flags.length === 3 && flags.every((f) => f.includes('disconnected'));
    };
    for (const s of [tsGiven, realGiven]) {
      await waitFor(() => linked(s), { timeoutMs: 10_000, what: `${label(s)} re-linked with the ACL user` });
    }
    for (const s of [tsKept, realKept]) {
      await waitFor(kept(s), { timeoutMs: 10_000, what: `${label(s)} shows every instance disconnected` });
    }
    // The Sentinels with the new credentials stay linked (no flapping link).
    for (const s of [tsGiven, realGiven]) {
      await waitFor(async () => {
        const m = toRecord(await call(s.port, [], 'SENTINEL', 'MASTER', 'mymaster'));
        return Number(m['last-ok-ping-reply']) < DOWN_AFTER_MS;
      }, { timeoutMs: 5_000, what: `${label(s)} PINGs answered` });
      expect(await linked(s), label(s)).toBe(true);
    }

    // A user that may not SUBSCRIBE: Redis counts the instance link as
    // disconnected (its pub/sub half is refused) until the user may.
    for (const s of [tsGiven, realGiven]) {
      await ok(s.port, [], 'SENTINEL', 'SET', 'mymaster', 'auth-user', 'nochan', 'auth-pass', 'npw');
    }
    for (const s of [tsGiven, realGiven]) {
      await waitFor(kept(s), { timeoutMs: 10_000, what: `${label(s)} disconnected with a user without channel rights` });
    }
    for (const s of servers) await ok(s.port, admin, 'ACL', 'SETUSER', 'nochan', '&__sentinel__:*');
    for (const s of [tsGiven, realGiven]) {
      await waitFor(() => linked(s), { timeoutMs: 10_000, what: `${label(s)} re-linked once the user may subscribe` });
    }

    // Reset back: the default user with its password again.
    for (const s of servers) await ok(s.port, admin, 'ACL', 'SETUSER', 'default', 'on');
    for (const s of all) {
      await waitFor(async () => (await linkFlags(s)).every((f) => !f.includes('disconnected')),
        { timeoutMs: 15_000, what: `${label(s)} linked again after the default user is back` });
    }
  }, 60_000);
});

describe('auth-user without auth-pass', () => {
  it('sends no AUTH at all, as redis-sentinel (the link works with a server without a password)', async () => {
    const master = await startRedis();
    const conf = [
      `sentinel monitor mymaster 127.0.0.1 ${master.port} 1`,
      'sentinel down-after-milliseconds mymaster 2000',
      'sentinel auth-user mymaster someone',
      '',
    ].join('\n');
    const sentinels = await startAll([startRealSentinel(conf), startTsSentinel(conf)] as const);
    for (const s of sentinels) {
      await waitFor(async () => {
        const m = toRecord(await call(s.port, [], 'SENTINEL', 'MASTER', 'mymaster'));
        return m['flags'] === 'master' && m['role-reported'] === 'master' && Number(m['info-refresh']) < 10_000;
      }, { timeoutMs: 10_000, what: `${label(s)} linked to the master` });
    }
  }, 30_000);
});

type SentinelStarter = (conf: string) => Promise<ProcHandle>;

async function replicaPorts(s: ProcHandle): Promise<number[]> {
  return (await records(s.port, 'SENTINEL', 'REPLICAS', 'mymaster')).map((r) => Number(r['port'])).sort((a, b) => a - b);
}

/**
 * One Sentinel (real or ts) over a master and two replicas: replica A says
 * `replica-announced no` (and is the preferred candidate, priority 1).
 * Returns what SENTINEL REPLICAS / MASTER showed at each stage and which
 * replica SENTINEL FAILOVER promoted.
 */
async function unannouncedScenario(start: SentinelStarter): Promise<Record<string, unknown>> {
  const master = await startRedis();
  const [a, b] = await startAll([
    startRedis({ replicaOf: { host: '127.0.0.1', port: master.port } }),
    startRedis({ replicaOf: { host: '127.0.0.1', port: master.port } }),
  ] as const);
  const s = await start([
    `sentinel monitor mymaster 127.0.0.1 ${master.port} 1`,
    'sentinel down-after-milliseconds mymaster 1000',
    'sentinel failover-timeout mymaster 20000',
    '',
  ].join('\n'));
  await ok(s.port, [], 'SENTINEL', 'DEBUG', 'INFO-PERIOD', '200');
  const both = [a.port, b.port].sort((x, y) => x - y);
  const same = (want: number[]) => async () => JSON.stringify(await replicaPorts(s)) === JSON.stringify(want);
  await waitFor(same(both), { timeoutMs: 15_000, what: `${label(s)} lists both replicas` });

  await ok(a.port, [], 'CONFIG', 'SET', 'replica-priority', '1');
  await ok(a.port, [], 'CONFIG', 'SET', 'replica-announced', 'no');
  await waitFor(same([b.port]), { timeoutMs: 10_000, what: `${label(s)} hides the unannounced replica` });
  const hidden = toRecord(await call(s.port, [], 'SENTINEL', 'MASTER', 'mymaster'));

  await ok(a.port, [], 'CONFIG', 'SET', 'replica-announced', 'yes');
  await waitFor(same(both), { timeoutMs: 10_000, what: `${label(s)} lists the replica again` });
  await ok(a.port, [], 'CONFIG', 'SET', 'replica-announced', 'no');
  await waitFor(same([b.port]), { timeoutMs: 10_000, what: `${label(s)} hides it again` });

  // Wait until A's priority is known to the Sentinel (INFO seen after the change).
  await waitFor(async () => {
    const cache = toPlain(await call(s.port, [], 'SENTINEL', 'INFO-CACHE', 'mymaster'));
    const text = JSON.stringify(cache);
    // tssentinel promotes only replicas it has seen synced (never an empty one).
    const synced = !text.includes('master_link_down_since_seconds:-1');
    return synced && (text.includes(`slave_priority:1\\r\\n`) || text.includes('replica_priority:1\\r\\n'));
  }, { timeoutMs: 10_000, what: `${label(s)} saw replica A's priority 1, and both replicas synced` });
  await ok(s.port, [], 'SENTINEL', 'FAILOVER', 'mymaster');
  const promoted = await waitFor(async () => {
    const addr = toPlain(await call(s.port, [], 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'));
    return Array.isArray(addr) && Number(addr[1]) !== master.port ? Number(addr[1]) : undefined;
  }, { timeoutMs: 20_000, what: `${label(s)} fails over` });
  return {
    numSlavesWhileHidden: hidden['num-slaves'],
    promoted: promoted === a.port ? 'unannounced A' : promoted === b.port ? 'announced B' : promoted,
  };
}

describe('replica-announced', () => {
  it('hides a replica that says replica-announced no, as redis-sentinel does; it stays a failover candidate', async () => {
    const [real, ts] = await Promise.all([
      unannouncedScenario((conf) => startRealSentinel(conf)),
      unannouncedScenario((conf) => startTsSentinel(conf)),
    ]);
    expect(ts).toEqual(real);
    expect(ts).toEqual({ numSlavesWhileHidden: '2', promoted: 'unannounced A' });
  }, 60_000);
});

/** Collects the hellos published on a redis-server's `__sentinel__:hello` channel. */
async function helloWatcher(port: number): Promise<{ hellos: string[]; close: () => Promise<void> }> {
  const client = await RawClient.connect(port);
  await client.call('SUBSCRIBE', '__sentinel__:hello');
  const hellos: string[] = [];
  void (async () => {
    for (;;) {
      try {
        const p = toPlain(await client.read(3_600_000));
        if (Array.isArray(p) && p[0] === 'message') hellos.push(String(p[2]));
      } catch {
        return;
      }
    }
  })();
  return { hellos, close: () => client.close() };
}

describe('announce-hostnames switched at run time', () => {
  it('shows the hostname or its address in replies, events and hellos, as redis-sentinel does', async () => {
    const master = await startRedis();
    const replica = await startRedis({
      replicaOf: { host: 'localhost', port: master.port },
      extraArgs: ['--replica-announce-ip', 'localhost'],
    });
    const conf = [
      'sentinel resolve-hostnames yes',
      'sentinel announce-hostnames yes',
      `sentinel monitor mymaster localhost ${master.port} 1`,
      'sentinel down-after-milliseconds mymaster 2000',
      '',
    ].join('\n');
    const [real, ts] = await startAll([startRealSentinel(conf), startTsSentinel(conf)] as const);
    const watcher = await helloWatcher(master.port);
    const logs = new Map<ProcHandle, EventLog>();
    for (const s of [real, ts]) logs.set(s, await EventLog.open(s, label(s)));
    for (const s of [real, ts]) {
      await waitFor(async () => toRecord(await call(s.port, [], 'SENTINEL', 'MASTER', 'mymaster'))['num-slaves'] === '1',
        { timeoutMs: 15_000, what: `${label(s)} discovers the replica` });
    }

    /** What one Sentinel shows of the master and replica addresses right now. */
    const view = async (s: ProcHandle, quorum: string): Promise<Record<string, unknown>> => {
      const myId = String(toPlain(await call(s.port, [], 'SENTINEL', 'MYID')));
      const helloFrom = watcher.hellos.length;
      const log = logs.get(s)!;
      const eventFrom = log.events.length;
      await ok(s.port, [], 'SENTINEL', 'SET', 'mymaster', 'quorum', quorum);
      const setEvent = await waitFor(() => log.events.slice(eventFrom).find((e) => e.channel === '+set'),
        { timeoutMs: 5_000, what: `${label(s)} +set event` });
      // Hellos go out every 2 s: the next one of this Sentinel on the master.
      const hello = await waitFor(() => watcher.hellos.slice(helloFrom).find((h) => h.split(',')[2] === myId),
        { timeoutMs: 10_000, what: `${label(s)} hello on the master` });
      const replicas = await records(s.port, 'SENTINEL', 'REPLICAS', 'mymaster');
      const masters = await records(s.port, 'SENTINEL', 'MASTERS');
      return {
        addr: toPlain(await call(s.port, [], 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')),
        masterIp: masters[0]?.['ip'],
        replicas: replicas.map((r) => `${String(r['name'])} ${String(r['ip'])}`),
        setEvent: setEvent.message,
        helloMasterIp: hello.split(',')[5],
      };
    };
    const expected = (host: string, quorum: string, replicaName = `localhost:${replica.port}`) => ({
      addr: [host, String(master.port)],
      masterIp: host,
      // The replica keeps the name it got when discovered; its address is shown as set.
      replicas: [`${replicaName} ${host}`],
      setEvent: `master mymaster ${host} ${master.port} quorum ${quorum}`,
      helloMasterIp: host,
    });

    const stages = [['yes', 'localhost', '1'], ['no', '127.0.0.1', '2'], ['yes', 'localhost', '1']] as const;
    for (const [i, [setting, host, quorum]] of stages.entries()) {
      // Stage 0 is the configured setting; later stages switch it.
      if (i > 0) for (const s of [real, ts]) await ok(s.port, [], 'SENTINEL', 'CONFIG', 'SET', 'announce-hostnames', setting);
      const [realView, tsView] = await Promise.all([view(real, quorum), view(ts, quorum)]);
      expect(realView, `real, announce-hostnames ${setting}`).toEqual(expected(host, quorum));
      expect(tsView, `ts, announce-hostnames ${setting}`).toEqual(realView);
    }

    // A master added by hostname while addresses are shown keeps its
    // hostname too: switching to yes shows it.
    for (const s of [real, ts]) {
      await ok(s.port, [], 'SENTINEL', 'CONFIG', 'SET', 'announce-hostnames', 'no');
      await ok(s.port, [], 'SENTINEL', 'MONITOR', 'other', 'localhost', String(master.port), '1');
      expect(toPlain(await call(s.port, [], 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'other')), label(s))
        .toEqual(['127.0.0.1', String(master.port)]);
      await ok(s.port, [], 'SENTINEL', 'CONFIG', 'SET', 'announce-hostnames', 'yes');
      expect(toPlain(await call(s.port, [], 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'other')), label(s))
        .toEqual(['localhost', String(master.port)]);
    }

    // Started with announce-hostnames no: the hostnames of the file are kept
    // beside their addresses, and the replica is named by its address.
    const confNo = conf.replace('announce-hostnames yes', 'announce-hostnames no');
    const [real2, ts2] = await startAll([startRealSentinel(confNo), startTsSentinel(confNo)] as const);
    for (const s of [real2, ts2]) {
      logs.set(s, await EventLog.open(s, label(s)));
      await waitFor(async () => toRecord(await call(s.port, [], 'SENTINEL', 'MASTER', 'mymaster'))['num-slaves'] === '1',
        { timeoutMs: 15_000, what: `${label(s)} discovers the replica` });
    }
    const stagesNo = [['no', '127.0.0.1', '2'], ['yes', 'localhost', '1']] as const;
    for (const [i, [setting, host, quorum]] of stagesNo.entries()) {
      if (i > 0) for (const s of [real2, ts2]) await ok(s.port, [], 'SENTINEL', 'CONFIG', 'SET', 'announce-hostnames', setting);
      const [realView, tsView] = await Promise.all([view(real2, quorum), view(ts2, quorum)]);
      expect(realView, `real started with no, announce-hostnames ${setting}`)
        .toEqual(expected(host, quorum, `127.0.0.1:${replica.port}`));
      expect(tsView, `ts started with no, announce-hostnames ${setting}`).toEqual(realView);
    }
    await watcher.close();
  }, 60_000);
});
