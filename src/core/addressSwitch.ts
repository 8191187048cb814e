/**
 * A master's address changes: update-config switching to the promoted
 * replica (+switch-master), or a newer configuration learned from a hello.
 * Replicas and peers are kept, the old master becomes a replica to convert.
 */
import { roomFor } from './caps.js';
import { instanceDetails } from './details.js';
import { sentinelEvent, type Effect } from './effects.js';
import { promotedReplica } from './failoverState.js';
import { acquireLink, createReplica, findReplica, releaseLink, resetMasterFields } from './instances.js';
import { formatAddr, sameHost, shownHost, type MasterState, type SentinelState } from './state.js';

function ev(level: 'warning' | 'notice', channel: string, text: string, master: MasterState): Effect {
  return sentinelEvent(level, channel, text, master.name);
}

/** update-config: the promoted replica becomes the master this Sentinel monitors. */
export function switchToPromoted(state: SentinelState, master: MasterState, nowMs: number, effects: Effect[]): void {
  const promoted = promotedReplica(master);
  if (!promoted) return;
  const shown = (host: string) => shownHost(state.addressing, host);
  effects.push(ev('warning', '+switch-master',
    `${master.name} ${shown(master.host)} ${master.port} ${shown(promoted.host)} ${promoted.port}`, master));
  changeMasterAddress(state, master, promoted.host, promoted.port, nowMs, effects);
  // No client-reconfig-script call here: redis-sentinel 7.0 only ever calls
  // it with state "start" (the leader at promotion, observers on the hello).
}

/**
 * Points `master` at a new address. Known replicas are kept (minus the new
 * master), the old master is added as a replica so that it is converted
 * when it comes back, peers are kept, and the failover state is cleared.
 */
export function changeMasterAddress(
  state: SentinelState,
  master: MasterState,
  host: string,
  port: number,
  nowMs: number,
  effects: Effect[],
): void {
  const keep = [...master.replicas.values()]
    .filter((r) => !(sameHost(state.addressing, r.host, host) && r.port === port))
    .map((r) => ({ host: r.host, port: r.port, formerMaster: false }));
  if (!sameHost(state.addressing, master.host, host) || master.port !== port) {
    keep.push({ host: master.host, port: master.port, formerMaster: true });
  }
  for (const r of master.replicas.values()) releaseLink(state, r, effects);
  master.replicas.clear();
  releaseLink(state, master, effects);
  resetMasterFields(master, nowMs);
  master.host = host;
  master.port = port;
  master.config.host = host;
  master.config.port = port;
  acquireLink(state, master, master, nowMs);
  for (const r of keep) {
    if (findReplica(state, master, r.host, r.port)) continue;
    // The known replicas are put back as they were; the old master is one
    // more, and forged hellos moving the master again and again must not
    // grow the list past max-replicas-per-master either.
    if (r.formerMaster && !roomFor(state, master, 'slave', formatAddr(r.host, r.port), nowMs, effects)) continue;
    const replica = createReplica(state, master, r.host, r.port, nowMs);
    // The master we switched away from: converted as soon as it is seen
    // claiming role:master, without the settling wait of a stray master.
    replica.demoteAtOnce = r.formerMaster;
    effects.push(ev('notice', '+slave', instanceDetails(replica, master), master));
  }
  effects.push({ type: 'persist', sync: true });
}
