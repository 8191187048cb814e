/**
 * Link health: reconnecting, PING and its replies, a link coming up or
 * going down. Pings measure the link, shared by every instance at its address.
 */
import type { Effect } from './effects.js';
import { refOf } from './instances.js';
import { isIpLiteral, type LinkState, type SentinelState } from './state.js';

/**
 * Starts the connection attempts due on the link, within the tick's budget.
 * Redis tries every lost link once per ping period; a Node socket costs
 * several times what hiredis's does, so ten thousand unreachable peers (a
 * forged hello makes one) tried every second would take more than the
 * whole CPU, and the Sentinel could not answer its clients. A master's own
 * link, and a link that answered since the start, are tried on time
 * whatever the budget: a flood of addresses that never answered waits in
 * line (oldest first) and is tried less often than once a period; with
 * fewer links due than the budget nothing changes.
 */
export function reconnectLinkIfNeeded(state: SentinelState, link: LinkState, ofMaster: boolean, nowMs: number,
  effects: Effect[]): void {
  if (!reconnectDue(state, link, nowMs)) return;
  const budget = state.connects;
  if (!ofMaster && link.answeredMs === 0) {
    if (budget.leftInTick <= 0) {
      budget.deferred.add(link);
      return;
    }
    budget.leftInTick -= 1;
  }
  budget.deferred.delete(link);
  reconnectIfNeeded(state, link, nowMs, effects);
  reconnectPubsubIfNeeded(state, link, nowMs, effects);
}

/** At the start of a tick: a new budget, spent first on the attempts put off earlier. */
export function startDeferredConnects(state: SentinelState, nowMs: number, effects: Effect[]): void {
  const budget = state.connects;
  budget.leftInTick = state.timing.connectsPerTick;
  for (const link of budget.deferred) {
    if (budget.leftInTick <= 0) return;
    budget.deferred.delete(link);
    if (state.links.get(link.key) !== link || !reconnectDue(state, link, nowMs)) continue;
    budget.leftInTick -= 1;
    reconnectIfNeeded(state, link, nowMs, effects);
    reconnectPubsubIfNeeded(state, link, nowMs, effects);
  }
}

function reconnectDue(state: SentinelState, link: LinkState, nowMs: number): boolean {
  if (!link.connected && attemptDue(state, link, nowMs)) return true;
  return link.kind === 'redis' && !link.pubsub.connected && attemptDue(state, link.pubsub, nowMs);
}

function reconnectIfNeeded(state: SentinelState, link: LinkState, nowMs: number, effects: Effect[]): void {
  if (link.connected) return;
  if (!attemptDue(state, link, nowMs)) return;
  link.lastReconnectAttemptMs = nowMs;
  link.connecting = true;
  // Redis sends a PING with every reconnect attempt, so a lost instance is
  // timed from the first attempt after the loss, not from its last PONG:
  // down-after-milliseconds is a real minimum.
  if (link.actPingMs === 0) link.actPingMs = nowMs;
  effects.push({ type: 'connect', link: link.key });
}

/**
 * One attempt per ping period; an attempt still under way (a connect or its
 * AUTH not answered: a loaded machine, a slow network) is left to finish
 * for the minimum reconnect period, as Redis does, instead of being
 * replaced every second (at 5,000 masters on a loaded machine no attempt
 * ever finished).
 */
function attemptDue(state: SentinelState, conn: { lastReconnectAttemptMs: number; connecting: boolean }, nowMs: number): boolean {
  const waitMs = conn.connecting ? state.timing.minLinkReconnectPeriodMs : state.timing.pingPeriodMs;
  return nowMs - conn.lastReconnectAttemptMs >= waitMs;
}

export function sendPing(link: LinkState, nowMs: number, effects: Effect[]): void {
  link.pendingCommands += 1;
  link.lastPingSentMs = nowMs;
  if (link.actPingMs === 0) link.actPingMs = nowMs;
  effects.push({ type: 'ping', link: link.key });
}

/** `pong`: +PONG; `valid`: -LOADING or -MASTERDOWN; `invalid`: any other reply; `none`: no reply. */
export type PingOutcome = 'pong' | 'valid' | 'invalid' | 'none';

/**
 * +PONG, -LOADING and -MASTERDOWN prove the instance alive; any other reply
 * only proves the link works. `none` is a timeout or a dropped connection.
 * Only +PONG ends a master's reboot (Redis clears SRI_MASTER_REBOOT on PONG
 * alone): a master still loading its dataset has not come back yet.
 */
export function onPingReply(state: SentinelState, linkKeyStr: string, outcome: PingOutcome, nowMs: number): void {
  const link = state.links.get(linkKeyStr);
  if (!link) return;
  link.pendingCommands = Math.max(0, link.pendingCommands - 1);
  if (outcome === 'none') return;
  if (outcome === 'pong' || outcome === 'valid') {
    link.lastAvailMs = nowMs;
    link.answeredMs = nowMs;
    link.actPingMs = 0;
    if (link.lastPingSentMs !== 0) link.lastPingRttMs = nowMs - link.lastPingSentMs;
  }
  if (outcome === 'pong' && state.rebootHint === true) {
    let rebooting = false;
    for (const master of state.masters.values()) {
      if (master.linkKey === linkKeyStr) master.rebootSinceMs = 0;
      else if (master.rebootSinceMs !== 0) rebooting = true;
    }
    state.rebootHint = rebooting;
  }
  link.lastPongMs = nowMs;
}

export function classifyPingReply(reply: string): PingOutcome {
  if (reply.startsWith('PONG')) return 'pong';
  return /^(LOADING|MASTERDOWN)/.test(reply) ? 'valid' : 'invalid';
}

export function onCommandDone(state: SentinelState, linkKeyStr: string): void {
  const link = state.links.get(linkKeyStr);
  if (link) link.pendingCommands = Math.max(0, link.pendingCommands - 1);
}

export function onLinkUp(
  state: SentinelState,
  linkKeyStr: string,
  localIp: string,
  nowMs: number,
  remoteIp?: string,
): Effect[] {
  const link = state.links.get(linkKeyStr);
  if (!link) return [];
  // The address a hostname connected to is what announce-hostnames no shows,
  // unless already resolved (IPv4 first, as Redis) when it was first seen.
  if (remoteIp !== undefined && !isIpLiteral(link.host) && !state.addressing.resolved.has(link.host)) {
    state.addressing.resolved.set(link.host, remoteIp);
  }
  link.connected = true;
  link.connecting = false;
  link.connectedAtMs = nowMs;
  link.pendingCommands = 0;
  link.localIp = localIp;
  const effects: Effect[] = [];
  // Redis pings as soon as a link comes up, so a restarted instance is
  // seen alive without waiting for the next period.
  sendPing(link, nowMs, effects);
  askFirstReplicaInfo(link, effects);
  return effects;
}

/**
 * A replica whose INFO never came (just discovered, or known from the
 * config at start) is asked in the same write as the first PING, not at the
 * next tick: it can be promoted only once its INFO is back.
 */
function askFirstReplicaInfo(link: LinkState, effects: Effect[]): void {
  for (const [inst, master] of link.users) {
    if (inst.kind !== 'slave' || inst.infoRefreshMs !== 0 || inst.infoPending) continue;
    inst.infoPending = true;
    link.pendingCommands += 1;
    effects.push({ type: 'info', link: link.key, target: refOf(inst, master) });
  }
}

export function onLinkDown(state: SentinelState, linkKeyStr: string): void {
  const link = state.links.get(linkKeyStr);
  if (!link) return;
  link.connected = false;
  link.connecting = false;
  link.pendingCommands = 0;
  // The replies of requests in flight are lost with the link.
  for (const inst of link.users.keys()) {
    inst.infoPending = false;
    if (inst.kind === 'sentinel') inst.askPending = false;
  }
}

/** As the command link: one attempt per ping period while the pub/sub connection is missing. */
function reconnectPubsubIfNeeded(state: SentinelState, link: LinkState, nowMs: number, effects: Effect[]): void {
  const pubsub = link.pubsub;
  if (link.kind !== 'redis' || pubsub.connected) return;
  if (!attemptDue(state, pubsub, nowMs)) return;
  pubsub.lastReconnectAttemptMs = nowMs;
  pubsub.connecting = true;
  effects.push({ type: 'connectPubsub', link: link.key });
}

/**
 * Every Sentinel, us included, publishes a hello every publish period on
 * each instance, so a subscribed connection that heard nothing for three
 * periods is stuck (half-open): Redis closes it then, once it has lived for
 * the minimum reconnect period, and the next tick subscribes anew.
 */
export function dropSilentPubsub(state: SentinelState, link: LinkState, nowMs: number, effects: Effect[]): void {
  const pubsub = link.pubsub;
  if (!pubsub.connected) return;
  if (nowMs - pubsub.connectedAtMs <= state.timing.minLinkReconnectPeriodMs) return;
  if (nowMs - pubsub.lastActivityMs <= state.timing.publishPeriodMs * 3) return;
  pubsub.connected = false;
  effects.push({ type: 'disconnectPubsub', link: link.key });
}

export function onPubsubUp(state: SentinelState, linkKeyStr: string, nowMs: number): void {
  const link = state.links.get(linkKeyStr);
  if (!link) return;
  link.pubsub.connected = true;
  link.pubsub.connecting = false;
  link.pubsub.connectedAtMs = nowMs;
  link.pubsub.lastActivityMs = nowMs;
}

export function onPubsubMessage(state: SentinelState, linkKeyStr: string, nowMs: number): void {
  const link = state.links.get(linkKeyStr);
  if (link) link.pubsub.lastActivityMs = nowMs;
}

/**
 * A lost pub/sub connection is re-made on a later tick, the command
 * connection untouched. A refused SUBSCRIBE (NOAUTH, NOPERM for a user
 * without channel rights) is no different: redis-sentinel loses only that
 * connection too (hiredis drops a subscriber on an error reply) and keeps
 * judging the instance by its PING replies; until a SUBSCRIBE is accepted
 * the instance shows `disconnected`, as there.
 */
export function onPubsubDown(state: SentinelState, linkKeyStr: string): void {
  const link = state.links.get(linkKeyStr);
  if (!link) return;
  link.pubsub.connected = false;
  link.pubsub.connecting = false;
}
