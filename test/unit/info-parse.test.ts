import { describe, expect, it } from 'vitest';
import { parseInfo, parseReplicaLine } from '../../src/core/info.js';

const MASTER_INFO = [
  '# Server',
  'redis_version:7.0.15',
  'run_id:f5faf2dce5e9938f6d467394762d23af2bda0e66',
  '',
  '# Replication',
  'role:master',
  'connected_slaves:2',
  'slave0:ip=127.0.0.1,port=16380,state=online,offset=582,lag=1',
  'slave1:ip=::1,port=16381,state=wait_bgsave,offset=0,lag=0',
  'master_failover_state:no-failover',
  'master_repl_offset:582',
].join('\r\n');

const REPLICA_INFO = [
  '# Server',
  'run_id:a545d4d3707836febc7f379e8dc5f64a6f9911cd',
  '# Replication',
  'role:slave',
  'master_host:127.0.0.1',
  'master_port:16379',
  'master_link_status:down',
  'master_link_down_since_seconds:7',
  'slave_repl_offset:291',
  'slave_priority:50',
  'replica_announced:0',
].join('\r\n');

describe('parseInfo', () => {
  it('reads a master: run id, role and every replica line', () => {
    const info = parseInfo(MASTER_INFO);
    expect(info.runId).toBe('f5faf2dce5e9938f6d467394762d23af2bda0e66');
    expect(info.role).toBe('master');
    expect(info.replicas).toEqual([
      { host: '127.0.0.1', port: 16380 },
      { host: '::1', port: 16381 },
    ]);
    expect(info.masterFailoverState).toBe('no-failover');
  });

  it('reads a replica: its master, link state, priority, offset, announced flag', () => {
    const info = parseInfo(REPLICA_INFO);
    expect(info).toMatchObject({
      role: 'slave',
      masterHost: '127.0.0.1',
      masterPort: 16379,
      masterLinkUp: false,
      masterLinkDownSinceSeconds: 7,
      replOffset: 291,
      replicaPriority: 50,
      replicaAnnounced: false,
    });
  });

  it('accepts LF-only text and ignores junk lines', () => {
    const info = parseInfo('role:master\nnot a field\n:nokey\nslave0:garbage\nrun_id:short\n');
    expect(info.role).toBe('master');
    expect(info.replicas).toEqual([]);
    expect(info.runId).toBeUndefined();
  });

  it('treats master_link_down_since_seconds:-1 as link never down', () => {
    expect(parseInfo('master_link_down_since_seconds:-1').masterLinkDownSinceSeconds).toBeUndefined();
  });

  it('prefers replica_priority written by newer servers the same as slave_priority', () => {
    expect(parseInfo('replica_priority:0').replicaPriority).toBe(0);
  });
});

describe('parseReplicaLine', () => {
  it('supports the pre-2.8 form ip,port,state', () => {
    expect(parseReplicaLine('10.0.0.1,6380,online')).toEqual({ host: '10.0.0.1', port: 6380 });
  });
  it('rejects out-of-range ports and missing fields', () => {
    expect(parseReplicaLine('ip=127.0.0.1,port=70000')).toBeUndefined();
    expect(parseReplicaLine('ip=127.0.0.1')).toBeUndefined();
    expect(parseReplicaLine('port=6379')).toBeUndefined();
  });
});
