/** SHUTDOWN. */
import { NO_REPLY, error, type Reply } from '../reply.js';
import type { RespServer } from '../server.js';
import type { Client } from '../clientState.js';
import { SYNTAX_ERROR } from './handler.js';

export function shutdown(s: RespServer, c: Client, argv: readonly string[]): Reply | Promise<Reply> {
  const seen = new Set<string>();
  for (const arg of argv.slice(1)) {
    const a = arg.toLowerCase();
    if (!['nosave', 'save', 'now', 'force', 'abort'].includes(a)) return SYNTAX_ERROR;
    seen.add(a);
  }
  const abort = seen.delete('abort');
  if ((abort && seen.size > 0) || (seen.has('save') && seen.has('nosave'))) return SYNTAX_ERROR;
  if (abort) return error('ERR No shutdown in progress.');
  const failed = error('ERR Errors trying to SHUTDOWN. Check logs.');
  if (s.onShutdown === undefined) return failed;
  // On success the process exits: the client only sees the connection close.
  return s.onShutdown().then(
    () => {
      c.closeAfterReply();
      return NO_REPLY;
    },
    (err: unknown) => {
      s.logger.error({ err }, 'SHUTDOWN failed');
      return failed;
    },
  );
}
