/**
 * notification-script and client-reconfig-script execution, Redis's way: a
 * bounded queue, a limit on concurrent children, a maximum run time, and
 * retries with back-off when a script exits with 1 or dies by a signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { hasEscapes, textToBytes } from '../byteText.js';
import { array, bulk, bulkArray, fieldMap, type Reply } from '../server/reply.js';

export interface ScriptLimits {
  maxQueue: number;
  maxRunning: number;
  maxRuntimeMs: number;
  retryDelayMs: number;
  maxRetries: number;
}

export const DEFAULT_SCRIPT_LIMITS: ScriptLimits = {
  maxQueue: 256,
  maxRunning: 16,
  maxRuntimeMs: 60_000,
  retryDelayMs: 30_000,
  maxRetries: 10,
};

interface Job {
  argv: string[];
  retries: number;
  startAtMs: number;
  child?: ChildProcess;
  startedMs: number;
  killTimer?: NodeJS.Timeout;
}

export type ScriptEventSink = (channel: string, message: string, level: 'warning' | 'debug') => void;

export class ScriptRunner {
  private readonly queue: Job[] = [];
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly emit: ScriptEventSink,
    private readonly limits: ScriptLimits = DEFAULT_SCRIPT_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Queues `path args...`; when the queue is full the oldest job not running is dropped. */
  schedule(path: string, args: readonly string[]): void {
    if (this.stopped) return;
    this.queue.push({ argv: [path, ...args], retries: 0, startAtMs: 0, startedMs: 0 });
    if (this.queue.length > this.limits.maxQueue) {
      const idx = this.queue.findIndex((j) => !j.child);
      if (idx >= 0) this.queue.splice(idx, 1);
      this.emit('-script-queue-full', 'dropped the oldest pending script', 'warning');
    }
    this.runPending();
  }

  get running(): number {
    return this.queue.filter((j) => j.child).length;
  }

  get queued(): number {
    return this.queue.length;
  }

  private runPending(): void {
    const now = this.now();
    for (const job of this.queue) {
      if (this.running >= this.limits.maxRunning) break;
      if (job.child || job.startAtMs > now) continue;
      this.start(job);
    }
    this.scheduleWakeup();
  }

  private start(job: Job): void {
    const [path, ...args] = job.argv;
    job.startedMs = this.now();
    let child: ChildProcess;
    try {
      child = spawnBytes(path!, args);
    } catch (err) {
      this.finish(job, 2, null);
      return;
    }
    job.child = child;
    child.once('error', () => this.finish(job, 2, null));
    child.once('exit', (code, signal) => this.finish(job, code ?? 0, signal));
    job.killTimer = setTimeout(() => {
      this.emit('-script-timeout', `${path} ${child.pid ?? 0}`, 'warning');
      child.kill('SIGKILL');
    }, this.limits.maxRuntimeMs);
    job.killTimer.unref();
    this.emit('+script-child', String(child.pid ?? 0), 'debug');
  }

  private finish(job: Job, exitCode: number, signal: NodeJS.Signals | null): void {
    if (!this.queue.includes(job)) return;
    if (job.killTimer) clearTimeout(job.killTimer);
    const pid = job.child?.pid ?? 0;
    job.child = undefined;
    this.emit('-script-child', `${pid} ${signal ?? 0} ${exitCode}`, 'debug');
    if ((signal !== null || exitCode === 1) && job.retries < this.limits.maxRetries) {
      job.retries += 1;
      job.startAtMs = this.now() + this.limits.retryDelayMs * 2 ** (job.retries - 1);
    } else {
      if (signal !== null || exitCode !== 0) {
        this.emit('-script-error', `${job.argv[0]} ${signal ?? 0} ${exitCode}`, 'warning');
      }
      this.queue.splice(this.queue.indexOf(job), 1);
    }
    if (!this.stopped) this.runPending();
  }

  private scheduleWakeup(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const waiting = this.queue.filter((j) => !j.child).map((j) => j.startAtMs);
    if (waiting.length === 0 || this.stopped) return;
    const delayMs = Math.max(0, Math.min(...waiting) - this.now());
    this.timer = setTimeout(() => this.runPending(), delayMs);
    this.timer.unref();
  }

  /** SENTINEL PENDING-SCRIPTS, as redis-sentinel prints it. */
  pendingReply(): Reply {
    const now = this.now();
    return array(this.queue.map((j) => fieldMap([
      ['argv', bulkArray(j.argv)],
      ['flags', bulk(j.child ? 'running' : 'scheduled')],
      ['pid', bulk(String(j.child?.pid ?? 0))],
      j.child ? ['run-time', bulk(String(now - j.startedMs))] : ['run-delay', bulk(String(Math.max(0, j.startAtMs - now)))],
      ['retry-num', bulk(String(j.retries))],
    ])));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const job of this.queue) {
      if (job.killTimer) clearTimeout(job.killTimer);
    }
  }
}

/**
 * Rebuilds each argument from octal escapes (printf %b; the x keeps trailing
 * newlines from the command substitution), then runs them; a script that
 * cannot be run exits 2, as Redis's child does when execve fails.
 */
const EXEC_DECODED = 'n=$#; while [ "$n" -gt 0 ]; do a=$(printf \'%bx\' "$1"); shift; set -- "$@" "${a%x}"; n=$((n-1)); done; ' +
  '[ -x "$1" ] || exit 2; exec "$@"';

/**
 * Node hands a child its argv as UTF-8 text, so a path or argument with
 * bytes that are not UTF-8 (../byteText.ts: a master's name, say) would
 * reach the script with U+FFFD in their place. Such a command goes through
 * /bin/sh, its arguments spelled in ASCII, and the script gets the bytes,
 * as Redis's execve gives them.
 */
function spawnBytes(path: string, args: readonly string[]): ChildProcess {
  if (!hasEscapes(path) && !args.some(hasEscapes)) return spawn(path, args, { stdio: 'ignore' });
  return spawn('/bin/sh', ['-c', EXEC_DECODED, 'sh', ...[path, ...args].map(octalEscaped)], { stdio: 'ignore' });
}

/** printf %b's spelling of the bytes: printable ASCII as is (but the backslash), the rest \0ooo. */
function octalEscaped(s: string): string {
  let out = '';
  for (const b of textToBytes(s)) {
    out += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\0${b.toString(8).padStart(3, '0')}`;
  }
  return out;
}
