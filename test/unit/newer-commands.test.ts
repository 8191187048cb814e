/**
 * Redis 7.2 / Valkey 8.0 additions without processes: SENTINEL CONFIG's
 * validation and save-before-OK on a stub runtime, and the command table
 * (CLIENT SETINFO, PRIMARY aliases) as COMMAND INFO / DOCS build it.
 */
import { describe, expect, it } from 'vitest';
import { planConfigSet, sentinelConfigCommand } from '../../src/commands/sentinelConfig.js';
import { sentinelSetCommand } from '../../src/commands/sentinelSet.js';
import { parseConfig } from '../../src/config/parse.js';
import { sentinelCommandSpecs } from '../../src/commands/specs.js';
import { SENTINEL_SUBCOMMANDS } from '../../src/commands/sentinel.js';
import type { Runtime } from '../../src/runtime.js';
import { registerBuiltins } from '../../src/server/builtins.js';
import { ADDED_COMMANDS } from '../../src/server/commandAdditions.js';
import { COMMAND_LIST } from '../../src/server/commandTable.js';
import type { Reply } from '../../src/server/reply.js';
import { Client } from '../../src/server/clientState.js';
import { RespServer } from '../../src/server/server.js';
import { pino } from 'pino';
import { defaultSentinelConfig, type SentinelConfig } from '../../src/config/model.js';
import { stateFromConfig } from '../../src/core/sentinel.js';
import type { SentinelState } from '../../src/core/state.js';
import { step, type CoreEvent, type StepResult } from '../../src/core/step.js';

interface StubRuntime {
  config: Record<string, unknown>;
  state: SentinelState;
  log: { level: string };
  calls: string[];
  saveFails: boolean;
  submit(event: CoreEvent, opts?: { deferPersist?: boolean }): StepResult;
  persist(): Promise<void>;
  relinkSentinels(): void;
}

/** A real core state behind a runtime that records what the command asked for. */
function stubRuntime(cfgOrText: SentinelConfig | string = defaultSentinelConfig()): StubRuntime {
  const cfg = typeof cfgOrText === 'string' ? parseConfig(cfgOrText) : cfgOrText;
  const state = stateFromConfig(cfg, 'a'.repeat(40), 0);
  const rt: StubRuntime = {
    config: {},
    state,
    log: { level: 'info' },
    calls: [],
    saveFails: false,
    submit: (event, opts) => {
      const result = step(state, event, 0);
      rt.calls.push(`submit ${event.type}${opts?.deferPersist ? ' (persist deferred)' : ''}`);
      for (const e of result.effects) if (e.type === 'event') rt.calls.push(`${e.channel} ${e.message}`);
      return result;
    },
    persist: async () => {
      rt.calls.push(`persist announce-port=${rt.state.settings.announcePort}`);
      if (rt.saveFails) throw new Error('EROFS');
    },
    relinkSentinels: () => {
      rt.calls.push('relink');
    },
  };
  return rt;
}

const config = (rt: StubRuntime, ...args: string[]): Promise<Reply> =>
  sentinelConfigCommand(rt as unknown as Runtime, ['sentinel', 'config', ...args]);

/** Flattens a map / array of bulks to strings, for short expectations. */
function flat(r: Reply): unknown {
  if (r.kind === 'map') return r.entries.flatMap(([k, v]) => [flat(k), flat(v)]);
  if (r.kind === 'array' || r.kind === 'set') return r.items.map(flat);
  if (r.kind === 'bulk' || r.kind === 'simple' || r.kind === 'error') return String(r.value);
  if (r.kind === 'int') return Number(r.value);
  return r.kind;
}

describe('SENTINEL CONFIG SET validation (planConfigSet)', () => {
  it('checks each pair in Redis 7.2 order: name known, not repeated, has a value, value valid', () => {
    expect(planConfigSet(['announce-port', '1', 'nosuch'])).toEqual({ error: "ERR Invalid argument 'nosuch' to SENTINEL CONFIG SET" });
    expect(planConfigSet(['Announce-Port', '1', 'ANNOUNCE-PORT'])).toEqual({
      error: "ERR Duplicate argument 'ANNOUNCE-PORT' to SENTINEL CONFIG SET",
    });
    expect(planConfigSet(['announce-port', '1', 'loglevel'])).toEqual({ error: "ERR Missing argument 'loglevel' value" });
    expect(planConfigSet(['announce-port', 'x', 'nosuch', 'y'])).toEqual({
      error: "ERR Invalid value 'x' to SENTINEL CONFIG SET 'announce-port'",
    });
    const ok = planConfigSet(['LOGLEVEL', 'debug', 'sentinel-pass', '']);
    expect('names' in ok && ok.names).toEqual(['loglevel', 'sentinel-pass']);
  });
});

describe('SENTINEL CONFIG on a stub runtime', () => {
  it('GET lists each parameter once, in first-match order', async () => {
    const rt = stubRuntime();
    expect(flat(await config(rt, 'get', 'loglevel', '*port', 'LOGLEVEL', 'l*'))).toEqual(['loglevel', 'notice', 'announce-port', '0']);
  });

  it('SET applies all, saves, then relinks the peers when a sentinel credential changed', async () => {
    const rt = stubRuntime();
    expect(flat(await config(rt, 'set', 'announce-port', '7000', 'sentinel-user', 'u'))).toBe('OK');
    expect(rt.calls).toEqual(['submit setSentinelOptions (persist deferred)', 'persist announce-port=7000', 'relink']);
    expect(rt.state.settings.sentinelUser).toBe('u');
    expect(rt.config).toEqual({});
  });

  it('SET replies the save failure, the values staying applied', async () => {
    const rt = stubRuntime();
    rt.saveFails = true;
    expect(flat(await config(rt, 'set', 'announce-port', '7001', 'sentinel-pass', 'p'))).toBe(
      'ERR Failed to save config file. Check server logs.',
    );
    expect(rt.state.settings.announcePort).toBe(7001);
    expect(rt.calls).toEqual(['submit setSentinelOptions (persist deferred)', 'persist announce-port=7001', 'relink']);
  });

  it('SET resolve-hostnames no stores the address of each name (looked up first), then saves', async () => {
    // (localhost only: no DNS lookup may leave the machine.)
    const rt = stubRuntime('sentinel resolve-hostnames yes\nsentinel monitor m localhost 6379 2\n');
    expect(flat(await config(rt, 'set', 'resolve-hostnames', 'no'))).toBe('OK');
    expect([rt.state.settings.resolveHostnames, rt.state.masters.get('m')?.host]).toEqual([false, '127.0.0.1']);
    expect(rt.calls).toEqual(['submit setSentinelOptions (persist deferred)', 'persist announce-port=0']);
  });

  it('SET resolve-hostnames no replies the save failure, the addresses staying applied like the other values', async () => {
    const rt = stubRuntime('sentinel resolve-hostnames yes\nsentinel monitor m localhost 6379 2\n');
    rt.saveFails = true;
    expect(flat(await config(rt, 'set', 'resolve-hostnames', 'no'))).toBe('ERR Failed to save config file. Check server logs.');
    expect([rt.state.settings.resolveHostnames, rt.state.masters.get('m')?.host]).toEqual([false, '127.0.0.1']);
  });

  it('SET resolve-hostnames no is refused, nothing applied or saved, when a stored name does not resolve', async () => {
    const rt = stubRuntime('sentinel resolve-hostnames yes\nsentinel monitor m localhost 6379 2\nsentinel monitor n nosuch.invalid 6379 2\n');
    expect(flat(await config(rt, 'set', 'announce-port', '7003', 'resolve-hostnames', 'no'))).toBe(
      "ERR Can't resolve instance hostname 'nosuch.invalid': resolve-hostnames no stores addresses only",
    );
    expect([rt.state.settings.resolveHostnames, rt.state.settings.announcePort, rt.state.masters.get('m')?.host]).toEqual([true, 0, 'localhost']);
    expect(rt.calls).toEqual([]);
  });

  it('SET applies nothing and saves nothing when a pair is bad', async () => {
    const rt = stubRuntime();
    expect(flat(await config(rt, 'set', 'announce-port', '7002', 'resolve-hostnames', 'maybe'))).toBe(
      "ERR Invalid value 'maybe' to SENTINEL CONFIG SET 'resolve-hostnames'",
    );
    expect(rt.state.settings.announcePort).toBe(0);
    expect(rt.calls).toEqual([]);
  });
});

describe("SENTINEL SET primary-reboot-down-after-period (Valkey 8.0) on a stub runtime", () => {
  const withMaster = (): StubRuntime => stubRuntime(parseConfig('sentinel monitor m 127.0.0.1 6379 2\n'));
  const set = (rt: StubRuntime, ...args: string[]): Promise<Reply> =>
    sentinelSetCommand(rt as unknown as Runtime, ['sentinel', 'set', 'm', ...args]);
  const period = (rt: StubRuntime): number => rt.state.masters.get('m')!.config.masterRebootDownAfterPeriodMs;

  it('sets the master-reboot-down-after-period field, +set showing the option as typed, saved before OK', async () => {
    const rt = withMaster();
    expect(flat(await set(rt, 'PRIMARY-reboot-down-after-period', '1000'))).toBe('OK');
    expect(period(rt)).toBe(1000);
    expect(rt.calls).toEqual([
      'submit setMasterOptions (persist deferred)',
      '+set master m 127.0.0.1 6379 PRIMARY-reboot-down-after-period 1000',
      'persist announce-port=0',
    ]);
    expect(flat(await set(rt, 'primary-reboot-down-after-period', '0', 'master-reboot-down-after-period', '7'))).toBe('OK');
    expect(period(rt)).toBe(7);
  });

  it('refuses what the 7.0 spelling refuses, naming the option as typed', async () => {
    const rt = withMaster();
    for (const bad of ['-1', 'abc', '-0', '2147483648']) {
      expect(flat(await set(rt, 'primary-reboot-down-after-period', bad)))
        .toBe(`ERR Invalid argument '${bad}' for SENTINEL SET 'primary-reboot-down-after-period'`);
    }
    // Without its value (arity met by an option before it), as redis-sentinel words it.
    expect(flat(await set(rt, 'quorum', '3', 'primary-reboot-down-after-period')))
      .toBe("ERR Unknown option or number of arguments for SENTINEL SET 'primary-reboot-down-after-period'");
    expect(period(rt)).toBe(0);
  });
});

describe('the additions table', () => {
  it('names each added command once, none of them in redis-sentinel 7.0', () => {
    const names = ADDED_COMMANDS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(COMMAND_LIST, name).not.toContain(name);
  });

  it('matches the SENTINEL aliases registered, arity included', () => {
    const sentinel = sentinelCommandSpecs().find((s) => s.name === 'sentinel')!;
    for (const added of ADDED_COMMANDS.filter((c) => c.name.startsWith('sentinel|'))) {
      const spec = sentinel.subcommands!.find((s) => s.name === added.name);
      expect(spec?.arity, added.name).toBe(added.arity);
      expect(spec?.flags).toEqual(added.flags);
      expect(SENTINEL_SUBCOMMANDS[added.name.split('|')[1]!], added.name).toBeTypeOf('function');
    }
  });

  it('gives CLIENT SETINFO its COMMAND INFO and DOCS entries under CLIENT', async () => {
    const server = new RespServer({ port: 0, bind: ['127.0.0.1'], maxClients: 10, logger: pino({ level: 'silent' }) });
    registerBuiltins(server);
    const entry = server.findCommand('client', 'setinfo')!;
    expect(entry.arity).toBe(4);
    expect([...entry.flags]).toEqual(['noscript', 'loading', 'stale']);
    const run = async (...argv: string[]): Promise<unknown> => {
      const e = server.findCommand(argv[0]!, argv[1])!;
      const client = Object.create(Client.prototype) as Client;
      const reply = await e.handler!({ client, server: {} as never }, argv);
      return flat(reply);
    };
    const docs = (await run('command', 'docs', 'client')) as unknown[];
    const subs = (docs[1] as unknown[]).at(-1) as unknown[];
    expect(subs).toContain('client|setinfo');
    const info = (await run('command', 'info', 'client')) as unknown[][];
    expect((info[0]![9] as unknown[][]).map((e) => e[0])).toContain('client|setinfo');
  });
});
