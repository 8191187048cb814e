import { describe, expect, it } from 'vitest';
import { defaultMasterConfig, defaultSentinelConfig } from '../../src/config/model.js';
import { noGoodReplicaReason, selectReplica } from '../../src/core/select.js';
import { stateFromConfig, seededRandom } from '../../src/core/sentinel.js';
import type { SentinelState } from '../../src/core/state.js';

const NOW = 10_000_000;

/** A master seen down for `sdownAgeMs` (a Sentinel restarted since), replicas whose link went down `linkDownMs` ago. */
function world(sdownAgeMs: number, linkDownMs: readonly number[], heardMaster = false): SentinelState {
  const cfg = defaultSentinelConfig();
  const m = defaultMasterConfig('mymaster', '127.0.0.1', 6379, 2);
  m.downAfterMs = 1000;
  m.knownReplicas = linkDownMs.map((_, i) => ({ host: '127.0.0.1', port: 6380 + i }));
  cfg.masters.push(m);
  const s = stateFromConfig(cfg, '1'.repeat(40), NOW - sdownAgeMs, seededRandom(1));
  const master = s.masters.get('mymaster')!;
  master.sdown = true;
  master.sdownSinceMs = NOW - sdownAgeMs;
  if (heardMaster) s.links.get(master.linkKey)!.answeredMs = NOW - sdownAgeMs - 1000;
  [...master.replicas.values()].forEach((r, i) => {
    const link = s.links.get(r.linkKey)!;
    link.connected = true;
    link.lastAvailMs = NOW;
    r.infoRefreshMs = NOW;
    r.runId = String(i).repeat(40);
    r.masterLinkDownSinceMs = linkDownMs[i]!;
    r.replOffset = 100 - i;
  });
  return s;
}

const pick = (s: SentinelState) => selectReplica(s, s.masters.get('mymaster')!, NOW)?.port;

describe('replica selection: how long the link to the master may have been down', () => {
  it('as Redis once we heard the master answer: within our SDOWN age + 10 x down-after', () => {
    expect(pick(world(5_000, [14_000], true))).toBe(6380);
    expect(pick(world(5_000, [16_000], true))).toBeUndefined();
    expect(pick(world(2_000, [60_000, 60_500], true))).toBeUndefined();
  });

  it('a Sentinel restarted long after the master died still finds the replicas that lost it together (issue 9, item 16)', () => {
    // The master died 60 s ago; our SDOWN age is 2 s because we just restarted.
    expect(pick(world(2_000, [60_000, 60_500]))).toBe(6380);
  });

  it('still skips a replica that lost the master long before the freshest one did', () => {
    // 6380 lost its master 200 s ago (old data), 6381 with the master's death 60 s ago.
    expect(pick(world(2_000, [200_000, 60_000]))).toBe(6381);
  });
});

describe('replica selection: never an empty replica (issue 12)', () => {
  it('skips a replica whose link to the master never came up, and says why', () => {
    const s = world(0, [0, 0], true);
    const m = s.masters.get('mymaster')!;
    m.sdown = false;
    const [first, second] = [...m.replicas.values()];
    first!.masterLinkNeverUp = true;
    expect(pick(s)).toBe(6381);
    second!.masterLinkNeverUp = true;
    expect(pick(s)).toBeUndefined();
    expect(noGoodReplicaReason(s, m, NOW)).toBe(
      '127.0.0.1:6380: never completed a first sync with the master (master_link_down_since_seconds:-1); ' +
      '127.0.0.1:6381: never completed a first sync with the master (master_link_down_since_seconds:-1)',
    );
  });
});

describe('replica selection after an earlier leader promoted one and stalled', () => {
  it('keeps the replica that already reports role:master while the old master is down, over a better-ranked one', () => {
    const s = world(5_000, [0, 0], true);
    const m = s.masters.get('mymaster')!;
    const [first, second] = [...m.replicas.values()];
    // 6380 has the higher offset; 6381 was promoted by the epoch-1 leader.
    expect(pick(s)).toBe(6380);
    second!.roleReported = 'master';
    expect(pick(s)).toBe(6381);
    // Its INFO may be older than the selection allows: INFO is what showed it as master.
    second!.infoRefreshMs = NOW - 60_000;
    expect(pick(s)).toBe(6381);
    // Unreachable: no second master to fear, the usual choice applies.
    s.links.get(second!.linkKey)!.connected = false;
    expect(pick(s)).toBe(6380);
    s.links.get(second!.linkKey)!.connected = true;
    second!.infoRefreshMs = NOW;
    // Several report role:master: the best-ranked of them.
    first!.roleReported = 'master';
    expect(pick(s)).toBe(6380);
  });

  it('leaves the usual choice to a SENTINEL FAILOVER of a master that is up', () => {
    const s = world(0, [0, 0], true);
    const m = s.masters.get('mymaster')!;
    m.sdown = false;
    [...m.replicas.values()][1]!.roleReported = 'master';
    expect(pick(s)).toBe(6380);
  });
});
