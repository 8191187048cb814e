import type { Snapshot } from './status.js';
import type { TimelineEvent } from './timeline.js';

/**
 * Pure judgements over snapshots: do the Sentinels agree, is discovery
 * done, has a failover completed; and the final machine-readable result.
 */

export interface Agreement {
  /** Every Sentinel answered and all name the same master address. */
  readonly agreed: boolean;
  /** That address when agreed. */
  readonly addr: string | undefined;
  /** Each Sentinel's GET-MASTER-ADDR-BY-NAME, null when it did not answer. */
  readonly views: Readonly<Record<string, string | null>>;
}

export function agreement(snapshot: Snapshot): Agreement {
  const views: Record<string, string | null> = {};
  for (const s of snapshot.sentinels) views[s.name] = s.masterAddr ?? null;
  const addrs = new Set(Object.values(views));
  const only = addrs.size === 1 ? [...addrs][0] : undefined;
  const agreed = snapshot.sentinels.length > 0 && typeof only === 'string';
  return { agreed, addr: agreed ? (only ?? undefined) : undefined, views };
}

export function roleOf(snapshot: Snapshot, addr: string): string | undefined {
  return snapshot.redis.find((r) => r.addr === addr)?.role?.role;
}

/**
 * Ready for the show: every Sentinel knows both replicas and both other
 * Sentinels, and every replica is in sync with the master.
 */
export function isDiscovered(snapshot: Snapshot, replicaCount: number, sentinelCount: number): boolean {
  const sentinelsSeeAll = snapshot.sentinels.every(
    (s) =>
      s.master?.['num-slaves'] === String(replicaCount) &&
      s.master['num-other-sentinels'] === String(sentinelCount - 1),
  );
  const replicas = snapshot.redis.filter((r) => r.role?.role === 'slave');
  return sentinelsSeeAll && replicas.length === replicaCount && replicas.every((r) => r.role?.linkState === 'connected');
}

/**
 * The address a failover away from fromAddr ended at: all Sentinels name
 * the same new master and that server's ROLE says master. Undefined until then.
 */
export function failoverTarget(snapshot: Snapshot, fromAddr: string): string | undefined {
  const a = agreement(snapshot);
  if (!a.agreed || a.addr === undefined || a.addr === fromAddr) return undefined;
  return roleOf(snapshot, a.addr) === 'master' ? a.addr : undefined;
}

export type StopReason =
  | { readonly kind: 'quit' }
  | { readonly kind: 'exit-after' }
  | { readonly kind: 'failover-done' }
  | { readonly kind: 'failover-timeout' }
  | { readonly kind: 'signal'; readonly signal: NodeJS.Signals }
  | { readonly kind: 'error'; readonly message: string };

export interface KillRecord {
  readonly node: string;
  readonly addr: string;
  readonly pid: number | undefined;
  readonly atMs: number;
}

export interface FailoverWatch {
  readonly trigger: 'kill' | 'sentinel-failover';
  readonly fromAddr: string;
  readonly atMs: number;
  readonly doneAtMs?: number;
  readonly toAddr?: string;
}

export interface ResultInput {
  readonly reason: StopReason;
  readonly snapshot: Snapshot | undefined;
  readonly startedAtMs: number;
  readonly killRequested: boolean;
  readonly kill: KillRecord | undefined;
  readonly watch: FailoverWatch | undefined;
  readonly initialMaster: string | undefined;
  readonly initialReplicas: readonly string[];
  /** addr -> r1 / s1. */
  readonly names: ReadonlyMap<string, string>;
  readonly events: readonly TimelineEvent[];
}

export interface DemoResult {
  readonly ok: boolean;
  readonly reason: string;
  readonly killRequested: boolean;
  readonly killed: { node: string; addr: string; pid: number | null; sinceStartMs: number } | null;
  readonly oldMaster: string | null;
  readonly newMaster: string | null;
  readonly newMasterNode: string | null;
  readonly newMasterRole: string | null;
  readonly newMasterWasReplica: boolean;
  readonly failover: boolean;
  readonly failoverMs: number | null;
  readonly agreed: boolean;
  readonly views: Readonly<Record<string, string | null>>;
  readonly currentEpochs: Readonly<Record<string, number | null>>;
  readonly pids: readonly number[];
  readonly dir: string | null;
  readonly events: readonly { sinceStartMs: number; source: string; channel: string; message: string }[];
}

/**
 * ok: the Sentinels agree at the end on a master whose ROLE is master and,
 * when a kill was requested (--kill-after), that master is not the killed one.
 */
export function buildResult(input: ResultInput, extra: { pids: readonly number[]; dir: string | null }): DemoResult {
  const snapshot = input.snapshot;
  const a = snapshot ? agreement(snapshot) : { agreed: false, addr: undefined, views: {} };
  const oldMaster = input.watch?.fromAddr ?? input.initialMaster ?? null;
  const newMaster = a.addr ?? null;
  const newMasterRole = snapshot && newMaster ? (roleOf(snapshot, newMaster) ?? null) : null;
  const consistent = a.agreed && newMasterRole === 'master';
  const failover = consistent && oldMaster !== null && newMaster !== oldMaster;
  const failedReason = input.reason.kind === 'error' || input.reason.kind === 'signal';
  const ok = !failedReason && consistent && (!input.killRequested || (input.kill !== undefined && failover));
  const epochs: Record<string, number | null> = {};
  for (const s of snapshot?.sentinels ?? []) epochs[s.name] = s.currentEpoch ?? null;
  return {
    ok,
    reason: input.reason.kind === 'signal' ? `signal ${input.reason.signal}` : input.reason.kind,
    killRequested: input.killRequested,
    killed: input.kill
      ? { node: input.kill.node, addr: input.kill.addr, pid: input.kill.pid ?? null, sinceStartMs: input.kill.atMs - input.startedAtMs }
      : null,
    oldMaster,
    newMaster,
    newMasterNode: newMaster ? (input.names.get(newMaster) ?? null) : null,
    newMasterRole,
    newMasterWasReplica: newMaster !== null && input.initialReplicas.includes(newMaster),
    failover,
    failoverMs: input.watch?.doneAtMs !== undefined ? input.watch.doneAtMs - input.watch.atMs : null,
    agreed: a.agreed,
    views: a.views,
    currentEpochs: epochs,
    pids: extra.pids,
    dir: extra.dir,
    events: input.events.map((e) => ({ sinceStartMs: e.atMs - input.startedAtMs, source: e.source, channel: e.channel, message: e.message })),
  };
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/** 0 when ok; 128 + n after signal n, as a shell reports it; else 1. */
export function exitCodeOf(result: DemoResult, reason: StopReason): number {
  if (reason.kind === 'signal') return 128 + (SIGNAL_NUMBERS[reason.signal] ?? 0);
  return result.ok ? 0 : 1;
}
