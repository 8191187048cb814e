/** Error replies in redis-sentinel 7.0's exact words. */
import { OK, error, type Reply } from '../server/reply.js';

export const NO_SUCH_MASTER = error('ERR No such master with that name');

export function invalidSetArg(value: string, option: string): Reply {
  return error(`ERR Invalid argument '${value}' for SENTINEL SET '${option}'`);
}

export function unknownSetOption(option: string): Reply {
  return error(`ERR Unknown option or number of arguments for SENTINEL SET '${option}'`);
}

export const SCRIPTS_DENIED = error(
  'ERR Reconfiguration of scripts path is denied for security reasons. ' +
    'Check the deny-scripts-reconfig configuration directive in your Sentinel configuration',
);

export const SAVE_FAILED = error('ERR Failed to save config file. Check server logs.');

/**
 * Redis's sentinelFlushConfigAndReply: the change is written before the
 * reply, and a client is never told OK for a change that is not on disk.
 */
export async function flushConfigAndReply(rt: { persist(): Promise<void> }): Promise<Reply> {
  try {
    await rt.persist();
    return OK;
  } catch {
    return SAVE_FAILED;
  }
}
