/** The state of one connection: identity, protocol, reply mode, subscriptions, queued output. */
import type net from 'node:net';
import { RequestDecoder, type RequestArgs } from './decode.js';
import type { ClientSession, Protocol } from './types.js';

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

/** One connection. Public fields are for the command handlers (CLIENT, HELLO, pub/sub); hosts should treat them as read-only. */
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
  /** Its socket is not read for now (too much input waiting while it is not served). */
  inputPaused = false;
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
