/** sentinel.conf: tokenize with Redis quoting rules, parse to a typed config, rewrite atomically. */
export { parseConfig, normalizeNumericHost, type ParseOptions } from './parse.js';
export {
  renderConfig, writeConfigAtomic, writeConfigAtomicSync, removeStaleTempFiles,
  type AtomicFs, type AtomicFsSync, type AtomicFileHandle,
} from './rewrite.js';
export { ConfigError, ConfigWriteError, REDIS_VERSION, type ConfigWriteStep } from './errors.js';
export {
  defaultSentinelConfig, defaultMasterConfig,
  SENTINEL_DEFAULT_PORT, DEFAULT_DOWN_AFTER_MS, DEFAULT_FAILOVER_TIMEOUT_MS, DEFAULT_PARALLEL_SYNCS,
  DEFAULT_MAXCLIENTS,
  type SentinelConfig, type MasterConfig, type KnownSentinel, type HostPort, type LogLevel,
  type IgnoredDirective,
} from './model.js';
