/**
 * Writes the Sentinel's state to its config file, synchronously or
 * asynchronously, over a `Disk` that the runtime backs with the real file
 * system and the simulator with a simulated one.
 *
 * Asynchronous writes never overlap: a request made while one runs is folded
 * into one more write after it, so the file always ends with the latest
 * state. Every write bumps a generation; an asynchronous write whose
 * generation is no longer the latest when it is about to be made visible
 * (the rename) is dropped, so that an older text never takes back what a
 * later synchronous write (a vote, an epoch) already made durable. The loop
 * then writes the latest state again.
 */

export interface Disk {
  /** Writes `text` durably before returning (temp file, fsync, rename); throws on failure. */
  writeSync(text: string): void;
  /**
   * Writes `text`, then calls `done`. `current()` is asked right before the
   * write is made visible: false means a later write superseded it, and it
   * must be dropped (done is still called, without error).
   */
  writeAsync(text: string, current: () => boolean, done: (err?: unknown) => void): void;
}

export interface ConfigWriterOptions {
  disk: Disk;
  /** The config text of the current state. */
  render: () => string;
  /** A write of `text` completed (the runtime keeps it as the base of the next render). */
  written?: (text: string) => void;
  /** An asynchronous write failed; the error goes to its waiters too. */
  failed?: (err: unknown) => void;
}

export class ConfigWriter {
  private writing = false;
  private again = false;
  /** Bumped by every write; an async write renders older state once a later one started. */
  private generation = 0;
  private waiters: Array<(err?: unknown) => void> = [];
  /** False from a failed synchronous write until a later write (of the whole state) succeeds. */
  private durable = true;

  constructor(private readonly opts: ConfigWriterOptions) {}

  /** False while a synchronous write failed and no write succeeded since: the state in memory is ahead of the file. */
  isDurable(): boolean {
    return this.durable;
  }

  /** True while an asynchronous write is in flight. */
  busy(): boolean {
    return this.writing;
  }

  /**
   * Asks for an asynchronous write of the current state; `done` runs once a
   * write that started at or after this call completed (or one failed).
   */
  writeAsync(done?: (err?: unknown) => void): void {
    if (done) this.waiters.push(done);
    if (this.writing) {
      this.again = true;
      return;
    }
    this.writing = true;
    this.writeOnce();
  }

  /** Calls `done` once no asynchronous write is in flight (at once when none is); starts none. */
  whenIdle(done: () => void): void {
    if (this.writing) this.waiters.push(() => done());
    else done();
  }

  /** Writes the current state before returning; throws when the write fails (the caller reports it). */
  writeSync(): void {
    // An async write in flight rendered an older state: make it write again
    // after this one, so the file never goes back.
    if (this.writing) this.again = true;
    this.generation += 1;
    const text = this.opts.render();
    try {
      this.opts.disk.writeSync(text);
    } catch (err) {
      this.durable = false;
      throw err;
    }
    this.durable = true;
    this.opts.written?.(text);
  }

  private writeOnce(): void {
    this.again = false;
    const generation = ++this.generation;
    const text = this.opts.render();
    let renamed = false;
    const current = (): boolean => (renamed = generation === this.generation);
    this.opts.disk.writeAsync(text, current, (err) => {
      if (err !== undefined) {
        this.opts.failed?.(err);
        return this.finish(err);
      }
      // A write that was superseded (not renamed) made nothing durable.
      if (renamed) this.durable = true;
      this.opts.written?.(text);
      if (this.again) return this.writeOnce();
      this.finish(undefined);
    });
  }

  private finish(err: unknown): void {
    this.writing = false;
    const waiters = this.waiters;
    this.waiters = [];
    for (const done of waiters) done(err);
  }
}
