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
import { bytesToText, hasEscapes, textByteLength, textToBytes } from '../byteText.js';
import { Connection, encodeCommand, type Frame, type ReplyCallback } from './connection.js';

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
  /** The TILT trigger: a guarded command older than this at its flush is not sent (connection.ts). */
  stallLimitMs?: () => number;
}

export interface LinkListener {
  /** Command connection open (AUTH and CLIENT SETNAME already queued ahead of anything sent next). localIp: our end of the socket; remoteIp: the address the host resolved to. */
  up(localIp: string, remoteIp: string | undefined): void;
  /** AUTH's error reply on the command connection (the link stays up: its PING replies judge the instance). */
  authRefused?(message: string): void;
  down(reason: string): void;
  /** Pub/sub connection subscribed to the hello channel. */
  pubsubUp(): void;
  /** Pub/sub connection lost or closed (a refused SUBSCRIBE closes it too). */
  pubsubDown(): void;
  /** A message on the pub/sub connection (any channel): proof that it lives. */
  message(channel: string, payload: string): void;
}

export class InstanceLink {
  private cmd?: Connection;
  private cmdOpen = false;
  private sub?: Connection;
  /** Encoded PING / INFO / PUBLISH prefix, with the (renamed) command name it was encoded for. */
  private readonly frames: Partial<Record<'ping' | 'info' | 'publish', { name: string; frame: Frame }>> = {};

  constructor(
    private readonly opts: LinkOptions,
    private readonly listener: LinkListener,
  ) {}

  /**
   * Replaces the command connection by one new attempt; the outcome arrives
   * as up() or down(). up() comes as soon as the socket is open, with AUTH
   * and CLIENT SETNAME queued: what the core sends on it (the first PING)
   * leaves in the same write, as redis-sentinel pipelines AUTH, SETNAME and
   * PING on a new link. Waiting for the handshake's replies first would add
   * a round trip (and under packet loss a retransmission) to the time a
   * reconnected instance has to prove itself alive before down-after.
   */
  connect(): void {
    this.closeCmd();
    const conn: Connection = new Connection({
      host: this.opts.host,
      port: this.opts.port,
      tls: this.opts.tls,
      stallLimitMs: this.opts.stallLimitMs,
      onOpen: (localIp, remoteIp) => {
        this.handshake(conn, 'cmd', (authError) => {
          if (this.cmd === conn && authError) this.listener.authRefused?.(authError.message);
        });
        this.cmdOpen = true;
        this.listener.up(localIp, remoteIp);
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
      binaryReplies: true,
      onOpen: () => {
        // A refused AUTH makes SUBSCRIBE fail with NOAUTH: refused below.
        this.handshake(conn, 'pubsub', () => undefined);
        conn.send(encodeCommand([this.opts.rename('subscribe'), HELLO_CHANNEL]), (err) => {
          if (this.sub !== conn) return;
          if (!err) return this.listener.pubsubUp();
          // Lost before the reply (the CLIENT KILL of a SLAVEOF transaction
          // kills a pub/sub connection still subscribing): onClose reports it.
          if (err.name !== 'ReplyError') return;
          // A refused SUBSCRIBE (NOAUTH, NOPERM for a user without channel
          // rights) drops this connection only, as hiredis drops redis-sentinel's
          // on that reply; the command connection and its PINGs go on.
          this.sub = undefined;
          conn.close();
          this.listener.pubsubDown();
        });
      },
      onClose: () => {
        if (this.sub !== conn) return;
        this.sub = undefined;
        this.listener.pubsubDown();
      },
      onPush: (reply) => {
        if (this.sub !== conn) return;
        // Bytes (binaryReplies): a hello names its master and announces its address byte for byte.
        const channel = reply[reply.length - 2];
        const payload = reply[reply.length - 1];
        if (Buffer.isBuffer(channel) && Buffer.isBuffer(payload)) this.listener.message(bytesToText(channel), bytesToText(payload));
      },
    });
    this.sub = conn;
  }

  /**
   * AUTH and CLIENT SETNAME, pipelined ahead of anything else; `done` gets
   * AUTH's error, if any, once both were answered. Neither reply can keep
   * the link down: redis-sentinel discards both, so a refused AUTH (a user
   * deleted by ACL DELUSER while the default user is open) leaves a link
   * that works as the default user, and an instance that really needs the
   * password answers PING with -NOAUTH, which is no valid reply (SDOWN).
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

  /** As call(), for a decision (a vote request, FAILOVER TO) that must not leave after a stall. */
  callGuarded(done: ReplyCallback, command: string, ...args: (string | number)[]): void {
    const conn = this.openOrFail(done);
    if (conn) conn.send(encodeCommand([this.opts.rename(command), ...args]), done, true);
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
    if (!conn) return;
    const prefix = this.frame('publish');
    if (typeof prefix === 'string' && !hasEscapes(payload)) {
      conn.send(`${prefix}$${Buffer.byteLength(payload)}\r\n${payload}\r\n`, done);
      return;
    }
    // A master name (or announced name) that is not UTF-8 leaves as its bytes.
    const bytes = textToBytes(payload);
    const head = typeof prefix === 'string' ? Buffer.from(prefix, 'utf8') : prefix;
    conn.send(Buffer.concat([head, Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n')]), done);
  }

  /**
   * MULTI, the commands, EXEC, sent back to back (renamed as configured);
   * `done` gets EXEC's reply. Like Redis, replies inside are not inspected.
   * A failover step: not sent after a stall (connection.ts).
   */
  transaction(commands: ReadonlyArray<readonly string[]>, done: ReplyCallback): void {
    const conn = this.openOrFail(done);
    if (!conn) return;
    const ignore: ReplyCallback = () => undefined;
    conn.send(encodeCommand([this.opts.rename('multi')]), ignore, true);
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
  private frame(command: 'ping' | 'info' | 'publish'): Frame {
    const name = this.opts.rename(command);
    const cached = this.frames[command];
    if (cached !== undefined && cached.name === name) return cached.frame;
    const frame = command === 'publish' ? publishPrefix(name) : encodeCommand([name]);
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

/** `PUBLISH __sentinel__:hello`, the first two of three arguments: the payload's bulk follows. */
function publishPrefix(name: string): Frame {
  const head = `*3\r\n$${textByteLength(name)}\r\n${name}\r\n$${HELLO_CHANNEL.length}\r\n${HELLO_CHANNEL}\r\n`;
  return hasEscapes(head) ? textToBytes(head) : head;
}

/** AUTH to a server (or default user) without a password: harmless, the link works. */
function isNoPasswordSet(err: Error): boolean {
  return err.message.includes('no password is set') ||
    err.message.includes('without any password configured for the default user');
}
