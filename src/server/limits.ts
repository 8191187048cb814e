/**
 * The client limits of redis.conf that a Sentinel honours too, parsed Redis's
 * way: `proto-max-bulk-len`, `client-query-buffer-limit` and
 * `client-output-buffer-limit <class> <hard> <soft> <soft-seconds>`.
 *
 * The config parser keeps these lines in `ignored` (so a rewrite writes them
 * back untouched) after validating them here with Redis's error texts;
 * app.ts turns the accepted lines into ServerLimits.
 */
import { cStrtoll } from '../numbers.js';
import { readFileSync } from 'node:fs';
import { BULK_MAX_BYTES, QUERY_BUFFER_MAX_BYTES } from './decode.js';
import { bytesToText, textByteLength, textToBytes } from '../byteText.js';

export interface OutputBufferLimit {
  hardBytes: number;
  softBytes: number;
  softSeconds: number;
}

export type ClientClass = 'normal' | 'replica' | 'pubsub';

export interface ServerLimits {
  bulkMaxBytes: number;
  queryBufferMaxBytes: number;
  outputBuffer: Record<ClientClass, OutputBufferLimit>;
}

const MB = 1024 * 1024;
const LONG_MAX = 9223372036854775807;

export function defaultServerLimits(): ServerLimits {
  return {
    bulkMaxBytes: BULK_MAX_BYTES,
    queryBufferMaxBytes: QUERY_BUFFER_MAX_BYTES,
    outputBuffer: {
      normal: { hardBytes: 0, softBytes: 0, softSeconds: 0 },
      replica: { hardBytes: 256 * MB, softBytes: 64 * MB, softSeconds: 60 },
      pubsub: { hardBytes: 32 * MB, softBytes: 8 * MB, softSeconds: 60 },
    },
  };
}

const UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1000, kb: 1024, m: 1e6, mb: MB, g: 1e9, gb: 1024 * MB };

/** Redis's memtoull: digits then an optional unit (k = 1000, kb = 1024, ...); undefined where Redis errs. */
export function parseMemory(s: string): number | undefined {
  const m = /^([0-9]*)([a-zA-Z]*)$/.exec(s);
  if (m === null) return undefined;
  const mul = UNITS[(m[2] as string).toLowerCase()];
  if (mul === undefined || (m[1] as string).length > 127) return undefined;
  return Number(m[1] === '' ? 0 : m[1]) * mul;
}

/** The directives this module honours (kept by the parser with the unused ones). */
export const LIMIT_DIRECTIVES: ReadonlySet<string> = new Set(['proto-max-bulk-len', 'client-query-buffer-limit', 'client-output-buffer-limit']);

const CLASSES: Readonly<Record<string, ClientClass>> = { normal: 'normal', slave: 'replica', replica: 'replica', pubsub: 'pubsub' };

/** One memory directive with Redis's bounds (1mb .. LONG_MAX); returns the value or Redis's error text. */
function memoryDirective(args: readonly string[]): number | string {
  const v = parseMemory(args[0] ?? '');
  if (v === undefined) return 'argument must be a memory value';
  if (v < MB || v > LONG_MAX) return `argument must be between ${MB} and 9223372036854775807 inclusive`;
  return v;
}

/** Redis's setConfigClientOutputBufferLimitOption: the whole line is checked before any class changes. */
function outputLimitDirective(args: readonly string[]): Array<[ClientClass, OutputBufferLimit]> | string {
  // A bare directive is accepted and changes nothing (as in redis-server 7.0); `""` is one (bad) argument.
  if (args.length % 4 !== 0) return 'Wrong number of arguments in buffer limit configuration.';
  const out: Array<[ClientClass, OutputBufferLimit]> = [];
  for (let j = 0; j < args.length; j += 4) {
    const cls = CLASSES[(args[j] as string).toLowerCase()];
    if (cls === undefined) return 'Invalid client class specified in buffer limit configuration.';
    const [hard, soft, seconds] = [1, 2, 3].map((k) => parseMemory(args[j + k] as string));
    if (hard === undefined || soft === undefined || seconds === undefined) {
      return 'Error in hard, soft or soft_seconds setting in buffer limit configuration.';
    }
    // soft_seconds goes through strtoll: the unit is dropped.
    out.push([cls, { hardBytes: hard, softBytes: soft, softSeconds: cStrtoll(args[j + 3] as string) }]);
  }
  return out;
}

/** The config parser's check: Redis's error text for a bad limit line, undefined otherwise (or for other directives). */
export function checkLimitDirective(directive: string, args: readonly string[]): string | undefined {
  let result: unknown;
  if (directive === 'proto-max-bulk-len' || directive === 'client-query-buffer-limit') result = memoryDirective(args);
  else if (directive === 'client-output-buffer-limit') result = outputLimitDirective(args);
  return typeof result === 'string' ? result : undefined;
}

/** Applies the accepted limit lines in file order (the last one wins, per class for output limits). */
export function serverLimitsFrom(lines: ReadonlyArray<{ directive: string; args: readonly string[] }>): ServerLimits {
  const limits = defaultServerLimits();
  for (const { directive, args } of lines) {
    const split = args.length === 1 ? args[0]?.split(/\s+/).filter((a) => a !== '') ?? [] : args;
    if (directive === 'proto-max-bulk-len' || directive === 'client-query-buffer-limit') {
      const v = memoryDirective(args);
      if (typeof v === 'string') continue;
      if (directive === 'proto-max-bulk-len') limits.bulkMaxBytes = v;
      else limits.queryBufferMaxBytes = v;
    } else if (directive === 'client-output-buffer-limit') {
      const v = outputLimitDirective(split);
      if (typeof v !== 'string') for (const [cls, lim] of v) limits.outputBuffer[cls] = lim;
    }
  }
  return limits;
}

/** CONFIG_MIN_RESERVED_FDS: descriptors Redis keeps for itself (logs, links, persistence). */
const RESERVED_FDS = 32;

/** The soft RLIMIT_NOFILE (Node raises it to the hard limit at start and cannot go further). */
export function openFilesLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const m = /^Max open files\s+(\S+)/m.exec(text);
  if (m === null || m[1] === 'unlimited') return undefined;
  const n = Number(m[1]);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Redis's adjustOpenFilesLimit when the limit cannot be raised: maxclients
 * becomes limit - 32, with Redis's three warning lines. Returns the
 * maxclients to use and the lines to log (none when the limit suffices).
 */
export function maxClientsForFdLimit(maxClients: number, fdLimit: number | undefined): { maxClients: number; warnings: string[] } {
  const needed = maxClients + RESERVED_FDS;
  if (fdLimit === undefined || fdLimit >= needed) return { maxClients, warnings: [] };
  const reduced = Math.max(1, fdLimit - RESERVED_FDS);
  return {
    maxClients: reduced,
    warnings: [
      `You requested maxclients of ${maxClients} requiring at least ${needed} max file descriptors.`,
      `Server can't set maximum open files to ${needed} because of OS error: Operation not permitted.`,
      `Current maximum open files is ${fdLimit}. maxclients has been reduced to ${reduced} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.`,
    ],
  };
}

/** LOG_MAX_LEN: sentinelEvent formats into a 1024-byte buffer, so events carry at most 1023 bytes. */
const EVENT_MAX_BYTES = 1023;

/** Cuts text to at most maxBytes of its bytes (../byteText.ts), on a character boundary. */
export function truncateUtf8(text: string, maxBytes = EVENT_MAX_BYTES): string {
  if (text.length <= maxBytes / 3 || textByteLength(text) <= maxBytes) return text;
  const bytes = textToBytes(text);
  let end = maxBytes;
  // Back up over continuation bytes so no character is split.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytesToText(bytes, 0, end);
}
