#!/usr/bin/env node
/**
 * Client failover time, tssentinel against redis-sentinel.
 *
 * Runs test/integration/clients.test.ts with CLIENTS_RUNS=N (each client:
 * N fresh topologies of a master, two replicas and three Sentinels, a write
 * every 20 ms through the client, kill -9 of the master) once with
 * tssentinel and once with TS_SENTINEL_BIN=real, and prints both tables of
 * medians. The test itself writes bench/results/clients-<date>-runsN.json
 * and bench/results/clients-real-<date>-runsN.json.
 *
 * Usage (after `npm run build`):
 *   node bench/clients.mjs [--runs 5] [--only ts|real]
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const runs = Math.max(1, Number(arg('runs', '5')) || 5);
const only = arg('only', undefined);
const sides = ['ts', 'real'].filter((s) => only === undefined || s === only);

let failed = false;
for (const side of sides) {
  const env = { ...process.env, CLIENTS_RUNS: String(runs) };
  if (side === 'real') env.TS_SENTINEL_BIN = 'real';
  else delete env.TS_SENTINEL_BIN;
  console.log(`\n### ${side === 'ts' ? 'tssentinel' : 'redis-sentinel'}: ${runs} run(s) per client\n`);
  const result = spawnSync(
    process.execPath,
    [path.join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'test/integration/clients.test.ts'],
    { cwd: REPO_ROOT, env, stdio: 'inherit', timeout: 30 * 60_000 },
  );
  if (result.status !== 0) {
    console.error(`${side}: vitest exited with ${result.status ?? result.signal}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
