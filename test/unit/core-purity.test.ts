import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// src/core must stay a pure function of state, events and time (DESIGN.md):
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
