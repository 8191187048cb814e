import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';
import { RawClient, textOf, parseInfo } from './resp.js';
import { sleep, withTimeout } from './wait.js';

/**
 * Real processes for integration tests: redis-server, redis-sentinel and
 * tssentinel, each in a fresh temp dir with its config file and a log file
 * holding its stdout and stderr. Every process started here is recorded, and
 * stopAll() (in afterAll) plus a process 'exit' hook kill what is left, by
 * PID only.
 */

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const REDIS_SERVER_BIN = process.env['REDIS_SERVER_BIN'] ?? '/usr/bin/redis-server';
export const REDIS_SENTINEL_BIN = process.env['REDIS_SENTINEL_BIN'] ?? '/usr/bin/redis-sentinel';
export const TS_CLI_PATH = path.join(REPO_ROOT, 'dist', 'cli.js');
/** TS_SENTINEL_BIN=real: the "ts" side is a real redis-sentinel (self-check of the harness). */
export const TS_SIDE_IS_REAL = process.env['TS_SENTINEL_BIN'] === 'real';

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const PORT_TRIES = 5;
const LOG_TAIL_LINES = 40;

export type ProcKind = 'redis' | 'real-sentinel' | 'ts-sentinel';

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ProcHandle {
  readonly kind: ProcKind;
  /** Changes on restart(). */
  readonly pid: number;
  readonly port: number;
  readonly confPath: string;
  readonly dir: string;
  readonly logPath: string;
  /** True once the current process has exited. */
  readonly exited: boolean;
  /** Signals the process (SIGTERM by default) and waits for it to exit (SIGKILL after a deadline). */
  stop(signal?: NodeJS.Signals): Promise<ExitInfo>;
  kill9(): Promise<ExitInfo>;
  /** Stops the process if it runs, then starts it again: same command, same (possibly rewritten) config, same port. */
  restart(): Promise<void>;
  /** Last lines of the log file. */
  logTail(lines?: number): string;
  /** Resolves when the current process exits. */
  waitExit(timeoutMs?: number): Promise<ExitInfo>;
}

export interface RedisOptions {
  port?: number;
  replicaOf?: { host: string; port: number };
  /** More config lines or `--name value` pairs, e.g. ['--replica-priority', '10']. */
  extraArgs?: readonly string[];
  /** Run as this uid (and gid), its dir chowned to it: lets iptables `-m owner` tell processes apart on loopback. */
  uid?: number;
}

export interface SentinelOptions {
  port?: number;
  env?: NodeJS.ProcessEnv;
  /** AUTH arguments for the readiness check, for a sentinel with requirepass or a password-protected default user. */
  auth?: readonly string[];
  /** As RedisOptions.uid. */
  uid?: number;
}

// ---------------------------------------------------------------------------
// Registry

const live = new Set<Proc>();
/** PIDs of runTsSentinelToExit children still running. */
const oneShots = new Set<number>();
const dirs = new Set<string>();
let exitHookInstalled = false;

function register(proc: Proc): void {
  live.add(proc);
  installExitHook();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Safety net when afterAll did not run (crash, timeout): 'exit' handlers
  // must be synchronous, so this is a plain SIGKILL by PID.
  process.on('exit', () => {
    for (const p of live) p.killSync();
    for (const pid of oneShots) killQuietly(pid);
  });
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * Stops every process started by this module that is still running
 * (SIGTERM, then SIGKILL after a deadline) and removes the temp dirs unless
 * TSS_KEEP_TMP=1. Call it in afterAll.
 */
export async function stopAll(): Promise<void> {
  const procs = [...live];
  await Promise.all(procs.map((p) => p.stop('SIGTERM').catch(() => undefined)));
  for (const pid of oneShots) killQuietly(pid);
  if (process.env['TSS_KEEP_TMP'] === '1') return;
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

function makeTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tss-${prefix}-`));
  dirs.add(dir);
  return dir;
}

// ---------------------------------------------------------------------------
// One process

interface Launch {
  readonly kind: ProcKind;
  readonly command: string;
  readonly args: (port: number) => string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Sent as AUTH before the readiness PING. */
  readonly auth?: readonly string[];
  readonly uid?: number;
}

class Proc implements ProcHandle {
  private child: ChildProcess | undefined;
  private exitInfo: ExitInfo | undefined;
  private exitPromise: Promise<ExitInfo> = Promise.resolve({ code: null, signal: null });

  constructor(
    private readonly launch: Launch,
    public port: number,
    readonly confPath: string,
    readonly dir: string,
    readonly logPath: string,
  ) {}

  get kind(): ProcKind {
    return this.launch.kind;
  }
  get pid(): number {
    return this.child?.pid ?? -1;
  }
  get exited(): boolean {
    return this.exitInfo !== undefined;
  }

  /** Spawns and waits until the port answers PING from this very process. */
  async start(): Promise<void> {
    const logFd = fs.openSync(this.logPath, 'a');
    fs.writeSync(logFd, `\n=== ${new Date().toISOString()} start ${this.launch.command} ${this.launch.args(this.port).join(' ')}\n`);
    let child: ChildProcess;
    const uid = this.launch.uid;
    if (uid !== undefined) {
      for (const f of [this.dir, ...fs.readdirSync(this.dir).map((n) => path.join(this.dir, n))]) fs.chownSync(f, uid, uid);
    }
    try {
      child = spawn(this.launch.command, this.launch.args(this.port), {
        ...(uid === undefined ? {} : { uid, gid: uid }),
        cwd: this.dir,
        env: { ...process.env, ...this.launch.env },
        stdio: ['ignore', logFd, logFd],
      });
    } finally {
      fs.closeSync(logFd);
    }
    this.child = child;
    this.exitInfo = undefined;
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        live.delete(this);
        resolve(this.exitInfo);
      });
      child.once('error', (err) => {
        fs.appendFileSync(this.logPath, `spawn error: ${err.message}\n`);
        this.exitInfo = { code: null, signal: null };
        live.delete(this);
        resolve(this.exitInfo);
      });
    });
    register(this);
    await this.waitReady();
  }

  private async waitReady(): Promise<void> {
    const deadlineMs = Date.now() + START_TIMEOUT_MS;
    let lastError = 'no attempt';
    while (Date.now() < deadlineMs) {
      if (this.exitInfo) {
        throw new StartError(this, `exited during start (code ${this.exitInfo.code}, signal ${this.exitInfo.signal})`);
      }
      const answer = await pingOwnProcess(this.port, this.pid, this.launch.auth).catch((err: Error) => err.message);
      if (answer === true && !this.exitInfo) return;
      if (typeof answer === 'string') lastError = answer;
      await sleep(50);
    }
    await this.stop('SIGKILL');
    throw new StartError(this, `port ${this.port} did not answer PING within ${START_TIMEOUT_MS} ms (${lastError})`);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<ExitInfo> {
    const child = this.child;
    if (!child || this.exitInfo) return this.exitInfo ?? { code: null, signal: null };
    child.kill(signal);
    try {
      return await withTimeout(this.exitPromise, STOP_TIMEOUT_MS, `${this.kind} pid ${this.pid} to exit on ${signal}`);
    } catch {
      child.kill('SIGKILL');
      return withTimeout(this.exitPromise, STOP_TIMEOUT_MS, `${this.kind} pid ${this.pid} to exit on SIGKILL`);
    }
  }

  kill9(): Promise<ExitInfo> {
    return this.stop('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop('SIGTERM');
    await this.start();
  }

  waitExit(timeoutMs = STOP_TIMEOUT_MS): Promise<ExitInfo> {
    return withTimeout(this.exitPromise, timeoutMs, `${this.kind} pid ${this.pid} to exit`);
  }

  killSync(): void {
    if (this.child && !this.exitInfo && this.child.pid !== undefined) killQuietly(this.child.pid);
  }

  logTail(lines = LOG_TAIL_LINES): string {
    try {
      return fs.readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

export class StartError extends Error {
  override readonly name = 'StartError';
  readonly kind: ProcKind;
  readonly port: number;
  readonly logPath: string;
  constructor(proc: ProcHandle, reason: string) {
    super(`${proc.kind} on port ${proc.port} ${reason}\n--- ${proc.logPath} (tail) ---\n${proc.logTail()}`);
    this.kind = proc.kind;
    this.port = proc.port;
    this.logPath = proc.logPath;
  }
}

/**
 * Like Promise.all for starters, but waits until every start has settled
 * before rethrowing the first failure: a start left running in the
 * background would race with stopAll() in afterAll.
 */
export async function startAll<const P extends readonly Promise<unknown>[]>(
  starts: P,
): Promise<{ -readonly [K in keyof P]: Awaited<P[K]> }> {
  const results = await Promise.allSettled(starts);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof P]: Awaited<P[K]> };
}

/**
 * PING answered with +PONG, and when INFO server tells a process_id, it is
 * ours: another test's server that grabbed the same port must not pass for
 * the one we started.
 */
async function pingOwnProcess(port: number, pid: number, auth?: readonly string[]): Promise<true | string> {
  const client = await RawClient.connect(port, { timeoutMs: 1_000 });
  try {
    if (auth !== undefined) {
      const ok = await client.call('AUTH', ...auth);
      if (ok.type !== 'simple') return `AUTH replied ${JSON.stringify(ok)}`;
    }
    const pong = await client.call('PING');
    if (pong.type !== 'simple' || pong.value !== 'PONG') return `PING replied ${JSON.stringify(pong)}`;
    const info = await client.call('INFO', 'server');
    if (info.type !== 'bulk' && info.type !== 'verbatim') return true;
    const server = parseInfo(textOf(info)).find((s) => s.name === 'Server');
    const reported = server?.fields.find(([k]) => k === 'process_id')?.[1];
    if (reported !== undefined && Number(reported) !== pid) return `port ${port} is served by pid ${reported}, not ${pid}`;
    return true;
  } finally {
    await client.close();
  }
}

/**
 * Creates the process on the given port, or on free ports retried a few
 * times: a port found free may be taken by another test before the bind.
 */
async function startOnPort(
  fixedPort: number | undefined,
  make: (port: number) => Proc,
): Promise<ProcHandle> {
  const tries = fixedPort === undefined ? PORT_TRIES : 1;
  let lastError: unknown;
  for (let i = 0; i < tries; i++) {
    const port = fixedPort ?? (await freePort());
    const proc = make(port);
    try {
      await proc.start();
      return proc;
    } catch (err) {
      lastError = err;
      await proc.stop('SIGKILL').catch(() => undefined);
      if (!/in use|EADDRINUSE|is served by pid/i.test(proc.logTail() + String(err))) break;
    }
  }
  if (lastError instanceof Error) console.error(lastError.message);
  throw lastError;
}

// ---------------------------------------------------------------------------
// Starters

/**
 * redis-server on 127.0.0.1 with no persistence. Everything is in its config
 * file (not on the command line) so that restart() honours what the server
 * rewrote there, e.g. a `replicaof` set by a failover's CONFIG REWRITE.
 */
export async function startRedis(options: RedisOptions = {}): Promise<ProcHandle> {
  const dir = makeTempDir('redis');
  const confPath = path.join(dir, 'redis.conf');
  const logPath = path.join(dir, 'redis.log');
  return startOnPort(options.port, (port) => {
    const lines = [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      'save ""',
      'appendonly no',
      'daemonize no',
      'logfile ""',
    ];
    if (options.replicaOf) lines.push(`replicaof ${options.replicaOf.host} ${options.replicaOf.port}`);
    lines.push(...argsToConfLines(options.extraArgs ?? []));
    fs.writeFileSync(confPath, `${lines.join('\n')}\n`);
    return new Proc({ kind: 'redis', command: REDIS_SERVER_BIN, args: () => [confPath], uid: options.uid }, port, confPath, dir, logPath);
  });
}

/** ['--a', 'b c', '--d', 'e'] → ['a "b c"', 'd e']; plain config lines pass as they are. */
function argsToConfLines(args: readonly string[]): string[] {
  const lines: string[] = [];
  let current: string[] | undefined;
  for (const arg of args) {
    if (arg.startsWith('--')) {
      if (current) lines.push(current.join(' '));
      current = [arg.slice(2)];
    } else if (current) {
      current.push(arg === '' || /\s/.test(arg) ? JSON.stringify(arg) : arg);
    } else {
      lines.push(arg);
    }
  }
  if (current) lines.push(current.join(' '));
  return lines;
}

/** The sentinel config as given, plus `bind 127.0.0.1` unless it binds already. */
function sentinelConfText(confText: string): string {
  const text = confText.endsWith('\n') ? confText : `${confText}\n`;
  return /^\s*bind\s/m.test(text) ? text : `bind 127.0.0.1\n${text}`;
}

function startSentinel(
  kind: ProcKind,
  command: string,
  argsAfterConf: (confPath: string, port: number) => string[],
  confText: string,
  options: SentinelOptions,
): Promise<ProcHandle> {
  const dir = makeTempDir(kind);
  const confPath = path.join(dir, 'sentinel.conf');
  const logPath = path.join(dir, 'sentinel.log');
  return startOnPort(options.port, (port) => {
    // Written again on each port try: the sentinel rewrites it after start.
    fs.writeFileSync(confPath, sentinelConfText(confText));
    return new Proc(
      { kind, command, args: (p) => argsAfterConf(confPath, p), env: options.env, auth: options.auth, uid: options.uid },
      port,
      confPath,
      dir,
      logPath,
    );
  });
}

/** redis-sentinel <conf> --port N. */
export function startRealSentinel(confText: string, options: SentinelOptions = {}): Promise<ProcHandle> {
  return startSentinel('real-sentinel', REDIS_SENTINEL_BIN, (conf, port) => [conf, '--port', String(port)], confText, options);
}

/**
 * node dist/cli.js <conf> --port N (the "ts" side). With TS_SENTINEL_BIN=real
 * it is a real redis-sentinel instead, to check the harness itself.
 */
export async function startTsSentinel(confText: string, options: SentinelOptions = {}): Promise<ProcHandle> {
  const { command, args } = tsSentinelCommand();
  return startSentinel(
    TS_SIDE_IS_REAL ? 'real-sentinel' : 'ts-sentinel',
    command,
    (conf, port) => [...args, conf, '--port', String(port)],
    confText,
    options,
  );
}

/** What runs as "tssentinel": node + dist/cli.js, or redis-sentinel under TS_SENTINEL_BIN=real. */
export function tsSentinelCommand(): { command: string; args: string[] } {
  if (TS_SIDE_IS_REAL) return { command: REDIS_SENTINEL_BIN, args: [] };
  if (!fs.existsSync(TS_CLI_PATH)) {
    throw new Error(`${TS_CLI_PATH} not found: run \`npm run build\` first (or TS_SENTINEL_BIN=real to check the harness)`);
  }
  return { command: process.execPath, args: [TS_CLI_PATH] };
}

export interface RunResult extends ExitInfo {
  /** stdout and stderr, interleaved as written. */
  readonly output: string;
}

/**
 * Runs tssentinel (or the real one under TS_SENTINEL_BIN=real) to its exit,
 * for start-up failures: bad or missing config. Killed after timeoutMs (the
 * result then has signal SIGKILL). uid/gid run it as another user, e.g. to
 * make a root-owned config unwritable for it.
 */
export async function runTsSentinelToExit(
  args: readonly string[],
  options: { timeoutMs?: number; cwd?: string; uid?: number; gid?: number } = {},
): Promise<RunResult> {
  const { command, args: prefix } = tsSentinelCommand();
  const child = spawn(command, [...prefix, ...args], {
    cwd: options.cwd ?? os.tmpdir(),
    stdio: ['ignore', 'pipe', 'pipe'],
    uid: options.uid,
    gid: options.gid,
  });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => chunks.push(c));
  child.stderr?.on('data', (c: Buffer) => chunks.push(c));
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  if (child.pid !== undefined) oneShots.add(child.pid);
  void exited.then(() => child.pid !== undefined && oneShots.delete(child.pid));
  installExitHook();
  const timeoutMs = options.timeoutMs ?? 10_000;
  let info: ExitInfo;
  try {
    info = await withTimeout(exited, timeoutMs, `${command} ${args.join(' ')} to exit`);
  } catch {
    child.kill('SIGKILL');
    info = await withTimeout(exited, STOP_TIMEOUT_MS, 'SIGKILL');
  }
  // Let the pipes drain what was written before the exit.
  await new Promise<void>((resolve) => {
    if (!child.stdout || child.stdout.readableEnded) return resolve();
    child.stdout.once('close', () => resolve());
    setTimeout(resolve, 500).unref();
  });
  return { ...info, output: Buffer.concat(chunks).toString('utf8') };
}

/** A temp dir recorded for cleanup by stopAll(), for files a test writes itself. */
export function tempDir(prefix = 'test'): string {
  return makeTempDir(prefix);
}

/** Whether a process with this pid exists (signal 0). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
