/**
 * sentinel.conf -> SentinelConfig, accepting and refusing exactly what
 * redis-sentinel 7.0.15 does, with its error texts.
 *
 * Order matters for which error is reported first, so we follow Redis:
 * server directives are applied line by line (file, then overrides); every
 * `sentinel ...` line is queued and applied afterwards in three passes:
 * global options (myid, current-epoch, resolve-hostnames, ...), then
 * `monitor`, then per-master options. So `sentinel auth-pass m x` may come
 * before `sentinel monitor m ...`, and a bad `port` on line 40 is reported
 * before a bad `sentinel` line 2.
 */
import { ConfigError } from './errors.js';
import {
  DEPRECATED_DIRECTIVES, FIXED_ARITY_DIRECTIVES, MULTI_ARG_DIRECTIVES,
  SPECIAL_DIRECTIVES, STANDARD_DIRECTIVES,
} from './redisDirectives.js';
import { splitArgsText } from '../redisArgs.js';
import { configLines, joinArgs } from './tokenize.js';
import { cAtoi, cStrtoull, string2ll } from '../numbers.js';
import { checkAddress } from './address.js';
import { checkLimitDirective } from '../server/limits.js';
import { checkUserDeclaration, ruleErrorText } from '../server/aclRules.js';
import {
  defaultMasterConfig, defaultSentinelConfig,
  type LogLevel, type MasterConfig, type SentinelConfig,
} from './model.js';
import { textByteLength } from '../byteText.js';

export interface ParseOptions {
  /** Extra directives from the command line (`--port 26380` -> ['port', '26380']), applied after the file. */
  overrides?: string[][];
  /**
   * Checks a notification / client-reconfig script like Redis's access(X_OK),
   * given the path as written (relative to the working directory, which
   * `chdir` has moved to `dir`). Omitted: scripts are not checked.
   */
  isExecutable?: (path: string) => boolean;
  /**
   * Reads the file of an `include <path>` line (Redis loads it in place).
   * Throws to stop the start, e.g. with Redis's "Fatal error, can't open
   * config file" text. Omitted: an include line is a config error, so that a
   * file that relies on one is never half-loaded.
   */
  readInclude?: (path: string) => string;
  /**
   * Redis chdir()s into `dir` the moment it reads the line, so every relative
   * path after it (scripts, logfile, pidfile, aclfile, TLS files) is relative
   * to `dir`. The CLI passes process.chdir here; returns the strerror text on
   * failure. Omitted (in-process parsing): `dir` is only recorded.
   */
  chdir?: (dir: string) => string | undefined;
}

/** Includes nested deeper than this are taken for a loop. */
const MAX_INCLUDE_DEPTH = 16;

interface SourceLine { num: number; text: string; args: string[] }

/** A handler's verdict: undefined = accepted, a string = Redis's reason text. */
type Verdict = string | undefined;

export function parseConfig(text: string, opts: ParseOptions = {}): SentinelConfig {
  const cfg = defaultSentinelConfig();
  const queue: Record<SentinelPass, SourceLine[]> = { pre: [], monitor: [], post: [] };
  for (const line of sourceLines(text, opts.overrides ?? [], opts.readInclude)) {
    const directive = (line.args[0] ?? '').toLowerCase();
    if (directive === 'sentinel') {
      // A bare `sentinel` line only selects sentinel mode in Redis.
      if (line.args.length > 1) queue[sentinelPass(line.args[1] ?? '')].push(line);
      continue;
    }
    check(line, applyServerDirective(cfg, directive, line.args.slice(1), line.num));
    if (directive === 'dir' && opts.chdir && cfg.dir !== undefined) check(line, opts.chdir(cfg.dir));
  }
  const ctx: SentinelCtx = { cfg, isExecutable: opts.isExecutable, masters: new Map(), known: new Map() };
  for (const pass of SENTINEL_PASSES) {
    for (const line of queue[pass]) check(line, applySentinelDirective(ctx, line.args.slice(1)));
  }
  return cfg;
}

function check(line: SourceLine, verdict: Verdict): void {
  if (verdict !== undefined) throw new ConfigError(line.num, line.text, verdict);
}

/** Non-blank, non-comment lines of the file (includes expanded in place), then the overrides (line 0). */
function* sourceLines(text: string, overrides: string[][], readInclude: ParseOptions['readInclude']): Generator<SourceLine> {
  yield* fileLines(text, readInclude, 0);
  for (const args of overrides) {
    if (args.length > 0) yield { num: 0, text: joinArgs(args), args };
  }
}

function* fileLines(text: string, readInclude: ParseOptions['readInclude'], depth: number): Generator<SourceLine> {
  const lines = configLines(text);
  for (let i = 0; i < lines.length; i++) {
    const lineText = lines[i] ?? '';
    if (lineText === '' || lineText.startsWith('#')) continue;
    const args = splitArgsText(lineText);
    if (args === null) throw new ConfigError(i + 1, lineText, 'Unbalanced quotes in configuration line');
    if (args.length === 0) continue;
    if ((args[0] ?? '').toLowerCase() === 'include' && args.length === 2) {
      if (!readInclude) throw new ConfigError(i + 1, lineText, 'include is not available here');
      if (depth >= MAX_INCLUDE_DEPTH) throw new ConfigError(i + 1, lineText, 'Too many nested includes (an include loop?)');
      // Line numbers in errors are those of the included file, as in Redis.
      yield* fileLines(readInclude(args[1] ?? ''), readInclude, depth + 1);
      continue;
    }
    yield { num: i + 1, text: lineText, args };
  }
}

function yesNo(s: string): boolean | undefined {
  const v = s.toLowerCase();
  return v === 'yes' ? true : v === 'no' ? false : undefined;
}


/**
 * Redis createSentinelAddr(): port range first, then the host. With
 * resolve-hostnames a name is kept as written (the runtime resolves it; Redis
 * also accepts names it cannot resolve in that mode).
 */
function makeAddr(cfg: SentinelConfig, host: string, portArg: string): { host: string; port: number } | string {
  return checkAddress(host, cAtoi(portArg), cfg.resolveHostnames);
}

// ---------------------------------------------------------------------------
// Server directives.

type ServerHandler = (cfg: SentinelConfig, args: string[], name: string) => Verdict;

/** tssentinel's own directives, which redis-server does not know. */
const EXTENSION_DIRECTIVES = new Set(['metrics-port', 'metrics-bind', 'logformat', 'max-sentinels-per-master', 'max-replicas-per-master']);

function applyServerDirective(cfg: SentinelConfig, d: string, args: string[], lineNum: number): Verdict {
  if (STANDARD_DIRECTIVES.has(d) || EXTENSION_DIRECTIVES.has(d)) return applyStandard(cfg, d, args, lineNum);
  if (DEPRECATED_DIRECTIVES.has(d) && args.length === 1) return ignore(cfg, d, args, lineNum);
  const special = SPECIAL_DIRECTIVES.get(d);
  if (special && args.length >= special.min && args.length <= special.max) {
    if (d === 'user') return addUser(cfg, args);
    ignore(cfg, d, args, lineNum);
    return undefined;
  }
  // Module configs ("module.option value") are queued by Redis, not validated.
  if (d.includes('.')) return args.length >= 1 ? ignore(cfg, d, args, lineNum) : 'Module config specified without value';
  return 'Bad directive or wrong number of arguments';
}

/**
 * Redis's ACLAppendUserForLoading: a name given twice or a malformed rule is
 * a config error; unknown commands pass here and stop the start later.
 */
function addUser(cfg: SentinelConfig, args: string[]): Verdict {
  if (cfg.users.some((u) => u[0] === args[0])) return `Error in user declaration '${args[0] ?? ''}': ${ruleErrorText('EALREADY')}`;
  const bad = checkUserDeclaration(args);
  if (bad !== undefined) return bad;
  cfg.users.push(args);
  return undefined;
}

function applyStandard(cfg: SentinelConfig, d: string, args: string[], lineNum: number): Verdict {
  const multi = MULTI_ARG_DIRECTIVES.has(d);
  if (!multi && args.length !== 1) return 'wrong number of arguments';
  // Redis re-splits a lone non-empty argument of a multi-arg config: save "900 1".
  const a = multi && args.length === 1 && args[0] !== '' ? (splitArgsText(args[0] ?? '') ?? args) : args;
  // Own keys only: a directive named after an Object.prototype member (constructor, __proto__) is unknown.
  const handler = (Object.hasOwn(SERVER_HANDLERS, d) ? SERVER_HANDLERS[d] : undefined) ?? (d.startsWith('tls-') ? setTls : undefined);
  if (handler) return handler(cfg, a, d);
  const arity = FIXED_ARITY_DIRECTIVES.get(d);
  if (arity !== undefined && a.length !== arity) return 'wrong number of arguments';
  // Client limits the server honours (server/limits.ts): checked here, kept with the ignored lines.
  return checkLimitDirective(d, a) ?? ignore(cfg, d, args, lineNum);
}

function ignore(cfg: SentinelConfig, directive: string, args: string[], line: number): Verdict {
  cfg.ignored.push({ line, directive, args });
  return undefined;
}

function parseBounded(s: string, min: number, max: number): number | string {
  const v = string2ll(s);
  if (v === undefined) return "argument couldn't be parsed into an integer";
  if (v < min || v > max) return `argument must be between ${min} and ${max} inclusive`;
  return v;
}

function parseBool(s: string): boolean | string {
  return yesNo(s) ?? "argument must be 'yes' or 'no'";
}

function parseEnum<T extends string>(s: string, values: readonly T[]): T | { error: string } {
  const v = values.find((x) => x === s.toLowerCase());
  return v ?? { error: `argument(s) must be one of the following: ${values.join(', ')}` };
}

/**
 * 7.0 has no "nothing" level (added in 7.2), but SENTINEL CONFIG SET loglevel
 * accepts it and persists it, so the file must load it again (as 7.2 does).
 * The refusal keeps 7.0's list.
 */
const LOG_LEVELS_70: readonly LogLevel[] = ['debug', 'verbose', 'notice', 'warning'];
const MAX_BIND_ADDRESSES = 16;
const MAX_INT32 = 2147483647;

const SERVER_HANDLERS: Readonly<Record<string, ServerHandler>> = {
  port: (cfg, [v = '']) => setNumber(parseBounded(v, 0, 65535), (n) => { cfg.port = n; }),
  maxclients: (cfg, [v = '']) => setNumber(parseBounded(v, 1, 4294967295), (n) => { cfg.maxclients = n; }),
  // tssentinel extensions (not redis directives): Prometheus metrics endpoint.
  'metrics-port': (cfg, [v = '']) => setNumber(parseBounded(v, 0, 65535), (n) => { cfg.metricsPort = n; }),
  'metrics-bind': (cfg, [v = '']) => { cfg.metricsBind = v; return undefined; },
  logformat: (cfg, [v = '']) => {
    const format = parseEnum(v, ['redis', 'json'] as const);
    if (typeof format === 'object') return format.error;
    cfg.logformat = format;
    return undefined;
  },
  // tssentinel extensions: the most instances discovery may add to one master.
  'max-sentinels-per-master': (cfg, [v = '']) => setNumber(parseBounded(v, 1, MAX_INT32), (n) => { cfg.maxSentinelsPerMaster = n; }),
  'max-replicas-per-master': (cfg, [v = '']) => setNumber(parseBounded(v, 1, MAX_INT32), (n) => { cfg.maxReplicasPerMaster = n; }),
  'protected-mode': (cfg, [v = '']) => setBool(parseBool(v), (b) => { cfg.protectedMode = b; }),
  daemonize: (cfg, [v = '']) => setBool(parseBool(v), (b) => { cfg.daemonize = b; }),
  loglevel: (cfg, [v = '']) => {
    const level = v.toLowerCase() === 'nothing' ? 'nothing' : parseEnum(v, LOG_LEVELS_70);
    if (typeof level === 'object') return level.error;
    cfg.loglevel = level;
    return undefined;
  },
  bind: (cfg, args) => {
    // Redis accepts the line, then exits at listen time with this message; we refuse it up front.
    if (args.length === 0 || (args.length === 1 && args[0] === '')) return 'Configured to not listen anywhere, exiting.';
    if (args.length > MAX_BIND_ADDRESSES) return 'Too many bind addresses specified.';
    cfg.bind = [...args];
    return undefined;
  },
  // Redis chdir()s here at once; parseConfig does it through opts.chdir.
  dir: (cfg, [v = '']) => {
    if (v === '') return 'No such file or directory';
    cfg.dir = v;
    return undefined;
  },
  logfile: (cfg, [v = '']) => { cfg.logfile = v; return undefined; },
  // These three treat "" as unset, like Redis.
  pidfile: (cfg, [v = '']) => { cfg.pidfile = v === '' ? undefined : v; return undefined; },
  requirepass: (cfg, [v = '']) => { cfg.requirepass = v === '' ? undefined : v; return undefined; },
  aclfile: (cfg, [v = '']) => { cfg.aclfile = v === '' ? undefined : v; return undefined; },
};

function setNumber(v: number | string, set: (n: number) => void): Verdict {
  if (typeof v === 'string') return v;
  set(v);
  return undefined;
}

function setBool(v: boolean | string, set: (b: boolean) => void): Verdict {
  if (typeof v === 'string') return v;
  set(v);
  return undefined;
}

const TLS_BOOLS = new Set(['tls-replication', 'tls-cluster', 'tls-prefer-server-ciphers', 'tls-session-caching']);

/** tls-* values are stored as strings; the typed ones are validated and canonicalized as Redis does. */
function setTls(cfg: SentinelConfig, [v = '']: string[], name: string): Verdict {
  const checked = tlsValue(name, v);
  if ('error' in checked) return checked.error;
  cfg.tls[name] = checked.value;
  return undefined;
}

function tlsValue(name: string, v: string): { value: string } | { error: string } {
  if (name === 'tls-port') {
    const n = parseBounded(v, 0, 65535);
    return typeof n === 'string' ? { error: n } : { value: String(n) };
  }
  if (TLS_BOOLS.has(name)) {
    const b = parseBool(v);
    return typeof b === 'string' ? { error: b } : { value: b ? 'yes' : 'no' };
  }
  if (name === 'tls-auth-clients') {
    const e = parseEnum(v, ['no', 'yes', 'optional'] as const);
    return typeof e === 'object' ? e : { value: e };
  }
  return { value: v };
}

// ---------------------------------------------------------------------------
// Sentinel directives.

type SentinelPass = 'pre' | 'monitor' | 'post';
const SENTINEL_PASSES: readonly SentinelPass[] = ['pre', 'monitor', 'post'];

/** Redis's preMonitorCfgName: applied before any `monitor` line. */
const PRE_MONITOR = new Set([
  'announce-ip', 'announce-port', 'deny-scripts-reconfig', 'sentinel-user', 'sentinel-pass',
  'current-epoch', 'myid', 'resolve-hostnames', 'announce-hostnames',
]);

function sentinelPass(sub: string): SentinelPass {
  const s = sub.toLowerCase();
  return s === 'monitor' ? 'monitor' : PRE_MONITOR.has(s) ? 'pre' : 'post';
}

interface SentinelCtx {
  cfg: SentinelConfig;
  isExecutable: ParseOptions['isExecutable'];
  /**
   * Masters by name, and per master the replica addresses and Sentinel run
   * ids read so far: each line is checked with one lookup, not against all
   * the lines before it (a file with 100,000 known Sentinels loads in
   * linear time).
   */
  masters: Map<string, MasterConfig>;
  known: Map<MasterConfig, { replicas: Set<string>; sentinels: Set<string> }>;
}

function knownOf(ctx: SentinelCtx, m: MasterConfig): { replicas: Set<string>; sentinels: Set<string> } {
  let known = ctx.known.get(m);
  if (!known) {
    known = { replicas: new Set(), sentinels: new Set() };
    ctx.known.set(m, known);
  }
  return known;
}

interface SentinelHandler {
  /** Accepted argument counts after the sub-command. */
  arity: readonly number[];
  run: (ctx: SentinelCtx, args: string[]) => Verdict;
}

const NO_SUCH_MASTER = 'No such master with specified name.';
const RUN_ID_SIZE = 40;

function applySentinelDirective(ctx: SentinelCtx, argv: string[]): Verdict {
  const [sub = '', ...args] = argv;
  const handler = Object.hasOwn(SENTINEL_HANDLERS, sub.toLowerCase()) ? SENTINEL_HANDLERS[sub.toLowerCase()] : undefined;
  if (!handler || !handler.arity.includes(args.length)) return 'Unrecognized sentinel configuration statement.';
  return handler.run(ctx, args);
}

/**
 * Handler for `<sub> <master-name> <argCount more args>`: looks the master up
 * first, as Redis does.
 */
function perMaster(argCount: number, run: (m: MasterConfig, args: string[], ctx: SentinelCtx) => Verdict): SentinelHandler {
  return {
    arity: [argCount + 1],
    run: (ctx, [name = '', ...rest]) => {
      const m = ctx.masters.get(name);
      return m ? run(m, rest, ctx) : NO_SUCH_MASTER;
    },
  };
}

function globalOption(run: (cfg: SentinelConfig, v: string) => Verdict): SentinelHandler {
  return { arity: [1], run: (ctx, [v = '']) => run(ctx.cfg, v) };
}

function yesNoOption(set: (cfg: SentinelConfig, b: boolean) => void, reason: string): SentinelHandler {
  return globalOption((cfg, v) => {
    const b = yesNo(v);
    if (b === undefined) return reason;
    set(cfg, b);
    return undefined;
  });
}

function positiveMs(set: (m: MasterConfig, ms: number) => void): SentinelHandler {
  return perMaster(1, (m, [v = '']) => {
    const ms = cAtoi(v);
    set(m, ms);
    return ms <= 0 ? 'negative or zero time parameter.' : undefined;
  });
}

function script(set: (m: MasterConfig, path: string) => void, reason: string): SentinelHandler {
  return perMaster(1, (m, [path = ''], ctx) => {
    if (ctx.isExecutable && !ctx.isExecutable(path)) return reason;
    set(m, path);
    return undefined;
  });
}

function monitor(ctx: SentinelCtx, [name = '', host = '', port = '', quorumArg = '']: string[]): Verdict {
  const quorum = cAtoi(quorumArg);
  if (quorum <= 0) return 'Quorum must be 1 or greater.';
  const addr = makeAddr(ctx.cfg, host, port);
  if (typeof addr === 'string') return addr;
  if (ctx.masters.has(name)) return 'Duplicate master name.';
  const m = defaultMasterConfig(name, addr.host, addr.port, quorum);
  ctx.cfg.masters.push(m);
  ctx.masters.set(name, m);
  return undefined;
}

function knownReplica(m: MasterConfig, [host = '', port = '']: string[], ctx: SentinelCtx): Verdict {
  const addr = makeAddr(ctx.cfg, host, port);
  if (typeof addr === 'string') return addr;
  const seen = knownOf(ctx, m).replicas;
  const key = `${addr.port} ${addr.host}`;
  if (seen.has(key)) return 'Duplicate hostname and port for replica.';
  seen.add(key);
  m.knownReplicas.push(addr);
  return undefined;
}

const knownReplicaHandler = perMaster(2, knownReplica);

const masterRebootHandler = perMaster(1, (m, [v = '']) => {
  m.masterRebootDownAfterPeriodMs = cAtoi(v);
  return m.masterRebootDownAfterPeriodMs < 0 ? 'negative time parameter.' : undefined;
});

const SENTINEL_HANDLERS: Readonly<Record<string, SentinelHandler>> = {
  monitor: { arity: [4], run: monitor },
  'down-after-milliseconds': positiveMs((m, ms) => { m.downAfterMs = ms; }),
  'failover-timeout': positiveMs((m, ms) => { m.failoverTimeoutMs = ms; }),
  'parallel-syncs': perMaster(1, (m, [v = '']) => { m.parallelSyncs = cAtoi(v); return undefined; }),
  'notification-script': script(
    (m, p) => { m.notificationScript = p; },
    'Notification script seems non existing or non executable.',
  ),
  'client-reconfig-script': script(
    (m, p) => { m.clientReconfigScript = p; },
    'Client reconfiguration script seems non existing or non executable.',
  ),
  'auth-pass': perMaster(1, (m, [v = '']) => { m.authPass = v; return undefined; }),
  'auth-user': perMaster(1, (m, [v = '']) => { m.authUser = v; return undefined; }),
  'master-reboot-down-after-period': masterRebootHandler,
  // Valkey 8.0 reads (and writes) this spelling; we read both and write 7.0's.
  'primary-reboot-down-after-period': masterRebootHandler,
  'config-epoch': perMaster(1, (m, [v = ''], ctx) => {
    m.configEpoch = cStrtoull(v);
    ctx.cfg.currentEpoch = Math.max(ctx.cfg.currentEpoch, m.configEpoch);
    return undefined;
  }),
  'leader-epoch': perMaster(1, (m, [v = '']) => { m.leaderEpoch = cStrtoull(v); return undefined; }),
  'known-replica': knownReplicaHandler,
  'known-slave': knownReplicaHandler,
  'known-sentinel': { arity: [3, 4], run: knownSentinel },
  'rename-command': perMaster(2, (m, [from = '', to = '']) => {
    const key = from.toLowerCase();
    if (key in m.renameCommands) return 'Same command renamed multiple times with rename-command.';
    m.renameCommands[key] = to;
    return undefined;
  }),
  'current-epoch': globalOption((cfg, v) => { cfg.currentEpoch = Math.max(cfg.currentEpoch, cStrtoull(v)); return undefined; }),
  // Redis checks the length only (bytes), not that the id is hex.
  myid: globalOption((cfg, v) => {
    if (textByteLength(v) !== RUN_ID_SIZE) return 'Malformed Sentinel id in myid option.';
    cfg.myid = v;
    return undefined;
  }),
  // An empty value leaves these unset (Redis: `if (strlen(argv[1]))`).
  'announce-ip': globalOption((cfg, v) => { if (v !== '') cfg.announceIp = v; return undefined; }),
  'announce-port': globalOption((cfg, v) => { cfg.announcePort = cAtoi(v); return undefined; }),
  'sentinel-user': globalOption((cfg, v) => { if (v !== '') cfg.sentinelUser = v; return undefined; }),
  'sentinel-pass': globalOption((cfg, v) => { if (v !== '') cfg.sentinelPass = v; return undefined; }),
  'deny-scripts-reconfig': yesNoOption(
    (cfg, b) => { cfg.denyScriptsReconfig = b; },
    'Please specify yes or no for the deny-scripts-reconfig options.',
  ),
  'resolve-hostnames': yesNoOption(
    (cfg, b) => { cfg.resolveHostnames = b; },
    'Please specify yes or no for the resolve-hostnames option.',
  ),
  'announce-hostnames': yesNoOption(
    (cfg, b) => { cfg.announceHostnames = b; },
    'Please specify yes or no for the announce-hostnames option.',
  ),
};

/** The old 3-argument form (no runid) is accepted and dropped, without even checking the master. */
function knownSentinel(ctx: SentinelCtx, args: string[]): Verdict {
  if (args.length === 3) return undefined;
  const [name = '', host = '', port = '', runid = ''] = args;
  const m = ctx.masters.get(name);
  if (!m) return NO_SUCH_MASTER;
  const addr = makeAddr(ctx.cfg, host, port);
  if (typeof addr === 'string') return addr;
  const seen = knownOf(ctx, m).sentinels;
  if (seen.has(runid)) return 'Duplicate runid for sentinel.';
  seen.add(runid);
  m.knownSentinels.push({ ...addr, runid });
  return undefined;
}
