import fs from 'node:fs';
import path from 'node:path';
import { ChildProc, DemoStoppingError, type ChildSpec, type ProcessGroup } from './child.js';
import { HOST, pingOwnProcess } from './client.js';
import { freePort } from './ports.js';

/**
 * The demo's topology: one redis-server master, two replicas and three
 * tssentinels (quorum 2), each in its own directory under the demo's temp
 * dir, on free loopback ports.
 */

export const MASTER_NAME = 'mymaster';
export const QUORUM = 2;
export const DOWN_AFTER_MS = 1_000;
export const FAILOVER_TIMEOUT_MS = 10_000;
export const REPLICA_COUNT = 2;
export const SENTINEL_COUNT = 3;

const START_TIMEOUT_MS = 15_000;
const PORT_TRIES = 5;
const READY_POLL_MS = 50;

export interface DemoNode {
  /** r1, r2, r3 for Redis; s1, s2, s3 for Sentinels. */
  readonly name: string;
  readonly port: number;
  /** 127.0.0.1:port, as Sentinels report addresses. */
  readonly addr: string;
  readonly proc: ChildProc;
  readonly confPath: string;
}

export interface TopologyOptions {
  readonly dir: string;
  readonly group: ProcessGroup;
  readonly redisServerBin: string;
  /** dist/cli.js of this very build: the Sentinels run `node <cliPath> <conf>`. */
  readonly cliPath: string;
}

export interface Topology {
  /** r1 (the first master), then the replicas. */
  readonly redis: readonly DemoNode[];
  readonly sentinels: readonly DemoNode[];
}

export async function startTopology(opts: TopologyOptions): Promise<Topology> {
  const master = await startNode(opts, 'r1', (port, dir) => redisSpec(opts, port, dir, undefined));
  const replicas = await settleAll(
    Array.from({ length: REPLICA_COUNT }, (_, i) =>
      startNode(opts, `r${i + 2}`, (port, dir) => redisSpec(opts, port, dir, master.port)),
    ),
  );
  const sentinels = await settleAll(
    Array.from({ length: SENTINEL_COUNT }, (_, i) =>
      startNode(opts, `s${i + 1}`, (port, dir) => sentinelSpec(opts, port, dir, master.port)),
    ),
  );
  return { redis: [master, ...replicas], sentinels };
}

/** Restarts a stopped node with the same command, config and port. */
export async function restartNode(node: DemoNode): Promise<number> {
  const pid = node.proc.spawn();
  await waitReady(node.proc, node.port, pid);
  return pid;
}

/** Promise.all that lets every start settle before rethrowing the first failure. */
async function settleAll<T>(starts: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(starts);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

interface Made {
  readonly spec: ChildSpec;
  readonly confPath: string;
}

/**
 * Starts a node on a free port; retried on another port when the bind
 * failed (a port found free may be taken by someone else before the bind).
 */
async function startNode(
  opts: TopologyOptions,
  name: string,
  make: (port: number, dir: string) => Made,
): Promise<DemoNode> {
  const dir = path.join(opts.dir, name);
  fs.mkdirSync(dir, { recursive: true });
  let lastError: unknown;
  for (let i = 0; i < PORT_TRIES; i++) {
    const port = await freePort();
    const made = make(port, dir);
    const proc = opts.group.add(made.spec);
    try {
      await waitReady(proc, port, proc.spawn());
      return { name, port, addr: `${HOST}:${port}`, proc, confPath: made.confPath };
    } catch (err) {
      lastError = err;
      await proc.stop();
      if (err instanceof DemoStoppingError || !/in use|EADDRINUSE|is served by pid/i.test(proc.logTail() + String(err))) break;
    }
  }
  throw lastError;
}

async function waitReady(proc: ChildProc, port: number, pid: number): Promise<void> {
  const deadlineMs = Date.now() + START_TIMEOUT_MS;
  let lastError = 'no attempt';
  while (Date.now() < deadlineMs) {
    if (!proc.running) throw new NodeStartError(proc, port, 'exited during start');
    const answer = await pingOwnProcess(port, pid);
    if (answer === true && proc.running) return;
    if (typeof answer === 'string') lastError = answer;
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  throw new NodeStartError(proc, port, `did not answer PING within ${START_TIMEOUT_MS} ms (${lastError})`);
}

export class NodeStartError extends Error {
  override readonly name = 'NodeStartError';
  constructor(proc: ChildProc, port: number, reason: string) {
    super(`${proc.spec.name} on port ${port} ${reason}\n--- ${proc.spec.logPath} (tail) ---\n${proc.logTail()}`);
  }
}

/**
 * Everything in a config file, not on the command line, so that a restart
 * honours what the server rewrote there (CONFIG REWRITE during a failover).
 * No diskless-sync delay: replicas are in sync within a second.
 */
function redisSpec(opts: TopologyOptions, port: number, dir: string, masterPort: number | undefined): Made {
  const confPath = path.join(dir, 'redis.conf');
  const lines = [
    `port ${port}`,
    `bind ${HOST}`,
    `dir ${dir}`,
    'save ""',
    'appendonly no',
    'daemonize no',
    'logfile ""',
    'repl-diskless-sync-delay 0',
  ];
  if (masterPort !== undefined) lines.push(`replicaof ${HOST} ${masterPort}`);
  fs.writeFileSync(confPath, `${lines.join('\n')}\n`);
  const spec = { name: path.basename(dir), command: opts.redisServerBin, args: [confPath], cwd: dir, logPath: path.join(dir, 'redis.log') };
  return { spec, confPath };
}

function sentinelSpec(opts: TopologyOptions, port: number, dir: string, masterPort: number): Made {
  const confPath = path.join(dir, 'sentinel.conf');
  const lines = [
    `port ${port}`,
    `bind ${HOST}`,
    `dir ${dir}`,
    `sentinel monitor ${MASTER_NAME} ${HOST} ${masterPort} ${QUORUM}`,
    `sentinel down-after-milliseconds ${MASTER_NAME} ${DOWN_AFTER_MS}`,
    `sentinel failover-timeout ${MASTER_NAME} ${FAILOVER_TIMEOUT_MS}`,
  ];
  // Written again on each port try: the Sentinel rewrites it once started.
  fs.writeFileSync(confPath, `${lines.join('\n')}\n`);
  const spec = {
    name: path.basename(dir),
    command: process.execPath,
    args: [opts.cliPath, confPath],
    cwd: dir,
    logPath: path.join(dir, 'sentinel.log'),
  };
  return { spec, confPath };
}
