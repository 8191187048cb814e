/**
 * ACL SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI, LOG, SAVE, LOAD and
 * DRYRUN with redis-sentinel 7.0.15's replies and errors. CAT, GENPASS and
 * HELP are in acl.ts, with the ACL container.
 */
import {
  AclUser,
  applyUserRule,
  hasSpaces,
  mergeSelectorArgs,
  ruleErrorText,
  type AclSelector,
} from '../aclRules.js';
import {
  describeChannels,
  describeCommandRules,
  describeKeys,
  describeUser,
  userFlags,
} from '../aclDescribe.js';
import { NULL, OK, array, bulk, bulkArray, error, fieldMap, int, type Reply } from '../reply.js';
import { string2ll } from '../../numbers.js';
import { NOT_INTEGER, subcommandSyntaxError, type Handler } from './handler.js';
import type { RespServer } from '../server.js';
import type { Client } from '../clientState.js';
import type { CommandEntry } from '../types.js';

const NO_ACL_FILE = error('ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.');

/** addReplyErrorFormat: newlines in an error become spaces, so the reply stays one line. */
function errorFormat(text: string): Reply {
  return error(text.replace(/[\r\n]/g, ' '));
}

function setUser(s: RespServer, c: Client, argv: readonly string[]): Reply {
  const name = argv[2] as string;
  if (hasSpaces(name)) return error("ERR Usernames can't contain spaces or null characters");
  const merged = mergeSelectorArgs(argv.slice(3));
  if (!Array.isArray(merged)) {
    return errorFormat(`ERR Unmatched parenthesis in acl selector starting at '${argv[3 + merged.unmatchedAt] ?? ''}'.`);
  }
  // All rules are tried on a copy first: one bad rule changes nothing.
  const existing = s.acl.user(name);
  const staged = existing?.clone() ?? new AclUser(name, s.acl.defaultUser.pubsubAllChannels);
  for (const op of merged) {
    const err = applyUserRule(staged, op, s.acl.catalog);
    if (err !== undefined) return errorFormat(`ERR Error in ACL SETUSER modifier '${op}': ${ruleErrorText(err)}`);
  }
  s.acl.commitUser(s, c, staged);
  return OK;
}

function selectorFields(sel: AclSelector, s: RespServer): Array<readonly [string, Reply]> {
  return [
    ['commands', bulk(describeCommandRules(sel, s.acl.catalog))],
    ['keys', bulk(describeKeys(sel))],
    ['channels', bulk(describeChannels(sel))],
  ];
}

function getUser(s: RespServer, _c: Client, argv: readonly string[]): Reply {
  const u = s.acl.user(argv[2] as string);
  if (u === undefined) return NULL;
  return fieldMap([
    ['flags', { kind: 'set', items: userFlags(u).map(bulk) }],
    ['passwords', bulkArray(u.passwords)],
    ...selectorFields(u.rootSelector, s),
    ['selectors', array(u.selectors.slice(1).map((sel) => fieldMap(selectorFields(sel, s))))],
  ]);
}

function delUser(s: RespServer, c: Client, argv: readonly string[]): Reply {
  const names = argv.slice(2);
  if (names.includes('default')) return error("ERR The 'default' user cannot be removed");
  return int(s.acl.deleteUsers(s, c, names));
}

function list(s: RespServer): Reply {
  return bulkArray(s.acl.sortedUsers().map((u) => `user ${u.name} ${describeUser(u, s.acl.catalog)}`));
}

function log(s: RespServer, _c: Client, argv: readonly string[]): Reply {
  if (argv.length > 3) return subcommandSyntaxError(argv);
  const arg = argv[2];
  if (arg !== undefined && arg.toLowerCase() === 'reset') {
    s.acl.log.reset();
    return OK;
  }
  const count = arg === undefined ? 10 : string2ll(arg);
  if (count === undefined) return error(NOT_INTEGER);
  return s.acl.log.reply(count);
}

function load(s: RespServer, c: Client): Reply {
  if (s.acl.aclFile === undefined) return NO_ACL_FILE;
  const errors = s.acl.load(s, c);
  return errors === undefined ? OK : errorFormat(`ERR ${errors}`);
}

function save(s: RespServer): Reply {
  if (s.acl.aclFile === undefined) return NO_ACL_FILE;
  if (s.acl.save()) return OK;
  return error('ERR There was an error trying to save the ACLs. Please check the server logs for more information');
}

/** ACL DRYRUN: Redis's lookupCommand (a container alone is itself), arity, then the user's verdict as a bulk string. */
function dryRun(s: RespServer, _c: Client, argv: readonly string[]): Reply {
  const name = argv[2] as string;
  const u = s.acl.user(name);
  if (u === undefined) return errorFormat(`ERR User '${name}' not found`);
  const target = argv.slice(3);
  const entry = lookupForDryRun(s, target);
  if (entry === undefined) return errorFormat(`ERR Command '${target[0] ?? ''}' not found`);
  const n = target.length;
  if ((entry.arity > 0 && entry.arity !== n) || n < -entry.arity) {
    return error(`ERR wrong number of arguments for '${entry.name}' command`);
  }
  const verdict = s.acl.verdict(u, entry.name, target);
  if (verdict === undefined) return OK;
  if (verdict.reason === 'channel') {
    return bulk(`This user has no permissions to access the '${target[verdict.argIndex] ?? ''}' channel`);
  }
  return bulk(`This user has no permissions to run the '${entry.name}' command`);
}

function lookupForDryRun(s: RespServer, target: readonly string[]): CommandEntry | undefined {
  const base = s.findCommand(target[0] as string);
  if (base === undefined || base.subcommands === undefined || target.length < 2) return base;
  return s.findCommand(target[0] as string, target[1]);
}

/** The ACL subcommands implemented here, by name. */
export const ACL_USER_COMMANDS: Readonly<Record<string, Handler>> = {
  setuser: setUser,
  getuser: getUser,
  deluser: delUser,
  list,
  users: (s) => bulkArray(s.acl.sortedUsers().map((u) => u.name)),
  whoami: (_s, c) => bulk(c.user),
  log,
  load,
  save,
  dryrun: dryRun,
};
