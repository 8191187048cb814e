/**
 * When each master's group (the master, its replicas, its peer Sentinels) is
 * next looked at by the timer: a min-heap of due times, so that a tick costs
 * what is due, not what is monitored. An idle group is visited once per
 * beat (its ping period) or earlier when a deadline of its own comes (a
 * late reply, a silent pub/sub connection); a group with anything going on
 * (SDOWN, ODOWN, a failover, a link down) is visited every tick, as all were
 * before; events that can make work due sooner mark their master due now.
 *
 * Entries are never removed in place: a master marked due earlier gets a
 * new entry, and an entry whose time no longer matches its master's
 * `nextVisitMs` (or whose master was removed) is dropped when it comes up.
 */
import type { MasterState, SentinelState } from './state.js';
import { TimeHeap } from './timeHeap.js';

export interface VisitQueue {
  heap: TimeHeap<VisitEntry>;
  /** Tie-break of equal due times: the order in which they were scheduled. */
  seq: number;
  /** The next tick visits every master (start, TILT, a link or setting change). */
  all: boolean;
  /** Group visits so far (what the timer's work grows with). */
  visited: number;
}

interface VisitEntry {
  /** When the master is due. */
  atMs: number;
  seq: number;
  master: MasterState;
}

export function newVisitQueue(): VisitQueue {
  return { heap: new TimeHeap(), seq: 0, all: true, visited: 0 };
}

/** The master's group is visited at `dueMs` at the latest (the first tick at or after it). */
export function visitBy(state: SentinelState, master: MasterState, dueMs: number): void {
  if (master.nextVisitMs <= dueMs && master.nextVisitMs !== NOT_SCHEDULED) return;
  master.nextVisitMs = dueMs;
  state.visits.heap.push({ atMs: dueMs, seq: state.visits.seq++, master });
}

/** Visit this master's group at the next tick. */
export function visitSoon(state: SentinelState, masterName: string, nowMs: number): void {
  const master = state.masters.get(masterName);
  if (master) visitBy(state, master, nowMs);
}

export function visitAllSoon(state: SentinelState): void {
  state.visits.all = true;
}

export const NOT_SCHEDULED = -1;

/**
 * The masters due at `nowMs`, each once, in due order; `'all'` when every
 * master is to be visited (the queue is then emptied: each visit schedules
 * its master again).
 */
export function takeDue(state: SentinelState, nowMs: number): MasterState[] | 'all' {
  const q = state.visits;
  if (q.all) {
    q.all = false;
    q.heap.clear();
    for (const m of state.masters.values()) m.nextVisitMs = NOT_SCHEDULED;
    q.visited += state.masters.size;
    return 'all';
  }
  const due: MasterState[] = [];
  while ((q.heap.peek()?.atMs ?? Infinity) <= nowMs) {
    const e = q.heap.pop()!;
    if (e.master.nextVisitMs !== e.atMs || state.masters.get(e.master.name) !== e.master) continue;
    e.master.nextVisitMs = NOT_SCHEDULED;
    due.push(e.master);
  }
  q.visited += due.length;
  return due;
}
