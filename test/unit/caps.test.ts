/**
 * max-sentinels-per-master / max-replicas-per-master: discovery (hellos,
 * INFO, a master moved by a hello) adds no instance beyond them; the
 * refusals are counted and logged at most once a minute per master and kind.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig, renderConfig } from '../../src/config/index.js';
import type { Effect } from '../../src/core/effects.js';
import { formatHello } from '../../src/core/hello.js';
import { onHello, onInfo } from '../../src/core/monitor.js';
import { configFromState, stateFromConfig } from '../../src/core/sentinel.js';
import type { MasterState, SentinelState } from '../../src/core/state.js';

const MY_ID = '1'.repeat(40);
const T0 = 1_000_000;
const CONF = 'max-sentinels-per-master 3\nmax-replicas-per-master 2\nsentinel monitor mymaster 127.0.0.1 6379 2\n';

function world(text = CONF): { s: SentinelState; m: MasterState } {
  const s = stateFromConfig(parseConfig(text), MY_ID, T0);
  return { s, m: s.masters.get('mymaster')! };
}

function peerHello(i: number, configEpoch = 0, masterPort = 6379): string {
  return formatHello({
    ip: '127.0.0.1', port: 30000 + i, runId: i.toString(16).padStart(40, '0'), currentEpoch: configEpoch,
    masterName: 'mymaster', masterIp: '127.0.0.1', masterPort, masterConfigEpoch: configEpoch,
  });
}

function infoListing(ports: number[]): string {
  const lines = ports.map((p, i) => `slave${i}:ip=127.0.0.1,port=${p},state=online,offset=1,lag=0`);
  return ['# Server', `run_id:${'f'.repeat(40)}`, '# Replication', 'role:master', ...lines].join('\r\n');
}

const logs = (effects: Effect[]): string[] => effects.flatMap((e) => (e.type === 'log' ? [e.message] : []));
const MASTER_REF = { master: 'mymaster', kind: 'master', name: 'mymaster' } as const;

describe('instance caps', () => {
  it('default to 1024 Sentinels and 4096 replicas per master, not written to the config', () => {
    const cfg = parseConfig('sentinel monitor mymaster 127.0.0.1 6379 2\n');
    expect([cfg.maxSentinelsPerMaster, cfg.maxReplicasPerMaster]).toEqual([1024, 4096]);
    expect(renderConfig('', cfg)).not.toMatch(/max-/);
    expect(renderConfig('', parseConfig(CONF))).toMatch(/^max-sentinels-per-master 3\nmax-replicas-per-master 2$/m);
    expect(() => parseConfig('max-replicas-per-master 0\n')).toThrow(/between 1 and 2147483647/);
  });

  it('keep hellos from new Sentinels beyond max-sentinels-per-master out, counted, logged once a minute', () => {
    const { s, m } = world();
    const first: Effect[] = [];
    for (let i = 0; i < 5; i++) first.push(...onHello(s, peerHello(i), T0 + i));
    expect(m.sentinels.size).toBe(3);
    expect(logs(first)).toEqual([
      `Master mymaster already has 3 other Sentinels (max-sentinels-per-master): 127.0.0.1:30003 ${peerHello(3).split(',')[2]} not added; ` +
        '1 refused since the last such line, 1 since start',
    ]);
    expect(m.refused?.sentinel.total).toBe(2);
    // A known peer's hello still counts (its periodic hello, a new address for the same run id).
    expect(logs(onHello(s, peerHello(0), T0 + 10))).toEqual([]);
    expect(m.sentinels.size).toBe(3);
    // Within the minute: counted, not logged; after it, one line with the count.
    expect(logs(onHello(s, peerHello(7), T0 + 30_000))).toEqual([]);
    expect(logs(onHello(s, peerHello(8), T0 + 60_004))).toEqual([
      expect.stringMatching(/127\.0\.0\.1:30008 .* not added; 3 refused since the last such line, 4 since start$/),
    ]);
    const written = configFromState(parseConfig(CONF), s).masters[0]!;
    expect(written.knownSentinels.map((p) => p.port)).toEqual([30000, 30001, 30002]);
  });

  it('let a refused hello move no master', () => {
    const { s, m } = world();
    for (let i = 0; i < 3; i++) onHello(s, peerHello(i), T0);
    onHello(s, peerHello(9, 5, 7000), T0 + 1);
    expect([m.port, m.config.configEpoch]).toEqual([6379, 0]);
  });

  it('keep replicas listed in INFO beyond max-replicas-per-master out', () => {
    const { s, m } = world();
    const effects = onInfo(s, MASTER_REF, infoListing([7001, 7002, 7003, 7004]), T0);
    expect([...m.replicas.keys()]).toEqual(['127.0.0.1:7001', '127.0.0.1:7002']);
    expect(effects.filter((e) => e.type === 'event' && e.channel === '+slave')).toHaveLength(2);
    expect(logs(effects)).toEqual([
      'Master mymaster already has 2 replicas (max-replicas-per-master): 127.0.0.1:7003 not added; 1 refused since the last such line, 1 since start',
    ]);
    expect(m.refused?.slave.total).toBe(2);
    const written = configFromState(parseConfig(CONF), s).masters[0]!;
    expect(written.knownReplicas.map((r) => r.port)).toEqual([7001, 7002]);
  });

  it('do not let forged hellos moving the master again and again grow its replicas', () => {
    const { s, m } = world();
    onHello(s, peerHello(0), T0);
    for (let epoch = 1; epoch <= 5; epoch++) onHello(s, peerHello(0, epoch, 7000 + epoch), T0 + epoch);
    expect(m.port).toBe(7005);
    // Each switch keeps the old master as a replica, up to the cap.
    expect(m.replicas.size).toBe(2);
  });

  it('leave the instances of the config file alone, above the cap too', () => {
    const known = [1, 2, 3].map((i) => `sentinel known-replica mymaster 127.0.0.1 ${7000 + i}`).join('\n');
    const { s, m } = world(`${CONF}${known}\n`);
    expect(m.replicas.size).toBe(3);
    onInfo(s, MASTER_REF, infoListing([7001, 7002, 7003, 7009]), T0);
    expect(m.replicas.size).toBe(3);
    expect(m.refused?.slave.total).toBe(1);
  });
});
