/**
 * The simulator's agenda: callbacks ordered by simulated time, ties broken
 * by insertion order so a run is deterministic (the core's TimeHeap).
 */
import { TimeHeap, type Timed } from '../../src/core/timeHeap.js';

interface Entry extends Timed {
  run: () => void;
}

export class EventQueue {
  private readonly heap = new TimeHeap<Entry>();
  private seq = 0;

  get size(): number {
    return this.heap.size;
  }

  push(atMs: number, run: () => void): void {
    this.heap.push({ atMs, seq: this.seq++, run });
  }

  peekTimeMs(): number | undefined {
    return this.heap.peek()?.atMs;
  }

  pop(): Entry | undefined {
    return this.heap.pop();
  }
}
