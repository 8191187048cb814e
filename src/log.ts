/**
 * pino root logger. `logfile ""` logs to stdout as Redis does; otherwise
 * lines are appended to the file. Sentinel's loglevels map onto pino's.
 */
import { pino, type Logger } from 'pino';

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

export function createLogger(opts: { logfile: string; loglevel: SentinelLogLevel }): Logger {
  const destination = opts.logfile === ''
    ? pino.destination({ fd: 1, sync: false })
    : pino.destination({ dest: opts.logfile, mkdir: true, append: true, sync: false });
  return pino({ level: pinoLevel(opts.loglevel), base: { pid: process.pid } }, destination);
}
