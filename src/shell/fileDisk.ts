/** The config file on the real file system, as the `Disk` of a ConfigWriter. */
import * as fsPromises from 'node:fs/promises';
import { writeConfigAtomic, writeConfigAtomicSync, type AtomicFs } from '../config/index.js';
import type { Disk } from './configWriter.js';

export function fileDisk(path: string): Disk {
  return {
    writeSync: (text) => writeConfigAtomicSync(path, text),
    writeAsync: (text, current, done) => {
      writeConfigAtomic(path, text, unlessSuperseded(current)).then(() => done(), (err: unknown) => done(err ?? new Error('write failed')));
    },
  };
}

/**
 * The file system for an async write that drops its rename when a later
 * write (a vote, an ACL change) happened meanwhile: renamed after it, the
 * older text would take back what was just made durable.
 */
function unlessSuperseded(current: () => boolean): AtomicFs {
  return {
    open: (path, flags, mode) => fsPromises.open(path, flags, mode),
    unlink: (path) => fsPromises.unlink(path),
    rename: (from, to) => (current() ? fsPromises.rename(from, to) : fsPromises.unlink(from)),
  };
}
