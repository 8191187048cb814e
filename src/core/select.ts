/**
 * Choosing the replica to promote, by Redis's rules: drop replicas that are
 * down, disconnected, silent, stale or have priority 0 or whose link to the
 * master was down too long; then lowest priority, highest replication offset,
 * smallest run id.
 */
import type { MasterState, ReplicaState, SentinelState } from './state.js';

export function selectReplica(state: SentinelState, master: MasterState, nowMs: number): ReplicaState | undefined {
  const candidates = [...master.replicas.values()].filter((r) => isCandidate(state, master, r, nowMs));
  candidates.sort(compareForPromotion);
  return candidates[0];
}

function isCandidate(state: SentinelState, master: MasterState, r: ReplicaState, nowMs: number): boolean {
  const t = state.timing;
  const link = state.links.get(r.linkKey);
  if (r.sdown || !link?.connected) return false;
  if (nowMs - link.lastAvailMs > t.pingPeriodMs * 5) return false;
  if (r.replicaPriority === 0) return false;
  // With the master down replicas are polled every second; otherwise INFO is
  // every info-period, so allow for that.
  const infoValidityMs = master.sdown ? t.pingPeriodMs * 5 : t.infoPeriodMs * 3;
  if (nowMs - r.infoRefreshMs > infoValidityMs) return false;
  const maxMasterDownMs = (master.sdown ? nowMs - master.sdownSinceMs : 0) + master.config.downAfterMs * 10;
  return r.masterLinkDownSinceMs <= maxMasterDownMs;
}

export function compareForPromotion(a: ReplicaState, b: ReplicaState): number {
  if (a.replicaPriority !== b.replicaPriority) return a.replicaPriority - b.replicaPriority;
  if (a.replOffset !== b.replOffset) return a.replOffset > b.replOffset ? -1 : 1;
  // A replica whose run id is unknown sorts last.
  if (a.runId === undefined) return b.runId === undefined ? 0 : 1;
  if (b.runId === undefined) return -1;
  return a.runId.toLowerCase() < b.runId.toLowerCase() ? -1 : a.runId.toLowerCase() > b.runId.toLowerCase() ? 1 : 0;
}
