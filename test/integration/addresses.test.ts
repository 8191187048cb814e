/**
 * Addresses as Docker / Kubernetes users need them: announce-ip and
 * announce-port in hellos, hostnames with resolve-hostnames and
 * announce-hostnames (tested with `localhost`), resolve-hostnames switched
 * off at run time, and IPv6 loopback.
 */
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { startAll, startRealSentinel, startRedis, startTsSentinel, stopAll, type ProcHandle } from '../support/procs.js';
import { RawClient, toPlain, toRecord, type Plain, type RespValue } from '../support/resp.js';
import { waitFor } from '../support/wait.js';

afterAll(async () => {
  await stopAll();
});

async function call(port: number, ...args: string[]): Promise<RespValue> {
  const client = await RawClient.connect(port);
  try {
    return await client.call(...args);
  } finally {
    await client.close();
  }
}

async function master(s: ProcHandle, name = 'mymaster'): Promise<Record<string, Plain>> {
  return toRecord(await call(s.port, 'SENTINEL', 'MASTER', name));
}

function records(v: RespValue): Array<Record<string, Plain>> {
  return v.type === 'array' ? v.items.map(toRecord) : [];
}

async function addr(s: ProcHandle, name = 'mymaster'): Promise<Plain> {
  return toPlain(await call(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name));
}

describe('announce-ip and announce-port', () => {
  it('peers learn the announced address from hellos', async () => {
    const m = await startRedis();
    const announcedPort = await freePort();
    const base = `sentinel monitor mymaster 127.0.0.1 ${m.port} 2\nsentinel down-after-milliseconds mymaster 1000\n`;
    const a = await startTsSentinel(`${base}sentinel announce-ip 127.0.0.1\nsentinel announce-port ${announcedPort}\n`);
    const b = await startTsSentinel(base);
    const peersOfB = await waitFor(async () => {
      const v = await call(b.port, 'SENTINEL', 'SENTINELS', 'mymaster');
      return v.type === 'array' && v.items.length === 1 ? toRecord(v.items[0]!) : undefined;
    }, { timeoutMs: 10_000, what: 'B discovers A' });
    expect(peersOfB['ip']).toBe('127.0.0.1');
    expect(peersOfB['port']).toBe(String(announcedPort));
    expect(toPlain(await call(a.port, 'SENTINEL', 'CONFIG', 'GET', 'announce-port')))
      .toEqual(['announce-port', String(announcedPort)]);
  });
});

describe('hostnames', () => {
  it('keeps and reports a hostname with resolve-hostnames and announce-hostnames', async () => {
    const m = await startRedis();
    await startRedis({ replicaOf: { host: '127.0.0.1', port: m.port } });
    const s = await startTsSentinel([
      'sentinel resolve-hostnames yes',
      'sentinel announce-hostnames yes',
      `sentinel monitor mymaster localhost ${m.port} 1`,
      'sentinel down-after-milliseconds mymaster 1000',
    ].join('\n'));
    expect(await addr(s)).toEqual(['localhost', String(m.port)]);
    await waitFor(async () => (await master(s))['num-slaves'] === '1' || undefined,
      { timeoutMs: 15_000, what: 'replica discovered through a hostname master' });
    const flags = String((await master(s))['flags']);
    expect(flags.split(',')).not.toContain('disconnected');
    expect(flags.split(',')).not.toContain('s_down');
  });

  it('resolves a hostname to its address when hostnames are not announced', async () => {
    const m = await startRedis();
    const s = await startTsSentinel([
      'sentinel resolve-hostnames yes',
      `sentinel monitor mymaster localhost ${m.port} 1`,
    ].join('\n'));
    expect(await addr(s)).toEqual(['127.0.0.1', String(m.port)]);
    expect(toPlain(await call(s.port, 'SENTINEL', 'MONITOR', 'other', 'localhost', String(m.port), '1'))).toBe('OK');
    expect(await addr(s, 'other')).toEqual(['127.0.0.1', String(m.port)]);
  });

  it('resolve-hostnames switched off stores the address of each name, which a kill -9 and restart keep (redis-sentinel keeps the names, then cannot start)', async () => {
    const m = await startRedis();
    const replica = await startRedis({
      replicaOf: { host: '127.0.0.1', port: m.port },
      extraArgs: ['--replica-announce-ip', 'localhost'],
    });
    const conf = [
      'sentinel resolve-hostnames yes',
      'sentinel announce-hostnames yes',
      `sentinel monitor mymaster localhost ${m.port} 1`,
      'sentinel down-after-milliseconds mymaster 2000',
      '',
    ].join('\n');
    const [ts, real] = await startAll([startTsSentinel(conf), startRealSentinel(conf)] as const);
    /** What a client sees of the addresses: GET-MASTER-ADDR-BY-NAME, MASTERS, REPLICAS (name and ip). */
    const view = async (s: ProcHandle) => ({
      addr: await addr(s),
      masters: records(await call(s.port, 'SENTINEL', 'MASTERS')).map((x) => `${String(x['ip'])}:${String(x['port'])}`),
      replicas: records(await call(s.port, 'SENTINEL', 'REPLICAS', 'mymaster')).map((x) => `${String(x['name'])} ${String(x['ip'])}`),
    });
    const named = { addr: ['localhost', String(m.port)], masters: [`localhost:${m.port}`], replicas: [`localhost:${replica.port} localhost`] };
    const numeric = {
      addr: ['127.0.0.1', String(m.port)], masters: [`127.0.0.1:${m.port}`], replicas: [`127.0.0.1:${replica.port} 127.0.0.1`],
    };
    for (const s of [ts, real]) {
      await waitFor(async () => (await master(s))['num-slaves'] === '1' || undefined,
        { timeoutMs: 15_000, what: `${s.kind} discovers the replica named localhost` });
      expect(await view(s), s.kind).toEqual(named);
      expect(toPlain(await call(s.port, 'SENTINEL', 'CONFIG', 'SET', 'resolve-hostnames', 'no')), s.kind).toBe('OK');
    }
    expect(await view(ts)).toEqual(numeric);
    expect(toPlain(await call(ts.port, 'SENTINEL', 'CONFIG', 'GET', 'resolve-hostnames'))).toEqual(['resolve-hostnames', 'no']);
    expect(fs.readFileSync(ts.confPath, 'utf8')).not.toContain('localhost');
    // redis-sentinel keeps the names, and writes them (announce-hostnames yes).
    expect(await view(real)).toEqual(named);
    expect(fs.readFileSync(real.confPath, 'utf8')).toContain(`sentinel monitor mymaster localhost ${m.port} 1`);

    for (const s of [ts, real]) await s.kill9();
    await ts.restart();
    expect(await view(ts)).toEqual(numeric);
    expect(toPlain(await call(ts.port, 'SENTINEL', 'CONFIG', 'GET', 'resolve-hostnames'))).toEqual(['resolve-hostnames', 'no']);
    await expect(real.restart()).rejects.toThrow("Can't resolve instance hostname.");
  });

  it('resolve-hostnames no is refused, nothing changed, while a stored name does not resolve (redis-sentinel accepts it)', async () => {
    const conf = 'sentinel resolve-hostnames yes\nsentinel monitor mymaster nosuch.invalid 6379 1\n';
    const [ts, real] = await startAll([startTsSentinel(conf), startRealSentinel(conf)] as const);
    const file = fs.readFileSync(ts.confPath, 'utf8');
    expect(toPlain(await call(ts.port, 'SENTINEL', 'CONFIG', 'SET', 'resolve-hostnames', 'no'))).toEqual({
      error: "ERR Can't resolve instance hostname 'nosuch.invalid': resolve-hostnames no stores addresses only",
    });
    expect(toPlain(await call(ts.port, 'SENTINEL', 'CONFIG', 'GET', 'resolve-hostnames'))).toEqual(['resolve-hostnames', 'yes']);
    expect(fs.readFileSync(ts.confPath, 'utf8')).toBe(file);
    expect(toPlain(await call(real.port, 'SENTINEL', 'CONFIG', 'SET', 'resolve-hostnames', 'no'))).toBe('OK');
  });

  it('refuses a hostname without resolve-hostnames, in Redis words', async () => {
    const m = await startRedis();
    const s = await startTsSentinel(`sentinel monitor mymaster 127.0.0.1 ${m.port} 1\n`);
    expect(toPlain(await call(s.port, 'SENTINEL', 'MONITOR', 'other', 'localhost', String(m.port), '1')))
      .toEqual({ error: 'ERR Invalid IP address or hostname specified' });
  });
});

describe('IPv6 loopback', () => {
  it('monitors a master on ::1 and discovers its replica', async () => {
    const m = await startRedis({ extraArgs: ['--bind', '127.0.0.1', '::1'] });
    await startRedis({ replicaOf: { host: '::1', port: m.port }, extraArgs: ['--bind', '127.0.0.1', '::1'] });
    const s = await startTsSentinel(`bind 127.0.0.1 ::1\nsentinel monitor mymaster ::1 ${m.port} 1\n`);
    expect(await addr(s)).toEqual(['::1', String(m.port)]);
    const info = await waitFor(async () => {
      const r = await master(s);
      return r['num-slaves'] === '1' ? r : undefined;
    }, { timeoutMs: 15_000, what: 'replica of the IPv6 master discovered' });
    expect(info['ip']).toBe('::1');
    expect(String(info['flags'])).toBe('master');
  });
});
