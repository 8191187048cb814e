import type { Redis } from 'ioredis';
import { subscriberClient } from './client.js';
import type { DemoNode } from './topology.js';

/**
 * The event timeline: every message published by every Sentinel (PSUBSCRIBE *
 * on each), plus the demo's own actions ("demo kill -9 r1 ..."), in arrival
 * order. Hello gossip is left out: it is not an event.
 */

export interface TimelineEvent {
  /** Wall clock, ms. */
  readonly atMs: number;
  /** s1, s2, s3, or "demo". */
  readonly source: string;
  readonly channel: string;
  readonly message: string;
}

const HELLO_CHANNEL = '__sentinel__:hello';
/** Bounded, like everything else; the summary keeps the first ones. */
const MAX_EVENTS = 2_000;
const SUBSCRIBE_TIMEOUT_MS = 10_000;

export class Timeline {
  private readonly list: TimelineEvent[] = [];
  private readonly subscribers: Redis[] = [];
  private readonly listeners: ((event: TimelineEvent) => void)[] = [];

  get events(): readonly TimelineEvent[] {
    return this.list;
  }

  onEvent(listener: (event: TimelineEvent) => void): void {
    this.listeners.push(listener);
  }

  add(source: string, channel: string, message: string): void {
    if (this.list.length >= MAX_EVENTS) return;
    const event = { atMs: Date.now(), source, channel, message };
    this.list.push(event);
    for (const listener of this.listeners) listener(event);
  }

  /** A demo action or observation. */
  note(channel: string, message: string): void {
    this.add('demo', channel, message);
  }

  /**
   * PSUBSCRIBE * on every Sentinel; resolves once each subscription is
   * acknowledged. Subscriptions are renewed on every reconnect.
   */
  async subscribe(sentinels: readonly DemoNode[]): Promise<void> {
    await Promise.all(sentinels.map((node) => this.subscribeOne(node)));
  }

  private subscribeOne(node: DemoNode): Promise<void> {
    const sub = subscriberClient(node.port);
    this.subscribers.push(sub);
    sub.on('pmessage', (_pattern: string, channel: string, message: string) => {
      if (channel !== HELLO_CHANNEL) this.add(node.name, channel, message);
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`PSUBSCRIBE * on ${node.name} not acknowledged`)), SUBSCRIBE_TIMEOUT_MS);
      sub.on('ready', () => {
        sub.psubscribe('*').then(
          () => {
            clearTimeout(timer);
            resolve();
          },
          () => undefined,
        );
      });
    });
  }

  close(): void {
    for (const sub of this.subscribers) sub.disconnect();
    this.subscribers.length = 0;
  }
}
