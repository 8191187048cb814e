#!/usr/bin/env node
/**
 * tssentinel next to redis-sentinel at N monitored masters, in the same run:
 * one Sentinel of each kind on the same redis-servers, started together.
 * Reports RSS, idle CPU over a window, discovery time (until every master
 * lists the other Sentinels), and p50/p99 latency of SENTINEL MASTERS and
 * SENTINEL GET-MASTER-ADDR-BY-NAME (sequential requests on one raw socket).
 *
 *   node bench/scale.mjs [--masters 10,300,1000] [--servers-max 1000]
 *                        [--window 30] [--requests 200] [--json out.json]
 *                        [--ts before=/path/to/old/checkout,after=.]
 *
 * With several --ts builds every Sentinel sees the others (sentinels=K-1 per
 * master): the same load for all, one more peer each than a pair.
 *
 * Masters are redis-servers, one per master up to --servers-max. Beyond it
 * (5000 masters would take ~14 GB of redis-servers) several master names are
 * monitored on each server, at different addresses of the same server:
 * redis-server binds 127.0.0.1 and 127.0.0.2..., a Sentinel keys masters by
 * name. Pub/sub is per server, so each Sentinel then receives the hellos of
 * every name on its servers (k names per server: k times the hello traffic of
 * a real deployment); the report says how many names shared a server.
 * Loopback only; every process is stopped by its PID; every wait is bounded.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TICK_HZ, cpuTicks, freePort, killAllOnExit, killAllSync, sleep, startChild } from './lib/harness.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const MASTERS = (args.masters ?? '10,300,1000').split(',').map(Number);
const SERVERS_MAX = Number(args['servers-max'] ?? 1000);
const WINDOW_S = Number(args.window ?? 30);
const REQUESTS = Number(args.requests ?? 200);
const DISCOVERY_TIMEOUT_S = Number(args['discovery-timeout'] ?? 240);
// --ts label=root,label=root: several tssentinel builds in the same run (e.g. before/after a change).
const TS_BUILDS = (args.ts ?? `ts=${ROOT}`).split(',').map((x) => x.split('='));
const TS_FLAGS = (process.env.TS_NODE_FLAGS ?? '--max-semi-space-size=1').split(' ').filter(Boolean);

killAllOnExit(1);

const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

/** Minimal RESP client: one request at a time, resolves with the raw reply once complete. */
class RawClient {
  constructor(port) {
    this.buf = Buffer.alloc(0);
    this.waiter = undefined;
    this.sock = net.connect(port, '127.0.0.1');
    this.sock.setNoDelay(true);
    // Resumable scan (where the next element starts, elements left per open
    // array): a 600 KB reply in 64 KB chunks is scanned once, not once per chunk.
    this.pos = 0;
    this.stack = [];
    this.sock.on('data', (d) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      const end = this.scan();
      if (end >= 0 && this.waiter) {
        const reply = this.buf.subarray(0, end);
        this.buf = this.buf.subarray(end);
        const w = this.waiter; this.waiter = undefined; w(reply);
      }
    });
    this.ready = new Promise((res, rej) => { this.sock.once('connect', res); this.sock.once('error', rej); });
  }
  call(...argv) {
    const frame = `*${argv.length}\r\n${argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timeout: ${argv.join(' ')}`)), 60000);
      this.waiter = (r) => { clearTimeout(t); resolve(r); };
      this.sock.write(frame);
    });
  }
  close() { this.sock.destroy(); }
  /** Index just past the first complete RESP2 reply in buf, or -1 (resumes where the last call stopped). */
  scan() {
    const b = this.buf;
    for (;;) {
      const i = this.pos;
      const eol = b.indexOf('\r\n', i);
      if (eol < 0) return -1;
      const t = b[i];
      let next = eol + 2;
      if (t === 0x24) { // $
        const n = Number(b.toString('latin1', i + 1, eol));
        if (n >= 0) next = eol + 2 + n + 2;
        if (next > b.length) return -1;
      } else if (t === 0x2a) { // *
        const n = Number(b.toString('latin1', i + 1, eol));
        if (n > 0) { this.pos = next; this.stack.push(n); continue; }
      } else if (t !== 0x2b && t !== 0x2d && t !== 0x3a) {
        throw new Error(`unexpected RESP type ${String.fromCharCode(t)}`);
      }
      this.pos = next;
      while (this.stack.length > 0 && --this.stack[this.stack.length - 1] === 0) this.stack.pop();
      if (this.stack.length === 0) { this.pos = 0; return next; }
    }
  }
}

async function latency(port, argv, n) {
  const c = new RawClient(port);
  await c.ready;
  await c.call(...argv); // warm-up
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await c.call(...argv);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  c.close();
  ms.sort((a, b) => a - b);
  const q = (p) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))];
  return { p50: q(0.5), p99: q(0.99) };
}

async function infoSentinel(port) {
  const c = new RawClient(port);
  try {
    await c.ready;
    return (await c.call('INFO', 'sentinel')).toString();
  } finally { c.close(); }
}

/** Masters whose INFO sentinel line lists every other Sentinel (`sentinels=` counts itself). */
async function discovered(port, peers) {
  try {
    return ((await infoSentinel(port)).match(new RegExp(`sentinels=${peers + 1}\\b`, 'g')) ?? []).length;
  } catch { return 0; }
}

async function waitRedis(port) {
  for (let i = 0; i < 200; i++) {
    try {
      const c = new RawClient(port);
      await c.ready; await c.call('PING'); c.close(); return;
    } catch { await sleep(50); }
  }
  throw new Error(`redis on ${port} did not start`);
}

async function runSize(n) {
  const dir = mkdtempSync(join(tmpdir(), 'tss-scale-'));
  const serverCount = Math.min(n, SERVERS_MAX);
  const perServer = Math.ceil(n / serverCount);
  const servers = [];
  for (let i = 0; i < serverCount; i++) {
    const port = await freePort();
    const binds = Array.from({ length: perServer }, (_, k) => `127.0.0.${k + 1}`);
    startChild('redis-server', ['--port', String(port), '--bind', ...binds, '--save', '', '--appendonly', 'no',
      '--daemonize', 'no', '--loglevel', 'warning', '--protected-mode', 'no', '--hz', '1']);
    servers.push({ port, binds });
  }
  for (const s of servers) await waitRedis(s.port);
  const addrs = [];
  for (let i = 0; i < n; i++) {
    const s = servers[i % serverCount];
    addrs.push(`${s.binds[Math.floor(i / serverCount)]} ${s.port}`);
  }
  const mkconf = (name, port) => {
    const file = join(dir, `${name}.conf`);
    writeFileSync(file, [`port ${port}`, 'bind 127.0.0.1', `logfile "${join(dir, `${name}.log`)}"`,
      ...addrs.map((a, i) => `sentinel monitor m${i} ${a} 1`)].join('\n') + '\n');
    return file;
  };
  const impls = [{ name: 'redis-sentinel', cmd: 'redis-sentinel', argv: (conf) => [conf] },
    ...TS_BUILDS.map(([label, root]) => ({ name: label, cmd: process.execPath, argv: (conf) => [...TS_FLAGS, join(root, 'dist/cli.js'), conf] }))];
  for (const impl of impls) {
    impl.port = await freePort();
    impl.conf = mkconf(impl.name, impl.port);
  }
  const peers = impls.length - 1;
  const t0 = Date.now();
  for (const impl of impls) impl.proc = startChild(impl.cmd, impl.argv(impl.conf));
  while (impls.some((i) => i.discoveryS === undefined) && Date.now() - t0 < DISCOVERY_TIMEOUT_S * 1000) {
    await sleep(500);
    for (const impl of impls) {
      if (impl.discoveryS !== undefined) continue;
      impl.found = await discovered(impl.port, peers);
      if (impl.found === n) impl.discoveryS = (Date.now() - t0) / 1000;
    }
  }
  await sleep(5000); // first INFO rounds done everywhere
  if (args.hold) { // --hold S: keep everything up for S seconds (profiling by hand)
    console.error(`# holding ${args.hold} s: ${impls.map((i) => `${i.name} pid ${i.proc.pid} port ${i.port}`).join(', ')}`);
    await sleep(Number(args.hold) * 1000);
  }
  for (const impl of impls) impl.c1 = cpuTicks(impl.proc.pid);
  await sleep(WINDOW_S * 1000);
  for (const impl of impls) impl.c2 = cpuTicks(impl.proc.pid);
  const rows = impls.map((impl) => ({
    impl: impl.name,
    masters: n,
    namesPerServer: perServer,
    rssMiB: rss(impl.proc.pid) / 1048576,
    cpuPct: (impl.c2 - impl.c1) / TICK_HZ / WINDOW_S * 100,
    discoveryS: impl.discoveryS,
    /** Masters listing every other Sentinel when discovery timed out. */
    foundAtTimeout: impl.discoveryS === undefined ? impl.found : undefined,
    port: impl.port,
  }));
  // Latency after the idle window, so that it does not disturb the CPU figure.
  for (const r of rows) {
    console.error(`# ${r.impl} ${n} masters: RSS ${r.rssMiB.toFixed(1)} MiB, CPU ${r.cpuPct.toFixed(2)} %, discovery ${r.discoveryS ?? `timeout (${r.foundAtTimeout}/${n} found)`} s`);
  }
  // A reply slower than the client's timeout (60 s) is reported as n/a, not fatal.
  for (const r of rows) {
    r.masters_ = await latency(r.port, ['SENTINEL', 'MASTERS'], REQUESTS).catch(() => ({}));
    r.addr_ = await latency(r.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', `m${n - 1}`], REQUESTS).catch(() => ({}));
  }
  killAllSync();
  await sleep(500);
  rmSync(dir, { recursive: true, force: true });
  return rows;
}

const all = [];
console.log('| impl | masters | names/server | RSS MiB | idle CPU % | discovery s | MASTERS p50/p99 ms | GET-MASTER-ADDR p50/p99 ms |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const n of MASTERS) {
  const rows = await runSize(n);
  for (const r of rows) {
    all.push(r);
    const f = (x, d = 2) => (x === undefined ? 'n/a' : x.toFixed(d));
    console.log(`| ${r.impl} | ${r.masters} | ${r.namesPerServer} | ${f(r.rssMiB, 1)} | ${f(r.cpuPct)} | ${r.discoveryS === undefined ? `>${DISCOVERY_TIMEOUT_S} (${r.foundAtTimeout}/${n})` : f(r.discoveryS, 1)} | ${f(r.masters_.p50)} / ${f(r.masters_.p99)} | ${f(r.addr_.p50, 3)} / ${f(r.addr_.p99, 3)} |`);
  }
}
if (args.json) writeFileSync(args.json, JSON.stringify(all, null, 2));
process.exit(0);
