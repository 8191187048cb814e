/**
 * The shell around the pure core: a 100 ms timer and link callbacks feed the
 * core, and the effects it returns are carried out here, in order.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import * as fsPromises from 'node:fs/promises';
import type { ConnectionOptions } from 'node:tls';
import type { Logger } from './log.js';
import type { SentinelConfig } from './config/model.js';
import { renderConfig, writeConfigAtomic, writeConfigAtomicSync, type AtomicFs } from './config/index.js';
import type { Effect, InstanceRef } from './core/effects.js';
import { HELLO_CHANNEL } from './core/hello.js';
import type { MasterDownAnswer } from './core/failover.js';
import { step, type CoreEvent, type StepOptions, type StepResult } from './core/step.js';
import type { Reply } from './server/reply.js';
import { classifyPingReply, type PingOutcome } from './core/monitor.js';
import { configFromState, seededRandom, stateFromConfig } from './core/sentinel.js';
import type { MasterState, SentinelState } from './core/state.js';
import { InstanceLink, type LinkAuth } from './links/link.js';
import { parseInfo } from './core/info.js';
import { resolveHost } from './resolve.js';
import { truncateUtf8 } from './server/limits.js';
import { checkAnnouncedAddress, normalizeNumericHost } from './config/address.js';

export interface RuntimeOptions {
  configPath: string;
  configText: string;
  config: SentinelConfig;
  logger: Logger;
  /** Delivers an event to the Sentinel's own pub/sub subscribers. */
  publish: (channel: string, message: string) => void;
  /** Script queue: notification and client-reconfig scripts, SENTINEL PENDING-SCRIPTS. */
  scripts?: { schedule(path: string, args: readonly string[]): void; pendingReply(): Reply };
  /** Process exit, for SIMULATE-FAILURE; injectable for tests. */
  exit?: (code: number) => void;
  /** Wall clock; injectable for tests. */
  nowMs?: () => number;
  tickIntervalMs?: number;
  /** tls-replication yes: TLS for every outbound link, peer Sentinels included (as redis-sentinel). */
  linkTls?: ConnectionOptions;
  /** The port hellos announce when announce-port is 0 (default: the config's port). */
  helloPort?: number;
  /** Let a core bug (ImpossibleTransition) throw instead of stopping that master's failover (tests, simulator). */
  strictCore?: boolean;
}

export class Runtime {
  readonly state: SentinelState;
  /**
   * The config as loaded: what the core does not hold (bind, tls, users...).
   * Settings changed at run time live in `state.settings`; the file is
   * rendered from the state over this base.
   */
  readonly config: SentinelConfig;
  readonly runId = randomBytes(20).toString('hex');
  private configText: string;
  private readonly links = new Map<string, InstanceLink>();
  private timer?: NodeJS.Timeout;
  private persistRunning?: Promise<void>;
  private persistAgain = false;
  /** Bumped by every write; an async write renders older state once a later one started. */
  private writeGeneration = 0;
  private readonly now: () => number;
  readonly log: Logger;

  constructor(private readonly opts: RuntimeOptions) {
    this.now = opts.nowMs ?? Date.now;
    this.config = opts.config;
    this.configText = opts.configText;
    this.log = opts.logger;
    const myId = opts.config.myid ?? randomBytes(20).toString('hex');
    // Each process draws its own seed: identical seeds would give every
    // Sentinel the same failover start jitter and split the vote.
    this.state = stateFromConfig(opts.config, myId, this.now(), seededRandom(randomBytes(4).readUInt32LE(0)), opts.helloPort);
  }

  nowMs(): number {
    return this.now();
  }

  start(): void {
    const interval = this.opts.tickIntervalMs ?? 100;
    this.timer = setInterval(() => this.feed({ type: 'tick' }), interval);
    this.timer.unref?.();
    this.feed({ type: 'tick' });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const t of this.wakeTimers.values()) clearTimeout(t);
    this.wakeTimers.clear();
    for (const link of this.links.values()) link.close();
    this.links.clear();
    await this.persistRunning;
  }

  /** Production contains a core bug to the master it concerns (see StepOptions). */
  private stepOptions(): StepOptions {
    return { strict: this.opts.strictCore ?? false };
  }

  /** One event through the core (step), and its effects carried out. */
  private feed(event: CoreEvent): void {
    this.submit(event);
  }

  /**
   * One event through the core (step), its effects carried out in order;
   * the way commands change Sentinel state. With `deferPersist` (admin
   * commands) a persist effect is left to the caller, which awaits the
   * write before it replies (save before OK).
   */
  submit(event: CoreEvent, opts: { deferPersist?: boolean } = {}): StepResult {
    const result = step(this.state, event, this.now(), this.stepOptions());
    this.apply(opts.deferPersist ? result.effects.filter((e) => e.type !== 'persist') : result.effects);
    return result;
  }

  /** Executes effects in order. */
  private apply(effects: readonly Effect[]): void {
    // When the step also sends something that reveals its new state to the
    // network (a vote request carrying our new epoch, a SLAVEOF, a hello),
    // the state is written synchronously before it leaves. Otherwise (replica
    // or peer discovery) the write is asynchronous and coalesced, so that a
    // thousand masters discovered at start do not block the event loop. The
    // state was fully updated by the step already: one write per batch.
    const mustSync = effects.some((e) => e.type === 'askMasterDown' || e.type === 'slaveof' || e.type === 'publishHello');
    let persisted = false;
    for (const effect of effects) {
      if (effect.type === 'persist') {
        if (!persisted) {
          if (mustSync) this.persistNow();
          else void this.persist().catch(() => undefined);
        }
        persisted = true;
        continue;
      }
      this.execute(effect);
    }
  }

  private persistNow(): void {
    try {
      this.persistSync();
    } catch (err) {
      this.log.warn({ err: String(err) },
        `WARNING: Sentinel was not able to save the new configuration on disk!!!: ${errorMessage(err)}`);
    }
  }

  private execute(effect: Effect): void {
    switch (effect.type) {
      case 'connect': return this.connect(effect.link);
      case 'disconnect': return this.disconnect(effect.link);
      case 'connectPubsub': return this.connectPubsub(effect.link);
      case 'disconnectPubsub': return this.links.get(effect.link)?.closePubsub();
      case 'ping': return this.ping(effect.link);
      case 'info': return this.info(effect.link, effect.target);
      case 'publishHello': return this.publishHello(effect.link, effect.payload);
      case 'event': return this.emitEvent(effect.channel, effect.message, effect.level, effect.master);
      case 'persist': return this.persistNow();
      case 'askMasterDown': return this.askMasterDown(effect);
      case 'slaveof': return this.slaveof(effect);
      case 'failoverTo': return this.failoverTo(effect);
      case 'failoverAbort': return this.failoverAbort(effect);
      case 'reconfigScript': return this.reconfigScript(effect);
      case 'log': return this.logLine(effect.level, effect.message, effect.master);
      case 'crash': return this.crash(effect.reason);
      case 'wakeAt': return this.wakeAt(effect.master, effect.atMs);
    }
  }

  private logLine(level: string, message: string, master?: string): void {
    const fields = master === undefined ? {} : { master };
    if (level === 'warning') this.log.warn(fields, message);
    else if (level === 'notice') this.log.info(fields, message);
    else this.log.debug(fields, message);
  }

  private readonly wakeTimers = new Map<string, NodeJS.Timeout>();

  private wakeAt(master: string, atMs: number): void {
    if (this.wakeTimers.has(master) || !this.timer) return;
    const t = setTimeout(() => {
      this.wakeTimers.delete(master);
      this.feed({ type: 'evaluate', master });
    }, Math.max(0, atMs - this.now()));
    t.unref();
    this.wakeTimers.set(master, t);
  }

  private crash(reason: string): void {
    this.log.warn(`Sentinel simulated failure: ${reason}. Exiting...`);
    // The config already holds everything persisted so far; exit as a crash would.
    (this.opts.exit ?? ((code: number) => process.exit(code)))(99);
  }

  private askMasterDown(e: Extract<Effect, { type: 'askMasterDown' }>): void {
    const link = this.links.get(e.link);
    const done = (reply: MasterDownAnswer | undefined) =>
      this.feed({ type: 'masterDownReply', master: e.peer.master, peer: e.peer.name, reply });
    if (!link) return done(undefined);
    link.call('sentinel', 'is-master-down-by-addr', e.masterIp, e.masterPort, e.epoch, e.runId).then(
      (reply) => done(parseMasterDownReply(reply)),
      () => done(undefined),
    );
  }

  private slaveof(e: Extract<Effect, { type: 'slaveof' }>): void {
    const link = this.links.get(e.link);
    if (!link) return this.feed({ type: 'commandDone', link: e.link });
    const target = e.host === undefined ? ['NO', 'ONE'] : [e.host, String(e.port)];
    link.transaction([
      ['slaveof', ...target],
      ['config', 'rewrite'],
      ['client', 'kill', 'type', 'normal'],
      ['client', 'kill', 'type', 'pubsub'],
    ]).then(
      // On success the core asks for INFO at once, to see the effect of
      // SLAVEOF without waiting for the next INFO period.
      () => this.feed({ type: 'slaveofDone', link: e.link, target: e.target, ok: true }),
      (err: unknown) => {
        this.feed({ type: 'slaveofDone', link: e.link, target: e.target, ok: false });
        this.log.warn({ err: errorMessage(err), target: e.target.name }, 'SLAVEOF transaction failed');
      },
    );
  }

  private failoverTo(e: Extract<Effect, { type: 'failoverTo' }>): void {
    const link = this.links.get(e.link);
    const noReply = () => this.feed({ type: 'failoverToReply', link: e.link, master: e.target.master, noReply: true });
    if (!link) return noReply();
    link.call('failover', 'to', e.host, e.port, 'timeout', e.timeoutMs).then(
      () => this.feed({ type: 'failoverToReply', link: e.link, master: e.target.master }),
      // Only an error reply is a refusal; a timeout or a lost link is not.
      (err: unknown) => (err instanceof Error && err.name === 'ReplyError'
        ? this.feed({ type: 'failoverToReply', link: e.link, master: e.target.master, error: errorMessage(err) })
        : noReply()),
    );
  }

  private failoverAbort(e: Extract<Effect, { type: 'failoverAbort' }>): void {
    const link = this.links.get(e.link);
    if (!link) return;
    link.call('failover', 'abort').then(
      () => this.log.warn({ target: e.target.name }, 'FAILOVER ABORT sent to the master of a stuck coordinated failover'),
      (err: unknown) => this.log.warn({ err: errorMessage(err), target: e.target.name }, 'FAILOVER ABORT failed'),
    );
  }

  manualFailover(name: string, coordinated = false): NonNullable<StepResult['manual']> {
    const event = coordinated
      ? { type: 'manualFailover' as const, master: name, coordinated: true }
      : { type: 'manualFailover' as const, master: name };
    const { effects, manual: result = 'nosuchmaster' } = step(this.state, event, this.now(), this.stepOptions());
    if (result === 'ok') this.log.warn(`Executing user requested FAILOVER of '${name}'${coordinated ? ' (coordinated)' : ''}`);
    this.apply(effects.filter((e) => e.type !== 'persist'));
    // The epoch this failover will use is on disk before the reply.
    if (effects.some((e) => e.type === 'persist')) this.persistNow();
    return result;
  }

  pendingScriptsReply(): Reply {
    return this.opts.scripts?.pendingReply() ?? { kind: 'array', items: [] };
  }

  /** SENTINEL IS-MASTER-DOWN-BY-ADDR from a peer; the vote is on disk before the reply. */
  async isMasterDownByAddr(ip: string, port: number, epoch: number, runId: string): Promise<[boolean, string, number]> {
    const { effects, answer = { down: false, leader: '*', leaderEpoch: 0 } } =
      step(this.state, { type: 'isMasterDownRequest', ip, port, epoch, runId }, this.now(), this.stepOptions());
    const needsPersist = effects.some((e) => e.type === 'persist');
    this.apply(effects.filter((e) => e.type !== 'persist'));
    if (needsPersist) await this.persist();
    return [answer.down, answer.leader, answer.leaderEpoch];
  }

  /** Observers of every event (metrics); called after the event is published. */
  readonly eventListeners: Array<(channel: string, message: string, master?: string) => void> = [];

  emitEvent(channel: string, fullMessage: string, level: string, master?: string): void {
    // sentinelEvent formats into a LOG_MAX_LEN buffer: long events are cut like the real one's.
    const message = truncateUtf8(fullMessage);
    const line = truncateUtf8(`${channel} ${message}`);
    const fields = master === undefined ? { event: channel } : { event: channel, master };
    if (level === 'warning') this.log.warn(fields, line);
    else if (level === 'notice') this.log.info(fields, line);
    else this.log.debug(fields, line);
    this.opts.publish(channel, message);
    for (const listener of this.eventListeners) listener(channel, message, master);
    const script = master === undefined ? undefined : this.state.masters.get(master)?.config.notificationScript;
    if (level === 'warning' && script) this.opts.scripts?.schedule(script, [channel, message]);
  }

  private reconfigScript(e: Extract<Effect, { type: 'reconfigScript' }>): void {
    const script = this.state.masters.get(e.master)?.config.clientReconfigScript;
    if (!script) return;
    this.opts.scripts?.schedule(script, [
      e.master, e.role, e.state, e.fromIp, String(e.fromPort), e.toIp, String(e.toPort),
    ]);
  }

  /** Re-make every link of a master so new auth or renamed commands apply. */
  relinkMaster(master: MasterState): void {
    const keys = [master.linkKey, ...[...master.replicas.values()].map((r) => r.linkKey)];
    // connect() replaces the connections in place; the link counts as up
    // until the new one reports either way.
    for (const key of keys) {
      this.links.get(key)?.connect();
      this.links.get(key)?.connectPubsub();
    }
  }

  relinkSentinels(): void {
    for (const [key, link] of this.state.links) if (link.kind === 'sentinel') this.links.get(key)?.connect();
  }

  /** A hostname resolved by the shell (SENTINEL MONITOR). */
  hostResolved(host: string, ip: string): void {
    this.feed({ type: 'hostResolved', host, ip });
  }

  /** A hello PUBLISHed to our own port by a peer Sentinel, or seen on a master's channel. */
  receiveHello(payload: string): void {
    const named = namesIn(payload);
    if (named.length === 0 || !this.state.settings.resolveHostnames) {
      this.feed({ type: 'hello', payload });
      return;
    }
    // Redis resolves a name in a hello (createSentinelAddr) and drops the
    // hello when it does not resolve; the core cannot ask DNS, so the names
    // are looked up here first and the core learns their addresses.
    void this.resolveHelloNames(payload, named).then((ok) => {
      if (ok) this.feed({ type: 'hello', payload });
    });
  }

  private async resolveHelloNames(payload: string, fields: number[]): Promise<boolean> {
    const t = payload.split(',');
    for (const i of fields) {
      const host = t[i] ?? '';
      const ip = await resolveHost(host);
      if (ip === undefined) return false;
      this.hostResolved(host, ip);
    }
    return true;
  }

  private connect(key: string): void {
    this.linkFor(key)?.connect();
  }

  private connectPubsub(key: string): void {
    this.linkFor(key)?.connectPubsub();
  }

  private linkFor(key: string): InstanceLink | undefined {
    const linkState = this.state.links.get(key);
    if (!linkState) return undefined;
    let link = this.links.get(key);
    if (!link) {
      link = this.makeLink(key, linkState.host, linkState.port, linkState.kind);
      this.links.set(key, link);
    }
    return link;
  }

  private makeLink(key: string, host: string, port: number, kind: 'redis' | 'sentinel'): InstanceLink {
    const owner = () => this.ownerOf(key);
    return new InstanceLink({
      host,
      port,
      tls: this.opts.linkTls,
      auth: () => this.authFor(kind, owner()),
      clientNamePrefix: `sentinel-${this.state.myId.slice(0, 8)}`,
      rename: (command) => (kind === 'redis' ? owner()?.config.renameCommands[command] ?? command : command),
    }, {
      up: (localIp, remoteIp) => this.feed({ type: 'linkUp', link: key, localIp, remoteIp }),
      down: () => this.feed({ type: 'linkDown', link: key }),
      pubsubUp: () => this.feed({ type: 'pubsubUp', link: key }),
      pubsubDown: (refused) => this.feed({ type: 'pubsubDown', link: key, refused }),
      message: (channel, payload) => {
        this.feed({ type: 'pubsubMessage', link: key });
        if (channel === HELLO_CHANNEL) this.receiveHello(payload);
      },
    });
  }

  private readonly owners = new Map<string, MasterState>();

  /**
   * The master whose config (auth, renamed commands) governs a shared link.
   * Asked on every command sent (rename), so the answer is cached and only
   * looked up again when that master no longer uses the link.
   */
  private ownerOf(key: string): MasterState | undefined {
    const cached = this.owners.get(key);
    if (cached && this.state.masters.get(cached.name) === cached && usesLink(cached, key)) return cached;
    this.owners.delete(key);
    for (const m of this.state.masters.values()) {
      if (!usesLink(m, key)) continue;
      this.owners.set(key, m);
      return m;
    }
    return undefined;
  }

  private authFor(kind: 'redis' | 'sentinel', master: MasterState | undefined): LinkAuth {
    if (kind === 'sentinel') {
      // Redis's sentinelSendAuthIfNeeded: without sentinel-pass, requirepass
      // serves both ways (older configs), as the default user.
      const { sentinelUser, sentinelPass } = this.state.settings;
      if (sentinelPass === undefined) return { password: this.config.requirepass };
      return { username: sentinelUser, password: sentinelPass };
    }
    // As sentinelSendAuthIfNeeded: no AUTH at all without auth-pass, even with an auth-user.
    const password = master?.config.authPass;
    return password === undefined ? {} : { username: master?.config.authUser, password };
  }

  private disconnect(key: string): void {
    const link = this.links.get(key);
    if (!link) return;
    link.close();
    // Still referenced: the core asked for fresh connections on a later tick.
    if (!this.state.links.has(key)) return void this.links.delete(key);
    this.feed({ type: 'linkDown', link: key });
    this.feed({ type: 'pubsubDown', link: key, refused: false });
  }

  private ping(key: string): void {
    const link = this.links.get(key);
    const done = (outcome: PingOutcome) => this.feed({ type: 'pingReply', link: key, outcome });
    if (!link) return done('none');
    link.ping().then(
      (reply) => done(classifyPingReply(String(reply))),
      (err: unknown) => done(replyErrorOutcome(err)),
    );
  }

  private info(key: string, target: InstanceRef): void {
    const link = this.links.get(key);
    const done = (text: string | undefined) => this.feed({ type: 'info', target, text });
    if (!link) return done(undefined);
    link.info().then(
      (reply) => {
        const text = String(reply);
        void this.resolveReplicaHosts(text).finally(() => done(text));
      },
      () => done(undefined),
    );
  }

  /**
   * Replicas a master lists by hostname (replica-announce-ip) are resolved
   * before the core sees the INFO, so that it can name and show them by
   * address under announce-hostnames no, as Redis does when it creates them.
   */
  private async resolveReplicaHosts(infoText: string): Promise<void> {
    if (!this.state.settings.resolveHostnames) return;
    const resolved = this.state.addressing.resolved;
    const hosts = new Set(parseInfo(infoText).replicas.map((r) => r.host));
    for (const host of hosts) {
      if (isIP(host) !== 0 || resolved.has(host)) continue;
      const ip = await resolveHost(host);
      if (ip !== undefined) this.hostResolved(host, ip);
    }
  }

  private publishHello(key: string, payload: string): void {
    const link = this.links.get(key);
    const done = () => this.feed({ type: 'commandDone', link: key });
    if (!link) return done();
    link.publishHello(payload).then(done, done);
  }

  /** The config text the current state would be written as. */
  renderedConfig(): string {
    return renderConfig(this.configText, configFromState(this.config, this.state));
  }

  /**
   * Writes the state to the config file atomically. Calls made while a write
   * runs are folded into one more write after it, so the file always ends up
   * with the latest state and writes never overlap.
   */
  persist(): Promise<void> {
    if (this.persistRunning) {
      this.persistAgain = true;
      return this.persistRunning;
    }
    this.persistRunning = this.persistLoop().finally(() => {
      this.persistRunning = undefined;
    });
    return this.persistRunning;
  }

  private async persistLoop(): Promise<void> {
    do {
      this.persistAgain = false;
      const generation = ++this.writeGeneration;
      const text = this.renderedConfig();
      try {
        await writeConfigAtomic(this.opts.configPath, text, this.unlessSuperseded(generation));
        this.configText = text;
      } catch (err) {
        this.log.warn({ err: String(err) },
          `WARNING: Sentinel was not able to save the new configuration on disk!!!: ${errorMessage(err)}`);
        throw err;
      }
    } while (this.persistAgain);
  }

  /** Synchronous flush for shutdown paths. */
  persistSync(): void {
    // An async write in flight rendered an older state: make it write again
    // after this one, so the file never goes back.
    if (this.persistRunning) this.persistAgain = true;
    this.writeGeneration += 1;
    const text = this.renderedConfig();
    writeConfigAtomicSync(this.opts.configPath, text);
    this.configText = text;
  }

  /**
   * The file system for an async write that drops its rename when a
   * synchronous write (a vote, an ACL change) happened meanwhile: renamed
   * after it, the older text would take back what was just made durable.
   * The loop writes the latest state again right after.
   */
  private unlessSuperseded(generation: number): AtomicFs {
    return {
      open: (path, flags, mode) => fsPromises.open(path, flags, mode),
      unlink: (path) => fsPromises.unlink(path),
      rename: (from, to) => (generation === this.writeGeneration ? fsPromises.rename(from, to) : fsPromises.unlink(from)),
    };
  }
}

function parseMasterDownReply(reply: unknown): { down: boolean; leader: string; leaderEpoch: number } | undefined {
  if (!Array.isArray(reply) || reply.length !== 3) return undefined;
  const [down, leader, epoch] = reply as [unknown, unknown, unknown];
  if (typeof down !== 'number' || typeof epoch !== 'number') return undefined;
  return { down: down === 1, leader: String(leader), leaderEpoch: epoch };
}

function replyErrorOutcome(err: unknown): PingOutcome {
  // redis-parser marks replies from the server as ReplyError; anything else
  // is a lost connection, i.e. no reply at all.
  if (err instanceof Error && err.name === 'ReplyError') return classifyPingReply(err.message);
  return 'none';
}

/**
 * Indexes of the hello's address fields (peer ip, master ip) that are host
 * names to look up. Malformed ones are not asked to DNS: the core drops them.
 */
function namesIn(payload: string): number[] {
  const t = payload.split(',');
  if (t.length !== 8) return [];
  return [0, 5].filter((i) => {
    const host = t[i] ?? '';
    return normalizeNumericHost(host) === undefined && typeof checkAnnouncedAddress(host, 0, true) !== 'string';
  });
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function usesLink(m: MasterState, key: string): boolean {
  if (m.linkKey === key) return true;
  for (const r of m.replicas.values()) if (r.linkKey === key) return true;
  for (const s of m.sentinels.values()) if (s.linkKey === key) return true;
  return false;
}
