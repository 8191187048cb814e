/**
 * Due-time scheduling (src/core/visits.ts): the 100 ms timer visits the
 * groups whose work is due, an idle group once per beat, and a group's
 * periodic commands leave together. Driven through step() with every
 * instance answering at once, as a healthy deployment does.
 */
import { describe, expect, it } from 'vitest';
import { defaultMasterConfig, defaultSentinelConfig } from '../../src/config/model.js';
import type { Effect } from '../../src/core/effects.js';
import { stateFromConfig } from '../../src/core/sentinel.js';
import { step, type CoreEvent } from '../../src/core/step.js';
import type { SentinelState } from '../../src/core/state.js';

const MY_ID = '1'.repeat(40);
const T0 = 1_000_000;
const TICK_MS = 100;

function world(masters: number): SentinelState {
  const cfg = defaultSentinelConfig();
  for (let i = 0; i < masters; i++) {
    const m = defaultMasterConfig(`m${i}`, '127.0.0.1', 10000 + i, 1);
    m.downAfterMs = 5000;
    cfg.masters.push(m);
  }
  return stateFromConfig(cfg, MY_ID, T0);
}

const MASTER_INFO = ['# Server', `run_id:${'9'.repeat(40)}`, '# Replication', 'role:master', 'connected_slaves:0', ''].join('\r\n');

/**
 * Runs the timer from `fromMs` to `toMs` with every instance answering
 * within the same millisecond, except links in `silent` (their PINGs get no
 * reply). Returns the effects of each tick, by tick time.
 */
function run(s: SentinelState, fromMs: number, toMs: number, silent = new Set<string>()): Map<number, Effect[]> {
  const byTick = new Map<number, Effect[]>();
  for (let t = fromMs; t <= toMs; t += TICK_MS) {
    const out: Effect[] = [];
    const queue: Effect[] = [...step(s, { type: 'tick' }, t).effects];
    while (queue.length > 0) {
      const e = queue.shift()!;
      out.push(e);
      const replies: CoreEvent[] = [];
      if (e.type === 'connect') replies.push({ type: 'linkUp', link: e.link, localIp: '127.0.0.1' });
      if (e.type === 'connectPubsub') replies.push({ type: 'pubsubUp', link: e.link });
      if (e.type === 'ping' && !silent.has(e.link)) replies.push({ type: 'pingReply', link: e.link, outcome: 'pong' });
      if (e.type === 'info') replies.push({ type: 'info', target: e.target, text: MASTER_INFO });
      if (e.type === 'publishHello') replies.push({ type: 'commandDone', link: e.link }, { type: 'pubsubMessage', link: e.link });
      for (const r of replies) queue.push(...step(s, r, t).effects);
    }
    byTick.set(t, out);
  }
  return byTick;
}

const onLink = (effects: Effect[], type: Effect['type'], link: string): number =>
  effects.filter((e) => e.type === type && 'link' in e && e.link === link).length;

describe('due-time scheduling', () => {
  it("sends an idle group's PING, hello and INFO in the same tick, at Redis's periods", () => {
    const s = world(1);
    const link = 'redis|127.0.0.1|10000';
    run(s, T0, T0 + 5_000);
    const ticks = run(s, T0 + 5_100, T0 + 65_000);
    let pings = 0;
    let hellos = 0;
    let infos = 0;
    for (const effects of ticks.values()) {
      const ping = onLink(effects, 'ping', link);
      const hello = onLink(effects, 'publishHello', link);
      const info = onLink(effects, 'info', link);
      // Whatever leaves on the link leaves with the PING of the beat.
      if (hello + info > 0) expect(ping).toBe(1);
      pings += ping;
      hellos += hello;
      infos += info;
    }
    // 60 s: a PING per second, a hello every 2 s, INFO every 10 s (Redis's periods).
    expect(pings).toBeGreaterThanOrEqual(54);
    expect(pings).toBeLessThanOrEqual(61);
    expect(hellos).toBeGreaterThanOrEqual(27);
    expect(hellos).toBeLessThanOrEqual(31);
    expect(infos).toBeGreaterThanOrEqual(6);
    expect(infos).toBeLessThanOrEqual(7);
  });

  it('visits each idle group about once a second instead of every tick, and still pings every link', () => {
    const n = 1000;
    const s = world(n);
    run(s, T0, T0 + 5_000);
    const before = s.visits.visited;
    const ticks = run(s, T0 + 5_100, T0 + 25_000);
    const visits = s.visits.visited - before;
    // 20 s at 10 ticks a second would be 200 visits per group.
    expect(visits / n).toBeGreaterThanOrEqual(18);
    expect(visits / n).toBeLessThanOrEqual(30);
    const pings = new Map<string, number>();
    for (const effects of ticks.values()) {
      for (const e of effects) if (e.type === 'ping') pings.set(e.link, (pings.get(e.link) ?? 0) + 1);
    }
    for (let i = 0; i < n; i++) expect(pings.get(`redis|127.0.0.1|${10000 + i}`) ?? 0).toBeGreaterThanOrEqual(18);
    // The beats are spread: no tick carries more than a few times its share.
    const perTick = [...ticks.values()].map((effects) => effects.filter((e) => e.type === 'ping').length);
    expect(Math.max(...perTick)).toBeLessThan(n / 10 * 3);
  });

  it('reconnects a lost link at the next tick', () => {
    const s = world(100);
    run(s, T0, T0 + 5_000);
    const link = 'redis|127.0.0.1|10042';
    step(s, { type: 'linkDown', link }, T0 + 5_050);
    const next = step(s, { type: 'tick' }, T0 + 5_100).effects;
    expect(next).toContainEqual({ type: 'connect', link });
  });

  it('flags +sdown within a tick of down-after when one of many masters stops answering', () => {
    const s = world(100);
    run(s, T0, T0 + 5_000);
    const link = 'redis|127.0.0.1|10042';
    const ticks = run(s, T0 + 5_100, T0 + 12_000, new Set([link]));
    let firstUnanswered: number | undefined;
    let sdownAt: number | undefined;
    for (const [t, effects] of ticks) {
      if (firstUnanswered === undefined && onLink(effects, 'ping', link) > 0) firstUnanswered = t;
      if (effects.some((e) => e.type === 'event' && e.channel === '+sdown' && e.message.startsWith('master m42 '))) sdownAt = t;
    }
    expect(firstUnanswered).toBeDefined();
    expect(sdownAt).toBeDefined();
    expect(sdownAt! - firstUnanswered!).toBeGreaterThan(5_000);
    expect(sdownAt! - firstUnanswered!).toBeLessThanOrEqual(5_000 + TICK_MS);
    // No other master went down.
    const others = [...ticks.values()].flat().filter((e) => e.type === 'event' && e.channel === '+sdown');
    expect(others).toHaveLength(1);
  });
});
