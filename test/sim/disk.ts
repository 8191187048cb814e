/**
 * A Sentinel's simulated disk: the config file's durable text. A sync write
 * is durable when it returns; an async write only when it completes, a
 * little later; a crash loses the async writes still in flight, and the
 * process restarts from the last durable text. Faults: writes fail with an
 * I/O error or ENOSPC (disk full) until a given time.
 */
import type { Disk } from '../../src/shell/configWriter.js';

export type DiskFault = 'eio' | 'enospc';

export interface DiskWorld {
  readonly nowMs: number;
  schedule(delayMs: number, run: () => void): void;
  rng: { int(min: number, max: number): number };
}

/** An async write takes up to this long (temp file, fsync, rename). */
const ASYNC_WRITE_MS_MAX = 30;

export class SimDisk {
  /** The config file as a restart reads it. */
  durable: string;
  /** Writes completed and failed, for the report. */
  writes = 0;
  failures = 0;
  private fault?: { kind: DiskFault; untilMs: number };

  constructor(private readonly world: DiskWorld, text: string) {
    this.durable = text;
  }

  /** Every write fails with `kind` until `untilMs` (world time). */
  failUntil(kind: DiskFault, untilMs: number): void {
    this.fault = { kind, untilMs };
  }

  /** Writes succeed again. */
  heal(): void {
    this.fault = undefined;
  }

  faultNow(): DiskFault | undefined {
    if (this.fault && this.world.nowMs < this.fault.untilMs) return this.fault.kind;
    this.fault = undefined;
    return undefined;
  }

  /**
   * The `Disk` one process incarnation writes through: an async write that
   * completes after `alive()` turned false (the process crashed) is lost.
   */
  forProcess(alive: () => boolean): Disk {
    return {
      writeSync: (text) => {
        this.check();
        this.durable = text;
        this.writes += 1;
      },
      writeAsync: (text, current, done) => {
        this.world.schedule(this.world.rng.int(1, ASYNC_WRITE_MS_MAX), () => {
          if (!alive()) return;
          try {
            this.check();
          } catch (err) {
            return done(err);
          }
          if (current()) {
            this.durable = text;
            this.writes += 1;
          }
          done();
        });
      },
    };
  }

  private check(): void {
    const fault = this.faultNow();
    if (fault === undefined) return;
    this.failures += 1;
    throw Object.assign(new Error(fault === 'enospc' ? 'ENOSPC: no space left on device, write' : 'EIO: i/o error, write'),
      { code: fault === 'enospc' ? 'ENOSPC' : 'EIO' });
  }
}
