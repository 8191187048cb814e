/**
 * INFO [section ...] with the sections and field names redis-sentinel 7.0
 * prints: server, clients, stats, cpu, sentinel. Fields that have no meaning
 * in a Sentinel (keyspace, replication bytes, ...) are printed as zero, as the
 * real one does.
 */
import { arch, cpus, release, type } from 'node:os';
import { shownHost } from '../core/state.js';
import type { Runtime } from '../runtime.js';
import { bulk, type Reply } from '../server/reply.js';
import type { CommandContext, ServerStats } from '../server/types.js';

export const REDIS_VERSION = '7.0.15';

const SECTIONS = ['server', 'clients', 'stats', 'cpu', 'sentinel'] as const;
type Section = (typeof SECTIONS)[number];

export interface InfoHost {
  rt: Runtime;
  configPath: string;
  port: number;
}

export function infoCommand(host: InfoHost, ctx: CommandContext, argv: readonly string[]): Reply {
  const wanted = selectSections(argv.slice(1));
  const stats = ctx.server.stats();
  const parts = SECTIONS.filter((s) => wanted.has(s)).map((s) => renderSection(host, s, stats));
  // A bulk string even under RESP3, as redis-sentinel 7.0 sends it.
  return bulk(parts.join('\r\n'));
}

function selectSections(args: readonly string[]): Set<Section> {
  if (args.length === 0) return new Set(SECTIONS);
  const out = new Set<Section>();
  for (const arg of args) {
    const a = arg.toLowerCase();
    if (a === 'all' || a === 'everything' || a === 'default') SECTIONS.forEach((s) => out.add(s));
    else if ((SECTIONS as readonly string[]).includes(a)) out.add(a as Section);
  }
  return out;
}

function renderSection(host: InfoHost, section: Section, stats: ServerStats): string {
  const fields = FIELDS[section](host, stats);
  const title = section === 'cpu' ? 'CPU' : section[0]!.toUpperCase() + section.slice(1);
  return `# ${title}\r\n${fields.map(([k, v]) => `${k}:${v}\r\n`).join('')}`;
}

type Fields = Array<[string, string | number]>;

const FIELDS: Record<Section, (host: InfoHost, stats: ServerStats) => Fields> = {
  server: serverFields,
  clients: (_h, s) => [
    ['connected_clients', s.connectedClients],
    ['cluster_connections', 0],
    ['maxclients', s.maxClients],
    ['client_recent_max_input_buffer', 0],
    ['client_recent_max_output_buffer', 0],
    ['blocked_clients', 0],
    ['tracking_clients', 0],
    ['clients_in_timeout_table', 0],
  ],
  stats: statsFields,
  cpu: cpuFields,
  sentinel: sentinelFields,
};

const startedAtMs = Date.now();

function serverFields(host: InfoHost): Fields {
  const nowMs = Date.now();
  const uptimeS = Math.floor((nowMs - startedAtMs) / 1000);
  return [
    ['redis_version', REDIS_VERSION],
    ['redis_git_sha1', '00000000'],
    ['redis_git_dirty', 0],
    ['redis_build_id', 'tssentinel'],
    ['redis_mode', 'sentinel'],
    ['os', `${type()} ${release()} ${arch() === 'x64' ? 'x86_64' : arch()}`],
    ['arch_bits', process.arch.includes('64') ? 64 : 32],
    ['monotonic_clock', 'POSIX clock_gettime'],
    ['multiplexing_api', 'epoll'],
    ['atomicvar_api', 'c11-builtin'],
    ['gcc_version', '0.0.0'],
    ['process_id', process.pid],
    ['process_supervised', 'no'],
    ['run_id', host.rt.runId],
    ['tcp_port', host.port],
    ['server_time_usec', nowMs * 1000],
    ['uptime_in_seconds', uptimeS],
    ['uptime_in_days', Math.floor(uptimeS / 86400)],
    ['hz', 10],
    ['configured_hz', 10],
    ['lru_clock', Math.floor(nowMs / 1000) & 0xffffff],
    ['executable', process.argv[1] ?? process.execPath],
    ['config_file', host.configPath],
    ['io_threads_active', 0],
  ];
}

function statsFields(_host: InfoHost, s: ServerStats): Fields {
  const zeros = (names: string[]): Fields => names.map((n) => [n, n.endsWith('kbps') || n.endsWith('perc') ? '0.00' : 0]);
  return [
    ['total_connections_received', s.totalConnectionsReceived],
    ['total_commands_processed', s.totalCommandsProcessed],
    ['instantaneous_ops_per_sec', 0],
    ['total_net_input_bytes', s.totalNetInputBytes],
    ['total_net_output_bytes', s.totalNetOutputBytes],
    ...zeros(['total_net_repl_input_bytes', 'total_net_repl_output_bytes', 'instantaneous_input_kbps',
      'instantaneous_output_kbps', 'instantaneous_input_repl_kbps', 'instantaneous_output_repl_kbps']),
    ['rejected_connections', s.rejectedConnections],
    ...zeros(['sync_full', 'sync_partial_ok', 'sync_partial_err', 'expired_keys', 'expired_stale_perc',
      'expired_time_cap_reached_count', 'expire_cycle_cpu_milliseconds', 'evicted_keys', 'evicted_clients',
      'total_eviction_exceeded_time', 'current_eviction_exceeded_time', 'keyspace_hits', 'keyspace_misses']),
    ['pubsub_channels', s.pubsubChannels],
    ['pubsub_patterns', s.pubsubPatterns],
    ...zeros(['pubsubshard_channels', 'latest_fork_usec', 'total_forks', 'migrate_cached_sockets',
      'slave_expires_tracked_keys', 'active_defrag_hits', 'active_defrag_misses', 'active_defrag_key_hits',
      'active_defrag_key_misses', 'total_active_defrag_time', 'current_active_defrag_time',
      'tracking_total_keys', 'tracking_total_items', 'tracking_total_prefixes', 'unexpected_error_replies']),
    ['total_error_replies', s.totalErrorReplies],
    ...zeros(['dump_payload_sanitizations']),
    ['total_reads_processed', s.totalCommandsProcessed],
    ['total_writes_processed', s.totalCommandsProcessed],
    ...zeros(['io_threaded_reads_processed', 'io_threaded_writes_processed', 'reply_buffer_shrinks',
      'reply_buffer_expands']),
  ];
}

function cpuFields(): Fields {
  const u = process.cpuUsage();
  const sec = (us: number) => (us / 1e6).toFixed(6);
  void cpus;
  return [
    ['used_cpu_sys', sec(u.system)],
    ['used_cpu_user', sec(u.user)],
    ['used_cpu_sys_children', '0.000000'],
    ['used_cpu_user_children', '0.000000'],
    ['used_cpu_sys_main_thread', sec(u.system)],
    ['used_cpu_user_main_thread', sec(u.user)],
  ];
}

function sentinelFields(host: InfoHost): Fields {
  const st = host.rt.state;
  const now = host.rt.nowMs();
  const fields: Fields = [
    ['sentinel_masters', st.masters.size],
    ['sentinel_tilt', st.tilt ? 1 : 0],
    ['sentinel_tilt_since_seconds', st.tilt ? Math.floor((now - st.tiltSinceMs) / 1000) : -1],
    ['sentinel_running_scripts', 0],
    ['sentinel_scripts_queue_length', 0],
    ['sentinel_simulate_failure_flags',
      (st.simulateFailure.crashAfterElection ? 1 : 0) | (st.simulateFailure.crashAfterPromotion ? 2 : 0)],
  ];
  let i = 0;
  for (const m of st.masters.values()) {
    const status = m.odown ? 'odown' : m.sdown ? 'sdown' : 'ok';
    const host = shownHost(m.addressing, m.host);
    // Redis prints "%s:%d" here, IPv6 without brackets (address=::1:6379).
    const addr = `${host}:${m.port}`;
    fields.push([`master${i}`,
      `name=${m.name},status=${status},address=${addr},slaves=${m.replicas.size},sentinels=${m.sentinels.size + 1}`]);
    i += 1;
  }
  return fields;
}

export function roleReply(rt: Runtime): Reply {
  return {
    kind: 'array',
    items: [
      { kind: 'bulk', value: 'sentinel' },
      { kind: 'array', items: [...rt.state.masters.keys()].map((n) => ({ kind: 'bulk', value: n }) as const) },
    ],
  };
}
