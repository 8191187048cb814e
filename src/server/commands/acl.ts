/** ACL HELP, CAT and GENPASS, and the ACL container (the user subcommands are in aclUsers.ts). */
import { randomBytes } from 'node:crypto';
import { string2ll } from '../../numbers.js';
import { ACL_CATEGORIES } from '../commandIndex.js';
import { bulk, bulkArray, error, type Reply } from '../reply.js';
import type { RespServer } from '../server.js';
import type { Client } from '../clientState.js';
import { categoriesOf, flattenCommands, orderedCommands } from './command.js';
import { type Handler, NOT_INTEGER, helpReply, subcommandSyntaxError } from './handler.js';
import { ACL_USER_COMMANDS } from './aclUsers.js';

const ACL_HELP = [
  'ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CAT [<category>]',
  '    List all commands that belong to <category>, or all command categories',
  '    when no category is specified.',
  'DELUSER <username> [<username> ...]',
  '    Delete a list of users.',
  'DRYRUN <username> <command> [<arg> ...]',
  '    Returns whether the user can execute the given command without executing the command.',
  'GETUSER <username>',
  "    Get the user's details.",
  'GENPASS [<bits>]',
  '    Generate a secure 256-bit user password. The optional `bits` argument can',
  '    be used to specify a different size.',
  'LIST',
  '    Show users details in config file format.',
  'LOAD',
  '    Reload users from the ACL file.',
  'LOG [<count> | RESET]',
  '    Show the ACL log entries.',
  'SAVE',
  '    Save the current config to the ACL file.',
  'SETUSER <username> <attribute> [<attribute> ...]',
  '    Create or modify a user with the specified attributes.',
  'USERS',
  '    List all the registered usernames.',
  'WHOAMI',
  '    Return the current connection username.',
  'HELP',
  '    Prints this help.',
];

function aclCat(s: RespServer, _c: Client, argv: readonly string[]): Reply {
  if (argv.length > 3) return subcommandSyntaxError(argv);
  if (argv.length === 2) return bulkArray(ACL_CATEGORIES);
  const cat = (argv[2] as string).toLowerCase();
  if (!ACL_CATEGORIES.includes(cat)) return error(`ERR Unknown category '${argv[2]}'`);
  return bulkArray(flattenCommands(orderedCommands(s)).filter((e) => categoriesOf(e).includes(cat)).map((e) => e.name));
}

function aclGenPass(_s: RespServer, _c: Client, argv: readonly string[]): Reply {
  if (argv.length > 3) return subcommandSyntaxError(argv);
  const bits = argv.length === 3 ? string2ll(argv[2] as string) : 256;
  if (bits === undefined) return error(NOT_INTEGER);
  if (bits <= 0 || bits > 4096) {
    return error('ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096');
  }
  const chars = Math.floor((bits + 3) / 4);
  return bulk(randomBytes(Math.ceil(chars / 2)).toString('hex').slice(0, chars));
}

export const ACL_SUBCOMMANDS: Record<string, Handler> = {
  cat: aclCat,
  genpass: aclGenPass,
  help: () => helpReply(ACL_HELP),
  ...ACL_USER_COMMANDS,
};
