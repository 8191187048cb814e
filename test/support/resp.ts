import net from 'node:net';
import { bytesToText, textToBytes } from '../../src/byteText.js';

/**
 * A raw RESP client for tests. Unlike ioredis it keeps reply TYPES: a simple
 * string is not a bulk string, `$-1` is not `*-1` nor RESP3 `_`, a RESP3 map
 * is not a flat array. That is what the differential test compares.
 *
 * Strings are byte strings as tssentinel carries them (src/byteText.ts):
 * arguments are sent as textToBytes() of their text, and replies hold
 * bytesToText() of what came, so bytes that are not UTF-8 compare exactly.
 */

export type RespValue =
  | { readonly type: 'simple'; readonly value: string }
  /** `-ERR ...` (and RESP3 blob errors `!`, marked blob). value excludes the dash. */
  | { readonly type: 'error'; readonly value: string; readonly blob?: true }
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'bignum'; readonly value: string }
  | { readonly type: 'bulk'; readonly value: string }
  /** `$-1` (form bulk), `*-1` (form array), RESP3 `_` (form resp3). */
  | { readonly type: 'null'; readonly form: 'bulk' | 'array' | 'resp3' }
  | { readonly type: 'array'; readonly items: readonly RespValue[] }
  | { readonly type: 'map'; readonly entries: ReadonlyArray<readonly [RespValue, RespValue]> }
  | { readonly type: 'set'; readonly items: readonly RespValue[] }
  | { readonly type: 'push'; readonly items: readonly RespValue[] }
  /** text is the wire form (`inf`, `-inf`, `nan`, `1.5`). */
  | { readonly type: 'double'; readonly value: number; readonly text: string }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'verbatim'; readonly format: string; readonly value: string }
  /** A RESP3 attribute (`|`) and the reply it decorates. */
  | {
      readonly type: 'attribute';
      readonly entries: ReadonlyArray<readonly [RespValue, RespValue]>;
      readonly value: RespValue;
    };

export class RespProtocolError extends Error {
  override readonly name = 'RespProtocolError';
}

// ---------------------------------------------------------------------------
// Decoder

interface Parsed {
  readonly value: RespValue;
  readonly end: number;
}

/**
 * Parses one reply starting at offset. Returns undefined when buf holds only
 * part of it (the caller waits for more bytes and parses again from the same
 * offset), throws RespProtocolError on bytes that are not RESP.
 */
export function parseReply(buf: Buffer, offset = 0): Parsed | undefined {
  const lineEnd = buf.indexOf('\r\n', offset, 'latin1');
  if (lineEnd < 0) return undefined;
  const prefix = String.fromCharCode(buf[offset] ?? 0);
  const line = bytesToText(buf, offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (prefix) {
    case '+':
      return { value: { type: 'simple', value: line }, end: next };
    case '-':
      return { value: { type: 'error', value: line }, end: next };
    case ':':
      return { value: { type: 'int', value: parseInteger(line) }, end: next };
    case '(':
      return { value: { type: 'bignum', value: line }, end: next };
    case '_':
      return { value: { type: 'null', form: 'resp3' }, end: next };
    case '#':
      return { value: { type: 'bool', value: line === 't' }, end: next };
    case ',':
      return { value: { type: 'double', value: parseDouble(line), text: line }, end: next };
    case '$':
    case '!':
    case '=':
      return parseBlob(buf, prefix, parseInteger(line), next);
    case '*':
    case '~':
    case '>':
      return parseAggregate(buf, prefix, parseInteger(line), next);
    case '%':
    case '|':
      return parsePairs(buf, prefix, parseInteger(line), next);
    default:
      throw new RespProtocolError(`unexpected RESP type byte ${JSON.stringify(prefix)} in ${JSON.stringify(line)}`);
  }
}

function parseInteger(text: string): number {
  if (!/^-?\d+$/.test(text)) throw new RespProtocolError(`bad RESP integer ${JSON.stringify(text)}`);
  return Number(text);
}

function parseDouble(text: string): number {
  if (text === 'inf') return Infinity;
  if (text === '-inf') return -Infinity;
  return Number(text);
}

function parseBlob(buf: Buffer, prefix: string, len: number, start: number): Parsed | undefined {
  if (len < 0) {
    if (prefix !== '$') throw new RespProtocolError(`negative length for ${prefix}`);
    return { value: { type: 'null', form: 'bulk' }, end: start };
  }
  if (buf.length < start + len + 2) return undefined;
  const text = bytesToText(buf, start, start + len);
  const end = start + len + 2;
  if (prefix === '$') return { value: { type: 'bulk', value: text }, end };
  if (prefix === '!') return { value: { type: 'error', value: text, blob: true }, end };
  // Verbatim: "txt:" then the text.
  return { value: { type: 'verbatim', format: text.slice(0, 3), value: text.slice(4) }, end };
}

function parseAggregate(buf: Buffer, prefix: string, count: number, start: number): Parsed | undefined {
  if (count < 0) {
    if (prefix !== '*') throw new RespProtocolError(`negative count for ${prefix}`);
    return { value: { type: 'null', form: 'array' }, end: start };
  }
  const items: RespValue[] = [];
  let pos = start;
  for (let i = 0; i < count; i++) {
    const item = parseReply(buf, pos);
    if (!item) return undefined;
    items.push(item.value);
    pos = item.end;
  }
  const type = prefix === '*' ? 'array' : prefix === '~' ? 'set' : 'push';
  return { value: { type, items }, end: pos };
}

function parsePairs(buf: Buffer, prefix: string, count: number, start: number): Parsed | undefined {
  const entries: Array<readonly [RespValue, RespValue]> = [];
  let pos = start;
  for (let i = 0; i < count; i++) {
    const key = parseReply(buf, pos);
    if (!key) return undefined;
    const value = parseReply(buf, key.end);
    if (!value) return undefined;
    entries.push([key.value, value.value]);
    pos = value.end;
  }
  if (prefix === '%') return { value: { type: 'map', entries }, end: pos };
  // An attribute decorates the reply that follows it.
  const decorated = parseReply(buf, pos);
  if (!decorated) return undefined;
  return { value: { type: 'attribute', entries, value: decorated.value }, end: decorated.end };
}

/** A command as a RESP multibulk, the way clients send it. */
export function encodeCommand(args: ReadonlyArray<string | number | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.isBuffer(arg) ? arg : textToBytes(String(arg));
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------
// Client

export interface ReplyWithRaw {
  readonly value: RespValue;
  /** The exact bytes of this reply. */
  readonly raw: Buffer;
}

interface Waiter {
  resolve(reply: ReplyWithRaw): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

const DEFAULT_READ_TIMEOUT_MS = 5_000;

/**
 * One connection; every reply (pushes included) goes to one FIFO, read in
 * order. `call` = write + read the next reply, so in subscribed mode use
 * `read`/`readUntil` to take the messages that arrive unasked.
 */
export class RawClient {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly inbox: ReplyWithRaw[] = [];
  private readonly waiters: Waiter[] = [];
  private closedError: Error | undefined;
  private readonly closedPromise: Promise<void>;

  private constructor(
    private readonly socket: net.Socket,
    readonly port: number,
    /** Default deadline of each read. */
    public readTimeoutMs: number,
  ) {
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error(`connection to port ${port} closed`)));
  }

  static connect(port: number, options: { host?: string; timeoutMs?: number } = {}): Promise<RawClient> {
    const host = options.host ?? '127.0.0.1';
    const timeoutMs = options.timeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        resolve(new RawClient(socket, port, timeoutMs));
      });
    });
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Sends a command and resolves with its reply (an error reply is a value, not a throw). */
  async call(...args: Array<string | number | Buffer>): Promise<RespValue> {
    return (await this.callWithRaw(...args)).value;
  }

  async callWithRaw(...args: Array<string | number | Buffer>): Promise<ReplyWithRaw> {
    this.send(...args);
    return this.readWithRaw(this.readTimeoutMs, args.slice(0, 3).map(String).join(' '));
  }

  /** Writes bytes as they are (inline commands, pipelines, garbage) and reads one reply. */
  async callRaw(bytes: string | Buffer): Promise<RespValue> {
    this.write(bytes);
    return (await this.readWithRaw(this.readTimeoutMs, `raw ${JSON.stringify(String(bytes).slice(0, 40))}`)).value;
  }

  send(...args: Array<string | number | Buffer>): void {
    this.write(encodeCommand(args));
  }

  write(bytes: string | Buffer): void {
    if (this.closedError) throw this.closedError;
    this.socket.write(bytes);
  }

  async read(timeoutMs = this.readTimeoutMs): Promise<RespValue> {
    return (await this.readWithRaw(timeoutMs, 'read')).value;
  }

  readWithRaw(timeoutMs = this.readTimeoutMs, what = 'read'): Promise<ReplyWithRaw> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new Error(`no reply from port ${this.port} within ${timeoutMs} ms (${what})`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Reads replies until one matches, dropping the others; bounded by timeoutMs in total. */
  async readUntil(match: (v: RespValue) => boolean, timeoutMs: number): Promise<RespValue> {
    const deadlineMs = Date.now() + timeoutMs;
    for (;;) {
      const leftMs = deadlineMs - Date.now();
      if (leftMs <= 0) throw new Error(`readUntil: no matching reply from port ${this.port} within ${timeoutMs} ms`);
      const value = await this.read(leftMs);
      if (match(value)) return value;
    }
  }

  /** Resolves when the server has closed the connection (e.g. after QUIT), or rejects after timeoutMs. */
  async waitClosed(timeoutMs = this.readTimeoutMs): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`port ${this.port} did not close within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.closedPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (!this.socket.destroyed) this.socket.destroy();
    await this.closedPromise;
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let offset = 0;
    for (;;) {
      let parsed: Parsed | undefined;
      try {
        parsed = parseReply(this.buffer, offset);
      } catch (err) {
        this.fail(err as Error);
        this.socket.destroy();
        return;
      }
      if (!parsed) break;
      this.deliver({ value: parsed.value, raw: Buffer.from(this.buffer.subarray(offset, parsed.end)) });
      offset = parsed.end;
    }
    this.buffer = this.buffer.subarray(offset);
  }

  private deliver(reply: ReplyWithRaw): void {
    const waiter = this.waiters.shift();
    if (!waiter) {
      this.inbox.push(reply);
      return;
    }
    clearTimeout(waiter.timer);
    waiter.resolve(reply);
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(err);
    }
  }
}

// ---------------------------------------------------------------------------
// Plain values

export type Plain = string | number | boolean | null | { error: string } | Plain[] | { [key: string]: Plain };

/**
 * Types dropped, for assertions on content: strings (simple, bulk, verbatim,
 * big numbers), numbers, null, arrays (array, set, push), objects (map, with
 * keys as text), `{ error }` for error replies. Attributes are dropped.
 */
export function toPlain(v: RespValue): Plain {
  switch (v.type) {
    case 'simple':
    case 'bulk':
    case 'verbatim':
    case 'bignum':
      return v.value;
    case 'error':
      return { error: v.value };
    case 'int':
    case 'double':
    case 'bool':
      return v.value;
    case 'null':
      return null;
    case 'array':
    case 'set':
    case 'push':
      return v.items.map(toPlain);
    case 'map': {
      const out: { [key: string]: Plain } = {};
      for (const [k, val] of v.entries) out[String(toPlain(k))] = toPlain(val);
      return out;
    }
    case 'attribute':
      return toPlain(v.value);
  }
}

/**
 * A field list as a record: a RESP3 map, or a RESP2 flat array
 * [name, value, name, value, ...] (SENTINEL MASTER, HELLO under RESP2).
 */
export function toRecord(v: RespValue): Record<string, Plain> {
  if (v.type === 'map') return toPlain(v) as Record<string, Plain>;
  if (v.type !== 'array') throw new Error(`toRecord: expected a map or array, got ${v.type}: ${describeValue(v)}`);
  const out: Record<string, Plain> = {};
  for (let i = 0; i + 1 < v.items.length; i += 2) {
    out[String(toPlain(v.items[i]!))] = toPlain(v.items[i + 1]!);
  }
  return out;
}

/** One line for messages. */
export function describeValue(v: RespValue): string {
  const text = JSON.stringify(toPlain(v));
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** The text of a bulk/verbatim/simple reply (INFO is bulk under RESP2, verbatim under RESP3). */
export function textOf(v: RespValue): string {
  if (v.type === 'bulk' || v.type === 'verbatim' || v.type === 'simple') return v.value;
  throw new Error(`expected a text reply, got ${v.type}: ${describeValue(v)}`);
}

// ---------------------------------------------------------------------------
// INFO and CLIENT lines

export interface InfoSection {
  readonly name: string;
  readonly fields: ReadonlyArray<readonly [string, string]>;
}

/** `# Server\r\nredis_version:7.0.15\r\n...` → sections with their fields in order. */
export function parseInfo(text: string): InfoSection[] {
  const sections: Array<{ name: string; fields: Array<[string, string]> }> = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === '') continue;
    if (line.startsWith('# ')) {
      sections.push({ name: line.slice(2), fields: [] });
      continue;
    }
    const colon = line.indexOf(':');
    if (sections.length === 0) sections.push({ name: '', fields: [] });
    const field: [string, string] = colon < 0 ? [line, ''] : [line.slice(0, colon), line.slice(colon + 1)];
    sections[sections.length - 1]!.fields.push(field);
  }
  return sections;
}

/** `id=3 addr=127.0.0.1:5 ...` (CLIENT INFO, one CLIENT LIST line) → fields in order. */
export function parseClientLine(line: string): Array<[string, string]> {
  return line
    .trim()
    .split(' ')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    });
}

// ---------------------------------------------------------------------------
// Normalization for the differential test

/**
 * A reply with its types kept and its volatile parts replaced, ready for
 * deep-equal between two processes. Scalars are strings prefixed with their
 * RESP type byte (`+OK`, `-ERR x`, `:1`, `$text`, `,1.5`, `#t`, `=txt:...`,
 * `(123`; nulls `$<null>`, `*<null>`, `_<null>`); aggregates are arrays whose
 * first element names the type (`*`, `~`, `>`, `%` with keys and values
 * flattened, `|`).
 */
export type Normalized = string | Normalized[];

export interface NormalizeOptions {
  /** Known ports and their labels, e.g. {6379: 'master'}; both sides' own ports usually share a label. */
  readonly ports?: ReadonlyMap<number, string> | Readonly<Record<number, string>>;
  /** More field names whose values are volatile (besides VOLATILE_FIELDS). */
  readonly volatileFields?: readonly string[];
  /** Replace every integer reply by `:<int>` (CLIENT ID and the like). */
  readonly volatileInts?: boolean;
}

/**
 * Field names (SENTINEL MASTER/REPLICAS/SENTINELS, HELLO, ...) whose values
 * are clocks, counters or per-process ids, and the placeholder used for them.
 */
export const VOLATILE_FIELDS: Readonly<Record<string, string>> = {
  'last-ping-sent': '<ms>',
  'last-ok-ping-reply': '<ms>',
  'last-ping-reply': '<ms>',
  'info-refresh': '<ms>',
  'role-reported-time': '<ms>',
  's-down-time': '<ms>',
  'o-down-time': '<ms>',
  'master-link-down-time': '<ms>',
  'last-hello-message': '<ms>',
  'failover-state-time': '<ms>',
  // Whether a PING is in flight at the instant of the call: 0 or 1 by chance.
  'link-pending-commands': '<n>',
  // Replication keeps advancing the offset.
  'slave-repl-offset': '<n>',
  // HELLO's client id.
  id: '<id>',
};

const RUNID_RE = /\b[0-9a-f]{40}\b/g;
const CLIENT_COUNTER_RE = /\b(id|fd|age|idle|qbuf|qbuf-free|argv-mem|multi-mem|obl|oll|omem|tot-mem)=\d+/g;

export function normalize(v: RespValue, options: NormalizeOptions = {}): Normalized {
  const ctx = makeContext(options);
  return normalizeValue(v, ctx);
}

interface NormContext {
  readonly ports: ReadonlyArray<readonly [number, string]>;
  readonly volatile: ReadonlyMap<string, string>;
  readonly volatileInts: boolean;
}

function makeContext(options: NormalizeOptions): NormContext {
  const portEntries: Array<[number, string]> =
    options.ports instanceof Map
      ? [...options.ports.entries()]
      : Object.entries(options.ports ?? {}).map(([k, label]) => [Number(k), label as string]);
  const volatile = new Map(Object.entries(VOLATILE_FIELDS));
  for (const name of options.volatileFields ?? []) volatile.set(name, '<volatile>');
  return { ports: portEntries, volatile, volatileInts: options.volatileInts ?? false };
}

/** Runids, known ports, unknown loopback ports and client counters replaced by placeholders. */
export function normalizeText(text: string, options: NormalizeOptions = {}): string {
  return normText(text, makeContext(options));
}

function normText(text: string, ctx: NormContext): string {
  let out = text.replace(RUNID_RE, '<runid>');
  for (const [port, label] of ctx.ports) {
    out = out.replace(new RegExp(`(?<![0-9])${port}(?![0-9])`, 'g'), `<${label}>`);
  }
  out = out.replace(/(127\.0\.0\.1|localhost):\d+/g, '$1:<port>');
  return out.replace(CLIENT_COUNTER_RE, '$1=<n>');
}

function normalizeValue(v: RespValue, ctx: NormContext): Normalized {
  switch (v.type) {
    case 'simple':
      return `+${normText(v.value, ctx)}`;
    case 'error':
      return `${v.blob ? '!' : '-'}${normText(v.value, ctx)}`;
    case 'int': {
      if (ctx.volatileInts) return ':<int>';
      const label = ctx.ports.find(([port]) => port === v.value)?.[1];
      return label ? `:<${label}>` : `:${v.value}`;
    }
    case 'bignum':
      return `(${v.value}`;
    case 'bulk':
      return `$${normText(v.value, ctx)}`;
    case 'null':
      // Not "$-1": a bulk string "-1" must stay distinct from a null.
      return v.form === 'bulk' ? '$<null>' : v.form === 'array' ? '*<null>' : '_<null>';
    case 'double':
      return `,${v.text}`;
    case 'bool':
      return v.value ? '#t' : '#f';
    case 'verbatim':
      return `=${v.format}:${normText(v.value, ctx)}`;
    case 'array':
      return ['*', ...normalizeItems(v.items, ctx)];
    case 'set':
      return ['~', ...normalizeItems(v.items, ctx)];
    case 'push':
      return ['>', ...normalizeItems(v.items, ctx)];
    case 'map':
      return ['%', ...normalizeItems(v.entries.flat(), ctx)];
    case 'attribute':
      return ['|', ...normalizeItems(v.entries.flat(), ctx), normalizeValue(v.value, ctx)];
  }
}

/**
 * Items of an aggregate, read as a possible field list: an item following a
 * string named in the volatile table gets its placeholder (type byte kept).
 */
function normalizeItems(items: readonly RespValue[], ctx: NormContext): Normalized[] {
  const out: Normalized[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const prev = i % 2 === 1 ? items[i - 1] : undefined;
    const placeholder =
      prev && (prev.type === 'bulk' || prev.type === 'simple') ? ctx.volatile.get(prev.value) : undefined;
    out.push(placeholder !== undefined ? volatileValue(item, placeholder) : normalizeValue(item, ctx));
  }
  return out;
}

function volatileValue(v: RespValue, placeholder: string): Normalized {
  switch (v.type) {
    case 'bulk':
      return `$${placeholder}`;
    case 'simple':
      return `+${placeholder}`;
    case 'int':
      return `:${placeholder}`;
    case 'null':
      return normalizeValue(v, { ports: [], volatile: new Map(), volatileInts: false });
    default:
      return `${v.type}:${placeholder}`;
  }
}
