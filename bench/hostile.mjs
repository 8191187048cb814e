#!/usr/bin/env node
/**
 * Issue 9 figures, tssentinel vs redis-sentinel 7.0.15 in the same run: each
 * hostile pattern runs against a fresh process of each implementation (ts
 * first, then real), on loopback, while a second client PINGs every 20 ms.
 * Per pattern and side: wall time of the pattern, worst PING wait, RSS before
 * / peak / 1 s after, TILT afterwards, and whether the process survived.
 *
 *   npm run build && node bench/hostile.mjs [--only name,name] [--out bench/results]
 *     [--impls ts,real] [--ts-cli other/dist/cli.js --ts-label before]
 *
 * Every process is killed by its PID at the end of its pattern.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pingProbe as sharedPingProbe } from './lib/pingProbe.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MB = 1024 * 1024;
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const only = opt('only', '') ? new Set(opt('only', '').split(',')) : undefined;
const outDir = opt('out', path.join(REPO_ROOT, 'bench', 'results'));
/** Another build of tssentinel to measure (e.g. an older commit's dist/cli.js); reported as "tssentinel@<label>". */
const tsCli = opt('ts-cli', path.join(REPO_ROOT, 'dist', 'cli.js'));
const tsLabel = opt('ts-label', '');
const impls = (opt('impls', 'ts,real')).split(',');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function canBind(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function freePort() {
  for (;;) {
    const p = 20000 + Math.floor(Math.random() * 12000);
    if (await canBind(p)) return p;
  }
}

function rss(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function encode(argv) {
  const parts = [Buffer.from(`*${argv.length}\r\n`)];
  for (const a of argv) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Connects, writes, reads until `until(bytes, head)` or close or timeout; counts, does not keep. */
async function exchange(port, chunks, until, timeoutMs = 60_000) {
  const s = net.connect({ port, host: '127.0.0.1' });
  s.setNoDelay(true);
  let bytes = 0;
  let head = Buffer.alloc(0);
  let done;
  const finished = new Promise((r) => { done = r; });
  s.on('data', (d) => {
    bytes += d.length;
    if (head.length < 256) head = Buffer.concat([head, d]).subarray(0, 256);
    if (until(bytes, head)) done();
  });
  s.on('error', () => done());
  s.on('close', () => done());
  await new Promise((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  for (const c of chunks) if (!s.write(c)) await Promise.race([new Promise((r) => s.once('drain', r)), finished]);
  const t = setTimeout(done, timeoutMs);
  await finished;
  clearTimeout(t);
  s.destroy();
  return { bytes, head };
}

async function command(port, argv, timeoutMs = 5000) {
  const r = await exchange(port, [encode(argv)], (n, head) => head.includes('\r\n') && (head[0] !== 36 || n >= Number(/^\$(\d+)/.exec(head.toString())?.[1] ?? 0) + 6), timeoutMs);
  return r.head.toString();
}

async function start(kind, extra = '') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hostile-${kind}-`));
  const port = await freePort();
  const conf = path.join(dir, 'sentinel.conf');
  fs.writeFileSync(conf, `bind 127.0.0.1\nport ${port}\nsentinel monitor m 127.0.0.1 ${port + 1} 2\n${extra}`);
  const log = fs.openSync(path.join(dir, 'log'), 'a');
  const [cmd, argv] = kind === 'ts' ? [process.execPath, [tsCli, conf]] : ['/usr/bin/redis-sentinel', [conf]];
  const child = spawn(cmd, argv, { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  for (let i = 0; i < 100; i++) {
    await sleep(50);
    if (/^(\+PONG|-NOAUTH)/.test(await command(port, ['PING'], 500).catch(() => ''))) break;
  }
  return { kind, port, pid: child.pid, child, dir };
}

function stop(p) {
  try {
    process.kill(p.pid, 'SIGKILL');
  } catch {
    // gone
  }
  fs.rmSync(p.dir, { recursive: true, force: true });
}

/** The worst PING wait of a second client while a pattern runs (bench/lib/pingProbe.mjs). */
async function pingProbe(port, auth) {
  const stop = await sharedPingProbe(port, auth ? 'AUTH secret\r\n' : undefined);
  return async () => (await stop()).worst;
}

async function dribble(port, conns, prefix, bytesPerConn, preamble) {
  const sockets = await Promise.all(Array.from({ length: conns }, () => new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.setNoDelay(true);
    s.on('error', () => undefined);
  })));
  for (const s of sockets) {
    if (preamble) s.write(preamble);
    s.write(prefix);
  }
  const one = Buffer.from('x');
  for (let i = 0; i < bytesPerConn; i++) {
    for (const s of sockets) s.write(one);
    await new Promise((r) => setImmediate(r));
  }
  return sockets;
}

/** A client that pipelines PING without reading the replies, until closed, 256 MB written or 5 s. */
async function deafPipeline(port, preamble) {
  const s = net.connect({ port, host: '127.0.0.1' });
  let closed = false;
  s.on('error', () => undefined);
  s.on('close', () => { closed = true; });
  await new Promise((r) => s.once('connect', r));
  s.pause();
  if (preamble) s.write(preamble);
  const batch = Buffer.from('PING\r\n'.repeat(10_000));
  const end = Date.now() + 5000;
  let written = 0;
  while (!closed && written < 256 * MB && Date.now() < end) {
    written += batch.length;
    if (s.write(batch)) continue;
    await new Promise((resolve) => {
      const done = () => { clearTimeout(t); s.off('drain', done); s.off('close', done); resolve(); };
      const t = setTimeout(done, Math.max(0, end - Date.now()));
      s.once('drain', done);
      s.once('close', done);
    });
  }
  s.destroy();
  return { closed, written };
}

const deafNote = (rs) => rs.map((r) => `${r.closed ? 'closed' : 'open'} after ${(r.written / MB).toFixed(1)} MB written`).join('; ');

/** One command, its whole reply as a flat list of strings (an array of bulks, or one line), or '' when none comes. */
async function flatReply(port, argv, timeoutMs = 5000) {
  const s = net.connect({ port, host: '127.0.0.1' });
  s.on('error', () => undefined);
  let buf = Buffer.alloc(0);
  const parse = () => {
    const line = (at) => { const e = buf.indexOf('\r\n', at); return e < 0 ? undefined : [buf.toString('latin1', at, e), e + 2]; };
    const head = line(0);
    if (!head) return undefined;
    if (head[0][0] !== '*') return [head[0]];
    const out = [];
    let at = head[1];
    for (let i = 0; i < Number(head[0].slice(1)); i++) {
      const h = line(at);
      if (!h) return undefined;
      const len = Number(h[0].slice(1));
      if (buf.length < h[1] + len + 2) return undefined;
      out.push(buf.toString('latin1', h[1], h[1] + len));
      at = h[1] + len + 2;
    }
    return out;
  };
  const result = await new Promise((resolve) => {
    const t = setTimeout(() => resolve(['']), timeoutMs);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const r = parse();
      if (r) { clearTimeout(t); resolve(r); }
    });
    s.on('connect', () => s.write(encode(argv)));
  });
  s.destroy();
  return result;
}

/** The whole reply as text, read until `done` matches it (or 5 s). */
function wholeReply(port, argv, done) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => s.write(encode(argv)));
    let text = '';
    const finish = () => { clearTimeout(t); s.destroy(); resolve(text); };
    const t = setTimeout(finish, 5000);
    s.on('data', (d) => { text += d.toString(); if (done.test(text)) finish(); });
    s.on('error', finish);
  });
}

const big512 = Buffer.alloc(512 * MB, 0x61);
const PATTERNS = {
  /** One 512 MB argument (the largest proto-max-bulk-len allows), echoed by PING. */
  'ping-512mb': async (p) => {
    const need = 512 * MB + 14;
    const r = await exchange(p.port, [Buffer.from(`*2\r\n$4\r\nPING\r\n$${512 * MB}\r\n`), big512, Buffer.from('\r\n')], (n) => n >= need);
    return `reply ${r.bytes === need ? 'complete' : `${r.bytes} bytes`}`;
  },
  /** PING with 11 arguments of 64 MB (issue: 11 x 400 MB killed the process). */
  'args-11x64mb': async (p) => {
    const a = big512.subarray(0, 64 * MB);
    const chunks = [Buffer.from('*12\r\n$4\r\nPING\r\n')];
    for (let i = 0; i < 11; i++) chunks.push(Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n'));
    const r = await exchange(p.port, chunks, (n, h) => h.includes('\r\n'));
    return r.head.toString().split('\r\n')[0];
  },
  /** 100 connections writing one byte per segment, 2000 segments each (a 60000-byte bulk for half, an inline line for the others). */
  'dribble-100': async (p) => {
    const a = await dribble(p.port, 50, Buffer.from('*2\r\n$4\r\nPING\r\n$60000\r\n'), 2000);
    const b = await dribble(p.port, 50, Buffer.from('PING '), 2000);
    await sleep(200);
    p.sample();
    for (const s of [...a, ...b]) s.destroy();
    return '';
  },
  /** For scale: 100 connections that send nothing (what the dribbling ones cost beyond a connection). */
  'idle-100': async (p) => {
    const a = await dribble(p.port, 100, Buffer.alloc(0), 0);
    await sleep(200);
    p.sample();
    for (const s of a) s.destroy();
    return '';
  },
  /** 20 connections dribbling before AUTH (requirepass set): 1500 segments each. */
  'dribble-unauth-20': async (p) => {
    const s = await dribble(p.port, 20, Buffer.from('*2\r\n$4\r\nAUTH\r\n$16000\r\n'), 1500);
    await sleep(200);
    p.sample();
    for (const x of s) x.destroy();
    return '';
  },
  /** requirepass set: one client pipelines PING before AUTH and never reads (at most 256 MB or 5 s). */
  'deaf-unauth-1': async (p) => deafNote(await Promise.all([deafPipeline(p.port, '')])),
  /** The same from two clients at once. */
  'deaf-unauth-2': async (p) => deafNote(await Promise.all([deafPipeline(p.port, ''), deafPipeline(p.port, '')])),
  /** The same after AUTH (redis-sentinel buffers the replies: client-output-buffer-limit normal 0 0 0). */
  'deaf-auth-1': async (p) => deafNote(await Promise.all([deafPipeline(p.port, 'AUTH secret\r\n')])),
  /** SENTINEL SET m quorum ... with 20,000 pairs. */
  'sentinel-set-20k': async (p) => {
    const argv = ['SENTINEL', 'SET', 'm'];
    for (let i = 0; i < 20_000; i++) argv.push('quorum', String(2 + (i % 2)));
    return (await command(p.port, argv, 60_000)).split('\r\n')[0];
  },
  /** CLIENT TRACKING on BCAST with 20,000 prefixes. */
  'tracking-20k': async (p) => {
    const argv = ['CLIENT', 'TRACKING', 'on', 'BCAST'];
    for (let i = 0; i < 20_000; i++) argv.push('PREFIX', `p${i}:`);
    return (await command(p.port, argv, 60_000)).split('\r\n')[0];
  },
  /**
   * A master whose redis-server requires the password p\xff\xfeq (not UTF-8),
   * given with SENTINEL SET auth-pass; down-after 1000 once it is in. Watched
   * for 4 s: is the master ever SDOWN, how old is its last good PING reply.
   */
  'auth-pass-not-utf8': async (p) => {
    const pass = Buffer.from('p\xff\xfeq', 'latin1');
    const redisPort = await freePort();
    const redis = spawn('/usr/bin/redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--daemonize', 'no'], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !(await command(redisPort, ['PING'], 500).catch(() => '')).startsWith('+PONG'); i++) await sleep(50);
      await command(redisPort, ['CONFIG', 'SET', 'requirepass', pass]);
      await command(p.port, ['SENTINEL', 'MONITOR', 'bytes', '127.0.0.1', String(redisPort), '2']);
      await command(p.port, ['SENTINEL', 'SET', 'bytes', 'auth-pass', pass]);
      await sleep(1500);
      await command(p.port, ['SENTINEL', 'SET', 'bytes', 'down-after-milliseconds', '1000']);
      let sdownAtMs;
      let worstOkMs = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < 4000) {
        const f = await flatReply(p.port, ['SENTINEL', 'MASTER', 'bytes']);
        const field = (k) => f[f.indexOf(k) + 1];
        if (sdownAtMs === undefined && /s_down/.test(field('flags') ?? '')) sdownAtMs = performance.now() - t0;
        worstOkMs = Math.max(worstOkMs, Number(field('last-ok-ping-reply') ?? 0));
        await sleep(100);
      }
      return `${sdownAtMs === undefined ? 'never SDOWN' : `SDOWN ${(sdownAtMs / 1000).toFixed(1)} s after down-after 1000 was set`}, last-ok-ping-reply up to ${worstOkMs} ms`;
    } finally {
      redis.kill('SIGKILL');
    }
  },
  /** 20,000 pipelined COMMAND from one client (which reads the replies). */
  'command-20k': async (p) => {
    const one = (await exchange(p.port, [encode(['COMMAND'])], () => false, 500)).bytes;
    const pipeline = Buffer.concat(Array.from({ length: 20_000 }, () => encode(['COMMAND'])));
    const r = await exchange(p.port, [pipeline], (n) => n >= one * 20_000, 120_000);
    return `${(r.bytes / MB).toFixed(0)} MB of replies`;
  },
  /**
   * 5,000 hellos with distinct run ids PUBLISHed to the Sentinel (as anyone
   * who can PUBLISH on a master's channel could): how many peers it keeps,
   * and writes to its config.
   */
  'forged-hellos-5k': async (p) => {
    const masterPort = p.port + 1;
    const hellos = Array.from({ length: 5000 }, (_, i) => encode(['PUBLISH', '__sentinel__:hello',
      `127.0.0.1,${50000 + i},${String(i).padStart(40, 'e')},0,m,127.0.0.1,${masterPort},0`]));
    await exchange(p.port, [Buffer.concat(hellos)], (n) => n >= 5000 * 4, 60_000);
    // INFO's sentinels= counts the Sentinel itself.
    const known = async () => Number(/sentinels=(\d+)/.exec(await wholeReply(p.port, ['INFO', 'sentinel'], /sentinels=\d+\r\n/))?.[1] ?? -1);
    const inConfig = () => (fs.readFileSync(path.join(p.dir, 'sentinel.conf'), 'utf8').match(/^sentinel known-sentinel /gm) ?? []).length;
    // Until both stop moving and agree (the config is written after the hellos are taken), at most 20 s.
    let last = '';
    let now = { peers: -1, saved: -1 };
    for (let i = 0; i < 80; i++) {
      now = { peers: await known().catch(() => -1), saved: inConfig() };
      if (JSON.stringify(now) === last && now.peers >= 0 && now.saved === now.peers - 1) break;
      last = JSON.stringify(now);
      await sleep(250);
    }
    return `${now.peers - 1} peers kept, ${now.saved} in the config`;
  },
};

async function runPattern(name, kind) {
  const auth = name === 'dribble-unauth-20' || name.startsWith('deaf-');
  const p = await start(kind, auth ? 'requirepass secret\n' : '');
  const before = rss(p.pid);
  let peak = before;
  p.sample = () => { peak = Math.max(peak, rss(p.pid)); };
  const sampler = setInterval(p.sample, 20);
  const stopProbe = await pingProbe(p.port, auth);
  const t0 = performance.now();
  let note = '';
  try {
    note = await PATTERNS[name](p);
  } catch (e) {
    note = `error: ${e.message}`;
  }
  const ms = performance.now() - t0;
  const worstPingMs = await stopProbe();
  clearInterval(sampler);
  p.sample();
  await sleep(1000);
  const after = rss(p.pid);
  const info = auth
    ? (await exchange(p.port, [Buffer.from('AUTH secret\r\nINFO sentinel\r\n')], (n, h) => /sentinel_tilt:\d/.test(h.toString()), 5000)).head.toString()
    : (await exchange(p.port, [encode(['INFO', 'sentinel'])], (n, h) => /sentinel_tilt:\d/.test(h.toString()), 5000).catch(() => ({ head: '' }))).head.toString();
  const alive = p.child.exitCode === null && info.length > 0;
  const tilt = /sentinel_tilt:(\d)/.exec(info)?.[1] ?? '?';
  stop(p);
  return { pattern: name, impl: kind === 'ts' ? `tssentinel${tsLabel ? `@${tsLabel}` : ''}` : 'redis-sentinel', ms: Math.round(ms), worstPingMs: Math.round(worstPingMs), rssBeforeMb: +(before / MB).toFixed(1), rssPeakMb: +(peak / MB).toFixed(1), rssAfter1sMb: +(after / MB).toFixed(1), tilt, alive, note };
}

const results = [];
for (const name of Object.keys(PATTERNS)) {
  if (only && !only.has(name)) continue;
  for (const kind of impls) {
    const r = await runPattern(name, kind);
    results.push(r);
    console.log(JSON.stringify(r));
  }
}
const date = new Date().toISOString().slice(0, 10);
fs.mkdirSync(outDir, { recursive: true });
const file = path.join(outDir, `hostile-${date}${tsLabel ? `-${tsLabel}` : ''}.json`);
fs.writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, results }, null, 2)}\n`);
console.log(`\n| pattern | impl | time ms | worst PING wait ms | RSS before / peak / 1 s after (MB) | TILT | alive | note |\n|---|---|---|---|---|---|---|---|`);
for (const r of results) {
  console.log(`| ${r.pattern} | ${r.impl} | ${r.ms} | ${r.worstPingMs} | ${r.rssBeforeMb} / ${r.rssPeakMb} / ${r.rssAfter1sMb} | ${r.tilt} | ${r.alive ? 'yes' : 'no'} | ${r.note} |`);
}
console.log(`\nsaved ${file}`);
