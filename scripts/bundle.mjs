#!/usr/bin/env node
/**
 * dist/tssentinel.cjs: the whole Sentinel in one CommonJS file, built from
 * tsc's dist/cli.js by esbuild. One file instead of ~90 ES modules spares
 * Node's ESM loader and the per-module bookkeeping (see bench/README.md,
 * "Start-up memory"). What is loaded lazily stays lazy: modules reached by
 * `import()` (metrics, demo, TLS) are inlined but initialised only when
 * called, and pino / prom-client / ioredis stay outside, required from
 * node_modules only on the paths that use them.
 */
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outfile = `${root}dist/tssentinel.cjs`;
await build({
  entryPoints: [`${root}dist/cli.js`],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['pino', 'prom-client', 'ioredis'],
  // import.meta does not exist in CommonJS: the modules that locate files
  // (packageInfo.ts, createRequire callers) get the bundle's own URL.
  define: { 'import.meta.url': '__tssentinelBundleUrl' },
  banner: { js: "'use strict';\nconst __tssentinelBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
