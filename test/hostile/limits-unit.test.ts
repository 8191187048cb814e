/** The pure parts of src/server/limits.ts: Redis's memory units, the fd-limit arithmetic, event text cuts. */
import { describe, expect, it } from 'vitest';
import {
  checkLimitDirective,
  maxClientsForFdLimit,
  openFilesLimit,
  parseMemory,
  serverLimitsFrom,
  truncateUtf8,
} from '../../src/server/limits.js';

describe('limits', () => {
  it('parses memory values like memtoull', () => {
    expect(parseMemory('32mb')).toBe(32 * 1024 * 1024);
    expect(parseMemory('1k')).toBe(1000);
    expect(parseMemory('1KB')).toBe(1024);
    expect(parseMemory('2g')).toBe(2e9);
    expect(parseMemory('7')).toBe(7);
    expect(parseMemory('7b')).toBe(7);
    expect(parseMemory('-1')).toBeUndefined();
    expect(parseMemory('1xb')).toBeUndefined();
    expect(parseMemory('1.5mb')).toBeUndefined();
  });

  it('checks directives with Redis\'s texts', () => {
    expect(checkLimitDirective('client-output-buffer-limit', ['pubsub', '1mb'])).toBe('Wrong number of arguments in buffer limit configuration.');
    expect(checkLimitDirective('client-output-buffer-limit', [])).toBeUndefined();
    expect(checkLimitDirective('client-output-buffer-limit', ['master', '0', '0', '0'])).toBe('Invalid client class specified in buffer limit configuration.');
    expect(checkLimitDirective('proto-max-bulk-len', ['1000'])).toBe('argument must be between 1048576 and 9223372036854775807 inclusive');
    expect(checkLimitDirective('client-query-buffer-limit', ['abc'])).toBe('argument must be a memory value');
    expect(checkLimitDirective('maxmemory', ['abc'])).toBeUndefined();
  });

  it('applies lines in order, per class', () => {
    const limits = serverLimitsFrom([
      { directive: 'client-output-buffer-limit', args: ['pubsub', '1mb', '512kb', '5', 'slave', '1gb', '0', '0'] },
      { directive: 'client-output-buffer-limit', args: ['normal 10mb 0 0'] },
      { directive: 'proto-max-bulk-len', args: ['2mb'] },
    ]);
    expect(limits.outputBuffer.pubsub).toEqual({ hardBytes: 1024 * 1024, softBytes: 512 * 1024, softSeconds: 5 });
    expect(limits.outputBuffer.replica.hardBytes).toBe(1024 ** 3);
    expect(limits.outputBuffer.normal.hardBytes).toBe(10 * 1024 * 1024);
    expect(limits.bulkMaxBytes).toBe(2 * 1024 * 1024);
    expect(limits.queryBufferMaxBytes).toBe(1024 ** 3);
  });

  it('fits maxclients under the open files limit like adjustOpenFilesLimit', () => {
    expect(maxClientsForFdLimit(10000, 1048576)).toEqual({ maxClients: 10000, warnings: [] });
    const low = maxClientsForFdLimit(10000, 256);
    expect(low.maxClients).toBe(224);
    expect(low.warnings[2]).toBe("Current maximum open files is 256. maxclients has been reduced to 224 to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.");
    expect(openFilesLimit('Limit  Soft Limit Hard Limit Units\nMax open files            256                  512                  files\n')).toBe(256);
    expect(openFilesLimit('Max open files            unlimited            unlimited            files\n')).toBeUndefined();
  });

  it('cuts event texts at 1023 bytes on a character boundary', () => {
    expect(truncateUtf8('a'.repeat(2000))).toHaveLength(1023);
    expect(truncateUtf8('short')).toBe('short');
    const cut = truncateUtf8(`${'a'.repeat(1022)}é`);
    expect(cut).toBe('a'.repeat(1022));
    expect(Buffer.byteLength(truncateUtf8('é'.repeat(1000)))).toBeLessThanOrEqual(1023);
  });
});
