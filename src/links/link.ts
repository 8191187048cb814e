/**
 * One outbound connection pair to a monitored instance: a command link
 * (PING, INFO, PUBLISH hello, failover commands) and, for Redis instances, a
 * pub/sub link subscribed to `__sentinel__:hello`.
 *
 * Both connections are opened only when the core asks (connect /
 * connectPubsub effects) and report up, down and every pub/sub message back
 * to it: nothing reconnects on its own and no command has a timer, so a
 * silent or half-open connection is the core's to notice and to drop.
 */
import type { ConnectionOptions } from 'node:tls';
import { HELLO_CHANNEL } from '../core/hello.js';
import { Connection, encodeCommand, type ReplyCallback } from './connection.js';

export interface LinkAuth {
  username?: string;
  password?: string;
}

export interface LinkOptions {
  host: string;
  port: number;
  auth: () => LinkAuth;
  /** CLIENT SETNAME prefix, e.g. "sentinel-1a2b3c4d" (Redis names links this way). */
  clientNamePrefix: string;
  /** Maps a command to its renamed form (sentinel rename-command). */
  rename: (command: string) => string;
  /** TLS options (tls-replication yes); plain TCP when undefined. */
  tls?: ConnectionOptions;
}

export interface LinkListener {
  /** Command connection open. localIp: our end of the socket; remoteIp: the address the host resolved to. */
  up(localIp: string, remoteIp: string | undefined): void;
  down(reason: string): void;
  /** Pub/sub connection subscribed to the hello channel. */
  pubsubUp(): void;
  /** Pub/sub connection lost; `refused`: the server refused SUBSCRIBE (NOAUTH, NOPERM). */
  pubsubDown(refused: boolean): void;
  /** A message on the pub/sub connection (any channel): proof that it lives. */
  message(channel: string, payload: string): void;
}

export class InstanceLink {
  private cmd?: Connection;
  private cmdOpen = false;
  private sub?: Connection;
  /** Encoded PING / INFO / PUBLISH prefix, with the (renamed) command name it was encoded for. */
  private readonly frames: Partial<Record<'ping' | 'info' | 'publish', { name: string; frame: string }>> = {};

  constructor(
    private readonly opts: LinkOptions,
    private readonly listener: LinkListener,
  ) {}

  /**
   * Replaces the command connection by one new attempt; the outcome arrives
   * as up() (once AUTH and CLIENT SETNAME were answered and AUTH was not
   * refused) or down().
   */
  connect(): void {
    this.closeCmd();
    const conn: Connection = new Connection({
      host: this.opts.host,
      port: this.opts.port,
      tls: this.opts.tls,
      onOpen: (localIp, remoteIp) => {
        this.handshake(conn, 'cmd', (authError) => {
          if (this.cmd !== conn) return;
          if (authError) return conn.fail(`AUTH refused: ${authError.message}`);
          this.cmdOpen = true;
          this.listener.up(localIp, remoteIp);
        });
      },
      onClose: (reason) => {
        if (this.cmd !== conn) return;
        this.cmd = undefined;
        this.cmdOpen = false;
        this.listener.down(reason);
      },
    });
    this.cmd = conn;
  }

  /** Replaces the pub/sub connection by one new attempt; the outcome arrives as pubsubUp() or pubsubDown(). */
  connectPubsub(): void {
    this.closePubsub();
    const conn: Connection = new Connection({
      host: this.opts.host,
      port: this.opts.port,
      tls: this.opts.tls,
      onOpen: () => {
        // A refused AUTH makes SUBSCRIBE fail with NOAUTH: refused below.
        this.handshake(conn, 'pubsub', () => undefined);
        conn.send(encodeCommand([this.opts.rename('subscribe'), HELLO_CHANNEL]), (err) => {
          if (this.sub !== conn) return;
          if (!err) return this.listener.pubsubUp();
          // Lost before the reply (the CLIENT KILL of a SLAVEOF transaction
          // kills a pub/sub connection still subscribing): a loss, which
          // onClose reports, not a refusal that would take the whole link
          // down, and the command connection's pending EXEC reply with it.
          if (err.name !== 'ReplyError') return;
          // A refused SUBSCRIBE (NOAUTH, NOPERM for a user without channel
          // rights) drops this connection; the core decides what follows.
          this.sub = undefined;
          conn.close();
          this.listener.pubsubDown(true);
        });
      },
      onClose: () => {
        if (this.sub !== conn) return;
        this.sub = undefined;
        this.listener.pubsubDown(false);
      },
      onPush: (reply) => {
        if (this.sub !== conn) return;
        const channel = reply[reply.length - 2];
        const payload = reply[reply.length - 1];
        if (typeof channel === 'string' && typeof payload === 'string') this.listener.message(channel, payload);
      },
    });
    this.sub = conn;
  }

  /**
   * AUTH and CLIENT SETNAME, pipelined ahead of anything else; `done` gets
   * AUTH's error, if any, once both were answered. As before (ioredis's
   * handshake) an AUTH refused for another reason than "no password is
   * set" keeps the link down, and a CLIENT SETNAME error is ignored.
   */
  private handshake(conn: Connection, kind: 'cmd' | 'pubsub', done: (authError: Error | undefined) => void): void {
    const auth = this.opts.auth();
    // redis-sentinel sends no CLIENT SETINFO (Redis before 7.2 counts it as
    // an error); the name is set only while CLIENT keeps its name.
    const setName = this.opts.rename('client') === 'client';
    let authError: Error | undefined;
    if (auth.password !== undefined) {
      const args = auth.username === undefined ? [auth.password] : [auth.username, auth.password];
      conn.send(encodeCommand([this.opts.rename('auth'), ...args]), (err) => {
        if (err && !isNoPasswordSet(err)) authError = err;
        if (!setName) done(authError);
      });
    }
    if (setName) {
      const name = `${this.opts.clientNamePrefix}-${kind}`;
      conn.send(encodeCommand(['client', 'setname', name]), () => done(authError));
    } else if (auth.password === undefined) {
      done(undefined);
    }
  }

  get connected(): boolean {
    return this.cmdOpen;
  }

  /** Replies awaited on the command connection (0 when down). */
  get pendingCount(): number {
    return this.cmd?.pendingCount ?? 0;
  }

  // The senders below take a callback, called once with the reply or the
  // error (an error reply, or 'link down' when the connection is not up or
  // is lost): no promise and no closure per command on the hot path.

  /** Sends a command; `done` gets its reply, an error reply, or the loss of the connection. */
  call(done: ReplyCallback, command: string, ...args: (string | number)[]): void {
    const conn = this.openOrFail(done);
    if (conn) conn.send(encodeCommand([this.opts.rename(command), ...args]), done);
  }

  /** PING from a pre-encoded frame. */
  ping(done: ReplyCallback): void {
    const conn = this.openOrFail(done);
    if (conn) conn.send(this.frame('ping'), done);
  }

  /** INFO from a pre-encoded frame. */
  info(done: ReplyCallback): void {
    const conn = this.openOrFail(done);
    if (conn) conn.send(this.frame('info'), done);
  }

  /** PUBLISH __sentinel__:hello <payload>, the command and channel pre-encoded. */
  publishHello(payload: string, done: ReplyCallback): void {
    const conn = this.openOrFail(done);
    if (conn) conn.send(`${this.frame('publish')}$${Buffer.byteLength(payload)}\r\n${payload}\r\n`, done);
  }

  /**
   * MULTI, the commands, EXEC, sent back to back (renamed as configured);
   * `done` gets EXEC's reply. Like Redis, replies inside are not inspected.
   */
  transaction(commands: ReadonlyArray<readonly string[]>, done: ReplyCallback): void {
    const conn = this.openOrFail(done);
    if (!conn) return;
    const ignore: ReplyCallback = () => undefined;
    conn.send(encodeCommand([this.opts.rename('multi')]), ignore);
    for (const [name, ...args] of commands) conn.send(encodeCommand([this.opts.rename(name!), ...args]), ignore);
    conn.send(encodeCommand([this.opts.rename('exec')]), done);
  }

  /** The command connection when it is up; otherwise `done` gets 'link down' (as a lost connection would). */
  private openOrFail(done: ReplyCallback): Connection | undefined {
    if (this.cmd && this.cmdOpen) return this.cmd;
    done(new Error('link down'), undefined);
    return undefined;
  }

  /**
   * A pre-encoded frame (ping, info, or publish's prefix) under the command's
   * current name (rename-command may change it while the link lives).
   */
  private frame(command: 'ping' | 'info' | 'publish'): string {
    const name = this.opts.rename(command);
    const cached = this.frames[command];
    if (cached !== undefined && cached.name === name) return cached.frame;
    const frame = command === 'publish'
      ? `*3\r\n$${Buffer.byteLength(name)}\r\n${name}\r\n$${HELLO_CHANNEL.length}\r\n${HELLO_CHANNEL}\r\n`
      : encodeCommand([name]);
    this.frames[command] = { name, frame };
    return frame;
  }

  /** Closes both connections and reports nothing further. */
  close(): void {
    this.closeCmd();
    this.closePubsub();
  }

  closeCmd(): void {
    const cmd = this.cmd;
    this.cmd = undefined;
    this.cmdOpen = false;
    cmd?.close();
  }

  closePubsub(): void {
    const sub = this.sub;
    this.sub = undefined;
    sub?.close();
  }
}

/** AUTH to a server (or default user) without a password: harmless, the link works. */
function isNoPasswordSet(err: Error): boolean {
  return err.message.includes('no password is set') ||
    err.message.includes('without any password configured for the default user');
}
