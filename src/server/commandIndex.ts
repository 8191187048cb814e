/**
 * The one command index: redis-sentinel 7.0.15's captured table
 * (commandTable.ts) with the additions (commandAdditions.ts) turned into the
 * same RESP3 trees and placed under their containers, indexed by full name
 * ("ping", "client|kill"). Dispatch (arity, flags), COMMAND INFO / DOCS /
 * COUNT / LIST and the ACL catalog all read it, so a rule like
 * `+@connection` covers CLIENT SETINFO as in Redis 7.2.
 */
import { ADDED_COMMANDS, type AddedCommand, type CommandDocs, type DocArgument } from './commandAdditions.js';
import { ACL_CATEGORIES, CAPTURED_REDIS_VERSION, COMMAND_DOCS, COMMAND_INFO, COMMAND_LIST } from './commandTable.js';
import { array, bulk, bulkArray, fieldMap, int, simple, type Reply } from './reply.js';

export { ACL_CATEGORIES };
export const REDIS_VERSION = CAPTURED_REDIS_VERSION;

export interface IndexedCommand {
  /** Full lower-case name as Redis prints it: "ping", "client|kill". */
  readonly name: string;
  readonly arity: number;
  /** COMMAND INFO flags, in Redis's order. */
  readonly flags: readonly string[];
  /** ACL categories without '@', in Redis's order. */
  readonly categories: readonly string[];
  /** The COMMAND INFO entry (captured, or built for an added command). */
  readonly info: Reply;
  /** The COMMAND DOCS entry. */
  readonly docs: Reply | undefined;
  /** Position in redis-sentinel's COMMAND LIST (added commands: Infinity, so last). */
  readonly listRank: number;
  readonly subcommands: readonly IndexedCommand[];
}

function setOf(kind: 'simple' | 'bulk', xs: readonly string[]): Reply {
  return { kind: 'set', items: xs.map((x) => (kind === 'simple' ? simple(x) : bulk(x))) };
}

/** COMMAND INFO entry of an added command, shaped like the captured ones. */
function addedInfoReply(c: AddedCommand): Reply {
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
function addedDocsReply(d: CommandDocs): Reply {
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
const FULL_COMMAND_INFO: readonly Reply[] = COMMAND_INFO.map((info) => {
  const added = ADDED_COMMANDS.filter((c) => c.name.startsWith(`${nameOf(info)}|`));
  const subs = info.kind === 'array' ? info.items[9] : undefined;
  if (added.length === 0 || info.kind !== 'array' || (subs?.kind !== 'array' && subs?.kind !== 'set')) return info;
  const items = [...info.items];
  items[9] = array([...subs.items, ...added.map(addedInfoReply)]);
  return array(items);
});

/** COMMAND DOCS by full name, subcommands included. */
function indexDocs(): Map<string, Reply> {
  const out = new Map<string, Reply>();
  const visit = (name: string, docs: Reply): void => {
    out.set(name, docs);
    if (docs.kind !== 'map') return;
    for (const [k, v] of docs.entries) {
      if (k.kind === 'bulk' && k.value === 'subcommands' && v.kind === 'map') {
        for (const [sk, sv] of v.entries) if (sk.kind === 'bulk') visit(String(sk.value), sv);
      }
    }
  };
  for (const [name, docs] of COMMAND_DOCS) visit(name, docs);
  for (const c of ADDED_COMMANDS) visit(c.name, addedDocsReply(c.docs));
  return out;
}

function names(r: Reply | undefined): string[] {
  return r?.kind === 'set' || r?.kind === 'array' ? r.items.map((i) => (i.kind === 'simple' || i.kind === 'bulk' ? String(i.value) : '')) : [];
}

function buildIndex(): { top: IndexedCommand[]; byName: Map<string, IndexedCommand> } {
  const docs = indexDocs();
  const listRank = new Map(COMMAND_LIST.map((name, i) => [name, i]));
  const byName = new Map<string, IndexedCommand>();
  const build = (info: Reply): IndexedCommand | undefined => {
    if (info.kind !== 'array') return undefined;
    const [, arity, flags, , , , cats, , , subs] = info.items;
    const name = nameOf(info);
    const cmd: IndexedCommand = {
      name,
      arity: arity?.kind === 'int' ? Number(arity.value) : -1,
      flags: names(flags),
      categories: names(cats).map((c) => c.slice(1)),
      info,
      docs: docs.get(name),
      listRank: listRank.get(name) ?? Infinity,
      subcommands: (subs?.kind === 'set' || subs?.kind === 'array' ? subs.items : []).flatMap((s) => build(s) ?? []),
    };
    byName.set(name, cmd);
    return cmd;
  };
  return { top: FULL_COMMAND_INFO.flatMap((info) => build(info) ?? []), byName };
}

const INDEX = buildIndex();

/** Top-level commands in redis-sentinel's COMMAND order. */
export const TOP_LEVEL_COMMANDS: readonly IndexedCommand[] = INDEX.top;

/** A command or subcommand by full lower-case name ("client|kill"). */
export function indexedCommand(name: string): IndexedCommand | undefined {
  return INDEX.byName.get(name);
}

const TOP_RANK = new Map(INDEX.top.map((c, i) => [c.name, i]));

/** Position in redis-sentinel's COMMAND reply (commands it does not have: Infinity, so last). */
export function topLevelRank(name: string): number {
  return TOP_RANK.get(name) ?? Infinity;
}
