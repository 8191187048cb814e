import type { Reply } from './reply.js';

export type Protocol = 2 | 3;

/** What a command handler may read or change about the client that sent it. */
export interface ClientSession {
  readonly id: number;
  /** "ip:port" of the peer, as CLIENT LIST prints it. */
  readonly addr: string;
  readonly laddr: string;
  name: string;
  protocol: Protocol;
  /** ACL user name the client is authenticated as ("default" when no auth is configured). */
  user: string;
  authenticated: boolean;
  /** Ask the server to close this client after the pending replies are written. */
  closeAfterReply(): void;
}

/** What the server offers to command handlers beyond the calling client. */
export interface ServerApi {
  /** Deliver a message to every subscriber of channel (and matching patterns); returns receivers. */
  publish(channel: string, message: string): number;
  /** Connected clients, for INFO clients and CLIENT LIST. */
  clientCount(): number;
  stats(): ServerStats;
}

export interface ServerStats {
  totalConnectionsReceived: number;
  totalCommandsProcessed: number;
  totalNetInputBytes: number;
  totalNetOutputBytes: number;
  rejectedConnections: number;
  totalErrorReplies: number;
  pubsubChannels: number;
  pubsubPatterns: number;
  connectedClients: number;
  maxClients: number;
}

export interface CommandContext {
  readonly client: ClientSession;
  readonly server: ServerApi;
}

/**
 * A handler returns its reply; a Promise keeps the client's later pipelined
 * commands waiting so replies stay in order (used where the config must be
 * persisted before replying).
 */
export type CommandHandler = (ctx: CommandContext, argv: readonly string[]) => Reply | Promise<Reply>;

export interface CommandSpec {
  /** Lower case, e.g. "sentinel", or "sentinel|masters" for a subcommand. */
  readonly name: string;
  /** Redis convention: N exactly N arguments including the name, -N at least N. */
  readonly arity: number;
  /**
   * Arity the server accepts when it is wider than the one redis-sentinel
   * declares (which COMMAND INFO keeps showing): SENTINEL FAILOVER takes
   * Valkey's COORDINATED option.
   */
  readonly acceptArity?: number;
  /** COMMAND INFO flags, e.g. ["admin", "loading", "stale"]. */
  readonly flags: readonly string[];
  /** ACL categories without '@', e.g. ["admin", "slow", "dangerous"]. */
  readonly categories: readonly string[];
  readonly summary?: string;
  readonly since?: string;
  readonly group?: string;
  readonly subcommands?: readonly CommandSpec[];
  /** Absent on a container command whose subcommands carry the handlers. */
  readonly handler?: CommandHandler;
}

/** A command as dispatched: arity and flags come from redis-sentinel's own table when it knows the name. */
export interface CommandEntry {
  /** Full name as Redis prints it: "ping", "client|list". */
  readonly name: string;
  readonly arity: number;
  readonly flags: ReadonlySet<string>;
  readonly spec: CommandSpec;
  readonly handler: CommandHandler | undefined;
  readonly subcommands: ReadonlyMap<string, CommandEntry> | undefined;
}
