import { describe, expect, it } from 'vitest';
import { defaultMasterConfig, defaultSentinelConfig } from '../../src/config/model.js';
import type { Effect } from '../../src/core/effects.js';
import { formatHello } from '../../src/core/hello.js';
import { onHello, onInfo, onLinkDown, onLinkUp, onPingReply, tick } from '../../src/core/monitor.js';
import { stateFromConfig } from '../../src/core/sentinel.js';
import { step } from '../../src/core/step.js';
import type { SentinelState } from '../../src/core/state.js';

const MY_ID = '1'.repeat(40);
const PEER_A = 'a'.repeat(40);
const PEER_B = 'b'.repeat(40);
const T0 = 1_000_000;

function world(downAfterMs = 1000): SentinelState {
  const cfg = defaultSentinelConfig();
  const m = defaultMasterConfig('mymaster', '127.0.0.1', 6379, 2);
  m.downAfterMs = downAfterMs;
  cfg.masters.push(m);
  return stateFromConfig(cfg, MY_ID, T0);
}

function events(effects: Effect[]): string[] {
  return effects.flatMap((e) => (e.type === 'event' ? [`${e.channel} ${e.message}`] : []));
}

/** Runs the 100 ms timer from `fromMs` to `toMs`, collecting effects. */
function runTicks(state: SentinelState, fromMs: number, toMs: number): Effect[] {
  const out: Effect[] = [];
  for (let t = fromMs; t <= toMs; t += 100) out.push(...tick(state, t));
  return out;
}

const MASTER_KEY = 'redis|127.0.0.1|6379';

describe('monitor: links and periodic commands', () => {
  it('connects, pings on link-up, then sends INFO and a hello with our announced address', () => {
    const s = world();
    const first = tick(s, T0);
    expect(first).toContainEqual({ type: 'connect', link: MASTER_KEY });
    expect(onLinkUp(s, MASTER_KEY, '127.0.0.1', T0 + 10)).toEqual([{ type: 'ping', link: MASTER_KEY }]);
    onPingReply(s, MASTER_KEY, 'valid', T0 + 11);
    const next = tick(s, T0 + 100);
    expect(next.some((e) => e.type === 'info')).toBe(true);
    const hello = next.find((e) => e.type === 'publishHello');
    expect(hello).toEqual({
      type: 'publishHello', link: MASTER_KEY,
      payload: `127.0.0.1,26379,${MY_ID},0,mymaster,127.0.0.1,6379,0`,
    });
  });

  it('does not reconnect a down link more than once per ping period', () => {
    const s = world();
    let attempts = 0;
    for (let t = T0; t <= T0 + 2950; t += 100) {
      if (runTicks(s, t, t).some((e) => e.type === 'connect')) {
        attempts += 1;
        step(s, { type: 'linkDown', link: MASTER_KEY }, t + 5); // connection refused
      }
    }
    expect(attempts).toBe(3);
  });

  it('leaves a connection attempt under way to finish for the minimum reconnect period', () => {
    const s = world();
    const effects = runTicks(s, T0, T0 + s.timing.minLinkReconnectPeriodMs + 50);
    expect(effects.filter((e) => e.type === 'connect')).toHaveLength(2);
  });
});

describe('monitor: SDOWN', () => {
  it('flags +sdown after down-after without a valid reply, -sdown when one arrives', () => {
    const s = world(1000);
    tick(s, T0);
    onLinkUp(s, MASTER_KEY, '127.0.0.1', T0);
    onPingReply(s, MASTER_KEY, 'valid', T0 + 5);
    // The instance stops answering: pings go out, nothing valid comes back.
    expect(events(runTicks(s, T0 + 100, T0 + 1000))).toEqual([]);
    const down = events(runTicks(s, T0 + 1100, T0 + 2500));
    expect(down).toEqual(['+sdown master mymaster 127.0.0.1 6379']);
    expect(s.masters.get('mymaster')!.sdown).toBe(true);
    onPingReply(s, MASTER_KEY, 'valid', T0 + 2550);
    expect(events(tick(s, T0 + 2600))).toEqual(['-sdown master mymaster 127.0.0.1 6379']);
  });

  it('does not count a reply like -ERR as proof of life', () => {
    const s = world(1000);
    tick(s, T0);
    onLinkUp(s, MASTER_KEY, '127.0.0.1', T0);
    for (let t = T0 + 100; t <= T0 + 1600; t += 100) {
      onPingReply(s, MASTER_KEY, 'invalid', t);
      tick(s, t);
    }
    expect(s.masters.get('mymaster')!.sdown).toBe(true);
  });

  it('goes SDOWN for an address that never accepts a connection', () => {
    const s = world(1000);
    const evs = events(runTicks(s, T0, T0 + 1500));
    expect(evs).toEqual(['+sdown master mymaster 127.0.0.1 6379']);
  });

  it('times a lost instance from the first reconnect attempt: down-after is a minimum', () => {
    const s = world(1000);
    tick(s, T0);
    onLinkUp(s, MASTER_KEY, '127.0.0.1', T0);
    onPingReply(s, MASTER_KEY, 'valid', T0 + 500);
    // The instance dies at T0 + 900; the link drops at once.
    onLinkDown(s, MASTER_KEY);
    const reconnects = runTicks(s, T0 + 1000, T0 + 1000).filter((e) => e.type === 'connect');
    expect(reconnects).toHaveLength(1);
    // 1000 ms after the last PONG but not after the loss: still up.
    runTicks(s, T0 + 1100, T0 + 1900);
    expect(s.masters.get('mymaster')!.sdown).toBe(false);
    runTicks(s, T0 + 2000, T0 + 2100);
    expect(s.masters.get('mymaster')!.sdown).toBe(true);
  });
});

describe('monitor: discovery', () => {
  const ref = { master: 'mymaster', kind: 'master' as const, name: 'mymaster' };
  const info = (replicas: string[]) =>
    ['# Server', `run_id:${'f'.repeat(40)}`, '# Replication', 'role:master', ...replicas].join('\r\n');

  it('adds replicas listed in the master INFO once, with +slave and a persist', () => {
    const s = world();
    const effects = onInfo(s, ref, info([
      'slave0:ip=127.0.0.1,port=6380,state=online,offset=1,lag=0',
      'slave1:ip=127.0.0.1,port=6381,state=online,offset=1,lag=0',
    ]), T0);
    expect(events(effects)).toEqual([
      '+slave slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379',
      '+slave slave 127.0.0.1:6381 127.0.0.1 6381 @ mymaster 127.0.0.1 6379',
    ]);
    // Discovery may be written asynchronously (coalesced).
    expect(effects).toContainEqual({ type: 'persist', sync: false });
    const again = onInfo(s, ref, info(['slave0:ip=127.0.0.1,port=6380,state=online,offset=1,lag=0']), T0 + 10);
    expect(again).toEqual([]);
    expect(s.masters.get('mymaster')!.replicas.size).toBe(2);
  });

  it('keeps only replica addresses the config loader would read back: numeric, normalized; a name once resolved', () => {
    const s = world();
    onInfo(s, ref, info([
      'slave0:ip=replica.example,port=6380,state=online,offset=1,lag=0',
      'slave1:ip=127.1,port=6381,state=online,offset=1,lag=0',
      'slave2:ip=0:0:0:0:0:0:0:1,port=6382,state=online,offset=1,lag=0',
    ]), T0);
    expect([...s.masters.get('mymaster')!.replicas.keys()]).toEqual(['127.0.0.1:6381', '[::1]:6382']);
    // The shell resolves names only with resolve-hostnames, then tells the core.
    s.settings.resolveHostnames = true;
    step(s, { type: 'hostResolved', host: 'replica.example', ip: '10.0.0.9' }, T0 + 5);
    onInfo(s, ref, info(['slave0:ip=replica.example,port=6380,state=online,offset=1,lag=0']), T0 + 10);
    expect(s.masters.get('mymaster')!.replicas.size).toBe(3);
  });

  it('reports +reboot when the run id changes', () => {
    const s = world();
    onInfo(s, ref, info([]), T0);
    const effects = onInfo(s, ref, info([]).replace('f'.repeat(40), 'e'.repeat(40)), T0 + 10);
    expect(events(effects)).toEqual(['+reboot master mymaster 127.0.0.1 6379']);
  });

  it('discovers a peer Sentinel from a hello and ignores our own', () => {
    const s = world();
    const hello = (ip: string, port: number, runId: string, epoch = 0) => formatHello({
      ip, port, runId, currentEpoch: epoch, masterName: 'mymaster', masterIp: '127.0.0.1',
      masterPort: 6379, masterConfigEpoch: 0,
    });
    expect(onHello(s, hello('127.0.0.1', 26379, MY_ID), T0)).toEqual([]);
    const effects = onHello(s, hello('127.0.0.1', 26380, PEER_A), T0);
    expect(events(effects)).toEqual([
      `+sentinel sentinel ${PEER_A} 127.0.0.1 26380 @ mymaster 127.0.0.1 6379`,
    ]);
    expect(effects).toContainEqual({ type: 'persist', sync: false });
    expect(onHello(s, hello('127.0.0.1', 26380, PEER_A), T0 + 1)).toEqual([]);
  });

  it('writes a higher current epoch learned from a hello synchronously, before anything after it', () => {
    const s = world();
    const hello = formatHello({
      ip: '127.0.0.1', port: 26380, runId: PEER_A, currentEpoch: 7, masterName: 'mymaster', masterIp: '127.0.0.1',
      masterPort: 6379, masterConfigEpoch: 0,
    });
    const effects = onHello(s, hello, T0);
    expect(s.currentEpoch).toBe(7);
    const epochAt = effects.findIndex((e) => e.type === 'event' && e.channel === '+new-epoch');
    const syncAt = effects.findIndex((e) => e.type === 'persist' && e.sync);
    expect(syncAt).toBeGreaterThanOrEqual(0);
    expect(syncAt).toBeLessThan(epochAt);
  });

  it('replaces a Sentinel that reappears with a new address or run id (-dup-sentinel)', () => {
    const s = world();
    const h = (port: number, runId: string) => formatHello({
      ip: '127.0.0.1', port, runId, currentEpoch: 0, masterName: 'mymaster',
      masterIp: '127.0.0.1', masterPort: 6379, masterConfigEpoch: 0,
    });
    onHello(s, h(26380, PEER_A), T0);
    const moved = events(onHello(s, h(26390, PEER_A), T0 + 1));
    expect(moved[0]).toBe(`-dup-sentinel master mymaster 127.0.0.1 6379 #duplicate of 127.0.0.1:26390 or ${PEER_A}`);
    const restarted = events(onHello(s, h(26390, PEER_B), T0 + 2));
    expect(restarted[0]).toMatch(/^-dup-sentinel /);
    const peers = [...s.masters.get('mymaster')!.sentinels.values()];
    expect(peers.map((p) => [p.name, p.port])).toEqual([[PEER_B, 26390]]);
    // The released link of the old address is closed.
    expect(s.links.has('sentinel|127.0.0.1|26380')).toBe(false);
  });

  it('adopts a higher current epoch from a hello (+new-epoch, persisted)', () => {
    const s = world();
    const effects = onHello(s, formatHello({
      ip: '127.0.0.1', port: 26380, runId: PEER_A, currentEpoch: 5, masterName: 'mymaster',
      masterIp: '127.0.0.1', masterPort: 6379, masterConfigEpoch: 0,
    }), T0);
    expect(s.currentEpoch).toBe(5);
    expect(events(effects)).toContain('+new-epoch 5');
  });
});

describe('monitor: TILT', () => {
  it('enters TILT on a clock jump, takes no SDOWN decisions in it, leaves after the period', () => {
    const s = world(1000);
    tick(s, T0);
    const jumped = events(tick(s, T0 + 10_000));
    expect(jumped).toEqual(['+tilt #tilt mode entered']);
    const during = events(runTicks(s, T0 + 10_100, T0 + 39_900));
    expect(during).toEqual([]);
    expect(s.masters.get('mymaster')!.sdown).toBe(false);
    const after = events(runTicks(s, T0 + 40_000, T0 + 40_200));
    expect(after[0]).toBe('-tilt #tilt mode exited');
  });

  it('enters TILT when time goes backwards', () => {
    const s = world();
    tick(s, T0);
    expect(events(tick(s, T0 - 500))).toEqual(['+tilt #tilt mode entered']);
  });
});

describe('monitor: master-reboot-down-after-period', () => {
  function rebootWorld(periodMs: number): { s: SentinelState; newRunId: (atMs: number) => Effect[] } {
    const cfg = defaultSentinelConfig();
    const m = defaultMasterConfig('mymaster', '127.0.0.1', 6379, 2);
    m.downAfterMs = 1000;
    m.masterRebootDownAfterPeriodMs = periodMs;
    cfg.masters.push(m);
    const s = stateFromConfig(cfg, MY_ID, T0);
    const ref = { master: 'mymaster', kind: 'master' as const, name: 'mymaster' };
    const info = (runId: string) => ['# Server', `run_id:${runId}`, '# Replication', 'role:master'].join('\r\n');
    tick(s, T0);
    onLinkUp(s, MASTER_KEY, '127.0.0.1', T0);
    onInfo(s, ref, info('a'.repeat(40)), T0);
    return { s, newRunId: (atMs) => onInfo(s, ref, info('b'.repeat(40)), atMs) };
  }

  /** Ticks every 100 ms, each after a PING reply of the given kind. */
  function answering(s: SentinelState, outcome: 'pong' | 'valid', from: number, to: number): string[] {
    const out: Effect[] = [];
    for (let t = from; t <= to; t += 100) {
      onPingReply(s, MASTER_KEY, outcome, t);
      out.push(...tick(s, t));
    }
    return events(out);
  }

  it('counts a restarted master down once it answered -LOADING for longer than the period', () => {
    const { s, newRunId } = rebootWorld(3000);
    expect(answering(s, 'pong', T0 + 100, T0 + 1000)).toEqual([]);
    // A new run id: the master rebooted. -LOADING keeps it available
    // (down-after-milliseconds never fires) but does not end the reboot.
    expect(events(newRunId(T0 + 1050))).toEqual(['+reboot master mymaster 127.0.0.1 6379']);
    expect(answering(s, 'valid', T0 + 1100, T0 + 4000)).toEqual([]);
    expect(answering(s, 'valid', T0 + 4100, T0 + 4200)).toEqual(['+sdown master mymaster 127.0.0.1 6379']);
    expect(answering(s, 'valid', T0 + 4300, T0 + 6000)).toEqual([]);
    // The first +PONG ends the reboot.
    expect(answering(s, 'pong', T0 + 6100, T0 + 6100)).toEqual(['-sdown master mymaster 127.0.0.1 6379']);
    expect(answering(s, 'pong', T0 + 6200, T0 + 9000)).toEqual([]);
  });

  it('is not down when the restarted master answers +PONG within the period', () => {
    const { s, newRunId } = rebootWorld(3000);
    newRunId(T0 + 100);
    expect(answering(s, 'valid', T0 + 200, T0 + 2000)).toEqual([]);
    expect(answering(s, 'pong', T0 + 2100, T0 + 10_000)).toEqual([]);
    expect(s.masters.get('mymaster')!.rebootSinceMs).toBe(0);
  });

  it('does nothing on a reboot when the period is 0 (the default)', () => {
    const s = world(1000);
    const ref = { master: 'mymaster', kind: 'master' as const, name: 'mymaster' };
    const info = (runId: string) => ['# Server', `run_id:${runId}`, '# Replication', 'role:master'].join('\r\n');
    tick(s, T0);
    onLinkUp(s, MASTER_KEY, '127.0.0.1', T0);
    onInfo(s, ref, info('a'.repeat(40)), T0);
    onInfo(s, ref, info('b'.repeat(40)), T0 + 50);
    onPingReply(s, MASTER_KEY, 'valid', T0 + 100);
    expect(events(tick(s, T0 + 100))).toEqual([]);
  });
});
