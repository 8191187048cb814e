/**
 * The CI seed sweep, shared by the test files that split it (vitest runs
 * files in parallel, one per core). SIM_SEEDS (total, default 500) and
 * SIM_FROM (first seed, default 1) widen it.
 */
import { expect } from 'vitest';
import { formatFailure, runSimulation, type SimResult } from './sim.js';

export const CI_SEEDS = Number(process.env.SIM_SEEDS ?? 500);
export const CI_FROM = Number(process.env.SIM_FROM ?? 1);
export const ONE_SEED = process.env.SIM_SEED === undefined ? undefined : Number(process.env.SIM_SEED);

/** Part `part` of `parts` of the sweep: [from, from + count). */
export function seedRange(part: number, parts: number): { from: number; count: number } {
  const size = Math.ceil(CI_SEEDS / parts);
  const from = CI_FROM + part * size;
  return { from, count: Math.max(0, Math.min(size, CI_FROM + CI_SEEDS - from)) };
}

/** Runs the seeds, prints the first failures in full, fails with one line per failing seed. */
export function expectSeedsPass(from: number, count: number): void {
  const failures: SimResult[] = [];
  for (let seed = from; seed < from + count; seed++) {
    const r = runSimulation(seed, { logLimit: 200 });
    if (!r.ok) failures.push(r);
  }
  for (const f of failures.slice(0, 3)) console.error(formatFailure(f));
  expect(failures.map((f) => `seed ${f.seed}: ${f.violations[0]}`)).toEqual([]);
}
