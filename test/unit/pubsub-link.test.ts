/**
 * The pub/sub connection as the core sees it: connected, reconnected and
 * dropped by the core alone (the link never reconnects by itself).
 */
import { describe, expect, it } from 'vitest';
import { defaultMasterConfig, defaultSentinelConfig } from '../../src/config/model.js';
import type { Effect } from '../../src/core/effects.js';
import { onLinkUp, onPingReply, tick } from '../../src/core/monitor.js';
import { stateFromConfig } from '../../src/core/sentinel.js';
import { step } from '../../src/core/step.js';
import type { SentinelState } from '../../src/core/state.js';

const MY_ID = '1'.repeat(40);
const T0 = 1_000_000;
const KEY = 'redis|127.0.0.1|6379';

function world(): SentinelState {
  const cfg = defaultSentinelConfig();
  const m = defaultMasterConfig('mymaster', '127.0.0.1', 6379, 2);
  m.downAfterMs = 60_000;
  cfg.masters.push(m);
  return stateFromConfig(cfg, MY_ID, T0);
}

/** The 100 ms timer from `fromMs` to `toMs`; pings answered so the command link stays healthy. */
function runTicks(s: SentinelState, fromMs: number, toMs: number): Effect[] {
  const out: Effect[] = [];
  for (let t = fromMs; t <= toMs; t += 100) {
    const effects = tick(s, t);
    for (const e of effects) if (e.type === 'ping') onPingReply(s, KEY, 'valid', t);
    out.push(...effects);
  }
  return out;
}

const count = (effects: Effect[], type: Effect['type']) => effects.filter((e) => e.type === type).length;

/** Command link up and pub/sub subscribed at T0. */
function subscribed(): SentinelState {
  const s = world();
  tick(s, T0);
  onLinkUp(s, KEY, '127.0.0.1', T0);
  step(s, { type: 'pubsubUp', link: KEY }, T0);
  return s;
}

describe('pub/sub link in the core', () => {
  it('asks for the pub/sub connection with the command one, then once per ping period until subscribed', () => {
    const s = world();
    expect(tick(s, T0)).toEqual(expect.arrayContaining([
      { type: 'connect', link: KEY }, { type: 'connectPubsub', link: KEY },
    ]));
    onLinkUp(s, KEY, '127.0.0.1', T0 + 5);
    // Each attempt fails (the shell reports pubsubDown): one per ping period.
    step(s, { type: 'pubsubDown', link: KEY }, T0 + 5);
    let attempts = 0;
    for (let t = T0 + 100; t <= T0 + 2950; t += 100) {
      const effects = runTicks(s, t, t);
      if (count(effects, 'connectPubsub') > 0) {
        attempts += 1;
        step(s, { type: 'pubsubDown', link: KEY }, t + 5);
      }
    }
    expect(attempts).toBe(2);
    step(s, { type: 'pubsubUp', link: KEY }, T0 + 3000);
    expect(count(runTicks(s, T0 + 3100, T0 + 10_000), 'connectPubsub')).toBe(0);
  });

  it('reconnects a lost pub/sub connection on a later tick, leaving the command link alone', () => {
    const s = subscribed();
    step(s, { type: 'pubsubDown', link: KEY }, T0 + 500);
    expect(s.links.get(KEY)!.connected).toBe(true);
    const effects = runTicks(s, T0 + 1000, T0 + 1000);
    expect(effects).toContainEqual({ type: 'connectPubsub', link: KEY });
    expect(count(effects, 'connect')).toBe(0);
  });

  it('drops the pub/sub connection after 3 hello periods without a message, once it lived the minimum period', () => {
    const s = subscribed();
    const { publishPeriodMs, minLinkReconnectPeriodMs } = s.timing;
    // Young connection: silence is tolerated until the minimum reconnect period.
    expect(count(runTicks(s, T0 + 100, T0 + minLinkReconnectPeriodMs), 'disconnectPubsub')).toBe(0);
    const effects = runTicks(s, T0 + minLinkReconnectPeriodMs + 100, T0 + minLinkReconnectPeriodMs + 200);
    expect(effects).toContainEqual({ type: 'disconnectPubsub', link: KEY });
    expect(count(effects, 'disconnect')).toBe(0);
    expect(s.links.get(KEY)!.pubsub.connected).toBe(false);
    expect(publishPeriodMs * 3).toBeLessThan(minLinkReconnectPeriodMs);
    // ... and subscribes again at once: its last attempt is long past.
    expect(effects).toContainEqual({ type: 'connectPubsub', link: KEY });
  });

  it('leaves an attempt under way to finish for the minimum reconnect period instead of replacing it', () => {
    const s = world();
    tick(s, T0);
    onLinkUp(s, KEY, '127.0.0.1', T0 + 5);
    const { minLinkReconnectPeriodMs } = s.timing;
    // The SUBSCRIBE asked at T0 gets no answer (a loaded server, a slow network).
    expect(count(runTicks(s, T0 + 100, T0 + minLinkReconnectPeriodMs - 100), 'connectPubsub')).toBe(0);
    expect(count(runTicks(s, T0 + minLinkReconnectPeriodMs, T0 + minLinkReconnectPeriodMs + 100), 'connectPubsub')).toBe(1);
  });

  it('keeps a pub/sub connection that hears a message every hello period', () => {
    const s = subscribed();
    const out: Effect[] = [];
    for (let t = T0 + 100; t <= T0 + 60_000; t += 100) {
      if ((t - T0) % s.timing.publishPeriodMs === 0) step(s, { type: 'pubsubMessage', link: KEY }, t);
      out.push(...runTicks(s, t, t));
    }
    expect(count(out, 'disconnectPubsub')).toBe(0);
    expect(s.links.get(KEY)!.pubsub.connected).toBe(true);
  });

  it('drops a pub/sub connection silent for just over 3 hello periods, not one silent for 3', () => {
    const s = subscribed();
    const quietFromMs = T0 + 20_000;
    for (let t = T0 + 100; t <= quietFromMs; t += 100) {
      if (t % 1000 === 0) step(s, { type: 'pubsubMessage', link: KEY }, t);
      runTicks(s, t, t);
    }
    const limitMs = 3 * s.timing.publishPeriodMs;
    expect(count(runTicks(s, quietFromMs + 100, quietFromMs + limitMs), 'disconnectPubsub')).toBe(0);
    expect(count(runTicks(s, quietFromMs + limitMs + 100, quietFromMs + limitMs + 100), 'disconnectPubsub')).toBe(1);
  });

  it('keeps the command connection when the pub/sub one is lost or refused (PINGs still judge the instance)', () => {
    const s = world();
    tick(s, T0);
    onLinkUp(s, KEY, '127.0.0.1', T0);
    const { effects } = step(s, { type: 'pubsubDown', link: KEY }, T0 + 10);
    expect(effects).toEqual([]);
    expect(s.links.get(KEY)!.connected).toBe(true);
    expect(s.links.get(KEY)!.pubsub.connected).toBe(false);
    // The next ticks subscribe again and keep pinging on the same command connection.
    const later = runTicks(s, T0 + 100, T0 + 1100);
    expect(later).toContainEqual({ type: 'connectPubsub', link: KEY });
    expect(later).toContainEqual({ type: 'ping', link: KEY });
    expect(later).not.toContainEqual({ type: 'connect', link: KEY });
  });

  it('opens no pub/sub connection to a peer Sentinel', () => {
    const s = subscribed();
    const sentinelKey = 'sentinel|127.0.0.1|26380';
    const hello = `127.0.0.1,26380,${'a'.repeat(40)},0,mymaster,127.0.0.1,6379,0`;
    step(s, { type: 'hello', payload: hello }, T0 + 100);
    expect(s.links.has(sentinelKey)).toBe(true);
    const effects = runTicks(s, T0 + 200, T0 + 5000);
    expect(effects).toContainEqual({ type: 'connect', link: sentinelKey });
    expect(effects).not.toContainEqual({ type: 'connectPubsub', link: sentinelKey });
  });

  it('a stuck command connection is closed alone: the pub/sub connection stays subscribed, as in Redis', () => {
    const s = subscribed();
    const link = s.links.get(KEY)!;
    // Healthy for longer than the minimum reconnect period, hellos arriving.
    for (let t = T0 + 100; t <= T0 + 20_000; t += 100) {
      if (t % 1000 === 0) step(s, { type: 'pubsubMessage', link: KEY }, t);
      runTicks(s, t, t);
    }
    // PINGs stop being answered for over half of down-after (60 s here).
    const out: Effect[] = [];
    for (let t = T0 + 20_100; t <= T0 + 52_000; t += 100) {
      if (t % 1000 === 0) step(s, { type: 'pubsubMessage', link: KEY }, t);
      out.push(...tick(s, t));
      if (out.some((e) => e.type === 'disconnectCommand')) break;
    }
    expect(out).toContainEqual({ type: 'disconnectCommand', link: KEY });
    expect(count(out, 'disconnect')).toBe(0);
    expect(link.connected).toBe(false);
    expect(link.pubsub.connected).toBe(true);
  });
});
