/**
 * The typed sentinel.conf. Other modules code against these names.
 *
 * Defaults are those of redis-sentinel 7.0.15 (checked against the binary).
 */

export interface KnownSentinel { host: string; port: number; runid: string }
export interface HostPort { host: string; port: number }

export interface MasterConfig {
  name: string;
  /** Normalized like Redis stores it: `127.1` becomes `127.0.0.1`, `0:0::1` becomes `::1`. */
  host: string;
  port: number;
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  parallelSyncs: number;
  authPass?: string;
  authUser?: string;
  /** As written in the file. Relative paths are relative to `dir` (the CLI chdir()s there, as Redis does). */
  notificationScript?: string;
  clientReconfigScript?: string;
  /** Lower-case original command -> new name (case kept). An empty new name disables the command. */
  renameCommands: Record<string, string>;
  masterRebootDownAfterPeriodMs: number;
  configEpoch: number;
  /** `sentinel leader-epoch`: the epoch of the last vote we granted for this master. */
  leaderEpoch: number;
  /**
   * The runid we voted for in `leaderEpoch`. Runtime only: Redis never writes
   * it to the file (and would reject a config that did), and safety does not
   * need it, because a persisted leaderEpoch already stops a second vote in
   * the same epoch.
   */
  leader?: string;
  knownReplicas: HostPort[];
  knownSentinels: KnownSentinel[];
}

export type LogFormat = 'redis' | 'json';

export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning' | 'nothing';

/** A redis-server directive the real sentinel accepts but that tssentinel does not use. */
export interface IgnoredDirective {
  /** 1-based line in the file; 0 for command-line overrides. */
  line: number;
  /** Lower-cased directive name. */
  directive: string;
  /** Added field: the directive's arguments, for warnings such as "rename-command is ignored". */
  args: string[];
}

export interface SentinelConfig {
  /** Default 26379 (redis-sentinel overrides redis-server's 6379). */
  port: number;
  /** Raw `bind` arguments, `-` prefixes kept. [] = Redis's default "* -::*" (all interfaces). */
  bind: string[];
  /**
   * Default false: redis-sentinel's initSentinelConfig() sets protected_mode = 0
   * ("Sentinel must be exposed") before reading the file, which is why its
   * first rewrite appends "protected-mode no". An explicit line still wins.
   */
  protectedMode: boolean;
  /**
   * The CLI chdir()s here while loading (as Redis does), so every relative
   * path is relative to it, then stores the absolute cwd (what Redis's rewrite writes).
   */
  dir?: string;
  /** "" = stdout. */
  logfile: string;
  pidfile?: string;
  /** Default notice. 'nothing' is in the type for later versions; 7.0 rejects it in files. */
  loglevel: LogLevel;
  daemonize: boolean;
  requirepass?: string;
  /** Raw `user` argument lists, without the `user` keyword. */
  users: string[][];
  aclfile?: string;
  /** Every tls-* directive -> its value (bool/enum values lower-cased, numbers canonical). */
  tls: Record<string, string>;
  maxclients: number;
  /** tssentinel extension: Prometheus metrics on this HTTP port (0 = off). */
  metricsPort: number;
  /** tssentinel extension: address the metrics listener binds (default 127.0.0.1). */
  metricsBind: string;
  /**
   * tssentinel extension: `redis` (redis-sentinel's own line format, the
   * default) or `json` (one pino JSON object per line, for log shippers).
   */
  logformat: LogFormat;
  /**
   * tssentinel extension: how many other Sentinels / replicas one master may
   * gain from hellos and INFO (beyond it they are refused, logged and
   * counted). Lines already in the file always load.
   */
  maxSentinelsPerMaster: number;
  maxReplicasPerMaster: number;
  myid?: string;
  currentEpoch: number;
  announceIp?: string;
  /** 0 = announce the port we listen on. */
  announcePort: number;
  resolveHostnames: boolean;
  announceHostnames: boolean;
  /** Hostnames of the file and the addresses they resolved to at load (never written back). */
  resolvedHosts?: Map<string, string>;
  denyScriptsReconfig: boolean;
  sentinelUser?: string;
  sentinelPass?: string;
  /** In file order; SENTINEL MONITOR appends. */
  masters: MasterConfig[];
  ignored: IgnoredDirective[];
}

export const SENTINEL_DEFAULT_PORT = 26379;
export const DEFAULT_DOWN_AFTER_MS = 30_000;
export const DEFAULT_FAILOVER_TIMEOUT_MS = 180_000;
export const DEFAULT_PARALLEL_SYNCS = 1;
export const DEFAULT_MAXCLIENTS = 10_000;
/**
 * Far above any real deployment: Sentinels are deployed by 3 or 5, and every
 * pair of them exchanges a PING a second and a hello every 2 s, so a
 * thousand is already a million messages a second across the group; a
 * master's replicas are a handful to a few hundred. Yet a bound: anyone who
 * can PUBLISH on a master's hello channel, or a hostile master's INFO, could
 * otherwise add instances (each one a link and config line) without end.
 */
export const DEFAULT_MAX_SENTINELS_PER_MASTER = 1024;
export const DEFAULT_MAX_REPLICAS_PER_MASTER = 4096;

export function defaultSentinelConfig(): SentinelConfig {
  return {
    port: SENTINEL_DEFAULT_PORT,
    bind: [],
    protectedMode: false,
    logfile: '',
    loglevel: 'notice',
    daemonize: false,
    users: [],
    tls: {},
    maxclients: DEFAULT_MAXCLIENTS,
    metricsPort: 0,
    metricsBind: '127.0.0.1',
    logformat: 'redis',
    maxSentinelsPerMaster: DEFAULT_MAX_SENTINELS_PER_MASTER,
    maxReplicasPerMaster: DEFAULT_MAX_REPLICAS_PER_MASTER,
    currentEpoch: 0,
    announcePort: 0,
    resolveHostnames: false,
    announceHostnames: false,
    denyScriptsReconfig: true,
    masters: [],
    ignored: [],
  };
}

export function defaultMasterConfig(name: string, host: string, port: number, quorum: number): MasterConfig {
  return {
    name,
    host,
    port,
    quorum,
    downAfterMs: DEFAULT_DOWN_AFTER_MS,
    failoverTimeoutMs: DEFAULT_FAILOVER_TIMEOUT_MS,
    parallelSyncs: DEFAULT_PARALLEL_SYNCS,
    renameCommands: {},
    masterRebootDownAfterPeriodMs: 0,
    configEpoch: 0,
    leaderEpoch: 0,
    knownReplicas: [],
    knownSentinels: [],
  };
}
