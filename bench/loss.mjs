#!/usr/bin/env node
/**
 * Lost acknowledged writes across a planned switch (issue 12), and the
 * two-master window of an old master that comes back.
 *
 * Scenario "switch" (default). Each run starts a fresh topology: a master,
 * two replicas, three Sentinels of one implementation (down-after 1000,
 * failover-timeout 10000, quorum 2), waits until the Sentinels see the
 * replicas synced, then:
 *   - a writer sends acknowledged `INCR w:<i>` (i = 1, 2, ... one key per
 *     attempt, so that a lost write is exact) in a tight sequential loop
 *     through the Sentinel-discovered master: ioredis (`--client ioredis`,
 *     default) or redis-py (`--client redis-py`, bench/loss_writer.py);
 *   - after 1 s, `SENTINEL FAILOVER mymaster` (mode plain) or
 *     `SENTINEL FAILOVER mymaster COORDINATED` (mode coord, tssentinel only)
 *     is sent to Sentinel #0;
 *   - ROLE of the three data nodes is polled every 10 ms: `twoMasterMs` is
 *     how long the promoted replica and the old master both answered
 *     role:master (the window in which acknowledged writes are lost);
 *   - once the old master is a replica and the writer has written for 1 s
 *     on the new master, the writer stops; every acknowledged i must be on
 *     the new master (MGET): `lost` counts those that are not. `pauseMs` is
 *     the longest gap between two acknowledged writes.
 * Modes: plain-ts, coord-ts, plain-real (redis-sentinel), interleaved.
 *
 * Scenario "sigstop" (--scenario sigstop): SIGSTOP of the master, automatic
 * failover, +switch-master on every Sentinel, then SIGCONT: `twoMasterMs` is
 * the time from SIGCONT until the old master answers role:slave. Modes
 * ts, real.
 *
 * Usage (after `npm run build`):
 *   node bench/loss.mjs [--runs 5] [--scenario switch|sigstop] [--modes plain-ts,coord-ts,plain-real]
 *                       [--client ioredis|redis-py] [--out bench/results]
 * Prints a markdown table, writes bench/results/loss-<scenario>-<client>-<date>.json and .md.
 * Every process it starts is killed by PID, also on Ctrl-C.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import {
  CONVERGE_TIMEOUT_MS,
  HOST,
  REPO_ROOT,
  Resp,
  TS_CLI,
  call,
  children,
  fields,
  eachArg,
  killAllOnExit,
  killAllSync,
  mymasterSentinelLines,
  sleep,
  startTopology,
  teardown,
  waitUntil,
} from './lib/harness.mjs';

const PYTHON = process.env.PYTHON_BIN ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

const DOWN_AFTER_MS = 1_000;
const FAILOVER_TIMEOUT_MS = 10_000;
const QUORUM = 2;
const WARMUP_MS = 1_000;
const AFTER_SWITCH_WRITE_MS = 1_000;
/** redis-sentinel converts a stale master after ~8-10 s: wait long enough to see it. */
const DEMOTE_TIMEOUT_MS = 40_000;
const ROLE_POLL_MS = 10;

const sentinelLines = mymasterSentinelLines({ quorum: QUORUM, downAfterMs: DOWN_AFTER_MS, failoverTimeoutMs: FAILOVER_TIMEOUT_MS });

killAllOnExit();

function parseArgs(argv) {
  const opts = { runs: 5, scenario: 'switch', modes: undefined, client: 'ioredis', out: path.join(REPO_ROOT, 'bench', 'results') };
  eachArg(argv, usage, (arg, value) => {
    if (arg === '--runs') opts.runs = Number(value());
    else if (arg === '--scenario') opts.scenario = value();
    else if (arg === '--modes') opts.modes = value().split(',');
    else if (arg === '--client') opts.client = value();
    else if (arg === '--out') opts.out = value();
    else if (arg === '--help' || arg === '-h') usage();
    else usage(`unknown argument ${arg}`);
  });
  if (!Number.isInteger(opts.runs) || opts.runs < 1 || opts.runs > 100) usage('--runs must be 1..100');
  if (!['switch', 'sigstop'].includes(opts.scenario)) usage('--scenario must be switch or sigstop');
  if (!['ioredis', 'redis-py'].includes(opts.client)) usage('--client must be ioredis or redis-py');
  opts.modes ??= opts.scenario === 'switch' ? ['plain-ts', 'coord-ts', 'plain-real'] : ['ts', 'real'];
  return opts;
}

function usage(problem) {
  if (problem) console.error(`loss.mjs: ${problem}`);
  console.error('usage: node bench/loss.mjs [--runs N] [--scenario switch|sigstop] [--modes a,b] [--client ioredis|redis-py] [--out DIR]');
  process.exit(problem ? 2 : 0);
}

// ---------------------------------------------------------------------------
// Writers: acknowledged INCR w:<i> in a tight loop through the Sentinels

function ioredisWriter(sentinels) {
  const client = new Redis({
    sentinels: sentinels.map((s) => ({ host: HOST, port: s.port })),
    name: 'mymaster',
    connectTimeout: 1_000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 20,
    sentinelRetryStrategy: () => 20,
  });
  client.on('error', () => undefined);
  const acked = [];
  let unknown = 0;
  let running = true;
  let lastAckMs;
  let pauseMs = 0;
  let pauseEndMs = 0;
  const loop = (async () => {
    for (let i = 1; running; i++) {
      try {
        await client.incr(`w:${i}`);
        const t = performance.now();
        if (lastAckMs !== undefined && t - lastAckMs > pauseMs) {
          pauseMs = t - lastAckMs;
          pauseEndMs = t;
        }
        lastAckMs = t;
        acked.push(i);
      } catch {
        unknown += 1;
        await sleep(5);
      }
    }
  })();
  return {
    ackCount: () => acked.length,
    async stop() {
      running = false;
      await loop;
      client.disconnect();
      return { acked, unknown, pauseMs, pauseEndMs };
    },
  };
}

function redisPyWriter(sentinels) {
  const child = spawn(PYTHON, [path.join(REPO_ROOT, 'bench', 'loss_writer.py'),
    '--sentinels', sentinels.map((s) => `${HOST}:${s.port}`).join(',')], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.set(child.pid, { child, pid: child.pid, exited: false });
  let pending = '';
  let result;
  let count = 0;
  child.stdout.on('data', (chunk) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const line of lines) {
      if (line.startsWith('count ')) count = Number(line.slice(6));
      else if (line.startsWith('{')) result = JSON.parse(line);
    }
  });
  const exited = new Promise((resolve) => child.once('exit', () => { children.delete(child.pid); resolve(); }));
  return {
    ackCount: () => count,
    async stop() {
      child.stdin.end('stop\n');
      await Promise.race([exited, sleep(20_000)]);
      if (!result) throw new Error('redis-py writer gave no result');
      return result;
    },
  };
}

// ---------------------------------------------------------------------------
// ROLE of every data node every 10 ms

function rolePoller(nodes) {
  const conns = new Map();
  const roleOf = async (port) => {
    let c = conns.get(port);
    try {
      if (!c || c.closed) {
        c = await Resp.connect(port, 200);
        conns.set(port, c);
      }
      const r = await Promise.race([c.call('ROLE'), sleep(200).then(() => undefined)]);
      return Array.isArray(r) ? r[0] : undefined;
    } catch {
      return undefined;
    }
  };
  const seen = { firstMaster: new Map(), firstSlave: new Map(), maxMasters: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const roles = await Promise.all(nodes.map((n) => roleOf(n.port)));
      const t = performance.now();
      roles.forEach((r, i) => {
        const port = nodes[i].port;
        if (r === 'master' && !seen.firstMaster.has(port)) seen.firstMaster.set(port, t);
        if (r === 'slave' && !seen.firstSlave.has(port)) seen.firstSlave.set(port, t);
      });
      seen.maxMasters = Math.max(seen.maxMasters, roles.filter((r) => r === 'master').length);
      seen.last = new Map(roles.map((r, i) => [nodes[i].port, r]));
      await sleep(ROLE_POLL_MS);
    }
  })();
  return {
    seen,
    async stop() {
      running = false;
      await loop;
      for (const c of conns.values()) c.close();
    },
  };
}

async function subscribe(port, channel, onMessage) {
  const c = await Resp.connect(port);
  c.onMessage = onMessage;
  await c.call('SUBSCRIBE', channel);
  return c;
}

async function replicasSyncedFor(sentinel) {
  const list = await call(sentinel.port, 'SENTINEL', 'REPLICAS', 'mymaster');
  return Array.isArray(list) && list.length === 2 && list.every((r) => fields(r)['master-link-status'] === 'ok');
}

// ---------------------------------------------------------------------------
// One run of the switch scenario

async function runSwitch(mode, clientKind) {
  const impl = mode.endsWith('-real') ? 'real' : 'ts';
  const topology = await startTopology(impl, sentinelLines);
  const { master, replicas, sentinels } = topology;
  const clients = [];
  try {
    await waitUntil(() => replicasSyncedFor(sentinels[0]), CONVERGE_TIMEOUT_MS, 'sentinel #0 to see both replicas synced');
    let switchAt;
    clients.push(await subscribe(sentinels[0].port, '+switch-master', () => { switchAt ??= performance.now(); }));
    const writer = clientKind === 'redis-py' ? redisPyWriter(sentinels) : ioredisWriter(sentinels);
    await waitUntil(() => writer.ackCount() > 0, 10_000, 'the writer to get its first acknowledgement');
    await sleep(WARMUP_MS);
    const poller = rolePoller([master, ...replicas]);
    await sleep(50);
    const args = ['SENTINEL', 'FAILOVER', 'mymaster', ...(mode.startsWith('coord') ? ['COORDINATED'] : [])];
    const askedAt = performance.now();
    const reply = await call(sentinels[0].port, ...args);
    if (reply !== 'OK') throw new Error(`${args.join(' ')} replied ${JSON.stringify(reply)}`);
    let promotedPort;
    await waitUntil(() => {
      promotedPort = replicas.find((r) => poller.seen.firstMaster.has(r.port))?.port;
      return promotedPort !== undefined && poller.seen.firstSlave.has(master.port) && switchAt !== undefined;
    }, DEMOTE_TIMEOUT_MS, 'promotion, +switch-master and the old master as a replica', 5);
    const demotedCount = writer.ackCount();
    await sleep(AFTER_SWITCH_WRITE_MS);
    await waitUntil(() => writer.ackCount() > demotedCount, 10_000, 'the writer to write on the new master');
    const result = await writer.stop();
    await poller.stop();
    const promotedAt = poller.seen.firstMaster.get(promotedPort);
    const demotedAt = poller.seen.firstSlave.get(master.port);
    // Every acknowledged write must be on the new master.
    let lost = 0;
    const conn = await Resp.connect(promotedPort);
    clients.push(conn);
    for (let i = 0; i < result.acked.length; i += 1000) {
      const chunk = result.acked.slice(i, i + 1000);
      const values = await conn.call('MGET', ...chunk.map((k) => `w:${k}`));
      lost += values.filter((v) => v === null).length;
    }
    return {
      mode, client: clientKind, acked: result.acked.length, lost, unknown: result.unknown,
      pauseMs: round(result.pauseMs), twoMasterMs: round(Math.max(0, demotedAt - promotedAt)),
      maxMasters: poller.seen.maxMasters, switchMs: round(switchAt - askedAt),
      oldMasterSlaveAfterMs: round(demotedAt - askedAt), promotedAfterMs: round(promotedAt - askedAt),
      pauseEndAfterMs: result.pauseEndMs > 0 ? round(result.pauseEndMs - askedAt) : undefined,
    };
  } finally {
    await teardown(topology, clients);
  }
}

// ---------------------------------------------------------------------------
// One run of the sigstop scenario

async function runSigstop(mode) {
  const topology = await startTopology(mode, sentinelLines);
  const { master, sentinels } = topology;
  const clients = [];
  try {
    const switched = new Set();
    for (const [i, s] of sentinels.entries()) clients.push(await subscribe(s.port, '+switch-master', () => switched.add(i)));
    process.kill(master.pid, 'SIGSTOP');
    try {
      await waitUntil(() => switched.size === 3, 30_000, '+switch-master on every Sentinel', 10);
      await sleep(300);
    } finally {
      process.kill(master.pid, 'SIGCONT');
    }
    const contAt = performance.now();
    let wasMaster = false;
    // A fresh connection per poll: the demotion's CLIENT KILL closes ours.
    await waitUntil(async () => {
      const r = await call(master.port, 'ROLE').catch(() => undefined);
      if (Array.isArray(r) && r[0] === 'master') wasMaster = true;
      return Array.isArray(r) && r[0] === 'slave';
    }, DEMOTE_TIMEOUT_MS, 'the old master to answer role:slave', 5);
    return { mode, twoMasterMs: round(performance.now() - contAt), answeredMasterAfterCont: wasMaster };
  } finally {
    await teardown(topology, clients);
  }
}

// ---------------------------------------------------------------------------

const round = (x) => Math.round(x * 10) / 10;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function table(opts, results) {
  const lines = [];
  if (opts.scenario === 'switch') {
    lines.push(`| mode | client | runs ok | lost acked writes (per run) | runs with loss | write pause ms median / max | two-master ms median / max | max masters seen |`);
    lines.push('|---|---|---|---|---|---|---|---|');
    for (const mode of opts.modes) {
      const rs = results.filter((r) => r.mode === mode && r.error === undefined);
      const failed = results.filter((r) => r.mode === mode && r.error !== undefined).length;
      lines.push(`| ${mode} | ${opts.client} | ${rs.length}/${rs.length + failed} | ${rs.map((r) => r.lost).join(', ')} | ` +
        `${rs.filter((r) => r.lost > 0).length} | ${median(rs.map((r) => r.pauseMs))} / ${Math.max(...rs.map((r) => r.pauseMs))} | ` +
        `${median(rs.map((r) => r.twoMasterMs))} / ${Math.max(...rs.map((r) => r.twoMasterMs))} | ${Math.max(...rs.map((r) => r.maxMasters))} |`);
    }
  } else {
    lines.push('| sentinel | runs ok | two-master window after SIGCONT ms (per run) | median |');
    lines.push('|---|---|---|---|');
    for (const mode of opts.modes) {
      const rs = results.filter((r) => r.mode === mode && r.error === undefined);
      lines.push(`| ${mode} | ${rs.length}/${results.filter((r) => r.mode === mode).length} | ${rs.map((r) => r.twoMasterMs).join(', ')} | ${median(rs.map((r) => r.twoMasterMs))} |`);
    }
  }
  return lines.join('\n');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(TS_CLI)) usage(`${TS_CLI} not found: run npm run build first`);
  const results = [];
  for (let run = 0; run < opts.runs; run++) {
    // Interleaved, and rotated each run, so that drift hits every mode alike.
    const order = opts.modes.map((_, i) => opts.modes[(i + run) % opts.modes.length]);
    for (const mode of order) {
      try {
        const r = opts.scenario === 'switch' ? await runSwitch(mode, opts.client) : await runSigstop(mode);
        results.push(r);
        console.error(`run ${run + 1}/${opts.runs} ${JSON.stringify(r)}`);
      } catch (err) {
        results.push({ mode, error: err instanceof Error ? err.message : String(err) });
        console.error(`run ${run + 1}/${opts.runs} ${mode} FAILED: ${err instanceof Error ? err.message : err}`);
      }
    }
  }
  const md = table(opts, results);
  console.log(md);
  fs.mkdirSync(opts.out, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  const base = path.join(opts.out, `loss-${opts.scenario}${opts.scenario === 'switch' ? `-${opts.client}` : ''}-${date}`);
  fs.writeFileSync(`${base}.json`, `${JSON.stringify({ opts: { ...opts, out: undefined }, results }, null, 1)}\n`);
  fs.writeFileSync(`${base}.md`, `${md}\n`);
  killAllSync();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  killAllSync();
  process.exit(1);
});
