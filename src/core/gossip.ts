/**
 * Hellos: what this Sentinel announces on every master's and replica's
 * channel (and to peers), and what it learns from the peers' hellos: new
 * Sentinels, newer epochs, a newer configuration of a master.
 */
import { checkAnnouncedAddress } from '../config/address.js';
import { roomFor } from './caps.js';
import { instanceDetails } from './details.js';
import { sentinelEvent, type Effect } from './effects.js';
import { abortFailover, changeMasterAddress, currentMasterAddress, failoverInProgress } from './failover.js';
import { formatHello, isValidRunId, parseHello, type Hello } from './hello.js';
import { createPeerSentinel, instancesOf, removePeer } from './instances.js';
import {
  formatAddr,
  linkKey,
  sameHost,
  shownHost,
  storableName,
  type AnyInstance,
  type LinkState,
  type MasterState,
  type PeerSentinelState,
  type SentinelState,
} from './state.js';

export function sendHellosNow(state: SentinelState, master: MasterState, nowMs: number, effects: Effect[]): void {
  for (const inst of instancesOf(master)) {
    const link = state.links.get(inst.linkKey);
    if (link?.connected) sendHello(state, inst, master, link, nowMs, effects);
  }
}

export function sendHello(
  state: SentinelState,
  inst: AnyInstance,
  master: MasterState,
  link: LinkState,
  nowMs: number,
  effects: Effect[],
): void {
  const payload = helloPayload(state, master, link);
  if (payload === undefined) return;
  inst.lastHelloSentMs = nowMs;
  link.pendingCommands += 1;
  effects.push({ type: 'publishHello', link: link.key, payload });
}

function helloPayload(state: SentinelState, master: MasterState, link: LinkState): string | undefined {
  const ip = state.settings.announceIp ?? link.localIp;
  if (ip === undefined) return undefined;
  const addr = currentMasterAddress(master);
  return formatHello({
    ip,
    port: state.settings.announcePort !== 0 ? state.settings.announcePort : state.port,
    runId: state.myId,
    currentEpoch: state.currentEpoch,
    masterName: master.name,
    masterIp: shownHost(state.addressing, addr.host),
    masterPort: addr.port,
    masterConfigEpoch: master.config.configEpoch,
  });
}

/** A hello from a master/replica channel or PUBLISHed to us by a peer. */
export function onHello(state: SentinelState, payload: string, nowMs: number): Effect[] {
  const parsed = parseHello(payload);
  if (!parsed || parsed.runId === state.myId) return [];
  const master = state.masters.get(parsed.masterName);
  if (!master) return [];
  // Whatever a hello makes us store is written to the config file: it must
  // pass the loader's checks, or the next start would fail (Redis drops such
  // a hello too, as it cannot create the instance's address).
  const hello = checkedHello(state, parsed);
  if (!hello) return [];
  const effects: Effect[] = [];
  const peer = findPeer(master, hello.ip, hello.port, hello.runId) ??
    addPeer(state, master, hello.ip, hello.port, hello.runId, nowMs, effects);
  // Beyond max-sentinels-per-master the hello is dropped whole: a peer we do
  // not keep cannot move the master either.
  if (!peer) return effects;
  if (hello.currentEpoch > state.currentEpoch) {
    state.currentEpoch = hello.currentEpoch;
    // Synchronous: a restart must not come back with a lower current epoch
    // than one we already acted on (a vote asked at it, a hello announcing it).
    effects.push({ type: 'persist', sync: true });
    effects.push(sentinelEvent('warning', '+new-epoch', String(state.currentEpoch), master.name));
  }
  // Adopted even in TILT (as Redis does): it is the peers' decision, not a
  // judgement of ours based on time, and acting on a stale configuration
  // right after TILT would undo their failover.
  if (master.config.configEpoch < hello.masterConfigEpoch) {
    applyNewerConfig(state, master, peer, hello.masterIp, hello.masterPort, hello.masterConfigEpoch, nowMs, effects);
  }
  peer.lastHelloMs = nowMs;
  return effects;
}

/** The hello with its addresses normalized as the config loader stores them, or undefined if it would not load. */
function checkedHello(state: SentinelState, hello: Hello): Hello | undefined {
  // As for replicas in INFO: a name counts only once the shell resolved it
  // (it resolves hello names first, and only with resolve-hostnames).
  const named = (host: string): boolean => storableName(state, host);
  const peer = checkAnnouncedAddress(hello.ip, hello.port, named(hello.ip));
  const master = checkAnnouncedAddress(hello.masterIp, hello.masterPort, named(hello.masterIp));
  if (typeof peer === 'string' || typeof master === 'string' || !isValidRunId(hello.runId)) return undefined;
  return { ...hello, ip: peer.host, port: peer.port, masterIp: master.host, masterPort: master.port };
}

/**
 * A peer announces a newer configuration of this master (it led a failover
 * we did not see): adopt the announced address.
 */
function applyNewerConfig(
  state: SentinelState,
  master: MasterState,
  peer: PeerSentinelState,
  host: string,
  port: number,
  configEpoch: number,
  nowMs: number,
  effects: Effect[],
): void {
  // A newer configuration supersedes any failover of ours still running.
  if (failoverInProgress(master)) {
    effects.push(sentinelEvent('warning', '-failover-abort-superseded', instanceDetails(master), master.name));
    abortFailover(state, master, nowMs, effects);
  }
  master.config.configEpoch = configEpoch;
  effects.push({ type: 'persist', sync: true });
  if (sameHost(state.addressing, host, master.host) && port === master.port) return;
  const fromIp = shownHost(state.addressing, master.host);
  const fromPort = master.port;
  effects.push(sentinelEvent('warning', '+config-update-from', instanceDetails(peer, master), master.name));
  effects.push(sentinelEvent('warning', '+switch-master', `${master.name} ${fromIp} ${fromPort} ${host} ${port}`, master.name));
  changeMasterAddress(state, master, host, port, nowMs, effects);
  effects.push({ type: 'reconfigScript', master: master.name, role: 'observer', state: 'start',
    fromIp, fromPort, toIp: host, toPort: port });
}

function findPeer(master: MasterState, host: string, port: number, runId: string): PeerSentinelState | undefined {
  const peer = master.sentinels.get(runId);
  return peer && peer.host === host && peer.port === port ? peer : undefined;
}

/** This master's peers at host:port, from the link of that address (no walk over every peer per hello). */
function peersAt(state: SentinelState, master: MasterState, host: string, port: number): PeerSentinelState[] {
  const found: PeerSentinelState[] = [];
  const users = state.links.get(linkKey('sentinel', host, port))?.users ?? [];
  for (const [inst, owner] of users) if (owner === master && inst.kind === 'sentinel') found.push(inst);
  return found;
}

/**
 * A Sentinel seen under a new address or a known address with a new run id
 * (a restart without its config) replaces the stale entry: `-dup-sentinel`.
 * Undefined when the master already has all the peers it may keep.
 */
function addPeer(
  state: SentinelState,
  master: MasterState,
  host: string,
  port: number,
  runId: string,
  nowMs: number,
  effects: Effect[],
): PeerSentinelState | undefined {
  const stale = peersAt(state, master, host, port);
  const sameId = master.sentinels.get(runId);
  if (sameId && !stale.includes(sameId)) stale.push(sameId);
  for (const other of stale) removePeer(state, master, other, effects);
  if (stale.length > 0) {
    effects.push(sentinelEvent('notice', '-dup-sentinel',
      `${instanceDetails(master)} #duplicate of ${formatAddr(host, port)} or ${runId}`, master.name));
  }
  // After the duplicates went: a peer replacing its stale entry always fits.
  if (!roomFor(state, master, 'sentinel', `${formatAddr(host, port)} ${runId}`, nowMs, effects)) return undefined;
  const peer = createPeerSentinel(state, master, host, port, runId, nowMs);
  effects.push(sentinelEvent('notice', '+sentinel', instanceDetails(peer, master), master.name));
  effects.push({ type: 'persist', sync: false });
  return peer;
}
