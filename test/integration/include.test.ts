/**
 * `include` (issue 9, item 11): an included `requirepass` must protect the
 * Sentinel, and must not be rewritten into `user default on nopass`; a
 * missing include file stops the start with Redis's words. Compared with a
 * real redis-sentinel 7.0.15 given the same files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { runTsSentinelToExit, startAll, startRealSentinel, startTsSentinel, stopAll, tempDir } from '../support/procs.js';
import { toPlain } from '../support/resp.js';
import { RawClient } from '../support/resp.js';
import { call } from '../support/sentinel.js';

afterAll(async () => {
  await stopAll();
});

describe('include', () => {
  it('loads the included requirepass and sentinel lines, as redis-sentinel does, and keeps them across a rewrite', async () => {
    const shared = tempDir('include');
    const auth = path.join(shared, 'auth.conf');
    fs.writeFileSync(auth, 'requirepass secret\nsentinel down-after-milliseconds mymaster 5000\n');
    const deadPort = await freePort();
    const text = `sentinel monitor mymaster 127.0.0.1 ${deadPort} 2\ninclude ${auth}\n`;
    const auth2 = ['default', 'secret'];
    const [real, ts] = await startAll([startRealSentinel(text, { auth: auth2 }), startTsSentinel(text, { auth: auth2 })]);
    for (const s of [real!, ts!]) {
      expect(toPlain(await call(s.port, 'PING')), `${s.kind} without AUTH`).toEqual({ error: 'NOAUTH Authentication required.' });
      const c = await RawClient.connect(s.port, { timeoutMs: 2_000 });
      try {
        expect(toPlain(await c.call('AUTH', 'secret'))).toBe('OK');
        const m = toPlain(await c.call('SENTINEL', 'MASTER', 'mymaster')) as string[];
        expect(m[m.indexOf('down-after-milliseconds') + 1], s.kind).toBe('5000');
        expect(toPlain(await c.call('SENTINEL', 'FLUSHCONFIG'))).toBe('OK');
      } finally {
        await c.close();
      }
    }
    const written = fs.readFileSync(ts!.confPath, 'utf8');
    expect(written).toContain(`include ${auth}`);
    expect(written).not.toMatch(/nopass/);
    // Restarted from what it wrote, it still asks for the password.
    await ts!.restart();
    expect(toPlain(await call(ts!.port, 'PING'))).toEqual({ error: 'NOAUTH Authentication required.' });
  });

  it('a missing include file exits 1 with Redis\'s text', async () => {
    const dir = tempDir('include-missing');
    const conf = path.join(dir, 'sentinel.conf');
    fs.writeFileSync(conf, `bind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 6379 2\ninclude ${dir}/missing.conf\n`);
    const result = await runTsSentinelToExit([conf, '--port', String(await freePort())]);
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain(`Fatal error, can't open config file '${dir}/missing.conf': No such file or directory`);
  });
});

describe('a resolve-hostnames master that does not resolve yet (DNS not up at boot)', () => {
  it('does not stop the start: the name is kept and logged, as redis-sentinel accepts it', async () => {
    const text = 'sentinel resolve-hostnames yes\nsentinel monitor mymaster nosuch.invalid 6379 2\n';
    const [real, ts] = await startAll([startRealSentinel(text), startTsSentinel(text)]);
    expect(toPlain(await call(real!.port, 'PING'))).toBe('PONG');
    expect(toPlain(await call(ts!.port, 'PING'))).toBe('PONG');
    // redis-sentinel reports an empty address until the name resolves; tssentinel the name itself.
    expect(toPlain(await call(ts!.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'))).toEqual(['nosuch.invalid', '6379']);
    expect(ts!.logTail(200)).toContain("Failed to resolve hostname 'nosuch.invalid'");
  });
});
