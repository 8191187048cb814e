/** The shape of a generic command handler, and the replies several of them give (errors, HELP). */
import { array, error, simple, type Reply } from '../reply.js';
import type { RespServer } from '../server.js';
import type { Client } from '../clientState.js';

export const SYNTAX_ERROR = error('ERR syntax error');
export const NOT_INTEGER = 'ERR value is not an integer or out of range';

export type Handler = (server: RespServer, c: Client, argv: readonly string[]) => Reply | Promise<Reply>;

export function subcommandSyntaxError(argv: readonly string[]): Reply {
  return error(`ERR unknown subcommand or wrong number of arguments for '${(argv[1] ?? '').slice(0, 128)}'. Try ${(argv[0] ?? '').toUpperCase()} HELP.`);
}

export function helpReply(lines: readonly string[]): Reply {
  return array(lines.map(simple));
}
