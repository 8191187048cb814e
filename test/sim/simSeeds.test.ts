/** The second half of the CI seed sweep (see ciSeeds.ts); a file of its own so it runs on the other core. */
import { describe, it } from 'vitest';
import { expectSeedsPass, ONE_SEED, seedRange } from './ciSeeds.js';

describe.runIf(ONE_SEED === undefined)('simulator (second half)', () => {
  const { from, count } = seedRange(1, 2);
  it(`random seeds ${from}..${from + count - 1} keep the invariants and converge`, () => {
    expectSeedsPass(from, count);
  });
});
