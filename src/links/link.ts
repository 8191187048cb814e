/**
 * One outbound connection pair to a monitored instance: a command link
 * (PING, INFO, PUBLISH hello, later failover commands) and, for Redis
 * instances, a pub/sub link subscribed to `__sentinel__:hello`.
 *
 * ioredis's defaults would queue commands for a dead server and retry them,
 * which hides an outage from a health checker. Here the offline queue is off,
 * requests are never retried, every command has a timeout, and ioredis never
 * reconnects on its own: the core decides when to reconnect.
 */
import type { ConnectionOptions } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';
import { HELLO_CHANNEL } from '../core/hello.js';

export interface LinkAuth {
  username?: string;
  password?: string;
}

export interface LinkOptions {
  host: string;
  port: number;
  /** Redis instances get a pub/sub link too; peer Sentinels do not. */
  withPubSub: boolean;
  auth: () => LinkAuth;
  /** CLIENT SETNAME prefix, e.g. "sentinel-1a2b3c4d" (Redis names links this way). */
  clientNamePrefix: string;
  commandTimeoutMs: number;
  /** Maps a command to its renamed form (sentinel rename-command). */
  rename: (command: string) => string;
  /** TLS options (tls-replication yes); plain TCP when undefined. */
  tls?: ConnectionOptions;
}

export interface LinkListener {
  /** localIp: our end of the socket; remoteIp: the address the host resolved to. */
  up(localIp: string, remoteIp: string | undefined): void;
  down(reason: string): void;
  hello(payload: string): void;
}

export class InstanceLink {
  private cmd?: Redis;
  private sub?: Redis;
  private closed = false;

  constructor(
    private readonly opts: LinkOptions,
    private readonly listener: LinkListener,
  ) {}

  /** Starts one connection attempt; the outcome arrives as up() or down(). */
  connect(): void {
    this.teardown();
    this.closed = false;
    const cmd = new Redis(this.redisOptions('cmd'));
    this.cmd = cmd;
    cmd.on('error', () => undefined);
    cmd.once('ready', () => {
      if (this.cmd !== cmd) return;
      this.listener.up(cmd.stream?.localAddress ?? '127.0.0.1', cmd.stream?.remoteAddress);
    });
    cmd.once('close', () => {
      if (this.cmd !== cmd) return;
      this.cmd = undefined;
      this.teardownSub();
      if (!this.closed) this.listener.down('connection closed');
    });
    cmd.connect().catch(() => undefined);
    if (this.opts.withPubSub) this.connectSub();
  }

  private connectSub(): void {
    const sub = new Redis(this.redisOptions('pubsub'));
    this.sub = sub;
    sub.on('error', () => undefined);
    sub.on('message', (channel: string, message: string) => {
      if (channel === HELLO_CHANNEL) this.listener.hello(message);
    });
    sub.once('ready', () => {
      const subscribe = this.opts.rename('subscribe');
      // A refused SUBSCRIBE (NOAUTH, NOPERM for a user without channel
      // rights) fails the whole link, as in Redis, whose instance link is
      // connected only with both connections: the core reports the
      // instance disconnected and retries, with the credentials of the time.
      sub.call(subscribe, HELLO_CHANNEL).catch((err: unknown) => {
        if (this.sub !== sub || !(err instanceof Error) || err.name !== 'ReplyError') return;
        this.fail('subscribe refused');
      });
    });
    // A lost pub/sub link (CLIENT KILL TYPE pubsub during a failover, say)
    // is re-made while the command link lives.
    sub.once('close', () => {
      if (this.sub !== sub) return;
      this.sub = undefined;
      setTimeout(() => {
        if (!this.closed && !this.sub && this.cmd) this.connectSub();
      }, 1_000).unref();
    });
    sub.connect().catch(() => undefined);
  }

  private redisOptions(kind: 'cmd' | 'pubsub'): RedisOptions {
    const auth = this.opts.auth();
    return {
      host: this.opts.host,
      port: this.opts.port,
      username: auth.username,
      password: auth.password,
      connectionName: this.opts.rename('client') === 'client' ? `${this.opts.clientNamePrefix}-${kind}` : undefined,
      lazyConnect: true,
      enableOfflineQueue: false,
      enableReadyCheck: false,
      // redis-sentinel sends no CLIENT SETINFO; Redis before 7.2 answers it
      // with an error that shows up in the monitored server's errorstats.
      disableClientInfo: true,
      maxRetriesPerRequest: 0,
      autoResubscribe: false,
      autoResendUnfulfilledCommands: false,
      retryStrategy: () => null,
      reconnectOnError: () => false,
      connectTimeout: this.opts.commandTimeoutMs,
      commandTimeout: kind === 'cmd' ? this.opts.commandTimeoutMs : undefined,
      noDelay: true,
      keepAlive: 10_000,
      tls: this.opts.tls,
    };
  }

  get connected(): boolean {
    return this.cmd?.status === 'ready';
  }

  /** Sends a command; resolves with its reply, rejects on error reply, timeout or loss. */
  async call(command: string, ...args: (string | number)[]): Promise<unknown> {
    const cmd = this.cmd;
    if (!cmd || cmd.status !== 'ready') throw new Error('link down');
    return cmd.call(this.opts.rename(command), ...args);
  }

  /**
   * MULTI, the commands, EXEC, sent back to back (renamed as configured);
   * resolves with EXEC's reply. Like Redis, replies inside are not inspected.
   */
  async transaction(commands: ReadonlyArray<readonly string[]>): Promise<unknown> {
    const cmd = this.cmd;
    if (!cmd || cmd.status !== 'ready') throw new Error('link down');
    const sent = [cmd.call(this.opts.rename('multi'))];
    for (const [name, ...args] of commands) sent.push(cmd.call(this.opts.rename(name!), ...args));
    const exec = cmd.call(this.opts.rename('exec'));
    // Queued replies are +QUEUED or errors that EXEC reports; only EXEC decides.
    for (const p of sent) p.catch(() => undefined);
    return exec;
  }

  /** Drops both connections and reports the link down once. */
  private fail(reason: string): void {
    const hadCmd = this.cmd !== undefined;
    this.teardown();
    if (hadCmd && !this.closed) this.listener.down(reason);
  }

  /** Closes both connections and reports nothing further. */
  close(): void {
    this.closed = true;
    this.teardown();
  }

  private teardown(): void {
    const cmd = this.cmd;
    this.cmd = undefined;
    cmd?.disconnect(false);
    this.teardownSub();
  }

  private teardownSub(): void {
    const sub = this.sub;
    this.sub = undefined;
    sub?.disconnect(false);
  }
}
