/**
 * The deterministic simulator (TigerBeetle VOPR style): N Sentinel cores run
 * by the runtime's own effect executor, 1-3 masters with their replicas
 * (fake Redis instances) watched by the same Sentinels, a fake network, clock
 * and disk, all driven by one event queue and one seed. A run has three phases:
 *
 *   warm-up  Sentinels start and discover each other and the replicas;
 *   faults   kills, restarts, partitions (symmetric, one-way, master with a
 *            minority), loss, Sentinel crashes, clock jumps, stalls, manual
 *            failovers (plain and COORDINATED), failing config writes
 *            (EIO, ENOSPC), pub/sub connections dropped or half-open, admin
 *            commands (SENTINEL SET, RESET, REMOVE + MONITOR, CONFIG SET,
 *            SIMULATE-FAILURE) sent through the core like the runtime's;
 *            safety invariants (invariants.ts) are checked at every step;
 *   heal     partitions healed, loss off, disks and pub/sub healed, every
 *            process running again: within
 *            `healBoundMs` all Sentinels must agree on one live master that
 *            every other instance replicates from (liveness).
 *
 * `runSimulation(seed)` never reads the wall clock or Math.random: the same
 * seed gives the same log, byte for byte.
 */
import { defaultMasterConfig, defaultSentinelConfig, type SentinelConfig } from '../../src/config/model.js';
import { currentMasterAddress } from '../../src/core/failover.js';
import type { CoreEvent } from '../../src/core/step.js';
import type { DiskFault } from './disk.js';
import { FakeRedis } from './fakeRedis.js';
import { Invariants } from './invariants.js';
import { Network, type Conn, type Endpoint } from './network.js';
import { SentinelNode } from './node.js';
import { EventQueue } from './queue.js';
import { Rng } from './rng.js';
import { describeScenario, makeScenario, MASTER_NAME, masterName, randomFault, type Scenario, type ScenarioOverrides } from './scenario.js';
import type { Request, SimWorld } from './world.js';

export interface ScriptStep {
  /** ms after the end of the warm-up. */
  atMs: number;
  action: (w: World) => void;
}

export interface SimOptions extends ScenarioOverrides {
  /** Replaces the random faults with these steps (the heal phase still follows). */
  script?: ScriptStep[];
  /** Keep running the heal phase after convergence until the bound (default false). */
  runFullHeal?: boolean;
  /** Lines of log kept in the result (default: all). */
  logLimit?: number;
}

export interface SimEventRecord {
  atMs: number;
  node: string;
  channel: string;
  message: string;
}

export interface SimResult {
  seed: number;
  ok: boolean;
  violations: string[];
  log: string[];
  scenario: Scenario;
  /** Simulated ms from the heal to convergence (undefined: never converged). */
  convergedAfterMs?: number;
  stats: { events: number; elections: number; switches: number; simulatedMs: number };
  world: World;
}

const REPLICATION_TICK_MS = 100;
const CONVERGENCE_CHECK_MS = 500;
/** Convergence must hold this long to count (no flapping right after). */
const CONVERGENCE_HOLD_MS = 2_000;
/** A symmetric partition is noticed by a connection's end (keepalive) with this probability... */
const CUT_DETECT_PROBABILITY = 0.7;
/** ...within this delay; otherwise the connection stays half-open. */
const CUT_DETECT_MAX_MS = 2_000;
const SENTINEL_PORT = 26379;
const REDIS_PORT = 6379;
/** Sentinels' wall clocks start around here (any epoch-like value). */
const CLOCK_BASE_MS = 1_700_000_000_000;

export class World implements SimWorld {
  nowMs = 0;
  readonly queue = new EventQueue();
  readonly rng: Rng;
  readonly faultRng: Rng;
  readonly net: Network;
  readonly inv: Invariants;
  /** Every Redis instance: the groups one after another. */
  readonly redis: FakeRedis[] = [];
  /** The instances of each master group (index 0 starts as its master). */
  readonly groups: FakeRedis[][] = [];
  readonly sentinels: SentinelNode[] = [];
  readonly logLines: string[] = [];
  readonly events: SimEventRecord[] = [];
  eventsRun = 0;
  /** Called for every Sentinel event as it is logged (scripted scenarios react to them). */
  readonly watchers: Array<(e: SimEventRecord) => void> = [];
  /** True from the heal phase on. */
  healing = false;
  /** Global ms when the heal phase started. */
  healAtMs?: number;
  private readonly microtasks: Array<() => void> = [];
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly redisByAddr = new Map<string, FakeRedis>();
  private readonly sentinelById = new Map<string, SentinelNode>();

  constructor(readonly scenario: Scenario, rng: Rng) {
    this.rng = rng.fork();
    this.faultRng = rng.fork();
    const idRng = rng.fork();
    const featureRng = rng.fork();
    this.net = new Network(this.rng.fork(), scenario.latencyMsMax);
    this.inv = new Invariants(this);
    this.buildRedis(idRng, featureRng);
    this.buildSentinels(idRng);
  }

  get sentinelCount(): number {
    return this.sentinels.length;
  }

  // ---------------------------------------------------------------- SimWorld

  schedule(delayMs: number, run: () => void): void {
    this.queue.push(this.nowMs + Math.max(0, delayMs), run);
  }

  defer(run: () => void): void {
    this.microtasks.push(run);
  }

  log(who: string, text: string): void {
    this.logLines.push(`${(this.nowMs / 1000).toFixed(3).padStart(8)} ${who.padEnd(5)} ${text}`);
    const sp = text.indexOf(' ');
    if (/^[+-]/.test(text)) {
      const e: SimEventRecord = {
        atMs: this.nowMs, node: who,
        channel: sp < 0 ? text : text.slice(0, sp), message: sp < 0 ? '' : text.slice(sp + 1),
      };
      this.events.push(e);
      for (const watch of this.watchers) watch(e);
    }
  }

  sentinel(id: string): SentinelNode | undefined {
    return this.sentinelById.get(id);
  }

  endpointAt(kind: 'redis' | 'sentinel', host: string, port: number): Endpoint | undefined {
    return this.endpoints.get(`${kind}|${host}|${port}`);
  }

  redisAt(host: string, port: number): FakeRedis | undefined {
    return this.redisByAddr.get(`${host}:${port}`);
  }

  replicasOf(m: FakeRedis): FakeRedis[] {
    return this.redis.filter((r) => r !== m && r.alive && r.role === 'slave' &&
      r.masterHost === m.host && r.masterPort === m.port && this.net.connected(r.id, m.id));
  }

  mastersOfGroup(r: FakeRedis): FakeRedis[] {
    return this.groups.find((g) => g.includes(r))?.filter((x) => x.alive && x.role === 'master') ?? [];
  }

  closePubsubFromServer(conn: Conn): void {
    if (!conn.open || !conn.subscribed) return;
    conn.subscribed = false;
    this.deadPubSub.delete(conn);
    if (!this.net.reachable(conn.server.id, conn.clientId)) return;
    this.schedule(this.net.latency(), () => this.sentinel(conn.clientId)?.onRemotePubsubClose(conn));
  }

  /** The Sentinel made a new subscription on `conn`: a pub/sub fault on the old one no longer applies. */
  pubsubRemade(conn: Conn): void {
    this.deadPubSub.delete(conn);
  }

  closeFromServer(conn: Conn): void {
    if (!conn.open) return;
    conn.open = false;
    conn.server.conns.delete(conn.id);
    if (!this.net.reachable(conn.server.id, conn.clientId)) return;
    this.schedule(this.net.latency(), () => this.sentinel(conn.clientId)?.onRemoteClose(conn));
  }

  serve(server: Endpoint, conn: Conn, req: Request): unknown {
    if (server instanceof FakeRedis) return server.handle(conn, req, this);
    return (server as SentinelNode).serve(req);
  }

  // ---------------------------------------------------------------- building

  private buildRedis(idRng: Rng, featureRng: Rng): void {
    const s = this.scenario;
    for (let g = 0; g < s.masters; g++) {
      const group: FakeRedis[] = [];
      // Group 0 keeps the names and addresses of a one-master world.
      const net = g === 0 ? '10.0.0' : `10.0.${10 + g}`;
      for (let i = 0; i <= s.replicas; i++) {
        const host = `${net}.${i + 1}`;
        const r = new FakeRedis(g === 0 ? `r${i}` : `m${g}r${i}`, host, REDIS_PORT, idRng.hexId(), s.priorities[i] ?? 100,
          i === 0 ? undefined : { host: `${net}.1`, port: REDIS_PORT }, !featureRng.chance(s.noFailoverFraction));
        group.push(r);
        this.redis.push(r);
        this.redisByAddr.set(r.addr(), r);
        this.endpoints.set(`redis|${host}|${REDIS_PORT}`, r);
      }
      this.groups.push(group);
    }
  }

  private buildSentinels(idRng: Rng): void {
    const s = this.scenario;
    const ids = Array.from({ length: s.sentinels }, () => idRng.hexId());
    for (let i = 0; i < s.sentinels; i++) {
      const host = `10.0.1.${i + 1}`;
      const cfg = this.sentinelConfig(ids[i]!, ids, i);
      const node = new SentinelNode(this, {
        id: `s${i}`, host, port: SENTINEL_PORT, config: cfg,
        clockOffsetMs: CLOCK_BASE_MS + idRng.int(0, 10_000),
        coreSeed: idRng.int(1, 0x7fffffff),
      });
      this.sentinels.push(node);
      this.sentinelById.set(node.id, node);
      this.endpoints.set(`sentinel|${host}|${SENTINEL_PORT}`, node);
    }
  }

  private sentinelConfig(myId: string, ids: readonly string[], index: number): SentinelConfig {
    const s = this.scenario;
    const cfg = defaultSentinelConfig();
    cfg.myid = myId;
    cfg.port = SENTINEL_PORT;
    this.groups.forEach((group, g) => {
      const m = defaultMasterConfig(masterName(g), group[0]!.host, REDIS_PORT, s.quorum);
      m.downAfterMs = s.downAfterMs;
      m.failoverTimeoutMs = s.failoverTimeoutMs;
      m.parallelSyncs = s.parallelSyncs;
      if (s.presetReplicas) {
        m.knownReplicas = group.slice(1).map((r) => ({ host: r.host, port: r.port }));
      }
      if (s.presetSentinels) {
        m.knownSentinels = ids.flatMap((id, j) => (j === index ? [] : [{ host: `10.0.1.${j + 1}`, port: SENTINEL_PORT, runid: id }]));
      }
      cfg.masters.push(m);
    });
    return cfg;
  }

  // ---------------------------------------------------------------- running

  /** Runs events up to `untilMs` (or until a violation). */
  runUntil(untilMs: number): void {
    while (this.inv.violations.length === 0) {
      const at = this.queue.peekTimeMs();
      if (at === undefined || at > untilMs) break;
      const e = this.queue.pop()!;
      this.nowMs = e.atMs;
      this.eventsRun += 1;
      e.run();
      this.drainMicrotasks();
    }
    if (this.inv.violations.length === 0) this.nowMs = Math.max(this.nowMs, untilMs);
  }

  private drainMicrotasks(): void {
    // Bounded: a callback that keeps re-queueing itself is a simulator bug.
    for (let i = 0; this.microtasks.length > 0; i++) {
      if (i > 100_000) throw new Error('microtask storm');
      this.microtasks.shift()!();
    }
  }

  startAll(): void {
    this.sentinels.forEach((s, i) => this.schedule(i * 37, () => s.start()));
    const repl = (): void => {
      for (const r of this.redis) r.replicationTick(this);
      this.schedule(REPLICATION_TICK_MS, repl);
    };
    this.schedule(REPLICATION_TICK_MS, repl);
  }

  /** Schedules a follow-up of a fault (only restarts are scheduled, harmless after the heal too). */
  scheduleFault(delayMs: number, run: () => void): void {
    this.schedule(delayMs, run);
  }

  // ---------------------------------------------------------------- faults

  /** The instance of group `g` actually acting as master (the first live one with role master). */
  trueMaster(g = 0): FakeRedis | undefined {
    return this.groups[g]?.find((r) => r.alive && r.role === 'master');
  }

  /** A master group drawn at random (no draw with one group, so one-master runs replay as before). */
  randomGroup(rng: Rng): number {
    return this.groups.length === 1 ? 0 : rng.int(0, this.groups.length - 1);
  }

  killRedis(r: FakeRedis): void {
    if (!r.alive) return;
    this.log(r.id, `KILL ${r.describe()}`);
    r.kill(this);
  }

  restartRedis(r: FakeRedis): void {
    if (r.alive) return;
    r.restart(this.rng.hexId());
    this.log(r.id, `RESTART ${r.describe()}`);
  }

  split(a: readonly string[], b: readonly string[]): void {
    if (a.length === 0 || b.length === 0) return;
    this.net.split(a, b);
    this.log('net', `SPLIT [${a.join(' ')}] | [${b.join(' ')}]`);
    this.detectCuts();
  }

  blockOneWay(from: string, to: string): void {
    if (from === to) return;
    this.net.blockOneWay(from, to);
    this.log('net', `BLOCK ${from} -> ${to}`);
  }

  healNetwork(): void {
    this.net.heal();
    this.log('net', 'HEAL');
  }

  setLoss(rate: number): void {
    this.net.lossRate = rate;
    this.log('net', `LOSS ${rate}`);
  }

  /** Pub/sub connections left silently dead by a half-open fault. */
  private readonly deadPubSub = new Set<Conn>();

  /**
   * The pub/sub connection of `node` to `redis` fails while its command
   * connection works: hellos published there stop reaching `node`.
   * 'dropped': the connection is closed (the Sentinel is told, and its core
   * re-makes it); 'half-open': nothing tells anyone, it stays dead for
   * `durationMs` (until the core drops and re-makes it, a reconnect of the
   * link, or the heal).
   */
  pubsubFault(node: SentinelNode, redis: FakeRedis, mode: 'dropped' | 'half-open', durationMs: number): void {
    const conns = [...redis.conns.values()].filter((c) => c.clientId === node.id && c.open && c.subscribed);
    if (conns.length === 0) return;
    this.log(node.id, `PUBSUB ${mode} to ${redis.id}${mode === 'half-open' ? ` for ${durationMs} ms` : ''}`);
    for (const c of conns) {
      if (mode === 'dropped') {
        this.closePubsubFromServer(c);
        continue;
      }
      c.subscribed = false;
      this.deadPubSub.add(c);
      this.schedule(durationMs, () => {
        if (!this.deadPubSub.delete(c)) return;
        if (c.open) c.subscribed = true;
      });
    }
  }

  private healPubSub(): void {
    for (const c of this.deadPubSub) if (c.open) c.subscribed = true;
    this.deadPubSub.clear();
  }

  /** Every config write of `node` fails with `kind` for `durationMs`. */
  diskFault(node: SentinelNode, kind: DiskFault, durationMs: number): void {
    this.log(node.id, `DISK ${kind} for ${durationMs} ms`);
    node.simDisk.failUntil(kind, this.nowMs + durationMs);
  }

  jumpClock(node: SentinelNode, deltaMs: number): void {
    node.clockOffsetMs += deltaMs;
    this.log(node.id, `CLOCK JUMP ${deltaMs > 0 ? '+' : ''}${deltaMs} ms`);
  }

  /** SIGSTOP for `stallMs`, then SIGCONT: queued events are applied at once on resume. */
  stallSentinel(node: SentinelNode, stallMs: number): void {
    if (!node.isAlive() || node.isStalled()) return;
    const stallId = node.stall();
    this.scheduleFault(stallMs, () => node.resume(stallId));
  }

  manualFailover(node: SentinelNode, master = MASTER_NAME, coordinated = false): void {
    const r = node.apply({ type: 'manualFailover', master, coordinated });
    this.log(node.id, `SENTINEL FAILOVER ${master}${coordinated ? ' COORDINATED' : ''} -> ${r?.manual ?? 'no reply'}`);
  }

  /**
   * An admin command on `node`, as the runtime's `submit` hands it to the
   * core (through `apply`, effects run by the executor). A stopped or dead
   * process answers no command: nothing happens then.
   */
  admin(node: SentinelNode, event: CoreEvent, shown: string): boolean {
    if (!node.isAlive() || node.isStalled()) return false;
    this.log(node.id, `ADMIN ${shown}`);
    node.apply(event);
    return true;
  }

  /**
   * SENTINEL REMOVE then SENTINEL MONITOR of the same name at the address
   * `node` believes current, then SENTINEL SET of the options it had (as an
   * operator's script would: MONITOR starts from the defaults). The Sentinel
   * forgets that master's epochs, replicas and peers, as redis-sentinel does.
   */
  removeAndMonitor(node: SentinelNode, name: string): void {
    const m = node.state?.masters.get(name);
    if (!m || node.isStalled()) return;
    // What SENTINEL GET-MASTER-ADDR-BY-NAME answers (the promoted replica once confirmed).
    const { host, port } = currentMasterAddress(m);
    const { quorum, downAfterMs, failoverTimeoutMs, parallelSyncs } = m.config;
    this.inv.forgotEpochs(node, name, node.state!.currentEpoch, m.config.configEpoch);
    this.inv.forgotPeers(node, name);
    this.admin(node, { type: 'remove', master: name }, `SENTINEL REMOVE ${name}`);
    this.admin(node, { type: 'monitor', name, host, port, quorum }, `SENTINEL MONITOR ${name} ${host} ${port} ${quorum}`);
    this.admin(node, {
      type: 'setMasterOptions', master: name, changes: [
        { field: 'downAfterMs', option: 'down-after-milliseconds', raw: String(downAfterMs), value: downAfterMs },
        { field: 'failoverTimeoutMs', option: 'failover-timeout', raw: String(failoverTimeoutMs), value: failoverTimeoutMs },
        { field: 'parallelSyncs', option: 'parallel-syncs', raw: String(parallelSyncs), value: parallelSyncs },
      ],
    }, `SENTINEL SET ${name} down-after-milliseconds ${downAfterMs} failover-timeout ${failoverTimeoutMs} parallel-syncs ${parallelSyncs}`);
  }

  /** Connections across a new cut: most are noticed (keepalive), the rest stay half-open. */
  private detectCuts(): void {
    const all: Endpoint[] = [...this.redis, ...this.sentinels];
    for (const server of all) {
      for (const conn of server.conns.values()) {
        if (this.net.connected(conn.clientId, server.id)) continue;
        if (!this.rng.chance(CUT_DETECT_PROBABILITY)) continue;
        this.schedule(this.rng.int(50, CUT_DETECT_MAX_MS), () => {
          if (!conn.open || this.net.connected(conn.clientId, server.id)) return;
          conn.open = false;
          server.conns.delete(conn.id);
          this.sentinel(conn.clientId)?.onRemoteClose(conn);
        });
      }
    }
  }

  healAll(): void {
    this.healing = true;
    this.healAtMs = this.nowMs;
    this.log('sim', 'HEAL PHASE: network healed, loss off, everything restarted');
    this.net.heal();
    this.net.lossRate = 0;
    for (const s of this.sentinels) s.simDisk.heal();
    this.healPubSub();
    for (const r of this.redis) this.restartRedis(r);
    for (const s of this.sentinels) {
      s.resume();
      s.start();
      // SENTINEL SIMULATE-FAILURE with no flag disarms what an earlier one armed.
      s.apply({ type: 'simulateFailure', flags: [] });
    }
    this.superviseSentinels();
  }

  /** While healing, a Sentinel that dies (SIMULATE-FAILURE armed earlier) is restarted, as systemd would. */
  private superviseSentinels(): void {
    for (const s of this.sentinels) if (!s.isAlive()) s.start();
    this.schedule(1_000, () => this.superviseSentinels());
  }

  // ---------------------------------------------------------------- liveness

  /** Why the system has not converged, or undefined when it has. */
  notConverged(): string | undefined {
    for (let g = 0; g < this.groups.length; g++) {
      const why = this.groupNotConverged(g);
      if (why !== undefined) return why;
    }
    return undefined;
  }

  private groupNotConverged(g: number): string | undefined {
    const name = masterName(g);
    const addrs = new Set<string>();
    for (const s of this.sentinels) {
      const m = s.state?.masters.get(name);
      if (!m) return `${s.id} is down`;
      addrs.add(`${m.host}:${m.port}`);
    }
    if (addrs.size !== 1) return `Sentinels disagree on the master of ${name}: ${[...addrs].join(', ')}`;
    const addr = [...addrs][0]!;
    // After a SENTINEL RESET / REMOVE of this master (see forgotPeers), an
    // instance that no Sentinel lists any more (an old master not connected
    // then) is out of their reach, as it is for redis-sentinel: not required.
    const known = this.inv.resetGroups.has(name) ? this.knownInstances(name) : undefined;
    const master = this.redisByAddr.get(addr);
    if (!master) return `master ${addr} is no instance`;
    if (!master.alive) return `master ${addr} is dead`;
    if (master.role !== 'master') return `master ${addr} has role slave`;
    for (const r of this.groups[g] ?? []) {
      if (r === master || !r.alive || (known && !known.has(r.addr()))) continue;
      if (r.role !== 'slave' || r.masterHost !== master.host || r.masterPort !== master.port || !r.linkUp) {
        return `${r.describe()} does not replicate from ${addr}`;
      }
    }
    return undefined;
  }

  /**
   * The Sentinels disagree on a master with one config-epoch, below one that
   * a SENTINEL REMOVE + MONITOR dropped: the newest configuration was
   * forgotten by the only one that held it. Described, or undefined.
   */
  forgottenConfig(): string | undefined {
    for (let g = 0; g < this.groups.length; g++) {
      const name = masterName(g);
      const dropped = this.inv.droppedConfigEpoch.get(name);
      if (dropped === undefined) continue;
      const views = this.sentinels.flatMap((s) => {
        const m = s.state?.masters.get(name);
        return m ? [{ addr: `${m.host}:${m.port}`, epoch: m.config.configEpoch }] : [];
      });
      const epochs = new Set(views.map((v) => v.epoch));
      const addrs = new Set(views.map((v) => v.addr));
      const [epoch] = [...epochs];
      if (addrs.size > 1 && epochs.size === 1 && epoch! < dropped) {
        return `${name}: Sentinels hold config-epoch ${epoch} at ${[...addrs].join(', ')}; REMOVE + MONITOR dropped config-epoch ${dropped}`;
      }
    }
    return undefined;
  }

  /** Addresses the Sentinels list for master `name`: the master and its replicas. */
  private knownInstances(name: string): Set<string> {
    const out = new Set<string>();
    for (const s of this.sentinels) {
      const m = s.state?.masters.get(name);
      if (!m) continue;
      out.add(`${m.host}:${m.port}`);
      for (const r of m.replicas.values()) out.add(`${r.host}:${r.port}`);
    }
    return out;
  }

  describeState(): string[] {
    const lines = this.redis.map((r) => `  ${r.describe()}`);
    for (const s of this.sentinels) {
      const st = s.state;
      if (!st) {
        lines.push(`  ${s.id} DOWN`);
        continue;
      }
      for (const m of st.masters.values()) {
        const replicas = [...m.replicas.values()].map((r) => `${r.name}${r.sdown ? '(sdown)' : ''}`).join(' ');
        lines.push(`  ${s.id} ${s.myId.slice(0, 8)} epoch ${st.currentEpoch} master ${m.host}:${m.port} ` +
          `config-epoch ${m.config.configEpoch} failover ${m.failover.state}@${m.failover.epoch}` +
          `${m.sdown ? ' sdown' : ''}${m.odown ? ' odown' : ''}${st.tilt ? ' TILT' : ''} ` +
          `peers ${m.sentinels.size} replicas [${replicas}]${st.masters.size > 1 ? ` (${m.name})` : ''}`);
      }
    }
    return lines;
  }
}

export function runSimulation(seed: number, options: SimOptions = {}): SimResult {
  const rng = new Rng(seed);
  const scenario = makeScenario(seed, rng.fork(), options);
  const w = new World(scenario, rng);
  w.log('sim', describeScenario(scenario));
  w.startAll();
  w.runUntil(scenario.warmupMs);
  runFaults(w, options);
  const healAtMs = w.nowMs;
  w.healAll();
  const convergedAfterMs = runHeal(w, healAtMs, options);
  const collision = w.inv.forcedEpochCollision();
  if (w.inv.violations.length === 0 && convergedAfterMs === undefined && collision !== undefined) {
    // SENTINEL FAILOVER skips the election (as in Redis): two of them in one
    // epoch, or one next to an elected leader, publish two configurations
    // with the same config-epoch, which nothing can reconcile.
    w.log('sim', `no convergence, liveness waived: ${collision}`);
  } else if (w.inv.violations.length === 0 && convergedAfterMs === undefined && w.forgottenConfig() !== undefined) {
    w.log('sim', `no convergence, liveness waived: ${w.forgottenConfig()}`);
  } else if (w.inv.violations.length === 0 && convergedAfterMs === undefined) {
    w.inv.violate('sim', `no convergence within ${scenario.healBoundMs} ms of healing: ${w.notConverged()}`);
  }
  const ok = w.inv.violations.length === 0;
  if (!ok) {
    w.log('sim', 'final state:');
    for (const line of w.describeState()) w.log('sim', line);
  }
  const log = options.logLimit === undefined ? w.logLines : w.logLines.slice(-options.logLimit);
  return {
    seed, ok, violations: [...w.inv.violations], log, scenario, convergedAfterMs,
    stats: {
      events: w.eventsRun,
      elections: w.inv.elections,
      switches: w.events.filter((e) => e.channel === '+switch-master').length,
      simulatedMs: w.nowMs,
    },
    world: w,
  };
}

function runFaults(w: World, options: SimOptions): void {
  const start = w.nowMs;
  const end = start + w.scenario.faultMs;
  if (options.script) {
    for (const s of options.script) w.schedule(s.atMs, () => s.action(w));
    w.runUntil(end);
    return;
  }
  let next = start + w.faultRng.int(0, w.scenario.faultGapMs);
  while (next < end && w.inv.violations.length === 0) {
    w.runUntil(next);
    randomFault(w, w.faultRng);
    next += w.faultRng.int(w.scenario.faultGapMs / 2, (w.scenario.faultGapMs * 3) / 2);
  }
  w.runUntil(end);
}

function runHeal(w: World, healAtMs: number, options: SimOptions): number | undefined {
  const bound = healAtMs + w.scenario.healBoundMs;
  let since: number | undefined;
  let convergedAt: number | undefined;
  for (let t = healAtMs + CONVERGENCE_CHECK_MS; t <= bound; t += CONVERGENCE_CHECK_MS) {
    w.runUntil(t);
    if (w.inv.violations.length > 0) return undefined;
    if (w.notConverged() === undefined) {
      since ??= t;
      if (t - since >= CONVERGENCE_HOLD_MS) {
        convergedAt ??= since - healAtMs;
        if (!options.runFullHeal) return convergedAt;
      }
    } else {
      if (convergedAt !== undefined) {
        w.inv.violate('sim', `converged at +${convergedAt} ms, then diverged: ${w.notConverged()}`);
        return undefined;
      }
      since = undefined;
    }
  }
  return convergedAt;
}

/** The seed and the last lines of the log, for a failing run. */
export function formatFailure(r: SimResult, lines = 200): string {
  return [
    `SIMULATION FAILED: seed ${r.seed} (replay: SIM_SEED=${r.seed} npx vitest run test/sim)`,
    describeScenario(r.scenario),
    ...r.violations.map((v) => `  violation: ${v}`),
    `--- last ${Math.min(lines, r.log.length)} log lines ---`,
    ...r.log.slice(-lines),
  ].join('\n');
}
