/**
 * The command table tssentinel serves: redis-sentinel 7.0.15's captured one
 * (commandTable.ts) with the additions (commandAdditions.ts) turned into the
 * same RESP3 trees and placed under their containers. COMMAND INFO / DOCS
 * (builtins.ts) and the ACL catalog (aclRules.ts) both read it, so a rule
 * like `+@connection` covers CLIENT SETINFO as in Redis 7.2.
 */
import { ADDED_COMMANDS, type AddedCommand, type CommandDocs, type DocArgument } from './commandAdditions.js';
import { COMMAND_INFO } from './commandTable.js';
import { array, bulk, bulkArray, fieldMap, int, simple, type Reply } from './reply.js';

function setOf(kind: 'simple' | 'bulk', xs: readonly string[]): Reply {
  return { kind: 'set', items: xs.map((x) => (kind === 'simple' ? simple(x) : bulk(x))) };
}

/** COMMAND INFO entry of an added command, shaped like the captured ones. */
export function addedInfoReply(c: AddedCommand): Reply {
  return array([
    bulk(c.name), int(c.arity), setOf('simple', c.flags), int(0), int(0), int(0),
    setOf('simple', c.categories.map((cat) => `@${cat}`)), setOf('bulk', c.tips), setOf('bulk', []), setOf('bulk', []),
  ]);
}

function docArgumentReply(a: DocArgument): Reply {
  const fields: Array<readonly [string, Reply]> = [['name', bulk(a.name)], ['type', bulk(a.type)]];
  if (a.token !== undefined) fields.push(['token', bulk(a.token)]);
  if (a.flags !== undefined) fields.push(['flags', setOf('simple', a.flags)]);
  if (a.arguments !== undefined) fields.push(['arguments', array(a.arguments.map(docArgumentReply))]);
  return fieldMap(fields);
}

/** COMMAND DOCS entry, fields in the order Redis's addReplyCommandDocs writes them. */
export function addedDocsReply(d: CommandDocs): Reply {
  const fields: Array<readonly [string, Reply]> = [
    ['summary', bulk(d.summary)], ['since', bulk(d.since)], ['group', bulk(d.group)], ['complexity', bulk(d.complexity)],
  ];
  if (d.history !== undefined) fields.push(['history', { kind: 'set', items: d.history.map(([v, what]) => bulkArray([v, what])) }]);
  if (d.arguments !== undefined) fields.push(['arguments', array(d.arguments.map(docArgumentReply))]);
  return fieldMap(fields);
}

function nameOf(info: Reply): string {
  return info.kind === 'array' && info.items[0]?.kind === 'bulk' ? String(info.items[0].value) : '';
}

/** COMMAND INFO of every top-level command; added subcommands follow their container's own. */
export const FULL_COMMAND_INFO: readonly Reply[] = COMMAND_INFO.map((info) => {
  const added = ADDED_COMMANDS.filter((c) => c.name.startsWith(`${nameOf(info)}|`));
  const subs = info.kind === 'array' ? info.items[9] : undefined;
  if (added.length === 0 || info.kind !== 'array' || (subs?.kind !== 'array' && subs?.kind !== 'set')) return info;
  const items = [...info.items];
  items[9] = array([...subs.items, ...added.map(addedInfoReply)]);
  return array(items);
});
