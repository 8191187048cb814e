/**
 * Anyone who can PUBLISH on a master's `__sentinel__:hello` channel can make
 * a Sentinel learn a new peer per hello, and a master's INFO can list any
 * number of replicas: max-sentinels-per-master / max-replicas-per-master
 * bound what one master accumulates (and what is written to the config),
 * with a log line and a metric. redis-sentinel 7.0.15, given the same
 * hellos and replicas, keeps them all.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { startAll, startRealSentinel, startRedis, startTsSentinel, stopAll, type ProcHandle } from '../support/procs.js';
import { toPlain } from '../support/resp.js';
import { call, masterInfo } from '../support/sentinel.js';
import { waitFor } from '../support/wait.js';

afterAll(async () => {
  await stopAll();
});

const PEERS = 5;
const REPLICAS = 3;

function forgedHello(peerPort: number, i: number, masterPort: number): string {
  return `127.0.0.1,${peerPort},${String(i + 1).padStart(40, 'e')},0,mymaster,127.0.0.1,${masterPort},0`;
}

async function refusedMetric(metricsPort: number, kind: string): Promise<number | undefined> {
  const body = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const series = `sentinel_instances_refused_total{master="mymaster",kind="${kind}"} `;
  const line = body.split('\n').find((l) => l.startsWith(series));
  return line === undefined ? undefined : Number(line.slice(series.length));
}

describe('a flood of peers and replicas', () => {
  let master: ProcHandle;
  let ts: ProcHandle;
  let real: ProcHandle;
  let metricsPort: number;
  const peerPorts: number[] = [];

  beforeAll(async () => {
    master = await startRedis();
    await Promise.all(Array.from({ length: REPLICAS }, () => startRedis({ replicaOf: { host: '127.0.0.1', port: master.port } })));
    metricsPort = await freePort();
    // Free ports for the forged peers: the Sentinels will try to connect to them.
    for (let i = 0; i < PEERS; i++) peerPorts.push(await freePort());
    const monitor = `sentinel monitor mymaster 127.0.0.1 ${master.port} 2\n`;
    [ts, real] = await startAll([
      startTsSentinel(`metrics-port ${metricsPort}\nmax-sentinels-per-master 3\nmax-replicas-per-master 2\n${monitor}`),
      startRealSentinel(monitor),
    ]);
  });

  it('stops at the caps, logs it and counts it; redis-sentinel keeps them all', async () => {
    // Both Sentinels listen on the master's channel before the flood.
    await waitFor(async () => JSON.stringify(toPlain(await call(master.port, 'PUBSUB', 'NUMSUB', '__sentinel__:hello'))) ===
      JSON.stringify(['__sentinel__:hello', 2]), { timeoutMs: 15_000, what: 'both Sentinels subscribed' });
    for (let i = 0; i < PEERS; i++) {
      await call(master.port, 'PUBLISH', '__sentinel__:hello', forgedHello(peerPorts[i]!, i, master.port));
    }
    for (const s of [ts, real]) {
      // Each Sentinel also learns the other one.
      const want = s === ts ? { peers: '3', replicas: '2' } : { peers: String(PEERS + 1), replicas: String(REPLICAS) };
      await waitFor(async () => {
        const info = await masterInfo(s);
        return info['num-other-sentinels'] === want.peers && info['num-slaves'] === want.replicas;
      }, { timeoutMs: 25_000, what: `${s.kind}: ${want.peers} peers and ${want.replicas} replicas` });
    }
    const log = await waitFor(() => {
      const text = fs.readFileSync(ts.logPath, 'utf8');
      return /already has 3 other Sentinels/.test(text) && /already has 2 replicas/.test(text) ? text : undefined;
    }, { what: 'the refusal lines in the log' });
    expect(log).toMatch(/# Master mymaster already has 3 other Sentinels \(max-sentinels-per-master\): 127\.0\.0\.1:\d+ e+\d+ not added/);
    expect(log).toMatch(/# Master mymaster already has 2 replicas \(max-replicas-per-master\): 127\.0\.0\.1:\d+ not added/);
    // Every hello and INFO naming a refused one is counted (periodic INFO repeats the replica).
    expect(await refusedMetric(metricsPort, 'sentinel')).toBeGreaterThanOrEqual(PEERS - 3);
    expect(await refusedMetric(metricsPort, 'slave')).toBeGreaterThanOrEqual(1);

    const conf = fs.readFileSync(ts.confPath, 'utf8');
    expect(conf.match(/^sentinel known-sentinel /gm)).toHaveLength(3);
    expect(conf.match(/^sentinel known-replica /gm)).toHaveLength(2);
    expect(conf).toMatch(/^max-sentinels-per-master 3$/m);
    expect(fs.readFileSync(real.confPath, 'utf8').match(/^sentinel known-sentinel /gm)).toHaveLength(PEERS + 1);

    await ts.restart();
    const after = await masterInfo(ts);
    expect([after['num-other-sentinels'], after['num-slaves']]).toEqual(['3', '2']);
    expect(toPlain(await call(ts.port, 'PING'))).toBe('PONG');
  });
});
