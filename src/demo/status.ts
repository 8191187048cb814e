import fs from 'node:fs';
import type { Redis } from 'ioredis';
import { commaFields, errorText, infoFields, pairsToRecord, queryClient } from './client.js';
import { MASTER_NAME, type DemoNode, type Topology } from './topology.js';

/**
 * One snapshot of the whole topology, as the demo sees it: ROLE of every
 * redis-server, and every Sentinel's own view (SENTINEL GET-MASTER-ADDR-BY-NAME,
 * SENTINEL MASTER / REPLICAS / SENTINELS, INFO sentinel, and the current
 * epoch it persisted in its config file).
 */

export interface RoleView {
  readonly role: string;
  /** For a replica: the master it follows, ip:port. */
  readonly masterAddr?: string;
  /** For a replica: connect / connecting / sync / connected. */
  readonly linkState?: string;
  readonly offset?: number;
  /** For a master: its replicas, ip:port. */
  readonly replicas?: readonly string[];
}

export interface RedisStatus {
  readonly name: string;
  readonly addr: string;
  readonly pid: number | undefined;
  readonly role?: RoleView;
  readonly error?: string;
}

/** One instance as a Sentinel sees it (a replica or a peer Sentinel). */
export interface LinkView {
  readonly addr: string;
  readonly flags: string;
  readonly lastOkPingMs?: number;
}

export interface SentinelStatus {
  readonly name: string;
  readonly addr: string;
  readonly pid: number | undefined;
  readonly error?: string;
  readonly masterAddr?: string;
  /** SENTINEL MASTER mymaster, field by field. */
  readonly master?: Readonly<Record<string, string>>;
  readonly replicas?: readonly LinkView[];
  readonly peers?: readonly LinkView[];
  /** INFO sentinel's masterN line for mymaster (status, address, slaves, sentinels). */
  readonly info?: Readonly<Record<string, string>>;
  readonly tilt?: boolean;
  /** `sentinel current-epoch` from its config file (persisted before votes). */
  readonly currentEpoch?: number;
  readonly myid?: string;
}

export interface Snapshot {
  readonly atMs: number;
  readonly redis: readonly RedisStatus[];
  readonly sentinels: readonly SentinelStatus[];
}

export function parseRole(reply: unknown): RoleView | undefined {
  if (!Array.isArray(reply) || typeof reply[0] !== 'string') return undefined;
  const role = reply[0];
  if (role === 'master') {
    const list: unknown[] = Array.isArray(reply[2]) ? (reply[2] as unknown[]) : [];
    const replicas = list.filter(Array.isArray).map((r) => `${String(r[0])}:${String(r[1])}`);
    return { role, offset: Number(reply[1]), replicas };
  }
  if (role === 'slave') {
    return { role, masterAddr: `${String(reply[1])}:${String(reply[2])}`, linkState: String(reply[3]), offset: Number(reply[4]) };
  }
  return { role };
}

function linkViews(reply: unknown): LinkView[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((item) => {
    const r = pairsToRecord(item);
    const ping = r['last-ok-ping-reply'];
    return { addr: `${r['ip'] ?? '?'}:${r['port'] ?? '?'}`, flags: r['flags'] ?? '?', lastOkPingMs: ping === undefined ? undefined : Number(ping) };
  });
}

/** `sentinel current-epoch N` and `sentinel myid X` from a Sentinel's config file. */
export function persistedState(confText: string): { currentEpoch?: number; myid?: string } {
  const epoch = /^\s*sentinel\s+current-epoch\s+(\d+)/im.exec(confText)?.[1];
  const myid = /^\s*sentinel\s+myid\s+([0-9a-f]+)/im.exec(confText)?.[1];
  return { currentEpoch: epoch === undefined ? undefined : Number(epoch), myid };
}

export class StatusPoller {
  private readonly clients = new Map<string, Redis>();

  constructor(private readonly topology: Topology) {
    for (const node of [...topology.redis, ...topology.sentinels]) this.clients.set(node.name, queryClient(node.port));
  }

  async poll(): Promise<Snapshot> {
    const [redis, sentinels] = await Promise.all([
      Promise.all(this.topology.redis.map((n) => this.pollRedis(n))),
      Promise.all(this.topology.sentinels.map((n) => this.pollSentinel(n))),
    ]);
    return { atMs: Date.now(), redis, sentinels };
  }

  /** A killed process is not asked at all: it is down, whatever a stale socket says. */
  private async pollRedis(node: DemoNode): Promise<RedisStatus> {
    const base = { name: node.name, addr: node.addr, pid: node.proc.pid };
    if (!node.proc.running) return { ...base, error: 'not running' };
    try {
      return { ...base, role: parseRole(await this.client(node).call('ROLE')) };
    } catch (err) {
      return { ...base, error: errorText(err) };
    }
  }

  private async pollSentinel(node: DemoNode): Promise<SentinelStatus> {
    const base = { name: node.name, addr: node.addr, pid: node.proc.pid, ...readPersisted(node) };
    if (!node.proc.running) return { ...base, error: 'not running' };
    const c = this.client(node);
    try {
      const [addr, master, replicas, peers, info] = await Promise.all([
        c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME),
        c.call('SENTINEL', 'MASTER', MASTER_NAME),
        c.call('SENTINEL', 'REPLICAS', MASTER_NAME),
        c.call('SENTINEL', 'SENTINELS', MASTER_NAME),
        c.call('INFO', 'sentinel'),
      ]);
      const fields = infoFields(String(info));
      const masterLine = Object.entries(fields).find(([k, v]) => /^master\d+$/.test(k) && v.startsWith(`name=${MASTER_NAME},`));
      return {
        ...base,
        masterAddr: Array.isArray(addr) && addr.length === 2 ? `${String(addr[0])}:${String(addr[1])}` : undefined,
        master: pairsToRecord(master),
        replicas: linkViews(replicas),
        peers: linkViews(peers),
        info: masterLine ? commaFields(masterLine[1]) : undefined,
        tilt: fields['sentinel_tilt'] === '1',
      };
    } catch (err) {
      return { ...base, error: errorText(err) };
    }
  }

  /** SENTINEL FAILOVER [COORDINATED] on the first Sentinel that answers; the reply or the error text. */
  async failover(coordinated = false): Promise<string> {
    let last = 'no Sentinel running';
    const args = ['SENTINEL', 'FAILOVER', MASTER_NAME, ...(coordinated ? ['COORDINATED'] : [])];
    for (const node of this.topology.sentinels) {
      if (!node.proc.running) continue;
      try {
        return `${node.name}: ${String(await this.client(node).call(...(args as [string, ...string[]])))}`;
      } catch (err) {
        last = `${node.name}: ${errorText(err)}`;
        // A Redis error reply (-INPROG, -NOGOODSLAVE) is the answer; only a lost link tries the next one.
        if (err instanceof Error && err.name === 'ReplyError') return last;
      }
    }
    return last;
  }

  close(): void {
    for (const client of this.clients.values()) client.disconnect();
    this.clients.clear();
  }

  private client(node: DemoNode): Redis {
    const client = this.clients.get(node.name);
    if (!client) throw new Error(`no client for ${node.name}`);
    return client;
  }
}

function readPersisted(node: DemoNode): { currentEpoch?: number; myid?: string } {
  try {
    return persistedState(fs.readFileSync(node.confPath, 'utf8'));
  } catch {
    return {};
  }
}
