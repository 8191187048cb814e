/**
 * Choosing the replica to promote, by Redis's rules: drop replicas that are
 * down, disconnected, silent, stale or have priority 0 or whose link to the
 * master was down too long; then lowest priority, highest replication offset,
 * smallest run id.
 */
import type { MasterState, ReplicaState, SentinelState } from './state.js';

export function selectReplica(state: SentinelState, master: MasterState, nowMs: number): ReplicaState | undefined {
  const judged = rejections(state, master, nowMs);
  // A master that reports role:slave while one of its replicas reports
  // role:master has handed over by itself (a coordinated switch whose leader
  // died, FAILOVER run by hand): promoting any other replica would make a
  // second master (issue 12). That replica is chosen even when its last INFO
  // is older than the selection allows (our election can finish before the
  // once-a-second INFO of an ODOWN master's replicas came back: INFO is what
  // showed it as master, and a master has no link to a master to be stale
  // about); when it is down or unreachable, none is chosen and the failover
  // is retried later, rather than a second master made.
  const handedTo = [...judged].filter(([r]) => r.roleReported === 'master');
  if (master.roleReported === 'slave') {
    const usable = handedTo.find(([, why]) => why === undefined || why === NO_RECENT_INFO);
    if (usable) return usable[0];
    if (handedTo.length > 0) return undefined;
  }
  // The master is gone and a replica already reports role:master: an
  // earlier leader promoted it and stalled or died before the switch was
  // announced. Keeping that one loses fewer writes (clients may be writing
  // to it) and makes no second master; the best of them if several. If none
  // of them can be reached, the usual choice applies (a dead promoted
  // replica is no second master).
  if (master.sdown) {
    const usable = handedTo.filter(([, why]) => why === undefined || why === NO_RECENT_INFO).map(([r]) => r);
    if (usable.length > 0) return usable.sort(compareForPromotion)[0];
  }
  const candidates = [...judged].filter(([, why]) => why === undefined).map(([r]) => r);
  candidates.sort(compareForPromotion);
  return candidates[0];
}

const NO_RECENT_INFO = 'no recent INFO';

/** Why no replica can be promoted, one reason per replica, for the log next to -failover-abort-no-good-slave. */
export function noGoodReplicaReason(state: SentinelState, master: MasterState, nowMs: number): string {
  const reasons = [...rejections(state, master, nowMs)].map(([r, why]) => `${r.name}: ${why ?? 'usable'}`);
  return reasons.length === 0 ? 'no replicas known' : reasons.join('; ');
}

/** Each replica with the reason it may not be promoted, or undefined when it may. */
function rejections(state: SentinelState, master: MasterState, nowMs: number): Map<ReplicaState, string | undefined> {
  const out = new Map<ReplicaState, string | undefined>();
  for (const r of master.replicas.values()) out.set(r, unusableReason(state, master, r, nowMs));
  const usable = [...out].filter(([, why]) => why === undefined).map(([r]) => r);
  const maxLinkDownMs = maxMasterLinkDownMs(state, master, usable, nowMs);
  for (const r of usable) {
    if (r.masterLinkDownSinceMs > maxLinkDownMs) {
      out.set(r, `link to the master down for ${Math.round(r.masterLinkDownSinceMs / 1000)} s, longer than allowed (${Math.round(maxLinkDownMs / 1000)} s): stale data`);
    }
  }
  return out;
}

/**
 * How long a replica's link to the master may have been down for it to be
 * promoted. Redis allows the time the master has been down in our eyes plus
 * 10 x down-after, so a replica that lost its master long before the master
 * died (and has old data) is skipped. But "down in our eyes" restarts with
 * us: a Sentinel restarted 10 x down-after after the master died would
 * disqualify every replica forever (issue 9, item 16 — redis-sentinel has
 * the same hole). So when this process never heard the master answer, its
 * SDOWN age says nothing about when the master died, and the death is dated
 * by the replica that lost the master last instead: only replicas that lost
 * it much earlier than that one are stale, which is the rule's intent.
 */
function maxMasterLinkDownMs(state: SentinelState, master: MasterState, usable: readonly ReplicaState[], nowMs: number): number {
  const sdownAgeMs = master.sdown ? nowMs - master.sdownSinceMs : 0;
  const heardMaster = (state.links.get(master.linkKey)?.answeredMs ?? 0) !== 0;
  const freshestMs = usable.length > 0 ? Math.min(...usable.map((r) => r.masterLinkDownSinceMs)) : 0;
  const masterDownMs = heardMaster ? sdownAgeMs : Math.max(sdownAgeMs, freshestMs);
  return masterDownMs + master.config.downAfterMs * 10;
}

function unusableReason(state: SentinelState, master: MasterState, r: ReplicaState, nowMs: number): string | undefined {
  const t = state.timing;
  const link = state.links.get(r.linkKey);
  if (r.sdown) return 'subjectively down';
  if (!link?.connected) return 'disconnected';
  if (nowMs - link.lastAvailMs > t.pingPeriodMs * 5) return 'no valid PING reply lately';
  if (r.replicaPriority === 0) return 'replica-priority 0';
  // With the master down replicas are polled every second; otherwise INFO is
  // every info-period, so allow for that.
  const infoValidityMs = master.sdown ? t.pingPeriodMs * 5 : t.infoPeriodMs * 3;
  if (nowMs - r.infoRefreshMs > infoValidityMs) return NO_RECENT_INFO;
  // An empty replica would lose every write (issue 12): still in its first
  // sync, or its link to the master never came up.
  if (r.masterLinkNeverUp) return 'never completed a first sync with the master (master_link_down_since_seconds:-1)';
  return undefined;
}

function compareForPromotion(a: ReplicaState, b: ReplicaState): number {
  if (a.replicaPriority !== b.replicaPriority) return a.replicaPriority - b.replicaPriority;
  if (a.replOffset !== b.replOffset) return a.replOffset > b.replOffset ? -1 : 1;
  // A replica whose run id is unknown sorts last.
  if (a.runId === undefined) return b.runId === undefined ? 0 : 1;
  if (b.runId === undefined) return -1;
  return a.runId.toLowerCase() < b.runId.toLowerCase() ? -1 : a.runId.toLowerCase() > b.runId.toLowerCase() ? 1 : 0;
}
