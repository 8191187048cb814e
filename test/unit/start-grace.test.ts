/**
 * Right after a start, SENTINEL FAILOVER needs a replica whose INFO came
 * back. redis-sentinel accepts it ~0.1 s after it starts; a replica found in
 * the master's INFO is linked at once here, and its INFO asked with the
 * first PING of its link, without waiting for timer ticks in between.
 */
import { describe, expect, it } from 'vitest';
import { defaultMasterConfig, defaultSentinelConfig } from '../../src/config/model.js';
import type { Effect } from '../../src/core/effects.js';
import { stateFromConfig } from '../../src/core/sentinel.js';
import { linkKey, type SentinelState } from '../../src/core/state.js';
import { step } from '../../src/core/step.js';

const MY_ID = '1'.repeat(40);
const T0 = 1_000_000;
const MASTER_KEY = linkKey('redis', '127.0.0.1', 6379);
const REPLICA_KEY = linkKey('redis', '127.0.0.1', 6380);
const MASTER_REF = { master: 'm', kind: 'master' as const, name: 'm' };
const REPLICA_REF = { master: 'm', kind: 'slave' as const, name: '127.0.0.1:6380' };

const MASTER_INFO = [
  '# Server', `run_id:${'9'.repeat(40)}`, '# Replication', 'role:master', 'connected_slaves:1',
  'slave0:ip=127.0.0.1,port=6380,state=online,offset=100,lag=0', '',
].join('\r\n');
const REPLICA_INFO = [
  '# Server', `run_id:${'8'.repeat(40)}`, '# Replication', 'role:slave', 'master_host:127.0.0.1', 'master_port:6379',
  'master_link_status:up', 'slave_repl_offset:100', 'slave_priority:100', '',
].join('\r\n');

function world(): SentinelState {
  const cfg = defaultSentinelConfig();
  cfg.masters.push(defaultMasterConfig('m', '127.0.0.1', 6379, 1));
  return stateFromConfig(cfg, MY_ID, T0);
}

/** The master linked and its first INFO answered, at T0 + 10. */
function masterAnswered(s: SentinelState): Effect[] {
  step(s, { type: 'tick' }, T0);
  step(s, { type: 'linkUp', link: MASTER_KEY, localIp: '127.0.0.1' }, T0 + 1);
  step(s, { type: 'pingReply', link: MASTER_KEY, outcome: 'pong' }, T0 + 2);
  step(s, { type: 'tick' }, T0 + 100);
  return step(s, { type: 'info', target: MASTER_REF, text: MASTER_INFO }, T0 + 110).effects;
}

describe('a replica found in the master INFO right after the start', () => {
  it('is connected in the same step that found it', () => {
    const s = world();
    expect(masterAnswered(s)).toContainEqual({ type: 'connect', link: REPLICA_KEY });
  });

  it('is asked for INFO with the first PING of its link', () => {
    const s = world();
    masterAnswered(s);
    const effects = step(s, { type: 'linkUp', link: REPLICA_KEY, localIp: '127.0.0.1' }, T0 + 111).effects;
    expect(effects).toContainEqual({ type: 'ping', link: REPLICA_KEY });
    expect(effects).toContainEqual({ type: 'info', link: REPLICA_KEY, target: REPLICA_REF });
  });

  it('can be promoted by SENTINEL FAILOVER as soon as the requests it caused are answered, with no timer tick in between', () => {
    const s = world();
    // Each request is answered 1 ms later; no tick runs after the master's INFO.
    let nowMs = T0 + 110;
    const queue: Effect[] = [...masterAnswered(s)];
    for (let n = 0; n < 20 && queue.length > 0; n++) {
      const e = queue.shift()!;
      nowMs += 1;
      if (e.type === 'connect' && e.link === REPLICA_KEY) {
        queue.push(...step(s, { type: 'linkUp', link: REPLICA_KEY, localIp: '127.0.0.1' }, nowMs).effects);
      } else if (e.type === 'ping' && e.link === REPLICA_KEY) {
        queue.push(...step(s, { type: 'pingReply', link: REPLICA_KEY, outcome: 'pong' }, nowMs).effects);
      } else if (e.type === 'info' && e.link === REPLICA_KEY) {
        queue.push(...step(s, { type: 'info', target: REPLICA_REF, text: REPLICA_INFO }, nowMs).effects);
      }
    }
    expect(step(s, { type: 'manualFailover', master: 'm' }, nowMs + 1).manual).toBe('ok');
  });
});
