/**
 * The field list of SENTINEL MASTER / REPLICAS / SENTINELS, in the order and
 * format of redis-sentinel 7.0 (a map under RESP3, a flat array under RESP2).
 */
import { shownHost, type AnyInstance, type LinkState, type MasterState, type SentinelState } from '../core/state.js';
import type { Reply } from '../server/reply.js';

function instanceFlags(inst: AnyInstance, link: LinkState | undefined): string {
  const flags: string[] = [];
  if (inst.sdown) flags.push('s_down');
  if (inst.kind === 'master' && inst.odown) flags.push('o_down');
  flags.push(inst.kind);
  // As redis-sentinel's link->disconnected: a Redis instance needs both its
  // command and its pub/sub connection (a refused SUBSCRIBE shows here).
  if (!link?.connected || (link.kind === 'redis' && !link.pubsub.connected)) flags.push('disconnected');
  if (inst.kind === 'sentinel' && inst.peerSaysMasterDown) flags.push('master_down');
  if (inst.kind === 'master' && inst.failover.state !== 'none') flags.push('failover_in_progress');
  if (inst.kind === 'slave') {
    if (inst.promoted) flags.push('promoted');
    if (inst.reconf !== 'none') flags.push(`reconf_${inst.reconf}`);
  }
  return flags.join(',');
}

/**
 * The fields as a flat name, value, name, value... list (one array per
 * instance, no tuple per field: SENTINEL MASTERS at a thousand masters
 * builds thirty thousand of them).
 */
function instanceFields(
  state: SentinelState,
  inst: AnyInstance,
  master: MasterState,
  nowMs: number,
): string[] {
  const link = state.links.get(inst.linkKey);
  const f: string[] = [
    'name', inst.name,
    'ip', shownHost(inst.addressing, inst.host),
    'port', String(inst.port),
    'runid', inst.runId ?? '',
    'flags', instanceFlags(inst, link),
    'link-pending-commands', String(link?.pendingCommands ?? 0),
    'link-refcount', String(link?.users.size ?? 0),
  ];
  if (inst.kind === 'master' && inst.failover.state !== 'none') {
    f.push('failover-state', inst.failover.state.replace(/-/g, '_'));
  }
  f.push(
    'last-ping-sent', String(link && link.actPingMs !== 0 ? nowMs - link.actPingMs : 0),
    'last-ok-ping-reply', String(nowMs - (link?.lastAvailMs ?? 0)),
    'last-ping-reply', String(nowMs - (link?.lastPongMs ?? 0)),
  );
  if (inst.sdown) f.push('s-down-time', String(nowMs - inst.sdownSinceMs));
  if (inst.kind === 'master' && inst.odown) f.push('o-down-time', String(nowMs - inst.odownSinceMs));
  f.push('down-after-milliseconds', String(master.config.downAfterMs));
  if (inst.kind !== 'sentinel') {
    // Redis: 0 until the first INFO arrives, not the time since the epoch.
    f.push('info-refresh', String(inst.infoRefreshMs ? nowMs - inst.infoRefreshMs : 0));
    // Before any INFO, Redis reports the role the instance was created with.
    const role = inst.roleReported === 'unknown' ? inst.kind : inst.roleReported;
    f.push('role-reported', role === 'slave' ? 'slave' : 'master');
    f.push('role-reported-time', String(nowMs - inst.roleReportedTimeMs));
  }
  if (inst.kind === 'master') masterFields(inst, f);
  if (inst.kind === 'slave') {
    f.push(
      'master-link-down-time', String(inst.masterLinkDownSinceMs),
      'master-link-status', inst.masterLinkUp ? 'ok' : 'err',
      'master-host', inst.slaveMasterHost ?? '?',
      'master-port', String(inst.slaveMasterPort ?? 0),
      'slave-priority', String(inst.replicaPriority),
      'slave-repl-offset', String(inst.replOffset),
      'replica-announced', inst.replicaAnnounced ? '1' : '0',
    );
  }
  if (inst.kind === 'sentinel') {
    f.push(
      'last-hello-message', String(nowMs - inst.lastHelloMs),
      'voted-leader', inst.leader ?? '?',
      'voted-leader-epoch', String(inst.leaderEpoch),
    );
  }
  return f;
}

function masterFields(master: MasterState, f: string[]): void {
  const c = master.config;
  f.push(
    'config-epoch', String(c.configEpoch),
    'num-slaves', String(master.replicas.size),
    'num-other-sentinels', String(master.sentinels.size),
    'quorum', String(c.quorum),
    'failover-timeout', String(c.failoverTimeoutMs),
    'parallel-syncs', String(c.parallelSyncs),
  );
  if (c.notificationScript) f.push('notification-script', c.notificationScript);
  if (c.clientReconfigScript) f.push('client-reconfig-script', c.clientReconfigScript);
}

export function instanceReply(
  state: SentinelState,
  inst: AnyInstance,
  master: MasterState,
  nowMs: number,
): Reply {
  return { kind: 'bulkMap', flat: instanceFields(state, inst, master, nowMs) };
}
