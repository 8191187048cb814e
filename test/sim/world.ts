/**
 * What the simulated parts (fake Redis instances, Sentinel nodes) need from
 * the world that runs them. Implemented by `World` in sim.ts.
 */
import type { FakeRedis } from './fakeRedis.js';
import type { Invariants } from './invariants.js';
import type { Conn, Endpoint, Network } from './network.js';
import type { SentinelNode } from './node.js';
import type { Rng } from './rng.js';

export interface SimWorld {
  /** Global simulated time, ms. */
  readonly nowMs: number;
  readonly net: Network;
  /** Randomness for everything that is not the scenario itself. */
  readonly rng: Rng;
  readonly inv: Invariants;
  schedule(delayMs: number, run: () => void): void;
  /** Runs after the current event, before any other (the runtime's promise callbacks). */
  defer(run: () => void): void;
  log(who: string, text: string): void;
  sentinel(id: string): SentinelNode | undefined;
  endpointAt(kind: 'redis' | 'sentinel', host: string, port: number): Endpoint | undefined;
  redisAt(host: string, port: number): FakeRedis | undefined;
  /** Live replicas pointing at `m` and able to reach it (its INFO lists them). */
  replicasOf(m: FakeRedis): FakeRedis[];
  /** The live instances with role master in the group of `r`. */
  mastersOfGroup(r: FakeRedis): FakeRedis[];
  /** Hands a request that reached `server` to it; returns the reply. */
  serve(server: Endpoint, conn: Conn, req: Request): unknown;
  /** The server drops a connection; its client learns it if a FIN/RST can reach it. */
  /** The server closed the pub/sub half of `conn` (CLIENT KILL TYPE pubsub); the client learns it after a network delay. */
  closePubsubFromServer(conn: Conn): void;
  /** A new subscription on `conn`: a pub/sub fault on the old one no longer applies. */
  pubsubRemade(conn: Conn): void;
  closeFromServer(conn: Conn): void;
}

/** Requests a Sentinel sends over a link. */
export type Request =
  | { op: 'ping' }
  | { op: 'info' }
  | { op: 'publish'; payload: string }
  /** MULTI / SLAVEOF / CONFIG REWRITE / CLIENT KILL normal / CLIENT KILL pubsub / EXEC. */
  | { op: 'slaveof'; host?: string; port?: number }
  | { op: 'askMasterDown'; ip: string; port: number; epoch: number; runId: string }
  /** FAILOVER TO host port TIMEOUT ms / FAILOVER ABORT. */
  | { op: 'failoverTo'; host: string; port: number; timeoutMs: number }
  | { op: 'failoverAbort' };

/** Timeouts the runtime applies (shortened for the simulation). */
export const COMMAND_TIMEOUT_MS = 500;
export const CONNECT_TIMEOUT_MS = 500;
/** InstanceLink re-makes a killed pub/sub connection after this long. */
