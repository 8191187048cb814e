/**
 * Carries out the effects the core returns, in order, for the runtime and
 * the simulator alike: both hand it the same kinds of parts (a config
 * writer over a disk, link operations, a timer, sinks for events and logs)
 * and it turns the outcome of each operation back into a core event.
 *
 * Ordering (see src/core/effects.ts): a batch with a `persist` whose `sync`
 * is set is written synchronously at its first persist, so nothing after it
 * leaves before the state is on disk; a batch with only `sync: false`
 * persists asks for one coalesced asynchronous write and goes on.
 *
 * When a synchronous write fails, the state in memory is ahead of the file:
 * until a write succeeds again, what would reveal that state to other
 * instances (vote requests and IS-MASTER-DOWN-BY-ADDR, hellos, SLAVEOF) is
 * held back and completed as a failed request, so that a crash cannot make
 * this Sentinel take back an epoch or a vote someone already saw. Events and
 * logs still go out, and the write is retried (at most once a second) when
 * something is held back. Redis carries on after a failed save; this differs
 * only while the disk fails.
 *
 * A batch is decided at one instant. If the process stalls while carrying it
 * out (SIGSTOP, a suspended VM, a synchronous write that hangs) for longer
 * than the TILT trigger, what it would still reveal is held back the same
 * way: the core notices the stall (TILT) at the next event, before anything
 * decided on the old view leaves (the links apply the same rule to what is
 * queued but not yet written: links/connection.ts).
 */
import type { Effect, InstanceRef, LogLevel } from '../core/effects.js';
import type { MasterDownAnswer } from '../core/failover.js';
import type { PingOutcome } from '../core/monitor.js';
import type { CoreEvent } from '../core/step.js';
import type { ConfigWriter } from './configWriter.js';

/**
 * Outbound link operations by link key; each reports its outcome once,
 * asynchronously (a missing link or a lost connection is an outcome too).
 */
export interface LinkOps {
  connect(link: string): void;
  /** Closes the link (both connections); false when there was none. `keep`: the core still holds the link (it will ask to connect again). */
  disconnect(link: string, keep: boolean): boolean;
  /** Closes the command connection only; false when there was no link. */
  disconnectCommand(link: string): boolean;
  /** The pub/sub connection of a Redis instance's link; reported by pubsubUp/pubsubDown/pubsubMessage events. */
  connectPubsub(link: string): void;
  disconnectPubsub(link: string): void;
  ping(link: string, done: (outcome: PingOutcome) => void): void;
  info(link: string, done: (text: string | undefined) => void): void;
  publishHello(link: string, payload: string, done: () => void): void;
  askMasterDown(link: string, masterIp: string, masterPort: number, epoch: number, runId: string,
    done: (reply: MasterDownAnswer | undefined) => void): void;
  /** The SLAVEOF transaction (host undefined: SLAVEOF NO ONE); `ok` when EXEC succeeded. */
  slaveof(link: string, target: InstanceRef, host: string | undefined, port: number | undefined,
    done: (ok: boolean, stalled?: boolean) => void): void;
  /**
   * FAILOVER TO host port TIMEOUT ms (coordinated failover): `error` is the
   * error reply's text, undefined for +OK; `noReply` when none came.
   */
  failoverTo(link: string, host: string, port: number, timeoutMs: number,
    done: (outcome: { error?: string; noReply?: boolean }) => void): void;
  /** FAILOVER ABORT, best effort (logged). */
  failoverAbort(link: string, target: InstanceRef): void;
}

export interface Timers {
  nowMs(): number;
  /** Runs `fire` after `delayMs`; returns a cancel function, or undefined when timers are stopped. */
  after(delayMs: number, fire: () => void): (() => void) | undefined;
}

export interface Sinks {
  event(level: LogLevel, channel: string, message: string, master?: string): void;
  log(level: LogLevel, message: string, master?: string): void;
  reconfigScript(e: Extract<Effect, { type: 'reconfigScript' }>): void;
  /** SIMULATE-FAILURE: the process exits (or, in the simulator, crashes). */
  crash(reason: string): void;
  /** A synchronous write failed (already reported by the writer); the effects go on, as in Redis. */
  saveFailed?(err: unknown): void;
}

export interface ExecutorParts {
  writer: ConfigWriter;
  links: LinkOps;
  timers: Timers;
  sinks: Sinks;
  /** Feeds an operation's outcome back to the core (step, then this executor again). */
  feed: (event: CoreEvent) => void;
  /** True while the core still holds a link (a disconnected one is then reported down). */
  holdsLink: (link: string) => boolean;
  /** A pause longer than this (the TILT trigger) between a batch's decision and an effect is a stall. */
  stallLimitMs?: () => number;
}

export interface BatchResult {
  /** A synchronous write of this batch failed. */
  saveFailed: boolean;
}

/** A failed synchronous write is retried at most this often while effects are held back. */
const SAVE_RETRY_MS = 1_000;

export class EffectExecutor {
  private readonly wakeCancels = new Map<string, () => void>();
  private stopped = false;
  private lastFailedWriteMs = -Infinity;

  constructor(private readonly parts: ExecutorParts) {}

  /** Executes a batch in order; see the ordering rule above. */
  run(effects: readonly Effect[]): BatchResult {
    const sync = effects.some((e) => e.type === 'persist' && e.sync);
    const decidedAtMs = this.parts.timers.nowMs();
    let persisted = false;
    let saveFailed = false;
    for (const effect of effects) {
      if (this.stopped) break;
      if (effect.type !== 'persist') {
        if (!reveals(effect)) this.execute(effect);
        else if (this.stalledSince(decidedAtMs)) this.holdBack(effect, true);
        else if (!this.ensureDurable()) this.holdBack(effect, false);
        else this.execute(effect);
        continue;
      }
      if (persisted) continue;
      persisted = true;
      if (sync) saveFailed = !this.writeSync();
      else this.parts.writer.writeAsync();
    }
    return { saveFailed };
  }

  /**
   * True when the state in memory is on disk, after retrying a failed write
   * if one is due: a reply that reveals a vote is sent only then.
   */
  ensureDurable(): boolean {
    return this.parts.writer.isDurable() || this.retryWrite();
  }

  /** The process stalled since the batch was decided (time jumped either way by more than the TILT trigger). */
  private stalledSince(decidedAtMs: number): boolean {
    const limitMs = this.parts.stallLimitMs?.();
    if (limitMs === undefined) return false;
    const elapsedMs = this.parts.timers.nowMs() - decidedAtMs;
    return elapsedMs > limitMs || elapsedMs < 0;
  }

  /** No more effects, timers cancelled (process stop or crash). */
  stop(): void {
    this.stopped = true;
    for (const cancel of this.wakeCancels.values()) cancel();
    this.wakeCancels.clear();
  }

  private writeSync(): boolean {
    try {
      this.parts.writer.writeSync();
      return true;
    } catch (err) {
      this.lastFailedWriteMs = this.parts.timers.nowMs();
      this.parts.sinks.saveFailed?.(err);
      return false;
    }
  }

  private retryWrite(): boolean {
    if (Math.abs(this.parts.timers.nowMs() - this.lastFailedWriteMs) < SAVE_RETRY_MS) return false;
    return this.writeSync();
  }

  /** Completes a held-back request (not durable, or decided before a stall) as one that got no reply. */
  private holdBack(effect: RevealingEffect, stalled: boolean): void {
    const feed = this.parts.feed;
    switch (effect.type) {
      case 'askMasterDown':
        return feed({ type: 'masterDownReply', master: effect.peer.master, peer: effect.peer.name, reply: undefined });
      case 'publishHello': return feed({ type: 'commandDone', link: effect.link });
      case 'slaveof':
        return feed(stalled
          ? { type: 'slaveofDone', link: effect.link, target: effect.target, ok: false, stalled: true }
          : { type: 'slaveofDone', link: effect.link, target: effect.target, ok: false });
      case 'failoverTo':
        return feed({ type: 'failoverToReply', link: effect.link, master: effect.target.master,
          error: stalled ? 'ERR FAILOVER not sent: the Sentinel stalled after deciding it'
            : 'ERR FAILOVER not sent: the Sentinel could not save its configuration' });
    }
  }

  private execute(effect: Exclude<Effect, { type: 'persist' }>): void {
    const { links, sinks, feed } = this.parts;
    switch (effect.type) {
      case 'connect': return links.connect(effect.link);
      case 'disconnect': return this.disconnect(effect.link);
      case 'disconnectCommand':
        if (links.disconnectCommand(effect.link) && this.parts.holdsLink(effect.link)) feed({ type: 'linkDown', link: effect.link });
        return;
      case 'connectPubsub': return links.connectPubsub(effect.link);
      case 'disconnectPubsub': return links.disconnectPubsub(effect.link);
      case 'failoverTo': return this.failoverTo(effect);
      case 'failoverAbort': return links.failoverAbort(effect.link, effect.target);
      case 'ping':
        return links.ping(effect.link, (outcome) => feed({ type: 'pingReply', link: effect.link, outcome }));
      case 'info': return this.info(effect.link, effect.target);
      case 'publishHello':
        return links.publishHello(effect.link, effect.payload, () => feed({ type: 'commandDone', link: effect.link }));
      case 'askMasterDown': return this.askMasterDown(effect);
      case 'slaveof': return this.slaveof(effect);
      case 'event': return sinks.event(effect.level, effect.channel, effect.message, effect.master);
      case 'log': return sinks.log(effect.level, effect.message, effect.master);
      case 'reconfigScript': return sinks.reconfigScript(effect);
      case 'crash': return sinks.crash(effect.reason);
      case 'wakeAt': return this.wakeAt(effect.master, effect.atMs);
    }
  }

  private disconnect(link: string): void {
    const keep = this.parts.holdsLink(link);
    // Still held: the core asks for fresh connections on a later tick.
    if (this.parts.links.disconnect(link, keep) && keep) {
      this.parts.feed({ type: 'linkDown', link });
      this.parts.feed({ type: 'pubsubDown', link });
    }
  }

  private failoverTo(e: Extract<Effect, { type: 'failoverTo' }>): void {
    this.parts.links.failoverTo(e.link, e.host, e.port, e.timeoutMs, ({ error, noReply }) =>
      this.parts.feed(noReply === true
        ? { type: 'failoverToReply', link: e.link, master: e.target.master, noReply: true }
        : error === undefined
          ? { type: 'failoverToReply', link: e.link, master: e.target.master }
          : { type: 'failoverToReply', link: e.link, master: e.target.master, error }));
  }

  private info(link: string, target: InstanceRef): void {
    this.parts.links.info(link, (text) => this.parts.feed({ type: 'info', target, text }));
  }

  private askMasterDown(e: Extract<Effect, { type: 'askMasterDown' }>): void {
    this.parts.links.askMasterDown(e.link, e.masterIp, e.masterPort, e.epoch, e.runId,
      (reply) => this.parts.feed({ type: 'masterDownReply', master: e.peer.master, peer: e.peer.name, reply }));
  }

  private slaveof(e: Extract<Effect, { type: 'slaveof' }>): void {
    // On success the core asks for INFO at once, to see the effect of
    // SLAVEOF without waiting for the next INFO period.
    this.parts.links.slaveof(e.link, e.target, e.host, e.port, (ok, stalled) => this.parts.feed(stalled === true
      ? { type: 'slaveofDone', link: e.link, target: e.target, ok, stalled }
      : { type: 'slaveofDone', link: e.link, target: e.target, ok }));
  }

  /** One pending wake-up per master: an earlier request stands until it fires. */
  private wakeAt(master: string, atMs: number): void {
    if (this.wakeCancels.has(master)) return;
    const delayMs = Math.max(0, atMs - this.parts.timers.nowMs());
    const cancel = this.parts.timers.after(delayMs, () => {
      this.wakeCancels.delete(master);
      this.parts.feed({ type: 'evaluate', master });
    });
    if (cancel) this.wakeCancels.set(master, cancel);
  }
}

type RevealingEffect = Extract<Effect, { type: 'askMasterDown' | 'publishHello' | 'slaveof' | 'failoverTo' }>;

/** Effects that tell other instances our epoch, votes or configuration. */
function reveals(effect: Effect): effect is RevealingEffect {
  return effect.type === 'askMasterDown' || effect.type === 'publishHello' || effect.type === 'slaveof' ||
    effect.type === 'failoverTo';
}

/** SENTINEL IS-MASTER-DOWN-BY-ADDR's reply `[down, leader, epoch]`, or undefined when malformed. */
export function parseMasterDownReply(reply: unknown): MasterDownAnswer | undefined {
  if (!Array.isArray(reply) || reply.length !== 3) return undefined;
  const [down, leader, epoch] = reply as [unknown, unknown, unknown];
  if (typeof down !== 'number' || typeof epoch !== 'number') return undefined;
  return { down: down === 1, leader: String(leader), leaderEpoch: epoch };
}
