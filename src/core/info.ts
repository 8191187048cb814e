/**
 * Parser for the INFO text of a monitored redis-server. Pure: text in, facts
 * out. Only the fields a Sentinel acts on are kept; the raw text is cached
 * separately for SENTINEL INFO-CACHE.
 */
export type ReportedRole = 'master' | 'slave' | 'unknown';

export interface InfoReplica {
  host: string;
  port: number;
}

export interface ParsedInfo {
  runId?: string;
  role: ReportedRole;
  /** Replicas listed by a master as slaveN:ip=...,port=... (or the pre-2.8 form). */
  replicas: InfoReplica[];
  masterHost?: string;
  masterPort?: number;
  /** 'up' / 'down' from master_link_status, on replicas. */
  masterLinkUp?: boolean;
  masterLinkDownSinceSeconds?: number;
  /** master_link_down_since_seconds:-1: the link never came up (no first sync yet). */
  masterLinkNeverUp?: boolean;
  replicaPriority?: number;
  replOffset?: number;
  replicaAnnounced?: boolean;
  /** master_failover_state, when not "no-failover" a Redis-level FAILOVER is running. */
  masterFailoverState?: string;
}

export function parseInfo(text: string): ParsedInfo {
  const out: ParsedInfo = { role: 'unknown', replicas: [] };
  // Lines are found with indexOf, not split: INFO is ~4 KB every 10 s per
  // instance, and only the fields below (keys starting with m, r or s) are
  // cut out of it.
  const n = text.length;
  let start = 0;
  while (start < n) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    const lineEnd = end > start && text.charCodeAt(end - 1) === CR ? end - 1 : end;
    const c = text.charCodeAt(start);
    if (c === LOWER_M || c === LOWER_R || c === LOWER_S) {
      const colon = text.indexOf(':', start);
      if (colon > start && colon < lineEnd) applyField(out, text.slice(start, colon), text.slice(colon + 1, lineEnd));
    }
    start = end + 1;
  }
  return out;
}

const CR = 13;
const LOWER_M = 109;
const LOWER_R = 114;
const LOWER_S = 115;

function applyField(out: ParsedInfo, key: string, value: string): void {
  switch (key) {
    case 'run_id':
      if (value.length === 40) out.runId = ownString(value);
      return;
    case 'role':
      out.role = value === 'master' ? 'master' : value === 'slave' ? 'slave' : 'unknown';
      return;
    case 'master_host':
      out.masterHost = ownString(value);
      return;
    case 'master_port':
      out.masterPort = toInt(value);
      return;
    case 'master_link_status':
      out.masterLinkUp = value === 'up';
      return;
    case 'master_link_down_since_seconds':
      out.masterLinkDownSinceSeconds = value === '-1' ? undefined : toInt(value);
      out.masterLinkNeverUp = value === '-1';
      return;
    case 'slave_priority':
    case 'replica_priority':
      out.replicaPriority = toInt(value);
      return;
    case 'slave_repl_offset':
      out.replOffset = toInt(value);
      return;
    case 'replica_announced':
      out.replicaAnnounced = value !== '0';
      return;
    case 'master_failover_state':
      out.masterFailoverState = ownString(value);
      return;
    default:
      if (/^slave\d+$/.test(key)) {
        const replica = parseReplicaLine(value);
        if (replica) out.replicas.push(replica);
      }
  }
}

/** `ip=127.0.0.1,port=6380,state=online,...` or the old `127.0.0.1,6380,online`. */
export function parseReplicaLine(value: string): InfoReplica | undefined {
  if (!value.includes('=')) {
    const [host, port] = value.split(',');
    return host && port ? validReplica(host, toInt(port)) : undefined;
  }
  let host: string | undefined;
  let port: number | undefined;
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq);
    if (k === 'ip') host = part.slice(eq + 1);
    else if (k === 'port') port = toInt(part.slice(eq + 1));
  }
  return host !== undefined && port !== undefined ? validReplica(host, port) : undefined;
}

function validReplica(host: string, port: number): InfoReplica | undefined {
  if (host.length === 0 || !Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  return { host: ownString(host), port };
}

/**
 * A copy of `value` that does not keep the INFO text it was cut from alive.
 * V8 cuts substrings of 13 characters or more as slices of their parent, so
 * a run id kept in the state would hold a whole INFO reply (~4 KB, one per
 * instance, besides the latest one kept for INFO-CACHE) until the run id
 * changes. JSON.parse builds a new flat string.
 */
function ownString(value: string): string {
  return value.length < 13 ? value : (JSON.parse(JSON.stringify(value)) as string);
}

function toInt(value: string): number {
  const n = Number.parseInt(value, 10);
  return Number.isNaN(n) ? 0 : n;
}
