import { describe, expect, it } from 'vitest';
import { formatHello, parseHello } from '../../src/core/hello.js';
import { parseConfig, renderConfig } from '../../src/config/index.js';
import { configFromState, stateFromConfig } from '../../src/core/sentinel.js';
import { step } from '../../src/core/step.js';
import type { SentinelState } from '../../src/core/state.js';

const RUNID = 'a'.repeat(40);

describe('hello payload', () => {
  it('round-trips through format and parse', () => {
    const h = {
      ip: '127.0.0.1', port: 26379, runId: RUNID, currentEpoch: 7,
      masterName: 'mymaster', masterIp: '127.0.0.1', masterPort: 6379, masterConfigEpoch: 3,
    };
    const text = formatHello(h);
    expect(text).toBe(`127.0.0.1,26379,${RUNID},7,mymaster,127.0.0.1,6379,3`);
    expect(parseHello(text)).toEqual(h);
  });

  it.each([
    ['too few fields', `127.0.0.1,26379,${RUNID},7,mymaster,127.0.0.1,6379`],
    ['too many fields', `127.0.0.1,26379,${RUNID},7,mymaster,127.0.0.1,6379,3,9`],
    ['short run id', '127.0.0.1,26379,abc,7,mymaster,127.0.0.1,6379,3'],
    ['non-numeric port', `127.0.0.1,xx,${RUNID},7,mymaster,127.0.0.1,6379,3`],
    ['negative epoch', `127.0.0.1,26379,${RUNID},-1,mymaster,127.0.0.1,6379,3`],
    ['empty', ''],
  ])('drops a malformed hello: %s', (_what, text) => {
    expect(parseHello(text)).toBeUndefined();
  });
});

describe('a hello whose content would not load from the config file is dropped (issue 9, item 10)', () => {
  const PEER = 'b'.repeat(40);
  /** Names kept as names (announce-hostnames), so the written config shows the peer's name. */
  const NAMES = 'sentinel resolve-hostnames yes\nsentinel announce-hostnames yes\n';
  function world(resolveHostnames = false): { s: SentinelState; text: string } {
    const text = 'sentinel monitor mymaster 127.0.0.1 6379 2\n';
    const cfg = parseConfig(`${resolveHostnames ? NAMES : ''}${text}`);
    return { s: stateFromConfig(cfg, 'c'.repeat(40), 1_000), text };
  }
  const hello = (fields: Partial<Record<'ip' | 'port' | 'runId' | 'masterIp' | 'masterPort' | 'epoch', string>>): string =>
    [fields.ip ?? '127.0.0.1', fields.port ?? '26380', fields.runId ?? PEER, '5', 'mymaster',
      fields.masterIp ?? '127.0.0.1', fields.masterPort ?? '6379', fields.epoch ?? '0'].join(',');

  it.each([
    ['peer port 70000', hello({ port: '70000' }), false],
    ['peer ip 999.1.1.1', hello({ ip: '999.1.1.1' }), false],
    ['a peer hostname without resolve-hostnames', hello({ ip: 'sentinel-2.example' }), false],
    ['a peer "hostname" with a space, resolve-hostnames on', hello({ ip: 'a b' }), true],
    ['a peer "hostname" with a quote, resolve-hostnames on', hello({ ip: 'a"b' }), true],
    ['a master port 70000 with a newer config-epoch', hello({ masterPort: '70000', epoch: '9' }), false],
    ['a master ip 999.1.1.1 with a newer config-epoch', hello({ masterIp: '999.1.1.1', epoch: '9' }), false],
    ['a run id with a space', hello({ runId: `${'d'.repeat(20)} ${'d'.repeat(19)}` }), false],
    ['a run id with a quote', hello({ runId: `"${'d'.repeat(39)}` }), false],
  ])('%s', (_what, payload, resolveHostnames) => {
    const { s } = world(resolveHostnames);
    const before = s.currentEpoch;
    // With resolve-hostnames the shell resolves hello names before the core
    // sees them; even a name it resolved must be dropped when it is malformed.
    if (resolveHostnames) step(s, { type: 'hostResolved', host: payload.split(',')[0]!, ip: '127.0.0.9' }, 2_000);
    const effects = step(s, { type: 'hello', payload }, 2_000).effects;
    expect(effects).toEqual([]);
    const m = s.masters.get('mymaster')!;
    expect([m.sentinels.size, m.config.configEpoch, m.port, s.currentEpoch]).toEqual([0, 0, 6379, before]);
  });

  it.each([
    ['numeric addresses, normalized as the loader does (127.1)', hello({ ip: '127.1' }), false, '127.0.0.1'],
    ['a peer hostname with resolve-hostnames on', hello({ ip: 'sentinel-2.example' }), true, 'sentinel-2.example'],
  ])('accepts %s, and the config written afterwards loads again', (_what, payload, resolveHostnames, host) => {
    const { s, text } = world(resolveHostnames);
    if (resolveHostnames) step(s, { type: 'hostResolved', host, ip: '127.0.0.9' }, 2_000);
    step(s, { type: 'hello', payload }, 2_000);
    const m = s.masters.get('mymaster')!;
    expect([...m.sentinels.values()].map((p) => [p.host, p.port])).toEqual([[host, 26380]]);
    const base = parseConfig(`${resolveHostnames ? NAMES : ''}${text}`);
    const written = renderConfig(text, configFromState(base, s));
    const reloaded = parseConfig(written);
    expect(reloaded.masters[0]!.knownSentinels).toEqual([{ host, port: 26380, runid: PEER }]);
    expect(reloaded.currentEpoch).toBe(5);
  });
});
