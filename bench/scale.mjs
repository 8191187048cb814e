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
 *                        [--discovery-timeout S] [--batch 50] [--nofile N]
 *                        [--redis-sentinels K] [--ts none] [--latency-budget 180]
 *                        [--ts before=/path/to/old/checkout,after=.] [--floor]
 *
 * --floor: also runs bench/floor.mjs (impl `node-io-floor`, same config, same
 * node flags as tssentinel): a Node process doing only a Sentinel's network
 * I/O. It is not a peer (publishes on __floor__:hello), so it does not count
 * in the others' sentinels=; no discovery or latency for it (null / —).
 *
 * 5000 masters, one redis-server each (~14 GB of redis-servers):
 *   node bench/scale.mjs --masters 5000 --servers-max 5000 --window 60
 *
 * redis-servers start in parallel batches (--batch, default 50), each batch
 * waited for (PING answered by that PID) before the next. Refuses to start
 * when MemAvailable < servers x 3 MiB + 4 GiB. Sentinels are spawned through
 * `prlimit --nofile` when they need more descriptors than this process has
 * (~2 per master plus peers). Discovery timeout: max(240, masters/4) s unless
 * given; progress every 30 s on stderr, each Sentinel's discovery printed when
 * it completes, and --json rewritten with what is known at each stage (so a
 * run stopped half-way leaves partial results).
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
import { TICK_HZ, children, cpuTicks, dirs, freePort, killAllOnExit, killAllSync, sleep, startChild } from './lib/harness.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// --floor takes no value.
const FLOOR = process.argv.includes('--floor');
const args = Object.fromEntries(process.argv.slice(2).filter((a) => a !== '--floor').reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const MASTERS = (args.masters ?? '10,300,1000').split(',').map(Number);
const SERVERS_MAX = Number(args['servers-max'] ?? 1000);
const WINDOW_S = Number(args.window ?? 30);
const REQUESTS = Number(args.requests ?? 200);
// --latency-budget S: at most S seconds per latency series (a slow Sentinel reports fewer requests, see n).
const LATENCY_BUDGET_S = Number(args['latency-budget'] ?? 180);
const discoveryTimeoutS = (n) => Number(args['discovery-timeout'] ?? Math.max(240, n / 4));
const BATCH = Number(args.batch ?? 50);
const PROGRESS_MS = 30_000;
// --ts label=root,label=root: several tssentinel builds in the same run (e.g. before/after a change).
// --ts none: redis-sentinels only (with --redis-sentinels 2, a redis-sentinel baseline that does not depend on tssentinel's hellos).
const TS_BUILDS = args.ts === 'none' ? [] : (args.ts ?? `ts=${ROOT}`).split(',').map((x) => x.split('='));
const REDIS_SENTINELS = Number(args['redis-sentinels'] ?? 1);
const TS_FLAGS = (process.env.TS_NODE_FLAGS ?? '--max-semi-space-size=1').split(' ').filter(Boolean);

killAllOnExit(1);

/** utime and stime of pid in clock ticks (/proc/PID/stat fields 14 and 15). */
function cpuSplit(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]), sys: Number(f[12]) };
}

/** VmRSS, RssAnon, RssFile of pid in MiB (/proc/PID/status). RssFile is mostly the executable's own pages. */
function memMiB(pid) {
  const st = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(st)?.[1] ?? NaN) / 1024;
  return { rssMiB: kb('VmRSS'), rssAnonMiB: kb('RssAnon'), rssFileMiB: kb('RssFile') };
}
const meminfoKiB = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
const nofileOf = (pid) => {
  const m = /Max open files\s+(\S+)\s+(\S+)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  return m ? `${m[1]}/${m[2]}` : '?';
};
const log = (msg) => console.error(`# [${new Date().toISOString().slice(11, 19)}] ${msg}`);
let jsonRows = [];
/** Rewrites --json with the finished rows plus the current size's partial rows. */
function writeJson(partial = []) {
  if (args.json) writeFileSync(args.json, JSON.stringify([...jsonRows, ...partial], null, 2));
}

/** Minimal RESP client: one request at a time, resolves with the raw reply once complete. */
class RawClient {
  constructor(port) {
    this.buf = Buffer.alloc(0);
    this.waiter = undefined;
    this.sock = net.connect(port, '127.0.0.1');
    this.sock.setNoDelay(true);
    this.sock.on('error', () => {}); // surfaces as ready's rejection or the call's timeout
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

/** p50/p99 over n sequential requests, or over those done when LATENCY_BUDGET_S runs out (n: how many). */
async function latency(port, argv, n) {
  const c = new RawClient(port);
  await c.ready;
  await c.call(...argv); // warm-up
  const ms = [];
  const until = Date.now() + LATENCY_BUDGET_S * 1000;
  for (let i = 0; i < n && Date.now() < until; i++) {
    const t0 = process.hrtime.bigint();
    await c.call(...argv);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  c.close();
  ms.sort((a, b) => a - b);
  const q = (p) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))];
  return { p50: q(0.5), p99: q(0.99), n: ms.length };
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

/** PING round trip in ms on a fresh connection (connect not counted), or undefined on error. */
async function pingMs(port) {
  const c = new RawClient(port);
  try {
    await c.ready;
    const t0 = process.hrtime.bigint();
    await c.call('PING');
    return Number(process.hrtime.bigint() - t0) / 1e6;
  } catch { return undefined; } finally { c.close(); }
}

/**
 * Starts one redis-server on a free port and waits until that PID answers
 * PING there; another port when it exits first (port taken meanwhile) or
 * another process answers. Up to 5 tries.
 */
async function startServer(binds) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = startChild('redis-server', ['--port', String(port), '--bind', ...binds, '--save', '', '--appendonly', 'no',
      '--daemonize', 'no', '--loglevel', 'warning', '--protected-mode', 'no', '--hz', '1']);
    let exited = false;
    child.once('exit', () => { exited = true; });
    for (let i = 0; i < 300 && !exited; i++) { // 30 s
      const c = new RawClient(port);
      c.sock.on('error', () => {});
      try {
        await c.ready;
        const pid = /process_id:(\d+)/.exec((await c.call('INFO', 'server')).toString())?.[1];
        c.close();
        if (Number(pid) === child.pid) return { port, binds, pid: child.pid };
        break; // someone else's server on this port
      } catch { c.close(); await sleep(100); }
    }
    try { child.kill('SIGKILL'); } catch { /* gone */ }
  }
  throw new Error('redis-server did not start after 5 ports');
}

async function runSize(n) {
  const serverCount = Math.min(n, SERVERS_MAX);
  const perServer = Math.ceil(n / serverCount);
  // An idle redis-server --hz 1 has RssAnon ~2.7 MiB; keep 4 GiB for the Sentinels and the rest.
  const needKiB = serverCount * 3 * 1024 + 4 * 1024 * 1024;
  const availKiB = meminfoKiB('MemAvailable');
  if (availKiB < needKiB) {
    throw new Error(`${serverCount} redis-servers need MemAvailable > ${serverCount} x 3 MiB + 4 GiB = ${(needKiB / 1048576).toFixed(1)} GiB; ` +
      `only ${(availKiB / 1048576).toFixed(1)} GiB available. Lower --servers-max (several names per server) or --masters.`);
  }
  const timeoutS = discoveryTimeoutS(n);
  const dir = mkdtempSync(join(tmpdir(), 'tss-scale-'));
  dirs.add(dir);
  log(`${n} masters: starting ${serverCount} redis-servers (${perServer} name(s) each), ${BATCH} at a time; MemAvailable ${(availKiB / 1048576).toFixed(1)} GiB`);
  const tServers = Date.now();
  const servers = [];
  const binds = Array.from({ length: perServer }, (_, k) => `127.0.0.${k + 1}`);
  for (let i = 0; i < serverCount; i += BATCH) {
    servers.push(...await Promise.all(Array.from({ length: Math.min(BATCH, serverCount - i) }, () => startServer(binds))));
    if (i > 0 && (i / BATCH) % 20 === 0) log(`  ${servers.length}/${serverCount} redis-servers up (${((Date.now() - tServers) / 1000).toFixed(1)} s)`);
  }
  const serversStartS = (Date.now() - tServers) / 1000;
  if (new Set(servers.map((s) => s.port)).size !== serverCount) throw new Error('duplicate redis-server ports');
  const serversAnonMiB = servers.reduce((a, s) => a + (memMiB(s.pid).rssAnonMiB || 0), 0);
  log(`${serverCount} redis-servers up in ${serversStartS.toFixed(1)} s, distinct ports, RssAnon total ${(serversAnonMiB / 1024).toFixed(2)} GiB; MemAvailable now ${(meminfoKiB('MemAvailable') / 1048576).toFixed(1)} GiB`);
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
  const impls = [...Array.from({ length: REDIS_SENTINELS }, (_, k) => ({ name: k ? `redis-sentinel-${k + 1}` : 'redis-sentinel', cmd: 'redis-sentinel', argv: (conf) => [conf] })),
    ...TS_BUILDS.map(([label, root]) => ({ name: label, cmd: process.execPath, argv: (conf) => [...TS_FLAGS, join(root, 'dist/cli.js'), conf] })),
    ...(FLOOR ? [{ name: 'node-io-floor', floor: true, cmd: process.execPath, argv: (conf) => [...TS_FLAGS, join(ROOT, 'bench/floor.mjs'), conf] }] : [])];
  // The floor is no peer: it neither publishes on __sentinel__:hello nor is discovered; no discovery or latency for it.
  const sentinels = impls.filter((impl) => !impl.floor);
  for (const impl of impls) {
    impl.port = await freePort();
    impl.conf = mkconf(impl.name, impl.port);
  }
  const peers = sentinels.length - 1;
  // Descriptors: ~2 links per master, one per peer, clients; through prlimit when ours are not enough.
  // --nofile N: always through prlimit with N.
  const nofileNeed = 3 * n + 64 * (peers + 1) + 1024;
  // Without CAP_SYS_RESOURCE (containers, even as root) the hard limit cannot be raised.
  const [ownSoft, ownHard] = nofileOf(process.pid).split('/').map((x) => (x === 'unlimited' ? Infinity : Number(x) || 0));
  const viaPrlimit = args.nofile !== undefined || nofileNeed > ownSoft;
  const nofile = args.nofile !== undefined ? Number(args.nofile) : viaPrlimit ? Math.min(Math.max(nofileNeed, 4 * n), ownHard) : ownSoft;
  if (nofile < nofileNeed) log(`WARNING: the Sentinels need ~${nofileNeed} descriptors, they get ${nofile} (hard limit ${ownHard}; raise it with ulimit -Hn / prlimit as a privileged user)`);
  const partialRows = () => impls.map((impl) => ({
    impl: impl.name, masters: n, namesPerServer: perServer, servers: serverCount, serversStartS, nofile: impl.nofile,
    discoveryS: impl.discoveryS, found: impl.found, maxPollPingMs: impl.maxPing, partial: true,
  }));
  const t0 = Date.now();
  for (const impl of impls) {
    impl.proc = viaPrlimit
      ? startChild('prlimit', [`--nofile=${nofile}:${nofile}`, impl.cmd, ...impl.argv(impl.conf)])
      : startChild(impl.cmd, impl.argv(impl.conf));
    impl.found = 0;
    impl.maxPing = 0;
  }
  await sleep(300); // prlimit has exec'd the Sentinel by now (same PID)
  for (const impl of impls) {
    if (impl.proc.exitCode !== null || impl.proc.signalCode !== null) {
      throw new Error(`${impl.name} exited at start (code ${impl.proc.exitCode}${viaPrlimit ? `; prlimit --nofile=${nofile} not permitted?` : ''})`);
    }
    impl.nofile = nofileOf(impl.proc.pid);
    log(`${impl.name}: pid ${impl.proc.pid}, port ${impl.port}, nofile soft/hard ${impl.nofile}${viaPrlimit ? ' (via prlimit)' : ''}`);
  }
  let nextProgress = t0 + PROGRESS_MS;
  const pollMs = Math.max(500, n / 2); // INFO sentinel of 5000 masters is ~0.5 MB: poll every 2.5 s
  while (sentinels.some((i) => i.discoveryS === undefined) && Date.now() - t0 < timeoutS * 1000) {
    await sleep(pollMs);
    await Promise.all(sentinels.filter((impl) => impl.discoveryS === undefined).map(async (impl) => {
      const p = await pingMs(impl.port);
      if (p !== undefined && p > impl.maxPing) impl.maxPing = p;
      impl.found = await discovered(impl.port, peers);
      if (impl.found === n) {
        impl.discoveryS = (Date.now() - t0) / 1000;
        log(`${impl.name}: discovery complete, ${n}/${n} masters list ${peers} peer(s), ${impl.discoveryS.toFixed(1)} s (max PING during polls ${impl.maxPing.toFixed(1)} ms)`);
        writeJson(partialRows());
      }
    }));
    if (Date.now() >= nextProgress) {
      nextProgress += PROGRESS_MS;
      log(`discovery ${((Date.now() - t0) / 1000).toFixed(0)} s: ${sentinels.map((i) => `${i.name} ${i.discoveryS !== undefined ? 'done' : `${i.found}/${n}`} (max PING ${i.maxPing.toFixed(1)} ms)`).join(', ')}`);
      writeJson(partialRows());
    }
  }
  for (const impl of sentinels) if (impl.discoveryS === undefined) log(`${impl.name}: discovery timeout after ${timeoutS} s, ${impl.found}/${n} found`);
  writeJson(partialRows());
  // PING once after discovery (is the Sentinel's event loop responsive?), before the idle window.
  for (const impl of impls) impl.pingAfterMs = await pingMs(impl.port);
  log(`PING after discovery: ${impls.map((i) => `${i.name} ${i.pingAfterMs?.toFixed(2) ?? 'n/a'} ms`).join(', ')}`);
  await sleep(5000); // first INFO rounds done everywhere
  if (args.hold) { // --hold S: keep everything up for S seconds (profiling by hand)
    console.error(`# holding ${args.hold} s: ${impls.map((i) => `${i.name} pid ${i.proc.pid} port ${i.port}`).join(', ')}`);
    await sleep(Number(args.hold) * 1000);
  }
  for (const impl of impls) { impl.c1 = cpuTicks(impl.proc.pid); impl.s1 = cpuSplit(impl.proc.pid); }
  await sleep(WINDOW_S * 1000);
  for (const impl of impls) { impl.c2 = cpuTicks(impl.proc.pid); impl.s2 = cpuSplit(impl.proc.pid); }
  const rows = impls.map((impl) => ({
    impl: impl.name,
    masters: n,
    namesPerServer: perServer,
    servers: serverCount,
    serversStartS,
    nofile: impl.nofile,
    ...memMiB(impl.proc.pid),
    cpuPct: (impl.c2 - impl.c1) / TICK_HZ / WINDOW_S * 100,
    cpuUserPct: (impl.s2.user - impl.s1.user) / TICK_HZ / WINDOW_S * 100,
    cpuSysPct: (impl.s2.sys - impl.s1.sys) / TICK_HZ / WINDOW_S * 100,
    windowS: WINDOW_S,
    ...(impl.floor ? { floor: true, discoveryS: null, masters_: null, addr_: null } : { discoveryS: impl.discoveryS }),
    /** Masters listing every other Sentinel when discovery timed out. */
    foundAtTimeout: impl.discoveryS === undefined && !impl.floor ? impl.found : undefined,
    /** Slowest PING (fresh connection) seen while polling discovery, and one PING right after it. */
    maxPollPingMs: impl.maxPing,
    pingAfterDiscoveryMs: impl.pingAfterMs,
    port: impl.port,
  }));
  // Latency after the idle window, so that it does not disturb the CPU figure.
  for (const r of rows) {
    log(`${r.impl} ${n} masters: RSS ${r.rssMiB.toFixed(1)} MiB (anon ${r.rssAnonMiB.toFixed(1)}, file ${r.rssFileMiB.toFixed(1)}), CPU ${r.cpuPct.toFixed(2)} % (user ${r.cpuUserPct.toFixed(2)}, sys ${r.cpuSysPct.toFixed(2)}) over ${WINDOW_S} s, discovery ${r.floor ? '—' : r.discoveryS ?? `timeout (${r.foundAtTimeout}/${n} found)`} s`);
  }
  // The floor's counters (links up, bytes read, writes): evidence that it did the I/O.
  for (const r of rows.filter((x) => x.floor)) {
    const info = await infoSentinel(r.port).catch(() => '');
    r.floorStats = Object.fromEntries([...info.matchAll(/^floor_(\w+):(\d+)/gm)].map((m) => [m[1], Number(m[2])]));
    log(`${r.impl} counters: ${JSON.stringify(r.floorStats)}`);
  }
  writeJson(rows.map((r) => ({ ...r, partial: true })));
  // A reply slower than the client's timeout (60 s) is reported as n/a, not fatal.
  for (const r of rows.filter((x) => !x.floor)) {
    const tl = Date.now();
    r.masters_ = await latency(r.port, ['SENTINEL', 'MASTERS'], REQUESTS).catch(() => ({}));
    r.addr_ = await latency(r.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', `m${n - 1}`], REQUESTS).catch(() => ({}));
    writeJson(rows.map((x) => ({ ...x, partial: true })));
    log(`${r.impl}: MASTERS p50/p99 ${r.masters_.p50?.toFixed(2)} / ${r.masters_.p99?.toFixed(2)} ms, GET-MASTER-ADDR ${r.addr_.p50?.toFixed(3)} / ${r.addr_.p99?.toFixed(3)} ms (n=${r.masters_.n} / ${r.addr_.n}, ${((Date.now() - tl) / 1000).toFixed(0)} s)`);
  }
  killAllSync();
  // 5000 SIGKILLed servers take a few seconds to be reaped; children drop out of the map on exit.
  for (let i = 0; i < 60 && children.size > 0; i++) await sleep(500);
  if (children.size) log(`WARNING: ${children.size} children still alive 30 s after SIGKILL: ${[...children.keys()].slice(0, 10).join(' ')}`);
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
  return rows;
}

const all = [];
console.log('| impl | masters | names/server | RSS MiB | RssAnon MiB | RssFile MiB | idle CPU % | user % | sys % | discovery s | PING after discovery ms | MASTERS p50/p99 ms | GET-MASTER-ADDR p50/p99 ms |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const n of MASTERS) {
  const rows = await runSize(n).catch((err) => {
    console.error(`scale.mjs: ${err.message}`);
    process.exit(1); // the exit handler kills every child by PID
  });
  for (const r of rows) {
    all.push(r);
    const f = (x, d = 2) => (x === undefined ? 'n/a' : x.toFixed(d));
    if (r.floor) {
      console.log(`| ${r.impl} | ${r.masters} | ${r.namesPerServer} | ${f(r.rssMiB, 1)} | ${f(r.rssAnonMiB, 1)} | ${f(r.rssFileMiB, 1)} | ${f(r.cpuPct)} | ${f(r.cpuUserPct)} | ${f(r.cpuSysPct)} | — | ${f(r.pingAfterDiscoveryMs)} | — | — |`);
      continue;
    }
    console.log(`| ${r.impl} | ${r.masters} | ${r.namesPerServer} | ${f(r.rssMiB, 1)} | ${f(r.rssAnonMiB, 1)} | ${f(r.rssFileMiB, 1)} | ${f(r.cpuPct)} | ${f(r.cpuUserPct)} | ${f(r.cpuSysPct)} | ${r.discoveryS === undefined ? `>${discoveryTimeoutS(n)} (${r.foundAtTimeout}/${n})` : f(r.discoveryS, 1)} | ${f(r.pingAfterDiscoveryMs)} | ${f(r.masters_.p50)} / ${f(r.masters_.p99)} | ${f(r.addr_.p50, 3)} / ${f(r.addr_.p99, 3)} |`);
  }
  jsonRows = all;
  writeJson();
}
writeJson();
process.exit(0);
