/**
 * Preloaded (`node --expose-gc --import bench/memhook.mjs`) by bench/permaster.mjs:
 * on SIGUSR2 writes process.memoryUsage() before and after two full
 * collections to $MPM_OUT; with $MPM_SNAP set, also a heap snapshot there.
 */
import { writeFileSync } from 'node:fs';
process.on('SIGUSR2', () => {
  const before = process.memoryUsage();
  globalThis.gc?.(); globalThis.gc?.();
  const after = process.memoryUsage();
  writeFileSync(process.env.MPM_OUT, JSON.stringify({ before, after }));
});
import v8 from 'node:v8';
if (process.env.MPM_SNAP) process.on('SIGUSR2', () => { v8.writeHeapSnapshot(process.env.MPM_SNAP); writeFileSync(process.env.MPM_SNAP + '.done', ''); });
