import { describe, expect, it } from 'vitest';
import { formatHello, parseHello } from '../../src/core/hello.js';

const RUNID = 'a'.repeat(40);

describe('hello payload', () => {
  it('round-trips through format and parse', () => {
    const h = {
      ip: '127.0.0.1', port: 26379, runId: RUNID, currentEpoch: 7,
      masterName: 'mymaster', masterIp: '127.0.0.1', masterPort: 6379, masterConfigEpoch: 3,
    };
    const text = formatHello(h);
    expect(text).toBe(`127.0.0.1,26379,${RUNID},7,mymaster,127.0.0.1,6379,3`);
    expect(parseHello(text)).toEqual(h);
  });

  it.each([
    ['too few fields', `127.0.0.1,26379,${RUNID},7,mymaster,127.0.0.1,6379`],
    ['too many fields', `127.0.0.1,26379,${RUNID},7,mymaster,127.0.0.1,6379,3,9`],
    ['short run id', '127.0.0.1,26379,abc,7,mymaster,127.0.0.1,6379,3'],
    ['non-numeric port', `127.0.0.1,xx,${RUNID},7,mymaster,127.0.0.1,6379,3`],
    ['negative epoch', `127.0.0.1,26379,${RUNID},-1,mymaster,127.0.0.1,6379,3`],
    ['empty', ''],
  ])('drops a malformed hello: %s', (_what, text) => {
    expect(parseHello(text)).toBeUndefined();
  });
});
