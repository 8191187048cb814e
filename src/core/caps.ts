/**
 * Bounds on what discovery may add to one master. Redis Sentinel creates a
 * peer for every valid hello on the master's channel and a replica for
 * every line of the master's INFO, without limit: anyone who can PUBLISH
 * there (or a hostile master) can grow its memory, its links and its config
 * file without end. Here a master keeps at most `instanceCaps` other
 * Sentinels and replicas; what discovery finds beyond them is not stored
 * (so not written to the config), counted for the metrics and logged at
 * most once a minute per master and kind.
 */
import type { Effect } from './effects.js';
import type { MasterState, RefusedCount, SentinelState } from './state.js';

/** As InstanceKind (and the metrics' kind label) names them. */
export type CappedKind = 'sentinel' | 'slave';

const REFUSAL_LOG_EVERY_MS = 60_000;

const WORDING: Readonly<Record<CappedKind, { plural: string; directive: string }>> = {
  sentinel: { plural: 'other Sentinels', directive: 'max-sentinels-per-master' },
  slave: { plural: 'replicas', directive: 'max-replicas-per-master' },
};

/**
 * Whether `master` may gain one more instance of `kind` (`addr` names it in
 * the log line); when not, the refusal is counted and maybe logged.
 */
export function roomFor(
  state: SentinelState,
  master: MasterState,
  kind: CappedKind,
  addr: string,
  nowMs: number,
  effects: Effect[],
): boolean {
  const known = kind === 'sentinel' ? master.sentinels.size : master.replicas.size;
  const cap = kind === 'sentinel' ? state.instanceCaps.sentinels : state.instanceCaps.replicas;
  if (known < cap) return true;
  master.refused ??= { sentinel: { total: 0, sinceLog: 0 }, slave: { total: 0, sinceLog: 0 } };
  const count = master.refused[kind];
  count.total += 1;
  count.sinceLog += 1;
  if (count.loggedMs === undefined || nowMs - count.loggedMs >= REFUSAL_LOG_EVERY_MS) {
    effects.push({ type: 'log', level: 'warning', master: master.name, message: refusalLine(master, kind, known, addr, count) });
    count.loggedMs = nowMs;
    count.sinceLog = 0;
  }
  return false;
}

function refusalLine(master: MasterState, kind: CappedKind, known: number, addr: string, count: RefusedCount): string {
  const { plural, directive } = WORDING[kind];
  return `Master ${master.name} already has ${known} ${plural} (${directive}): ${addr} not added; ` +
    `${count.sinceLog} refused since the last such line, ${count.total} since start`;
}
