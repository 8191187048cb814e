/**
 * The generic commands of redis-sentinel 7.0 (everything but SENTINEL, INFO
 * and ROLE): PING, AUTH, HELLO, CLIENT, COMMAND, ACL, (P)SUBSCRIBE,
 * (P)UNSUBSCRIBE, PUBLISH, SHUTDOWN. Replies and error texts follow the real
 * one; QUIT, ECHO and RESET do not exist in redis-sentinel 7.0 and are not
 * registered (`QUIT` answers "unknown command" there too).
 */
import { indexedCommand } from './commandIndex.js';
import type { RespServer } from './server.js';
import type { CommandContext, CommandHandler, CommandSpec } from './types.js';
import { ACL_SUBCOMMANDS } from './commands/acl.js';
import { CLIENT_SUBCOMMANDS, formatClientInfo } from './commands/client.js';
import { COMMAND_SUBCOMMANDS, commandAll } from './commands/command.js';
import { auth, hello, ping } from './commands/connection.js';
import { publish, subscribeAll, unsubscribeAll } from './commands/pubsub.js';
import type { Handler } from './commands/handler.js';
import { shutdown } from './commands/shutdown.js';

/** Registers every generic command on the server. */
export function registerBuiltins(server: RespServer): void {
  // ACL LOG entries carry the CLIENT INFO line of the client at fault.
  server.acl.describeClient = (c) => formatClientInfo(c);
  const reg = (name: string, h: Handler | undefined, subs?: Record<string, Handler>): void => server.register(builtinSpec(server, name, h, subs));
  reg('ping', ping);
  reg('auth', auth);
  reg('hello', hello);
  reg('subscribe', (s, c, argv) => subscribeAll(s, c, argv, 'subscribe'));
  reg('psubscribe', (s, c, argv) => subscribeAll(s, c, argv, 'psubscribe'));
  reg('unsubscribe', (s, c, argv) => unsubscribeAll(s, c, argv, 'unsubscribe'));
  reg('punsubscribe', (s, c, argv) => unsubscribeAll(s, c, argv, 'punsubscribe'));
  reg('publish', publish);
  reg('shutdown', shutdown);
  reg('client', undefined, CLIENT_SUBCOMMANDS);
  reg('command', commandAll, COMMAND_SUBCOMMANDS);
  reg('acl', undefined, ACL_SUBCOMMANDS);
}

/** A CommandSpec whose arity, flags and categories are those redis-sentinel reports. */
function builtinSpec(server: RespServer, name: string, h: Handler | undefined, subs?: Record<string, Handler>): CommandSpec {
  const meta = indexedCommand(name);
  if (meta === undefined) throw new Error(`command ${name} missing from commandTable.ts and commandAdditions.ts`);
  const spec: CommandSpec = { name, arity: meta.arity, flags: meta.flags, categories: meta.categories };
  // A container's subcommands carry the handlers; COMMAND alone also answers without one.
  const handler: CommandHandler | undefined = h && ((ctx: CommandContext, argv) => h(server, server.clientOf(ctx.client), argv));
  const subcommands = subs && Object.entries(subs).map(([sub, sh]) => builtinSpec(server, `${name}|${sub}`, sh));
  return { ...spec, ...(handler ? { handler } : {}), ...(subcommands ? { subcommands } : {}) };
}
