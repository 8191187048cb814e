/**
 * SENTINEL CONFIG SET resolve-hostnames no while hostnames are stored: the
 * core stores the addresses the shell resolved instead (masters, replicas,
 * Sentinels), so that the file it writes loads again; the shell looks up
 * every stored name first.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig, renderConfig } from '../../src/config/index.js';
import { instanceDetails } from '../../src/core/details.js';
import type { Effect } from '../../src/core/effects.js';
import { configFromState, stateFromConfig } from '../../src/core/sentinel.js';
import type { SentinelState } from '../../src/core/state.js';
import { step } from '../../src/core/step.js';
import { addressesOfStoredNames } from '../../src/shell/hostNames.js';

const T0 = 1_000_000;
const PEER = 'b'.repeat(40);
const TEXT = [
  'sentinel resolve-hostnames yes',
  'sentinel announce-hostnames yes',
  'sentinel monitor mymaster localhost 6379 2',
  '',
].join('\n');
const MASTER = { master: 'mymaster', kind: 'master' as const, name: 'mymaster' };
const OFF = { settings: { resolveHostnames: false }, addresses: [['localhost', '127.0.0.1']] as Array<[string, string]> };

const masterInfo = (...replicas: Array<[string, number]>) => ['# Replication', 'role:master',
  ...replicas.map(([ip, port], i) => `slave${i}:ip=${ip},port=${port},state=online,offset=1,lag=0`)].join('\r\n');
const hello = (ip: string, port: number, runId = PEER) => [ip, port, runId, '0', 'mymaster', 'localhost', '6379', '0'].join(',');

/** A master, its replica and a peer Sentinel, all known as `localhost` (announce-hostnames yes). */
function world(text = TEXT): SentinelState {
  const s = stateFromConfig(parseConfig(text), 'c'.repeat(40), T0);
  // What the shell learns before handing over INFO and hellos that name hosts.
  step(s, { type: 'hostResolved', host: 'localhost', ip: '127.0.0.1' }, T0);
  step(s, { type: 'info', target: MASTER, text: masterInfo(['localhost', 6380]) }, T0);
  step(s, { type: 'hello', payload: hello('localhost', 26380) }, T0);
  return s;
}

const hosts = (s: SentinelState) => {
  const m = s.masters.get('mymaster')!;
  return {
    master: [m.host, m.config.host],
    replicas: [...m.replicas.entries()].map(([name, r]) => `${name} ${r.host}`),
    sentinels: [...m.sentinels.values()].map((p) => p.host),
  };
};
const disconnects = (effects: Effect[]) => effects.flatMap((e) => (e.type === 'disconnect' ? [e.link] : []));

describe('resolve-hostnames no stores the addresses of the names', () => {
  it('replaces every stored name, moves the links, and writes a file that loads with no hostname', () => {
    const s = world();
    expect(hosts(s)).toEqual({ master: ['localhost', 'localhost'], replicas: ['localhost:6380 localhost'], sentinels: ['localhost'] });
    const { effects } = step(s, { type: 'setSentinelOptions', ...OFF }, T0 + 10);
    expect(hosts(s)).toEqual({ master: ['127.0.0.1', '127.0.0.1'], replicas: ['127.0.0.1:6380 127.0.0.1'], sentinels: ['127.0.0.1'] });
    expect([...s.links.keys()].sort()).toEqual(['redis|127.0.0.1|6379', 'redis|127.0.0.1|6380', 'sentinel|127.0.0.1|26380']);
    expect(disconnects(effects).sort()).toEqual(['redis|localhost|6379', 'redis|localhost|6380', 'sentinel|localhost|26380']);
    expect(effects.at(-1)).toEqual({ type: 'persist', sync: true });
    // announce-hostnames yes has no name left to show.
    const m = s.masters.get('mymaster')!;
    expect(instanceDetails(m.replicas.get('127.0.0.1:6380')!, m)).toBe('slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379');

    const written = renderConfig(TEXT, configFromState(parseConfig(TEXT), s));
    expect(written).not.toContain('localhost');
    const reloaded = parseConfig(written);
    expect([reloaded.resolveHostnames, reloaded.announceHostnames]).toEqual([false, true]);
    expect(reloaded.masters[0]).toMatchObject({
      host: '127.0.0.1', knownReplicas: [{ host: '127.0.0.1', port: 6380 }], knownSentinels: [{ host: '127.0.0.1', port: 26380, runid: PEER }],
    });
  });

  it('keeps what the old link measured: a master down stays down', () => {
    const s = world();
    const m = s.masters.get('mymaster')!;
    // No valid reply for 40 s (down-after 30 s).
    s.links.get(m.linkKey)!.actPingMs = T0 - 40_000;
    step(s, { type: 'tick' }, T0 + 100);
    expect(m.sdown).toBe(true);
    step(s, { type: 'setSentinelOptions', ...OFF }, T0 + 200);
    expect(s.links.get(m.linkKey)!.actPingMs).toBe(T0 - 40_000);
    const { effects } = step(s, { type: 'tick' }, T0 + 300);
    expect(effects.filter((e) => e.type === 'event' && e.channel === '-sdown')).toEqual([]);
    expect(m.sdown).toBe(true);
  });

  it('stores no name heard afterwards, even one resolved while it was on', () => {
    const s = world();
    step(s, { type: 'setSentinelOptions', ...OFF }, T0 + 10);
    step(s, { type: 'info', target: MASTER, text: masterInfo(['localhost', 6380], ['localhost', 6381]) }, T0 + 20_000);
    step(s, { type: 'hello', payload: hello('localhost', 26381, 'd'.repeat(40)) }, T0 + 20_001);
    expect(hosts(s)).toEqual({ master: ['127.0.0.1', '127.0.0.1'], replicas: ['127.0.0.1:6380 127.0.0.1'], sentinels: ['127.0.0.1'] });
    // A MONITOR whose lookup ended after the switch stores the address.
    step(s, { type: 'monitor', name: 'late', host: 'localhost', port: 7000, quorum: 2, ip: '127.0.0.1' }, T0 + 20_002);
    expect(s.masters.get('late')!.host).toBe('127.0.0.1');
  });

  it('keeps once a replica listed by name and by address, and the promoted replica follows its new name', () => {
    const s = world(`${TEXT}sentinel known-replica mymaster 127.0.0.1 6380\nsentinel known-replica mymaster localhost 6380\n`);
    const m = s.masters.get('mymaster')!;
    expect([...m.replicas.keys()]).toEqual(['127.0.0.1:6380', 'localhost:6380']);
    m.failover.promoted = 'localhost:6380';
    step(s, { type: 'setSentinelOptions', ...OFF }, T0 + 10);
    expect([...m.replicas.keys()]).toEqual(['127.0.0.1:6380']);
    expect(m.failover.promoted).toBe('127.0.0.1:6380');
    expect(s.links.get('redis|127.0.0.1|6380')!.users.size).toBe(1);
  });
});

describe('the shell looks up every stored name first', () => {
  it('each name once; a name that does not resolve is reported', async () => {
    const s = world(`${TEXT}sentinel monitor other db.example 7000 2\n`);
    const asked: string[] = [];
    const resolve = async (host: string) => {
      asked.push(host);
      return host === 'localhost' ? '127.0.0.1' : host === 'db.example' ? '10.0.0.7' : undefined;
    };
    expect(await addressesOfStoredNames(s, resolve)).toEqual({ addresses: [['localhost', '127.0.0.1'], ['db.example', '10.0.0.7']] });
    expect(asked).toEqual(['localhost', 'db.example']);
    s.masters.get('mymaster')!.sentinels.get(PEER)!.host = 'nosuch.example';
    expect(await addressesOfStoredNames(s, resolve)).toEqual({ unresolved: 'nosuch.example' });
  });

  it('looks up a name stored while it was looking', async () => {
    const s = stateFromConfig(parseConfig(TEXT), 'c'.repeat(40), T0);
    const resolve = async (host: string) => {
      // A MONITOR by name lands while the first lookup runs.
      if (host === 'localhost') step(s, { type: 'monitor', name: 'other', host: 'db.example', port: 7000, quorum: 2, ip: '10.0.0.7' }, T0);
      return host === 'localhost' ? '127.0.0.1' : '10.0.0.8';
    };
    expect(await addressesOfStoredNames(s, resolve)).toEqual({ addresses: [['localhost', '127.0.0.1'], ['db.example', '10.0.0.8']] });
  });
});
