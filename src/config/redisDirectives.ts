/**
 * Every directive redis-server 7.0.15 accepts in a config file, so that a
 * sentinel.conf that real redis-sentinel loads also loads here.
 *
 * STANDARD_DIRECTIVES was taken from a real redis-server 7.0.15: the names
 * returned by `CONFIG GET *` (primary names and aliases such as slaveof,
 * slave-*, *-ziplist-*) plus the hidden ones that `CONFIG GET *` omits but an
 * exact `CONFIG GET <name>` answers (key-load-delay, rdb-key-save-delay, ...).
 * Redis requires exactly one argument for these unless they are multi-arg.
 */
export const STANDARD_DIRECTIVES: ReadonlySet<string> = new Set([
  'acl-pubsub-default', 'aclfile', 'acllog-max-len', 'active-defrag-cycle-max',
  'active-defrag-cycle-min', 'active-defrag-ignore-bytes',
  'active-defrag-max-scan-fields', 'active-defrag-threshold-lower',
  'active-defrag-threshold-upper', 'active-expire-effort', 'activedefrag',
  'activerehashing', 'always-show-logo', 'aof-disable-auto-gc', 'aof-load-truncated',
  'aof-rewrite-incremental-fsync', 'aof-timestamp-enabled', 'aof-use-rdb-preamble',
  'aof_rewrite_cpulist', 'appenddirname', 'appendfilename', 'appendfsync',
  'appendonly', 'auto-aof-rewrite-min-size', 'auto-aof-rewrite-percentage',
  'bgsave_cpulist', 'bind', 'bind-source-addr', 'bio_cpulist', 'busy-reply-threshold',
  'client-output-buffer-limit', 'client-query-buffer-limit',
  'cluster-allow-pubsubshard-when-down', 'cluster-allow-reads-when-down',
  'cluster-allow-replica-migration', 'cluster-announce-bus-port',
  'cluster-announce-hostname', 'cluster-announce-ip', 'cluster-announce-port',
  'cluster-announce-tls-port', 'cluster-config-file', 'cluster-enabled',
  'cluster-link-sendbuf-limit', 'cluster-migration-barrier', 'cluster-node-timeout',
  'cluster-port', 'cluster-preferred-endpoint-type', 'cluster-replica-no-failover',
  'cluster-replica-validity-factor', 'cluster-require-full-coverage',
  'cluster-slave-no-failover', 'cluster-slave-validity-factor', 'crash-log-enabled',
  'crash-memcheck-enabled', 'daemonize', 'databases', 'dbfilename', 'dir',
  'disable-thp', 'dynamic-hz', 'enable-debug-command', 'enable-module-command',
  'enable-protected-configs', 'hash-max-listpack-entries', 'hash-max-listpack-value',
  'hash-max-ziplist-entries', 'hash-max-ziplist-value', 'hll-sparse-max-bytes', 'hz',
  'ignore-warnings', 'io-threads', 'io-threads-do-reads', 'jemalloc-bg-thread',
  'key-load-delay', 'latency-monitor-threshold', 'latency-tracking',
  'latency-tracking-info-percentiles', 'lazyfree-lazy-eviction',
  'lazyfree-lazy-expire', 'lazyfree-lazy-server-del', 'lazyfree-lazy-user-del',
  'lazyfree-lazy-user-flush', 'lfu-decay-time', 'lfu-log-factor',
  'list-compress-depth', 'list-max-listpack-size', 'list-max-ziplist-size',
  'loading-process-events-interval-bytes', 'logfile', 'loglevel',
  'lua-enable-deprecated-api', 'lua-time-limit', 'masterauth', 'masteruser',
  'maxclients', 'maxmemory', 'maxmemory-clients', 'maxmemory-eviction-tenacity',
  'maxmemory-policy', 'maxmemory-samples', 'min-replicas-max-lag',
  'min-replicas-to-write', 'min-slaves-max-lag', 'min-slaves-to-write',
  'no-appendfsync-on-rewrite', 'notify-keyspace-events', 'oom-score-adj',
  'oom-score-adj-values', 'pidfile', 'port', 'proc-title-template',
  'propagation-error-behavior', 'protected-mode', 'proto-max-bulk-len',
  'rdb-del-sync-files', 'rdb-key-save-delay', 'rdb-save-incremental-fsync',
  'rdbchecksum', 'rdbcompression', 'repl-backlog-size', 'repl-backlog-ttl',
  'repl-disable-tcp-nodelay', 'repl-diskless-load', 'repl-diskless-sync',
  'repl-diskless-sync-delay', 'repl-diskless-sync-max-replicas',
  'repl-ping-replica-period', 'repl-ping-slave-period', 'repl-timeout',
  'replica-announce-ip', 'replica-announce-port', 'replica-announced',
  'replica-ignore-disk-write-errors', 'replica-ignore-maxmemory', 'replica-lazy-flush',
  'replica-priority', 'replica-read-only', 'replica-serve-stale-data', 'replicaof',
  'requirepass', 'sanitize-dump-payload', 'save', 'server_cpulist',
  'set-max-intset-entries', 'set-proc-title', 'shutdown-on-sigint',
  'shutdown-on-sigterm', 'shutdown-timeout', 'slave-announce-ip',
  'slave-announce-port', 'slave-ignore-maxmemory', 'slave-lazy-flush',
  'slave-priority', 'slave-read-only', 'slave-serve-stale-data', 'slaveof',
  'slowlog-log-slower-than', 'slowlog-max-len', 'socket-mark-id',
  'stop-writes-on-bgsave-error', 'stream-node-max-bytes', 'stream-node-max-entries',
  'supervised', 'syslog-enabled', 'syslog-facility', 'syslog-ident', 'tcp-backlog',
  'tcp-keepalive', 'timeout', 'tls-auth-clients', 'tls-ca-cert-dir',
  'tls-ca-cert-file', 'tls-cert-file', 'tls-ciphers', 'tls-ciphersuites',
  'tls-client-cert-file', 'tls-client-key-file', 'tls-client-key-file-pass',
  'tls-cluster', 'tls-dh-params-file', 'tls-key-file', 'tls-key-file-pass', 'tls-port',
  'tls-prefer-server-ciphers', 'tls-protocols', 'tls-replication',
  'tls-session-cache-size', 'tls-session-cache-timeout', 'tls-session-caching',
  'tracking-table-max-keys', 'unixsocket', 'unixsocketperm', 'use-exit-on-panic',
  'watchdog-period', 'zset-max-listpack-entries', 'zset-max-listpack-value',
  'zset-max-ziplist-entries', 'zset-max-ziplist-value',
]);

/**
 * Standard directives that take any number of arguments (Redis flags them
 * MULTI_ARG_CONFIG). A single non-empty argument is split again with the
 * config quoting rules, so `save "900 1"` means `save 900 1`.
 */
export const MULTI_ARG_DIRECTIVES: ReadonlySet<string> = new Set([
  'bind', 'client-output-buffer-limit', 'latency-tracking-info-percentiles',
  'oom-score-adj-values', 'replicaof', 'save', 'shutdown-on-sigint',
  'shutdown-on-sigterm', 'slaveof',
]);

/** Multi-arg directives whose argument count (after re-splitting) is fixed. */
export const FIXED_ARITY_DIRECTIVES: ReadonlyMap<string, number> = new Map([
  ['oom-score-adj-values', 3], ['replicaof', 2], ['slaveof', 2],
]);

/**
 * Removed directives Redis 7.0 still accepts (logging "Unsupported config")
 * when given exactly one argument; any other arity is a bad directive.
 */
export const DEPRECATED_DIRECTIVES: ReadonlySet<string> = new Set([
  'list-max-ziplist-entries', 'list-max-ziplist-value', 'lua-replicate-commands',
]);

/**
 * Directives handled outside the standard table, with their minimum and
 * maximum argument counts (Redis: "Bad directive or wrong number of arguments"
 * outside those bounds). `sentinel` is dispatched separately.
 */
export const SPECIAL_DIRECTIVES: ReadonlyMap<string, { min: number; max: number }> = new Map([
  ['include', { min: 1, max: 1 }],
  ['rename-command', { min: 2, max: 2 }],
  ['user', { min: 1, max: Infinity }],
  ['loadmodule', { min: 1, max: Infinity }],
]);
