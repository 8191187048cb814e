/**
 * The README's ACL for monitored Redis servers (section "Forged hellos"),
 * run as written on a redis-server 7.0.15 master and replica: users other
 * than the Sentinels' cannot PUBLISH on `__sentinel__:hello` (so cannot
 * forge a hello), and tssentinel and redis-sentinel, authenticated as the
 * Sentinels' user, still find each other through that channel and carry
 * out a failover with no command denied.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startAll, startRealSentinel, startRedis, startTsSentinel, stopAll, type ProcHandle } from '../support/procs.js';
import { RawClient, textOf, toPlain, type Plain } from '../support/resp.js';
import { call, masterInfo } from '../support/sentinel.js';
import { waitFor } from '../support/wait.js';

afterAll(async () => {
  await stopAll();
});

const NOPERM = 'NOPERM this user has no permissions to access one of the channels used as arguments';

/** The `ACL SETUSER` lines of the README's section, split as redis-cli would (no argument is quoted). */
function readmeAclLines(): string[][] {
  const text = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = text.slice(text.indexOf('### Forged hellos'));
  const lines = section.split('\n').filter((l) => l.startsWith('ACL SETUSER '));
  return lines.map((l) => l.split(' '));
}

/** The value following `what` in a line of the README's sentinel.conf block (`sentinel auth-pass mymaster <x>`). */
function readmeSentinelSetting(what: string): string {
  const text = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const line = text.split('\n').find((l) => l.startsWith(`sentinel ${what} mymaster `));
  if (line === undefined) throw new Error(`no "sentinel ${what}" line in the README`);
  return line.split(' ')[3]!;
}

/** A hello moving mymaster to 10.9.9.9 at config-epoch 99, if anyone took it. */
const FORGED = `127.0.0.1,26399,${'f'.repeat(40)},99,mymaster,10.9.9.9,6379,99`;

async function publishAs(port: number, auth: readonly string[] | undefined, channel: string, payload = FORGED): Promise<Plain> {
  const c = await RawClient.connect(port);
  try {
    if (auth) expect(textOf(await c.call('AUTH', ...auth))).toBe('OK');
    return toPlain(await c.call('PUBLISH', channel, payload));
  } finally {
    await c.close();
  }
}

/** ACL LOG entries of `user` on one instance. */
async function deniedFor(port: number, user: string): Promise<Plain[]> {
  const log = toPlain(await call(port, 'ACL', 'LOG')) as Plain[];
  return log.filter((entry) => {
    const fields = entry as Plain[];
    return fields[fields.indexOf('username') + 1] === user;
  });
}

describe('the README ACL for the hello channel, on redis-server 7.0', () => {
  let master: ProcHandle;
  let replica: ProcHandle;
  const lines = readmeAclLines();

  beforeAll(async () => {
    master = await startRedis();
    replica = await startRedis({ replicaOf: { host: '127.0.0.1', port: master.port } });
    for (const server of [master, replica]) {
      for (const args of lines) expect(toPlain(await call(server.port, ...args))).toBe('OK');
    }
  });

  it('has the three users', () => {
    expect(lines.map((l) => l[2])).toEqual(['sentinel-user', 'default', 'app']);
  });

  it('refuses PUBLISH on __sentinel__:hello to every user but the Sentinels\'', async () => {
    expect(await publishAs(master.port, undefined, '__sentinel__:hello')).toEqual({ error: NOPERM });
    expect(await publishAs(master.port, ['app', 'app-secret'], '__sentinel__:hello')).toEqual({ error: NOPERM });
    expect(await publishAs(replica.port, ['app', 'app-secret'], '__sentinel__:hello')).toEqual({ error: NOPERM });
    const script = toPlain(await call(master.port, 'EVAL', "return redis.call('publish', '__sentinel__:hello', 'x')", '0'));
    expect(JSON.stringify(script)).toMatch(/can't publish to the channel/);
    // The application keeps its own channels; the Sentinels' user its one.
    expect(await publishAs(master.port, ['app', 'app-secret'], 'app:news')).toBe(0);
    expect(await publishAs(master.port, undefined, 'app:news')).toBe(0);
    // (Not a valid hello: nothing is listening yet, but it should not matter.)
    expect(await publishAs(master.port, ['sentinel-user', 'sentinel-secret'], '__sentinel__:hello', 'not a hello')).toBe(0);
  });

  it('lets tssentinel and redis-sentinel, as sentinel-user, find each other and fail over with nothing denied', async () => {
    const user = readmeSentinelSetting('auth-user');
    const pass = readmeSentinelSetting('auth-pass');
    const conf = [
      `sentinel monitor mymaster 127.0.0.1 ${master.port} 2`,
      `sentinel auth-user mymaster ${user}`,
      `sentinel auth-pass mymaster ${pass}`,
      'sentinel failover-timeout mymaster 10000',
      '',
    ].join('\n');
    const [ts, real] = await startAll([startTsSentinel(conf), startRealSentinel(conf)]);
    for (const s of [ts, real]) {
      await waitFor(async () => {
        const info = await masterInfo(s);
        return info['num-other-sentinels'] === '1' && info['num-slaves'] === '1';
      }, { timeoutMs: 20_000, what: `${s.kind} to see the other Sentinel and the replica` });
    }
    // NOGOODSLAVE until the replica's INFO has been read.
    await waitFor(async () => toPlain(await call(ts.port, 'SENTINEL', 'FAILOVER', 'mymaster')) === 'OK',
      { timeoutMs: 20_000, what: 'SENTINEL FAILOVER to be accepted' });
    for (const s of [ts, real]) {
      await waitFor(async () => JSON.stringify(toPlain(await call(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'))) ===
        JSON.stringify(['127.0.0.1', String(replica.port)]), { timeoutMs: 20_000, what: `${s.kind} to follow the failover` });
    }
    // The old master was turned into a replica of the new one (SLAVEOF, CONFIG REWRITE, CLIENT KILL in MULTI).
    await waitFor(async () => /role:slave/.test(textOf(await call(master.port, 'INFO', 'replication'))),
      { timeoutMs: 20_000, what: 'the old master to become a replica' });
    for (const server of [master, replica]) expect(await deniedFor(server.port, 'sentinel-user')).toEqual([]);
  });
});
