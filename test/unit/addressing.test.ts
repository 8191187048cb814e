import { describe, expect, it } from 'vitest';
import { defaultMasterConfig, defaultSentinelConfig } from '../../src/config/model.js';
import { instanceDetails } from '../../src/core/details.js';
import { onInfo, onLinkUp } from '../../src/core/monitor.js';
import { configFromState, stateFromConfig } from '../../src/core/sentinel.js';
import { step } from '../../src/core/step.js';

const T0 = 1_000_000;

/** A master monitored as `localhost`, announce-hostnames yes, resolved by the shell to 127.0.0.1. */
function world() {
  const cfg = defaultSentinelConfig();
  cfg.resolveHostnames = true;
  cfg.announceHostnames = true;
  cfg.masters.push(defaultMasterConfig('mymaster', 'localhost', 6379, 1));
  const s = stateFromConfig(cfg, '1'.repeat(40), T0);
  step(s, { type: 'hostResolved', host: 'localhost', ip: '127.0.0.1' }, T0);
  return { cfg, s, m: s.masters.get('mymaster')! };
}

const masterInfo = (replicaHost: string) =>
  ['# Replication', 'role:master', `slave0:ip=${replicaHost},port=6380,state=online,offset=1,lag=0`].join('\r\n');

describe('announce-hostnames: one address kept, shown as a hostname or an IP', () => {
  it('switches event texts and the config file between the two at any time', () => {
    const { cfg, s, m } = world();
    onInfo(s, { master: 'mymaster', kind: 'master', name: 'mymaster' }, masterInfo('localhost'), T0);
    const r = m.replicas.get('localhost:6380')!;
    expect(instanceDetails(r, m)).toBe('slave localhost:6380 localhost 6380 @ mymaster localhost 6379');
    s.addressing.announceHostnames = false;
    expect(instanceDetails(r, m)).toBe('slave localhost:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379');
    const written = configFromState(cfg, s).masters[0]!;
    expect([written.host, written.knownReplicas]).toEqual(['127.0.0.1', [{ host: '127.0.0.1', port: 6380 }]]);
  });

  it('names a replica first seen under announce-hostnames no by its address, and does not add it twice', () => {
    const { s, m } = world();
    s.addressing.announceHostnames = false;
    const ref = { master: 'mymaster', kind: 'master' as const, name: 'mymaster' };
    onInfo(s, ref, masterInfo('localhost'), T0);
    expect([...m.replicas.keys()]).toEqual(['127.0.0.1:6380']);
    s.addressing.announceHostnames = true;
    onInfo(s, ref, masterInfo('localhost'), T0 + 10_001);
    onInfo(s, ref, masterInfo('127.0.0.1'), T0 + 20_002);
    expect([...m.replicas.keys()]).toEqual(['127.0.0.1:6380']);
  });

  it('learns an address from the link when nothing resolved the hostname before', () => {
    const cfg = defaultSentinelConfig();
    cfg.masters.push(defaultMasterConfig('mymaster', 'db.example', 6379, 1));
    const s = stateFromConfig(cfg, '1'.repeat(40), T0);
    const m = s.masters.get('mymaster')!;
    expect(instanceDetails(m)).toBe('master mymaster db.example 6379');
    onLinkUp(s, m.linkKey, '10.0.0.1', T0, '10.0.0.7');
    expect(instanceDetails(m)).toBe('master mymaster 10.0.0.7 6379');
  });
});
