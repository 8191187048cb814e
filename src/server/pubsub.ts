/**
 * Channel and pattern subscriptions of the server's clients (Redis's
 * pubsub_channels and pubsub_patterns) and PUBLISH fan-out. Writing to a
 * client (reply modes, output limits, batching) stays with the server, which
 * passes it in as `deliver`.
 */
import type { Client } from './clientState.js';
import { globMatch } from './glob.js';
import { bulk, type Reply } from './reply.js';
import type { Protocol } from './types.js';
import { textToBytes } from '../byteText.js';

/** One message encoded once per protocol, shared by every receiver. */
export type EncodedCache = Partial<Record<Protocol, string | Buffer>>;

interface PatternSubscription {
  readonly bytes: Buffer;
  readonly clients: Set<Client>;
}

export class PubSub {
  private readonly channelSubs = new Map<string, Set<Client>>();
  private readonly patternSubs = new Map<string, PatternSubscription>();

  /** deliver returns how many receivers it counts (1). */
  constructor(private readonly deliver: (c: Client, msg: Reply, cache: EncodedCache) => number) {}

  get channelCount(): number {
    return this.channelSubs.size;
  }

  get patternCount(): number {
    return this.patternSubs.size;
  }

  /** Delivers to channel subscribers, then to matching patterns; returns the number of receivers. */
  publish(channel: string, message: string): number {
    let receivers = 0;
    const encoded: EncodedCache = {};
    const subs = this.channelSubs.get(channel);
    if (subs !== undefined) {
      const msg: Reply = { kind: 'push', items: [bulk('message'), bulk(channel), bulk(message)] };
      for (const c of subs) receivers += this.deliver(c, msg, encoded);
    }
    if (this.patternSubs.size === 0) return receivers;
    const channelBytes = textToBytes(channel);
    for (const [pattern, ps] of this.patternSubs) {
      if (!globMatch(ps.bytes, channelBytes)) continue;
      const msg: Reply = { kind: 'push', items: [bulk('pmessage'), bulk(pattern), bulk(channel), bulk(message)] };
      const perPattern: EncodedCache = {};
      for (const c of ps.clients) receivers += this.deliver(c, msg, perPattern);
    }
    return receivers;
  }

  /** Returns true when newly subscribed. */
  subscribe(c: Client, channel: string): boolean {
    if (c.channels.has(channel)) return false;
    c.channels.add(channel);
    let set = this.channelSubs.get(channel);
    if (set === undefined) this.channelSubs.set(channel, (set = new Set()));
    set.add(c);
    return true;
  }

  unsubscribe(c: Client, channel: string): boolean {
    if (!c.channels.delete(channel)) return false;
    const set = this.channelSubs.get(channel);
    set?.delete(c);
    if (set?.size === 0) this.channelSubs.delete(channel);
    return true;
  }

  psubscribe(c: Client, pattern: string): boolean {
    if (c.patterns.has(pattern)) return false;
    c.patterns.add(pattern);
    let ps = this.patternSubs.get(pattern);
    if (ps === undefined) this.patternSubs.set(pattern, (ps = { bytes: textToBytes(pattern), clients: new Set() }));
    ps.clients.add(c);
    return true;
  }

  punsubscribe(c: Client, pattern: string): boolean {
    if (!c.patterns.delete(pattern)) return false;
    const ps = this.patternSubs.get(pattern);
    ps?.clients.delete(c);
    if (ps?.clients.size === 0) this.patternSubs.delete(pattern);
    return true;
  }

  unsubscribeAll(c: Client): void {
    for (const ch of [...c.channels]) this.unsubscribe(c, ch);
    for (const p of [...c.patterns]) this.punsubscribe(c, p);
  }
}
