/**
 * The Sentinel's in-memory world: masters, their replicas and peer
 * Sentinels, the links' health, epochs. Plain data, no I/O; the functions in
 * monitor.ts change it and return effects for the runtime to carry out.
 */
import type { LogLevel, MasterConfig } from '../config/model.js';
import type { ReportedRole } from './info.js';
import type { Timing } from './timing.js';
import type { VisitQueue } from './visits.js';

export type InstanceKind = 'master' | 'slave' | 'sentinel';

export interface ConnectBudget {
  leftInTick: number;
  /** Links due for an attempt that the budget put off, oldest first; a link leaves when its attempt starts. */
  deferred: Set<LinkState>;
}

/**
 * Health of one outbound connection. Shared by every instance at the same
 * address and kind (a peer Sentinel that watches ten of our masters is one
 * link), as Redis shares its instanceLink: pings measure the link.
 */
export interface LinkState {
  readonly key: string;
  readonly host: string;
  readonly port: number;
  readonly kind: 'redis' | 'sentinel';
  /**
   * The instances using this link, each with the master it belongs to (a
   * master with itself); Redis's link refcount is its size. What a link
   * event (down, a PONG) touches is found here, not by walking every
   * instance of every master: a master flooded with ten thousand peers
   * must not make each of their link events cost ten thousand visits.
   * In order of attachment: the first user's master governs the link's
   * auth and renamed commands.
   */
  users: Map<AnyInstance, MasterState>;
  connected: boolean;
  /** When the command link last connected (0 = never). */
  connectedAtMs: number;
  lastReconnectAttemptMs: number;
  /** A connection attempt is under way (no linkUp/linkDown yet for it). */
  connecting: boolean;
  pendingCommands: number;
  /** Oldest PING still unanswered by a valid reply; 0 when none is outstanding. */
  actPingMs: number;
  lastPingSentMs: number;
  /** Last reply of any kind to PING. */
  lastPongMs: number;
  /** Last valid reply (+PONG, -LOADING, -MASTERDOWN). */
  lastAvailMs: number;
  /**
   * Last valid reply actually received; 0 = none since this process started
   * (lastAvailMs starts at the link's creation, so that a silent address
   * goes SDOWN on time, and cannot tell).
   */
  answeredMs: number;
  /** Round trip of the last valid PING reply (approximate: from the last PING sent). */
  lastPingRttMs?: number;
  /** Local address of our socket, used as our IP in hellos when none is announced. */
  localIp?: string;
  /**
   * The pub/sub connection (Redis instances only): subscribed to the hello
   * channel. Reconnected by the core like the command link, and dropped when
   * silent for 3 hello periods (a half-open connection hears nothing).
   */
  pubsub: PubsubLinkState;
}

export interface PubsubLinkState {
  /** SUBSCRIBE confirmed and the connection not lost since. */
  connected: boolean;
  /** When the subscription was confirmed (0 = never). */
  connectedAtMs: number;
  /** Last message of any kind received on it (the subscription counts). */
  lastActivityMs: number;
  lastReconnectAttemptMs: number;
  /** A connection attempt is under way (no linkUp/linkDown yet for it). */
  connecting: boolean;
}

/**
 * How addresses are shown (announce-hostnames) and what the shell resolved
 * hostnames to. Redis keeps both a hostname and its IP for every instance and
 * picks one at reply time, so the setting can be switched at run time. One
 * object per SentinelState, referenced by each of its instances so that
 * replies and event texts can be built from an instance alone.
 */
export interface Addressing {
  announceHostnames: boolean;
  /** hostname -> IP address, learned from DNS lookups and connected links. */
  resolved: Map<string, string>;
}

export interface InstanceBase {
  readonly kind: InstanceKind;
  readonly addressing: Addressing;
  /** master: its name; slave: "ip:port"; sentinel: its run id. */
  name: string;
  host: string;
  port: number;
  runId?: string;
  linkKey: string;
  createdAtMs: number;
  sdown: boolean;
  sdownSinceMs: number;
  lastHelloSentMs: number;
  /** When INFO was last received (0 = never). */
  infoRefreshMs: number;
  infoText?: string;
  roleReported: ReportedRole;
  roleReportedTimeMs: number;
  /** INFO outstanding, so a slow instance is not sent a second one. */
  infoPending: boolean;
}

export interface ReplicaState extends InstanceBase {
  readonly kind: 'slave';
  masterLinkDownSinceMs: number;
  masterLinkUp: boolean;
  /**
   * INFO said master_link_down_since_seconds:-1: the link to its master never
   * came up, so the replica never completed a first sync and holds none of
   * the master's data. Never promoted (issue 12; redis-sentinel lets it through).
   */
  masterLinkNeverUp: boolean;
  slaveMasterHost?: string;
  slaveMasterPort?: number;
  replicaPriority: number;
  replOffset: number;
  replicaAnnounced: boolean;
  /** Failover flags (Redis's SRI_PROMOTED, SRI_RECONF_*). */
  promoted: boolean;
  reconf: 'none' | 'sent' | 'inprog' | 'done';
  reconfSentMs: number;
  /** When the replica last started replicating from a different master (role change). */
  slaveConfChangeMs: number;
  /**
   * The master we switched away from (kept as a replica by the switch): if it
   * shows up again still claiming role:master, it is converted at once
   * instead of after the usual settling wait. Cleared once it is seen as a
   * replica (a later role:master may be another Sentinel's promotion).
   * Not persisted.
   */
  demoteAtOnce: boolean;
}

export interface PeerSentinelState extends InstanceBase {
  readonly kind: 'sentinel';
  lastHelloMs: number;
  /** What this peer answered to our last IS-MASTER-DOWN-BY-ADDR (issue 3). */
  lastMasterDownReplyMs: number;
  lastMasterDownAskMs: number;
  askPending: boolean;
  peerSaysMasterDown: boolean;
  leader?: string;
  leaderEpoch: number;
}

export interface MasterState extends InstanceBase {
  readonly kind: 'master';
  config: MasterConfig;
  replicas: Map<string, ReplicaState>;
  sentinels: Map<string, PeerSentinelState>;
  odown: boolean;
  odownSinceMs: number;
  failover: Failover;
  /** Start of the last failover attempt (or vote for another), for the 2 x failover-timeout back-off. */
  failoverStartMs: number;
  /** The vote this Sentinel gave for this master (persisted epoch in config.leaderEpoch). */
  leader?: string;
  /** When the master was seen rebooting, for master-reboot-down-after-period. */
  rebootSinceMs: number;
  /** Random delay between ODOWN and starting a failover, drawn at ODOWN. */
  startJitterMs: number;
  /** When the timer visits this master's group next (visits.ts); -1: not scheduled. */
  nextVisitMs: number;
  /** The group's last beat: its periodic commands go out together, once per ping period. */
  beatMs: number;
  /** Peers and replicas discovery could not add (instanceCaps); created at the first refusal. */
  refused?: RefusedInstances;
}

/** Discovery refused by the caps, per kind: counted for the metric, logged once a minute. */
export interface RefusedInstances {
  sentinel: RefusedCount;
  slave: RefusedCount;
}

export interface RefusedCount {
  /** Every hello or INFO line refused since start. */
  total: number;
  /** Refused since the last log line about them. */
  sinceLog: number;
  /** When that line was logged (undefined: never). */
  loggedMs?: number;
}

/** How many other Sentinels / replicas discovery may add to one master. */
export interface InstanceCaps {
  sentinels: number;
  replicas: number;
}

export type FailoverStateName =
  | 'none'
  | 'wait-start'
  | 'select-slave'
  | 'send-slaveof-noone'
  | 'wait-promotion'
  /** SENTINEL FAILOVER <name> COORDINATED: FAILOVER TO sent to the master, swap awaited (src/core/coordinated.ts). */
  | 'send-failover'
  | 'wait-failover'
  | 'reconf-slaves'
  | 'update-config';

export interface Failover {
  state: FailoverStateName;
  epoch: number;
  stateChangedMs: number;
  /** Name of the replica being promoted, from select-slave on. */
  promoted?: string;
  /** SENTINEL FAILOVER: no election needed. */
  forced: boolean;
  /** SENTINEL FAILOVER <name> COORDINATED: elected, then the master hands over with FAILOVER TO. */
  coordinated: boolean;
}

export type AnyInstance = MasterState | ReplicaState | PeerSentinelState;

/**
 * The global settings a Sentinel changes at run time (SENTINEL CONFIG SET),
 * in one place: replies, hellos, links and the config file all read them
 * here. announce-hostnames lives in `addressing`, which every instance shares.
 */
export interface SentinelSettings {
  announceIp?: string;
  /** 0 = announce the port we listen on. */
  announcePort: number;
  resolveHostnames: boolean;
  sentinelUser?: string;
  sentinelPass?: string;
  loglevel: LogLevel;
}

export interface SentinelState {
  myId: string;
  addressing: Addressing;
  currentEpoch: number;
  masters: Map<string, MasterState>;
  links: Map<string, LinkState>;
  settings: SentinelSettings;
  instanceCaps: InstanceCaps;
  /** Our listening port, announced in hellos when announce-port is 0. */
  port: number;
  tilt: boolean;
  tiltSinceMs: number;
  /** Last timer run, to detect clock jumps (TILT). */
  lastTickMs: number;
  /** Which masters' groups the next ticks visit (visits.ts). */
  visits: VisitQueue;
  /** Connection attempts left to this tick, and those it put off (linkHealth.ts). */
  connects: ConnectBudget;
  /**
   * Some master may have rebootSinceMs set: a +PONG then looks for the
   * masters of its link to clear it. Never false while one is set (raised
   * wherever it is set, lowered only by a scan that found none), so that a
   * PONG does not visit a thousand masters for nothing.
   */
  rebootHint?: boolean;
  startedAtMs: number;
  timing: Timing;
  /** SENTINEL SIMULATE-FAILURE flags. */
  simulateFailure: { crashAfterElection: boolean; crashAfterPromotion: boolean };
  /** Seeded randomness (the core never calls Math.random): returns [0, 1). */
  random: () => number;
}

export function linkKey(kind: 'redis' | 'sentinel', host: string, port: number): string {
  return `${kind}|${host}|${port}`;
}

/** The address as replies, events, hellos and the config file show it (Redis's announceSentinelAddr). */
export function shownHost(addressing: Addressing, host: string): string {
  return addressing.announceHostnames ? host : addressing.resolved.get(host) ?? host;
}

/** Two addresses naming the same host: equal, or resolving to the same IP (Redis's sentinelAddrEqualsHostname). */
export function sameHost(addressing: Addressing, a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (a.toLowerCase() === b.toLowerCase()) return true;
  return (addressing.resolved.get(a) ?? a) === (addressing.resolved.get(b) ?? b);
}

/**
 * Whether a hostname heard from others (INFO, hellos) may be stored: with
 * resolve-hostnames on, once the shell resolved it, as Redis creates an
 * address only from a name that resolves. With it off no name is stored,
 * not even one resolved while it was on (a lookup that ended after
 * SENTINEL CONFIG SET resolve-hostnames no): the loader would refuse it.
 */
export function storableName(state: SentinelState, host: string): boolean {
  return state.settings.resolveHostnames && state.addressing.resolved.has(host);
}

/** An IPv4 or IPv6 literal rather than a hostname (the core cannot call net.isIP). */
export function isIpLiteral(host: string): boolean {
  return host.includes(':') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

export function formatAddr(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
