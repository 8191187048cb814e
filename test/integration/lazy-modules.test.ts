/**
 * Memory: a Sentinel without tls-* directives must not load node:tls (~3.7 MB
 * of RSS), in the bundle users run as in dist/cli.js. Checked from inside the
 * process: a --require'd probe writes Node's list of loaded built-in modules.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTsSentinel, stopAll, tempDir } from '../support/procs.js';
import { sleep } from '../support/wait.js';

const PROBE = `
const fs = require('node:fs');
setTimeout(() => fs.writeFileSync(process.env.TSS_PROBE_OUT, process.moduleLoadList.join('\\n')), 1000).unref();
`;

async function loadedModules(): Promise<string[]> {
  const dir = tempDir('lazy');
  const probe = path.join(dir, 'probe.cjs');
  const out = path.join(dir, 'modules.txt');
  fs.writeFileSync(probe, PROBE);
  await startTsSentinel('sentinel monitor m 127.0.0.1 1 2\n', {
    env: { ...process.env, NODE_OPTIONS: `--require ${probe}`, TSS_PROBE_OUT: out },
  });
  for (let i = 0; i < 100 && !fs.existsSync(out); i++) await sleep(100);
  return fs.readFileSync(out, 'utf8').split('\n');
}

describe('modules loaded at start', () => {
  afterAll(stopAll);

  it('no node:tls without tls-port / tls-replication', async () => {
    const modules = await loadedModules();
    expect(modules).toContain('NativeModule net');
    expect(modules).not.toContain('NativeModule tls');
    expect(modules).not.toContain('NativeModule _tls_wrap');
  });
});
