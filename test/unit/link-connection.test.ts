/**
 * The outbound link against a scripted RESP server on loopback: one FIFO of
 * replies (whole or byte by byte), server errors kept as ReplyError for the
 * PING classification, a lost connection failing every pending reply, and
 * the pub/sub connection's SUBSCRIBE, pushes and refusal.
 */
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyPingReply } from '../../src/core/monitor.js';
import { defaultMasterConfig, defaultSentinelConfig } from '../../src/config/model.js';
import type { InstanceRef } from '../../src/core/effects.js';
import { seededRandom, stateFromConfig } from '../../src/core/sentinel.js';
import type { CoreEvent } from '../../src/core/step.js';
import { Connection, ReplyLostError, isSelfConnection, type ReplyCallback } from '../../src/links/connection.js';
import { InstanceLink, type LinkListener } from '../../src/links/link.js';
import { bytesToText, textToBytes } from '../../src/byteText.js';
import { LinkPool } from '../../src/shell/linkPool.js';

type Script = (command: string[], socket: net.Socket) => string | undefined;

interface Fake {
  port: number;
  received: string[][];
  sockets: net.Socket[];
  close(): void;
}

/** A RESP server answering each command (multi-bulk only) with script's raw reply, written byte by byte when `trickle`. */
async function fakeServer(script: Script, trickle = false): Promise<Fake> {
  const received: string[][] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    let buf = '';
    socket.on('data', (chunk: Buffer) => {
      buf += chunk.toString('latin1');
      for (;;) {
        const parsed = parseCommand(buf);
        if (!parsed) break;
        buf = buf.slice(parsed.used);
        received.push(parsed.args);
        const reply = script(parsed.args, socket);
        if (reply === undefined) continue;
        if (!trickle) socket.write(reply);
        else for (const ch of reply) socket.write(ch);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port, received, sockets,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

function parseCommand(buf: string): { args: string[]; used: number } | undefined {
  const lines = buf.split('\r\n');
  if (lines.length < 2 || !lines[0]!.startsWith('*')) return undefined;
  const n = Number(lines[0]!.slice(1));
  if (lines.length < 1 + 2 * n + 1) return undefined;
  const args: string[] = [];
  for (let i = 0; i < n; i++) args.push(lines[2 + 2 * i]!);
  const used = lines.slice(0, 1 + 2 * n).join('\r\n').length + 2;
  return { args, used };
}

const fakes: Fake[] = [];
const links: InstanceLink[] = [];
afterEach(() => {
  for (const l of links.splice(0)) l.close();
  for (const f of fakes.splice(0)) f.close();
});

interface Recorded extends LinkListener {
  log: string[];
  next(what: string): Promise<void>;
}

function recorder(): Recorded {
  const log: string[] = [];
  const waiters: Array<{ what: string; resolve: () => void }> = [];
  const push = (s: string) => {
    log.push(s);
    for (const w of waiters.splice(0)) {
      if (log.some((l) => l.startsWith(w.what))) w.resolve();
      else waiters.push(w);
    }
  };
  return {
    log,
    up: () => push('up'),
    authRefused: (err) => push(`authRefused ${err}`),
    down: (reason) => push(`down ${reason}`),
    pubsubUp: () => push('pubsubUp'),
    pubsubDown: () => push('pubsubDown'),
    message: (channel, payload) => push(`message ${channel} ${payload}`),
    next: (what) => new Promise((resolve) => {
      if (log.some((l) => l.startsWith(what))) resolve();
      else waiters.push({ what, resolve });
    }),
  };
}

/** Resolves once `cond` holds (polled every 5 ms, 2 s at most). */
async function waitUntil(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}

/** The reply a callback-taking link method delivers, as a promise (rejected on an error or the loss). */
function reply(send: (done: ReplyCallback) => void): Promise<unknown> {
  return new Promise((resolve, reject) => send((err, r) => (err ? reject(err) : resolve(r))));
}

async function open(fake: Fake, opts: { password?: string; rename?: Record<string, string>; stallLimitMs?: number } = {}) {
  fakes.push(fake);
  const rec = recorder();
  const link = new InstanceLink({
    host: '127.0.0.1',
    port: fake.port,
    auth: () => (opts.password === undefined ? {} : { password: opts.password }),
    clientNamePrefix: 'sentinel-12345678',
    rename: (c) => opts.rename?.[c] ?? c,
    ...(opts.stallLimitMs === undefined ? {} : { stallLimitMs: () => opts.stallLimitMs! }),
  }, rec);
  links.push(link);
  return { link, rec };
}

const standard: Script = (args) => {
  const cmd = args[0]!.toLowerCase();
  if (cmd === 'ping') return '+PONG\r\n';
  if (cmd === 'info' || cmd === 'myinfo') return '$16\r\n# Server\r\nrole:m\r\n';
  if (cmd === 'subscribe') return `*3\r\n$9\r\nsubscribe\r\n$${args[1]!.length}\r\n${args[1]}\r\n:1\r\n`;
  if (cmd === 'publish') return ':1\r\n';
  return '+OK\r\n';
};

describe('InstanceLink over its own connection', () => {
  for (const trickle of [false, true]) {
    it(`matches replies to commands in order (${trickle ? 'byte by byte' : 'whole'}) after AUTH and CLIENT SETNAME`, async () => {
      const { link, rec } = await open(await fakeServer(standard, trickle), { password: 'pw', rename: { info: 'myinfo' } });
      link.connect();
      await rec.next('up');
      const replies = await Promise.all([reply((d) => link.ping(d)), reply((d) => link.info(d)), reply((d) => link.publishHello('a,b', d)), reply((d) => link.call(d, 'ping'))]);
      expect(replies).toEqual(['PONG', '# Server\r\nrole:m', 1, 'PONG']);
      expect(fakes[0]!.received).toEqual([
        ['auth', 'pw'],
        ['client', 'setname', 'sentinel-12345678-cmd'],
        ['ping'], ['myinfo'], ['publish', '__sentinel__:hello', 'a,b'], ['ping'],
      ]);
    });
  }

  it('hands server errors over as ReplyError, so -LOADING and -MASTERDOWN count as valid PING replies', async () => {
    const errors = ['-LOADING Redis is loading\r\n', '-MASTERDOWN Link with MASTER is down\r\n', '-ERR nope\r\n'];
    const { link, rec } = await open(await fakeServer((args) => (args[0] === 'ping' ? errors.shift() : '+OK\r\n')));
    link.connect();
    await rec.next('up');
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const err = await reply((d) => link.ping(d)).then(() => undefined, (e: unknown) => e as Error);
      expect(err?.name).toBe('ReplyError');
      outcomes.push(classifyPingReply(err!.message));
    }
    expect(outcomes).toEqual(['valid', 'valid', 'invalid']);
  });

  it('fails every pending reply when the connection is lost, and reports it down once', async () => {
    const { link, rec } = await open(await fakeServer((args) => (args[0] === 'client' ? '+OK\r\n' : undefined)));
    link.connect();
    await rec.next('up');
    const pending = [reply((d) => link.ping(d)), reply((d) => link.info(d)), reply((d) => link.ping(d))].map((p) => p.then(() => 'ok', (e: Error) => e.message));
    await new Promise((r) => setTimeout(r, 20));
    expect(link.pendingCount).toBe(3);
    fakes[0]!.sockets[0]!.destroy();
    expect(await Promise.all(pending)).toEqual(['link down', 'link down', 'link down']);
    await rec.next('down');
    expect(rec.log.filter((l) => l.startsWith('down'))).toHaveLength(1);
    await expect(reply((d) => link.ping(d))).rejects.toThrow('link down');
  });

  it('sends MULTI, the commands and EXEC back to back and resolves with EXEC reply', async () => {
    const { link, rec } = await open(await fakeServer((args) => {
      if (args[0] === 'multi') return '+OK\r\n';
      if (args[0] === 'exec') return '*2\r\n+OK\r\n-ERR no rewrite\r\n';
      return '+QUEUED\r\n';
    }), { rename: { config: 'cfg' } });
    link.connect();
    await rec.next('up');
    const execReply = await reply((d) => link.transaction([['slaveof', 'NO', 'ONE'], ['config', 'rewrite']], d)) as unknown[];
    expect(execReply[0]).toBe('OK');
    expect((execReply[1] as Error).message).toBe('ERR no rewrite');
    expect(fakes[0]!.received.slice(-4)).toEqual([['multi'], ['slaveof', 'NO', 'ONE'], ['cfg', 'rewrite'], ['exec']]);
  });

  it('subscribes the pub/sub connection and reports every message on it', async () => {
    const { link, rec } = await open(await fakeServer(standard));
    link.connectPubsub();
    await rec.next('pubsubUp');
    expect(fakes[0]!.received).toEqual([
      ['client', 'setname', 'sentinel-12345678-pubsub'], ['subscribe', '__sentinel__:hello'],
    ]);
    fakes[0]!.sockets[0]!.write('*3\r\n$7\r\nmessage\r\n$18\r\n__sentinel__:hello\r\n$5\r\nhi,yo\r\n');
    await rec.next('message');
    expect(rec.log).toContain('message __sentinel__:hello hi,yo');
    // The command connection is separate and was never opened.
    expect(link.connected).toBe(false);
  });

  it('carries bytes that are not UTF-8 both ways: AUTH, PUBLISH of a hello, a hello heard on the pub/sub connection', async () => {
    // The fake reads latin1: one character per byte received.
    const pass = bytesToText(Buffer.from('p\xff\xfeq', 'latin1'));
    const hello = `127.0.0.1,26379,${'a'.repeat(40)},0,${bytesToText(Buffer.from('n\xc3\xa4\xff', 'latin1'))},127.0.0.1,6379,0`;
    const { link, rec } = await open(await fakeServer(standard), { password: pass, rename: { publish: bytesToText(Buffer.from('pub\xff', 'latin1')) } });
    link.connect();
    await rec.next('up');
    expect(await reply((d) => link.publishHello(hello, d))).toBe('OK');
    expect(await reply((d) => link.ping(d))).toBe('PONG');
    expect(fakes[0]!.received).toEqual([
      ['auth', 'p\xff\xfeq'], ['client', 'setname', 'sentinel-12345678-cmd'],
      ['pub\xff', '__sentinel__:hello', textToBytes(hello).toString('latin1')], ['ping'],
    ]);
    link.connectPubsub();
    await rec.next('pubsubUp');
    const payload = textToBytes(hello);
    fakes[0]!.sockets[1]!.write(Buffer.concat([
      Buffer.from(`*3\r\n$7\r\nmessage\r\n$18\r\n__sentinel__:hello\r\n$${payload.length}\r\n`), payload, Buffer.from('\r\n'),
    ]));
    await rec.next('message');
    expect(rec.log).toContain(`message __sentinel__:hello ${hello}`);
  });

  it('drops the pub/sub connection when SUBSCRIBE is refused', async () => {
    const { link, rec } = await open(await fakeServer((args) =>
      (args[0] === 'subscribe' ? "-NOPERM this user has no permissions to access one of the channels\r\n" : '+OK\r\n')));
    link.connectPubsub();
    await rec.next('pubsubDown');
    expect(rec.log).toEqual(['pubsubDown']);
  });

  it('fails a transaction lost after it was sent with ReplyLostError, one never sent with a plain error', async () => {
    const { link, rec } = await open(await fakeServer((args, socket) => {
      if (args[0] === 'exec') {
        socket.destroy();
        return undefined;
      }
      return args[0] === 'client' || args[0] === 'multi' ? '+OK\r\n' : '+QUEUED\r\n';
    }));
    const unsent = await reply((d) => link.transaction([['slaveof', 'NO', 'ONE']], d)).catch((e: unknown) => e as Error);
    expect(unsent).toBeInstanceOf(Error);
    expect(unsent).not.toBeInstanceOf(ReplyLostError);
    link.connect();
    await rec.next('up');
    const lost = await reply((d) => link.transaction([['slaveof', 'NO', 'ONE']], d)).catch((e: unknown) => e as Error);
    expect(lost).toBeInstanceOf(ReplyLostError);
    expect((lost as Error).message).toBe('link down');
  });

  it('comes up when AUTH is refused, telling why (redis-sentinel discards the reply), and when the server has no password', async () => {
    const refusing = await open(await fakeServer((args) =>
      (args[0] === 'auth' ? '-WRONGPASS invalid username-password pair or user is disabled.\r\n' : '+OK\r\n')), { password: 'pw' });
    refusing.link.connect();
    await refusing.rec.next('authRefused');
    expect(refusing.rec.log).toEqual(['up', 'authRefused WRONGPASS invalid username-password pair or user is disabled.']);
    expect(refusing.link.connected).toBe(true);
    const lax = await open(await fakeServer((args) => (args[0] === 'auth'
      ? '-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n'
      : '+OK\r\n')), { password: 'pw', rename: { client: '' } });
    lax.link.connect();
    await lax.rec.next('up');
    await waitUntil(() => fakes[1]!.received.length > 0);
    expect(fakes[1]!.received).toEqual([['auth', 'pw']]);
    expect(lax.rec.log).toEqual(['up']);
  });

  it('does not send a failover step queued before a stall; the connection fails instead, its commands with StalledError', async () => {
    const fake = await fakeServer(standard);
    const { link, rec } = await open(fake, { stallLimitMs: 50 });
    link.connect();
    await rec.next('up');
    await waitUntil(() => fake.received.length > 0); // CLIENT SETNAME
    const sentBefore = fake.received.length;
    const outcomes: string[] = [];
    link.transaction([['slaveof', 'NO', 'ONE']], (err) => outcomes.push(err ? err.name : 'ok'));
    link.ping((err) => outcomes.push(err ? `ping ${err.name}` : 'ping ok'));
    // The process stalls after the decision, before the write (what SIGSTOP does between them).
    const until = performance.now() + 80;
    while (performance.now() < until) { /* stalled */ }
    await rec.next('down');
    expect(outcomes).toEqual(['StalledError', 'ping StalledError']);
    expect(rec.log.find((l) => l.startsWith('down'))).toMatch(/^down not sent: the process stalled for \d+ ms/);
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.received.slice(sentBefore)).toEqual([]);
  });

  it('sends a failover step that waited less than the limit, and unguarded commands after any pause', async () => {
    const fake = await fakeServer(standard);
    const { link, rec } = await open(fake, { stallLimitMs: 50 });
    link.connect();
    await rec.next('up');
    await reply((done) => link.transaction([['slaveof', 'NO', 'ONE']], done));
    const pinged = reply((done) => link.ping(done));
    const until = performance.now() + 80;
    while (performance.now() < until) { /* a pause before an unguarded command's flush */ }
    expect(await pinged).toBe('PONG');
    expect(fake.received.map((a) => a[0])).toContain('slaveof');
  });

  it('never reconnects by itself', async () => {
    const { link, rec } = await open(await fakeServer(standard));
    link.connect();
    link.connectPubsub();
    await rec.next('up');
    await rec.next('pubsubUp');
    for (const s of fakes[0]!.sockets) s.destroy();
    await rec.next('down');
    await rec.next('pubsubDown');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(fakes[0]!.sockets).toHaveLength(2);
    expect(link.connected).toBe(false);
  });
});

describe('LinkPool SLAVEOF transaction outcome', () => {
  /** A pool whose one master is the fake server; what it reports, by kind. */
  async function poolOn(script: Script) {
    const fake = await fakeServer(script);
    fakes.push(fake);
    const cfg = defaultSentinelConfig();
    cfg.masters.push(defaultMasterConfig('mymaster', '127.0.0.1', fake.port, 1));
    const state = stateFromConfig(cfg, '1'.repeat(40), 0, seededRandom(7));
    const key = state.masters.get('mymaster')!.linkKey;
    const reported: string[] = [];
    const events: CoreEvent[] = [];
    const pool = new LinkPool({
      state,
      config: () => cfg,
      feed: (e) => events.push(e),
      hello: () => undefined,
      beforeInfo: () => Promise.resolve(),
      slaveofFailed: (err) => reported.push(`failed ${err instanceof Error ? err.message : String(err)}`),
      slaveofUnconfirmed: () => reported.push('unconfirmed'),
      warn: () => undefined,
    });
    pools.push(pool);
    pool.connect(key);
    await waitUntil(() => events.some((e) => e.type === 'linkUp'));
    const target: InstanceRef = { master: 'mymaster', kind: 'master', name: `127.0.0.1:${fake.port}` };
    const slaveof = () => new Promise<boolean>((resolve) => pool.slaveof(key, target, '127.0.0.1', 6380, resolve));
    return { reported, slaveof };
  }

  const pools: LinkPool[] = [];
  afterEach(() => {
    for (const p of pools.splice(0)) p.closeAll();
  });

  async function waitUntil(cond: () => boolean): Promise<void> {
    while (!cond()) await new Promise((r) => setTimeout(r, 5));
  }

  const transaction = (exec: (socket: net.Socket) => string | undefined): Script => (args, socket) => {
    if (args[0] === 'exec') return exec(socket);
    return args[0] === 'client' || args[0] === 'multi' ? '+OK\r\n' : '+QUEUED\r\n';
  };

  it('reports nothing when EXEC\'s reply is lost with the link after the transaction was sent (it may have taken effect)', async () => {
    const { reported, slaveof } = await poolOn(transaction((socket) => {
      socket.destroy();
      return undefined;
    }));
    expect(await slaveof()).toBe(false);
    expect(reported).toEqual(['unconfirmed']);
  });

  it('reports a failure when EXEC is refused', async () => {
    const { reported, slaveof } = await poolOn(transaction(() => '-EXECABORT Transaction discarded because of previous errors.\r\n'));
    expect(await slaveof()).toBe(false);
    expect(reported).toEqual(['failed EXECABORT Transaction discarded because of previous errors.']);
  });

  it('reports nothing when EXEC succeeds', async () => {
    const { reported, slaveof } = await poolOn(transaction(() => '*4\r\n+OK\r\n+OK\r\n:1\r\n:0\r\n'));
    expect(await slaveof()).toBe(true);
    expect(reported).toEqual([]);
  });
});

describe('a connection to itself', () => {
  it('is recognised (a connect to a free port given that port as its source port), and an ordinary one is not', async () => {
    // Find a free port, then connect to it from it: Linux completes this as a simultaneous open.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const self = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.1', localPort: port });
    try {
      await new Promise<void>((resolve, reject) => { self.once('connect', resolve); self.once('error', reject); });
      expect(isSelfConnection(self)).toBe(true);
    } finally {
      self.destroy();
    }
    const fake = await fakeServer(standard);
    fakes.push(fake);
    const other = net.connect({ host: '127.0.0.1', port: fake.port });
    try {
      await new Promise<void>((resolve) => other.once('connect', resolve));
      expect(isSelfConnection(other)).toBe(false);
    } finally {
      other.destroy();
    }
  });
});

describe('Connection memory', () => {
  it('keeps no answered reply callback (nor what it holds) reachable', async () => {
    const fake = await fakeServer(standard);
    fakes.push(fake);
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    let opened!: () => void;
    const isOpen = new Promise<void>((resolve) => { opened = resolve; });
    const conn = new Connection({ host: '127.0.0.1', port: fake.port, onOpen: () => opened(), onClose: () => undefined });
    await isOpen;
    const held: WeakRef<object>[] = [];
    // Fewer than the 64 answered entries the FIFO used to keep before compacting.
    for (let i = 0; i < 10; i++) {
      const payload = { i, data: new Array(100).fill(i) };
      held.push(new WeakRef(payload));
      await new Promise<void>((resolve) => conn.send('*1\r\n$4\r\nPING\r\n', () => resolve(void payload.i)));
    }
    expect(conn.pendingCount).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    expect(held.filter((w) => w.deref() !== undefined).length).toBe(0);
    conn.close();
  });
});

describe('Connection reads (one read buffer shared by all connections)', () => {
  /** A server that writes each given piece after the previous, `gapMs` apart, when the first command arrives. */
  async function pieces(parts: readonly string[], gapMs: number): Promise<Fake> {
    let started = false;
    const fake = await fakeServer((_args, socket) => {
      if (started) return undefined;
      started = true;
      void (async () => {
        for (const p of parts) {
          socket.write(p);
          await new Promise((r) => setTimeout(r, gapMs));
        }
      })();
      return undefined;
    });
    fakes.push(fake);
    return fake;
  }

  async function connect(port: number): Promise<Connection> {
    let opened!: () => void;
    const isOpen = new Promise<void>((resolve) => { opened = resolve; });
    const conn = new Connection({ host: '127.0.0.1', port, onOpen: () => opened(), onClose: () => undefined });
    await isOpen;
    return conn;
  }

  it('keeps a reply split across reads intact while other connections read into the same buffer', async () => {
    // A 300 KB bulk string (larger than the 64 KB read buffer: redis-parser's
    // big-string path) and an array split inside an element, each in pieces
    // sent 30 ms apart; a second connection receives a 64 KB reply of 'z'
    // between every two pieces, overwriting the shared buffer each time.
    const big = 'a'.repeat(100_000) + 'b'.repeat(100_000) + 'c'.repeat(100_000);
    const bulk = `$${big.length}\r\n${big}\r\n`;
    const array = '*3\r\n$5\r\nhello\r\n:42\r\n$6\r\nworld!\r\n';
    const splitAt = [7, 150_000, 299_990];
    const bulkParts = [bulk.slice(0, splitAt[0]), bulk.slice(splitAt[0], splitAt[1]), bulk.slice(splitAt[1], splitAt[2]), bulk.slice(splitAt[2])];
    const arrayParts = [array.slice(0, 12), array.slice(12, 20), array.slice(20)];
    const a = await connect((await pieces([...bulkParts, ...arrayParts], 30)).port);
    const noiseReply = `$${64 * 1024}\r\n${'z'.repeat(64 * 1024)}\r\n`;
    const noise = await connect((await pieces(Array.from({ length: 16 }, () => noiseReply), 15)).port);
    const noiseReplies: unknown[] = [];
    for (let i = 0; i < 16; i++) noise.send('*1\r\n$4\r\nPING\r\n', (_e, r) => noiseReplies.push(r));
    const replies = await Promise.all([0, 1].map(() => new Promise((resolve, reject) =>
      a.send('*1\r\n$4\r\nPING\r\n', (err, r) => (err ? reject(err) : resolve(r))))));
    expect((replies[0] as string).length).toBe(big.length);
    expect(replies[0] === big).toBe(true);
    expect(replies[1]).toEqual(['hello', 42, 'world!']);
    await new Promise((r) => setTimeout(r, 300));
    expect(noiseReplies).toHaveLength(16);
    expect(noiseReplies.every((r) => r === 'z'.repeat(64 * 1024))).toBe(true);
    a.close();
    noise.close();
  });
});

describe('Connection callbacks that throw', () => {
  it('leave the parser whole: the replies after it reach their own callbacks, and the error reaches the process', async () => {
    // Three replies in one write, so all three are parsed in one read.
    const fake = await fakeServer((args) => (args[0] === 'ping' ? ':1\r\n:2\r\n:3\r\n' : undefined));
    fakes.push(fake);
    let opened!: () => void;
    const isOpen = new Promise<void>((resolve) => { opened = resolve; });
    const conn = new Connection({ host: '127.0.0.1', port: fake.port, onOpen: () => opened(), onClose: () => undefined });
    await isOpen;
    // The process's safety net (cli.ts) stands in for vitest's own listener for the duration.
    const saved = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    const caught: unknown[] = [];
    process.on('uncaughtException', (err) => caught.push(err));
    try {
      const got: unknown[] = [];
      const all = new Promise<void>((resolve) => {
        conn.send('*1\r\n$4\r\nping\r\n', () => { throw new Error('callback bug'); });
        conn.send('*1\r\n$4\r\necho\r\n', (_e, r) => got.push(r));
        conn.send('*1\r\n$4\r\necho\r\n', (_e, r) => { got.push(r); resolve(); });
      });
      await all;
      await new Promise((r) => setTimeout(r, 20));
      expect(got).toEqual([2, 3]);
      expect(caught.map((e) => (e as Error).message)).toEqual(['callback bug']);
      expect(conn.pendingCount).toBe(0);
    } finally {
      process.removeAllListeners('uncaughtException');
      for (const l of saved) process.on('uncaughtException', l);
      conn.close();
    }
  });
});
