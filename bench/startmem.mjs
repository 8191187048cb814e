#!/usr/bin/env node
/**
 * Start-up memory of one Sentinel process: VmRSS, RssAnon and RssFile from
 * /proc/<pid>/status, `--settle` seconds after the start, at each master
 * count, median of `--runs` runs. Masters are redis-servers on free loopback
 * ports below 32768 (one per master), shared by every run.
 *
 *   node bench/startmem.mjs [--masters 0,10] [--runs 3] [--settle 10]
 *        [--cmd 'label=node --max-semi-space-size=1 dist/cli.js' ...]
 *        [--real]   (also measure redis-sentinel)
 *   node bench/startmem.mjs --cpu 300 [--window 60] [--settle 30] --cmd ... --cmd ...
 *        (every command at once on the same 300 masters: idle CPU over the
 *        window and RSS at its end, so that flags are compared under the same load)
 *
 * Every --cmd is a command line that gets the config path appended. Loopback
 * only; every process is stopped by its PID; every wait is bounded.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TICK_HZ, cpuTicks, freePort, killAllOnExit, killAllSync, sleep, startChild } from './lib/harness.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const CPU_MASTERS = opt('cpu', undefined);
const WINDOW_S = Number(opt('window', '60'));
const MASTERS = CPU_MASTERS !== undefined ? [Number(CPU_MASTERS)] : opt('masters', '0,10').split(',').map(Number);
const RUNS = Number(opt('runs', '3'));
const SETTLE_S = Number(opt('settle', '10'));
const CMDS = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] !== '--cmd') continue;
  const spec = argv[i + 1];
  const eq = spec.indexOf('=');
  CMDS.push([spec.slice(0, eq), spec.slice(eq + 1).split(' ').filter(Boolean)]);
}
if (CMDS.length === 0) CMDS.push(['cli.js', ['node', '--max-semi-space-size=1', join(ROOT, 'dist/cli.js')]]);
if (argv.includes('--real')) CMDS.push(['redis-sentinel', ['redis-sentinel']]);

killAllOnExit(1);

async function waitPort(port, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise((res) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); res(true); });
      s.once('error', () => res(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`port ${port} not up`);
}

function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}

function writeConf(label, n, r, port) {
  const conf = join(dir, `s-${label.replace(/\W/g, '_')}-${n}-${r}.conf`);
  const lines = [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`];
  redisPorts.slice(0, n).forEach((p, i) => {
    lines.push(`sentinel monitor m${i} 127.0.0.1 ${p} 2`, `sentinel down-after-milliseconds m${i} 5000`);
  });
  writeFileSync(conf, `${lines.join('\n')}\n`);
  return conf;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (kb) => (kb / 1024).toFixed(1);

const dir = mkdtempSync(join(tmpdir(), 'startmem-'));
const maxMasters = Math.max(...MASTERS);
const redisPorts = [];
for (let i = 0; i < maxMasters; i++) {
  const port = await freePort();
  startChild('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--hz', '1']);
  redisPorts.push(port);
}
for (const port of redisPorts) await waitPort(port, 10_000);

if (CPU_MASTERS !== undefined) {
  const n = Number(CPU_MASTERS);
  const procs = [];
  for (const [label, cmd] of CMDS) {
    const port = await freePort();
    const child = startChild(cmd[0], [...cmd.slice(1), writeConf(label, n, 0, port)]);
    procs.push({ label, child, port });
  }
  for (const p of procs) await waitPort(p.port, 30_000);
  await sleep(SETTLE_S * 1000);
  for (const p of procs) p.c1 = cpuTicks(p.child.pid);
  await sleep(WINDOW_S * 1000);
  console.log(`| command | masters | idle CPU % over ${WINDOW_S} s | VmRSS MiB | RssAnon MiB | RssFile MiB |`);
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const p of procs) {
    const cpu = (cpuTicks(p.child.pid) - p.c1) / TICK_HZ / WINDOW_S * 100;
    const m = memory(p.child.pid);
    console.log(`| ${p.label} | ${n} | ${cpu.toFixed(2)} | ${mb(m.rss)} | ${mb(m.anon)} | ${mb(m.file)} |`);
  }
  killAllSync();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

console.log('| command | masters | VmRSS MiB | RssAnon MiB | RssFile MiB | runs (VmRSS) |');
console.log('|---|---:|---:|---:|---:|---|');
for (const n of MASTERS) {
  for (const [label, cmd] of CMDS) {
    const samples = [];
    for (let r = 0; r < RUNS; r++) {
      const port = await freePort();
      const conf = writeConf(label, n, r, port);
      const child = startChild(cmd[0], [...cmd.slice(1), conf]);
      await waitPort(port, 15_000);
      await sleep(SETTLE_S * 1000);
      samples.push(memory(child.pid));
      child.kill('SIGKILL');
      await new Promise((res) => (child.exitCode !== null ? res() : child.once('exit', res)));
    }
    const pick = (k) => median(samples.map((s) => s[k]));
    console.log(`| ${label} | ${n} | ${mb(pick('rss'))} | ${mb(pick('anon'))} | ${mb(pick('file'))} | ${samples.map((s) => mb(s.rss)).join(', ')} |`);
  }
}
killAllSync();
rmSync(dir, { recursive: true, force: true });
