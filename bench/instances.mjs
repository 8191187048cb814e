#!/usr/bin/env node
/**
 * Many known instances on one master, tssentinel next to redis-sentinel in
 * the same run (one process of each at a time, ts first):
 *
 * - `sentinels N`: a config with N `sentinel known-sentinel` lines (what a
 *   flood of forged hellos leaves behind), the peers at 127.x.y.z port 9
 *   where nothing listens (every connect is refused at once). Measured: time
 *   from spawn to the first PING answered (one PING sent as soon as the
 *   port accepts, waited for as long as it takes), that all N are loaded,
 *   then over a steady window PING latency (one PING every 20 ms), CPU (% of
 *   one core), RSS, TILT, and optionally (--strace) connect() calls per
 *   second for a few seconds (strace slows the process: measured after the window).
 * - `replicas N`: a fake master (bench/fakeredis.mjs) listing N replicas in
 *   INFO, at 127.2.x.y port 9 (nothing listens), monitored from an empty
 *   config: time until all N are known, worst PING wait meanwhile, the
 *   steady window as above; then a restart on the config file the Sentinel
 *   wrote (N known-replica lines): time to first PING, all N loaded.
 * - `flood N`: N forged hellos, each from a new Sentinel (127.x.y.z port 9),
 *   PUBLISHed on the fake master's hello channel as fast as the Sentinel
 *   takes them (in batches of 100): time until all N are known, worst PING
 *   wait meanwhile, the peers the config file lists at the end (each new peer
 *   asks for a config write), then the steady window as above.
 * - `core`: in-process, the core alone (dist/core of the build measured):
 *   stateFromConfig, then the cost per event (linkDown, PING reply, a hello
 *   of a known peer) at each size, in µs: what must not grow with N.
 *
 *   npm run build && node bench/instances.mjs [--sentinels 1000,10000,100000] [--replicas 10000]
 *     [--impls ts,real] [--window 10] [--strace] [--json out.json]
 *     [--ts-cli other/dist/cli.js --ts-label before] [--only sentinels|replicas|flood|core]
 *
 * Every process is killed by its PID (also on Ctrl-C); every wait is bounded.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  HOST, REDIS_SENTINEL, REPO_ROOT, TICK_HZ, children, cpuTicks, eachArg, freePort, killAllOnExit, sleep, startChild, tempDir,
} from './lib/harness.mjs';
import { pingEvery20Ms } from './lib/pingProbe.mjs';

const opts = {
  sentinels: [1000, 10000, 100000],
  replicas: [10000],
  flood: [10000],
  impls: ['ts', 'real'],
  windowS: 10,
  strace: false,
  json: undefined,
  tsCli: path.join(REPO_ROOT, 'dist', 'cli.js'),
  tsLabel: '',
  only: undefined,
};
const usage = (msg) => {
  console.error(`${msg}\nusage: node bench/instances.mjs [--sentinels 1000,10000] [--replicas 10000] [--flood 10000] [--impls ts,real] [--window S] [--strace] [--json out] [--ts-cli path --ts-label l] [--only sentinels|replicas|flood|core]`);
  process.exit(2);
};
const sizes = (v) => (v === '' || v === 'none' ? [] : v.split(',').map(Number));
eachArg(process.argv.slice(2), usage, (arg, value) => {
  if (arg === '--sentinels') opts.sentinels = sizes(value());
  else if (arg === '--replicas') opts.replicas = sizes(value());
  else if (arg === '--flood') opts.flood = sizes(value());
  else if (arg === '--impls') opts.impls = value().split(',');
  else if (arg === '--window') opts.windowS = Number(value());
  else if (arg === '--strace') opts.strace = true;
  else if (arg === '--json') opts.json = value();
  else if (arg === '--ts-cli') opts.tsCli = path.resolve(value());
  else if (arg === '--ts-label') opts.tsLabel = value();
  else if (arg === '--only') opts.only = value();
  else usage(`unknown argument ${arg}`);
});

killAllOnExit(1);

const MYID = 'e'.repeat(40);
/** Where the fake instances are: nothing listens on port 9 (discard) here. */
const DEAD_PORT = 9;
const FIRST_PING_LIMIT_MS = 300_000;
const LOAD_LIMIT_MS = 300_000;
const label = (impl) => (impl === 'ts' ? `tssentinel${opts.tsLabel ? `@${opts.tsLabel}` : ''}` : 'redis-sentinel');
const results = { date: new Date().toISOString(), opts: { ...opts }, sentinels: [], replicas: [], flood: [], core: [] };

function save() {
  if (opts.json) fs.writeFileSync(opts.json, `${JSON.stringify(results, null, 2)}\n`);
}

function peerHost(i) {
  return `127.${1 + ((i >> 16) & 255)}.${(i >> 8) & 255}.${i & 255}`;
}

function rssMb(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// One RESP connection with request timing.

function connectOnce(port) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: HOST });
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(undefined));
  });
}

/** Sends one inline command and resolves with the first reply line (or undefined after timeoutMs). */
function ask(socket, line, timeoutMs) {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (d) => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n')) return;
      finish(buf);
    };
    const finish = (v) => {
      clearTimeout(timer);
      socket.off('data', onData);
      resolve(v);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on('data', onData);
    socket.once('close', () => finish(undefined));
    socket.write(`${line}\r\n`);
  });
}

/** A full reply (bulk or array of bulks, flattened to strings), for SENTINEL MASTER and INFO. */
async function call(port, args, timeoutMs = 30_000) {
  const s = await connectOnce(port);
  if (!s) return undefined;
  try {
    return await new Promise((resolve) => {
      let buf = Buffer.alloc(0);
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      s.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        const v = parseReply(buf, 0);
        if (v) {
          clearTimeout(timer);
          resolve(v.value);
        }
      });
      s.on('error', () => resolve(undefined));
      let out = `*${args.length}\r\n`;
      for (const a of args) out += `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`;
      s.write(out);
    });
  } finally {
    s.destroy();
  }
}

function parseReply(buf, offset) {
  const eol = buf.indexOf('\r\n', offset);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[offset]);
  const line = buf.toString('latin1', offset + 1, eol);
  if (type === '+' || type === '-' || type === ':') return { value: line, end: eol + 2 };
  if (type === '$') {
    const len = Number(line);
    if (len < 0) return { value: null, end: eol + 2 };
    if (buf.length < eol + 2 + len + 2) return undefined;
    return { value: buf.toString('latin1', eol + 2, eol + 2 + len), end: eol + 4 + len };
  }
  if (type === '*') {
    const items = [];
    let pos = eol + 2;
    for (let i = 0; i < Number(line); i++) {
      const item = parseReply(buf, pos);
      if (!item) return undefined;
      items.push(item.value);
      pos = item.end;
    }
    return { value: items, end: pos };
  }
  return { value: line, end: eol + 2 };
}

async function masterField(port, name, field) {
  const flat = await call(port, ['SENTINEL', 'MASTER', name]);
  if (!Array.isArray(flat)) return undefined;
  const i = flat.indexOf(field);
  return i >= 0 ? flat[i + 1] : undefined;
}

async function tilted(port) {
  const text = await call(port, ['INFO', 'sentinel']);
  return typeof text === 'string' ? /sentinel_tilt:1/.test(text) : undefined;
}

// ---------------------------------------------------------------------------
// Processes

function spawnSentinel(impl, conf, port, dir) {
  const log = fs.openSync(path.join(dir, `${impl}.log`), 'a');
  const [cmd, args] = impl === 'ts' ? [process.execPath, [opts.tsCli, conf, '--port', String(port)]]
    : [REDIS_SENTINEL, [conf, '--port', String(port)]];
  const child = startChild(cmd, args, { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  return child;
}

async function kill(child, signal = 'SIGKILL') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

/** ms from `t0` to the first PING answered: one PING as soon as the port accepts, waited for without a deadline of its own. */
async function firstPong(port, child, t0) {
  const deadline = t0 + FIRST_PING_LIMIT_MS;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) return undefined;
    const s = await connectOnce(port);
    if (!s) {
      await sleep(5);
      continue;
    }
    const reply = await ask(s, 'PING', deadline - performance.now());
    s.destroy();
    if (reply?.startsWith('+PONG')) return performance.now() - t0;
  }
  return undefined;
}

/** Waits until `ok()` or the limit; ms taken, or undefined. */
async function within(limitMs, ok) {
  const t0 = performance.now();
  while (performance.now() - t0 < limitMs) {
    if (await ok().catch(() => false)) return performance.now() - t0;
    await sleep(100);
  }
  return undefined;
}

/** PINGs every 20 ms on one connection until stop() (bench/lib/pingProbe.mjs): { lat, worst } in ms. */
async function pingProbe(port) {
  const s = await connectOnce(port);
  if (!s) return async () => ({ lat: [], worst: Infinity });
  return pingEvery20Ms(s);
}

function pct(values, p) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** connect() calls per second over `seconds`, counted by strace (which slows the process while attached). */
function connectsPerSecond(pid, seconds) {
  const r = spawnSync('timeout', ['-s', 'INT', String(seconds), 'strace', '-f', '-c', '-e', 'trace=connect', '-p', String(pid)],
    { encoding: 'utf8', timeout: (seconds + 10) * 1000 });
  const m = /\s(\d+)\s+(?:\d+\s+)?connect\s*$/m.exec(r.stderr ?? '');
  return m ? Math.round(Number(m[1]) / seconds) : undefined;
}

/** The steady window: PING latency, CPU, RSS, TILT, connects/s. */
async function steady(impl, port, child) {
  const ticks0 = cpuTicks(child.pid);
  const probe = await pingProbe(port);
  await sleep(opts.windowS * 1000);
  const { lat, worst } = await probe();
  const cpuPct = Math.round(((cpuTicks(child.pid) - ticks0) / TICK_HZ / opts.windowS) * 100);
  const out = {
    pingP50Ms: round(pct(lat, 50)), pingP99Ms: round(pct(lat, 99)), pingMaxMs: round(worst), cpuPct,
    rssMb: rssMb(child.pid), tilt: await tilted(port),
  };
  if (opts.strace) out.connectsPerS = connectsPerSecond(child.pid, 5);
  return out;
}

const round = (v) => (v === undefined || !Number.isFinite(v) ? v : Math.round(v));

// ---------------------------------------------------------------------------
// Cases

async function startFakeMaster(replicas) {
  const port = await freePort();
  const child = startChild(process.execPath, [path.join(REPO_ROOT, 'bench', 'fakeredis.mjs'), String(port), '1'],
    { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, REPLICAS: String(replicas) } });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('fake master did not start')), 10_000);
    child.stdout.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return { port, child };
}

/**
 * `impl` 'ts' lifts tssentinel's discovery caps (max-sentinels/replicas-per-master,
 * 1024 / 4096 by default): this bench measures the cost of many instances,
 * not the cap (redis-sentinel has none and refuses the directives).
 */
function sentinelConfig(port, masterPort, knownSentinels, impl = 'real') {
  const lines = ['bind 127.0.0.1', `port ${port}`, `sentinel myid ${MYID}`, `sentinel monitor m ${HOST} ${masterPort} 2`];
  if (impl !== 'real') lines.push('max-sentinels-per-master 1000000', 'max-replicas-per-master 1000000');
  for (let i = 0; i < knownSentinels; i++) {
    lines.push(`sentinel known-sentinel m ${peerHost(i)} ${DEAD_PORT} ${i.toString(16).padStart(40, '0')}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * One implementation started on a fresh dir and port with sentinelConfig's
 * file; t0 is taken just before the spawn. restart() starts it again on the
 * same file and port.
 */
async function launch(impl, masterPort, knownSentinels) {
  const dir = tempDir(`instances-${impl}`);
  const port = await freePort();
  const conf = path.join(dir, 'sentinel.conf');
  fs.writeFileSync(conf, sentinelConfig(port, masterPort, knownSentinels, impl));
  const t0 = performance.now();
  return { port, conf, t0, child: spawnSentinel(impl, conf, port, dir), restart: () => spawnSentinel(impl, conf, port, dir) };
}

/** How many lines of the config file match `re` (a /g regexp). */
function configLines(conf, re) {
  return (fs.readFileSync(conf, 'utf8').match(re) ?? []).length;
}

async function sentinelsCase(n, master) {
  for (const impl of opts.impls) {
    const { port, t0, child } = await launch(impl, master.port, n);
    const firstPongMs = await firstPong(port, child, t0);
    const loadedMs = firstPongMs === undefined ? undefined
      : await within(LOAD_LIMIT_MS, async () => Number(await masterField(port, 'm', 'num-other-sentinels')) === n);
    const row = { case: 'sentinels', n, impl: label(impl), firstPongMs: round(firstPongMs), allLoaded: loadedMs !== undefined };
    if (loadedMs !== undefined) Object.assign(row, await steady(impl, port, child));
    await kill(child);
    results.sentinels.push(row);
    save();
    console.log(JSON.stringify(row));
  }
}

async function replicasCase(n) {
  const master = await startFakeMaster(n);
  try {
    for (const impl of opts.impls) {
      const launched = await launch(impl, master.port, 0);
      const { port, conf, t0 } = launched;
      let { child } = launched;
      const firstPongMs = await firstPong(port, child, t0);
      // Discovery, with PING timed all along.
      const probe = await pingProbe(port);
      const discoveredMs = await within(LOAD_LIMIT_MS, async () => Number(await masterField(port, 'm', 'num-slaves')) === n);
      const during = await probe();
      const row = {
        case: 'replicas', n, impl: label(impl), firstPongMs: round(firstPongMs),
        discoveredMs: round(discoveredMs === undefined ? undefined : performance.now() - t0), pingMaxDuringDiscoveryMs: round(during.worst),
      };
      if (discoveredMs !== undefined) {
        Object.assign(row, await steady(impl, port, child));
        // The config now lists the replicas (written within a second of their discovery).
        await within(30_000, async () => configLines(conf, /known-replica/g) === n);
        row.savedReplicas = configLines(conf, /known-replica/g);
        await kill(child, 'SIGTERM');
        const t1 = performance.now();
        child = launched.restart();
        row.restartFirstPongMs = round(await firstPong(port, child, t1));
        row.restartAllLoaded = await within(LOAD_LIMIT_MS, async () => Number(await masterField(port, 'm', 'num-slaves')) === n) !== undefined;
        row.restartTilt = await tilted(port);
      }
      await kill(child);
      results.replicas.push(row);
      save();
      console.log(JSON.stringify(row));
    }
  } finally {
    await kill(master.child);
  }
}

/** PUBLISH on the fake master, pipelined; resolves with the receiver counts. */
async function publishAll(port, payloads) {
  const s = await connectOnce(port);
  if (!s) throw new Error('fake master unreachable');
  try {
    return await new Promise((resolve, reject) => {
      let buf = '';
      const counts = [];
      const timer = setTimeout(() => reject(new Error('PUBLISH replies timed out')), 60_000);
      s.on('data', (d) => {
        buf += d.toString('latin1');
        let i;
        while ((i = buf.indexOf('\r\n')) >= 0) {
          counts.push(Number(buf.slice(1, i)));
          buf = buf.slice(i + 2);
        }
        if (counts.length === payloads.length) {
          clearTimeout(timer);
          resolve(counts);
        }
      });
      let out = '';
      for (const p of payloads) out += `*3\r\n$7\r\nPUBLISH\r\n$18\r\n__sentinel__:hello\r\n$${Buffer.byteLength(p)}\r\n${p}\r\n`;
      s.write(out);
    });
  } finally {
    s.destroy();
  }
}

async function floodCase(n) {
  const master = await startFakeMaster(0);
  try {
    for (const impl of opts.impls) {
      const { port, conf, child } = await launch(impl, master.port, 0);
      const row = { case: 'flood', n, impl: label(impl) };
      if (await firstPong(port, child, performance.now()) !== undefined &&
          await within(30_000, async () => (await publishAll(master.port, ['subscribed?']))[0] > 0) !== undefined) {
        const hello = (i) => `${peerHost(i)},${DEAD_PORT},${i.toString(16).padStart(40, '0')},0,m,${HOST},${master.port},0`;
        const probe = await pingProbe(port);
        const t0 = performance.now();
        const ticks0 = cpuTicks(child.pid);
        // Batches of 100, each after the previous one was delivered: bounded in count and in time.
        for (let i = 0; i < n && performance.now() - t0 < LOAD_LIMIT_MS; i += 100) {
          await publishAll(master.port, Array.from({ length: Math.min(100, n - i) }, (_, k) => hello(i + k)));
        }
        row.publishedMs = round(performance.now() - t0);
        const knownMs = await within(LOAD_LIMIT_MS, async () => Number(await masterField(port, 'm', 'num-other-sentinels')) === n);
        row.allKnownMs = round(knownMs === undefined ? undefined : performance.now() - t0);
        row.cpuSecondsToAllKnown = round(((cpuTicks(child.pid) - ticks0) / TICK_HZ) * 10) / 10;
        row.pingMaxDuringFloodMs = round((await probe()).worst);
        await within(30_000, async () => configLines(conf, /known-sentinel/g) === n);
        row.savedPeers = configLines(conf, /known-sentinel/g);
        if (knownMs !== undefined) Object.assign(row, await steady(impl, port, child));
      }
      await kill(child);
      results.flood.push(row);
      save();
      console.log(JSON.stringify(row));
    }
  } finally {
    await kill(master.child);
  }
}

/** The core alone: build the state, then time each kind of event, at each size. */
async function coreCase(sizesList) {
  const dist = path.dirname(opts.tsCli);
  const load = (rel) => import(pathToFileURL(path.join(dist, rel)).href);
  const { parseConfig } = await load('config/parse.js');
  const { stateFromConfig } = await load('core/sentinel.js');
  const { step } = await load('core/step.js');
  for (const n of [10, ...sizesList]) {
    const text = sentinelConfig(26379, 6379, n, 'ts');
    let t = performance.now();
    const cfg = parseConfig(text);
    const parseMs = performance.now() - t;
    t = performance.now();
    const state = stateFromConfig(cfg, MYID, 1_000_000);
    const stateMs = performance.now() - t;
    let now = 1_000_000;
    step(state, { type: 'tick' }, now);
    const peerLinks = [...state.links.keys()].filter((k) => k.startsWith('sentinel|'));
    const masterLink = [...state.links.keys()].find((k) => k.startsWith('redis|'));
    const events = 20_000;
    const perEventUs = (make) => {
      const start = performance.now();
      for (let i = 0; i < events; i++) {
        now += 0.001;
        step(state, make(i), now);
      }
      return round(((performance.now() - start) * 1000) / events * 100) / 100;
    };
    const hello = (k) => `${peerHost(k)},${DEAD_PORT},${k.toString(16).padStart(40, '0')},0,m,127.0.0.1,6379,0`;
    const row = {
      case: 'core', n, impl: label('ts'), parseMs: round(parseMs), stateMs: round(stateMs),
      linkDownUs: perEventUs((i) => ({ type: 'linkDown', link: peerLinks[i % peerLinks.length] })),
      pingReplyUs: perEventUs(() => ({ type: 'pingReply', link: masterLink, outcome: 'pong' })),
      knownHelloUs: perEventUs((i) => ({ type: 'hello', payload: hello(i % n) })),
      // Each from a Sentinel not seen before (it is added): the flood's event.
      newPeerHelloUs: perEventUs((i) => ({ type: 'hello', payload: hello(n + i) })),
    };
    results.core.push(row);
    save();
    console.log(JSON.stringify(row));
  }
}

// ---------------------------------------------------------------------------

if (!opts.only || opts.only === 'core') await coreCase(opts.sentinels);
if (!opts.only || opts.only === 'sentinels') {
  const master = await startFakeMaster(0);
  try {
    for (const n of opts.sentinels) await sentinelsCase(n, master);
  } finally {
    await kill(master.child);
  }
}
if (!opts.only || opts.only === 'replicas') for (const n of opts.replicas) await replicasCase(n);
if (!opts.only || opts.only === 'flood') for (const n of opts.flood) await floodCase(n);
save();
for (const pid of children.keys()) process.kill(pid, 'SIGKILL');
