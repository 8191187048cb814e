/**
 * The outbound links by key (one per address, shared by every master that
 * watches that instance), as the executor's `LinkOps`: each operation
 * reports its outcome once, a missing link or a failed command included.
 */
import type { ConnectionOptions } from 'node:tls';
import type { SentinelConfig } from '../config/model.js';
import type { InstanceRef } from '../core/effects.js';
import { HELLO_CHANNEL } from '../core/hello.js';
import type { MasterDownAnswer } from '../core/failover.js';
import { classifyPingReply, type PingOutcome } from '../core/monitor.js';
import type { MasterState, SentinelState } from '../core/state.js';
import { InstanceLink, type LinkAuth } from '../links/link.js';
import { parseMasterDownReply, type LinkOps } from './executor.js';

const COMMAND_TIMEOUT_MS = 5_000;

export interface LinkPoolOptions {
  state: SentinelState;
  /** The runtime's config (sentinel-user/-pass, requirepass); read at each auth. */
  config: () => SentinelConfig;
  tls?: ConnectionOptions;
  up: (link: string, localIp: string, remoteIp?: string) => void;
  down: (link: string) => void;
  hello: (payload: string) => void;
  /** Runs on an INFO reply before the core gets it (host names of replicas resolved first). */
  beforeInfo: (text: string) => Promise<void>;
  /** The SLAVEOF transaction failed (logged by the runtime). */
  slaveofFailed: (err: unknown, target: InstanceRef) => void;
}

export class LinkPool implements LinkOps {
  private readonly links = new Map<string, InstanceLink>();
  private readonly owners = new Map<string, MasterState>();

  constructor(private readonly opts: LinkPoolOptions) {}

  closeAll(): void {
    for (const link of this.links.values()) link.close();
    this.links.clear();
  }

  /** Re-makes the connections of these links in place (new auth, renamed commands). */
  reconnect(keys: Iterable<string>): void {
    // The link counts as up until the new connection reports either way.
    for (const key of keys) this.links.get(key)?.connect();
  }

  connect(key: string): void {
    const linkState = this.opts.state.links.get(key);
    if (!linkState) return;
    let link = this.links.get(key);
    if (!link) {
      link = this.makeLink(key, linkState.host, linkState.port, linkState.kind);
      this.links.set(key, link);
    }
    link.connect();
  }

  disconnect(key: string, keep: boolean): boolean {
    const link = this.links.get(key);
    if (!link) return false;
    link.close();
    if (!keep) this.links.delete(key);
    return true;
  }

  ping(key: string, done: (outcome: PingOutcome) => void): void {
    const link = this.links.get(key);
    if (!link) return done('none');
    link.call('ping').then(
      (reply) => done(classifyPingReply(String(reply))),
      (err: unknown) => done(replyErrorOutcome(err)),
    );
  }

  info(key: string, done: (text: string | undefined) => void): void {
    const link = this.links.get(key);
    if (!link) return done(undefined);
    link.call('info').then(
      (reply) => {
        const text = String(reply);
        void this.opts.beforeInfo(text).finally(() => done(text));
      },
      () => done(undefined),
    );
  }

  publishHello(key: string, payload: string, done: () => void): void {
    const link = this.links.get(key);
    if (!link) return done();
    link.call('publish', HELLO_CHANNEL, payload).then(() => done(), () => done());
  }

  askMasterDown(key: string, masterIp: string, masterPort: number, epoch: number, runId: string,
    done: (reply: MasterDownAnswer | undefined) => void): void {
    const link = this.links.get(key);
    if (!link) return done(undefined);
    link.call('sentinel', 'is-master-down-by-addr', masterIp, masterPort, epoch, runId).then(
      (reply) => done(parseMasterDownReply(reply)),
      () => done(undefined),
    );
  }

  slaveof(key: string, target: InstanceRef, host: string | undefined, port: number | undefined,
    done: (ok: boolean) => void): void {
    const link = this.links.get(key);
    if (!link) return done(false);
    const args = host === undefined ? ['NO', 'ONE'] : [host, String(port)];
    link.transaction([
      ['slaveof', ...args],
      ['config', 'rewrite'],
      ['client', 'kill', 'type', 'normal'],
      ['client', 'kill', 'type', 'pubsub'],
    ]).then(
      () => done(true),
      (err: unknown) => {
        done(false);
        this.opts.slaveofFailed(err, target);
      },
    );
  }

  private makeLink(key: string, host: string, port: number, kind: 'redis' | 'sentinel'): InstanceLink {
    const owner = () => this.ownerOf(key);
    return new InstanceLink({
      host,
      port,
      withPubSub: kind === 'redis',
      tls: this.opts.tls,
      auth: () => this.authFor(kind, owner()),
      clientNamePrefix: `sentinel-${this.opts.state.myId.slice(0, 8)}`,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      rename: (command) => (kind === 'redis' ? owner()?.config.renameCommands[command] ?? command : command),
    }, {
      up: (localIp, remoteIp) => this.opts.up(key, localIp, remoteIp),
      down: () => this.opts.down(key),
      hello: (payload) => this.opts.hello(payload),
    });
  }

  /**
   * The master whose config (auth, renamed commands) governs a shared link.
   * Asked on every command sent (rename), so the answer is cached and only
   * looked up again when that master no longer uses the link.
   */
  private ownerOf(key: string): MasterState | undefined {
    const masters = this.opts.state.masters;
    const cached = this.owners.get(key);
    if (cached && masters.get(cached.name) === cached && usesLink(cached, key)) return cached;
    this.owners.delete(key);
    for (const m of masters.values()) {
      if (!usesLink(m, key)) continue;
      this.owners.set(key, m);
      return m;
    }
    return undefined;
  }

  private authFor(kind: 'redis' | 'sentinel', master: MasterState | undefined): LinkAuth {
    const config = this.opts.config();
    if (kind === 'sentinel') {
      // Redis's sentinelSendAuthIfNeeded: without sentinel-pass, requirepass
      // serves both ways (older configs), as the default user.
      if (config.sentinelPass === undefined) return { password: config.requirepass };
      return { username: config.sentinelUser, password: config.sentinelPass };
    }
    // As sentinelSendAuthIfNeeded: no AUTH at all without auth-pass, even with an auth-user.
    const password = master?.config.authPass;
    return password === undefined ? {} : { username: master?.config.authUser, password };
  }
}

function replyErrorOutcome(err: unknown): PingOutcome {
  // ioredis marks replies from the server as ReplyError; anything else is a
  // timeout or a lost connection, i.e. no reply at all.
  if (err instanceof Error && err.name === 'ReplyError') return classifyPingReply(err.message);
  return 'none';
}

function usesLink(m: MasterState, key: string): boolean {
  if (m.linkKey === key) return true;
  for (const r of m.replicas.values()) if (r.linkKey === key) return true;
  for (const s of m.sentinels.values()) if (s.linkKey === key) return true;
  return false;
}
