/**
 * SENTINEL CONFIG GET <pattern> / SET <param> <value> [<param> <value> ...].
 * redis-sentinel 7.0 takes exactly one pair; several pairs at once (as in
 * Redis 7.2) are accepted here and applied all-or-nothing.
 */
import type { Runtime } from '../runtime.js';
import { globMatch } from '../server/glob.js';
import { OK, error, stringMap, type Reply } from '../server/reply.js';
import { parseStrictInt } from './numbers.js';
import { pinoLevel, type SentinelLogLevel } from '../log.js';

const LOG_LEVELS: readonly SentinelLogLevel[] = ['debug', 'verbose', 'notice', 'warning', 'nothing'];

const USAGE = error('ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.');

type Getter = (rt: Runtime) => string;

interface Param {
  get: Getter;
  /** Validates and returns a function that applies the value, or undefined when invalid. */
  parse: (value: string) => ((rt: Runtime) => void) | undefined;
}

function yesNo(value: string): boolean | undefined {
  const v = value.toLowerCase();
  return v === 'yes' ? true : v === 'no' ? false : undefined;
}

const PARAMS: Record<string, Param> = {
  'resolve-hostnames': {
    get: (rt) => (rt.config.resolveHostnames ? 'yes' : 'no'),
    parse: (v) => {
      const b = yesNo(v);
      return b === undefined ? undefined : (rt) => { rt.config.resolveHostnames = b; };
    },
  },
  'announce-hostnames': {
    get: (rt) => (rt.config.announceHostnames ? 'yes' : 'no'),
    parse: (v) => {
      const b = yesNo(v);
      return b === undefined ? undefined : (rt) => rt.setAnnounceHostnames(b);
    },
  },
  'announce-ip': {
    get: (rt) => rt.state.announceIp ?? '',
    parse: (v) => (rt) => {
      rt.state.announceIp = v.length > 0 ? v : undefined;
      rt.config.announceIp = rt.state.announceIp;
    },
  },
  'announce-port': {
    get: (rt) => String(rt.state.announcePort),
    parse: (v) => {
      const n = parseStrictInt(v);
      if (n === undefined || n < 0 || n > 65535) return undefined;
      return (rt) => { rt.state.announcePort = n; rt.config.announcePort = n; };
    },
  },
  'sentinel-user': {
    get: (rt) => rt.config.sentinelUser ?? '',
    parse: (v) => (rt) => { rt.config.sentinelUser = v.length > 0 ? v : undefined; },
  },
  // tssentinel extension (Redis 7.2 has it too): change the log level at run time.
  loglevel: {
    get: (rt) => rt.config.loglevel,
    parse: (v) => {
      const level = v.toLowerCase();
      if (!LOG_LEVELS.includes(level as SentinelLogLevel)) return undefined;
      return (rt) => {
        rt.config.loglevel = level as SentinelLogLevel;
        rt.log.level = pinoLevel(level as SentinelLogLevel);
      };
    },
  },
  'sentinel-pass': {
    get: (rt) => rt.config.sentinelPass ?? '',
    parse: (v) => (rt) => { rt.config.sentinelPass = v.length > 0 ? v : undefined; },
  },
};

export async function sentinelConfigCommand(rt: Runtime, argv: readonly string[]): Promise<Reply> {
  const sub = (argv[2] ?? '').toLowerCase();
  if (sub === 'get' && argv.length === 4) return configGet(rt, argv[3]!);
  if (sub === 'set' && argv.length >= 5 && argv.length % 2 === 1) return configSet(rt, argv.slice(3));
  return USAGE;
}

function configGet(rt: Runtime, pattern: string): Reply {
  const fields: Array<[string, string]> = [];
  for (const [name, param] of Object.entries(PARAMS)) {
    if (globMatch(pattern, name, true)) fields.push([name, param.get(rt)]);
  }
  return stringMap(fields);
}

async function configSet(rt: Runtime, pairs: readonly string[]): Promise<Reply> {
  const appliers: Array<(rt: Runtime) => void> = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i]!;
    const value = pairs[i + 1]!;
    const param = PARAMS[name.toLowerCase()];
    if (!param) return error(`ERR Invalid argument '${name}' to SENTINEL CONFIG SET`);
    const apply = param.parse(value);
    if (!apply) return error(`ERR Invalid value '${value}' to SENTINEL CONFIG SET '${name}'`);
    appliers.push(apply);
  }
  for (const apply of appliers) apply(rt);
  if (pairs.some((p, i) => i % 2 === 0 && p.toLowerCase().startsWith('sentinel-'))) rt.relinkSentinels();
  await rt.persist().catch(() => undefined);
  return OK;
}

