/**
 * Fuzz target for the request decoder (src/server/decode.ts): random byte
 * streams — valid requests (binary and big arguments included), inline
 * lines, broken headers, junk — cut at random points. The decoder must never
 * throw, must decode the same whole, in random chunks and byte by byte, and
 * with a sink that stops it at random (flow control); valid streams must give
 * back exactly the requests that were encoded.
 *
 * CI runs a fixed seed set; FUZZ_SEEDS=N FUZZ_FROM=S explores more.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom as mulberry32 } from '../../src/core/sentinel.js';
import { RequestDecoder, UNAUTH_BULK_MAX_BYTES } from '../../src/server/decode.js';


type Rnd = () => number;
const int = (rnd: Rnd, n: number): number => Math.floor(rnd() * n);

function randomArg(rnd: Rnd): Buffer {
  const roll = rnd();
  // Sometimes a big argument (>= 32 KB: its own preallocated buffer).
  const len = roll < 0.04 ? 32 * 1024 + int(rnd, 40_000) : roll < 0.1 ? 0 : int(rnd, 40);
  const b = Buffer.alloc(len);
  const binary = rnd() < 0.3;
  for (let i = 0; i < len; i++) b[i] = binary ? int(rnd, 256) : 97 + int(rnd, 26);
  return b;
}

function multibulk(args: readonly Buffer[]): Buffer {
  const parts = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) parts.push(Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

const JUNK = ['*', '$', '\r', '\n', '\r\n', '*-1\r\n', '*0\r\n', '*1\r\n', '$-1\r\n', '$4\r\n', ':1\r\n', '"', "'", '\\x4', '\x00', '*99999999999\r\n', '*2147483648\r\n', '$99999999999\r\n', ' ', 'PING', '\xff'];

/** A stream of valid requests; returns the bytes and the requests they encode (as latin1 text). */
function validStream(rnd: Rnd): { bytes: Buffer; requests: string[][] } {
  const parts: Buffer[] = [];
  const requests: string[][] = [];
  const n = 1 + int(rnd, 12);
  for (let i = 0; i < n; i++) {
    const argc = 1 + int(rnd, 5);
    const args = Array.from({ length: argc }, () => randomArg(rnd));
    parts.push(multibulk(args));
    requests.push(args.map((a) => a.toString('latin1')));
    if (rnd() < 0.2) {
      const words = Array.from({ length: 1 + int(rnd, 4) }, () => String.fromCharCode(97 + int(rnd, 26)).repeat(1 + int(rnd, 5)));
      parts.push(Buffer.from(`${words.join(' ')}\r\n`));
      requests.push(words);
    }
  }
  return { bytes: Buffer.concat(parts), requests };
}

/** Valid requests with junk spliced in. */
function hostileStream(rnd: Rnd): Buffer {
  const parts: Buffer[] = [];
  const n = 1 + int(rnd, 10);
  for (let i = 0; i < n; i++) {
    const roll = rnd();
    if (roll < 0.5) parts.push(multibulk(Array.from({ length: int(rnd, 4) }, () => randomArg(rnd))));
    else if (roll < 0.85) parts.push(Buffer.from(JUNK[int(rnd, JUNK.length)] as string, 'latin1'));
    else parts.push(Buffer.from(Array.from({ length: int(rnd, 20) }, () => int(rnd, 256))));
  }
  const all = Buffer.concat(parts);
  // Cut somewhere: partial requests at the end are fine.
  return rnd() < 0.3 ? all.subarray(0, int(rnd, all.length + 1)) : all;
}

interface Outcome {
  requests: string[][];
  error?: string;
  pending: number;
}

/** Feeds input in chunks of the sizes `cut` gives; the sink stops the decoder when `stop` says so, and is drained again. */
function run(input: Buffer, cut: () => number, stop: () => boolean, authRequired: boolean): Outcome {
  const d = new RequestDecoder();
  d.authRequired = authRequired;
  const requests: string[][] = [];
  let error: string | undefined;
  for (let pos = 0; pos < input.length && error === undefined;) {
    const n = Math.max(1, cut());
    d.feed(input.subarray(pos, pos + n));
    pos += n;
    // A stopped sink leaves requests pending: drain again until nothing moves (the server's next turn).
    for (let guard = 0; guard < 1_000_000; guard++) {
      const before = requests.length;
      error = d.drain((args) => {
        requests.push(args.toBuffers().map((b) => b.toString('latin1')));
        return !stop();
      });
      if (error !== undefined || requests.length === before) break;
    }
  }
  const out: Outcome = { requests, pending: error === undefined ? d.pendingBytes : 0 };
  if (error !== undefined) out.error = error;
  return out;
}

function checkAllWays(input: Buffer, rnd: Rnd, authRequired: boolean): Outcome {
  const whole = run(input, () => input.length, () => false, authRequired);
  const chunked = run(input, () => 1 + int(rnd, 3000), () => false, authRequired);
  const stopping = run(input, () => 1 + int(rnd, 300), () => rnd() < 0.3, authRequired);
  expect(chunked).toEqual(whole);
  expect(stopping).toEqual(whole);
  if (input.length <= 4096) expect(run(input, () => 1, () => false, authRequired)).toEqual(whole);
  expect(whole.pending).toBeGreaterThanOrEqual(0);
  return whole;
}

const SEEDS = Number(process.env['FUZZ_SEEDS'] ?? 300);
const FROM = Number(process.env['FUZZ_FROM'] ?? 1);

describe('request decoder fuzz', () => {
  it(`valid streams round-trip, whole or cut anywhere (${SEEDS} seeds)`, () => {
    for (let seed = FROM; seed < FROM + SEEDS; seed++) {
      const rnd = mulberry32(seed);
      const { bytes, requests } = validStream(rnd);
      const out = checkAllWays(bytes, rnd, false);
      expect(out, `seed ${seed}`).toEqual({ requests, pending: 0 });
    }
  });

  it(`hostile streams never throw and never depend on chunking (${SEEDS} seeds)`, () => {
    for (let seed = FROM; seed < FROM + SEEDS; seed++) {
      const rnd = mulberry32(seed * 7919);
      const input = hostileStream(rnd);
      try {
        checkAllWays(input, rnd, rnd() < 0.3);
      } catch (e) {
        throw new Error(`seed ${seed}: ${(e as Error).message}`);
      }
    }
  });

  it('unauthenticated limits hold wherever the stream is cut', () => {
    const big = multibulk([Buffer.from('AUTH'), Buffer.alloc(UNAUTH_BULK_MAX_BYTES + 1, 0x61)]);
    const rnd = mulberry32(42);
    expect(checkAllWays(big, rnd, true).error).toBe('Protocol error: unauthenticated bulk length');
  });
});
