/**
 * A fake redis-server: just what a Sentinel observes and changes. Role and
 * replicaof, a replication offset that grows on masters and is copied by
 * connected replicas, master_link_status, an INFO text in redis-server's
 * format, hello pub/sub, and the failover transaction (SLAVEOF + CONFIG
 * REWRITE + CLIENT KILL) applied atomically.
 */
import type { Conn, Endpoint } from './network.js';
import type { Request, SimWorld } from './world.js';

/** Time a replica needs to sync after it reaches its master. */
const SYNC_MS = 300;
/** Bytes a master's offset grows by per replication tick (writes keep coming). */
const WRITES_PER_TICK = 1_000;

/**
 * A FAILOVER TO accepted by a master: writes are paused until the target
 * replica has every byte (and `syncMs` passed: the handshake), then the
 * roles swap; past `deadlineMs` it is given up and writes resume.
 */
interface PendingFailover {
  host: string;
  port: number;
  readyAtMs: number;
  deadlineMs: number;
}

/** What a swap looked like, for the invariants: the target had every byte, and how many masters before and after. */
export interface FailoverSwap {
  oldMaster: FakeRedis;
  newMaster: FakeRedis;
  /** Offsets at the swap (writes were paused: equal when no acknowledged write is lost). */
  oldOffset: number;
  newOffset: number;
}

export class FakeRedis implements Endpoint {
  readonly conns = new Map<number, Conn>();
  alive = true;
  role: 'master' | 'slave';
  masterHost?: string;
  masterPort?: number;
  offset = 0;
  linkUp = false;
  /** Global ms when the link to the master went down; undefined = never up since start (-1). */
  linkDownSinceMs?: number;
  private syncStartMs?: number;
  /** A FAILOVER TO in progress (master only). */
  failover?: PendingFailover;

  constructor(
    readonly id: string,
    readonly host: string,
    readonly port: number,
    public runId: string,
    readonly priority: number,
    replicaOf?: { host: string; port: number },
    /** false: an older server without the FAILOVER command (Redis < 6.2, or renamed away). */
    readonly supportsFailover = true,
  ) {
    this.role = replicaOf ? 'slave' : 'master';
    this.masterHost = replicaOf?.host;
    this.masterPort = replicaOf?.port;
  }

  isAlive(): boolean {
    return this.alive;
  }

  addr(): string {
    return `${this.host}:${this.port}`;
  }

  describe(): string {
    const rep = this.role === 'master' ? 'master' : `slave of ${this.masterHost}:${this.masterPort} link ${this.linkUp ? 'up' : 'down'}`;
    return `${this.id} ${this.addr()} ${this.alive ? 'alive' : 'DEAD'} ${rep} offset ${this.offset}`;
  }

  kill(world: SimWorld): void {
    if (!this.alive) return;
    this.alive = false;
    this.linkUp = false;
    this.syncStartMs = undefined;
    this.failover = undefined;
    for (const conn of [...this.conns.values()]) world.closeFromServer(conn);
  }

  /** Restarts with the configuration last rewritten (role and replicaof survive). */
  restart(runId: string): void {
    if (this.alive) return;
    this.alive = true;
    this.runId = runId;
    this.linkUp = false;
    this.linkDownSinceMs = undefined;
    this.syncStartMs = undefined;
  }

  /** SLAVEOF host port / SLAVEOF NO ONE (host undefined). */
  replicaOf(host: string | undefined, port: number | undefined, world: SimWorld): void {
    if (host === undefined || port === undefined) {
      if (this.role === 'master') return;
      this.role = 'master';
      this.masterHost = undefined;
      this.masterPort = undefined;
      this.linkUp = false;
      this.syncStartMs = undefined;
      return;
    }
    if (this.role === 'slave' && this.masterHost === host && this.masterPort === port) return;
    this.role = 'slave';
    this.masterHost = host;
    this.masterPort = port;
    this.linkUp = false;
    this.linkDownSinceMs = world.nowMs;
    this.syncStartMs = undefined;
  }

  /** One replication step: masters take writes, replicas follow theirs. */
  replicationTick(world: SimWorld): void {
    if (!this.alive) return;
    if (this.role === 'master') {
      // FAILOVER pauses writes (CLIENT PAUSE WRITE) until the swap or its timeout.
      if (this.failover) this.failoverTick(world);
      else this.offset += WRITES_PER_TICK;
      return;
    }
    const m = this.masterHost === undefined || this.masterPort === undefined
      ? undefined
      : world.redisAt(this.masterHost, this.masterPort);
    const reachable = !!m && m !== this && m.alive && world.net.connected(this.id, m.id) &&
      (m.role === 'master' || m.linkUp);
    if (!reachable) {
      if (this.linkUp) this.linkDownSinceMs = world.nowMs;
      this.linkUp = false;
      this.syncStartMs = undefined;
      return;
    }
    if (!this.linkUp) {
      this.syncStartMs ??= world.nowMs;
      if (world.nowMs - this.syncStartMs < SYNC_MS) return;
      this.linkUp = true;
      this.syncStartMs = undefined;
    }
    this.offset = m.offset;
  }

  /**
   * FAILOVER TO host port TIMEOUT ms: refused by an older server, by a
   * replica, when one is already running, or when the target is not one of
   * its replicas; otherwise +OK at once and the switch runs in the background.
   */
  private failoverTo(host: string, port: number, timeoutMs: number, world: SimWorld): unknown {
    if (!this.supportsFailover) return new Error("ERR unknown command 'FAILOVER'");
    if (this.role !== 'master') return new Error('ERR FAILOVER is not valid when server is a replica.');
    if (this.failover) return new Error('ERR FAILOVER already in progress.');
    const target = world.redisAt(host, port);
    if (!target || !world.replicasOf(this).includes(target)) return new Error('ERR FAILOVER target HOST and PORT is not a replica.');
    // Sometimes the replica never catches up in time (a big backlog): the master gives up at TIMEOUT.
    const syncMs = world.rng.chance(0.15) ? timeoutMs + 1_000 : world.rng.int(20, 1_500);
    this.failover = { host, port, readyAtMs: world.nowMs + syncMs, deadlineMs: world.nowMs + timeoutMs };
    world.log(this.id, `FAILOVER TO ${target.id} TIMEOUT ${timeoutMs} (handshake ${syncMs} ms)`);
    return 'OK';
  }

  private failoverAbort(world: SimWorld): unknown {
    if (!this.failover) return new Error('ERR No failover in progress.');
    this.failover = undefined;
    world.log(this.id, 'FAILOVER ABORT: writes resume');
    return 'OK';
  }

  /** While writes are paused: swap once the target is in sync, give up at the deadline. */
  private failoverTick(world: SimWorld): void {
    const f = this.failover!;
    const target = world.redisAt(f.host, f.port);
    const inSync = !!target && target.alive && target.role === 'slave' && target.linkUp &&
      target.masterHost === this.host && target.masterPort === this.port &&
      target.offset === this.offset && world.net.connected(this.id, target.id);
    if (inSync && world.nowMs >= f.readyAtMs) {
      this.failover = undefined;
      const swap: FailoverSwap = { oldMaster: this, newMaster: target, oldOffset: this.offset, newOffset: target.offset };
      world.inv.beforeFailoverSwap(swap, world.mastersOfGroup(this));
      target.replicaOf(undefined, undefined, world);
      this.replicaOf(target.host, target.port, world);
      world.log(this.id, `FAILOVER done: ${target.id} is master, ${this.id} replicates from it`);
      world.inv.afterFailoverSwap(swap, world.mastersOfGroup(this));
      return;
    }
    if (world.nowMs >= f.deadlineMs) {
      this.failover = undefined;
      world.log(this.id, 'FAILOVER timed out: aborted, writes resume');
    }
  }

  /** A request from a Sentinel on `conn`; returns the reply. */
  handle(conn: Conn, req: Request, world: SimWorld): unknown {
    switch (req.op) {
      case 'ping': return 'PONG';
      case 'info': return this.info(world);
      case 'publish': return this.publish(req.payload, world);
      case 'slaveof': return this.transaction(conn, req.host, req.port, world);
      case 'askMasterDown': return new Error('ERR unknown command');
      case 'failoverTo': return this.failoverTo(req.host, req.port, req.timeoutMs, world);
      case 'failoverAbort': return this.failoverAbort(world);
    }
  }

  private publish(payload: string, world: SimWorld): number {
    let receivers = 0;
    for (const c of this.conns.values()) {
      if (!c.open || !c.subscribed) continue;
      receivers += 1;
      const delay = world.net.transit(this.id, c.clientId);
      if (delay === undefined) continue;
      world.schedule(delay, () => world.sentinel(c.clientId)?.deliverHello(c, payload));
    }
    return receivers;
  }

  /**
   * MULTI / SLAVEOF / CONFIG REWRITE / CLIENT KILL TYPE normal / CLIENT KILL
   * TYPE pubsub / EXEC: all of it at once. CLIENT KILL skips the caller's
   * own command connection, but drops every other Sentinel's links and the
   * caller's pub/sub connection (the caller's core re-makes it).
   */
  private transaction(caller: Conn, host: string | undefined, port: number | undefined, world: SimWorld): unknown {
    const before = this.role === 'master' ? 'master' : `${this.masterHost}:${this.masterPort}`;
    // REPLICAOF is refused while a FAILOVER runs; the rest of the transaction
    // still executes (the Sentinel does not look inside EXEC's reply).
    const refused = this.failover !== undefined;
    if (!refused) this.replicaOf(host, port, world);
    world.log(this.id, `SLAVEOF ${host === undefined ? 'NO ONE' : `${host} ${port}`} (was ${before}, from ${caller.clientId})` +
      `${refused ? ': refused, FAILOVER in progress' : ''}`);
    for (const c of [...this.conns.values()]) {
      if (c === caller) continue;
      world.closeFromServer(c);
    }
    world.closePubsubFromServer(caller);
    return refused
      ? ['OK', new Error('ERR REPLICAOF not allowed while failing over.'), 0, 0, 0]
      : ['OK', 'OK', 0, 0, 0];
  }

  private failoverState(world: SimWorld): string {
    if (!this.failover) return 'no-failover';
    return world.nowMs >= this.failover.readyAtMs ? 'failover-in-progress' : 'waiting-for-sync';
  }

  /** INFO in redis-server's format (the fields a Sentinel reads, and a few more). */
  info(world: SimWorld): string {
    const lines = [
      '# Server',
      'redis_version:7.0.15',
      'redis_mode:standalone',
      `run_id:${this.runId}`,
      `tcp_port:${this.port}`,
      '',
      '# Replication',
    ];
    if (this.role === 'master') {
      lines.push('role:master');
    } else {
      const downSeconds = this.linkDownSinceMs === undefined
        ? -1
        : Math.floor((world.nowMs - this.linkDownSinceMs) / 1000);
      lines.push(
        'role:slave',
        `master_host:${this.masterHost}`,
        `master_port:${this.masterPort}`,
        `master_link_status:${this.linkUp ? 'up' : 'down'}`,
        `master_last_io_seconds_ago:${this.linkUp ? 0 : -1}`,
        'master_sync_in_progress:0',
        `slave_read_repl_offset:${this.offset}`,
        `slave_repl_offset:${this.offset}`,
      );
      if (!this.linkUp) lines.push(`master_link_down_since_seconds:${downSeconds}`);
      lines.push(
        `slave_priority:${this.priority}`,
        'slave_read_only:1',
        'replica_announced:1',
      );
    }
    const replicas = world.replicasOf(this);
    lines.push(`connected_slaves:${replicas.length}`);
    replicas.forEach((r, i) => {
      lines.push(`slave${i}:ip=${r.host},port=${r.port},state=${r.linkUp ? 'online' : 'wait_bgsave'},offset=${r.offset},lag=0`);
    });
    lines.push(
      `master_failover_state:${this.failoverState(world)}`,
      `master_replid:${this.runId}`,
      'master_replid2:0000000000000000000000000000000000000000',
      `master_repl_offset:${this.offset}`,
      '',
    );
    return lines.join('\r\n');
  }
}
