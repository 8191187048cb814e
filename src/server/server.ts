import net from 'node:net';
import type { Logger } from '../log.js';
import type { TlsListenerOptions } from '../tls.js';
import { RequestDecoder, type RequestArgs } from './decode.js';
import { GC_HINT_BYTES, collectGarbageSoon } from './gcHint.js';
import { defaultServerLimits, maxClientsForFdLimit, openFilesLimit, type ClientClass, type ServerLimits } from './limits.js';
import { Acl } from './acl.js';
import { createTlsListener } from './tlsListener.js';
import { encodeReplyChunk } from './encode.js';
import { globMatch } from './glob.js';
import { COMMAND_INFO } from './commandTable.js';
import { bulk, error, type Reply } from './reply.js';
import type {
  ClientSession,
  CommandContext,
  CommandHandler,
  CommandSpec,
  Protocol,
  ServerApi,
  ServerStats,
} from './types.js';

export interface RespServerOptions {
  port: number;
  /** Addresses as in redis.conf `bind`: `*` = 0.0.0.0, `::*` = ::, a leading `-` makes one optional. Empty = `* -::*`. */
  bind: string[];
  maxClients: number;
  requirePass?: string;
  logger: Logger;
  /** Off by default in Sentinel ("Sentinel must be exposed"); when on, a password-less server only serves loopback. */
  protectedMode?: boolean;
  /** Users and permissions; default: the default user alone, with requirePass as its password. */
  acl?: Acl;
  /** tls-port: TLS listeners on the same addresses. */
  tls?: TlsListenerOptions;
  /** false = no plain TCP listener (redis.conf `port 0` next to a tls-port). Default true. */
  plain?: boolean;
  /** proto-max-bulk-len, client-query-buffer-limit, client-output-buffer-limit; Redis's defaults otherwise. */
  limits?: ServerLimits;
  /** The process's open files limit (tests); read from /proc/self/limits by default. */
  fdLimit?: number;
}

/** A handler reply that sends nothing (SHUTDOWN: the connection just goes away). */
export const NO_REPLY: Reply = { kind: 'raw', value: Buffer.alloc(0) };

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

export type ReplyMode = 'on' | 'off' | 'skip-next' | 'skip';

export interface TrackingState {
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** CLIENT CACHING yes|no, valid for the next command only. */
  caching: boolean;
  prefixes: string[];
}

/** One connection. Public fields are for builtins.ts (CLIENT, HELLO, pub/sub); hosts should treat them as read-only. */
export class Client implements ClientSession {
  name = '';
  protocol: Protocol = 2;
  user = 'default';
  authenticated: boolean;
  readonly decoder = new RequestDecoder();
  readonly createdAtMs: number;
  lastInteractionMs: number;
  /** Full name of the last command looked up, "NULL" before the first (CLIENT LIST cmd=). */
  lastCommand = 'NULL';
  /** The command being executed, for CLIENT LIST argv-mem. */
  currentArgv: readonly string[] | undefined;
  /** The same arguments as bytes (binary-safe replies: PING). */
  currentArgs: RequestArgs | undefined;
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  replyMode: ReplyMode = 'on';
  noEvict = false;
  /** CLIENT SETINFO lib-name / lib-ver (Redis 7.2); undefined until the client sets either. */
  libName: string | undefined;
  libVer: string | undefined;
  tracking: TrackingState | undefined;
  /** A handler's Promise or a CLIENT PAUSE holds this client's later commands. */
  waiting = false;
  /** Command held back by CLIENT PAUSE, run again when the pause ends. */
  postponed: RequestArgs | undefined;
  /** Out of its turn (pipeline budget spent): resumes on setImmediate or on the socket's 'drain'. */
  yielded = false;
  /** Commands run in the current turn. */
  turnCommands = 0;
  /** When the output first went over the soft limit, 0 while under it. */
  softLimitSinceMs = 0;
  closing = false;
  closed = false;
  /** Bytes of the largest flush since the last CLIENT LIST sample (rbp estimate). */
  replyPeakBytes = 0;
  /** Calls execute() for the decoder without a closure per chunk. */
  readonly sink: (args: RequestArgs) => boolean;
  private outText = '';
  private outParts: Array<string | Buffer> | undefined;
  /** Bytes queued by write() since the last takeOutput() (characters for text: close enough for budgets). */
  private outBytes = 0;

  constructor(
    readonly id: number,
    readonly socket: net.Socket,
    readonly addr: string,
    readonly laddr: string,
    authenticated: boolean,
    nowMs: number,
    sink: (c: Client, args: RequestArgs) => boolean,
  ) {
    this.authenticated = authenticated;
    this.createdAtMs = nowMs;
    this.lastInteractionMs = nowMs;
    this.sink = (args) => sink(this, args);
  }

  /** Argument i of the command being executed, as the bytes received. */
  rawArg(i: number): Buffer | undefined {
    const args = this.currentArgs;
    return args !== undefined && i < args.count ? args.arg(i) : undefined;
  }

  closeAfterReply(): void {
    this.closing = true;
  }

  get subscriptionCount(): number {
    return this.channels.size + this.patterns.size;
  }

  /** Queues encoded bytes; they leave in one write at the end of the event-loop turn. */
  write(data: string | Buffer): void {
    this.outBytes += data.length;
    if (typeof data === 'string') {
      this.outText += data;
      return;
    }
    this.outParts ??= [];
    if (this.outText.length > 0) this.outParts.push(this.outText);
    this.outText = '';
    this.outParts.push(data);
  }

  get hasOutput(): boolean {
    return this.outText.length > 0 || this.outParts !== undefined;
  }

  /** Bytes queued and not yet handed to the socket (CLIENT LIST obl). */
  get pendingOutputBytes(): number {
    let n = Buffer.byteLength(this.outText, 'utf8');
    for (const p of this.outParts ?? []) n += typeof p === 'string' ? Buffer.byteLength(p, 'utf8') : p.length;
    return n;
  }

  /** Output queued here plus what the socket still holds: Redis's obuf memory for the output limits. */
  get outputBufferBytes(): number {
    return this.outBytes + this.socket.writableLength;
  }

  /** Bytes queued since the last flush (the turn budget). */
  get queuedOutputBytes(): number {
    return this.outBytes;
  }

  takeOutput(): string | Array<string | Buffer> {
    const parts = this.outParts;
    const text = this.outText;
    this.outBytes = 0;
    this.outParts = undefined;
    this.outText = '';
    if (parts === undefined) return text;
    if (text.length > 0) parts.push(text);
    return parts;
  }
}

/**
 * Pipelines are served in turns: after this many commands or this many bytes
 * of replies, the client waits for setImmediate (timers, other clients and
 * links run in between), and while its socket holds more than
 * OUTPUT_PAUSE_BYTES unsent, for 'drain'. Input is still read meanwhile (a
 * client that writes its whole pipeline before reading cannot deadlock), up to
 * client-query-buffer-limit.
 */
const TURN_COMMANDS_MAX = 1000;
const TURN_OUTPUT_MAX_BYTES = 256 * 1024;
const OUTPUT_PAUSE_BYTES = 1024 * 1024;
/**
 * Handlers take arguments as JS strings (UTF-8). Text costs the V8 heap
 * (and a string cannot exceed 2^29-24 characters), so a command whose
 * arguments are bigger than this (bytes plus a per-argument allowance) is
 * refused with Redis's "string exceeds maximum allowed size" error instead of
 * being decoded; no Sentinel command needs that much. PING, which echoes
 * bytes, reads them raw and is exempt.
 */
const STRING_ARGS_MAX_BYTES = 64 * 1024 * 1024;
const STRING_ARG_OVERHEAD_BYTES = 32;
/** A reply part this big is written as it is, never copied into a merged buffer. */
const BIG_REPLY_BYTES = 64 * 1024;
const STRING_TOO_LONG = 'ERR string exceeds maximum allowed size (proto-max-bulk-len)';
/** Commands whose handlers read their payload with Client.rawArg (binary-safe). */
const RAW_ARG_COMMANDS = new Set(['ping']);
/** A name or subcommand longer than this matches nothing; only this much is decoded for the error. */
const NAME_BYTES_MAX = 512;

const PUBSUB_CONTEXT_COMMANDS = new Set([
  'ping', 'subscribe', 'unsubscribe', 'psubscribe', 'punsubscribe', 'ssubscribe', 'sunsubscribe', 'quit', 'reset',
]);

const DENIED_PROTECTED_MODE =
  '-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command \'CONFIG SET protected-mode no\' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to \'no\', and then restarting the server. 3) If you started the server manually just for testing, restart it with the \'--protected-mode no\' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n';

/** strerror() texts for the bind errors Redis reports. */
const STRERROR: Record<string, string> = {
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EACCES: 'Permission denied',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  EINVAL: 'Invalid argument',
};

/** Arity and flags of every command and subcommand redis-sentinel knows, by full name. */
const CAPTURED_META = capturedMeta();

function capturedMeta(): Map<string, { arity: number; flags: Set<string> }> {
  const out = new Map<string, { arity: number; flags: Set<string> }>();
  const visit = (info: Reply): void => {
    if (info.kind !== 'array') return;
    const [name, arity, flags] = info.items;
    if (name?.kind !== 'bulk' || arity?.kind !== 'int' || flags?.kind !== 'set') return;
    const flagNames = flags.items.map((f) => (f.kind === 'simple' ? f.value : ''));
    out.set(String(name.value), { arity: Number(arity.value), flags: new Set(flagNames) });
    const subs = info.items[9];
    if (subs?.kind === 'array' || subs?.kind === 'set') subs.items.forEach(visit);
  };
  COMMAND_INFO.forEach(visit);
  return out;
}

interface PatternSubscription {
  readonly bytes: Buffer;
  readonly clients: Set<Client>;
}

interface PauseState {
  endMs: number;
  mode: 'write' | 'all';
  timer: NodeJS.Timeout;
}

/** A listener could not be bound; the message holds Redis's two lines. */
export class ListenError extends Error {
  override readonly name = 'ListenError';
}

export class RespServer implements ServerApi {
  /** Set by the host: handles `PUBLISH __sentinel__:hello <payload>` and returns the PUBLISH reply. */
  onHelloPublish: ((channel: string, message: string) => number) | undefined;
  /** Calls per command name ("sentinel|masters"), for metrics. */
  readonly commandCounts = new Map<string, number>();
  /** Set by the host: SHUTDOWN waits for it (flush config, exit). Rejecting makes SHUTDOWN reply an error. */
  onShutdown: (() => Promise<void>) | undefined;
  requirePass: string | undefined;
  /** Users, authentication and the permission check of every command (acl.ts). */
  readonly acl: Acl;
  readonly maxClients: number;
  readonly logger: Logger;
  readonly limits: ServerLimits;
  /** client-output-buffer-limit normal 0 0 0 (the default): nothing to check for most replies. */
  private readonly normalUnlimited: boolean;
  /** Bumped by register(): replies cached from the command table (COMMAND) are stale. */
  commandTableVersion = 0;

  private readonly opts: RespServerOptions;
  private readonly commands = new Map<string, CommandEntry>();
  private readonly clientsById = new Map<number, Client>();
  private readonly listeners: net.Server[] = [];
  private readonly channelSubs = new Map<string, Set<Client>>();
  private readonly patternSubs = new Map<string, PatternSubscription>();
  private readonly dirty = new Set<Client>();
  private flushScheduled = false;
  private nextClientId = 1;
  private boundPort = 0;
  private tlsBoundPort = 0;
  private pause: PauseState | undefined;
  private readonly counters = {
    totalConnectionsReceived: 0,
    totalCommandsProcessed: 0,
    totalNetInputBytes: 0,
    totalNetOutputBytes: 0,
    rejectedConnections: 0,
    totalErrorReplies: 0,
  };

  constructor(opts: RespServerOptions) {
    this.opts = opts;
    this.requirePass = opts.requirePass;
    this.acl = opts.acl ?? new Acl({ requirePass: opts.requirePass, logger: opts.logger });
    this.logger = opts.logger.child({ component: 'server' });
    this.limits = opts.limits ?? defaultServerLimits();
    this.normalUnlimited = this.limits.outputBuffer.normal.hardBytes === 0 && this.limits.outputBuffer.normal.softBytes === 0;
    // Node cannot raise RLIMIT_NOFILE: like Redis when setrlimit fails, fit maxclients under it.
    const fit = maxClientsForFdLimit(opts.maxClients, 'fdLimit' in opts ? opts.fdLimit : openFilesLimit());
    for (const line of fit.warnings) this.logger.warn(line);
    this.maxClients = fit.maxClients;
  }

  // --- commands -------------------------------------------------------------

  /** Adds a command (and its subcommands). Registering a name again replaces it. */
  register(spec: CommandSpec): void {
    this.commandTableVersion++;
    this.commands.set(spec.name.toLowerCase(), this.toEntry(spec, spec.name.toLowerCase()));
  }

  private toEntry(spec: CommandSpec, fullName: string): CommandEntry {
    const meta = CAPTURED_META.get(fullName);
    let subcommands: Map<string, CommandEntry> | undefined;
    if (spec.subcommands !== undefined && spec.subcommands.length > 0) {
      subcommands = new Map();
      for (const sub of spec.subcommands) {
        const subName = sub.name.toLowerCase().split('|').pop() as string;
        subcommands.set(subName, this.toEntry(sub, `${fullName}|${subName}`));
      }
    }
    return {
      name: fullName,
      arity: meta?.arity ?? spec.arity,
      flags: meta?.flags ?? new Set(spec.flags),
      spec,
      handler: spec.handler,
      subcommands,
    };
  }

  /** Registered top-level commands in registration order (COMMAND, COMMAND COUNT). */
  commandEntries(): IterableIterator<CommandEntry> {
    return this.commands.values();
  }

  /** Looks up "name" or "name|sub" / argv-style [name, sub]. */
  findCommand(name: string, sub?: string): CommandEntry | undefined {
    const [base, inner] = sub === undefined ? name.toLowerCase().split('|') : [name.toLowerCase(), sub.toLowerCase()];
    const entry = this.commands.get(base as string);
    if (inner === undefined || entry === undefined) return entry;
    return entry.subcommands?.get(inner);
  }

  // --- listening ------------------------------------------------------------

  /** Binds every address (plain ones first, then TLS, as Redis); on failure closes what was bound and rejects with Redis's message. */
  async listen(): Promise<void> {
    if (this.opts.plain !== false) await this.listenAll(false);
    if (this.opts.tls !== undefined) await this.listenAll(true);
  }

  private async listenAll(tls: boolean): Promise<void> {
    const addrs = this.opts.bind.length > 0 ? this.opts.bind : ['*', '-::*'];
    for (const addr of addrs) {
      try {
        await this.listenOne(addr, tls);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        const optional = addr.startsWith('-');
        if (optional && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT')) {
          this.logger.warn({ addr }, `Could not bind optional address ${addr.slice(1)}: ${STRERROR[code]}`);
          continue;
        }
        await this.close();
        const port = tls ? this.tlsPort : this.boundPort || this.opts.port;
        throw new ListenError(
          `Warning: Could not create server TCP listening socket ${addr.replace(/^-/, '')}:${port}: bind: ${STRERROR[code] ?? (e as Error).message}\n` +
          `Failed listening on port ${port} (${tls ? 'TLS' : 'TCP'}), aborting.`,
        );
      }
    }
  }

  private listenOne(addr: string, tls = false): Promise<void> {
    const spec = addr.replace(/^-/, '');
    const host = spec === '*' ? '0.0.0.0' : spec === '::*' ? '::' : spec;
    const socketOptions = { noDelay: true, keepAlive: true, keepAliveInitialDelay: 300_000 };
    const onConnection = (s: net.Socket): void => {
      try {
        this.onConnection(s);
      } catch (err) {
        this.logger.error({ err }, 'Internal error while accepting a client: closing it');
        s.destroy();
      }
    };
    const srv = tls && this.opts.tls !== undefined
      ? createTlsListener(this.opts.tls, socketOptions, onConnection, this.logger)
      : net.createServer(socketOptions, onConnection);
    const port = tls ? this.tlsPort : this.boundPort || this.opts.port;
    return new Promise((resolve, reject) => {
      srv.once('error', reject);
      // ipv6Only so `::` and `0.0.0.0` can both be bound, as Redis does.
      srv.listen({ host, port, backlog: 511, ipv6Only: host.includes(':') }, () => {
        srv.off('error', reject);
        srv.on('error', (err) => this.logger.error({ err }, 'listener error'));
        this.listeners.push(srv);
        const a = srv.address();
        const bound = a !== null && typeof a === 'object' ? a.port : 0;
        if (tls && this.tlsBoundPort === 0) this.tlsBoundPort = bound;
        if (!tls && this.boundPort === 0) this.boundPort = bound;
        resolve();
      });
    });
  }

  /** The TCP port in use (the real one when listening on port 0). */
  get port(): number {
    return this.boundPort || this.opts.port;
  }

  /** The TLS port in use; 0 without a TLS listener. */
  get tlsPort(): number {
    return this.tlsBoundPort || (this.opts.tls?.port ?? 0);
  }

  /** Stops listening and drops every client. */
  async close(): Promise<void> {
    if (this.pause !== undefined) clearTimeout(this.pause.timer);
    this.pause = undefined;
    for (const c of this.clientsById.values()) c.socket.destroy();
    const listeners = this.listeners.splice(0);
    await Promise.all(listeners.map((l) => new Promise<void>((r) => l.close(() => r()))));
  }

  // --- connections ----------------------------------------------------------

  private onConnection(socket: net.Socket): void {
    socket.on('error', (err) => this.logger.debug({ err }, 'client socket error'));
    if (this.clientsById.size >= this.maxClients) {
      this.counters.rejectedConnections++;
      endAndClose(socket, '-ERR max number of clients reached\r\n');
      return;
    }
    // Redis 7.0: it is the default user's nopass flag that counts, `bind` or not.
    if (this.opts.protectedMode === true && this.acl.defaultUserHasNoPassword && !isLoopback(socket.remoteAddress)) {
      this.counters.rejectedConnections++;
      endAndClose(socket, DENIED_PROTECTED_MODE);
      return;
    }
    this.counters.totalConnectionsReceived++;
    const c = new Client(
      this.nextClientId++,
      socket,
      formatAddr(socket.remoteAddress, socket.remotePort),
      formatAddr(socket.localAddress, socket.localPort),
      this.acl.newClientsAuthenticated,
      Date.now(),
      (client, argv) => this.execute(client, argv),
    );
    c.decoder.authRequired = !c.authenticated;
    c.decoder.bulkMaxBytes = this.limits.bulkMaxBytes;
    this.clientsById.set(c.id, c);
    this.logger.debug({ id: c.id, addr: c.addr }, 'Accepted client');
    socket.on('data', (chunk: Buffer) => {
      try {
        this.onData(c, chunk);
      } catch (err) {
        this.dropAfterError(c, err);
      }
    });
    socket.on('close', () => this.guarded(c, () => this.onClose(c)));
  }

  /**
   * Whatever a client sends, an exception while serving it (a bug, an
   * allocation refused) must not take the Sentinel down: log it, drop that
   * client, keep serving the others.
   */
  private guarded(c: Client, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.dropAfterError(c, err);
    }
  }

  private dropAfterError(c: Client, err: unknown): void {
    this.logger.error({ err, id: c.id, addr: c.addr }, 'Internal error while serving a client: closing it');
    c.decoder.discard();
    c.socket.destroy();
  }

  private onData(c: Client, chunk: Buffer): void {
    this.counters.totalNetInputBytes += chunk.length;
    c.lastInteractionMs = Date.now();
    c.decoder.feed(chunk);
    if (c.decoder.pendingBytes > this.limits.queryBufferMaxBytes) {
      this.closeForQueryBuffer(c);
      return;
    }
    if (!c.yielded) this.processInput(c);
  }

  /** Redis's readQueryFromClient check: the client is freed (no reply) and logged. */
  private closeForQueryBuffer(c: Client): void {
    const initial = reprBytes(c.decoder.peek(64));
    this.logger.warn(`Closing client that reached max query buffer length: ${this.acl.describeClient(c)} (qbuf initial bytes: ${initial})`);
    c.decoder.discard();
    c.socket.destroy();
  }

  private processInput(c: Client): void {
    if (!c.waiting && !c.closing && !c.closed && !c.yielded) {
      c.turnCommands = 0;
      const failure = c.decoder.drain(c.sink);
      if (failure !== undefined) {
        this.logger.debug({ client: c.addr, reason: failure }, 'protocol error');
        this.send(c, error(`ERR ${failure}`));
        c.closing = true;
      }
    }
    this.flush(c);
  }

  /** After each command: keep going, or end this client's turn and come back later. */
  private mayContinue(c: Client): boolean {
    if (c.closing || c.closed) return false;
    c.turnCommands++;
    if (c.turnCommands < TURN_COMMANDS_MAX && c.queuedOutputBytes < TURN_OUTPUT_MAX_BYTES) return true;
    c.yielded = true;
    setImmediate(() => this.guarded(c, () => this.nextTurn(c)));
    return false;
  }

  private nextTurn(c: Client): void {
    if (c.closed) return;
    if (c.socket.writableLength > OUTPUT_PAUSE_BYTES && !c.socket.destroyed) {
      // A client that does not read: its class's output limit applies to what waits (normal: none by default).
      if (this.checkOutputLimits(c)) return;
      c.socket.once('drain', () => this.guarded(c, () => this.nextTurn(c)));
      return;
    }
    c.yielded = false;
    this.processInput(c);
  }

  private onClose(c: Client): void {
    this.logger.debug({ id: c.id, addr: c.addr }, 'Client closed connection');
    c.closed = true;
    c.decoder.discard();
    c.currentArgs = undefined;
    this.clientsById.delete(c.id);
    this.dirty.delete(c);
    this.unsubscribeAll(c);
    c.postponed = undefined;
  }

  /** CLIENT KILL: the caller is closed once its reply is out, others at once. */
  killClient(target: Client, caller?: Client): void {
    if (target === caller) target.closeAfterReply();
    else target.socket.destroy();
  }

  clientById(id: number): Client | undefined {
    return this.clientsById.get(id);
  }

  /** Every connected client in connection order (CLIENT LIST). */
  clients(): IterableIterator<Client> {
    return this.clientsById.values();
  }

  clientCount(): number {
    return this.clientsById.size;
  }

  /** The concrete client behind a handler's ClientSession. */
  clientOf(session: ClientSession): Client {
    if (!(session instanceof Client)) throw new Error('not a RespServer client');
    return session;
  }

  // --- dispatch -------------------------------------------------------------

  /** Runs one command; returns false to stop decoding this client's input for now. */
  private execute(c: Client, args: RequestArgs): boolean {
    c.currentArgs = args;
    // The usual case: small arguments, decoded once. Huge ones only once the command is known.
    const text = args.byteLength + STRING_ARG_OVERHEAD_BYTES * args.count <= STRING_ARGS_MAX_BYTES ? args.toStrings() : undefined;
    const found = this.lookup(args, text);
    c.lastCommand = typeof found === 'string' ? 'NULL' : found.name;
    if (typeof found === 'string') return this.reject(c, found);
    const n = args.count;
    if ((found.arity > 0 && found.arity !== n) || n < -found.arity) {
      return this.reject(c, `ERR wrong number of arguments for '${found.name}' command`);
    }
    const argv = text ?? this.rawArgStrings(found, args);
    if (argv === undefined) return this.reject(c, STRING_TOO_LONG);
    const rejection = this.checkCommand(c, found, argv);
    if (rejection !== undefined) return this.reject(c, rejection);
    if (this.isPausedFor(found)) {
      c.waiting = true;
      c.postponed = args;
      c.currentArgs = undefined;
      return false;
    }
    return this.run(c, found, argv, args);
  }

  private reject(c: Client, message: string): boolean {
    this.send(c, error(message));
    this.afterCommand(c);
    return this.mayContinue(c);
  }

  /** Arguments too big as text (see STRING_ARGS_MAX_BYTES): only a raw-argument command gets them, as placeholders. */
  private rawArgStrings(entry: CommandEntry, args: RequestArgs): string[] | undefined {
    if (!RAW_ARG_COMMANDS.has(entry.name) || args.count > 16) return undefined;
    // A raw-argument handler gets the small arguments as text, the payload with Client.rawArg.
    const out: string[] = [];
    for (let i = 0; i < args.count; i++) out.push(args.argLength(i) <= NAME_BYTES_MAX ? args.arg(i).toString('utf8') : '');
    return out;
  }

  private lookup(args: RequestArgs, text: readonly string[] | undefined): CommandEntry | string {
    const name = text?.[0] ?? headText(args, 0);
    const entry = this.commands.get(name.toLowerCase());
    if (entry === undefined) return unknownCommandError(text ?? headStrings(args));
    if (entry.subcommands === undefined || args.count < 2) return entry;
    const subName = text?.[1] ?? headText(args, 1);
    const sub = entry.subcommands.get(subName.toLowerCase());
    if (sub === undefined) return `ERR unknown subcommand '${cString(subName).slice(0, 128)}'. Try ${cString(name).toUpperCase()} HELP.`;
    return sub;
  }

  /** Redis's processCommand checks after arity, in its order: authentication, ACL (NOPERM), RESP2 pub/sub context. */
  private checkCommand(c: Client, entry: CommandEntry, argv: readonly string[]): string | undefined {
    if (this.acl.authRequired(c) && !entry.flags.has('no_auth')) {
      return 'NOAUTH Authentication required.';
    }
    const denied = this.acl.checkCommand(c, entry.name, argv);
    if (denied !== undefined) return denied;
    if (c.protocol === 2 && c.subscriptionCount > 0 && !PUBSUB_CONTEXT_COMMANDS.has(entry.name.split('|')[0] as string)) {
      return `ERR Can't execute '${entry.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`;
    }
    if (entry.handler === undefined) return `ERR unknown subcommand or wrong number of arguments for '${argv[1] ?? ''}'`;
    return undefined;
  }

  private run(c: Client, entry: CommandEntry, argv: string[], args: RequestArgs): boolean {
    this.counters.totalCommandsProcessed++;
    this.commandCounts.set(entry.name, (this.commandCounts.get(entry.name) ?? 0) + 1);
    c.currentArgv = argv;
    c.currentArgs = args;
    let result: Reply | Promise<Reply>;
    try {
      result = (entry.handler as CommandHandler)(this.contextFor(c), argv);
    } catch (e) {
      result = this.handlerFailure(entry, e);
    }
    if (!(result instanceof Promise)) {
      this.send(c, result);
      this.afterCommand(c);
      return this.mayContinue(c);
    }
    // Later pipelined commands wait, so replies keep the request order.
    c.waiting = true;
    result
      .catch((e: unknown) => this.handlerFailure(entry, e))
      .then((reply) => this.guarded(c, () => this.resume(c, reply)));
    return false;
  }

  private resume(c: Client, reply: Reply): void {
    c.waiting = false;
    if (c.closed) return;
    this.send(c, reply);
    this.afterCommand(c);
    this.processInput(c);
  }

  private handlerFailure(entry: CommandEntry, e: unknown): Reply {
    // A throwing handler is a bug: log it loudly, but one bad command must not take the sentinel down.
    this.logger.error({ err: e, command: entry.name }, 'command handler failed');
    return error(`ERR internal error while executing '${entry.name}'`);
  }

  private contextFor(c: Client): CommandContext {
    return { client: c, server: this };
  }

  /** Redis's resetClient: one-shot flags expire after every command, rejected ones included. */
  private afterCommand(c: Client): void {
    c.currentArgv = undefined;
    if (c.currentArgs !== undefined && c.currentArgs.byteLength >= GC_HINT_BYTES) collectGarbageSoon();
    c.currentArgs = undefined;
    if (c.replyMode === 'skip') c.replyMode = 'on';
    else if (c.replyMode === 'skip-next') c.replyMode = 'skip';
    if (c.tracking !== undefined && !c.lastCommand.startsWith('client')) c.tracking.caching = false;
    c.decoder.authRequired = this.acl.authRequired(c);
  }

  // --- output ---------------------------------------------------------------

  /** Encodes a reply for this client, honouring CLIENT REPLY OFF/SKIP like Redis 7.0 (pushes included). */
  send(c: Client, reply: Reply): void {
    if (c.closed || c.replyMode === 'off' || c.replyMode === 'skip') return;
    if (reply.kind === 'raw' && reply.value.length === 0) return;
    if (reply.kind === 'error') this.counters.totalErrorReplies++;
    if (reply.kind === 'bulk' && typeof reply.value !== 'string' && reply.value.length >= BIG_REPLY_BYTES) {
      // A big payload (PING's echo) is queued as it is: no copy of hundreds of MB in one turn.
      c.write(`$${reply.value.length}\r\n`);
      c.write(reply.value);
      c.write('\r\n');
    } else {
      c.write(encodeReplyChunk(reply, c.protocol));
    }
    this.checkOutputLimits(c);
  }

  /**
   * Redis's checkClientOutputBufferLimits: over the class's hard limit, or
   * over its soft limit for longer than soft-seconds, the client is closed
   * at once (its pending output is dropped). 0 disables a limit.
   */
  private checkOutputLimits(c: Client): boolean {
    if (this.normalUnlimited && c.channels.size === 0 && c.patterns.size === 0) return false;
    const limit = this.limits.outputBuffer[this.clientClass(c)];
    if (limit.hardBytes === 0 && limit.softBytes === 0) return false;
    const used = c.outputBufferBytes;
    let over = limit.hardBytes > 0 && used >= limit.hardBytes;
    if (limit.softBytes > 0 && used >= limit.softBytes) {
      const now = Date.now();
      if (c.softLimitSinceMs === 0) c.softLimitSinceMs = now;
      else if (now - c.softLimitSinceMs > limit.softSeconds * 1000) over = true;
    } else {
      c.softLimitSinceMs = 0;
    }
    if (!over || c.closed) return over;
    this.logger.warn(`Client ${this.acl.describeClient(c)} scheduled to be closed ASAP for overcoming of output buffer limits.`);
    c.closed = true;
    c.takeOutput();
    c.socket.destroy();
    return true;
  }

  /** Redis's getClientType: a subscriber is in the pubsub class. */
  private clientClass(c: Client): ClientClass {
    return c.subscriptionCount > 0 ? 'pubsub' : 'normal';
  }

  private flush(c: Client): void {
    this.dirty.delete(c);
    if (c.closed) return;
    if (c.hasOutput) {
      const out = c.takeOutput();
      if (typeof out === 'string') this.writeOut(c, out);
      else this.writeParts(c, out);
    }
    // An async reply still to come must not be cut off.
    if (c.closing && !c.waiting) endAndClose(c.socket);
  }

  /** Several parts leave in one writev (cork/uncork), none copied into a merged buffer. */
  private writeParts(c: Client, parts: Array<string | Buffer>): void {
    const small = parts.every((p) => p.length < BIG_REPLY_BYTES);
    if (small) {
      this.writeOut(c, Buffer.concat(parts.map(toBuffer)));
      return;
    }
    c.socket.cork();
    for (const p of parts) this.writeOut(c, p);
    c.socket.uncork();
  }

  private writeOut(c: Client, data: string | Buffer): void {
    const bytes = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
    this.counters.totalNetOutputBytes += bytes;
    if (bytes > c.replyPeakBytes) c.replyPeakBytes = bytes;
    c.lastInteractionMs = Date.now();
    // A huge reply (PING's echo) is freed only once written: ask for a collection then.
    if (bytes >= GC_HINT_BYTES) c.socket.write(data, () => collectGarbageSoon());
    else c.socket.write(data);
  }

  /** Output for clients other than the one being served (pub/sub) leaves on the next tick, batched. */
  private markDirty(c: Client): void {
    this.dirty.add(c);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    process.nextTick(() => {
      this.flushScheduled = false;
      for (const d of [...this.dirty]) this.flush(d);
    });
  }

  // --- pub/sub --------------------------------------------------------------

  /** Delivers to channel subscribers, then to matching patterns; returns the number of receivers. */
  publish(channel: string, message: string): number {
    let receivers = 0;
    const encoded: Partial<Record<Protocol, string | Buffer>> = {};
    const subs = this.channelSubs.get(channel);
    if (subs !== undefined) {
      const msg: Reply = { kind: 'push', items: [bulk('message'), bulk(channel), bulk(message)] };
      for (const c of subs) receivers += this.deliver(c, msg, encoded);
    }
    if (this.patternSubs.size === 0) return receivers;
    const channelBytes = Buffer.from(channel, 'utf8');
    for (const [pattern, ps] of this.patternSubs) {
      if (!globMatch(ps.bytes, channelBytes)) continue;
      const msg: Reply = { kind: 'push', items: [bulk('pmessage'), bulk(pattern), bulk(channel), bulk(message)] };
      const perPattern: Partial<Record<Protocol, string | Buffer>> = {};
      for (const c of ps.clients) receivers += this.deliver(c, msg, perPattern);
    }
    return receivers;
  }

  private deliver(c: Client, msg: Reply, cache: Partial<Record<Protocol, string | Buffer>>): number {
    if (c.closed || c.replyMode === 'off' || c.replyMode === 'skip') return 1;
    const data = (cache[c.protocol] ??= encodeReplyChunk(msg, c.protocol));
    c.write(data);
    // client-output-buffer-limit pubsub: a subscriber that stopped reading is dropped, not buffered forever.
    if (!this.checkOutputLimits(c)) this.markDirty(c);
    return 1;
  }

  /** Returns true when newly subscribed. */
  subscribe(c: Client, channel: string): boolean {
    if (c.channels.has(channel)) return false;
    c.channels.add(channel);
    let set = this.channelSubs.get(channel);
    if (set === undefined) this.channelSubs.set(channel, (set = new Set()));
    set.add(c);
    return true;
  }

  unsubscribe(c: Client, channel: string): boolean {
    if (!c.channels.delete(channel)) return false;
    const set = this.channelSubs.get(channel);
    set?.delete(c);
    if (set?.size === 0) this.channelSubs.delete(channel);
    return true;
  }

  psubscribe(c: Client, pattern: string): boolean {
    if (c.patterns.has(pattern)) return false;
    c.patterns.add(pattern);
    let ps = this.patternSubs.get(pattern);
    if (ps === undefined) this.patternSubs.set(pattern, (ps = { bytes: Buffer.from(pattern, 'utf8'), clients: new Set() }));
    ps.clients.add(c);
    return true;
  }

  punsubscribe(c: Client, pattern: string): boolean {
    if (!c.patterns.delete(pattern)) return false;
    const ps = this.patternSubs.get(pattern);
    ps?.clients.delete(c);
    if (ps?.clients.size === 0) this.patternSubs.delete(pattern);
    return true;
  }

  private unsubscribeAll(c: Client): void {
    for (const ch of [...c.channels]) this.unsubscribe(c, ch);
    for (const p of [...c.patterns]) this.punsubscribe(c, p);
  }

  // --- auth -----------------------------------------------------------------

  /** ACL users: on, and nopass or one of their passwords (compared as SHA-256 digests, as Redis does). */
  checkCredentials(user: string, password: string): boolean {
    return this.acl.checkCredentials(user, password);
  }

  // --- CLIENT PAUSE ---------------------------------------------------------

  /** A later end and the stricter mode win, as in Redis's pauseClients. */
  pauseClients(endMs: number, mode: 'write' | 'all'): void {
    const prev = this.pause;
    if (prev !== undefined) clearTimeout(prev.timer);
    const end = Math.max(endMs, prev?.endMs ?? 0);
    const effective = prev?.mode === 'all' ? 'all' : mode;
    const timer = setTimeout(() => this.unpauseClients(), Math.max(0, end - Date.now()));
    this.pause = { endMs: end, mode: effective, timer };
  }

  unpauseClients(): void {
    if (this.pause === undefined) return;
    clearTimeout(this.pause.timer);
    this.pause = undefined;
    for (const c of [...this.clientsById.values()]) {
      const args = c.postponed;
      if (args === undefined) continue;
      c.postponed = undefined;
      c.waiting = false;
      // Like Redis, a postponed command goes through every check again.
      this.guarded(c, () => {
        if (this.execute(c, args)) this.processInput(c);
        else this.flush(c);
      });
    }
  }

  private isPausedFor(entry: CommandEntry): boolean {
    if (this.pause === undefined) return false;
    if (this.pause.mode === 'all') return true;
    return entry.flags.has('write') || entry.flags.has('may_replicate');
  }

  // --- stats ----------------------------------------------------------------

  stats(): ServerStats {
    return {
      ...this.counters,
      pubsubChannels: this.channelSubs.size,
      pubsubPatterns: this.patternSubs.size,
      connectedClients: this.clientsById.size,
      maxClients: this.maxClients,
    };
  }
}

/** Like Redis: write what is pending, then close the connection fully (no half-open leftovers). */
function endAndClose(socket: net.Socket, last?: string): void {
  if (socket.writableEnded) return;
  socket.end(last ?? '', () => socket.destroy());
}

function toBuffer(part: string | Buffer): Buffer {
  return typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
}

/** Redis's connIsLocal: 127.0.0.0/8 or ::1. */
function isLoopback(addr: string | undefined): boolean {
  const ip = addr?.startsWith('::ffff:') === true ? addr.slice(7) : addr;
  return ip === '::1' || ip?.startsWith('127.') === true;
}

/** Redis's anetFormatAddr: IPv6 in brackets. */
export function formatAddr(ip: string | undefined, port: number | undefined): string {
  const host = ip ?? '?';
  return host.includes(':') ? `[${host}]:${port ?? 0}` : `${host}:${port ?? 0}`;
}

/** Redis's unknown-command error: the name and up to 128 characters of quoted arguments. */
export function unknownCommandError(argv: readonly string[]): string {
  let args = '';
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    args += `'${cString(argv[i] as string).slice(0, 128 - args.length)}' `;
  }
  return `ERR unknown command '${cString(argv[0] as string).slice(0, 128)}', with args beginning with: ${args}`;
}

/** Argument i decoded as text, at most NAME_BYTES_MAX bytes of it (names and error messages). */
function headText(args: RequestArgs, i: number): string {
  const b = args.arg(i);
  return (b.length > NAME_BYTES_MAX ? b.subarray(0, NAME_BYTES_MAX) : b).toString('utf8');
}

/** Enough of the arguments for unknownCommandError (it prints 128 characters at most). */
function headStrings(args: RequestArgs): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.min(args.count, 130); i++) out.push(headText(args, i));
  return out;
}

/** Redis's sdscatrepr: printable ASCII as is, the rest escaped, in double quotes. */
export function reprBytes(b: Buffer): string {
  let out = '"';
  for (const c of b) {
    if (c === 0x5c || c === 0x22) out += `\\${String.fromCharCode(c)}`;
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return `${out}"`;
}

/** Redis formats these errors with printf("%s"): an argument ends at its first NUL. */
function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}
