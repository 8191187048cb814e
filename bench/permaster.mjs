#!/usr/bin/env node
/**
 * What each monitored master costs tssentinel: one tssentinel monitoring N
 * fake masters (bench/fakeredis.mjs, one process, ports BASE..BASE+N-1), RSS
 * `settle` s after the start, idle CPU over its last settle-10 s, then
 * process.memoryUsage() before and after a forced full GC (bench/memhook.mjs).
 * Medians of `runs`; one JSON line per master count.
 *
 *   node bench/permaster.mjs <checkout> <masters,...> [settle_s=25] [runs=1] [node flags]
 *   BASE=20000 SPORT=19000 INFO_PAD=60 (≈5 KB INFO, a real one's size) ...
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
const [root, mastersArg, settleArg, runsArg, flagsArg] = process.argv.slice(2);
const masterList = mastersArg.split(',').map(Number); const settle = Number(settleArg ?? 25); const runs = Number(runsArg ?? 1);
const flags = (flagsArg ?? '--max-semi-space-size=1').split(' ').filter(Boolean);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const BASE = Number(process.env.BASE ?? 20000);
const fake = spawn(process.execPath, [fileURLToPath(new URL('fakeredis.mjs', import.meta.url)), String(BASE), String(Math.max(...masterList, 1))], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((r) => fake.stdout.once('data', r));
const med = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
const results = [];
try {
for (const n of masterList) {
  const rows = [];
  for (let r = 0; r < runs; r++) {
    const dir = mkdtempSync(join(tmpdir(), 'tss-permaster-'));
    const conf = join(dir, 's.conf'); const out = join(dir, 'mem.json');
    writeFileSync(conf, [`port ${Number(process.env.SPORT ?? 19000) + r}`, 'bind 127.0.0.1', ...Array.from({ length: n }, (_, i) => `sentinel monitor m${i} 127.0.0.1 ${BASE + i} 1`)].join('\n') + '\n');
    const p = spawn(process.execPath, [...flags, '--expose-gc', '--import', fileURLToPath(new URL('memhook.mjs', import.meta.url)), join(root, 'dist/cli.js'), conf], { stdio: 'ignore', env: { ...process.env, MPM_OUT: out } });
    const ticks = (pid) => { const t = readFileSync(`/proc/${pid}/stat`, 'utf8'); const f = t.slice(t.lastIndexOf(')') + 2).split(' '); return Number(f[11]) + Number(f[12]); };
    await sleep(10000); const c0 = ticks(p.pid); const t0 = Date.now();
    await sleep(settle * 1000 - 10000); const cpu = +((ticks(p.pid) - c0) / ((Date.now() - t0) / 1000)).toFixed(2);
    const r1 = rss(p.pid);
    p.kill('SIGUSR2');
    for (let i = 0; i < 50 && !existsSync(out); i++) await sleep(100);
    await sleep(200);
    const m = JSON.parse(readFileSync(out, 'utf8'));
    const r2 = rss(p.pid);
    p.kill('SIGKILL');
    const MB = (x) => +(x / 1048576).toFixed(1);
    rows.push({ cpu, rss: +r1.toFixed(1), rssAfterGc: +r2.toFixed(1), heapUsed: MB(m.before.heapUsed), heapUsedGc: MB(m.after.heapUsed), heapTotal: MB(m.before.heapTotal), external: MB(m.before.external), arrayBuffers: MB(m.before.arrayBuffers) });
    rmSync(dir, { recursive: true, force: true });
    await sleep(1000);
  }
  const row = { masters: n, runs: rows.length };
  for (const k of Object.keys(rows[0])) row[k] = med(rows.map((x) => x[k]));
  console.log(JSON.stringify(row), JSON.stringify(rows.map((x) => x.rss)));
  results.push(row);
}
} finally { fake.kill('SIGKILL'); }
