#!/usr/bin/env node
/**
 * Failover time, tssentinel against redis-sentinel, side by side.
 *
 * Each run starts a fresh topology (fresh ports and dirs): a master, two
 * replicas and three Sentinels of one implementation, all with
 *   sentinel monitor mymaster 127.0.0.1 <port> 2
 *   sentinel down-after-milliseconds mymaster 1000
 *   sentinel failover-timeout mymaster 60000
 * waits until every Sentinel sees 2 replicas and 2 peers and the replicas are
 * in sync, then kill -9's the master and measures from the kill:
 *   - switchMs: the first `+switch-master` published by any Sentinel
 *     (every Sentinel is subscribed before the kill);
 *   - agreeMs: the first poll (every 10 ms) where all three Sentinels answer
 *     the same new address to SENTINEL GET-MASTER-ADDR-BY-NAME.
 * and, for context, when the first and the quorum-th (2nd) `+sdown` of the
 * master were published and how long from the quorum-th to `+switch-master`:
 * failure detection vs. the failover proper (ODOWN, election, promotion).
 * A run that has not agreed within --timeout-ms (30 s) counts as failed.
 * Runs of the two implementations are interleaved (ts, real, real, ts, ...)
 * so that drift of the machine hits both alike.
 *
 * Usage (after `npm run build`):
 *   node bench/failover.mjs [--runs 10] [--timeout-ms 30000] [--only ts|real] [--out bench/results]
 *
 * Prints a markdown table and writes bench/results/failover-<date>.json and
 * .md. Every process it starts is killed by PID, also on Ctrl-C.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  HOST,
  REDIS_SENTINEL,
  REDIS_SERVER,
  REPO_ROOT,
  Resp,
  TS_CLI,
  eachArg,
  killAllOnExit,
  killAllSync,
  mymasterSentinelLines,
  msSince,
  nowNs,
  sleep,
  startTopology,
  tail,
  teardown,
} from './lib/harness.mjs';

const DOWN_AFTER_MS = 1_000;
const FAILOVER_TIMEOUT_MS = 60_000;
const QUORUM = 2;
const POLL_INTERVAL_MS = 10;

const sentinelLines = mymasterSentinelLines({ quorum: QUORUM, downAfterMs: DOWN_AFTER_MS, failoverTimeoutMs: FAILOVER_TIMEOUT_MS });

killAllOnExit();

// ---------------------------------------------------------------------------
// Command line

function parseArgs(argv) {
  const opts = { runs: 10, timeoutMs: 30_000, only: undefined, out: path.join(REPO_ROOT, 'bench', 'results') };
  eachArg(argv, usage, (arg, value) => {
    if (arg === '--runs') opts.runs = positiveInt(value(), arg);
    else if (arg === '--timeout-ms') opts.timeoutMs = positiveInt(value(), arg);
    else if (arg === '--only') opts.only = oneOf(value(), ['ts', 'real'], arg);
    else if (arg === '--out') opts.out = path.resolve(value());
    else if (arg === '--help' || arg === '-h') usage();
    else usage(`unknown argument ${arg}`);
  });
  return opts;
}

function positiveInt(text, name) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) usage(`${name} must be a positive integer, got ${text}`);
  return n;
}

function oneOf(text, allowed, name) {
  if (!allowed.includes(text)) usage(`${name} must be one of ${allowed.join(', ')}, got ${text}`);
  return text;
}

function usage(problem) {
  if (problem) console.error(`failover.mjs: ${problem}`);
  console.error('usage: node bench/failover.mjs [--runs N] [--timeout-ms MS] [--only ts|real] [--out DIR]');
  process.exit(problem ? 2 : 0);
}

// ---------------------------------------------------------------------------
// One run

/**
 * Kill -9 of the master, then the two clocks. Resolves with the timings, or
 * with { failed } after timeoutMs; the topology is gone either way.
 */
async function runOnce(impl, timeoutMs) {
  const setupNs = nowNs();
  const topology = await startTopology(impl, sentinelLines);
  const setupMs = msSince(setupNs);
  const { master, replicas, sentinels } = topology;
  const clients = [];
  try {
    const subscribers = await Promise.all(sentinels.map((s) => Resp.connect(s.port)));
    const pollers = await Promise.all(sentinels.map((s) => Resp.connect(s.port)));
    clients.push(...subscribers, ...pollers);

    let killNs = 0n;
    const switchMsBySentinel = [null, null, null];
    const sdownMsBySentinel = [null, null, null];
    const odownMsBySentinel = [null, null, null];
    let leader = null;
    let firstSwitch;
    const firstSwitchSeen = new Promise((resolve) => {
      firstSwitch = resolve;
    });
    for (const [i, sub] of subscribers.entries()) {
      for (const channel of ['+switch-master', '+elected-leader', '+sdown', '+odown']) await sub.call('SUBSCRIBE', channel);
      sub.onMessage = ([, channel, message]) => {
        if (killNs === 0n) return;
        if (channel === '+elected-leader') leader ??= i;
        const aboutMaster = String(message).startsWith(`master mymaster ${HOST} ${master.port}`);
        if (channel === '+sdown' && aboutMaster) sdownMsBySentinel[i] ??= round(msSince(killNs));
        if (channel === '+odown' && aboutMaster) odownMsBySentinel[i] ??= round(msSince(killNs));
        if (channel === '+switch-master' && switchMsBySentinel[i] === null) {
          switchMsBySentinel[i] = msSince(killNs);
          firstSwitch();
        }
      };
    }

    const oldAddr = JSON.stringify([HOST, String(master.port)]);
    killNs = nowNs();
    master.child.kill('SIGKILL');
    const deadlineNs = killNs + BigInt(timeoutMs) * 1_000_000n;

    let agreeMs = null;
    let newPort = null;
    let lastAnswers = [];
    while (nowNs() < deadlineNs) {
      const roundNs = nowNs();
      lastAnswers = await Promise.all(
        pollers.map((p) => p.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster').catch((e) => e.message)),
      );
      const texts = lastAnswers.map((a) => JSON.stringify(a));
      if (texts.every((t) => t === texts[0]) && texts[0] !== oldAddr && Array.isArray(lastAnswers[0])) {
        agreeMs = msSince(killNs);
        newPort = Number(lastAnswers[0][1]);
        break;
      }
      const leftMs = POLL_INTERVAL_MS - msSince(roundNs);
      if (leftMs > 0) await sleep(leftMs);
    }
    // +switch-master may trail GET-MASTER-ADDR-BY-NAME by a hair: give it what is left of the deadline.
    const leftMs = Math.max(0, Number(deadlineNs - nowNs()) / 1e6);
    await Promise.race([firstSwitchSeen, sleep(leftMs)]);
    const seen = switchMsBySentinel.filter((v) => v !== null);
    const switchMs = seen.length ? Math.min(...seen) : null;

    if (agreeMs === null || switchMs === null) {
      return {
        impl,
        failed: true,
        reason: agreeMs === null ? `no agreement on a new master within ${timeoutMs} ms` : `no +switch-master within ${timeoutMs} ms`,
        lastAnswers,
        setupMs: round(setupMs),
        sdownMsBySentinel,
        odownMsBySentinel,
        logTails: sentinels.map((s) => tail(s.logPath, 30)),
      };
    }
    if (!replicas.some((r) => r.port === newPort)) {
      return { impl, failed: true, reason: `agreed on ${newPort}, which is not a replica`, lastAnswers };
    }
    const sdowns = sdownMsBySentinel.filter((v) => v !== null).sort((a, b) => a - b);
    const firstSdownMs = sdowns[0] ?? null;
    // ODOWN needs `quorum` Sentinels to see the master down: the quorum-th +sdown.
    const quorumSdownMs = sdowns[QUORUM - 1] ?? null;
    return {
      impl,
      failed: false,
      switchMs: round(switchMs),
      agreeMs: round(agreeMs),
      firstSdownMs,
      quorumSdownMs,
      quorumSdownToSwitchMs: quorumSdownMs === null ? null : round(switchMs - quorumSdownMs),
      switchMsBySentinel: switchMsBySentinel.map((v) => (v === null ? null : round(v))),
      sdownMsBySentinel,
      odownMsBySentinel,
      leader,
      setupMs: round(setupMs),
      newPortIsReplica: true,
    };
  } finally {
    await teardown(topology, clients);
  }
}

const round = (ms) => Math.round(ms * 10) / 10;

// ---------------------------------------------------------------------------
// Statistics and report

function quantile(sorted, q) {
  // Nearest rank: the smallest value with at least q of the sample at or below it.
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1];
}

function median(sorted) {
  const n = sorted.length;
  if (n === 0) return null;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: sorted.length ? round(median(sorted)) : null,
    p90: quantile(sorted, 0.9),
    min: sorted[0] ?? null,
    max: sorted[sorted.length - 1] ?? null,
  };
}

function fmt(v) {
  return v === null || v === undefined ? '–' : `${Math.round(v)}`;
}

const METRICS = {
  switchMs: 'kill → first `+switch-master`',
  agreeMs: 'kill → all 3 answer the new address',
  firstSdownMs: '(context) kill → first `+sdown` of the master',
  quorumSdownMs: '(context) kill → quorum-th (2nd) `+sdown`',
  quorumSdownToSwitchMs: '(context) quorum-th `+sdown` → first `+switch-master`',
};

function markdownTable(stats) {
  const rows = [
    '| metric (ms) | implementation | ok/runs | median | p90 | min | max |',
    '|---|---|---|---|---|---|---|',
  ];
  const names = { ts: 'tssentinel', real: 'redis-sentinel 7.0.15' };
  for (const [metric, label] of Object.entries(METRICS)) {
    for (const impl of ['ts', 'real']) {
      const s = stats[impl]?.[metric];
      if (!s) continue;
      rows.push(`| ${label} | ${names[impl]} | ${s.n}/${stats[impl].runs} | ${fmt(s.median)} | ${fmt(s.p90)} | ${fmt(s.min)} | ${fmt(s.max)} |`);
    }
  }
  const lines = [rows.join('\n'), ''];
  for (const [metric, label] of Object.entries(METRICS)) {
    const ts = stats.ts?.[metric]?.median;
    const real = stats.real?.[metric]?.median;
    if (ts && real) lines.push(`- ratio of medians tssentinel / redis-sentinel, ${label}: **${(ts / real).toFixed(2)}**`);
  }
  return lines.join('\n');
}

function versionOf(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.once('exit', () => resolve(out.trim()));
    child.once('error', () => resolve('unknown'));
  });
}

// ---------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.only !== 'real' && !fs.existsSync(TS_CLI)) usage(`${TS_CLI} not found: run \`npm run build\` first`);
  const impls = opts.only ? [opts.only] : ['ts', 'real'];
  const startedAt = new Date();
  const runs = [];
  for (let i = 0; i < opts.runs; i++) {
    // Alternate which goes first so that neither always runs on a "warm" machine.
    const order = i % 2 === 0 ? impls : [...impls].reverse();
    for (const impl of order) {
      let result;
      try {
        result = await runOnce(impl, opts.timeoutMs);
      } catch (err) {
        result = { impl, failed: true, reason: `setup: ${err instanceof Error ? err.message : String(err)}` };
      }
      result.run = i + 1;
      runs.push(result);
      const what = result.failed
        ? `FAILED: ${result.reason}`
        : `+switch-master ${fmt(result.switchMs)} ms, all agree ${fmt(result.agreeMs)} ms, leader #${result.leader ?? '?'}, ` +
          `first +sdown ${fmt(result.firstSdownMs)} ms (setup ${fmt(result.setupMs)} ms)`;
      console.error(`run ${i + 1}/${opts.runs} ${impl.padEnd(4)} ${what}`);
    }
  }

  const stats = {};
  for (const impl of impls) {
    const ok = runs.filter((r) => r.impl === impl && !r.failed);
    stats[impl] = {
      runs: runs.filter((r) => r.impl === impl).length,
      failed: runs.filter((r) => r.impl === impl && r.failed).length,
      switchMs: summarize(ok.map((r) => r.switchMs)),
      agreeMs: summarize(ok.map((r) => r.agreeMs)),
      firstSdownMs: summarize(ok.map((r) => r.firstSdownMs).filter((v) => v !== null)),
      quorumSdownMs: summarize(ok.map((r) => r.quorumSdownMs).filter((v) => v !== null)),
      quorumSdownToSwitchMs: summarize(ok.map((r) => r.quorumSdownToSwitchMs).filter((v) => v !== null)),
    };
  }
  const ratio = (metric) =>
    stats.ts?.[metric]?.median && stats.real?.[metric]?.median ? Math.round((stats.ts[metric].median / stats.real[metric].median) * 100) / 100 : null;

  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    redisServer: await versionOf(REDIS_SERVER, ['--version']),
    redisSentinel: await versionOf(REDIS_SENTINEL, ['--version']),
  };
  const report = {
    benchmark: 'failover',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine,
    config: {
      downAfterMs: DOWN_AFTER_MS,
      failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
      quorum: QUORUM,
      replicas: 2,
      sentinels: 3,
      pollIntervalMs: POLL_INTERVAL_MS,
      timeoutMs: opts.timeoutMs,
      runsPerImpl: opts.runs,
    },
    stats,
    ratioOfMedians: Object.fromEntries(Object.keys(METRICS).map((m) => [m, ratio(m)])),
    runs,
  };

  const table = markdownTable(stats);
  const date = startedAt.toISOString().slice(0, 10);
  const header =
    `Failover benchmark, ${startedAt.toISOString()} — ${machine.cpus} cores (${machine.cpuModel}), ` +
    `${machine.platform}, node ${machine.node}, ${opts.runs} runs each, interleaved`;
  console.log(`\n${header}\n\n${table}\n`);
  fs.mkdirSync(opts.out, { recursive: true });
  const jsonPath = path.join(opts.out, `failover-${date}.json`);
  fs.writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(opts.out, `failover-${date}.md`), `${header}\n\n${table}\n`);
  console.error(`wrote ${jsonPath}`);
  const failed = runs.filter((r) => r.failed).length;
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((err) => {
  console.error(err);
  killAllSync();
  process.exit(1);
});
