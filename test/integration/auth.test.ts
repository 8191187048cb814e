/**
 * Authentication and ACL against real processes:
 *
 * - differential: a real redis-sentinel and tssentinel with the same
 *   `requirepass` and `user` lines get the same commands on fresh
 *   connections (AUTH, HELLO AUTH, ACL ..., NOAUTH / NOPERM / WRONGPASS
 *   paths), each under RESP2 and RESP3, replies compared after normalize();
 * - protected mode seen from a non-loopback address;
 * - Sentinel-to-Sentinel auth (requirepass + sentinel-pass), right and wrong;
 * - auth-pass to a monitored redis-server with requirepass, and SENTINEL SET
 *   auth-pass after the server's password changed.
 *
 * TS_SENTINEL_BIN=real runs every "ts" process as a real redis-sentinel.
 */
import fs from 'node:fs';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import {
  runTsSentinelToExit,
  startAll,
  startRealSentinel,
  startRedis,
  startTsSentinel,
  stopAll,
  tempDir,
  type ProcHandle,
} from '../support/procs.js';
import { freePort } from '../support/ports.js';
import { RawClient, normalize, toPlain, toRecord, type Normalized, type Plain, type RespValue } from '../support/resp.js';
import { waitFor } from '../support/wait.js';

afterAll(async () => {
  await stopAll();
});

async function call(port: number, auth: readonly string[], ...args: string[]): Promise<RespValue> {
  const client = await RawClient.connect(port);
  try {
    if (auth.length > 0) {
      const ok = await client.call('AUTH', ...auth);
      if (ok.type !== 'simple') throw new Error(`AUTH ${auth[0]} on ${port}: ${JSON.stringify(toPlain(ok))}`);
    }
    return await client.call(...args);
  } finally {
    await client.close();
  }
}

// ---------------------------------------------------------------------------
// Differential

const USER_LINES = [
  'requirepass foo',
  'user alice on >alicepw ~* &chan* +@all -sentinel|reset',
  'user bob on nopass resetchannels -@all +ping +sentinel|masters +acl|whoami',
  'user off1 off >pw +@all',
].join('\n');

interface Case {
  readonly name: string;
  /** Sent first as HELLO <proto> AUTH user pass (not compared); without it the case runs under RESP2 only. */
  readonly login?: readonly [string, string];
  readonly steps: ReadonlyArray<readonly string[]>;
  readonly volatileFields?: readonly string[];
}

const ADMIN = ['default', 'foo'] as const;

const CASES: readonly Case[] = [
  // --- not authenticated
  { name: 'NOAUTH for PING, SENTINEL MASTERS, ACL WHOAMI', steps: [['PING'], ['SENTINEL', 'MASTERS'], ['ACL', 'WHOAMI']] },
  { name: 'arity before NOAUTH', steps: [['SENTINEL'], ['NOSUCH']] },
  { name: 'AUTH wrong, AUTH password, PING', steps: [['AUTH', 'wrong'], ['AUTH', 'foo'], ['PING']] },
  { name: 'AUTH default password, WHOAMI', steps: [['AUTH', 'default', 'foo'], ['ACL', 'WHOAMI']] },
  { name: 'AUTH alice, WHOAMI', steps: [['AUTH', 'alice', 'alicepw'], ['ACL', 'WHOAMI']] },
  { name: 'AUTH wrong user, wrong pass, disabled user, too many args', steps: [['AUTH', 'nobody', 'x'], ['AUTH', 'alice', 'bad'], ['AUTH', 'off1', 'pw'], ['AUTH', 'a', 'b', 'c'], ['PING']] },
  { name: 'AUTH nopass user with any password', steps: [['AUTH', 'bob', 'whatever'], ['ACL', 'WHOAMI']] },
  { name: 'HELLO 3 without AUTH', steps: [['HELLO', '3']] },
  { name: 'HELLO 3 SETNAME, NOAUTH, AUTH, GETNAME', steps: [['HELLO', '3', 'SETNAME', 'early'], ['AUTH', 'foo'], ['CLIENT', 'GETNAME']] },
  { name: 'HELLO AUTH wrong then right', steps: [['HELLO', '3', 'AUTH', 'default', 'wrong'], ['HELLO', '2', 'AUTH', 'alice', 'alicepw'], ['ACL', 'WHOAMI']] },
  { name: 'HELLO AUTH missing password', steps: [['HELLO', '2', 'AUTH', 'alice']] },
  // --- the default user
  { name: 'ACL WHOAMI / USERS / LIST', login: ADMIN, steps: [['ACL', 'WHOAMI'], ['ACL', 'USERS'], ['ACL', 'LIST']] },
  { name: 'ACL GETUSER', login: ADMIN, steps: [['ACL', 'GETUSER', 'alice'], ['ACL', 'GETUSER', 'bob'], ['ACL', 'GETUSER', 'default'], ['ACL', 'GETUSER', 'off1'], ['ACL', 'GETUSER', 'nosuch']] },
  { name: 'ACL CAT', login: ADMIN, steps: [['ACL', 'CAT'], ['ACL', 'CAT', 'nosuch'], ['ACL', 'CAT', 'a', 'b']] },
  {
    name: 'ACL SETUSER, GETUSER, LIST, DELUSER',
    login: ADMIN,
    steps: [
      ['ACL', 'SETUSER', 'tmp1'],
      ['ACL', 'GETUSER', 'tmp1'],
      ['ACL', 'SETUSER', 'tmp1', 'reset', 'on', '>p1', '>p2', '<p1', '%R~k', '~j', '&c1', '&c2', '+@admin', '-sentinel|reset'],
      ['ACL', 'GETUSER', 'tmp1'],
      ['ACL', 'SETUSER', 'tmp1', '(+ping', '~x)', '(+publish &z)'],
      ['ACL', 'GETUSER', 'tmp1'],
      ['ACL', 'LIST'],
      ['ACL', 'SETUSER', 'tmp1', 'clearselectors', 'nopass', 'skip-sanitize-payload', '+@all', '-@dangerous', '+client|list'],
      ['ACL', 'GETUSER', 'tmp1'],
      ['ACL', 'DELUSER', 'tmp1', 'nosuch'],
      ['ACL', 'DELUSER', 'tmp1'],
      ['ACL', 'USERS'],
    ],
  },
  {
    name: 'ACL SETUSER command descriptions',
    login: ADMIN,
    steps: [
      ['ACL', 'SETUSER', 'tmp2', '+client', '-client|kill'],
      ['ACL', 'GETUSER', 'tmp2'],
      ['ACL', 'SETUSER', 'tmp2', 'nocommands', '+ping|foo', '+ping|FOO', '+subscribe', '+publish', '+psubscribe', '+sentinel|masters'],
      ['ACL', 'GETUSER', 'tmp2'],
      ['ACL', 'SETUSER', 'tmp2', 'allcommands', '-@admin', '-@dangerous', '+sentinel|reset'],
      ['ACL', 'GETUSER', 'tmp2'],
      ['ACL', 'DELUSER', 'tmp2'],
    ],
  },
  {
    name: 'ACL SETUSER errors',
    login: ADMIN,
    steps: [
      ['ACL', 'SETUSER', 'tmp3', 'on', 'foo'],
      ['ACL', 'SETUSER', 'tmp3', '+@nosuch'],
      ['ACL', 'SETUSER', 'tmp3', '+client|nosuch'],
      ['ACL', 'SETUSER', 'tmp3', '+client|kill|x'],
      ['ACL', 'SETUSER', 'tmp3', '+ping|'],
      ['ACL', 'SETUSER', 'tmp3', '#abc'],
      ['ACL', 'SETUSER', 'tmp3', '<nopw'],
      ['ACL', 'SETUSER', 'tmp3', '~*', '~x'],
      ['ACL', 'SETUSER', 'tmp3', '&*', '&x'],
      ['ACL', 'SETUSER', 'tmp3', '%~x'],
      ['ACL', 'SETUSER', 'tmp3', '(+ping', '~x'],
      ['ACL', 'SETUSER', 'tmp3', '(foo)'],
      ['ACL', 'SETUSER', 'a b'],
      ['ACL', 'SETUSER'],
      ['ACL', 'GETUSER', 'tmp3'],
      ['ACL', 'DELUSER', 'default'],
      ['ACL', 'DELUSER', 'tmp3'],
    ],
  },
  {
    name: 'ACL DRYRUN',
    login: ADMIN,
    steps: [
      ['ACL', 'DRYRUN', 'bob', 'ping'],
      ['ACL', 'DRYRUN', 'bob', 'sentinel', 'masters'],
      ['ACL', 'DRYRUN', 'bob', 'sentinel', 'myid'],
      ['ACL', 'DRYRUN', 'bob', 'auth', 'x'],
      ['ACL', 'DRYRUN', 'bob', 'client', 'list'],
      ['ACL', 'DRYRUN', 'alice', 'sentinel', 'reset', '*'],
      ['ACL', 'DRYRUN', 'alice', 'subscribe', 'chan1', 'other'],
      ['ACL', 'DRYRUN', 'alice', 'psubscribe', 'chan*'],
      ['ACL', 'DRYRUN', 'alice', 'psubscribe', 'chanx*'],
      ['ACL', 'DRYRUN', 'alice', 'publish', 'other', 'm'],
      ['ACL', 'DRYRUN', 'nosuch', 'ping'],
      ['ACL', 'DRYRUN', 'bob', 'nosuch'],
      ['ACL', 'DRYRUN', 'bob', 'sentinel', 'nosuch'],
      ['ACL', 'DRYRUN', 'bob', 'sentinel'],
      ['ACL', 'DRYRUN', 'bob'],
    ],
  },
  {
    name: 'ACL LOG after failed AUTH and denied commands',
    login: ADMIN,
    steps: [
      ['ACL', 'LOG', 'RESET'],
      ['AUTH', 'nobody', 'x'],
      ['Auth', 'nobody', 'x'],
      ['AUTH', 'nobody', 'x'],
      ['HELLO', '2', 'AUTH', 'alice', 'wrong'],
      ['AUTH', 'bob', 'x'],
      ['SENTINEL', 'MYID'],
      ['ACL', 'LIST'],
      ['AUTH', 'alice', 'alicepw'],
      ['PUBLISH', 'other', 'm'],
      ['SENTINEL', 'RESET', '*'],
      ['AUTH', 'foo'],
      ['ACL', 'LOG'],
      ['ACL', 'LOG', '2'],
      ['ACL', 'LOG', '-1'],
      ['ACL', 'LOG', 'x'],
      ['ACL', 'LOG', '1', '2'],
      ['ACL', 'LOG', 'RESET'],
      ['ACL', 'LOG'],
    ],
    volatileFields: ['age-seconds'],
  },
  { name: 'ACL LOAD / SAVE without aclfile', login: ADMIN, steps: [['ACL', 'LOAD'], ['ACL', 'SAVE']] },
  { name: 'CLIENT KILL USER', login: ADMIN, steps: [['CLIENT', 'KILL', 'USER', 'nosuch'], ['CLIENT', 'KILL', 'USER', 'off1']] },
  // --- restricted users
  {
    name: 'bob: allowed, NOPERM on commands and SENTINEL subcommands',
    login: ['bob', 'x'],
    steps: [['PING'], ['SENTINEL', 'MASTERS'], ['SENTINEL', 'MYID'], ['SENTINEL', 'MASTER', 'x'], ['INFO'], ['CLIENT', 'ID'], ['ACL', 'WHOAMI'], ['ACL', 'LIST'], ['SUBSCRIBE', 'x'], ['PING', 'a', 'b']],
  },
  {
    name: 'alice: NOPERM on SENTINEL RESET and on channels',
    login: ['alice', 'alicepw'],
    steps: [['SENTINEL', 'RESET', '*'], ['PUBLISH', 'other', 'm'], ['PUBLISH', 'chan1', 'm'], ['SUBSCRIBE', 'other'], ['PSUBSCRIBE', 'chanx*'], ['ACL', 'WHOAMI']],
  },
  { name: 'alice: SUBSCRIBE allowed channels', login: ['alice', 'alicepw'], steps: [['SUBSCRIBE', 'chan1'], ['PSUBSCRIBE', 'chan*'], ['SUBSCRIBE', 'nope']] },
];

/**
 * Single-command rules after the category rules come in Redis's dict order,
 * which differs from process to process: each run of +/- rules keeps its
 * @category rules in order and has the rest sorted.
 */
function canonRules(n: Normalized): Normalized {
  if (Array.isArray(n)) return n.map((item, i) => (i === 0 ? item : canonRules(item)));
  const m = /^([$+])(.*)$/s.exec(n);
  if (!m || !/(^|\s)[+-]@all(\s|$)/.test(m[2]!)) return n;
  const out: string[] = [];
  let run: string[] = [];
  const flush = (): void => {
    out.push(...run.filter((t) => /^[+-]@/.test(t)), ...run.filter((t) => !/^[+-]@/.test(t)).sort());
    run = [];
  };
  for (const token of m[2]!.split(' ')) {
    if (/^[+-][^@(]/.test(token) && !token.endsWith(')')) run.push(token);
    else {
      flush();
      out.push(token);
    }
  }
  flush();
  return `${m[1]}${out.join(' ')}`;
}

type Outcome = RespValue | { readonly type: 'closed' };

async function runCase(port: number, c: Case, proto: 2 | 3): Promise<Outcome[]> {
  const client = await RawClient.connect(port);
  client.readTimeoutMs = 2_000;
  try {
    if (c.login !== undefined) {
      const hello = await client.call('HELLO', String(proto), 'AUTH', ...c.login);
      if (hello.type === 'error') throw new Error(`login ${c.login[0]}: ${hello.value}`);
    }
    const out: Outcome[] = [];
    for (const step of c.steps) {
      try {
        out.push(await client.call(...step));
      } catch (err) {
        if (!client.closed) throw err;
        out.push({ type: 'closed' });
        break;
      }
    }
    return out;
  } finally {
    await client.close();
  }
}

/** CLIENT INFO lines (ACL LOG client-info): only the fields that do not vary between processes. */
const CLIENT_FIELDS_KEPT = new Set(['name', 'flags', 'db', 'sub', 'psub', 'multi', 'cmd', 'user', 'redir', 'resp']);

function canonClientInfo(n: Normalized): Normalized {
  if (Array.isArray(n)) return n.map((item, i) => (i === 0 ? item : canonClientInfo(item)));
  const m = /^\$(id=.*)$/s.exec(n);
  if (!m) return n;
  return `$${m[1]!.split(' ').filter((f) => CLIENT_FIELDS_KEPT.has(f.split('=')[0]!)).join(' ')}`;
}

function normalizeAll(outs: readonly Outcome[], c: Case): Normalized[] {
  return outs.map((o) => (o.type === 'closed' ? '<closed>' : canonClientInfo(canonRules(normalize(o, { volatileFields: c.volatileFields })))));
}

describe('differential: ACL and auth, real redis-sentinel vs tssentinel', () => {
  let real: ProcHandle;
  let ts: ProcHandle;

  beforeAll(async () => {
    [real, ts] = await startAll([startRealSentinel(USER_LINES, { auth: ADMIN }), startTsSentinel(USER_LINES, { auth: ADMIN })]);
  });

  for (const c of CASES) {
    for (const proto of c.login === undefined ? ([2] as const) : ([2, 3] as const)) {
      it(`${c.name} [RESP${proto}]`, async () => {
        const expected = normalizeAll(await runCase(real.port, c, proto), c);
        const actual = normalizeAll(await runCase(ts.port, c, proto), c);
        if (process.env['AUTH_DIFF_DUMP'] === '1') console.log(JSON.stringify({ case: c.name, proto, expected, actual }));
        expect(actual, `${c.name} [RESP${proto}] differs (expected = real redis-sentinel)`).toEqual(expected);
      });
    }
  }

  it('rewrites the live users into the config, like the real one', async () => {
    for (const side of [real, ts]) await call(side.port, ADMIN, 'ACL', 'SETUSER', 'kept', 'on', '>k', '+ping');
    const lines = async (p: ProcHandle): Promise<string[]> => {
      await call(p.port, ADMIN, 'SENTINEL', 'FLUSHCONFIG');
      const text = fs.readFileSync(p.confPath, 'utf8');
      return text.split('\n').filter((l) => l.startsWith('user ')).map((l) => canonRules(`+${l}`) as string).sort();
    };
    expect(await lines(ts)).toEqual(await lines(real));
  });
});

// ---------------------------------------------------------------------------
// aclfile: both sides load, save and reload their own file

describe('differential: aclfile, ACL LOAD and ACL SAVE', () => {
  const sides: Array<{ proc: ProcHandle; file: string }> = [];
  const FILE = 'user default on >foo ~* &* +@all\nuser zed on >z -@all +ping\n';

  beforeAll(async () => {
    const files = [0, 1].map(() => path.join(tempDir('aclfile'), 'users.acl'));
    for (const f of files) fs.writeFileSync(f, FILE);
    const procs = await startAll([
      startRealSentinel(`aclfile ${files[0]}\n`, { auth: ['foo'] }),
      startTsSentinel(`aclfile ${files[1]}\n`, { auth: ['foo'] }),
    ]);
    procs.forEach((proc, i) => sides.push({ proc, file: files[i]! }));
  });

  /** Runs the same commands on both sides (as default), with each side's file path replaced by <aclfile>. */
  async function both(...args: string[]): Promise<[Normalized, Normalized]> {
    const [real, ts] = await Promise.all(sides.map(async ({ proc, file }) => {
      // AUTH default foo also passes once a loaded file left the default user nopass.
      const v = normalize(await call(proc.port, ['default', 'foo'], ...args));
      return canonRules(JSON.parse(JSON.stringify(v).split(file).join('<aclfile>')) as Normalized);
    }));
    return [real!, ts!];
  }

  async function same(...args: string[]): Promise<Normalized> {
    const [real, ts] = await both(...args);
    expect(ts, args.join(' ')).toEqual(real);
    return ts;
  }

  const writeBoth = (text: string): void => { for (const { file } of sides) fs.writeFileSync(file, text); };
  const fileLines = (file: string): string[] => fs.readFileSync(file, 'utf8').split('\n').map((l) => canonRules(`+${l}`) as string);

  it('loads the file at start; SAVE writes it in ACL LIST form', async () => {
    await same('ACL', 'LIST');
    await same('ACL', 'SETUSER', 'yan', 'on', '>y', '+@all', '-client', '&news*');
    expect(await same('ACL', 'SAVE')).toBe('+OK');
    expect(fileLines(sides[1]!.file)).toEqual(fileLines(sides[0]!.file));
    expect(fs.readdirSync(path.dirname(sides[1]!.file))).toEqual(['users.acl']);
  });

  it('LOAD: a good file replaces the users (default kept if absent), a bad one changes nothing', async () => {
    writeBoth('user zed on >z -@all +ping\n');
    expect(await same('ACL', 'LOAD')).toBe('+OK');
    await same('ACL', 'LIST');
    writeBoth('user default on >foo ~* &* +@all\nfoo bar\nuser q on +nosuch\nuser q on\nuser bad on #abc\nuser t on "+ping"\n');
    await same('ACL', 'LOAD');
    await same('ACL', 'USERS');
    fs.rmSync(sides[0]!.file);
    fs.rmSync(sides[1]!.file);
    await same('ACL', 'LOAD');
  });

  it('refuses to start with a bad ACL set, as redis-sentinel does', async () => {
    const dir = tempDir('aclstart');
    const conf = (name: string, text: string): string => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, text);
      return p;
    };
    const run = async (text: string): Promise<string> => {
      const r = await runTsSentinelToExit([conf(`c${Math.random()}.conf`, text), '--port', String(await freePort())]);
      expect(r.code).toBe(1);
      return r.output;
    };
    expect(await run('user alice on +nosuch\n')).toContain("Error loading ACL rule '+nosuch' for the user named 'alice': Unknown command or category name in ACL");
    expect(await run('user alice on foo\n')).toContain("Error in user declaration 'alice': Syntax error");
    expect(await run(`user alice on\naclfile ${path.join(dir, 'x.acl')}\n`)).toContain('Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid.');
    expect(await run('aclfile /nonexistent/x.acl\n')).toContain(
      "Aborting Redis startup because of ACL errors: Error loading ACLs, opening file '/nonexistent/x.acl': No such file or directory",
    );
  });
});

// ---------------------------------------------------------------------------
// Protected mode

/** A non-loopback IPv4 address of this machine, to connect from something that is not 127.0.0.1. */
function externalIpv4(): string | undefined {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

const EXTERNAL_IP = externalIpv4();

async function firstReply(host: string, port: number): Promise<{ reply: Plain; closed: boolean }> {
  const client = await RawClient.connect(port, { host });
  client.readTimeoutMs = 2_000;
  try {
    const reply = toPlain(await client.call('PING'));
    await client.waitClosed(300).catch(() => undefined);
    return { reply, closed: client.closed };
  } finally {
    await client.close();
  }
}

describe.skipIf(EXTERNAL_IP === undefined)('protected mode', () => {
  const ip = EXTERNAL_IP ?? '';
  let realOpen: ProcHandle;
  let tsOpen: ProcHandle;
  let tsPass: ProcHandle;

  beforeAll(async () => {
    const open = `bind 127.0.0.1 ${ip}\nprotected-mode yes\n`;
    [realOpen, tsOpen, tsPass] = await startAll([
      startRealSentinel(open),
      startTsSentinel(open),
      startTsSentinel(`${open}user default on >pw ~* &* +@all\n`, { auth: ['pw'] }),
    ]);
  });

  it('a password-less default user: DENIED and closed from outside, served on loopback (as the real one)', async () => {
    const fromOutside = await firstReply(ip, tsOpen.port);
    expect(fromOutside).toEqual(await firstReply(ip, realOpen.port));
    expect(String((fromOutside.reply as { error: string }).error)).toMatch(/^DENIED Redis is running in protected mode/);
    expect(fromOutside.closed).toBe(true);
    expect((await firstReply('127.0.0.1', tsOpen.port)).reply).toBe('PONG');
  });

  it('a default user with a password: asked to authenticate instead', async () => {
    expect((await firstReply(ip, tsPass.port)).reply).toEqual({ error: 'NOAUTH Authentication required.' });
  });
});

// ---------------------------------------------------------------------------
// Sentinel-to-Sentinel auth

const DOWN_AFTER_MS = 1_000;

async function sentinelsOf(s: ProcHandle, auth: readonly string[]): Promise<Array<Record<string, Plain>>> {
  const v = await call(s.port, auth, 'SENTINEL', 'SENTINELS', 'mymaster');
  if (v.type !== 'array') throw new Error(`SENTINEL SENTINELS: ${JSON.stringify(toPlain(v))}`);
  return v.items.map(toRecord);
}

async function masterOf(s: ProcHandle, auth: readonly string[]): Promise<Record<string, Plain>> {
  return toRecord(await call(s.port, auth, 'SENTINEL', 'MASTER', 'mymaster'));
}

function healthy(peer: Record<string, Plain>): boolean {
  return peer['flags'] === 'sentinel' && Number(peer['last-ok-ping-reply']) < DOWN_AFTER_MS;
}

describe('Sentinel-to-Sentinel auth: requirepass + sentinel-pass', () => {
  const X = ['X'];

  it('peers with the right sentinel-pass (or none: requirepass) see each other healthy; a wrong one sees them down', async () => {
    const master = await startRedis();
    const conf = (pass: string | undefined): string => [
      'requirepass X',
      ...(pass === undefined ? [] : [`sentinel sentinel-pass ${pass}`]),
      `sentinel monitor mymaster 127.0.0.1 ${master.port} 2`,
      `sentinel down-after-milliseconds mymaster ${DOWN_AFTER_MS}`,
      '',
    ].join('\n');
    const [a, b, c, wrong] = await startAll([conf('X'), conf('X'), conf(undefined), conf('WRONG')].map((text) => startTsSentinel(text, { auth: X })));
    for (const [self, other] of [[a!, b!], [b!, a!], [c!, a!], [a!, c!]] as const) {
      await waitFor(async () => {
        const m = await masterOf(self, X);
        const peers = await sentinelsOf(self, X);
        const peer = peers.find((p) => Number(p['port']) === other.port);
        return Number(m['num-other-sentinels']) >= 1 && peer !== undefined && healthy(peer);
      }, { timeoutMs: 15_000, intervalMs: 200, what: `port ${self.port} to see port ${other.port} as a healthy peer` });
    }
    // Like redis-sentinel, the wrong pass still learns its peers from the
    // master's hello channel, but its PINGs get NOAUTH: the peers go s_down.
    await waitFor(async () => {
      const peers = await sentinelsOf(wrong!, X);
      return peers.length === 3 && peers.every((p) => String(p['flags']).includes('s_down') && Number(p['last-ok-ping-reply']) > DOWN_AFTER_MS);
    }, { timeoutMs: 15_000, intervalMs: 200, what: 'the wrong-pass sentinel to see all three peers s_down' });
    // The other way round is fine: the wrong-pass sentinel's own requirepass is X.
    await waitFor(async () => {
      const peers = await sentinelsOf(a!, X);
      return peers.length === 3 && peers.every(healthy);
    }, { timeoutMs: 10_000, intervalMs: 200, what: 'a right-pass sentinel to see all three peers healthy' });
  });
});

// ---------------------------------------------------------------------------
// auth-pass to monitored instances

describe('auth-pass to a redis-server with requirepass', () => {
  it('links with the password, fails after the server changed it, heals after SENTINEL SET auth-pass', async () => {
    // Passwords are set once the servers run: the start-up check PINGs without one.
    const master = await startRedis();
    const replica = await startRedis({ replicaOf: { host: '127.0.0.1', port: master.port } });
    for (const server of [replica, master]) {
      await call(server.port, [], 'CONFIG', 'SET', 'masterauth', 'old');
      await call(server.port, [], 'CONFIG', 'SET', 'requirepass', 'old');
    }
    const sentinel = await startTsSentinel([
      `sentinel monitor mymaster 127.0.0.1 ${master.port} 2`,
      `sentinel down-after-milliseconds mymaster ${DOWN_AFTER_MS}`,
      'sentinel auth-pass mymaster old',
      '',
    ].join('\n'));
    const linkOk = async (): Promise<boolean> => {
      const m = await masterOf(sentinel, []);
      const r = await call(sentinel.port, [], 'SENTINEL', 'REPLICAS', 'mymaster');
      const replicas = r.type === 'array' ? r.items.map(toRecord) : [];
      return m['flags'] === 'master' && Number(m['last-ok-ping-reply']) < DOWN_AFTER_MS && m['num-slaves'] === '1'
        && replicas.every((x) => x['flags'] === 'slave' && Number(x['last-ok-ping-reply']) < DOWN_AFTER_MS);
    };
    await waitFor(linkOk, { timeoutMs: 15_000, intervalMs: 200, what: 'the sentinel to link to the master and its replica with auth-pass' });

    // New password on both servers; their existing connections stay
    // authenticated, so the sentinel's links are cut to make it log in again.
    for (const server of [master, replica]) {
      await call(server.port, ['old'], 'CONFIG', 'SET', 'masterauth', 'new');
      await call(server.port, ['old'], 'CONFIG', 'SET', 'requirepass', 'new');
      await call(server.port, ['new'], 'CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      await call(server.port, ['new'], 'CLIENT', 'KILL', 'TYPE', 'pubsub');
    }
    await waitFor(async () => {
      const m = await masterOf(sentinel, []);
      return String(m['flags']).includes('s_down') && Number(m['last-ok-ping-reply']) > DOWN_AFTER_MS;
    }, { timeoutMs: 10_000, intervalMs: 200, what: 'the master to go s_down: its PINGs fail with the old password' });

    expect(toPlain(await call(sentinel.port, [], 'SENTINEL', 'SET', 'mymaster', 'auth-pass', 'new'))).toBe('OK');
    await waitFor(linkOk, { timeoutMs: 10_000, intervalMs: 200, what: 'the links to heal after SENTINEL SET auth-pass new' });
  });
});
