/**
 * One simulated Sentinel process: a core driven through `step()`, its links,
 * its disk (disk.ts) and its clock offset. Effects are carried out by the
 * runtime's own EffectExecutor (src/shell/executor.ts) and ConfigWriter, over
 * simulated links, timers and disk: in order, a sync persist durable before
 * what follows, the answer to IS-MASTER-DOWN-BY-ADDR only after its effects,
 * a failed or timed-out request completing the core's bookkeeping like a
 * rejected promise.
 */
import type { SentinelConfig } from '../../src/config/model.js';
import { parseConfig } from '../../src/config/parse.js';
import { renderConfig } from '../../src/config/rewrite.js';
import type { InstanceRef } from '../../src/core/effects.js';
import { classifyPingReply, type PingOutcome } from '../../src/core/monitor.js';
import { ConfigWriter } from '../../src/shell/configWriter.js';
import { EffectExecutor, parseMasterDownReply, type LinkOps } from '../../src/shell/executor.js';
import { SimDisk } from './disk.js';
import { configFromState, seededRandom, stateFromConfig } from '../../src/core/sentinel.js';
import type { SentinelState } from '../../src/core/state.js';
import { step, type CoreEvent, type StepResult } from '../../src/core/step.js';
import type { Conn, Endpoint } from './network.js';
import { COMMAND_TIMEOUT_MS, CONNECT_TIMEOUT_MS, type Request, type SimWorld } from './world.js';

export const TICK_MS = 100;
/** The runtime's timer is not exact either. */
const TICK_JITTER_MS = 5;

/** Marks a request that got no reply (the server died while handling it). */
export const NO_REPLY = Symbol('no reply');

/** Client side of one link (the runtime's InstanceLink). */
interface SimLink {
  readonly key: string;
  conn?: Conn;
  /** Current connection attempt (0 = none). */
  attempt: number;
  /** Closed by us: no down event is reported (InstanceLink.close). */
  closed: boolean;
  /** Requests in flight: their callbacks, called once with the reply or undefined. */
  readonly pending: Map<number, (reply: unknown) => void>;
}

export interface NodeOptions {
  id: string;
  host: string;
  port: number;
  /** Config as first written: myid set, masters as configured. */
  config: SentinelConfig;
  clockOffsetMs: number;
  /** Seed of the core's own randomness (a fresh stream per incarnation). */
  coreSeed: number;
}

export class SentinelNode implements Endpoint {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly myId: string;
  readonly conns = new Map<number, Conn>();
  state?: SentinelState;
  /**
   * What survives a crash: the config file's text, written with the real
   * renderConfig and read back with parseConfig at restart, as the runtime
   * does (so a field the round trip loses is lost here too).
   */
  readonly simDisk: SimDisk;
  /** The executor of the current incarnation (a new one at every start). */
  private executor?: EffectExecutor;
  /** A sync write of the last batch failed. */
  private lastSaveFailed = false;
  private writer?: ConfigWriter;
  /** The last incarnation crashed with state in memory that a failed save did not make durable. */
  private crashedUnsaved = false;
  clockOffsetMs: number;
  /** Bumped at every start and crash, so callbacks of a previous life are ignored. */
  incarnation = 0;
  restarts = 0;
  /** The config the process started from (the runtime's `this.config`). */
  private baseConfig: SentinelConfig;
  private readonly coreSeed: number;
  private links = new Map<string, SimLink>();
  private nextRequestId = 1;
  private nextAttemptId = 1;
  /**
   * SIGSTOP: while stalled the process runs nothing. Events that reach it
   * (replies, hellos, link changes, its own wake-ups) wait here in arrival
   * order, as they would in its sockets and timer list; its tick loop waits
   * in `stalledLoop`.
   */
  private stalled = false;
  /** Which stall a scheduled resume belongs to (a crash ends a stall; a later one is another). */
  private stallId = 0;
  private stallQueue: Array<() => void> = [];
  private stalledLoop: (() => void) | undefined;

  constructor(private readonly world: SimWorld, opts: NodeOptions) {
    this.id = opts.id;
    this.host = opts.host;
    this.port = opts.port;
    this.myId = opts.config.myid ?? '';
    this.baseConfig = clone(opts.config);
    this.simDisk = new SimDisk(world, renderConfig('', opts.config));
    this.clockOffsetMs = opts.clockOffsetMs;
    this.coreSeed = opts.coreSeed;
  }

  /** The durable config text. */
  get disk(): string {
    return this.simDisk.durable;
  }

  isAlive(): boolean {
    return this.state !== undefined;
  }

  nowMs(): number {
    return this.world.nowMs + this.clockOffsetMs;
  }

  /** Boots from disk: a fresh state, no links, nothing else remembered. */
  start(): void {
    if (this.state) return;
    this.incarnation += 1;
    let cfg: SentinelConfig;
    try {
      cfg = parseConfig(this.disk);
    } catch (err) {
      this.world.inv.violate(this.id, `persisted config does not parse: ${String(err)}\n${this.disk}`);
      return;
    }
    if (cfg.myid !== this.myId) this.world.inv.violate(this.id, `persisted myid ${cfg.myid} is not ${this.myId}`);
    this.baseConfig = clone(cfg);
    this.state = stateFromConfig(cfg, this.myId, this.nowMs(), seededRandom(this.coreSeed + this.incarnation * 7919));
    this.links = new Map();
    this.executor = this.makeExecutor(this.state, this.disk);
    this.world.log(this.id, `START incarnation ${this.incarnation} epoch ${this.state.currentEpoch}`);
    if (this.crashedUnsaved) this.world.inv.restartedFromOlderDisk(this, this.state);
    this.crashedUnsaved = false;
    this.world.inv.afterStart(this, this.state);
    const inc = this.incarnation;
    const loop = (): void => {
      if (this.incarnation !== inc || !this.state) return;
      if (this.stalled) {
        this.stalledLoop = loop;
        return;
      }
      this.apply({ type: 'tick' });
      this.world.schedule(TICK_MS + this.world.rng.int(-TICK_JITTER_MS, TICK_JITTER_MS), loop);
    };
    loop();
  }

  /** Process death: memory is gone, every connection drops. */
  crash(reason: string): void {
    if (!this.state) return;
    this.world.log(this.id, `CRASH ${reason}`);
    this.state = undefined;
    this.crashedUnsaved = this.writer?.isDurable() === false;
    this.executor?.stop();
    this.executor = undefined;
    this.incarnation += 1;
    this.restarts += 1;
    // A killed process loses what was queued for it; a crash also ends a stall.
    this.stalled = false;
    this.stallQueue = [];
    this.stalledLoop = undefined;
    for (const link of this.links.values()) this.teardown(link);
    this.links.clear();
    for (const conn of [...this.conns.values()]) this.world.closeFromServer(conn);
  }

  isStalled(): boolean {
    return this.stalled;
  }

  /** SIGSTOP: nothing runs until resume(); the clock (world time) goes on. Returns the stall's id. */
  stall(): number {
    if (!this.state || this.stalled) return 0;
    this.world.log(this.id, 'STALL');
    this.stalled = true;
    this.stallId += 1;
    return this.stallId;
  }

  /**
   * SIGCONT: everything queued during the stall is applied first, in order
   * (the core sees the clock jump on the first of them), then the timer
   * resumes.
   */
  resume(stallId?: number): void {
    if (!this.stalled || (stallId !== undefined && stallId !== this.stallId)) return;
    this.world.log(this.id, `RESUME (${this.stallQueue.length} queued events)`);
    this.stalled = false;
    const inc = this.incarnation;
    const queued = this.stallQueue;
    this.stallQueue = [];
    for (const run of queued) {
      if (this.incarnation !== inc || !this.state) return;
      run();
    }
    const loop = this.stalledLoop;
    this.stalledLoop = undefined;
    if (loop && this.incarnation === inc) loop();
  }

  /** Feeds one event to the core and carries out its effects. */
  apply(event: CoreEvent): StepResult | undefined {
    const state = this.state;
    if (!state) return undefined;
    if (this.stalled) {
      this.stallQueue.push(() => this.apply(event));
      return undefined;
    }
    const pre = this.world.inv.beforeStep(state);
    const before = masterConfigs(state);
    let result: StepResult;
    try {
      result = step(state, event, this.nowMs());
    } catch (err) {
      this.world.inv.coreThrew(this, event, err);
      return undefined;
    }
    this.world.inv.afterStep(this, state, event, result.effects, pre);
    const after = masterConfigs(state);
    if (after !== before) this.world.log(this.id, `config ${after} (on ${describeEvent(event)})`);
    this.lastSaveFailed = this.executor?.run(result.effects).saveFailed ?? false;
    return result;
  }

  /** The runtime's executor and config writer over this process's links, timers and disk. */
  private makeExecutor(state: SentinelState, startText: string): EffectExecutor {
    const inc = this.incarnation;
    const alive = (): boolean => this.incarnation === inc && this.state !== undefined;
    let configText = startText;
    const writer = new ConfigWriter({
      disk: this.simDisk.forProcess(alive),
      render: () => renderConfig(configText, configFromState(this.baseConfig, state)),
      written: (text) => { configText = text; },
      failed: (err) => this.world.log(this.id, `async save failed: ${String(err)}`),
    });
    this.writer = writer;
    return new EffectExecutor({
      writer,
      links: this.linkOps(state),
      timers: {
        nowMs: () => this.nowMs(),
        after: (delayMs, fire) => {
          let cancelled = false;
          this.world.schedule(delayMs, () => {
            if (!cancelled && alive()) fire();
          });
          return () => { cancelled = true; };
        },
      },
      sinks: {
        event: (_level, channel, message) => this.world.log(this.id, `${channel} ${message}`),
        log: (_level, message) => this.world.log(this.id, `log ${message}`),
        reconfigScript: (e) => this.world.log(this.id,
          `reconfig-script ${e.master} ${e.role} ${e.state} ${e.fromIp} ${e.fromPort} ${e.toIp} ${e.toPort}`),
        crash: (reason) => this.crash(`simulate-failure ${reason}`),
        saveFailed: (err) => this.world.log(this.id, `sync save failed: ${String(err)}`),
      },
      feed: (event) => { this.apply(event); },
      holdsLink: (link) => state.links.has(link),
    });
  }

  /** The runtime's LinkPool, simulated. */
  private linkOps(state: SentinelState): LinkOps {
    return {
      connect: (key) => this.connect(state, key),
      disconnect: (key, keep) => this.disconnect(key, keep),
      // One simulated connection carries both halves: dropping the command
      // half drops the pub/sub half too (the executor reports only linkDown).
      disconnectCommand: (key) => {
        const held = this.disconnect(key, true);
        if (held && state.links.has(key)) this.apply({ type: 'pubsubDown', link: key });
        return held;
      },
      connectPubsub: (key) => this.connectPubsub(state, key),
      disconnectPubsub: (key) => {
        const conn = this.links.get(key)?.conn;
        if (conn) conn.subscribed = false;
      },
      // As the LinkPool: only an error reply is a refusal; no reply proves nothing (the master may have started).
      failoverTo: (key, host, port, timeoutMs, done) => {
        this.world.log(this.id, `send FAILOVER TO ${host} ${port} TIMEOUT ${timeoutMs}`);
        this.request(key, { op: 'failoverTo', host, port, timeoutMs }, (reply) =>
          done(reply === undefined ? { noReply: true } : reply instanceof Error ? { error: reply.message } : {}));
      },
      failoverAbort: (key, target) => {
        this.world.log(this.id, `send FAILOVER ABORT to ${target.name}`);
        this.request(key, { op: 'failoverAbort' }, () => undefined);
      },
      ping: (key, done) => this.request(key, { op: 'ping' }, (reply) => done(pingOutcome(reply))),
      info: (key, done) => this.request(key, { op: 'info' }, (reply) => done(typeof reply === 'string' ? reply : undefined)),
      publishHello: (key, payload, done) => {
        this.world.inv.sent(this, Number(payload.split(',')[3]));
        this.request(key, { op: 'publish', payload }, () => done());
      },
      askMasterDown: (key, ip, port, epoch, runId, done) => {
        this.world.inv.sent(this, epoch);
        this.request(key, { op: 'askMasterDown', ip, port, epoch, runId }, (reply) => done(parseMasterDownReply(reply)));
      },
      slaveof: (key, target, host, port, done) => this.slaveof(key, target, host, port, done),
    };
  }

  private slaveof(key: string, target: InstanceRef, host: string | undefined, port: number | undefined,
    done: (ok: boolean) => void): void {
    const req: Request = host === undefined || port === undefined ? { op: 'slaveof' } : { op: 'slaveof', host, port };
    this.world.log(this.id, `send SLAVEOF ${host === undefined ? 'NO ONE' : `${host} ${port}`} to ${target.name}`);
    this.request(key, req, (reply) => done(Array.isArray(reply)));
  }

  // ---------------------------------------------------------------- links

  /** InstanceLink.connect: drop any previous connection, start one attempt. */
  private connect(state: SentinelState, key: string): void {
    const ls = state.links.get(key);
    if (!ls) return;
    let link = this.links.get(key);
    if (!link) {
      link = { key, attempt: 0, closed: false, pending: new Map() };
      this.links.set(key, link);
    }
    this.teardown(link);
    link.closed = false;
    const attempt = this.nextAttemptId++;
    link.attempt = attempt;
    const inc = this.incarnation;
    const l = link;
    const fail = (delayMs: number): void => this.world.schedule(delayMs, () => {
      if (this.incarnation !== inc || l.attempt !== attempt) return;
      l.attempt = 0;
      if (!l.closed) this.apply({ type: 'linkDown', link: key });
    });
    const target = this.world.endpointAt(ls.kind, ls.host, ls.port);
    if (!target || !this.world.net.connected(this.id, target.id)) return fail(CONNECT_TIMEOUT_MS);
    const rttMs = this.world.net.latency() + this.world.net.latency();
    this.world.schedule(rttMs, () => {
      if (this.incarnation !== inc || l.attempt !== attempt) return;
      if (!this.world.net.connected(this.id, target.id)) return fail(CONNECT_TIMEOUT_MS - rttMs);
      l.attempt = 0;
      // Connection refused.
      if (!target.isAlive()) {
        if (!l.closed) this.apply({ type: 'linkDown', link: key });
        return;
      }
      const conn: Conn = {
        id: this.world.net.newConnId(),
        clientId: this.id,
        clientIncarnation: inc,
        linkKey: key,
        server: target,
        open: true,
        // The pub/sub half is made when the core asks (connectPubsub).
        subscribed: false,
      };
      target.conns.set(conn.id, conn);
      l.conn = conn;
      this.apply({ type: 'linkUp', link: key, localIp: this.host });
    });
  }

  /**
   * InstanceLink.connectPubsub, simulated on the command connection: the
   * subscription is made after a round trip; without a connection it fails.
   */
  private connectPubsub(state: SentinelState, key: string): void {
    const ls = state.links.get(key);
    const conn = this.links.get(key)?.conn;
    const inc = this.incarnation;
    if (!ls || ls.kind !== 'redis' || !conn?.open) {
      this.world.defer(() => {
        if (this.incarnation === inc && this.state) this.apply({ type: 'pubsubDown', link: key });
      });
      return;
    }
    const rttMs = this.world.net.latency() + this.world.net.latency();
    this.world.schedule(rttMs, () => {
      if (this.incarnation !== inc || !this.state || this.links.get(key)?.conn !== conn) return;
      if (!conn.open || !conn.server.isAlive() || !this.world.net.connected(this.id, conn.server.id)) {
        this.apply({ type: 'pubsubDown', link: key });
        return;
      }
      conn.subscribed = true;
      this.world.pubsubRemade(conn);
      this.apply({ type: 'pubsubUp', link: key });
    });
  }

  /** The server closed our pub/sub half (CLIENT KILL TYPE pubsub, a dropped connection). */
  onRemotePubsubClose(conn: Conn): void {
    if (conn.clientIncarnation !== this.incarnation || !this.state) return;
    const link = this.links.get(conn.linkKey);
    if (!link || link.conn !== conn) return;
    this.apply({ type: 'pubsubDown', link: link.key });
  }

  /** LinkPool.disconnect: close (the executor reports the link down if the core still has it). */
  private disconnect(key: string, keep: boolean): boolean {
    const link = this.links.get(key);
    if (!link) return false;
    link.closed = true;
    this.teardown(link);
    if (!keep) this.links.delete(key);
    return true;
  }

  /** Drops the connection; requests in flight fail (asynchronously, like rejected promises). */
  private teardown(link: SimLink): void {
    link.attempt = 0;
    const conn = link.conn;
    link.conn = undefined;
    if (conn?.open) {
      conn.open = false;
      conn.server.conns.delete(conn.id);
    }
    this.failPending(link);
  }

  private failPending(link: SimLink): void {
    const callbacks = [...link.pending.values()];
    link.pending.clear();
    const inc = this.incarnation;
    for (const cb of callbacks) {
      this.world.defer(() => {
        if (this.incarnation === inc) cb(undefined);
      });
    }
  }

  /** The server closed our connection (it died, killed us, or a partition was detected). */
  onRemoteClose(conn: Conn): void {
    if (conn.clientIncarnation !== this.incarnation || !this.state) return;
    const link = this.links.get(conn.linkKey);
    if (!link || link.conn !== conn) return;
    link.conn = undefined;
    this.failPending(link);
    if (!link.closed) this.apply({ type: 'linkDown', link: link.key });
  }

  /** A hello published on a Redis instance we are subscribed to. */
  deliverHello(conn: Conn, payload: string): void {
    if (conn.clientIncarnation !== this.incarnation || !this.state) return;
    const link = this.links.get(conn.linkKey);
    if (!link || link.conn !== conn || !conn.subscribed) return;
    this.apply({ type: 'pubsubMessage', link: link.key });
    this.apply({ type: 'hello', payload });
  }

  /**
   * Sends a request on a link; `done` runs exactly once: with the reply, or
   * with undefined when the link is down, the request or its reply is lost
   * (after the command timeout) or the connection drops meanwhile.
   */
  private request(key: string, req: Request, done: (reply: unknown) => void): void {
    const link = this.links.get(key);
    if (!link) return done(undefined);
    const conn = link.conn;
    if (!conn) {
      const inc = this.incarnation;
      this.world.defer(() => {
        if (this.incarnation === inc) done(undefined);
      });
      return;
    }
    const id = this.nextRequestId++;
    link.pending.set(id, done);
    const inc = this.incarnation;
    const sentAtMs = this.world.nowMs;
    const complete = (reply: unknown): void => {
      if (this.incarnation !== inc) return;
      const cb = link.pending.get(id);
      if (!cb) return;
      link.pending.delete(id);
      cb(reply);
    };
    const timeout = (): void => {
      this.world.schedule(Math.max(0, sentAtMs + COMMAND_TIMEOUT_MS - this.world.nowMs), () => complete(undefined));
    };
    const net = this.world.net;
    const server = conn.server;
    const toServerMs = net.transit(this.id, server.id);
    if (toServerMs === undefined) return timeout();
    this.world.schedule(toServerMs, () => {
      if (!server.isAlive() || !conn.open) {
        // Nobody there for this connection: the host answers with a reset.
        if (!net.reachable(server.id, this.id)) return timeout();
        this.world.schedule(net.latency(), () => this.onRemoteClose(conn));
        return;
      }
      const reply = this.world.serve(server, conn, req);
      if (reply === NO_REPLY || !conn.open) return timeout();
      const backMs = net.transit(server.id, this.id);
      if (backMs === undefined) return timeout();
      this.world.schedule(backMs, () => complete(reply));
    });
  }

  // ---------------------------------------------------------------- as a server

  /** A request from a peer Sentinel to this one. */
  serve(req: Request): unknown {
    // A stopped process answers nothing; the request is read on resume and
    // acted on (a vote may be granted and persisted then), but its answer
    // comes after the asker's command timeout, so it is never used.
    if (this.stalled) {
      if (req.op === 'publish') this.apply({ type: 'hello', payload: req.payload });
      if (req.op === 'askMasterDown') {
        this.apply({ type: 'isMasterDownRequest', ip: req.ip, port: req.port, epoch: req.epoch, runId: req.runId });
      }
      return NO_REPLY;
    }
    switch (req.op) {
      case 'ping': return 'PONG';
      case 'publish':
        this.apply({ type: 'hello', payload: req.payload });
        return 1;
      case 'askMasterDown': {
        // The answer leaves only after the effects ran: the vote is on disk first.
        const r = this.apply({ type: 'isMasterDownRequest', ip: req.ip, port: req.port, epoch: req.epoch, runId: req.runId });
        if (!r?.answer || !this.state) return NO_REPLY;
        // As the runtime: a vote that could not be saved is not answered.
        const unsaved = this.lastSaveFailed || (r.answer.leader !== '*' && this.executor?.ensureDurable() === false);
        if (unsaved) return new Error('ERR Failed to save config file. Check server logs.');
        if (r.answer.leader !== '*') this.world.inv.answered(this, `${req.ip}:${req.port}`, r.answer.leaderEpoch, r.answer.leader);
        return [r.answer.down ? 1 : 0, r.answer.leader, r.answer.leaderEpoch];
      }
      case 'info':
      case 'slaveof':
      case 'failoverTo':
      case 'failoverAbort':
        return new Error('ERR unsupported in the simulator');
    }
  }
}

/** "name host:port@config-epoch ..." for every master: what a Sentinel believes. */
function masterConfigs(state: SentinelState): string {
  let out = '';
  for (const m of state.masters.values()) out += `${m.name} ${m.host}:${m.port}@${m.config.configEpoch} `;
  return out.trimEnd();
}

function describeEvent(e: CoreEvent): string {
  switch (e.type) {
    case 'hello': return `hello ${e.payload.split(',').slice(0, 2).join(':')} epoch ${e.payload.split(',')[3]} says ${e.payload.split(',').slice(5).join(' ')}`;
    case 'info': return `info from ${e.target.name}`;
    default: return e.type;
  }
}

function pingOutcome(reply: unknown): PingOutcome {
  if (reply === undefined) return 'none';
  if (reply instanceof Error) return classifyPingReply(reply.message);
  return classifyPingReply(String(reply));
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}
