import type { LinkView, RedisStatus, SentinelStatus, Snapshot } from './status.js';
import type { TimelineEvent } from './timeline.js';
import { DOWN_AFTER_MS, MASTER_NAME, QUORUM } from './topology.js';
import { agreement, roleOf } from './verdict.js';

/**
 * Text of the status view, as pure functions of a snapshot. With
 * volatile=false, values that change on every refresh (uptime, ping ages,
 * replication offsets) are left out, so that a non-TTY output only prints a
 * snapshot when something meaningful changed.
 */

export interface ViewInput {
  readonly snapshot: Snapshot | undefined;
  readonly nowMs: number;
  readonly startedAtMs: number;
  readonly phase: string;
  readonly dir: string;
  /** addr -> r1 / s1. */
  readonly names: ReadonlyMap<string, string>;
  readonly volatile: boolean;
  readonly keysHelp: boolean;
}

export const KEYS_HELP = 'keys: [k] kill -9 master  [r] restart killed master  [f] SENTINEL FAILOVER  [c] ... COORDINATED  [q] quit';

export function renderStatus(v: ViewInput): string[] {
  const up = v.volatile ? `  up ${seconds(v.nowMs - v.startedAtMs)}` : '';
  const lines = [
    `tssentinel demo: master "${MASTER_NAME}", 1 master + 2 replicas, 3 Sentinels (quorum ${QUORUM}, down-after ${DOWN_AFTER_MS} ms)${up}`,
    `dir ${v.dir}`,
    `>> ${v.phase}`,
  ];
  if (v.keysHelp) lines.push(KEYS_HELP);
  const s = v.snapshot;
  if (!s) return lines;
  lines.push('', 'REDIS (ROLE)');
  for (const r of s.redis) lines.push(`  ${redisLine(r, v)}`);
  lines.push('', 'SENTINELS (their view of mymaster)');
  for (const sen of s.sentinels) lines.push(...sentinelLines(sen, v));
  lines.push('', agreementLine(s, v.names));
  return lines;
}

function redisLine(r: RedisStatus, v: ViewInput): string {
  const head = `${r.name}  ${r.addr}  ${r.pid === undefined ? 'pid -' : `pid ${r.pid}`}`.padEnd(32);
  if (r.error !== undefined || !r.role) return `${head}  DOWN (${r.error ?? 'no ROLE reply'})`;
  const role = r.role;
  const offset = v.volatile && role.offset !== undefined ? `  offset ${role.offset}` : '';
  if (role.role === 'master') {
    const replicas = (role.replicas ?? []).map((a) => label(a, v.names)).join(' ') || 'none';
    return `${head}  MASTER   replicas: ${replicas}${offset}`;
  }
  if (role.role === 'slave') {
    return `${head}  replica of ${label(role.masterAddr ?? '?', v.names)} (${role.linkState ?? '?'})${offset}`;
  }
  return `${head}  ${role.role}`;
}

function sentinelLines(s: SentinelStatus, v: ViewInput): string[] {
  const id = s.myid ? `  id ${s.myid.slice(0, 8)}` : '';
  const epoch = `current-epoch ${s.currentEpoch ?? '?'}`;
  const head = `  ${s.name}  ${s.addr}  ${s.pid === undefined ? 'pid -' : `pid ${s.pid}`}${id}`;
  if (s.error !== undefined) return [`${head}  UNREACHABLE (${s.error})  ${epoch}`];
  const m = s.master ?? {};
  const state = m['failover-state'] ? `  failover-state ${m['failover-state']}` : '';
  const tilt = s.tilt ? '  TILT' : '';
  const info = s.info ? `status=${s.info['status'] ?? '?'} slaves=${s.info['slaves'] ?? '?'} sentinels=${s.info['sentinels'] ?? '?'}` : '-';
  return [
    `${head}  master ${s.masterAddr ? label(s.masterAddr, v.names) : '?'}  flags ${m['flags'] ?? '?'}${state}${tilt}`,
    `      num-slaves ${m['num-slaves'] ?? '?'}  num-other-sentinels ${m['num-other-sentinels'] ?? '?'}  config-epoch ${m['config-epoch'] ?? '?'}  ${epoch}  INFO: ${info}`,
    `      links: ${linkSummary(s, v)}`,
  ];
}

function linkSummary(s: SentinelStatus, v: ViewInput): string {
  const m = s.master ?? {};
  const masterLink: LinkView = {
    addr: s.masterAddr ?? '?',
    flags: m['flags'] ?? '?',
    lastOkPingMs: m['last-ok-ping-reply'] === undefined ? undefined : Number(m['last-ok-ping-reply']),
  };
  const all = [masterLink, ...(s.replicas ?? []), ...(s.peers ?? [])];
  return all.map((l) => `${label(l.addr, v.names, false)} ${health(l, v.volatile)}`).join(' | ');
}

/** "ok" or the trouble flags (s_down, o_down, disconnected, ...), without the role words. */
function health(link: LinkView, volatile: boolean): string {
  const trouble = link.flags.split(',').filter((f) => f !== 'master' && f !== 'slave' && f !== 'sentinel' && f !== '');
  const age = volatile && link.lastOkPingMs !== undefined ? ` ${link.lastOkPingMs}ms` : '';
  return `${trouble.length === 0 ? 'ok' : trouble.join(',')}${age}`;
}

function agreementLine(s: Snapshot, names: ReadonlyMap<string, string>): string {
  const a = agreement(s);
  if (a.agreed && a.addr !== undefined) {
    const role = roleOf(s, a.addr) ?? 'unreachable';
    return `AGREEMENT: all ${s.sentinels.length} Sentinels say ${label(a.addr, names)}; its ROLE: ${role}`;
  }
  const views = Object.entries(a.views).map(([name, addr]) => `${name} -> ${addr === null ? '?' : label(addr, names, false)}`);
  return `NO AGREEMENT: ${views.join(', ')}`;
}

/** "r1 (127.0.0.1:20001)", or just "r1" when short. */
function label(addr: string, names: ReadonlyMap<string, string>, withAddr = true): string {
  const name = names.get(addr);
  if (name === undefined) return addr;
  return withAddr ? `${name} (${addr})` : name;
}

export function formatEvent(e: TimelineEvent): string {
  return `${clock(e.atMs)} ${e.source} ${e.channel} ${e.message}`;
}

/** HH:MM:SS.mmm, local time. */
export function clock(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
