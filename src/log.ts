/**
 * pino root logger. `logfile ""` logs to stdout as Redis does; otherwise
 * lines are appended to the file. `logformat redis` (default) prints lines
 * the way redis-sentinel does (`pid:X date time # +sdown master ...`), what
 * people grep; `logformat json` one pino JSON object per line (with `event`
 * and `master` fields) for log shippers. TSSENTINEL_LOG_FORMAT=json|pretty
 * overrides the directive.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import { LogSink } from './logSink.js';
import type { LogFormat } from './config/model.js';

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
  const d = new Date(rec.time ?? 0);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${pad(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  const extra = rec.err === undefined ? '' : ` (${String(rec.err)})`;
  return `${rec.pid ?? process.pid}:X ${stamp} ${MARKS[rec.level ?? 30] ?? '*'} ${rec.msg ?? ''}${extra}`;
}

/** `logformat` decides; TSSENTINEL_LOG_FORMAT=json|pretty (older knob) still overrides it. */
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
  const transform = wantRedisStyle(opts.logformat ?? 'redis') ? redisStyleLine : undefined;
  const sink = opts.logfile === '' ? new LogSink(1, transform) : LogSink.toFile(opts.logfile, transform);
  const logger = pino({ level: pinoLevel(opts.loglevel), base: { pid: process.pid } }, sink as DestinationStream);
  sinks.set(logger, sink);
  return logger;
}

/** At shutdown: lets queued lines out, for at most `timeoutMs`. */
export async function drainLogger(logger: Logger, timeoutMs: number): Promise<void> {
  await sinks.get(logger)?.drain(timeoutMs);
}
