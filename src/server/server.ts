import net from 'node:net';
import type { Logger } from '../log.js';
import type { TlsListenerOptions } from '../tls.js';
import { reprBytes } from '../redisArgs.js';
import { Client } from './clientState.js';
import type { RequestArgs } from './decode.js';
import { GC_HINT_BYTES, collectGarbageSoon } from './gcHint.js';
import { defaultServerLimits, maxClientsForFdLimit, openFilesLimit, type ClientClass, type ServerLimits } from './limits.js';
import { Acl } from './acl.js';
import { Listeners } from './listeners.js';
import { PubSub, type EncodedCache } from './pubsub.js';
import { NAME_BYTES_MAX, cString, headStrings, headText, unknownCommandError } from './requestErrors.js';
import { encodeReplyChunk } from './encode.js';
import { indexedCommand } from './commandIndex.js';
import { error, type Reply } from './reply.js';
import type {
  ClientSession,
  CommandContext,
  CommandEntry,
  CommandHandler,
  CommandSpec,
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

/**
 * Pipelines are served in turns: after this many commands or this many bytes
 * of replies, the client waits for setImmediate (timers, other clients and
 * links run in between), and while its socket holds more than
 * OUTPUT_PAUSE_BYTES unsent, for 'drain'.
 */
const TURN_COMMANDS_MAX = 1000;
const TURN_OUTPUT_MAX_BYTES = 256 * 1024;
const OUTPUT_PAUSE_BYTES = 1024 * 1024;
/**
 * Input read ahead of a client that is not being served (its turn is over,
 * its replies wait for 'drain', a handler or CLIENT PAUSE holds it): past this
 * many unparsed bytes its socket is not read until it is served again. Redis
 * reads on and buffers the replies (client-output-buffer-limit normal 0 0 0);
 * holding the client back with TCP instead keeps a pipeline that never reads
 * its replies from costing more than this, the socket buffers and
 * OUTPUT_PAUSE_BYTES. The price: a client that writes several MB of pipeline
 * before it reads any reply, from one blocking thread, waits forever.
 */
const INPUT_AHEAD_MAX_BYTES = 256 * 1024;
/**
 * Redis 7.0.15 (with the CVE-2025-21605 fix, as Debian ships it) lets a client
 * that still has to authenticate fill its 16 KB reply buffer
 * (PROTO_REPLY_CHUNK_BYTES) and no more: a reply spilling past it closes the
 * client, pending replies dropped, whether it reads or not (482 pipelined
 * NOAUTH replies in one read are enough), with the output-limit log line.
 */
const UNAUTH_OUTPUT_MAX_BYTES = 16 * 1024;
/**
 * Handlers take arguments as JS strings (../byteText.ts). Text costs the V8 heap
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

const PUBSUB_CONTEXT_COMMANDS = new Set([
  'ping', 'subscribe', 'unsubscribe', 'psubscribe', 'punsubscribe', 'ssubscribe', 'sunsubscribe', 'quit', 'reset',
]);

const DENIED_PROTECTED_MODE =
  '-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command \'CONFIG SET protected-mode no\' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to \'no\', and then restarting the server. 3) If you started the server manually just for testing, restart it with the \'--protected-mode no\' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n';

interface PauseState {
  endMs: number;
  mode: 'write' | 'all';
  timer: NodeJS.Timeout;
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
  private readonly listeners: Listeners;
  /** Channel and pattern subscriptions; PUBLISH fans out through deliver(). */
  readonly pubsub = new PubSub((c, msg, cache) => this.deliver(c, msg, cache));
  private readonly dirty = new Set<Client>();
  private flushScheduled = false;
  private nextClientId = 1;
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
    this.listeners = new Listeners(opts, this.logger, (s) => this.onConnection(s), () => this.close());
  }

  // --- commands -------------------------------------------------------------

  /** Adds a command (and its subcommands). Registering a name again replaces it. */
  register(spec: CommandSpec): void {
    this.commandTableVersion++;
    this.commands.set(spec.name.toLowerCase(), this.toEntry(spec, spec.name.toLowerCase()));
  }

  private toEntry(spec: CommandSpec, fullName: string): CommandEntry {
    const meta = indexedCommand(fullName);
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
      flags: new Set(meta?.flags ?? spec.flags),
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

  /** Binds every address (plain ones first, then TLS, as Redis); on failure closes what was bound and rejects with Redis's message. */
  listen(): Promise<void> {
    return this.listeners.listen();
  }

  /** The TCP port in use (the real one when listening on port 0). */
  get port(): number {
    return this.listeners.port;
  }

  /** The TLS port in use; 0 without a TLS listener. */
  get tlsPort(): number {
    return this.listeners.tlsPort;
  }

  /** Stops listening and drops every client. */
  async close(): Promise<void> {
    if (this.pause !== undefined) clearTimeout(this.pause.timer);
    this.pause = undefined;
    for (const c of this.clientsById.values()) c.socket.destroy();
    await this.listeners.close();
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
    else this.throttleInput(c);
  }

  /** Reads a client's socket only while it is served or has little unparsed input (INPUT_AHEAD_MAX_BYTES). */
  private throttleInput(c: Client): void {
    const held = c.yielded || c.waiting || c.closing;
    const hold = held && c.decoder.unparsedBytes > INPUT_AHEAD_MAX_BYTES;
    if (hold === c.inputPaused || c.closed) return;
    c.inputPaused = hold;
    if (hold) c.socket.pause();
    else c.socket.resume();
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
    this.throttleInput(c);
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
    this.pubsub.unsubscribeAll(c);
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
    const arity = found.spec.acceptArity ?? found.arity;
    if ((arity > 0 && arity !== n) || n < -arity) {
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
    for (let i = 0; i < args.count; i++) out.push(args.argLength(i) <= NAME_BYTES_MAX ? args.text(i) : '');
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
   * at once (its pending output is dropped). 0 disables a limit. Before
   * AUTH, UNAUTH_OUTPUT_MAX_BYTES applies whatever the class limits say.
   */
  private checkOutputLimits(c: Client): boolean {
    const over = (this.acl.authRequired(c) && c.outputBufferBytes > UNAUTH_OUTPUT_MAX_BYTES) || this.overClassLimit(c);
    if (!over || c.closed) return over;
    this.logger.warn(`Client ${this.acl.describeClient(c)} scheduled to be closed ASAP for overcoming of output buffer limits.`);
    c.closed = true;
    c.takeOutput();
    c.socket.destroy();
    return true;
  }

  /** The class's hard limit, or its soft limit for longer than soft-seconds. */
  private overClassLimit(c: Client): boolean {
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
    return over;
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
    return this.pubsub.publish(channel, message);
  }

  private deliver(c: Client, msg: Reply, cache: EncodedCache): number {
    if (c.closed || c.replyMode === 'off' || c.replyMode === 'skip') return 1;
    const data = (cache[c.protocol] ??= encodeReplyChunk(msg, c.protocol));
    c.write(data);
    // client-output-buffer-limit pubsub: a subscriber that stopped reading is dropped, not buffered forever.
    if (!this.checkOutputLimits(c)) this.markDirty(c);
    return 1;
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
      pubsubChannels: this.pubsub.channelCount,
      pubsubPatterns: this.pubsub.patternCount,
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
