/**
 * Process harness shared by the bench scripts: a minimal RESP2 client, polling
 * with a deadline, free loopback ports, children tracked by PID (killed on
 * exit and on Ctrl-C), redis-server and Sentinel start-up, and the
 * master + 2 replicas + 3 Sentinels topology of bench/failover.mjs and
 * bench/loss.mjs.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// TS_CLI: another build's dist/cli.js, for before/after comparisons.
export const TS_CLI = process.env.TS_CLI ?? path.join(REPO_ROOT, 'dist', 'cli.js');
export const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';
export const REDIS_SENTINEL = process.env.REDIS_SENTINEL_BIN ?? '/usr/bin/redis-sentinel';
export const HOST = '127.0.0.1';

const START_TIMEOUT_MS = 15_000;
export const CONVERGE_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
const PORT_MIN = 10_000;
const PORT_MAX = 32_767;
export const TICK_HZ = 100; // CLK_TCK on Linux

// ---------------------------------------------------------------------------
// Command line

/**
 * Calls onArg(arg, value) for each argument of argv; value() consumes and
 * returns the next one, or calls usage(`<arg> needs a value`) when there is none.
 */
export function eachArg(argv, usage, onArg) {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${arg} needs a value`);
      return v;
    };
    onArg(arg, value);
  }
}

// ---------------------------------------------------------------------------
// Time

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const nowNs = () => process.hrtime.bigint();
export const msSince = (startNs) => Number(nowNs() - startNs) / 1e6;

export async function waitUntil(fn, timeoutMs, what, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------
// A minimal RESP2 client: commands in, replies out in order; in subscribed
// mode, messages go to onMessage.

export class Resp {
  static connect(port, timeoutMs = 2_000) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: HOST });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${port} timed out`));
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        resolve(new Resp(socket, port));
      });
    });
  }

  constructor(socket, port) {
    this.socket = socket;
    this.port = port;
    this.buf = Buffer.alloc(0);
    this.pending = [];
    this.onMessage = undefined;
    this.closed = false;
    socket.on('data', (chunk) => this.onData(chunk));
    const fail = (err) => {
      this.closed = true;
      for (const p of this.pending.splice(0)) p.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error(`connection to ${port} closed`)));
  }

  call(...args) {
    if (this.closed) return Promise.reject(new Error(`connection to ${this.port} closed`));
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      let out = `*${args.length}\r\n`;
      for (const a of args) out += `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`;
      this.socket.write(out);
    });
  }

  close() {
    this.closed = true;
    this.socket.destroy();
  }

  onData(chunk) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let offset = 0;
    for (;;) {
      const parsed = parse(this.buf, offset);
      if (!parsed) break;
      offset = parsed.end;
      const v = parsed.value;
      if (this.onMessage && Array.isArray(v) && (v[0] === 'message' || v[0] === 'pmessage')) this.onMessage(v);
      else this.pending.shift()?.resolve(v);
    }
    this.buf = this.buf.subarray(offset);
  }
}

/** One RESP2 reply at offset, or undefined when incomplete. Errors become { error }. */
function parse(buf, offset) {
  const eol = buf.indexOf('\r\n', offset);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[offset]);
  const line = buf.toString('utf8', offset + 1, eol);
  const next = eol + 2;
  if (type === '+') return { value: line, end: next };
  if (type === '-') return { value: { error: line }, end: next };
  if (type === ':') return { value: Number(line), end: next };
  if (type === '$') {
    const len = Number(line);
    if (len < 0) return { value: null, end: next };
    if (buf.length < next + len + 2) return undefined;
    return { value: buf.toString('utf8', next, next + len), end: next + len + 2 };
  }
  if (type === '*') {
    const count = Number(line);
    if (count < 0) return { value: null, end: next };
    const items = [];
    let pos = next;
    for (let i = 0; i < count; i++) {
      const item = parse(buf, pos);
      if (!item) return undefined;
      items.push(item.value);
      pos = item.end;
    }
    return { value: items, end: pos };
  }
  throw new Error(`unexpected RESP type ${JSON.stringify(type)}`);
}

export async function call(port, ...args) {
  const c = await Resp.connect(port);
  try {
    return await c.call(...args);
  } finally {
    c.close();
  }
}

export function fields(flat) {
  const out = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

export function infoFields(text) {
  const out = {};
  for (const line of String(text).split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Processes

/** Every child still running, by PID, so that Ctrl-C or a crash leaves nothing behind. */
export const children = new Map();
export const dirs = new Set();

export function killAllSync() {
  for (const pid of children.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
}

/** Kills every child (and removes every temp dir) on exit, and on SIGINT/SIGTERM before exiting with signalExitCode. */
export function killAllOnExit(signalExitCode = 130) {
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      killAllSync();
      process.exit(signalExitCode);
    });
  }
}

/** Spawns a child with its output discarded and tracks it by PID until it exits. */
export function startChild(command, args, options = {}) {
  const child = spawn(command, args, { stdio: 'ignore', ...options });
  const proc = { child, pid: child.pid, exited: false };
  children.set(child.pid, proc);
  child.on('exit', () => {
    proc.exited = true;
    children.delete(child.pid);
  });
  return child;
}

/** User + system CPU time of pid, in clock ticks (TICK_HZ a second). */
export function cpuTicks(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

export function canBind(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: HOST, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

const handedOut = new Set();
export async function freePort() {
  for (let i = 0; i < 100; i++) {
    const port = PORT_MIN + Math.floor(Math.random() * (PORT_MAX - PORT_MIN + 1));
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port');
}

export function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tss-bench-${prefix}-`));
  dirs.add(dir);
  return dir;
}

/** Spawns command, output to logPath, and waits until the port answers PING from this PID. */
export async function spawnServer(command, args, port, dir, logPath) {
  const fd = fs.openSync(logPath, 'a');
  const child = spawn(command, args, { cwd: dir, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const proc = { child, pid: child.pid, port, dir, logPath, exited: false };
  children.set(child.pid, proc);
  proc.exit = new Promise((resolve) => {
    child.once('exit', () => {
      proc.exited = true;
      children.delete(child.pid);
      resolve();
    });
    child.once('error', () => {
      proc.exited = true;
      children.delete(child.pid);
      resolve();
    });
  });
  try {
    await waitUntil(
      async () => {
        if (proc.exited) throw new Error(`${command} exited during start: ${tail(logPath, 5)}`);
        const pong = await call(port, 'PING');
        if (pong !== 'PONG') return false;
        const pid = infoFields(await call(port, 'INFO', 'server')).process_id;
        return pid === undefined || Number(pid) === child.pid;
      },
      START_TIMEOUT_MS,
      `${path.basename(command)} on port ${port} to answer PING`,
    );
  } catch (err) {
    await stop(proc, 'SIGKILL');
    throw err;
  }
  return proc;
}

export async function stop(proc, signal = 'SIGTERM') {
  if (proc.exited) return;
  proc.child.kill(signal);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await proc.exit;
  clearTimeout(timer);
}

export function tail(file, lines) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Starts on a free port, trying another one when the chosen one was taken meanwhile. */
export async function onFreePort(start) {
  let lastError;
  for (let i = 0; i < 5; i++) {
    try {
      return await start(await freePort());
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

export function startRedis(replicaOfPort) {
  return onFreePort((port) => {
    const dir = tempDir('redis');
    const conf = path.join(dir, 'redis.conf');
    const lines = [`port ${port}`, `bind ${HOST}`, `dir ${dir}`, 'save ""', 'appendonly no', 'logfile ""'];
    if (replicaOfPort !== undefined) lines.push(`replicaof ${HOST} ${replicaOfPort}`);
    fs.writeFileSync(conf, `${lines.join('\n')}\n`);
    return spawnServer(REDIS_SERVER, [conf], port, dir, path.join(dir, 'redis.log'));
  });
}

/** Sentinel config lines monitoring mymaster (at HOST:masterPort) with these settings, for startSentinel/startTopology. */
export function mymasterSentinelLines({ quorum, downAfterMs, failoverTimeoutMs }) {
  return (masterPort) => [
    `sentinel monitor mymaster ${HOST} ${masterPort} ${quorum}`,
    `sentinel down-after-milliseconds mymaster ${downAfterMs}`,
    `sentinel failover-timeout mymaster ${failoverTimeoutMs}`,
  ];
}

/**
 * A Sentinel of impl ('ts': node tsCli, else redis-sentinel) on a free port,
 * its config `bind HOST` followed by sentinelLines(masterPort).
 */
export function startSentinel(impl, masterPort, sentinelLines, tsCli = TS_CLI) {
  return onFreePort((port) => {
    const dir = tempDir(`${impl}-sentinel`);
    const conf = path.join(dir, 'sentinel.conf');
    fs.writeFileSync(conf, [`bind ${HOST}`, ...sentinelLines(masterPort), ''].join('\n'));
    const [command, args] =
      impl === 'ts' ? [process.execPath, [tsCli, conf, '--port', String(port)]] : [REDIS_SENTINEL, [conf, '--port', String(port)]];
    return spawnServer(command, args, port, dir, path.join(dir, 'sentinel.log'));
  });
}

// ---------------------------------------------------------------------------
// Topology

/**
 * A master, two replicas and three Sentinels of impl (configured by
 * sentinelLines, see startSentinel), once every Sentinel sees 2 replicas and
 * 2 peers and the replicas are in sync.
 */
export async function startTopology(impl, sentinelLines) {
  const procs = [];
  try {
    const master = await startRedis();
    procs.push(master);
    const replicas = await Promise.all([startRedis(master.port), startRedis(master.port)]);
    procs.push(...replicas);
    const sentinels = await Promise.all([0, 1, 2].map(() => startSentinel(impl, master.port, sentinelLines)));
    procs.push(...sentinels);
    for (const s of sentinels) {
      await waitUntil(
        async () => {
          const m = fields(await call(s.port, 'SENTINEL', 'MASTER', 'mymaster'));
          return m['num-slaves'] === '2' && m['num-other-sentinels'] === '2';
        },
        CONVERGE_TIMEOUT_MS,
        `${impl} sentinel ${s.port} to see 2 replicas and 2 peers`,
      );
    }
    for (const r of replicas) {
      await waitUntil(
        async () => infoFields(await call(r.port, 'INFO', 'replication')).master_link_status === 'up',
        CONVERGE_TIMEOUT_MS,
        `replica ${r.port} in sync`,
      );
    }
    return { master, replicas, sentinels, procs };
  } catch (err) {
    await Promise.all(procs.map((p) => stop(p, 'SIGKILL')));
    throw err;
  }
}

export async function teardown(topology, clients) {
  for (const c of clients) c.close();
  await Promise.all(topology.procs.map((p) => stop(p, 'SIGKILL')));
  for (const p of topology.procs) {
    fs.rmSync(p.dir, { recursive: true, force: true });
    dirs.delete(p.dir);
  }
}

