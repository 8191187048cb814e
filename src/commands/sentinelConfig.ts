/**
 * SENTINEL CONFIG GET <pattern> [<pattern> ...] / SET <param> <value> [<param> <value> ...].
 * redis-sentinel 7.0 takes exactly one pattern or one pair and answers its
 * usage error to anything longer; the longer forms are Redis 7.2's, with its
 * replies: GET lists each matching parameter once, SET validates every pair
 * before applying any, and the config is saved before OK.
 */
import type { Runtime } from '../runtime.js';
import { globMatch } from '../server/glob.js';
import { OK, error, stringMap, type Reply } from '../server/reply.js';
import { string2ll } from '../numbers.js';
import { pinoLevel, type SentinelLogLevel } from '../log.js';
import type { SentinelOptionChanges } from '../core/admin.js';
import { addressesOfStoredNames } from '../shell/hostNames.js';

const LOG_LEVELS: readonly SentinelLogLevel[] = ['debug', 'verbose', 'notice', 'warning', 'nothing'];

const USAGE = error('ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.');

type Getter = (rt: Runtime) => string;

interface Param {
  get: Getter;
  /** Validates; returns the change to hand to the core, or undefined when invalid. */
  parse: (value: string) => SentinelOptionChanges | undefined;
}

function yesNo(value: string): boolean | undefined {
  const v = value.toLowerCase();
  return v === 'yes' ? true : v === 'no' ? false : undefined;
}

/** An empty value unsets the setting. */
function optional(value: string): string | undefined {
  return value.length > 0 ? value : undefined;
}

const PARAMS: Record<string, Param> = {
  'resolve-hostnames': {
    get: (rt) => (rt.state.settings.resolveHostnames ? 'yes' : 'no'),
    // "no" also replaces the names stored while it was on (withAddresses).
    parse: (v) => {
      const b = yesNo(v);
      return b === undefined ? undefined : { settings: { resolveHostnames: b } };
    },
  },
  'announce-hostnames': {
    get: (rt) => (rt.state.addressing.announceHostnames ? 'yes' : 'no'),
    parse: (v) => {
      const b = yesNo(v);
      return b === undefined ? undefined : { announceHostnames: b };
    },
  },
  'announce-ip': {
    get: (rt) => rt.state.settings.announceIp ?? '',
    parse: (v) => ({ settings: { announceIp: optional(v) } }),
  },
  'announce-port': {
    get: (rt) => String(rt.state.settings.announcePort),
    parse: (v) => {
      const n = string2ll(v);
      if (n === undefined || n < 0 || n > 65535) return undefined;
      return { settings: { announcePort: n } };
    },
  },
  'sentinel-user': {
    get: (rt) => rt.state.settings.sentinelUser ?? '',
    parse: (v) => ({ settings: { sentinelUser: optional(v) } }),
  },
  // tssentinel extension (Redis 7.2 has it too): change the log level at run time.
  loglevel: {
    get: (rt) => rt.state.settings.loglevel,
    parse: (v) => {
      const level = v.toLowerCase();
      if (!LOG_LEVELS.includes(level as SentinelLogLevel)) return undefined;
      return { settings: { loglevel: level as SentinelLogLevel } };
    },
  },
  'sentinel-pass': {
    get: (rt) => rt.state.settings.sentinelPass ?? '',
    parse: (v) => ({ settings: { sentinelPass: optional(v) } }),
  },
};

/** Redis 7.2's reply order for GET (sentinelConfigGetCommand tests them in this order). */
const GET_ORDER: readonly string[] = [
  'resolve-hostnames',
  'announce-hostnames',
  'announce-ip',
  'announce-port',
  'sentinel-user',
  'sentinel-pass',
  'loglevel',
];

export async function sentinelConfigCommand(rt: Runtime, argv: readonly string[]): Promise<Reply> {
  const sub = (argv[2] ?? '').toLowerCase();
  // Forms that are invalid in 7.0 and 7.2 alike keep 7.0's usage error.
  if (sub === 'get' && argv.length >= 4) return configGet(rt, argv.slice(3));
  if (sub === 'set' && argv.length >= 5) return configSet(rt, argv.slice(3));
  return USAGE;
}

/**
 * Each parameter at most once, in the order the patterns first match it; a
 * pattern repeated or a name already listed adds nothing (7.2 semantics).
 */
function configGet(rt: Runtime, patterns: readonly string[]): Reply {
  const listed = new Set<string>();
  const fields: Array<[string, string]> = [];
  for (const pattern of patterns) {
    for (const name of GET_ORDER) {
      const param = PARAMS[name];
      if (param === undefined || listed.has(name) || !globMatch(pattern, name, true)) continue;
      listed.add(name);
      fields.push([name, param.get(rt)]);
    }
  }
  return stringMap(fields);
}

type SetPlan = { changes: SentinelOptionChanges; names: string[] } | { error: string };

/**
 * Redis 7.2's validation pass, in its order per pair: known name, not seen
 * before, has a value, valid value. Nothing is applied unless all pass.
 */
export function planConfigSet(args: readonly string[]): SetPlan {
  const settings: NonNullable<SentinelOptionChanges['settings']> = {};
  let announceHostnames: boolean | undefined;
  const names: string[] = [];
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i]!;
    const key = name.toLowerCase();
    const param = Object.hasOwn(PARAMS, key) ? PARAMS[key] : undefined;
    if (!param) return { error: `ERR Invalid argument '${name}' to SENTINEL CONFIG SET` };
    if (names.includes(key)) return { error: `ERR Duplicate argument '${name}' to SENTINEL CONFIG SET` };
    names.push(key);
    const value = args[i + 1];
    if (value === undefined) return { error: `ERR Missing argument '${name}' value` };
    const change = param.parse(value);
    if (!change) return { error: `ERR Invalid value '${value}' to SENTINEL CONFIG SET '${name}'` };
    Object.assign(settings, change.settings);
    announceHostnames = change.announceHostnames ?? announceHostnames;
  }
  return { changes: announceHostnames === undefined ? { settings } : { settings, announceHostnames }, names };
}

/** Applies, saves the config, then replies: OK only once it is on disk (sentinelFlushConfigAndReply). */
async function configSet(rt: Runtime, args: readonly string[]): Promise<Reply> {
  const plan = planConfigSet(args);
  if ('error' in plan) return error(plan.error);
  const changes = await withAddresses(rt, plan.changes);
  if ('error' in changes) return error(changes.error);
  rt.submit({ type: 'setSentinelOptions', ...changes }, { deferPersist: true });
  if (plan.names.includes('loglevel')) rt.log.level = pinoLevel(rt.state.settings.loglevel);
  let saved = true;
  try {
    await rt.persist();
  } catch {
    saved = false;
  }
  // Like Redis, the new credentials take effect (links dropped) even when the save failed.
  if (plan.names.some((n) => n.startsWith('sentinel-'))) rt.relinkSentinels();
  return saved ? OK : error('ERR Failed to save config file. Check server logs.');
}

/**
 * resolve-hostnames no: every hostname stored while it was on is replaced by
 * the address it resolves to now (looked up here, as the core cannot ask
 * DNS), so that the file written loads again. redis-sentinel keeps the
 * names, and under announce-hostnames yes writes a file its next start
 * refuses ("Can't resolve instance hostname."). A name that does not
 * resolve refuses the whole SET, in the loader's words.
 */
async function withAddresses(rt: Runtime, changes: SentinelOptionChanges): Promise<SentinelOptionChanges | { error: string }> {
  if (changes.settings?.resolveHostnames !== false) return changes;
  const found = await addressesOfStoredNames(rt.state);
  if ('unresolved' in found) {
    return { error: `ERR Can't resolve instance hostname '${found.unresolved}': resolve-hostnames no stores addresses only` };
  }
  return found.addresses.length === 0 ? changes : { ...changes, addresses: found.addresses };
}
