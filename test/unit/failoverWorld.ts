/**
 * The pure-core world the failover unit tests share: one master with two
 * replicas and two peer Sentinels, as a state built from a config, plus the
 * INFO text a replica (or a promoted one) answers.
 */
import { defaultMasterConfig, defaultSentinelConfig } from '../../src/config/model.js';
import type { Effect } from '../../src/core/effects.js';
import { stateFromConfig, seededRandom } from '../../src/core/sentinel.js';
import type { SentinelState } from '../../src/core/state.js';

export const ME = '1'.repeat(40);
export const PEER_A = 'a'.repeat(40);
export const PEER_B = 'b'.repeat(40);
export const T0 = 5_000_000;

export const MASTER = 'redis|127.0.0.1|6379';
export const R1 = 'redis|127.0.0.1|6380';
export const R2 = 'redis|127.0.0.1|6381';

export function world(): SentinelState {
  const cfg = defaultSentinelConfig();
  const m = defaultMasterConfig('mymaster', '127.0.0.1', 6379, 2);
  m.downAfterMs = 1000;
  m.failoverTimeoutMs = 10_000;
  m.knownReplicas = [{ host: '127.0.0.1', port: 6380 }, { host: '127.0.0.1', port: 6381 }];
  m.knownSentinels = [
    { host: '127.0.0.1', port: 26380, runid: PEER_A },
    { host: '127.0.0.1', port: 26381, runid: PEER_B },
  ];
  cfg.masters.push(m);
  return stateFromConfig(cfg, ME, T0, seededRandom(7));
}

/** The pub/sub channels of the events among `effects`, in order. */
export const evs = (effects: Effect[]) => effects.flatMap((e) => (e.type === 'event' ? [e.channel] : []));

export function replicaInfo(port: number, role: 'slave' | 'master', masterPort = 6379, offset = 100): string {
  const lines = ['# Server', `run_id:${String(port).padEnd(40, '0')}`, '# Replication', `role:${role}`];
  if (role === 'slave') {
    lines.push('master_host:127.0.0.1', `master_port:${masterPort}`, 'master_link_status:up',
      `slave_repl_offset:${offset}`, 'slave_priority:100');
  }
  return lines.join('\r\n');
}
