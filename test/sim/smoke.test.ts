import { it } from 'vitest';
import { runSimulation } from './sim.js';
it('bench', () => {
  const t0 = performance.now();
  let fails = 0, ev = 0, sim = 0;
  const n = Number(process.env.N ?? 50), from = Number(process.env.F ?? 1);
  const reasons = new Map<string, number[]>();
  for (let s = from; s < from + n; s++) {
    const r = runSimulation(s, { logLimit: 10 });
    ev += r.stats.events; sim += r.stats.simulatedMs;
    if (!r.ok) {
      fails++;
      const k = r.violations[0]!.replace(/^t=[\d.]+ /, '').replace(/\d+/g, 'N').slice(0, 90);
      reasons.set(k, [...(reasons.get(k) ?? []), s]);
    }
  }
  console.log({ fails, ev, sim, ms: performance.now() - t0 });
  for (const [k, v] of reasons) console.log(v.length, k, v.slice(0, 8).join(','));
});
