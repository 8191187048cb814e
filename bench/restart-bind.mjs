#!/usr/bin/env node
/**
 * Restart on the same port, the way a supervisor that may have SIGSTOPped a
 * Sentinel does: SIGTERM then SIGCONT, poll connect until refused, start
 * again at once. Counts the starts that could not bind.
 *
 *   node bench/restart-bind.mjs [--impl ts|real] [--iterations 200] [--port N]
 *   node bench/restart-bind.mjs --self-connect [--impl ts|real]
 *
 * --self-connect shows why a refused connect does not prove a port free when
 * the port lies in the kernel's ephemeral range: with nothing bound there,
 * a connect to 127.0.0.1:N can be given N as its own source port and
 * connect to itself (TCP simultaneous open). Once closed, that socket sits
 * in TIME_WAIT without SO_REUSEADDR: connects are refused, yet a Sentinel
 * (either one) cannot bind the port until TIME_WAIT ends.
 *
 * Bounded: at most --iterations restarts and 5 minutes, self-connect search
 * 60 s; every child is killed by PID on exit.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  HOST, REDIS_SENTINEL, TS_CLI, eachArg, freePort, killAllOnExit, sleep, startChild, tempDir,
} from './lib/harness.mjs';

const DEADLINE_MS = 5 * 60_000;
const SELF_CONNECT_SEARCH_MS = 60_000;
const READY_TIMEOUT_MS = 15_000;

const opts = { impl: 'ts', iterations: 200, port: undefined, selfConnect: false };
const usage = (msg) => {
  console.error(`${msg}\nusage: node bench/restart-bind.mjs [--impl ts|real] [--iterations N] [--port N] [--self-connect]`);
  process.exit(2);
};
eachArg(process.argv.slice(2), usage, (arg, value) => {
  if (arg === '--impl') opts.impl = value();
  else if (arg === '--iterations') opts.iterations = Number(value());
  else if (arg === '--port') opts.port = Number(value());
  else if (arg === '--self-connect') opts.selfConnect = true;
  else usage(`unknown argument ${arg}`);
});
killAllOnExit();

/** 'open', or the connect error's code. */
function probe(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: HOST, port });
    s.once('connect', () => {
      const self = s.localPort === port;
      s.destroy();
      resolve(self ? 'self' : 'open');
    });
    s.once('error', (e) => resolve(e.code));
  });
}

/** Starts the Sentinel on port (both families, as the default `bind * -::*`, but loopback only); its output is kept. */
function start(port, dir) {
  const conf = path.join(dir, 'sentinel.conf');
  fs.writeFileSync(conf, `port ${port}\nbind ${HOST} -::1\n`);
  const [command, args] = opts.impl === 'ts' ? [process.execPath, [TS_CLI, conf]] : [REDIS_SENTINEL, [conf]];
  const child = startChild(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** Resolves true once the port accepts, false when the process exited first. */
async function ready(proc, port) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const r = await Promise.race([probe(port), proc.exited.then(() => 'exited')]);
    if (r === 'open') return true;
    if (r === 'exited') return false;
    await sleep(5);
  }
  return false;
}

async function restartLoop() {
  const port = opts.port ?? (await freePort());
  const dir = tempDir('restart-bind');
  const t0 = Date.now();
  let failures = 0;
  let done = 0;
  let current = start(port, dir);
  if (!(await ready(current, port))) throw new Error(`first start failed:\n${current.output()}`);
  while (done < opts.iterations && Date.now() - t0 < DEADLINE_MS) {
    const old = current;
    process.kill(old.child.pid, 'SIGTERM');
    process.kill(old.child.pid, 'SIGCONT');
    while ((await probe(port)) !== 'ECONNREFUSED') { /* still listening */ }
    current = start(port, dir);
    done += 1;
    if (!(await ready(current, port))) {
      failures += 1;
      console.log(`start ${done} did not bind:\n${current.output().trim()}`);
      await old.exited;
      current = start(port, dir);
      if (!(await ready(current, port))) throw new Error('could not start again');
    }
    await old.exited;
  }
  current.child.kill('SIGKILL');
  console.log(`impl=${opts.impl} port=${port} restarts=${done} bindFailures=${failures} seconds=${((Date.now() - t0) / 1000).toFixed(1)}`);
}

async function selfConnect() {
  const [low, high] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  // An even port: Linux gives connect() the even ones of its range first.
  const port = opts.port ?? 2 * Math.floor((low + Math.floor(Math.random() * (high - low))) / 2);
  const t0 = Date.now();
  let attempts = 0;
  for (;;) {
    if (Date.now() - t0 > SELF_CONNECT_SEARCH_MS) {
      console.log(`no self-connect on port ${port} after ${attempts} connects`);
      return;
    }
    attempts += 1;
    const r = await probe(port);
    if (r === 'self') break;
    if (r === 'open') throw new Error(`something listens on ${port}: pick another --port`);
  }
  console.log(`connect ${attempts} to ${HOST}:${port} was given source port ${port} and connected to itself (${Date.now() - t0} ms)`);
  console.log(`next connect: ${await probe(port)}`);
  const proc = start(port, tempDir('self-connect'));
  const bound = await ready(proc, port);
  console.log(`${opts.impl} sentinel on ${port}: ${bound ? 'bound' : 'did not bind'}\n${proc.output().trim()}`);
  proc.child.kill('SIGKILL');
}

await (opts.selfConnect ? selfConnect() : restartLoop());
process.exit(0);
