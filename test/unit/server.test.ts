import net from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { registerBuiltins } from '../../src/server/builtins.js';
import { bulk, error, simple } from '../../src/server/reply.js';
import { RespServer, type RespServerOptions } from '../../src/server/server.js';

const servers: RespServer[] = [];
const sockets: net.Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function startServer(opts: Partial<RespServerOptions> = {}): Promise<RespServer> {
  const server = new RespServer({
    port: 0,
    bind: ['127.0.0.1'],
    maxClients: 100,
    logger: pino({ level: 'silent' }),
    ...opts,
  });
  registerBuiltins(server);
  // A command answering after argv[1] ms: exercises ordering behind a pending Promise.
  server.register({
    name: 'slowecho',
    arity: 2,
    flags: [],
    categories: [],
    handler: (_ctx, argv) => new Promise((r) => setTimeout(() => r(bulk(argv[1] as string)), Number(argv[1]))),
  });
  server.register({ name: 'boom', arity: 1, flags: [], categories: [], handler: () => { throw new Error('bug'); } });
  server.register({
    name: 'sentinel',
    arity: -2,
    flags: ['admin'],
    categories: ['admin'],
    subcommands: [{ name: 'sentinel|masters', arity: 2, flags: ['admin'], categories: ['admin'], handler: () => simple('MASTERS') }],
  });
  await server.listen();
  servers.push(server);
  return server;
}

/** A raw connection that accumulates every byte received. */
class Conn {
  data = '';
  closed = false;
  private waiters: Array<() => void> = [];

  constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.data += d.toString('latin1');
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static async open(port: number): Promise<Conn> {
    const s = net.connect(port, '127.0.0.1');
    sockets.push(s);
    await new Promise<void>((r, j) => s.once('connect', () => r()).once('error', j));
    return new Conn(s);
  }

  send(text: string): this {
    this.socket.write(Buffer.from(text, 'latin1'));
    return this;
  }

  /** Sends and waits until `expected` bytes arrived; returns them and clears the buffer. */
  async exchange(text: string, expectedBytes: string): Promise<string> {
    this.send(text);
    return this.take(expectedBytes.length);
  }

  async take(bytes: number, timeoutMs = 2000): Promise<string> {
    await this.until(() => this.data.length >= bytes || this.closed, timeoutMs);
    const out = this.data.slice(0, bytes);
    this.data = this.data.slice(bytes);
    return out;
  }

  async until(pred: () => boolean, timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timeout; received so far: ${JSON.stringify(this.data)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 20);
      });
    }
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

function helloReply(id: number, proto: 2 | 3): string {
  const fields = `$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:${proto}\r\n$2\r\nid\r\n:${id}\r\n$4\r\nmode\r\n$8\r\nsentinel\r\n$7\r\nmodules\r\n*0\r\n`;
  return `${proto === 3 ? '%6' : '*12'}\r\n${fields}`;
}

async function expectTake(c: Conn, expected: string): Promise<void> {
  expect(await c.take(expected.length)).toBe(expected);
}

async function expectReply(c: Conn, send: string, expected: string): Promise<void> {
  expect(await c.exchange(send, expected)).toBe(expected);
}

describe('RespServer: requests and replies', () => {
  it('keeps pipelined replies in order behind an async handler', async () => {
    const s = await startServer();
    const c = await Conn.open(s.port);
    const expected = '$2\r\n50\r\n+PONG\r\n$1\r\n1\r\n$1\r\nx\r\n';
    await expectReply(c, 'SLOWECHO 50\r\nPING\r\n*2\r\n$8\r\nslowecho\r\n$1\r\n1\r\nPING x\r\n', expected);
  });

  it('serves inline commands as typed in telnet, byte by byte', async () => {
    const s = await startServer();
    const c = await Conn.open(s.port);
    for (const ch of 'ping "hello world"\r\n\r\nPING\n') c.send(ch);
    await expectTake(c, '$11\r\nhello world\r\n+PONG\r\n');
  });

  it('answers a protocol error after earlier commands, then closes', async () => {
    const s = await startServer();
    const c = await Conn.open(s.port);
    c.send('PING\r\n*1\r\n:1\r\nPING\r\n');
    await c.until(() => c.closed);
    expect(c.data).toBe("+PONG\r\n-ERR Protocol error: expected '$', got ':'\r\n");
  });

  it('rejects unknown commands, subcommands and wrong arity with Redis wording', async () => {
    const s = await startServer();
    const c = await Conn.open(s.port);
    await expectReply(c, 'GET x y\r\n', "-ERR unknown command 'GET', with args beginning with: 'x' 'y' \r\n");
    await expectReply(c, 'QUIT\r\n', "-ERR unknown command 'QUIT', with args beginning with: \r\n");
    await expectReply(c, 'sentinel foo\r\n', "-ERR unknown subcommand 'foo'. Try SENTINEL HELP.\r\n");
    await expectReply(c, 'sentinel masters x\r\n', "-ERR wrong number of arguments for 'sentinel|masters' command\r\n");
    await expectReply(c, 'sentinel\r\n', "-ERR wrong number of arguments for 'sentinel' command\r\n");
    await expectReply(c, 'SENTINEL MASTERS\r\n', '+MASTERS\r\n');
    await expectReply(c, 'PING a b\r\n', "-ERR wrong number of arguments for 'ping' command\r\n");
    const long = `GET ${'a'.repeat(200)} b\r\n`;
    await expectReply(c, long, `-ERR unknown command 'GET', with args beginning with: '${'a'.repeat(128)}' \r\n`);
  });

  it('survives a throwing handler and a client leaving before its async reply', async () => {
    const s = await startServer();
    const c = await Conn.open(s.port);
    await expectReply(c, 'BOOM\r\n', "-ERR internal error while executing 'boom'\r\n");
    const gone = await Conn.open(s.port);
    gone.send('SLOWECHO 30\r\n');
    gone.socket.destroy();
    await new Promise((r) => setTimeout(r, 60));
    await expectReply(c, 'PING\r\n', '+PONG\r\n');
  });

  it('switches to RESP3 with HELLO 3', async () => {
    const s = await startServer();
    const c = await Conn.open(s.port);
    const id = [...s.clients()][0]?.id as number;
    await expectReply(c, 'HELLO\r\n', helloReply(id, 2));
    await expectReply(c, 'HELLO 3\r\n', helloReply(id, 3));
    await expectReply(c, 'CLIENT GETNAME\r\n', '_\r\n');
    await expectReply(c, 'HELLO 4\r\n', '-NOPROTO unsupported protocol version\r\n');
  });
});

describe('RespServer: pub/sub', () => {
  it('delivers messages and pattern messages, RESP2 and RESP3', async () => {
    const s = await startServer();
    const a = await Conn.open(s.port);
    const b = await Conn.open(s.port);
    await expectReply(a, 'SUBSCRIBE +sdown\r\n', '*3\r\n$9\r\nsubscribe\r\n$6\r\n+sdown\r\n:1\r\n');
    await expectReply(b, 'HELLO 3\r\n', helloReply([...s.clients()][1]?.id as number, 3));
    await expectReply(b, 'PSUBSCRIBE +*\r\n', '>3\r\n$10\r\npsubscribe\r\n$2\r\n+*\r\n:1\r\n');
    expect(s.publish('+sdown', 'master m 127.0.0.1 6379')).toBe(2);
    await expectTake(a, '*3\r\n$7\r\nmessage\r\n$6\r\n+sdown\r\n$23\r\nmaster m 127.0.0.1 6379\r\n');
    await expectTake(b, '>4\r\n$8\r\npmessage\r\n$2\r\n+*\r\n$6\r\n+sdown\r\n$23\r\nmaster m 127.0.0.1 6379\r\n');
    expect(s.publish('-sdown', 'x')).toBe(0);
    expect(s.stats()).toMatchObject({ pubsubChannels: 1, pubsubPatterns: 1 });
  });

  it('restricts a RESP2 subscriber to pub/sub commands and PING', async () => {
    const s = await startServer();
    const c = await Conn.open(s.port);
    await c.exchange('SUBSCRIBE a\r\n', '*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n');
    await expectReply(c, 'PING\r\n', '*2\r\n$4\r\npong\r\n$0\r\n\r\n');
    await expectReply(c, 'CLIENT ID\r\n', "-ERR Can't execute 'client|id': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n");
    await expectReply(c, 'UNSUBSCRIBE\r\n', '*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n');
    await expectReply(c, 'UNSUBSCRIBE\r\n', '*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n');
    await expectReply(c, 'PING\r\n', '+PONG\r\n');
    expect(s.stats().pubsubChannels).toBe(0);
  });

  it('PUBLISH accepts only hellos and hands them to the host', async () => {
    const s = await startServer();
    const seen: string[] = [];
    s.onHelloPublish = (ch, msg) => seen.push(`${ch} ${msg}`);
    const c = await Conn.open(s.port);
    await expectReply(c, 'PUBLISH a b\r\n', '-ERR Only HELLO messages are accepted by Sentinel instances.\r\n');
    await expectReply(c, 'PUBLISH __sentinel__:hello 1,2,3\r\n', ':1\r\n');
    expect(seen).toEqual(['__sentinel__:hello 1,2,3']);
  });
});

describe('RespServer: clients', () => {
  it('formats CLIENT LIST lines like redis-sentinel', async () => {
    const s = await startServer();
    const c = await Conn.open(s.port);
    await c.exchange('CLIENT SETNAME app\r\n', '+OK\r\n');
    c.send('CLIENT LIST\r\n');
    await c.until(() => /\r\n.*\n\r\n$/s.test(c.data));
    const line = /^\$\d+\r\n(.*)\n\r\n$/s.exec(c.data)?.[1] ?? '';
    expect(line).toMatch(
      /^id=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ fd=\d+ name=app age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=13 qbuf-free=20461 argv-mem=10 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=37658 events=r cmd=client\|list user=default redir=-1 resp=2$/,
    );
    expect(Number(/^\$(\d+)/.exec(c.data)?.[1])).toBe(Buffer.byteLength(line) + 1);
  });

  it('CLIENT KILL closes the other connection and counts it', async () => {
    const s = await startServer();
    const victim = await Conn.open(s.port);
    const c = await Conn.open(s.port);
    const victimId = [...s.clients()][0]?.id as number;
    await expectReply(c, `CLIENT KILL ID ${victimId}\r\n`, ':1\r\n');
    await victim.until(() => victim.closed);
    await expectReply(c, 'CLIENT KILL 1.2.3.4:5\r\n', '-ERR No such client\r\n');
  });

  it('CLIENT PAUSE holds other clients until it ends', async () => {
    const s = await startServer();
    const a = await Conn.open(s.port);
    const b = await Conn.open(s.port);
    await expectReply(a, 'CLIENT PAUSE 150\r\n', '+OK\r\n');
    const started = Date.now();
    await expectReply(b, 'PING\r\n', '+PONG\r\n');
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });

  it('CLIENT REPLY OFF and SKIP silence replies', async () => {
    const s = await startServer();
    const c = await Conn.open(s.port);
    await expectReply(c, 'CLIENT REPLY SKIP\r\nPING 1\r\nPING 2\r\nCLIENT REPLY OFF\r\nPING 3\r\nCLIENT REPLY ON\r\n', '$1\r\n2\r\n+OK\r\n');
  });

  it('rejects connections beyond maxclients', async () => {
    const s = await startServer({ maxClients: 2 });
    await Conn.open(s.port);
    await Conn.open(s.port);
    const third = await Conn.open(s.port);
    await third.until(() => third.closed);
    expect(third.data).toBe('-ERR max number of clients reached\r\n');
    expect(s.stats().rejectedConnections).toBe(1);
  });
});

describe('RespServer: authentication', () => {
  it('requires AUTH when requirepass is set', async () => {
    const s = await startServer({ requirePass: 'secret' });
    const c = await Conn.open(s.port);
    await expectReply(c, 'PING\r\n', '-NOAUTH Authentication required.\r\n');
    await expectReply(c, 'FOO\r\n', "-ERR unknown command 'FOO', with args beginning with: \r\n");
    await expectReply(c, 'AUTH nope\r\n', '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    await expectReply(c, 'AUTH default secret\r\nPING\r\n', '+OK\r\n+PONG\r\n');
    const d = await Conn.open(s.port);
    await expectReply(d, 'HELLO 3 AUTH default bad\r\n', '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    d.send('HELLO 3 AUTH default secret\r\n');
    await d.until(() => d.data.includes('modules'));
    expect(d.data.startsWith('%6\r\n')).toBe(true);
  });

  it('caps unauthenticated request sizes', async () => {
    const s = await startServer({ requirePass: 'secret' });
    const c = await Conn.open(s.port);
    c.send('*11\r\n');
    await c.until(() => c.closed);
    expect(c.data).toBe('-ERR Protocol error: unauthenticated multibulk length\r\n');
  });

  it('AUTH without requirepass', async () => {
    const s = await startServer();
    const c = await Conn.open(s.port);
    await expectReply(
      c,
      'AUTH x\r\n',
      '-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n',
    );
    await expectReply(c, 'AUTH default anything\r\n', '+OK\r\n');
  });
});

describe('RespServer: lifecycle', () => {
  it('reports a busy port with Redis wording', async () => {
    const s = await startServer();
    const other = new RespServer({ port: s.port, bind: ['127.0.0.1'], maxClients: 10, logger: pino({ level: 'silent' }) });
    await expect(other.listen()).rejects.toThrow(
      `Could not create server TCP listening socket 127.0.0.1:${s.port}: bind: Address already in use`,
    );
  });

  it('SHUTDOWN waits for the host hook and closes without a reply', async () => {
    const s = await startServer();
    let called = false;
    s.onShutdown = async () => {
      called = true;
    };
    const c = await Conn.open(s.port);
    await expectReply(c, 'SHUTDOWN ABORT\r\n', '-ERR No shutdown in progress.\r\n');
    c.send('SHUTDOWN NOSAVE\r\nPING\r\n');
    await c.until(() => c.closed);
    expect(called).toBe(true);
    expect(c.data).toBe('');
    s.onShutdown = async () => {
      throw new Error('disk full');
    };
    const d = await Conn.open(s.port);
    await expectReply(d, 'SHUTDOWN\r\n', '-ERR Errors trying to SHUTDOWN. Check logs.\r\n');
  });

  it('counts commands, bytes and connections', async () => {
    const s = await startServer();
    const c = await Conn.open(s.port);
    await expectReply(c, 'PING\r\nPING\r\nFOO\r\n', "+PONG\r\n+PONG\r\n-ERR unknown command 'FOO', with args beginning with: \r\n");
    expect(s.stats()).toMatchObject({
      totalConnectionsReceived: 1,
      totalCommandsProcessed: 2,
      totalNetInputBytes: 17,
      totalErrorReplies: 1,
      connectedClients: 1,
    });
  });

  it('a command handler can reply with an error value', async () => {
    const s = await startServer();
    s.register({ name: 'fail', arity: 1, flags: [], categories: [], handler: () => error('ERR nope') });
    const c = await Conn.open(s.port);
    await expectReply(c, 'FAIL\r\n', '-ERR nope\r\n');
  });
});
