/**
 * Gives memory back after a burst. Buffers live outside the V8 heap, but they
 * are freed only when the garbage collector finds their JS objects dead, and
 * an idle process runs no collection: after one client sent 400 MB of
 * arguments, RSS stayed at its peak indefinitely. Once a command that held
 * that much is done, a full collection is requested (at most one a second,
 * off the command's turn) so glibc can return those mappings at once.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/** Commands whose arguments held at least this much trigger a collection. */
export const GC_HINT_BYTES = 64 * 1024 * 1024;
const GC_MIN_INTERVAL_MS = 1000;

let gcFn: (() => void) | undefined | null = null;
let lastGcAtMs = 0;
let pending = false;

function gcFunction(): (() => void) | undefined {
  if (gcFn !== null) return gcFn;
  try {
    // Node cannot pass --expose-gc through the dist/cli.js shebang for every launcher; set it here once.
    v8.setFlagsFromString('--expose-gc');
    gcFn = vm.runInNewContext('gc') as () => void;
  } catch {
    gcFn = undefined;
  }
  return gcFn;
}

/** Asks for a full collection soon (debounced); a no-op where gc cannot be exposed. */
export function collectGarbageSoon(): void {
  if (pending) return;
  pending = true;
  const delayMs = Math.max(0, lastGcAtMs + GC_MIN_INTERVAL_MS - Date.now());
  setTimeout(() => {
    pending = false;
    lastGcAtMs = Date.now();
    gcFunction()?.();
  }, delayMs).unref();
}
