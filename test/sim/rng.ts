/**
 * Seeded randomness for the simulator. Everything random in a run (delays,
 * loss, the scenario, the cores' own jitter) comes from here, so a seed
 * replays a run byte for byte. Never Math.random.
 */
import { seededRandom } from '../../src/core/sentinel.js';

export class Rng {
  private readonly next: () => number;

  constructor(seed: number) {
    // Spread small consecutive seeds apart before feeding mulberry32.
    this.next = seededRandom(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ (seed >>> 13));
  }

  /** [0, 1). */
  float(): number {
    return this.next();
  }

  /** Integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** A fresh, independent stream (for a sub-system), derived from this one. */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 0xffffffff));
  }

  /** 40 lowercase hex characters, like a Redis run id. */
  hexId(): string {
    let s = '';
    while (s.length < 40) s += Math.floor(this.next() * 0x100000000).toString(16).padStart(8, '0');
    return s.slice(0, 40);
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}
