/** COMMAND and its subcommands (INFO, DOCS, COUNT, LIST, GETKEYS), read from the command index. */
import { indexedCommand, topLevelRank } from '../commandIndex.js';
import { globMatch } from '../glob.js';
import { encodeReply } from '../encode.js';
import { NULL, array, bulk, bulkArray, error, fieldMap, int, map, simple, type Reply } from '../reply.js';
import type { RespServer } from '../server.js';
import type { Client } from '../clientState.js';
import type { CommandEntry } from '../types.js';
import { type Handler, SYNTAX_ERROR, helpReply } from './handler.js';

const COMMAND_HELP = [
  'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  '(no subcommand)',
  '    Return details about all Redis commands.',
  'COUNT',
  '    Return the total number of commands in this Redis server.',
  'LIST',
  '    Return a list of all commands in this Redis server.',
  'INFO [<command-name> ...]',
  '    Return details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'DOCS [<command-name> ...]',
  '    Return documentation details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'GETKEYS <full-command>',
  '    Return the keys from a full Redis command.',
  'GETKEYSANDFLAGS <full-command>',
  '    Return the keys and the access flags from a full Redis command.',
  'HELP',
  '    Prints this help.',
];

/** COMMAND's reply is big (every command's info): encoded once per protocol, until the table changes. */
const commandAllCache = new WeakMap<RespServer, { version: number; raw: Map<number, Reply> }>();

export function commandAll(s: RespServer, c?: Client): Reply {
  const build = (): Reply => array(orderedCommands(s).map(commandInfoReply));
  if (c === undefined) return build();
  let cached = commandAllCache.get(s);
  if (cached?.version !== s.commandTableVersion) commandAllCache.set(s, (cached = { version: s.commandTableVersion, raw: new Map() }));
  let raw = cached.raw.get(c.protocol);
  if (raw === undefined) cached.raw.set(c.protocol, (raw = { kind: 'raw', value: encodeReply(build(), c.protocol) }));
  return raw;
}

function commandInfo(s: RespServer, _c: Client, argv: readonly string[]): Reply {
  if (argv.length === 2) return commandAll(s);
  return array(argv.slice(2).map((name) => {
    const entry = s.findCommand(name);
    return entry === undefined ? NULL : commandInfoReply(entry);
  }));
}

function commandDocs(s: RespServer, _c: Client, argv: readonly string[]): Reply {
  const entries = argv.length === 2 ? orderedCommands(s) : argv.slice(2).flatMap((n) => s.findCommand(n) ?? []);
  return map(entries.map((e) => [bulk(e.name), commandDocsReply(e)] as const));
}

function commandList(s: RespServer, _c: Client, argv: readonly string[]): Reply {
  if (argv.length !== 2 && (argv.length !== 5 || argv[2]?.toLowerCase() !== 'filterby')) return SYNTAX_ERROR;
  const all = flattenCommands(orderedCommands(s));
  if (argv.length === 2) return bulkArray(all.map((e) => e.name));
  const kind = (argv[3] as string).toLowerCase();
  const arg = argv[4] as string;
  let keep: (e: CommandEntry) => boolean;
  if (kind === 'module') keep = () => false;
  else if (kind === 'aclcat') keep = (e) => categoriesOf(e).includes(arg.toLowerCase());
  else if (kind === 'pattern') keep = (e) => globMatch(arg, e.name, true);
  else return SYNTAX_ERROR;
  return bulkArray(all.filter(keep).map((e) => e.name));
}

function commandGetKeys(s: RespServer, _c: Client, argv: readonly string[]): Reply {
  const target = argv.slice(2);
  const entry = target.length >= 2 ? s.findCommand(target[0] as string, target[1]) ?? containerOnly(s, target) : s.findCommand(target[0] as string);
  if (entry === undefined) return error('ERR Invalid command specified');
  // No redis-sentinel command takes keys.
  return error('ERR The command has no key arguments');
}

/** lookupCommand: a command without subcommands ignores argv[1]. */
function containerOnly(s: RespServer, target: readonly string[]): CommandEntry | undefined {
  const base = s.findCommand(target[0] as string);
  return base !== undefined && base.subcommands === undefined ? base : undefined;
}

export const COMMAND_SUBCOMMANDS: Record<string, Handler> = {
  count: (s) => int([...s.commandEntries()].length),
  info: commandInfo,
  docs: commandDocs,
  list: commandList,
  getkeys: commandGetKeys,
  getkeysandflags: commandGetKeys,
  help: () => helpReply(COMMAND_HELP),
};

/** Registered subcommands in redis-sentinel's listing order, added ones last. */
function subcommandsOf(entry: CommandEntry): CommandEntry[] {
  const subs = [...(entry.subcommands?.values() ?? [])];
  return subs.sort((a, b) => (indexedCommand(a.name)?.listRank ?? Infinity) - (indexedCommand(b.name)?.listRank ?? Infinity));
}

/**
 * COMMAND INFO entry: redis-sentinel's own (or the additions table's) for
 * known commands, built from the spec otherwise; a container lists the
 * subcommands registered here, so added ones appear under CLIENT and SENTINEL.
 */
function commandInfoReply(entry: CommandEntry): Reply {
  const subs = subcommandsOf(entry);
  const known = indexedCommand(entry.name)?.info;
  const base = known ?? specInfoReply(entry);
  if (subs.length === 0 || base.kind !== 'array') return base;
  const items = [...base.items];
  items[9] = array(subs.map(commandInfoReply));
  return array(items);
}

function specInfoReply(entry: CommandEntry): Reply {
  const names = (xs: readonly string[]): Reply => ({ kind: 'set', items: xs.map(simple) });
  return array([
    bulk(entry.name), int(entry.arity), names([...entry.flags]), int(0), int(0), int(0),
    names(entry.spec.categories.map((c) => `@${c}`)), { kind: 'set', items: [] }, { kind: 'set', items: [] },
    { kind: 'set', items: [] },
  ]);
}

/** COMMAND DOCS entry; a container's `subcommands` map (its last field) lists the registered subcommands. */
function commandDocsReply(entry: CommandEntry): Reply {
  const subs = subcommandsOf(entry);
  const base = indexedCommand(entry.name)?.docs ?? specDocsReply(entry);
  if (subs.length === 0 || base.kind !== 'map') return base;
  const fields = base.entries.filter(([k]) => !(k.kind === 'bulk' && k.value === 'subcommands'));
  return map([...fields, [bulk('subcommands'), map(subs.map((s) => [bulk(s.name), commandDocsReply(s)] as const))]]);
}

function specDocsReply(entry: CommandEntry): Reply {
  const { summary, since, group } = entry.spec;
  const fields: Array<readonly [string, Reply]> = [];
  if (summary !== undefined) fields.push(['summary', bulk(summary)]);
  if (since !== undefined) fields.push(['since', bulk(since)]);
  if (group !== undefined) fields.push(['group', bulk(group)]);
  return fieldMap(fields);
}

export function categoriesOf(entry: CommandEntry): readonly string[] {
  return indexedCommand(entry.name)?.categories ?? entry.spec.categories;
}

/** Registered commands in redis-sentinel's order, then any extra ones. */
export function orderedCommands(server: RespServer): CommandEntry[] {
  const entries = [...server.commandEntries()];
  return entries.sort((a, b) => topLevelRank(a.name) - topLevelRank(b.name));
}

/** Each command followed by its subcommands, as Redis walks its command dict. */
export function flattenCommands(entries: readonly CommandEntry[]): CommandEntry[] {
  return entries.flatMap((e) => [e, ...flattenCommands([...(e.subcommands?.values() ?? [])])]);
}
