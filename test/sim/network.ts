/**
 * The fake network: who can reach whom (symmetric and one-way partitions),
 * per-message latency and loss, and the TCP connections Sentinels open to
 * Redis instances and to each other.
 *
 * A message is judged when it is sent: blocked by a partition or lost, it
 * never arrives; otherwise it arrives after a seeded delay, so messages on one
 * connection can overtake each other (reordering). Callers that wait for a
 * reply rely on their own timeouts, as the runtime does.
 */
import type { Rng } from './rng.js';

/** Anything a Sentinel can connect to: a fake Redis or another Sentinel. */
export interface Endpoint {
  /** Node id in the network ("r0", "s2"). */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** The process runs (a dead one refuses connections). */
  isAlive(): boolean;
  /** Server side of the connections open to this process. */
  readonly conns: Map<number, Conn>;
}

/** One client connection, seen from both ends. */
export interface Conn {
  readonly id: number;
  /** Node id of the client Sentinel and its incarnation when it connected. */
  readonly clientId: string;
  readonly clientIncarnation: number;
  readonly linkKey: string;
  readonly server: Endpoint;
  /** The server still knows this connection (false after it died or killed the client). */
  open: boolean;
  /** The pub/sub half is subscribed to `__sentinel__:hello` (Redis targets only). */
  subscribed: boolean;
}

export class Network {
  private readonly blocked = new Set<string>();
  lossRate = 0;
  private nextConnId = 1;

  constructor(
    private readonly rng: Rng,
    readonly latencyMsMax: number,
  ) {}

  newConnId(): number {
    return this.nextConnId++;
  }

  reachable(from: string, to: string): boolean {
    return from === to || !this.blocked.has(`${from}>${to}`);
  }

  /** Both directions open: what a TCP connection needs. */
  connected(a: string, b: string): boolean {
    return this.reachable(a, b) && this.reachable(b, a);
  }

  /** One-way latency of a message sent now, or undefined when it is dropped. */
  transit(from: string, to: string): number | undefined {
    if (!this.reachable(from, to)) return undefined;
    if (this.lossRate > 0 && this.rng.chance(this.lossRate)) return undefined;
    return this.latency();
  }

  /** Latency ignoring loss (connection setup retransmits its SYN). */
  latency(): number {
    return this.rng.int(1, this.latencyMsMax);
  }

  /** Cuts every pair across the two groups, both ways. */
  split(groupA: readonly string[], groupB: readonly string[]): void {
    for (const a of groupA) {
      for (const b of groupB) {
        this.blocked.add(`${a}>${b}`);
        this.blocked.add(`${b}>${a}`);
      }
    }
  }

  blockOneWay(from: string, to: string): void {
    if (from !== to) this.blocked.add(`${from}>${to}`);
  }

  heal(): void {
    this.blocked.clear();
  }

  describe(): string {
    return [...this.blocked].sort().join(' ');
  }
}
