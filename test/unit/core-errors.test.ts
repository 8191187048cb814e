/**
 * A core bug (ImpossibleTransition) inside step(): strict callers (unit
 * tests, the simulator) see it thrown; production (strict: false) logs it
 * with the master's name and failover state, stops that master's failover
 * and keeps running with its state written.
 */
import { describe, expect, it, vi } from 'vitest';
import { defaultMasterConfig, defaultSentinelConfig } from '../../src/config/model.js';
import { ImpossibleTransition } from '../../src/core/failover.js';
import { seededRandom, stateFromConfig } from '../../src/core/sentinel.js';
import type { SentinelState } from '../../src/core/state.js';
import { step } from '../../src/core/step.js';

const corrupt = vi.hoisted(() => ({ on: false }));

// Replica selection that also corrupts the failover state behind the
// state machine's back (standing for any bug elsewhere), so the machine's
// next transition (select-slave -> send-slaveof-noone) finds itself in
// `none`: a real ImpossibleTransition, thrown by the real failover code.
vi.mock('../../src/core/select.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/core/select.js')>();
  return {
    ...real,
    selectReplica: (...args: Parameters<typeof real.selectReplica>) => {
      const [, master] = args;
      if (!corrupt.on) return real.selectReplica(...args);
      master.failover.state = 'none';
      return [...master.replicas.values()][0];
    },
  };
});

const ME = '1'.repeat(40);
const T0 = 5_000_000;

function failingOver(): SentinelState {
  const cfg = defaultSentinelConfig();
  const m = defaultMasterConfig('mymaster', '127.0.0.1', 6379, 1);
  m.knownReplicas = [{ host: '127.0.0.1', port: 6380 }];
  cfg.masters.push(m);
  const s = stateFromConfig(cfg, ME, T0, seededRandom(3));
  const master = s.masters.get('mymaster')!;
  // SENTINEL FAILOVER in wait-start: no election, selection comes next.
  master.failover = { state: 'wait-start', epoch: 1, stateChangedMs: T0, forced: true };
  master.failoverStartMs = T0;
  s.currentEpoch = 1;
  corrupt.on = true;
  return s;
}

describe('a core bug inside step()', () => {
  it('is thrown to strict callers (the default)', () => {
    const s = failingOver();
    expect(() => step(s, { type: 'evaluate', master: 'mymaster' }, T0 + 10)).toThrow(ImpossibleTransition);
    expect(() => step(failingOver(), { type: 'evaluate', master: 'mymaster' }, T0 + 10, { strict: true }))
      .toThrow('failover of mymaster: none -> send-slaveof-noone');
  });

  it('is contained otherwise: logged with the master and its failover state, that failover stopped, state written', () => {
    const s = failingOver();
    const { effects } = step(s, { type: 'evaluate', master: 'mymaster' }, T0 + 10, { strict: false });
    const master = s.masters.get('mymaster')!;
    expect(effects).toHaveLength(2);
    const [log, persist] = effects;
    expect(log).toMatchObject({ type: 'log', level: 'warning', master: 'mymaster' });
    expect(log?.type === 'log' && log.message).toContain("ImpossibleTransition in the failover of master 'mymaster'");
    expect(log?.type === 'log' && log.message).toContain('none -> send-slaveof-noone');
    expect(log?.type === 'log' && log.message).toContain('failover state was none (epoch 1)');
    expect(persist).toEqual({ type: 'persist', sync: true });
    expect(master.failover.state).toBe('none');
    expect(master.failover.epoch).toBe(1);
    expect([...master.replicas.values()].some((r) => r.promoted || r.reconf !== 'none')).toBe(false);
    expect(s.currentEpoch).toBe(1);
    // The Sentinel goes on: later events are handled as usual.
    corrupt.on = false;
    expect(() => step(s, { type: 'tick' }, T0 + 200, { strict: false })).not.toThrow();
    expect(() => step(s, { type: 'evaluate', master: 'mymaster' }, T0 + 300)).not.toThrow();
  });

  it('other errors are not swallowed', () => {
    const s = failingOver();
    corrupt.on = false;
    expect(() => step(s, { type: 'reset', masters: null as unknown as string[] }, T0, { strict: false })).toThrow(TypeError);
  });
});
