/**
 * Admin commands as core events (src/core/admin.ts through step()): what
 * each changes, the events it emits, and the persist it asks for.
 */
import { describe, expect, it } from 'vitest';
import { defaultMasterConfig, defaultSentinelConfig } from '../../src/config/model.js';
import type { Effect } from '../../src/core/effects.js';
import { configFromState, stateFromConfig } from '../../src/core/sentinel.js';
import type { SentinelState } from '../../src/core/state.js';
import { step } from '../../src/core/step.js';

const ME = '1'.repeat(40);
const T0 = 1_000_000;

function world(): SentinelState {
  const cfg = defaultSentinelConfig();
  const m = defaultMasterConfig('mymaster', '127.0.0.1', 6379, 2);
  m.knownReplicas = [{ host: '127.0.0.1', port: 6380 }];
  cfg.masters.push(m);
  return stateFromConfig(cfg, ME, T0);
}

const events = (effects: Effect[]) => effects.flatMap((e) => (e.type === 'event' ? [`${e.channel} ${e.message}`] : []));
const types = (effects: Effect[]) => effects.map((e) => e.type);

describe('admin events', () => {
  it('monitor adds the master, learns the resolved address, emits +monitor, then persist', () => {
    const s = world();
    // A hostname reaches MONITOR only with resolve-hostnames.
    s.settings.resolveHostnames = true;
    const { effects } = step(s, { type: 'monitor', name: 'other', host: 'db.example', port: 7000, quorum: 3, ip: '10.0.0.7' }, T0);
    expect(events(effects)).toEqual(['+monitor master other 10.0.0.7 7000 quorum 3']);
    expect(types(effects).at(-1)).toBe('persist');
    expect(s.masters.get('other')?.config.quorum).toBe(3);
    expect(s.addressing.resolved.get('db.example')).toBe('10.0.0.7');
    // A duplicate name changes nothing.
    expect(step(s, { type: 'monitor', name: 'other', host: '127.0.0.1', port: 1, quorum: 1 }, T0).effects).toEqual([]);
    expect(s.masters.get('other')?.port).toBe(7000);
  });

  it('remove emits -monitor, drops the master and its links, then persist', () => {
    const s = world();
    const { effects } = step(s, { type: 'remove', master: 'mymaster' }, T0);
    expect(events(effects)).toEqual(['-monitor master mymaster 127.0.0.1 6379']);
    expect(types(effects)).toEqual(['event', 'disconnect', 'disconnect', 'persist']);
    expect(s.masters.size).toBe(0);
    expect(s.links.size).toBe(0);
  });

  it('reset forgets replicas, emits +reset-master per master, persists once', () => {
    const s = world();
    const { effects } = step(s, { type: 'reset', masters: ['mymaster'] }, T0);
    expect(events(effects)).toEqual(['+reset-master master mymaster 127.0.0.1 6379']);
    expect(types(effects).filter((t) => t === 'persist')).toHaveLength(1);
    expect(s.masters.get('mymaster')?.replicas.size).toBe(0);
    expect(step(s, { type: 'reset', masters: [] }, T0).effects).toEqual([]);
  });

  it('setMasterOptions applies each option to the core copy, one +set each, secrets redacted', () => {
    const cfg = defaultSentinelConfig();
    const parsed = defaultMasterConfig('mymaster', '127.0.0.1', 6379, 2);
    cfg.masters.push(parsed);
    const s = stateFromConfig(cfg, ME, T0);
    const { effects } = step(s, {
      type: 'setMasterOptions', master: 'mymaster', changes: [
        { field: 'downAfterMs', option: 'Down-After-Milliseconds', raw: '5000', value: 5000 },
        { field: 'authPass', option: 'auth-pass', raw: 's3cret' },
        { field: 'renameCommand', option: 'rename-command', from: 'CONFIG', to: 'cfg' },
        { field: 'notificationScript', option: 'notification-script', raw: '' },
      ],
    }, T0);
    const d = 'master mymaster 127.0.0.1 6379';
    expect(events(effects)).toEqual([
      `+set ${d} Down-After-Milliseconds 5000`,
      `+set ${d} auth-pass ******`,
      `+set ${d} rename-command CONFIG cfg`,
      `+set ${d} notification-script `,
    ]);
    expect(types(effects).at(-1)).toBe('persist');
    const live = s.masters.get('mymaster')!.config;
    expect(live).toMatchObject({ downAfterMs: 5000, authPass: 's3cret', renameCommands: { config: 'cfg' } });
    // The parsed config is input only: the core changed its own copy.
    expect(parsed.downAfterMs).toBe(30_000);
    expect(parsed.authPass).toBeUndefined();
    expect(parsed.renameCommands).toEqual({});
  });

  it('setSentinelOptions changes the settings the config file is rendered from', () => {
    const s = world();
    const base = defaultSentinelConfig();
    step(s, { type: 'setSentinelOptions', settings: { announceIp: '10.1.1.1', announcePort: 7001, sentinelUser: 'u' }, announceHostnames: true }, T0);
    expect(configFromState(base, s)).toMatchObject({ announceIp: '10.1.1.1', announcePort: 7001, sentinelUser: 'u', announceHostnames: true });
    const { effects } = step(s, { type: 'setSentinelOptions', settings: { announceIp: undefined, loglevel: 'debug' } }, T0);
    expect(effects).toEqual([{ type: 'persist', sync: true }]);
    expect('announceIp' in s.settings).toBe(false);
    expect(configFromState(base, s)).toMatchObject({ announceIp: undefined, loglevel: 'debug' });
    expect(base.announcePort).toBe(0);
  });

  it('simulateFailure replaces the flags and logs each one set', () => {
    const s = world();
    step(s, { type: 'simulateFailure', flags: ['crashAfterElection'] }, T0);
    const { effects } = step(s, { type: 'simulateFailure', flags: ['crashAfterPromotion'] }, T0);
    expect(s.simulateFailure).toEqual({ crashAfterElection: false, crashAfterPromotion: true });
    expect(effects).toEqual([{ type: 'log', level: 'warning',
      message: 'Failure simulation: this Sentinel will crash after promoting the selected replica to master' }]);
  });

  it('debugTiming sets the timings', () => {
    const s = world();
    step(s, { type: 'debugTiming', updates: [['pingPeriodMs', 250]] }, T0);
    expect(s.timing.pingPeriodMs).toBe(250);
  });
});
