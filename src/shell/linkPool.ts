/**
 * The outbound links by key (one per address, shared by every master that
 * watches that instance), as the executor's `LinkOps`: each operation
 * reports its outcome once, a missing link or a failed command included.
 */
import type { ConnectionOptions } from 'node:tls';
import type { SentinelConfig } from '../config/model.js';
import type { InstanceRef } from '../core/effects.js';
import type { CoreEvent } from '../core/step.js';
import { HELLO_CHANNEL } from '../core/hello.js';
import type { MasterDownAnswer } from '../core/failover.js';
import { classifyPingReply, type PingOutcome } from '../core/monitor.js';
import type { MasterState, SentinelState } from '../core/state.js';
import { ReplyLostError } from '../links/connection.js';
import { InstanceLink, type LinkAuth } from '../links/link.js';
import { parseMasterDownReply, type LinkOps } from './executor.js';

export interface LinkPoolOptions {
  state: SentinelState;
  /** The config as loaded (requirepass); sentinel-user/-pass are read from the state's settings at each auth. */
  config: () => SentinelConfig;
  tls?: ConnectionOptions;
  /** Connection events of both connections (linkUp, linkDown, pubsubUp, pubsubDown, pubsubMessage). */
  feed: (event: CoreEvent) => void;
  hello: (payload: string) => void;
  /** Runs on an INFO reply before the core gets it (host names of replicas resolved first). */
  beforeInfo: (text: string) => Promise<void>;
  /** The SLAVEOF transaction failed (logged by the runtime). */
  slaveofFailed: (err: unknown, target: InstanceRef) => void;
  /** The SLAVEOF transaction was sent, but the link was lost before EXEC's reply: it may well have taken effect. */
  slaveofUnconfirmed: (target: InstanceRef) => void;
  /** A log line (FAILOVER ABORT's outcome). */
  warn: (fields: Record<string, unknown>, message: string) => void;
}

export class LinkPool implements LinkOps {
  private readonly links = new Map<string, InstanceLink>();

  constructor(private readonly opts: LinkPoolOptions) {}

  closeAll(): void {
    for (const link of this.links.values()) link.close();
    this.links.clear();
  }

  /** Re-makes the connections of these links in place (new auth, renamed commands). */
  reconnect(keys: Iterable<string>): void {
    // The link counts as up until the new connection reports either way.
    for (const key of keys) {
      const link = this.links.get(key);
      link?.connect();
      if (this.opts.state.links.get(key)?.kind === 'redis') link?.connectPubsub();
    }
  }

  connect(key: string): void {
    this.linkFor(key)?.connect();
  }

  connectPubsub(key: string): void {
    this.linkFor(key)?.connectPubsub();
  }

  disconnectPubsub(key: string): void {
    this.links.get(key)?.closePubsub();
  }

  private linkFor(key: string): InstanceLink | undefined {
    const linkState = this.opts.state.links.get(key);
    if (!linkState) return undefined;
    let link = this.links.get(key);
    if (!link) {
      link = this.makeLink(key, linkState.host, linkState.port, linkState.kind);
      this.links.set(key, link);
    }
    return link;
  }

  disconnect(key: string, keep: boolean): boolean {
    const link = this.links.get(key);
    if (!link) return false;
    link.close();
    if (!keep) this.links.delete(key);
    return true;
  }

  disconnectCommand(key: string): boolean {
    const link = this.links.get(key);
    if (!link) return false;
    link.closeCmd();
    return true;
  }

  ping(key: string, done: (outcome: PingOutcome) => void): void {
    const link = this.links.get(key);
    if (!link) return done('none');
    link.ping((err, reply) => done(err ? replyErrorOutcome(err) : classifyPingReply(String(reply))));
  }

  info(key: string, done: (text: string | undefined) => void): void {
    const link = this.links.get(key);
    if (!link) return done(undefined);
    link.info((err, reply) => {
      if (err) return done(undefined);
      const text = String(reply);
      void this.opts.beforeInfo(text).finally(() => done(text));
    });
  }

  publishHello(key: string, payload: string, done: () => void): void {
    const link = this.links.get(key);
    if (!link) return done();
    link.publishHello(payload, () => done());
  }

  askMasterDown(key: string, masterIp: string, masterPort: number, epoch: number, runId: string,
    done: (reply: MasterDownAnswer | undefined) => void): void {
    const link = this.links.get(key);
    if (!link) return done(undefined);
    link.callGuarded((err, reply) => done(err ? undefined : parseMasterDownReply(reply)),
      'sentinel', 'is-master-down-by-addr', masterIp, masterPort, epoch, runId);
  }

  slaveof(key: string, target: InstanceRef, host: string | undefined, port: number | undefined,
    done: (ok: boolean, stalled?: boolean) => void): void {
    const link = this.links.get(key);
    if (!link) return done(false);
    const args = host === undefined ? ['NO', 'ONE'] : [host, String(port)];
    link.transaction([
      ['slaveof', ...args],
      ['config', 'rewrite'],
      ['client', 'kill', 'type', 'normal'],
      ['client', 'kill', 'type', 'pubsub'],
    ], (err) => {
      if (!err) return done(true);
      const stalled = err.name === 'StalledError';
      done(false, stalled);
      // Redis never reads EXEC's reply: one lost with the link is no
      // failure, the instance may well have switched, and its next INFO tells.
      if (err instanceof ReplyLostError) this.opts.slaveofUnconfirmed(target);
      else this.opts.slaveofFailed(err, target);
    });
  }

  failoverTo(key: string, host: string, port: number, timeoutMs: number,
    done: (outcome: { error?: string; noReply?: boolean }) => void): void {
    const link = this.links.get(key);
    if (!link) return done({ noReply: true });
    link.callGuarded((err) => {
      if (!err) return done({});
      // Only an error reply is a refusal; a lost link is not (the master may have started).
      done(err.name === 'ReplyError' ? { error: err.message } : { noReply: true });
    }, 'failover', 'to', host, port, 'timeout', timeoutMs);
  }

  failoverAbort(key: string, target: InstanceRef): void {
    const link = this.links.get(key);
    if (!link) return;
    link.call((err) => {
      if (!err) this.opts.warn({ target: target.name }, 'FAILOVER ABORT sent to the master of a stuck coordinated failover');
      else this.opts.warn({ err: err.message, target: target.name }, 'FAILOVER ABORT failed');
    }, 'failover', 'abort');
  }

  private makeLink(key: string, host: string, port: number, kind: 'redis' | 'sentinel'): InstanceLink {
    const owner = () => this.ownerOf(key);
    return new InstanceLink({
      host,
      port,
      tls: this.opts.tls,
      stallLimitMs: () => this.opts.state.timing.tiltTriggerMs,
      auth: () => this.authFor(kind, owner()),
      clientNamePrefix: `sentinel-${this.opts.state.myId.slice(0, 8)}`,
      rename: (command) => (kind === 'redis' ? owner()?.config.renameCommands[command] ?? command : command),
    }, {
      up: (localIp, remoteIp) => this.opts.feed({ type: 'linkUp', link: key, localIp, remoteIp }),
      // redis-sentinel says nothing; one line per connection tells why the
      // instance may answer -NOAUTH (or act as the default user).
      authRefused: (err) => this.opts.warn({ link: key, err }, 'AUTH refused; the link is kept and judged by its PING replies'),
      down: () => this.opts.feed({ type: 'linkDown', link: key }),
      pubsubUp: () => this.opts.feed({ type: 'pubsubUp', link: key }),
      pubsubDown: () => this.opts.feed({ type: 'pubsubDown', link: key }),
      message: (channel, payload) => {
        this.opts.feed({ type: 'pubsubMessage', link: key });
        if (channel === HELLO_CHANNEL) this.opts.hello(payload);
      },
    });
  }

  /**
   * The master whose config (auth, renamed commands) governs a shared link:
   * that of the link's first user, which stays so while it uses the link.
   * Asked on every command sent (rename), so it costs one lookup whatever
   * the number of instances.
   */
  private ownerOf(key: string): MasterState | undefined {
    const users = this.opts.state.links.get(key)?.users;
    return users?.values().next().value;
  }

  private authFor(kind: 'redis' | 'sentinel', master: MasterState | undefined): LinkAuth {
    const config = this.opts.config();
    if (kind === 'sentinel') {
      // Redis's sentinelSendAuthIfNeeded: without sentinel-pass, requirepass
      // serves both ways (older configs), as the default user.
      const { sentinelUser, sentinelPass } = this.opts.state.settings;
      if (sentinelPass === undefined) return { password: config.requirepass };
      return { username: sentinelUser, password: sentinelPass };
    }
    // As sentinelSendAuthIfNeeded: no AUTH at all without auth-pass, even with an auth-user.
    const password = master?.config.authPass;
    return password === undefined ? {} : { username: master?.config.authUser, password };
  }
}

function replyErrorOutcome(err: Error): PingOutcome {
  // The parser marks replies from the server as ReplyError; anything else is
  // a lost connection, i.e. no reply at all.
  if (err.name === 'ReplyError') return classifyPingReply(err.message);
  return 'none';
}
