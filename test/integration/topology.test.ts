/**
 * tssentinel in real topologies: discovery of replicas and peers (alone and
 * mixed with real redis-sentinel), state kept across a restart, replica
 * s-down events, start-up failures and clean shutdown.
 *
 * TS_SENTINEL_BIN=real runs every "ts" process as a real redis-sentinel: the
 * self-check of this harness.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import {
  runTsSentinelToExit,
  startAll,
  startRealSentinel,
  startRedis,
  startTsSentinel,
  stopAll,
  tempDir,
  type ProcHandle,
} from '../support/procs.js';
import { RawClient, toPlain, toRecord, type Plain, type RespValue } from '../support/resp.js';
import { waitFor } from '../support/wait.js';
import { call, masterInfo } from '../support/sentinel.js';

const DOWN_AFTER_MS = 1_000;
const DISCOVERY_TIMEOUT_MS = 10_000;

afterAll(async () => {
  await stopAll();
});



async function myId(sentinel: ProcHandle): Promise<string> {
  const v = await call(sentinel.port, 'SENTINEL', 'MYID');
  if (v.type !== 'bulk') throw new Error(`SENTINEL MYID replied ${JSON.stringify(v)}`);
  return v.value;
}

async function peerRunIds(sentinel: ProcHandle): Promise<string[]> {
  const v = await call(sentinel.port, 'SENTINEL', 'SENTINELS', 'mymaster');
  if (v.type !== 'array') throw new Error(`SENTINEL SENTINELS replied ${JSON.stringify(toPlain(v))}`);
  return v.items.map((item) => String(toRecord(item)['runid'])).sort();
}

function conf(masterPort: number): string {
  return [
    `sentinel monitor mymaster 127.0.0.1 ${masterPort} 2`,
    `sentinel down-after-milliseconds mymaster ${DOWN_AFTER_MS}`,
    'sentinel failover-timeout mymaster 60000',
    '',
  ].join('\n');
}

interface Group {
  master: ProcHandle;
  replicas: ProcHandle[];
  sentinels: ProcHandle[];
}

async function startGroup(startSentinels: (conf: string) => Promise<ProcHandle[]>): Promise<Group> {
  const master = await startRedis();
  const replicas = await startAll([
    startRedis({ replicaOf: { host: '127.0.0.1', port: master.port } }),
    startRedis({ replicaOf: { host: '127.0.0.1', port: master.port } }),
  ]);
  const sentinels = await startSentinels(conf(master.port));
  return { master, replicas, sentinels };
}

/** num-slaves 2 and num-other-sentinels 2 on one sentinel. */
async function seesAll(sentinel: ProcHandle): Promise<Record<string, Plain> | false> {
  const m = await masterInfo(sentinel);
  return m['num-slaves'] === '2' && m['num-other-sentinels'] === '2' ? m : false;
}

describe('three tssentinels, a master and two replicas', () => {
  let group: Group;

  beforeAll(async () => {
    group = await startGroup((text) => startAll([startTsSentinel(text), startTsSentinel(text), startTsSentinel(text)]));
  });

  it('(a) each one sees both replicas and the two other sentinels', async () => {
    for (const [i, s] of group.sentinels.entries()) {
      await waitFor(() => seesAll(s), {
        timeoutMs: DISCOVERY_TIMEOUT_MS,
        what: `tssentinel #${i} (port ${s.port}) to report num-slaves 2 and num-other-sentinels 2`,
      });
    }
    const ids = await Promise.all(group.sentinels.map(myId));
    expect(new Set(ids).size, 'three distinct runids').toBe(3);
    for (const [i, s] of group.sentinels.entries()) {
      const others = ids.filter((_, j) => j !== i).sort();
      await waitFor(async () => JSON.stringify(await peerRunIds(s)) === JSON.stringify(others), {
        timeoutMs: DISCOVERY_TIMEOUT_MS,
        what: `tssentinel #${i} to list the other two runids in SENTINEL SENTINELS`,
      });
    }
  });

  it('(c) a restarted tssentinel keeps its id and knows replicas and peers at once', async () => {
    const s = group.sentinels[0]!;
    await waitFor(() => seesAll(s), { timeoutMs: DISCOVERY_TIMEOUT_MS, what: 'steady state before restart' });
    const idBefore = await myId(s);
    const exit = await s.stop('SIGTERM');
    expect(exit.code, 'exit code on SIGTERM').toBe(0);

    const saved = fs.readFileSync(s.confPath, 'utf8');
    expect(saved).toMatch(new RegExp(`^sentinel myid ${idBefore}$`, 'm'));
    const knownReplicas = saved.split('\n').filter((line) => /^sentinel known-replica mymaster /.test(line));
    const knownSentinels = saved.split('\n').filter((line) => /^sentinel known-sentinel mymaster /.test(line));
    expect(knownReplicas.sort()).toEqual(
      group.replicas.map((r) => `sentinel known-replica mymaster 127.0.0.1 ${r.port}`).sort(),
    );
    expect(knownSentinels, saved).toHaveLength(2);

    await s.restart();
    expect(await myId(s)).toBe(idBefore);
    // Known from the config file, before any INFO or hello could tell.
    await waitFor(() => seesAll(s), {
      timeoutMs: 1_000,
      intervalMs: 20,
      what: 'num-slaves 2 and num-other-sentinels 2 right after restart',
    });
  });

  it('(d) a stopped replica gives +sdown slave, its restart -sdown', async () => {
    const s = group.sentinels[1]!;
    const replica = group.replicas[0]!;
    const master = group.master;
    await waitFor(() => seesAll(s), { timeoutMs: DISCOVERY_TIMEOUT_MS, what: 'steady state before stopping a replica' });
    const events = await RawClient.connect(s.port);
    try {
      expect(toPlain(await events.call('SUBSCRIBE', '+sdown'))).toEqual(['subscribe', '+sdown', 1]);
      expect(toPlain(await events.call('SUBSCRIBE', '-sdown'))).toEqual(['subscribe', '-sdown', 2]);
      const details = `slave 127.0.0.1:${replica.port} 127.0.0.1 ${replica.port} @ mymaster 127.0.0.1 ${master.port}`;
      const isEvent = (channel: string) => (v: RespValue) => {
        const p = toPlain(v);
        return Array.isArray(p) && p[0] === 'message' && p[1] === channel && p[2] === details;
      };

      await replica.kill9();
      const down = await events.readUntil(isEvent('+sdown'), DOWN_AFTER_MS + 10_000);
      expect(toPlain(down)).toEqual(['message', '+sdown', details]);
      const flags = await waitFor(
        async () => {
          const v = await call(s.port, 'SENTINEL', 'REPLICAS', 'mymaster');
          if (v.type !== 'array') return false;
          const entry = v.items.map(toRecord).find((r) => r['port'] === String(replica.port));
          return entry && String(entry['flags']).includes('s_down') ? entry['flags'] : false;
        },
        { timeoutMs: 2_000, what: 'the replica flagged s_down in SENTINEL REPLICAS' },
      );
      expect(String(flags).split(',')).toContain('slave');

      await replica.restart();
      const up = await events.readUntil(isEvent('-sdown'), 10_000);
      expect(toPlain(up)).toEqual(['message', '-sdown', details]);
    } finally {
      await events.close();
    }
  });

  it('(f) SIGTERM makes tssentinel exit with code 0', async () => {
    const s = group.sentinels[2]!;
    const exit = await s.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
  });
});

describe('two real redis-sentinels and one tssentinel', () => {
  let group: Group;

  beforeAll(async () => {
    group = await startGroup((text) => startAll([startRealSentinel(text), startRealSentinel(text), startTsSentinel(text)]));
  });

  it('(b) all three see each other and both replicas', async () => {
    const labels = ['real #0', 'real #1', 'ts'];
    for (const [i, s] of group.sentinels.entries()) {
      await waitFor(() => seesAll(s), {
        timeoutMs: DISCOVERY_TIMEOUT_MS,
        what: `${labels[i]} (port ${s.port}) to report num-slaves 2 and num-other-sentinels 2`,
      });
    }
    const ids = await Promise.all(group.sentinels.map(myId));
    for (const [i, s] of group.sentinels.entries()) {
      const others = ids.filter((_, j) => j !== i).sort();
      await waitFor(async () => JSON.stringify(await peerRunIds(s)) === JSON.stringify(others), {
        timeoutMs: DISCOVERY_TIMEOUT_MS,
        what: `${labels[i]} to list the runids of the two others in SENTINEL SENTINELS`,
      });
    }
  });
});

describe('an instance never reached (dead master, listed replica), next to a real redis-sentinel', () => {
  it('reports info-refresh 0 and the role it was created with, as redis-sentinel does', async () => {
    // Nothing listens on these two ports: freePort() just bound and released them.
    const [deadMaster, deadReplica] = [await freePort(), await freePort()];
    const text = [
      `sentinel monitor mymaster 127.0.0.1 ${deadMaster} 1`,
      `sentinel known-replica mymaster 127.0.0.1 ${deadReplica}`,
      '',
    ].join('\n');
    const [real, ts] = await startAll([startRealSentinel(text), startTsSentinel(text)]);
    const fields = async (s: ProcHandle): Promise<string[]> => {
      const m = await masterInfo(s);
      const replicas = await call(s.port, 'SENTINEL', 'REPLICAS', 'mymaster');
      if (replicas.type !== 'array' || replicas.items.length !== 1) throw new Error(`REPLICAS: ${JSON.stringify(toPlain(replicas))}`);
      const r = toRecord(replicas.items[0]!);
      return [m['info-refresh'], m['role-reported'], r['info-refresh'], r['role-reported']].map(String);
    };
    const expected = ['0', 'master', '0', 'slave'];
    expect(await fields(real!)).toEqual(expected);
    expect(await fields(ts!)).toEqual(expected);
  });
});

describe('(e) start-up failures exit with code 1', () => {
  /** A config in its own dir; the port is free and explicit so nothing binds 26379. */
  async function confFile(text: string): Promise<{ confPath: string; port: number }> {
    const dir = tempDir('badconf');
    const confPath = path.join(dir, 'sentinel.conf');
    fs.writeFileSync(confPath, text);
    return { confPath, port: await freePort() };
  }

  it('on a missing config file', async () => {
    const dir = tempDir('noconf');
    const port = await freePort();
    const result = await runTsSentinelToExit([path.join(dir, 'missing.conf'), '--port', String(port)]);
    expect(result.code, result.output).toBe(1);
    expect(result.output).toMatch(/missing\.conf/);
  });

  it('on a config with a bad line, printing its line number', async () => {
    const { confPath, port } = await confFile(
      ['bind 127.0.0.1', 'sentinel monitor mymaster 127.0.0.1 6379 2', 'sentinel no-such-directive foo', ''].join('\n'),
    );
    const result = await runTsSentinelToExit([confPath, '--port', String(port)]);
    expect(result.code, result.output).toBe(1);
    expect(result.output).toMatch(/\bline 3\b/i);
    expect(result.output).toMatch(/no-such-directive/);
  });

  it('on a config with a bad quorum, printing its line number', async () => {
    const { confPath, port } = await confFile(['bind 127.0.0.1', 'sentinel monitor mymaster 127.0.0.1 6379 0', ''].join('\n'));
    const result = await runTsSentinelToExit([confPath, '--port', String(port)]);
    expect(result.code, result.output).toBe(1);
    expect(result.output).toMatch(/\bline 2\b/i);
  });

  it('on a port already in use, with Redis\'s two lines and no stack trace', async () => {
    const { confPath, port } = await confFile(['bind 127.0.0.1', 'sentinel monitor mymaster 127.0.0.1 6379 2', ''].join('\n'));
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(port, '127.0.0.1', resolve));
    try {
      const result = await runTsSentinelToExit([confPath, '--port', String(port)]);
      expect(result.code, result.output).toBe(1);
      expect(result.output).toContain(
        `Could not create server TCP listening socket 127.0.0.1:${port}: bind: Address already in use`,
      );
      expect(result.output).toContain(`Failed listening on port ${port} (TCP), aborting.`);
      expect(result.output).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  it('on a config file it cannot write', async () => {
    const { confPath, port } = await confFile(['bind 127.0.0.1', 'sentinel monitor mymaster 127.0.0.1 6379 2', ''].join('\n'));
    const dir = path.dirname(confPath);
    fs.chmodSync(confPath, 0o444);
    fs.chmodSync(dir, 0o555);
    try {
      // Root writes anything: run as nobody then, for whom the file is read-only.
      const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
      const result = await runTsSentinelToExit([confPath, '--port', String(port)], asNobody);
      expect(result.code, result.output).toBe(1);
      expect(result.output).toMatch(/writ/i);
    } finally {
      fs.chmodSync(dir, 0o755);
    }
  });
});
