import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

/**
 * The demo's child processes (redis-server, tssentinel), each with its
 * stdout and stderr in a log file. Every PID ever spawned is recorded and
 * every process is stopped by its PID only: SIGTERM, then SIGKILL after a
 * grace period; a synchronous SIGKILL sweep covers a crash of the demo.
 */

const STOP_GRACE_MS = 5_000;
const LOG_TAIL_LINES = 20;

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ChildSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly logPath: string;
}

export class ChildProc {
  private child: ChildProcess | undefined;
  private exitInfo: ExitInfo | undefined;
  private exitPromise: Promise<ExitInfo> = Promise.resolve({ code: null, signal: null });

  constructor(
    readonly spec: ChildSpec,
    private readonly group: ProcessGroup,
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }

  /** PID of the running process; undefined once it exited. */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /**
   * Starts the process (again, after an exit). Detached: a terminal Ctrl-C
   * reaches only the demo, which then stops its children in order.
   */
  spawn(): number {
    if (this.running) throw new Error(`${this.spec.name} is already running`);
    this.group.assertOpen();
    assertExecutable(this.spec.command);
    const logFd = fs.openSync(this.spec.logPath, 'a');
    let child: ChildProcess;
    try {
      fs.writeSync(logFd, `\n=== ${new Date().toISOString()} ${this.spec.command} ${this.spec.args.join(' ')}\n`);
      child = spawn(this.spec.command, [...this.spec.args], {
        cwd: this.spec.cwd,
        stdio: ['ignore', logFd, logFd],
        detached: true,
      });
    } finally {
      fs.closeSync(logFd);
    }
    this.track(child);
    if (child.pid === undefined) throw new Error(`could not start ${this.spec.command} for ${this.spec.name}`);
    this.group.recordPid(child.pid);
    return child.pid;
  }

  private track(child: ChildProcess): void {
    this.child = child;
    this.exitInfo = undefined;
    this.exitPromise = new Promise((resolve) => {
      const done = (info: ExitInfo) => {
        if (this.child === child) this.exitInfo = info;
        resolve(info);
      };
      child.once('exit', (code, signal) => done({ code, signal }));
      child.once('error', (err) => {
        fs.appendFileSync(this.spec.logPath, `spawn error: ${err.message}\n`);
        done({ code: null, signal: null });
      });
    });
  }

  /** Sends a signal to the running process; false when there is none. */
  signal(signal: NodeJS.Signals): boolean {
    const pid = this.pid;
    if (pid === undefined) return false;
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited after the grace period. */
  async stop(): Promise<ExitInfo> {
    if (!this.running) return this.exitInfo ?? { code: null, signal: null };
    this.signal('SIGTERM');
    const graceful = await this.waitExit(STOP_GRACE_MS);
    if (graceful) return graceful;
    this.signal('SIGKILL');
    return (await this.waitExit(STOP_GRACE_MS)) ?? { code: null, signal: null };
  }

  /** The exit, or undefined if the process still runs after timeoutMs. */
  async waitExit(timeoutMs: number): Promise<ExitInfo | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      return await Promise.race([this.exitPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** For the process 'exit' hook, which must be synchronous. */
  killSync(): void {
    this.signal('SIGKILL');
  }

  logTail(lines = LOG_TAIL_LINES): string {
    try {
      return fs.readFileSync(this.spec.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

/** Owns every child of the demo; once closed, nothing new is spawned. */
export class ProcessGroup {
  private readonly procs: ChildProc[] = [];
  private readonly spawnedPids: number[] = [];
  private closed = false;

  add(spec: ChildSpec): ChildProc {
    this.assertOpen();
    const proc = new ChildProc(spec, this);
    this.procs.push(proc);
    return proc;
  }

  assertOpen(): void {
    if (this.closed) throw new DemoStoppingError();
  }

  recordPid(pid: number): void {
    this.spawnedPids.push(pid);
  }

  /** Every PID spawned so far, including processes that exited. */
  get pids(): readonly number[] {
    return this.spawnedPids;
  }

  /** Stops every running child, all at once, each by its PID. */
  async stopAll(): Promise<void> {
    this.closed = true;
    await Promise.all(this.procs.map((p) => p.stop()));
  }

  killAllSync(): void {
    this.closed = true;
    for (const p of this.procs) p.killSync();
  }
}

/** spawn() reports a missing binary only later, as an 'error' event: say it plainly, now. */
function assertExecutable(command: string): void {
  try {
    fs.accessSync(command, fs.constants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new Error(`cannot run ${command} (${code}); install redis-server or pass --redis-server <path>`);
  }
}

/** A start interrupted because the demo is shutting down. */
export class DemoStoppingError extends Error {
  override readonly name = 'DemoStoppingError';
  constructor() {
    super('the demo is stopping');
  }
}
