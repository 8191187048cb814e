/**
 * Random bytes and SHA-256 digests without node:crypto at start-up: loading
 * it costs ~1.8 MB of RSS, and a Sentinel needs randomness only for a few
 * ids at start (run id, myid, the core's seed) and ACL GENPASS. The bytes
 * come from the kernel's CSPRNG (/dev/urandom, what OpenSSL seeds from);
 * node:crypto is loaded only where that file cannot be read, or for a
 * digest (ACL passwords).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as crypto from 'node:crypto';

let cryptoModule: typeof crypto | undefined;

function nodeCrypto(): typeof crypto {
  cryptoModule ??= createRequire(import.meta.url)('node:crypto') as typeof crypto;
  return cryptoModule;
}

/** `size` cryptographically strong random bytes. */
export function randomBytes(size: number): Buffer {
  const buf = Buffer.alloc(size);
  let fd: number;
  try {
    fd = openSync('/dev/urandom', 'r');
  } catch {
    return nodeCrypto().randomBytes(size);
  }
  try {
    let filled = 0;
    while (filled < size) {
      const n = readSync(fd, buf, filled, size - filled, null);
      if (n <= 0) return nodeCrypto().randomBytes(size);
      filled += n;
    }
  } finally {
    closeSync(fd);
  }
  return buf;
}

/** SHA-256 as lower-case hex (ACL password hashes). */
export function sha256Hex(data: string | Buffer): string {
  return nodeCrypto().createHash('sha256').update(data).digest('hex');
}
