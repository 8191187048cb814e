/**
 * Anyone who can reach a monitored Redis can PUBLISH on its
 * `__sentinel__:hello` channel, and anyone who can reach a Sentinel can
 * PUBLISH a hello to it. A hello whose addresses or run id would not load
 * from the config file must be dropped, or the next start fails (issue 9,
 * item 10). Compared with a real redis-sentinel 7.0.15 given the same hellos.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAll, startRealSentinel, startRedis, startTsSentinel, stopAll, type ProcHandle } from '../support/procs.js';
import { toPlain } from '../support/resp.js';
import { call } from '../support/sentinel.js';
import { sleep, waitFor } from '../support/wait.js';

afterAll(async () => {
  await stopAll();
});

const GOOD_RUNID = 'e'.repeat(40);

function hostile(masterPort: number): string[] {
  const rest = (runId: string, epoch = 0, masterIp = '127.0.0.1', port = masterPort) =>
    `${runId},0,mymaster,${masterIp},${port},${epoch}`;
  return [
    `127.0.0.1,70000,${rest('1'.repeat(40))}`,
    `999.1.1.1,26390,${rest('2'.repeat(40))}`,
    `sentinel-9.invalid,26391,${rest('3'.repeat(40))}`,
    `a b,26392,${rest('4'.repeat(40))}`,
    `127.0.0.1,26393,${rest(`"${'5'.repeat(39)}`)}`,
    // A newer config-epoch with an address that cannot be stored.
    `127.0.0.1,26394,${rest('6'.repeat(40), 7, '127.0.0.1', 70000)}`,
  ];
}

async function peers(s: ProcHandle): Promise<string[]> {
  const v = toPlain(await call(s.port, 'SENTINEL', 'SENTINELS', 'mymaster'));
  if (!Array.isArray(v)) throw new Error(`SENTINELS: ${JSON.stringify(v)}`);
  return v.map((p) => {
    const fields = p as string[];
    const at = (k: string) => fields[fields.indexOf(k) + 1];
    return `${at('ip')}:${at('port')}`;
  }).sort();
}

async function masterField(s: ProcHandle, field: string): Promise<string> {
  const fields = toPlain(await call(s.port, 'SENTINEL', 'MASTER', 'mymaster')) as string[];
  return fields[fields.indexOf(field) + 1] ?? '';
}

describe('hellos that would not load from the config', () => {
  let master: ProcHandle;
  let real: ProcHandle;
  let ts: ProcHandle;

  beforeAll(async () => {
    master = await startRedis();
    const text = `sentinel monitor mymaster 127.0.0.1 ${master.port} 2\n`;
    [real, ts] = await startAll([startRealSentinel(text), startTsSentinel(text)]);
  });

  it('are dropped, as by redis-sentinel; a valid one is kept; the config loads after a restart', async () => {
    for (const payload of hostile(master.port)) {
      // On the monitored master's channel, and straight to the Sentinels.
      await call(master.port, 'PUBLISH', '__sentinel__:hello', payload);
      await call(ts.port, 'PUBLISH', '__sentinel__:hello', payload);
      await call(real.port, 'PUBLISH', '__sentinel__:hello', payload);
    }
    const valid = `127.0.0.1,26395,${GOOD_RUNID},0,mymaster,127.0.0.1,${master.port},0`;
    await call(ts.port, 'PUBLISH', '__sentinel__:hello', valid);
    await call(real.port, 'PUBLISH', '__sentinel__:hello', valid);
    // Hellos on the master's channel arrive through the subscriptions: give them a moment.
    await sleep(500);
    await waitFor(async () => JSON.stringify(await peers(ts)) === JSON.stringify(['127.0.0.1:26395']), {
      what: 'tssentinel to know exactly the one valid peer',
    });
    // redis-sentinel drops the bad addresses too (ports 26390..26392 and
    // 70000), but keeps the run id with a quote (and writes it unquoted:
    // its next start fails) and takes config-epoch 7 from the hello with
    // master port 70000 (publishing +switch-master to it). tssentinel drops both.
    const realPeers = await waitFor(async () => {
      const p = await peers(real);
      return p.includes('127.0.0.1:26395') ? p : undefined;
    }, { what: 'redis-sentinel to know the valid peer' });
    expect(realPeers.filter((p) => /:(2639[012]|70000)$/.test(p))).toEqual([]);
    expect((await masterField(ts, 'config-epoch'))).toBe('0');
    const masterTs = toPlain(await call(ts.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'));
    expect(masterTs).toEqual(['127.0.0.1', String(master.port)]);
    expect(fs.readFileSync(ts.confPath, 'utf8')).not.toMatch(/70000|999\.1\.1\.1|invalid|"a b"/);
    await ts.restart();
    expect(await peers(ts)).toEqual(['127.0.0.1:26395']);
  });
});
