/**
 * The shell around the pure core: a 100 ms timer and link callbacks feed the
 * core, and the effects it returns are carried out by the effect executor
 * (src/shell/executor.ts, which the simulator runs too), in order.
 */
import { randomBytes } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import type { Logger } from './log.js';
import type { SentinelConfig } from './config/model.js';
import { renderConfig } from './config/index.js';
import type { Effect, LogLevel } from './core/effects.js';
import { step, type CoreEvent, type StepOptions, type StepResult } from './core/step.js';
import type { Reply } from './server/reply.js';
import { configFromState, seededRandom, stateFromConfig } from './core/sentinel.js';
import type { MasterState, SentinelState } from './core/state.js';
import { escapeText } from './redisArgs.js';
import { truncateUtf8 } from './server/limits.js';
import { ConfigWriter } from './shell/configWriter.js';
import { EffectExecutor, type BatchResult } from './shell/executor.js';
import { fileDisk } from './shell/fileDisk.js';
import { namesInHello, resolveHelloNames, resolveReplicaHosts } from './shell/hostNames.js';
import { LinkPool } from './shell/linkPool.js';

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
  private timer?: NodeJS.Timeout;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly now: () => number;
  readonly log: Logger;
  private readonly links: LinkPool;
  private readonly writer: ConfigWriter;
  private readonly executor: EffectExecutor;

  constructor(private readonly opts: RuntimeOptions) {
    this.now = opts.nowMs ?? Date.now;
    this.config = opts.config;
    this.configText = opts.configText;
    this.log = opts.logger;
    const myId = opts.config.myid ?? randomBytes(20).toString('hex');
    // Each process draws its own seed: identical seeds would give every
    // Sentinel the same failover start jitter and split the vote.
    this.state = stateFromConfig(opts.config, myId, this.now(), seededRandom(randomBytes(4).readUInt32LE(0)), opts.helloPort);
    this.links = new LinkPool({
      state: this.state,
      config: () => this.config,
      tls: opts.linkTls,
      feed: (event) => this.feed(event),
      hello: (payload) => this.receiveHello(payload),
      beforeInfo: (text) => this.state.settings.resolveHostnames
        ? resolveReplicaHosts(text, this.state.addressing.resolved, (host, ip) => this.hostResolved(host, ip))
        : Promise.resolve(),
      slaveofFailed: (err, target) => this.log.warn({ err: errorMessage(err), target: target.name }, 'SLAVEOF transaction failed'),
      slaveofUnconfirmed: (target) => this.log.debug({ target: target.name },
        'SLAVEOF transaction sent, its reply lost with the link: the next INFO tells whether it took effect'),
      warn: (fields, message) => this.log.warn(fields, message),
    });
    this.writer = new ConfigWriter({
      disk: fileDisk(opts.configPath),
      render: () => this.renderedConfig(),
      written: (text) => { this.configText = text; },
      failed: (err) => this.warnSaveFailed(err),
    });
    this.executor = new EffectExecutor({
      writer: this.writer,
      links: this.links,
      timers: {
        nowMs: () => this.now(),
        after: (delayMs, fire) => this.after(delayMs, fire),
      },
      sinks: {
        event: (level, channel, message, master) => this.emitEvent(channel, message, level, master),
        log: (level, message, master) => this.logLine(level, message, master),
        reconfigScript: (e) => this.reconfigScript(e),
        crash: (reason) => this.crash(reason),
        saveFailed: (err) => this.warnSaveFailed(err),
      },
      feed: (event) => this.feed(event),
      holdsLink: (link) => this.state.links.has(link),
      stallLimitMs: () => this.state.timing.tiltTriggerMs,
    });
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
    this.executor.stop();
    this.links.closeAll();
    await new Promise<void>((resolve) => this.writer.whenIdle(resolve));
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

  /** Executes effects in order (the executor's ordering rule: a sync persist is on disk before what follows). */
  private apply(effects: readonly Effect[]): BatchResult {
    return this.executor.run(effects);
  }

  /** A one-shot timer (the executor's wake-ups), none once stopped or before start. */
  private after(delayMs: number, fire: () => void): (() => void) | undefined {
    if (!this.timer) return undefined;
    const t = setTimeout(() => {
      this.timers.delete(t);
      fire();
    }, delayMs);
    t.unref();
    this.timers.add(t);
    return () => {
      clearTimeout(t);
      this.timers.delete(t);
    };
  }

  private warnSaveFailed(err: unknown): void {
    this.log.warn({ err: String(err) },
      `WARNING: Sentinel was not able to save the new configuration on disk!!!: ${errorMessage(err)}`);
  }

  /** A core log line: its values (names, a master's error reply) escaped as in events. */
  private logLine(level: LogLevel, text: string, master?: string): void {
    const fields = master === undefined ? {} : { master };
    const message = escapeText(text);
    if (level === 'warning') this.log.warn(fields, message);
    else if (level === 'notice') this.log.info(fields, message);
    else this.log.debug(fields, message);
  }

  private crash(reason: string): void {
    this.log.warn(`Sentinel simulated failure: ${reason}. Exiting...`);
    // The config already holds everything persisted so far; exit as a crash would.
    (this.opts.exit ?? ((code: number) => process.exit(code)))(99);
  }

  /** SENTINEL FAILOVER: the epoch the failover uses is on disk (sync persist) before the reply. */
  manualFailover(name: string, coordinated = false): NonNullable<StepResult['manual']> {
    const event = coordinated
      ? { type: 'manualFailover' as const, master: name, coordinated: true }
      : { type: 'manualFailover' as const, master: name };
    const { effects, manual: result = 'nosuchmaster' } = step(this.state, event, this.now(), this.stepOptions());
    if (result === 'ok') this.log.warn(`Executing user requested FAILOVER of '${name}'${coordinated ? ' (coordinated)' : ''}`);
    this.apply(effects);
    return result;
  }

  pendingScriptsReply(): Reply {
    return this.opts.scripts?.pendingReply() ?? { kind: 'array', items: [] };
  }

  /**
   * SENTINEL IS-MASTER-DOWN-BY-ADDR from a peer: the answer leaves after the
   * step's effects, so a vote is on disk (sync persist) first; a vote that
   * could not be saved is not answered (the command replies with an error).
   */
  async isMasterDownByAddr(ip: string, port: number, epoch: number, runId: string): Promise<[boolean, string, number]> {
    const { effects, answer = { down: false, leader: '*', leaderEpoch: 0 } } =
      step(this.state, { type: 'isMasterDownRequest', ip, port, epoch, runId }, this.now(), this.stepOptions());
    const saveFailed = this.apply(effects).saveFailed || (answer.leader !== '*' && !this.executor.ensureDurable());
    if (saveFailed) throw new Error('the vote could not be saved');
    return [answer.down, answer.leader, answer.leaderEpoch];
  }

  /** Observers of every event (metrics); called after the event is published. */
  readonly eventListeners: Array<(channel: string, message: string, master?: string) => void> = [];

  /**
   * Every event leaves through here (the core's, the scripts', +monitor at
   * start), so its text is escaped here once. The names, addresses, run ids,
   * SENTINEL SET values and script paths in it may hold a newline that
   * would start a forged line in the log or in a subscriber's reader, or a
   * terminal escape; redis-sentinel writes them raw. Here each byte that is
   * not printable ASCII, and `\` and `"`, is escaped as sdscatrepr does but
   * not quoted, so an ordinary event reads exactly as Redis's. The fixed
   * words of every event are plain ASCII: escaping the whole text escapes
   * each value in it.
   */
  emitEvent(channel: string, fullMessage: string, level: string, master?: string): void {
    // sentinelEvent formats into a LOG_MAX_LEN buffer: long events are cut like the real one's.
    const raw = truncateUtf8(fullMessage);
    const message = escapeText(raw);
    const line = truncateUtf8(`${channel} ${message}`);
    const fields = master === undefined ? { event: channel } : { event: channel, master };
    if (level === 'warning') this.log.warn(fields, line);
    else if (level === 'notice') this.log.info(fields, line);
    else this.log.debug(fields, line);
    this.opts.publish(channel, message);
    for (const listener of this.eventListeners) listener(channel, message, master);
    const script = master === undefined ? undefined : this.state.masters.get(master)?.config.notificationScript;
    // A script gets the bytes themselves, as redis-sentinel passes them (an
    // argument cannot forge a line; what the script prints is its own affair).
    if (level === 'warning' && script) this.opts.scripts?.schedule(script, [channel, raw]);
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
    this.links.reconnect([master.linkKey, ...[...master.replicas.values()].map((r) => r.linkKey)]);
  }

  relinkSentinels(): void {
    this.links.reconnect([...this.state.links].filter(([, link]) => link.kind === 'sentinel').map(([key]) => key));
  }

  /** A hostname resolved by the shell (SENTINEL MONITOR). */
  hostResolved(host: string, ip: string): void {
    this.feed({ type: 'hostResolved', host, ip });
  }

  /** A hello PUBLISHed to our own port by a peer Sentinel, or seen on a master's channel. */
  receiveHello(payload: string): void {
    const named = namesInHello(payload);
    if (named.length === 0 || !this.state.settings.resolveHostnames) {
      this.feed({ type: 'hello', payload });
      return;
    }
    // Redis resolves a name in a hello (createSentinelAddr) and drops the
    // hello when it does not resolve; the core cannot ask DNS, so the names
    // are looked up here first and the core learns their addresses.
    void resolveHelloNames(payload, named, (host, ip) => this.hostResolved(host, ip)).then((ok) => {
      if (ok) this.feed({ type: 'hello', payload });
    });
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
    return new Promise((resolve, reject) => this.writer.writeAsync((err) => (err === undefined ? resolve() : reject(err))));
  }

  /** Synchronous write, for shutdown paths and changes that must be durable before the reply; throws on failure. */
  persistSync(): void {
    this.writer.writeSync();
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
