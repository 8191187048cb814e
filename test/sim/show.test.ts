import { it } from 'vitest';
import { runSimulation, formatFailure } from './sim.js';
it('show', () => {
  const r = runSimulation(Number(process.env.S ?? 1));
  console.log(r.ok ? 'OK' : formatFailure(r, Number(process.env.L ?? 200)));
  if (process.env.ALL) console.log(r.log.join('\n'));
});
