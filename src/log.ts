/**
 * Root logger. `logfile ""` logs to stdout as Redis does; otherwise lines are
 * appended to the file. `logformat redis` (default) prints lines the way
 * redis-sentinel does (`pid:X date time # +sdown master ...`), what people
 * grep; `logformat json` one pino JSON object per line (with `event` and
 * `master` fields) for log shippers. TSSENTINEL_LOG_FORMAT=json|redis
 * overrides the directive (`pretty`, its older name for `redis`, still works).
 *
 * pino (~10 MB of RSS once loaded) is loaded only for the JSON format: the
 * Redis-style lines are written by RedisStyleLogger below, which prints the
 * same bytes pino + redisStyleLine printed.
 */
import { createRequire } from 'node:module';
import type { DestinationStream, pino as pinoFn } from 'pino';
import { LogSink } from './logSink.js';
import { escapeUnprintableText } from './redisArgs.js';
import type { LogFormat } from './config/model.js';

type LogFn = (objOrMsg: unknown, msg?: string) => void;

/**
 * What the Sentinel needs of a logger: pino's Logger fits it (JSON format),
 * and so does RedisStyleLogger (the default format), without loading pino.
 */
export interface Logger {
  /** pino level name: debug, info, warn, error, silent. */
  level: string;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

export type SentinelLogLevel = 'debug' | 'verbose' | 'notice' | 'warning' | 'nothing';

const LEVELS: Record<SentinelLogLevel, string> = {
  debug: 'debug',
  verbose: 'debug',
  notice: 'info',
  warning: 'warn',
  nothing: 'silent',
};

export function pinoLevel(level: SentinelLogLevel): string {
  return LEVELS[level];
}

/** Redis's level marks: . debug, - verbose, * notice, # warning. */
const MARKS: Record<number, string> = { 10: '.', 20: '.', 30: '*', 40: '#', 50: '#', 60: '#' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** One pino JSON line -> `pid:X 22 Nov 2026 00:38:04.123 # message`. */
export function redisStyleLine(json: string): string {
  let rec: { level?: number; time?: number; pid?: number; msg?: string; err?: unknown };
  try {
    rec = JSON.parse(json) as typeof rec;
  } catch {
    return json;
  }
  return formatRedisLine(rec.pid ?? process.pid, rec.time ?? 0, rec.level ?? 30, rec.msg, rec.err);
}

function formatRedisLine(pid: number, timeMs: number, level: number, msg: string | undefined, err: unknown): string {
  const d = new Date(timeMs);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${pad(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  const extra = err === undefined ? '' : ` (${String(err)})`;
  // One record, one line: a value with a newline (an error reply, a path, a
  // hostname) must not start a forged line, as it does in redis-sentinel's log.
  return `${pid}:X ${stamp} ${MARKS[level] ?? '*'} ${escapeUnprintableText(`${msg ?? ''}${extra}`)}`;
}

/**
 * `err` as redisStyleLine saw it after pino's JSON round trip: pino
 * serializes an Error to an object (printed `[object Object]`), drops
 * undefined and functions, turns NaN into null.
 */
function errAfterJson(err: unknown): unknown {
  if (err === undefined || typeof err === 'string') return err;
  const value: unknown = err instanceof Error ? {} : err;
  let text: string | undefined;
  try {
    text = JSON.stringify({ err: value });
  } catch {
    // pino writes `"[Circular]"` for cycles; anything unserializable is an object.
    return '[object Object]';
  }
  return (JSON.parse(text ?? '{}') as { err?: unknown }).err;
}

const LEVEL_VALUES: Record<string, number> = { debug: 20, info: 30, warn: 40, error: 50, silent: Infinity };

/** The default (`logformat redis`) logger: Redis-style lines straight to the sink, no pino. */
class RedisStyleLogger implements Logger {
  private threshold = 30;
  private levelName = 'info';

  constructor(private readonly sink: LogSink, level: string, private readonly root?: RedisStyleLogger) {
    this.level = level;
  }

  get level(): string {
    return this.root ? this.root.level : this.levelName;
  }

  /** Like pino's, a child keeps its own level once set; ours follow the root (no child sets one). */
  set level(name: string) {
    const value = LEVEL_VALUES[name];
    if (value === undefined) throw new Error(`unknown level ${name}`);
    if (this.root) {
      this.root.level = name;
      return;
    }
    this.levelName = name;
    this.threshold = value;
  }

  readonly debug: LogFn = (o, m) => this.write(20, o, m);
  readonly info: LogFn = (o, m) => this.write(30, o, m);
  readonly warn: LogFn = (o, m) => this.write(40, o, m);
  readonly error: LogFn = (o, m) => this.write(50, o, m);

  child(_bindings: Record<string, unknown>): Logger {
    return new RedisStyleLogger(this.sink, this.level, this.root ?? this);
  }

  private write(level: number, objOrMsg: unknown, msg: string | undefined): void {
    if (level < (this.root ?? this).threshold) return;
    const timeMs = Date.now();
    if (typeof objOrMsg === 'object' && objOrMsg !== null) {
      const err = errAfterJson((objOrMsg as { err?: unknown }).err);
      this.sink.writeLine(formatRedisLine(process.pid, timeMs, level, msg, err));
    } else {
      this.sink.writeLine(formatRedisLine(process.pid, timeMs, level, objOrMsg === undefined ? undefined : String(objOrMsg), undefined));
    }
  }
}

/**
 * `logformat` decides; TSSENTINEL_LOG_FORMAT=json|redis (older knob) still
 * overrides it. `pretty` was its first name for the Redis format: kept so
 * that deployments setting it keep their lines.
 */
function wantRedisStyle(format: LogFormat): boolean {
  const forced = process.env.TSSENTINEL_LOG_FORMAT;
  if (forced === 'json') return false;
  if (forced === 'pretty' || forced === 'redis') return true;
  return format === 'redis';
}

const sinks = new WeakMap<Logger, LogSink>();

/**
 * The logger writes through a LogSink (see logSink.ts): never blocking,
 * never throwing, never holding the exit, whatever happens to the output.
 */
export function createLogger(opts: { logfile: string; loglevel: SentinelLogLevel; logformat?: LogFormat }): Logger {
  const sink = opts.logfile === '' ? new LogSink(1) : LogSink.toFile(opts.logfile);
  let logger: Logger;
  if (wantRedisStyle(opts.logformat ?? 'redis')) {
    logger = new RedisStyleLogger(sink, pinoLevel(opts.loglevel));
  } else {
    // pino is CommonJS: required synchronously, only on this path.
    const { pino } = createRequire(import.meta.url)('pino') as { pino: typeof pinoFn };
    logger = pino({ level: pinoLevel(opts.loglevel), base: { pid: process.pid } }, sink as DestinationStream);
  }
  sinks.set(logger, sink);
  return logger;
}

/** At shutdown: lets queued lines out, for at most `timeoutMs`. */
export async function drainLogger(logger: Logger, timeoutMs: number): Promise<void> {
  await sinks.get(logger)?.drain(timeoutMs);
}
