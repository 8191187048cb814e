/**
 * The Prometheus endpoint (metrics-port), scraped over HTTP before and after
 * a failover: the failover counters move, the master address follows, the
 * per-command counter counts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { startRedis, startTsSentinel, stopAll } from '../support/procs.js';
import { RawClient, toPlain, toRecord } from '../support/resp.js';
import { waitFor } from '../support/wait.js';

afterAll(async () => {
  await stopAll();
});

/**
 * The metrics listener opens after the RESP port (prom-client is loaded
 * then), so the RESP port being up does not mean /metrics answers yet.
 */
async function metricsUp(port: number): Promise<void> {
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200,
    { timeoutMs: 10_000, what: `metrics listener on ${port}` });
}

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

function value(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics endpoint', () => {
  it('exposes state and counts a failover', async () => {
    const m = await startRedis();
    const r = await startRedis({ replicaOf: { host: '127.0.0.1', port: m.port } });
    const metricsPort = await freePort();
    const s = await startTsSentinel([
      `metrics-port ${metricsPort}`,
      `sentinel monitor mymaster 127.0.0.1 ${m.port} 1`,
      'sentinel down-after-milliseconds mymaster 1000',
      'sentinel failover-timeout mymaster 10000',
    ].join('\n'));
    await metricsUp(metricsPort);
    const client = await RawClient.connect(s.port);
    try {
      await waitFor(async () => toRecord(await client.call('SENTINEL', 'MASTER', 'mymaster'))['num-slaves'] === '1' || undefined,
        { timeoutMs: 15_000, what: 'replica discovered' });
      // Before any failover: the counters exist at 0, types and names fit stock dashboards.
      const before = await scrape(metricsPort);
      expect(value(before, 'sentinel_failovers_started_total{master="mymaster"}')).toBe(0);
      expect(value(before, 'sentinel_failovers_succeeded_total{master="mymaster"}')).toBe(0);
      expect(before).toMatch(/^# TYPE sentinel_commands_total counter$/m);
      expect(before).toMatch(/^process_cpu_user_seconds_total \d/m);
      expect(before).toMatch(/^nodejs_heap_size_used_bytes \d/m);
      expect(before).not.toMatch(/^tssentinel_process_/m);
      expect(before).toMatch(/^tssentinel_build_info\{version="\d+\.\d+\.\d+",redis_version="7\.0\.15",node_version="v\d+[^"]*"\} 1$/m);
      expect((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status).toBe(200);
      // One Sentinel with quorum 1 can authorize a failover alone: ready.
      const ready = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
      expect([ready.status, await ready.text()]).toEqual([200, 'ready\n']);
      // The replica must have been polled recently to be a promotion candidate.
      await waitFor(async () => {
        const reply = toPlain(await client.call('SENTINEL', 'FAILOVER', 'mymaster'));
        return reply === 'OK' ? reply : undefined;
      }, { timeoutMs: 15_000, what: 'SENTINEL FAILOVER accepted' });
      await waitFor(async () => {
        const addr = toPlain(await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'));
        return Array.isArray(addr) && addr[1] === String(r.port) ? addr : undefined;
      }, { timeoutMs: 15_000, what: 'failover to the replica' });
      const body = await waitFor(async () => {
        const b = await scrape(metricsPort);
        return value(b, 'sentinel_failovers_succeeded_total{master="mymaster"}') === 1 ? b : undefined;
      }, { timeoutMs: 10_000, what: 'succeeded counter' });
      expect(value(body, 'sentinel_failovers_started_total{master="mymaster"}')).toBe(1);
      expect(value(body, `sentinel_master_address{master="mymaster",ip="127.0.0.1",port="${r.port}"}`)).toBe(1);
      expect(value(body, 'sentinel_master_config_epoch{master="mymaster"}')).toBe(1);
      expect(value(body, 'sentinel_current_epoch')).toBe(1);
      expect(value(body, 'sentinel_last_failover_duration_seconds{master="mymaster"}')).toBeGreaterThan(0);
      expect(value(body, 'sentinel_commands_total{command="sentinel|failover"}')).toBeGreaterThanOrEqual(1);
      expect(value(body, 'sentinel_tilt')).toBe(0);
      expect(value(body, 'sentinel_events_total{event="+switch-master",master="mymaster"}')).toBe(1);
      // The links to the new topology are fresh: their first PING round trip comes shortly.
      const linked = await waitFor(async () => {
        const b = await scrape(metricsPort);
        return /sentinel_link_ping_latency_seconds\{master="mymaster",kind="master",instance="127\.0\.0\.1:\d+"\} [0-9.e-]+/.test(b) ? b : undefined;
      }, { timeoutMs: 10_000, what: 'ping latency of the new master link' });
      expect(value(linked, `sentinel_link_connected{master="mymaster",kind="master",instance="127.0.0.1:${r.port}"}`)).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('/readyz answers 503 with the reason while a master has no reachable quorum', async () => {
    const m = await startRedis();
    const metricsPort = await freePort();
    // Quorum 2, and no other Sentinel: CKQUORUM says NOQUORUM.
    await startTsSentinel(`metrics-port ${metricsPort}\nsentinel monitor mymaster 127.0.0.1 ${m.port} 2\n`);
    await metricsUp(metricsPort);
    const res = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/^mymaster: quorum or majority of Sentinels not reachable/);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status).toBe(200);
  });

  it('answers 404 off /metrics and is off unless configured', async () => {
    const m = await startRedis();
    const metricsPort = await freePort();
    await startTsSentinel(`metrics-port ${metricsPort}\nsentinel monitor mymaster 127.0.0.1 ${m.port} 1\n`);
    await metricsUp(metricsPort);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/nope`)).status).toBe(404);
    const other = await freePort();
    await startTsSentinel(`sentinel monitor mymaster 127.0.0.1 ${m.port} 1\n`);
    await expect(fetch(`http://127.0.0.1:${other}/metrics`)).rejects.toThrow();
  });
});
