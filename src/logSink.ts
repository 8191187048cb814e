/**
 * Where log lines go: stdout or a logfile, written so that logging can never
 * block the Sentinel nor crash it (issue 10, item 1).
 *
 * pino's default destination (sonic-boom) waits at exit for a write the
 * kernel cannot finish: with stdout a closed or full pipe (`| head`, a stuck
 * log shipper, journald gone) a SIGTERM'd Sentinel hung in its exit handler,
 * and an EPIPE could surface as an uncaught error. Here:
 *   - lines are queued in memory and written asynchronously, one write in
 *     flight; the queue is bounded (lines beyond it are dropped and counted,
 *     the count is written once writing works again);
 *   - EPIPE / EBADF (nobody reads any more) stop writing for good; EAGAIN or
 *     ENOSPC (a full pipe or disk) retry later; no error ever escapes;
 *   - flushSync() (shutdown) makes one best-effort synchronous attempt and
 *     never waits or retries;
 *   - a pipe or socket is written through a non-blocking libuv handle
 *     (net.Socket on the fd), never with fs.write: a write blocked on a full
 *     pipe in the thread pool would hold the process at exit, when Node
 *     joins the pool's threads.
 */

type RawWrite = (buf: Buffer, done: (err: NodeJS.ErrnoException | null, written: number) => void) => void;

/**
 * How to write to `fd` without ever blocking the event loop or the exit;
 * `isStream`: a pipe or socket (no synchronous write at shutdown, it could block).
 */
function rawWriter(fd: number, onSocketError: (err: NodeJS.ErrnoException) => void): { write: RawWrite; isStream: boolean } {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.fstatSync(fd);
  } catch {
    stat = undefined;
  }
  if (stat && (stat.isFIFO() || stat.isSocket())) {
    const socket = new net.Socket({ fd, readable: false, writable: true });
    socket.on('error', onSocketError);
    // Our own handle must not keep the process alive.
    socket.unref();
    const write: RawWrite = (buf, done) => {
      socket.write(buf, (err) => done(err ?? null, err ? 0 : buf.length));
    };
    return { write, isStream: true };
  }
  return { write: (buf, done) => fs.write(fd, buf, 0, buf.length, null, (err, n) => done(err, n)), isStream: false };
}
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Queue bound: above it new lines are dropped (a stuck reader must not grow our memory). */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;
const RETRY_DELAY_MS = 100;

export interface LogSinkStats {
  written: number;
  dropped: number;
  dead: boolean;
}

export class LogSink {
  private queue: string[] = [];
  private queuedBytes = 0;
  private writing = false;
  private dead = false;
  private droppedSinceReport = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  readonly stats: LogSinkStats = { written: 0, dropped: 0, dead: false };

  private readonly rawWrite: RawWrite;
  /** A pipe or socket: no synchronous write at shutdown (it could block). */
  private readonly isStream: boolean;

  /** `transform` turns one pino JSON line into what is written (e.g. Redis-style text). */
  constructor(private readonly fd: number, private readonly transform: (line: string) => string = (l) => l) {
    const writer = rawWriter(fd, (err) => this.failed(err, Buffer.alloc(0)));
    this.rawWrite = writer.write;
    this.isStream = writer.isStream;
  }

  /** Opens (appending, creating its directory) a logfile; throws like fs.openSync. */
  static toFile(file: string, transform?: (line: string) => string): LogSink {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    return new LogSink(fs.openSync(file, 'a'), transform);
  }

  /** pino's DestinationStream: one or more complete JSON lines. */
  write(chunk: string): boolean {
    if (this.dead) return true;
    for (const line of chunk.split('\n')) {
      if (line.length === 0) continue;
      this.enqueue(`${this.transform(line)}\n`, false);
    }
    this.pump();
    return true;
  }

  /** One complete line, already formatted (no newline): the Redis-style logger's path. */
  writeLine(line: string): void {
    if (this.dead) return;
    this.enqueue(`${line}\n`, false);
    this.pump();
  }

  private pump(): void {
    if (this.writing || this.dead || this.retryTimer || this.queue.length === 0) return;
    if (this.droppedSinceReport > 0) {
      this.queue.unshift(`# ${this.droppedSinceReport} log lines dropped: the log output was not being read\n`);
      this.droppedSinceReport = 0;
    }
    const text = this.queue.join('');
    this.queue = [];
    this.queuedBytes = 0;
    this.writing = true;
    const buf = Buffer.from(text);
    this.rawWrite(buf, (err, n) => {
      this.writing = false;
      if (err) return this.failed(err, buf);
      this.stats.written += 1;
      if (n < buf.length) this.requeue(buf.subarray(n));
      this.pump();
    });
  }

  private failed(err: NodeJS.ErrnoException, unsent: Buffer): void {
    if (err.code === 'EAGAIN' || err.code === 'ENOSPC' || err.code === 'EINTR') {
      this.requeue(unsent);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.pump();
      }, RETRY_DELAY_MS);
      this.retryTimer.unref();
      return;
    }
    // EPIPE, EBADF, EIO...: nobody will read what we write.
    this.dead = true;
    this.stats.dead = true;
    this.queue = [];
    this.queuedBytes = 0;
  }

  private requeue(unsent: Buffer): void {
    this.enqueue(unsent.toString(), true);
  }

  /** Queues text (at the front: the unsent rest of a write), or drops and counts it when the queue is full. */
  private enqueue(text: string, atFront: boolean): void {
    if (this.queuedBytes + text.length > MAX_QUEUED_BYTES) {
      this.stats.dropped += 1;
      this.droppedSinceReport += 1;
      return;
    }
    if (atFront) this.queue.unshift(text);
    else this.queue.push(text);
    this.queuedBytes += text.length;
  }

  /**
   * Shutdown: one synchronous attempt to write what is queued. Never waits
   * for a write in flight and never retries: exiting matters more than the
   * last lines.
   */
  flushSync(): void {
    if (this.dead || this.writing || this.isStream || this.queue.length === 0) return;
    const text = this.queue.join('');
    this.queue = [];
    this.queuedBytes = 0;
    try {
      fs.writeSync(this.fd, text);
    } catch {
      // A full or closed output at exit: the lines are lost, the exit is not.
    }
  }

  /**
   * Shutdown: resolves once everything queued is written, or after
   * `timeoutMs` (a full pipe must not hold the exit), or at once when the
   * output is gone.
   */
  drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve) => {
      const check = (): void => {
        const idle = !this.writing && this.queue.length === 0;
        if (idle || this.dead || Date.now() >= deadline) return resolve();
        // Not unref()ed: with nothing else left in the event loop the process
        // would end with this promise pending, and the caller's exit code
        // (1 after a failed start) would never be set. The deadline bounds it.
        setTimeout(check, 5);
      };
      check();
    });
  }

  /** pino calls flush(cb) from logger.flush(). */
  flush(cb?: (err?: Error) => void): void {
    this.flushSync();
    cb?.();
  }
}
