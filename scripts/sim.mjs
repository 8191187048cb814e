#!/usr/bin/env node
/**
 * Runs the deterministic simulator (test/sim) over many seeds, outside vitest.
 *
 *   node scripts/sim.mjs --seeds 10000 --from 1 --jobs 2
 *   node scripts/sim.mjs --seed 1234              replay one seed, print its whole log
 *
 * Options: --seeds N (default 1000), --from S (default 1), --jobs J (default:
 * CPU count), --seed S (one seed, full log), --lines L (log lines shown per
 * failure, default 200), --max-failures K (failures printed in full, default 5).
 *
 * How: tsc compiles test/sim/sim.ts and what it imports from src/ into
 * node_modules/.cache/tssentinel-sim (type errors are reported, not fatal),
 * then worker threads run the seeds. Exit code 1 when any seed fails.
 * The same seeds can run in vitest: SIM_SEEDS=10000 SIM_FROM=1 npx vitest run test/sim
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

if (isMainThread) await main();
else await work();

function parseArgs(argv) {
  const out = { seeds: 1000, from: 1, jobs: cpus().length, lines: 200, maxFailures: 5, seed: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    switch (a) {
      case '--seeds': out.seeds = Number(v); i++; break;
      case '--from': out.from = Number(v); i++; break;
      case '--jobs': out.jobs = Math.max(1, Number(v)); i++; break;
      case '--seed': out.seed = Number(v); i++; break;
      case '--lines': out.lines = Number(v); i++; break;
      case '--max-failures': out.maxFailures = Number(v); i++; break;
      case '-h': case '--help':
        console.log('usage: node scripts/sim.mjs [--seeds N] [--from S] [--jobs J] [--seed S] [--lines L]');
        process.exit(0);
        break;
      default:
        console.error(`unknown option ${a}`);
        process.exit(2);
    }
  }
  return out;
}

function compile() {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const outDir = join(root, 'node_modules', '.cache', 'tssentinel-sim');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'package.json'), '{"type":"module"}\n');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [
    tsc, '--outDir', outDir, '--rootDir', root, '--module', 'NodeNext', '--moduleResolution', 'NodeNext',
    '--target', 'ES2022', '--strict', '--skipLibCheck', '--types', 'node', '--noEmitOnError', 'false',
    '--sourceMap', 'false', '--declaration', 'false', join(root, 'test', 'sim', 'sim.ts'),
  ], { encoding: 'utf8', cwd: root });
  const module = join(outDir, 'test', 'sim', 'sim.js');
  if (r.status !== 0) console.error(`tsc reported type errors (running anyway):\n${(r.stdout ?? '').slice(0, 2000)}`);
  if (!existsSync(module)) throw new Error(`tsc produced no ${module}`);
  return pathToFileURL(module).href;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const moduleUrl = compile();
  if (opts.seed !== undefined) {
    const { runSimulation, formatFailure } = await import(moduleUrl);
    const r = runSimulation(opts.seed);
    console.log(r.log.join('\n'));
    if (!r.ok) console.log(`\n${formatFailure(r, 0)}`);
    console.log(`\nseed ${r.seed}: ${r.ok ? 'ok' : 'FAILED'}, converged after ${r.convergedAfterMs ?? '-'} ms, ${JSON.stringify(r.stats)}`);
    process.exit(r.ok ? 0 : 1);
  }
  const started = Date.now();
  const jobs = Math.min(opts.jobs, opts.seeds);
  const failures = [];
  let done = 0;
  let events = 0;
  await Promise.all(Array.from({ length: jobs }, (_, j) => new Promise((resolveJob, rejectJob) => {
    const seeds = [];
    for (let s = opts.from + j; s < opts.from + opts.seeds; s += jobs) seeds.push(s);
    const w = new Worker(fileURLToPath(import.meta.url), {
      workerData: { moduleUrl, seeds, lines: opts.lines },
    });
    w.on('message', (m) => {
      done += 1;
      events += m.events;
      if (!m.ok) {
        failures.push(m);
        console.log(`FAIL seed ${m.seed}: ${m.violations[0]}`);
      }
      if (done % 500 === 0) console.log(`... ${done}/${opts.seeds} seeds, ${failures.length} failed, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });
    w.on('error', rejectJob);
    w.on('exit', () => resolveJob());
  })));
  failures.sort((a, b) => a.seed - b.seed);
  for (const f of failures.slice(0, opts.maxFailures)) console.log(`\n${f.text}`);
  const secs = (Date.now() - started) / 1000;
  console.log(`\n${opts.seeds} seeds (${opts.from}..${opts.from + opts.seeds - 1}) in ${secs.toFixed(1)} s, ` +
    `${events} events, ${failures.length} failed${failures.length ? `: ${failures.map((f) => f.seed).join(' ')}` : ''}`);
  process.exit(failures.length ? 1 : 0);
}

async function work() {
  const { moduleUrl, seeds, lines } = workerData;
  const { runSimulation, formatFailure } = await import(moduleUrl);
  for (const seed of seeds) {
    const r = runSimulation(seed, { logLimit: lines });
    parentPort.postMessage({
      seed, ok: r.ok, violations: r.violations, events: r.stats.events,
      text: r.ok ? '' : formatFailure(r, lines),
    });
  }
}
