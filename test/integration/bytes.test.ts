/**
 * Values that are not UTF-8, against real processes, side by side with
 * redis-sentinel 7.0.15: a master named n\xc3\xa4\xff whose redis-server
 * (and replica) require the password p\xff\xfeq, set with SENTINEL SET
 * auth-pass; requirepass, an ACL user's password, sentinel-pass and
 * announce-ip of such bytes; a notification-script whose path and arguments
 * hold them. Arguments and replies go through the test client as bytes
 * (test/support/resp.ts), so what is compared is what was on the wire.
 */
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesToText, textToBytes } from '../../src/byteText.js';
import { splitArgs } from '../../src/redisArgs.js';
import { startAll, startRealSentinel, startRedis, startTsSentinel, stopAll, tempDir, type ProcHandle } from '../support/procs.js';
import { RawClient, parseClientLine, textOf, toPlain, toRecord, type Plain } from '../support/resp.js';
import { EventLog, closeEventLogs, call as reply } from '../support/sentinel.js';
import { waitFor } from '../support/wait.js';

const HOST = '127.0.0.1';
const PASS_BYTES = Buffer.from([0x70, 0xff, 0xfe, 0x71]); // p\xff\xfeq
const NAME_BYTES = Buffer.from([0x6e, 0xc3, 0xa4, 0xff]); // n, ä in UTF-8, \xff
const PASS = bytesToText(PASS_BYTES);
const NAME = bytesToText(NAME_BYTES);
const DOWN_AFTER_MS = 2_000;

afterAll(async () => {
  await closeEventLogs();
  await stopAll();
});

/** One command on a fresh connection, after AUTH when `auth` is given. */
async function call(port: number, auth: readonly string[], ...args: string[]): Promise<Plain> {
  const c = await RawClient.connect(port, { timeoutMs: 2_000 });
  try {
    if (auth.length > 0) expect(toPlain(await c.call('AUTH', ...auth))).toBe('OK');
    return toPlain(await c.call(...args));
  } finally {
    await c.close();
  }
}

async function rawReply(port: number, ...args: string[]): Promise<Buffer> {
  const c = await RawClient.connect(port, { timeoutMs: 2_000 });
  try {
    return (await c.callWithRaw(...args)).raw;
  } finally {
    await c.close();
  }
}

/** Client names on a server: a Sentinel's link is named only once its AUTH passed (CLIENT SETNAME comes after it). */
async function clientNames(port: number, auth: readonly string[]): Promise<string[]> {
  const list = String(await call(port, auth, 'CLIENT', 'LIST'));
  return list.split('\n').map((l) => new Map(parseClientLine(l)).get('name') ?? '').filter((n) => n !== '');
}

async function linkNames(sentinel: ProcHandle, auth: readonly string[] = []): Promise<string[]> {
  const id = String(await call(sentinel.port, auth, 'SENTINEL', 'MYID'));
  return [`sentinel-${id.slice(0, 8)}-cmd`, `sentinel-${id.slice(0, 8)}-pubsub`];
}

/** The arguments of the config file's line `sentinel <option> ...`, as bytes (Redis's sdssplitargs). */
function configLine(s: ProcHandle, option: string): Buffer[] {
  const lines = splitLines(fs.readFileSync(s.confPath));
  const found = lines.map((l) => splitArgs(l) ?? []).find((a) => a[0]?.toString() === 'sentinel' && a[1]?.toString() === option);
  if (!found) throw new Error(`no sentinel ${option} line in ${s.confPath}`);
  return found;
}

function splitLines(file: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < file.length;) {
    const nl = file.indexOf(10, at);
    const end = nl < 0 ? file.length : nl;
    out.push(file.subarray(at, end));
    at = end + 1;
  }
  return out;
}

function rawLine(s: ProcHandle, option: string): string {
  const line = splitLines(fs.readFileSync(s.confPath)).find((l) => l.toString('latin1').startsWith(`sentinel ${option} `));
  return line?.toString('latin1') ?? '';
}

async function master(s: ProcHandle): Promise<Record<string, Plain>> {
  return toRecord(await reply(s.port, 'SENTINEL', 'MASTER', NAME));
}

/**
 * The master as a healthy link sees it: answered INFO (runid, its replica),
 * the other Sentinel known, PINGs answered, not SDOWN.
 */
async function healthy(s: ProcHandle): Promise<boolean> {
  const m = await master(s);
  return m['flags'] === 'master' && m['runid'] !== '' && m['num-slaves'] === '1' && m['num-other-sentinels'] === '1' &&
    Number(m['last-ok-ping-reply']) < DOWN_AFTER_MS;
}

/** Healthy at every look for `windowMs` (twice down-after: a link that failed AUTH would be SDOWN by then). */
async function staysHealthy(s: ProcHandle, windowMs = 2 * DOWN_AFTER_MS): Promise<void> {
  const endMs = Date.now() + windowMs;
  while (Date.now() < endMs) {
    expect(await master(s), `${s.kind}: ${NAME} healthy`).toMatchObject({ flags: 'master', 'num-slaves': '1', 'num-other-sentinels': '1' });
    expect(Number((await master(s))['last-ok-ping-reply'])).toBeLessThan(DOWN_AFTER_MS);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('values that are not UTF-8', () => {
  it('auth-pass p\\xff\\xfeq for master n\\xc3\\xa4\\xff: links authenticate, the master stays healthy across kill -9, the file holds what redis-sentinel writes', async () => {
    const redis = await startRedis();
    const replica = await startRedis({ replicaOf: { host: HOST, port: redis.port } });
    // Set over RESP: a command line carries text, not these bytes.
    expect(await call(replica.port, [], 'CONFIG', 'SET', 'masterauth', PASS)).toBe('OK');
    expect(await call(replica.port, [], 'CONFIG', 'SET', 'requirepass', PASS)).toBe('OK');
    expect(await call(redis.port, [], 'CONFIG', 'SET', 'requirepass', PASS)).toBe('OK');
    const sides = await startAll([startRealSentinel(''), startTsSentinel('')]);
    const [real, ts] = sides;
    const logs = await Promise.all([EventLog.open(real, 'real'), EventLog.open(ts, 'ts')]);
    for (const s of sides) {
      expect(await call(s.port, [], 'SENTINEL', 'MONITOR', NAME, HOST, String(redis.port), '2')).toBe('OK');
      expect(await call(s.port, [], 'SENTINEL', 'SET', NAME, 'auth-pass', PASS)).toBe('OK');
    }
    for (const s of sides) {
      await waitFor(() => healthy(s), { timeoutMs: 20_000, what: `${s.kind}: ${NAME} healthy (INFO answered, replica and peer known)` });
    }
    // Down-after made short once the password is in (the links that came
    // before it, refused, would make either Sentinel see SDOWN): now a
    // refused AUTH would show within the window.
    for (const s of sides) {
      expect(await call(s.port, [], 'SENTINEL', 'SET', NAME, 'down-after-milliseconds', String(DOWN_AFTER_MS))).toBe('OK');
    }
    await Promise.all(sides.map((s) => staysHealthy(s)));
    // Every link passed AUTH: a link whose AUTH fails stays unnamed (CLIENT SETNAME gets NOAUTH).
    const named = await clientNames(redis.port, [PASS]);
    for (const s of sides) for (const n of await linkNames(s)) expect(named, `${s.kind} link ${n} on the master`).toContain(n);
    for (const log of logs) expect(log.find('+sdown'), `${log.label}: no +sdown`).toBeUndefined();

    // Replies carry the name's bytes, as redis-sentinel's do.
    const nameField = Buffer.concat([Buffer.from('$4\r\nname\r\n$4\r\n'), NAME_BYTES, Buffer.from('\r\n')]);
    for (const s of sides) {
      expect((await rawReply(s.port, 'SENTINEL', 'MASTER', NAME)).includes(nameField), `${s.kind} SENTINEL MASTER`).toBe(true);
      expect((await rawReply(s.port, 'SENTINEL', 'MASTERS')).includes(nameField), `${s.kind} SENTINEL MASTERS`).toBe(true);
      const info = textOf(await reply(s.port, 'INFO', 'sentinel'));
      expect(info, `${s.kind} INFO sentinel`).toContain(`master0:name=${NAME},status=ok,`);
    }

    // The file: the same bytes as redis-sentinel's (which writes them raw), in Redis's quoting.
    const sameLines = (): void => {
      for (const option of ['monitor', 'auth-pass']) {
        expect(configLine(ts, option), `sentinel ${option}`).toEqual(configLine(real, option));
      }
    };
    sameLines();
    expect(configLine(ts, 'auth-pass').slice(2)).toEqual([NAME_BYTES, PASS_BYTES]);
    expect(rawLine(ts, 'auth-pass')).toBe('sentinel auth-pass "n\\xc3\\xa4\\xff" "p\\xff\\xfeq"');

    // kill -9: loaded back, the links authenticate again.
    const pid = ts.pid;
    await ts.kill9();
    await ts.restart();
    expect(ts.pid).not.toBe(pid);
    await waitFor(() => healthy(ts), { timeoutMs: 20_000, what: `ts after kill -9: ${NAME} healthy` });
    await staysHealthy(ts);
    const renamed = await clientNames(redis.port, [PASS]);
    for (const n of await linkNames(ts)) expect(renamed, `ts link ${n} after restart`).toContain(n);
    expect((await master(ts))['name']).toBe(NAME);
    expect(await call(ts.port, [], 'SENTINEL', 'FLUSHCONFIG')).toBe('OK');
    sameLines();
    expect(textToBytes(NAME)).toEqual(NAME_BYTES);
  }, 90_000);

  it('requirepass, an ACL password and sentinel-pass p\\xff\\xfeq authenticate clients and peers, as redis-sentinel; kept across kill -9', async () => {
    const redis = await startRedis();
    const conf = [
      // Written as Redis quotes it; both read it as those four bytes.
      'requirepass "p\\xff\\xfeq"',
      'sentinel sentinel-pass "p\\xff\\xfeq"',
      `sentinel monitor m2 ${HOST} ${redis.port} 2`,
      '',
    ].join('\n');
    const sides = await startAll([startRealSentinel(conf, { auth: [PASS] }), startTsSentinel(conf, { auth: [PASS] })]);
    const [real, ts] = sides;
    for (const s of sides) {
      expect(await call(s.port, [PASS], 'ACL', 'SETUSER', 'alice', 'on', `>${PASS}`, '+@all')).toBe('OK');
      expect(await call(s.port, ['alice', PASS], 'ACL', 'WHOAMI')).toBe('alice');
      // Another password: the one decoding as UTF-8 would make of it (each bad byte a U+FFFD).
      for (const wrong of ['p', 'p\uFFFD\uFFFDq']) {
        expect(await call(s.port, [], 'AUTH', wrong)).toEqual({ error: 'WRONGPASS invalid username-password pair or user is disabled.' });
      }
    }
    // Each found the other by hello and passed AUTH with sentinel-pass: its link is named.
    for (const [s, peer] of [[real, ts], [ts, real]] as const) {
      const want = (await linkNames(peer, [PASS]))[0]!;
      await waitFor(async () => (await clientNames(s.port, [PASS])).includes(want), { timeoutMs: 20_000, what: `${peer.kind}'s link named on ${s.kind}` });
    }
    // announce-ip of such bytes: both write it with sdscatrepr, the same line.
    const announce = bytesToText(Buffer.from('h\xff', 'latin1'));
    for (const s of sides) expect(await call(s.port, [PASS], 'SENTINEL', 'CONFIG', 'SET', 'announce-ip', announce)).toBe('OK');
    expect(rawLine(ts, 'announce-ip')).toBe('sentinel announce-ip "h\\xff"');
    expect(rawLine(ts, 'announce-ip')).toBe(rawLine(real, 'announce-ip'));
    await ts.kill9();
    await ts.restart();
    expect(await call(ts.port, ['alice', PASS], 'ACL', 'WHOAMI')).toBe('alice');
    expect(await call(ts.port, [PASS], 'ACL', 'WHOAMI')).toBe('default');
    expect(await call(ts.port, [PASS], 'SENTINEL', 'CONFIG', 'GET', 'announce-ip')).toEqual(['announce-ip', announce]);
  }, 90_000);

  it('a notification-script path n\\xff: set, run with the master name\'s bytes as its argument, as redis-sentinel runs its own', async () => {
    const redis = await startRedis();
    const dir = tempDir('bytes-scripts');
    const conf = ['sentinel deny-scripts-reconfig no', ''].join('\n');
    const sides = await startAll([startRealSentinel(conf), startTsSentinel(conf)]);
    const outs = new Map<ProcHandle, string>();
    for (const s of sides) {
      const out = `${dir}/${s.kind}.out`;
      outs.set(s, out);
      // The script's own path is not UTF-8 either: only the file system's bytes name it.
      const script = Buffer.concat([Buffer.from(`${dir}/notify-`), Buffer.of(0xff), Buffer.from(`-${s.kind}.sh`)]);
      fs.writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$@" >> '${out}'\n`);
      fs.chmodSync(script, 0o755);
      expect(await call(s.port, [], 'SENTINEL', 'MONITOR', NAME, HOST, String(redis.port), '2')).toBe('OK');
      expect(await call(s.port, [], 'SENTINEL', 'SET', NAME, 'notification-script', bytesToText(script))).toBe('OK');
      expect(await call(s.port, [], 'SENTINEL', 'SET', NAME, 'quorum', '3')).toBe('OK');
    }
    const runs = (s: ProcHandle): Buffer => (fs.existsSync(outs.get(s)!) ? fs.readFileSync(outs.get(s)!) : Buffer.alloc(0));
    const quorumRun = Buffer.concat([Buffer.from('+set\nmaster '), NAME_BYTES, Buffer.from(` ${HOST} ${redis.port} quorum 3\n`)]);
    for (const s of sides) {
      await waitFor(() => runs(s).includes(quorumRun), { timeoutMs: 15_000, what: `${s.kind}'s script run for +set quorum 3 (seen: ${JSON.stringify(runs(s).toString('latin1'))})` });
    }
    // The same runs (scripts run side by side, so in any order), each side naming its own script.
    const lines = (s: ProcHandle): string[] =>
      runs(s).toString('latin1').replace(`-${s.kind}.sh`, '-<side>.sh').split('\n').sort();
    expect(lines(sides[1])).toEqual(lines(sides[0]));
  }, 60_000);
});
