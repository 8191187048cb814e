/**
 * pino root logger. `logfile ""` logs to stdout as Redis does; otherwise
 * lines are appended to the file. Lines are JSON (one per event, with
 * `event`, `master` fields) except on a terminal, where they are printed the
 * way redis-sentinel prints them (`pid:X date time # +sdown master ...`).
 * TSSENTINEL_LOG_FORMAT=json|pretty overrides the choice.
 */
import { Writable } from 'node:stream';
import { pino, type DestinationStream, type Logger } from 'pino';

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

function prettyStdout(): DestinationStream {
  let pending = '';
  return new Writable({
    write(chunk: Buffer | string, _enc, done) {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.length > 0) process.stdout.write(`${redisStyleLine(line)}\n`);
      done();
    },
  });
}

function wantPretty(logfile: string): boolean {
  const forced = process.env.TSSENTINEL_LOG_FORMAT;
  if (forced === 'json') return false;
  if (forced === 'pretty') return logfile === '';
  return logfile === '' && process.stdout.isTTY === true;
}

export function createLogger(opts: { logfile: string; loglevel: SentinelLogLevel }): Logger {
  const destination = wantPretty(opts.logfile)
    ? prettyStdout()
    : opts.logfile === ''
      ? pino.destination({ fd: 1, sync: false })
      : pino.destination({ dest: opts.logfile, mkdir: true, append: true, sync: false });
  return pino({ level: pinoLevel(opts.loglevel), base: { pid: process.pid } }, destination);
}
