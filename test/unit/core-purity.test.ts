import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findConfigWrites, findCoreMutatorImports, findStateWrites } from './core-state-writers.js';

// src/core must stay a pure function of state, events and time:
// no network, filesystem, timers, wall clock or ambient randomness.
const CORE_DIR = join(__dirname, '../../src/core');
const FORBIDDEN: ReadonlyArray<[string, RegExp]> = [
  ['node: imports', /from\s+['"]node:/],
  ['ioredis', /from\s+['"]ioredis['"]/],
  ['bare node modules', /from\s+['"](fs|net|child_process|crypto|timers|os)['"]/],
  ['Date.now', /Date\.now\s*\(/],
  ['new Date', /new\s+Date\s*\(/],
  ['Math.random', /Math\.random\s*\(/],
  ['timers', /\b(setTimeout|setInterval|setImmediate)\s*\(/],
  ['process', /\bprocess\./],
];

describe('core purity', () => {
  const files = readdirSync(CORE_DIR).filter((f) => f.endsWith('.ts'));
  it('has files to check', () => {
    expect(files.length).toBeGreaterThan(3);
  });
  it.each(files)('%s uses no I/O, clock or randomness', (file) => {
    const text = readFileSync(join(CORE_DIR, file), 'utf8');
    const hits = FORBIDDEN.filter(([, re]) => re.test(text)).map(([what]) => what);
    expect(hits).toEqual([]);
  });
});

// One writer (only step() changes Sentinel state): outside src/core, core state is only read;
// commands, timers and links change it through events into step(). src/config
// builds the parsed config (MasterConfig values before the core copies them).
const SRC_DIR = join(__dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return path === CORE_DIR || e.name === 'config' ? [] : sourceFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

describe('one writer of core state', () => {
  const files = sourceFiles(SRC_DIR);
  it('has files to check', () => {
    expect(files.some((f) => f.endsWith('runtime.ts'))).toBe(true);
  });
  it.each(files.map((f) => relative(SRC_DIR, f)))('%s does not write core state', (file) => {
    const text = readFileSync(join(SRC_DIR, file), 'utf8');
    const hits = [...findStateWrites(text), ...findConfigWrites(text)].map((w) => `${w.line}: ${w.text}`);
    expect(hits).toEqual([]);
    expect(findCoreMutatorImports(text)).toEqual([]);
  });
  it('finds the writes it is meant to find', () => {
    const sample = [
      'function f(rt: Runtime, master: MasterState, c: MasterConfig) {',
      '  rt.state.announcePort = 1;',
      '  const flags = rt.state.simulateFailure;',
      '  flags.crashAfterElection = true;',
      '  rt.state.addressing.resolved.set("a", "b");',
      '  master.replicas.clear();',
      '  c.renameCommands[key] = to;',
      '  for (const m of rt.state.masters.values()) m.sdown = false;',
      '  rt.config.loglevel = "debug";',
      '  const n = rt.state.masters.get(x)?.replicas.size;',
      '  if (master.sdown === true) return;',
      '}',
    ].join('\n');
    expect([...findStateWrites(sample), ...findConfigWrites(sample)].map((w) => w.line).sort((a, b) => a - b))
      .toEqual([2, 4, 5, 6, 7, 8, 9]);
    expect(findCoreMutatorImports("import { step, removeMaster as rm, type X } from '../core/step.js';")).toEqual(['removeMaster']);
  });
});
