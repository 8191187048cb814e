/**
 * V8 heap sizing for a long-running, steadily allocating process, set before
 * anything else is loaded (cli.ts imports this module first).
 *
 * A Sentinel's live heap is small (~10 MB at 1000 masters), but every reply
 * in flight across a young-generation collection is promoted, so old space
 * fills with garbage at a steady rate; with V8's default growing factor the
 * next full collection waits until old space has roughly doubled, and RSS at
 * 1000 masters sat 40-50 MB above what was live (bench/README.md, "Memory per
 * master"). A growing factor of 1.2 collects sooner at a small CPU cost.
 * Set here rather than on the command line so that every launcher
 * (`node dist/cli.js`, the bin, run.sh, systemd, Docker) gets it; a flag
 * given on the command line or in NODE_OPTIONS wins.
 */
import v8 from 'node:v8';

const FLAG = '--heap-growing-percent';

const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
if (!given.some((a) => a.startsWith(FLAG) || a.startsWith('--heap_growing_percent'))) {
  v8.setFlagsFromString(`${FLAG}=20`);
}
