/**
 * The generic commands of redis-sentinel 7.0 (everything but SENTINEL, INFO
 * and ROLE): PING, AUTH, HELLO, CLIENT, COMMAND, ACL, (P)SUBSCRIBE,
 * (P)UNSUBSCRIBE, PUBLISH, SHUTDOWN. Replies and error texts follow the real
 * one; QUIT, ECHO and RESET do not exist in redis-sentinel 7.0 and are not
 * registered (`QUIT` answers "unknown command" there too).
 */
import { randomBytes } from 'node:crypto';
import { string2ll } from '../numbers.js';
import type { Acl } from './acl.js';
import { ACL_USER_COMMANDS } from './aclCommands.js';
import { ACL_CATEGORIES, REDIS_VERSION, indexedCommand, topLevelRank, type IndexedCommand } from './commandIndex.js';
import { globMatch } from './glob.js';
import { encodeReply } from './encode.js';
import {
  NULL,
  OK,
  array,
  bulk,
  bulkArray,
  error,
  fieldMap,
  int,
  map,
  simple,
  verbatim,
  type Reply,
} from './reply.js';
import { NO_REPLY, type Client, type CommandEntry, type RespServer } from './server.js';
import type { CommandContext, CommandHandler, CommandSpec } from './types.js';

const HELLO_CHANNEL = '__sentinel__:hello';

const SYNTAX_ERROR = error('ERR syntax error');
const NOT_INTEGER = 'ERR value is not an integer or out of range';

type Handler = (server: RespServer, c: Client, argv: readonly string[]) => Reply | Promise<Reply>;

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
  const meta = capturedInfo(name);
  const spec: CommandSpec = { name, arity: meta.arity, flags: meta.flags, categories: meta.categories };
  // A container's subcommands carry the handlers; COMMAND alone also answers without one.
  const handler: CommandHandler | undefined = h && ((ctx: CommandContext, argv) => h(server, server.clientOf(ctx.client), argv));
  const subcommands = subs && Object.entries(subs).map(([sub, sh]) => builtinSpec(server, `${name}|${sub}`, sh));
  return { ...spec, ...(handler ? { handler } : {}), ...(subcommands ? { subcommands } : {}) };
}

// --- command metadata ---------------------------------------------------------

function capturedInfo(name: string): IndexedCommand {
  const meta = indexedCommand(name);
  if (meta === undefined) throw new Error(`command ${name} missing from commandTable.ts and commandAdditions.ts`);
  return meta;
}

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

function categoriesOf(entry: CommandEntry): readonly string[] {
  return indexedCommand(entry.name)?.categories ?? entry.spec.categories;
}

/** Registered commands in redis-sentinel's order, then any extra ones. */
function orderedCommands(server: RespServer): CommandEntry[] {
  const entries = [...server.commandEntries()];
  return entries.sort((a, b) => topLevelRank(a.name) - topLevelRank(b.name));
}

/** Each command followed by its subcommands, as Redis walks its command dict. */
function flattenCommands(entries: readonly CommandEntry[]): CommandEntry[] {
  return entries.flatMap((e) => [e, ...flattenCommands([...(e.subcommands?.values() ?? [])])]);
}

// --- small helpers ------------------------------------------------------------


function subcommandSyntaxError(argv: readonly string[]): Reply {
  return error(`ERR unknown subcommand or wrong number of arguments for '${(argv[1] ?? '').slice(0, 128)}'. Try ${(argv[0] ?? '').toUpperCase()} HELP.`);
}

function helpReply(lines: readonly string[]): Reply {
  return array(lines.map(simple));
}

/** Redis's validateClientName: printable ASCII without spaces. */
function validClientName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    if (ch < 33 || ch > 126) return false;
  }
  return true;
}

const CLIENT_NAME_ERROR = 'ERR Client names cannot contain spaces, newlines or special characters.';

// --- PING, AUTH, HELLO --------------------------------------------------------

function ping(_s: RespServer, c: Client, argv: readonly string[]): Reply {
  // PING's table arity is -1: the handler itself rejects extra arguments, after the auth check.
  if (argv.length > 2) return error("ERR wrong number of arguments for 'ping' command");
  // The payload is echoed as the bytes received (binary-safe, and never decoded when huge).
  const payload = argv.length > 1 ? c.rawArg(1) ?? argv[1] ?? '' : undefined;
  if (c.protocol === 2 && c.subscriptionCount > 0) return bulkArray(['pong', payload ?? '']);
  return payload === undefined ? simple('PONG') : bulk(payload);
}

const WRONGPASS = error('WRONGPASS invalid username-password pair or user is disabled.');

function auth(s: RespServer, c: Client, argv: readonly string[]): Reply {
  if (argv.length > 3) return SYNTAX_ERROR;
  if (argv.length === 2 && s.acl.defaultUser.nopass) {
    return error('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
  }
  const [user, pass] = argv.length === 2 ? ['default', argv[1] as string] : [argv[1] as string, argv[2] as string];
  // ACL LOG names the command as the client typed it ("auth", "AUTH").
  return s.acl.authenticate(c, user, pass, argv[0] as string) ? OK : WRONGPASS;
}

/** Redis's helloCommand: options act in order (a SETNAME before a failing AUTH sticks), then the auth check. */
function hello(s: RespServer, c: Client, argv: readonly string[]): Reply {
  let version: number | undefined;
  if (argv.length >= 2) {
    version = string2ll(argv[1] as string);
    if (version === undefined) return error('ERR Protocol version is not an integer or out of range');
    if (version < 2 || version > 3) return error('NOPROTO unsupported protocol version');
  }
  for (let j = 2; j < argv.length; j++) {
    const opt = argv[j] as string;
    const more = argv.length - 1 - j;
    if (opt.toLowerCase() === 'auth' && more >= 2) {
      if (!s.acl.authenticate(c, argv[j + 1] as string, argv[j + 2] as string, argv[0] as string)) return WRONGPASS;
      j += 2;
    } else if (opt.toLowerCase() === 'setname' && more >= 1) {
      const name = argv[++j] as string;
      if (!validClientName(name)) return error(CLIENT_NAME_ERROR);
      c.name = name;
    } else {
      return error(`ERR Syntax error in HELLO option '${opt}'`);
    }
  }
  if (!c.authenticated) {
    return error('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time');
  }
  if (version !== undefined) c.protocol = version as 2 | 3;
  return fieldMap([
    ['server', bulk('redis')],
    ['version', bulk(REDIS_VERSION)],
    ['proto', int(c.protocol)],
    ['id', int(c.id)],
    ['mode', bulk('sentinel')],
    ['modules', array([])],
  ]);
}

// --- pub/sub --------------------------------------------------------------------

type SubKind = 'subscribe' | 'psubscribe';
type UnsubKind = 'unsubscribe' | 'punsubscribe';

/** Confirmations are pushes: arrays under RESP2, `>` under RESP3, like Redis. */
function pubsubReply(kind: string, target: string | undefined, count: number): Reply {
  return { kind: 'push', items: [bulk(kind), target === undefined ? NULL : bulk(target), int(count)] };
}

function subscribeAll(s: RespServer, c: Client, argv: readonly string[], kind: SubKind): Reply {
  for (const target of argv.slice(1)) {
    if (kind === 'subscribe') s.subscribe(c, target);
    else s.psubscribe(c, target);
    s.send(c, pubsubReply(kind, target, c.subscriptionCount));
  }
  return NO_REPLY;
}

function unsubscribeAll(s: RespServer, c: Client, argv: readonly string[], kind: UnsubKind): Reply {
  const current = kind === 'unsubscribe' ? c.channels : c.patterns;
  const targets = argv.length > 1 ? argv.slice(1) : [...current];
  for (const target of targets) {
    if (kind === 'unsubscribe') s.unsubscribe(c, target);
    else s.punsubscribe(c, target);
    s.send(c, pubsubReply(kind, target, c.subscriptionCount));
  }
  if (targets.length === 0) s.send(c, pubsubReply(kind, undefined, c.subscriptionCount));
  return NO_REPLY;
}

function publish(s: RespServer, _c: Client, argv: readonly string[]): Reply {
  // Sentinel's PUBLISH only takes peers' hellos; it never reaches its own subscribers.
  if (argv[1] !== HELLO_CHANNEL) return error('ERR Only HELLO messages are accepted by Sentinel instances.');
  return int(s.onHelloPublish?.(argv[1], argv[2] as string) ?? 1);
}

// --- SHUTDOWN -------------------------------------------------------------------

function shutdown(s: RespServer, c: Client, argv: readonly string[]): Reply | Promise<Reply> {
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

// --- CLIENT ---------------------------------------------------------------------

const CLIENT_HELP = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CACHING (YES|NO)',
  '    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.',
  'GETREDIR',
  '    Return the client ID we are redirecting to when tracking is enabled.',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'KILL <ip:port>',
  '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections. Options are:',
  '    * ADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made from the specified address',
  '    * LADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made to specified local address',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Kill connections by type.',
  '    * USER <username>',
  '      Kill connections authenticated by <username>.',
  '    * SKIPME (YES|NO)',
  '      Skip killing current connection (default: yes).',
  'LIST [options ...]',
  '    Return information about client connections. Options:',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Return clients of specified type.',
  'UNPAUSE',
  '    Stop the current client pause, resuming traffic.',
  'PAUSE <timeout> [WRITE|ALL]',
  '    Suspend all, or just write, clients for <timeout> milliseconds.',
  'REPLY (ON|OFF|SKIP)',
  '    Control the replies sent to the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  // Redis 7.2's lines for CLIENT SETINFO (not in redis-sentinel 7.0's help).
  'SETINFO <option> <value>',
  '    Set client meta attr. Options are:',
  '    * LIB-NAME: the client lib name.',
  '    * LIB-VER: the client lib version.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]',
  '    Unblock the specified blocked client.',
  'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]',
  '         [OPTIN] [OPTOUT] [NOLOOP]',
  '    Control server assisted client side caching.',
  'TRACKINGINFO',
  '    Report tracking status for the current connection.',
  'NO-EVICT (ON|OFF)',
  '    Protect current client connection from eviction.',
  'HELP',
  '    Prints this help.',
];

/** Redis's catClientInfoString; memory figures are estimates shaped like redis-server's. */
export function formatClientInfo(c: Client, nowMs = Date.now()): string {
  const executing = c.currentArgv !== undefined;
  const argv = c.currentArgv ?? [];
  const argvMem = argv.reduce((n, a) => n + Buffer.byteLength(a, 'utf8'), 0);
  const qbuf = executing ? c.decoder.bufferedBytes : c.decoder.pendingBytes;
  const idleS = Math.floor((nowMs - c.lastInteractionMs) / 1000);
  const qbufFree = idleS >= 2 && qbuf === 0 ? 0 : Math.max(0, 20474 - qbuf);
  const rbs = executing ? 16384 : 1024;
  const rbp = executing ? 16384 : Math.min(c.replyPeakBytes, rbs);
  const omem = c.socket.writableLength;
  const fd = (c.socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
  return [
    `id=${c.id}`, `addr=${c.addr}`, `laddr=${c.laddr}`, `fd=${fd}`, `name=${c.name}`,
    `age=${Math.floor((nowMs - c.createdAtMs) / 1000)}`, `idle=${idleS}`, `flags=${clientFlags(c)}`, 'db=0',
    `sub=${c.channels.size}`, `psub=${c.patterns.size}`, 'ssub=0', 'multi=-1', `qbuf=${qbuf}`, `qbuf-free=${qbufFree}`,
    `argv-mem=${argvMem}`, 'multi-mem=0', `rbs=${rbs}`, `rbp=${rbp}`, `obl=${c.pendingOutputBytes}`, 'oll=0',
    `omem=${omem}`, `tot-mem=${21248 + rbs + argvMem + 8 * argv.length + omem}`, `events=${omem > 0 ? 'rw' : 'r'}`,
    `cmd=${c.lastCommand}`, `user=${c.user}`, `redir=${c.tracking?.redirect ?? -1}`, `resp=${c.protocol}`,
    ...(c.libName !== undefined ? [`lib-name=${c.libName}`, `lib-ver=${c.libVer ?? ''}`] : []),
  ].join(' ');
}

/** Flag letters in Redis's order; N when none. */
function clientFlags(c: Client): string {
  let f = '';
  if (c.subscriptionCount > 0) f += 'P';
  if (c.tracking !== undefined) f += 't';
  if (c.tracking?.bcast === true) f += 'B';
  if (c.closing) f += 'c';
  if (c.noEvict) f += 'e';
  return f === '' ? 'N' : f;
}

type ClientType = 'normal' | 'master' | 'replica' | 'pubsub';

/** Redis's getClientTypeByName; our clients are never masters or replicas. */
function clientType(name: string): ClientType | undefined {
  const n = name.toLowerCase();
  if (n === 'normal' || n === 'master' || n === 'replica' || n === 'pubsub') return n;
  return n === 'slave' ? 'replica' : undefined;
}

function typeOf(c: Client): ClientType {
  return c.subscriptionCount > 0 ? 'pubsub' : 'normal';
}

function clientList(s: RespServer, _c: Client, argv: readonly string[]): Reply {
  let targets: Client[];
  if (argv.length === 4 && argv[2]?.toLowerCase() === 'type') {
    const type = clientType(argv[3] as string);
    if (type === undefined) return error(`ERR Unknown client type '${argv[3]}'`);
    targets = [...s.clients()].filter((x) => typeOf(x) === type);
  } else if (argv.length > 3 && argv[2]?.toLowerCase() === 'id') {
    const ids = argv.slice(3).map((a) => string2ll(a));
    if (ids.some((id) => id === undefined)) return error('ERR Invalid client ID');
    targets = ids.flatMap((id) => s.clientById(id as number) ?? []);
  } else if (argv.length !== 2) {
    return SYNTAX_ERROR;
  } else {
    targets = [...s.clients()];
  }
  const now = Date.now();
  return verbatim(targets.map((x) => `${formatClientInfo(x, now)}\n`).join(''));
}

interface KillFilter {
  id?: number;
  type?: ClientType;
  addr?: string;
  laddr?: string;
  user?: string;
  skipMe: boolean;
}

function clientKill(s: RespServer, c: Client, argv: readonly string[]): Reply {
  if (argv.length === 3) {
    // Old form: CLIENT KILL ip:port.
    const target = [...s.clients()].find((x) => x.addr === argv[2]);
    if (target === undefined) return error('ERR No such client');
    s.killClient(target, c);
    return OK;
  }
  const filter = parseKillFilter(argv, s.acl);
  if ('error' in filter) return error(filter.error);
  const victims = [...s.clients()].filter((x) => killMatches(x, c, filter));
  for (const v of victims) s.killClient(v, c);
  return int(victims.length);
}

function parseKillFilter(argv: readonly string[], acl: Acl): KillFilter | { error: string } {
  const f: KillFilter = { skipMe: true };
  for (let i = 2; i < argv.length; i += 2) {
    const opt = (argv[i] as string).toLowerCase();
    const value = argv[i + 1];
    if (value === undefined) return { error: 'ERR syntax error' };
    if (opt === 'id') {
      const id = string2ll(value);
      if (id === undefined || id < 1) return { error: 'ERR client-id should be greater than 0' };
      f.id = id;
    } else if (opt === 'type') {
      const type = clientType(value);
      if (type === undefined) return { error: `ERR Unknown client type '${value}'` };
      f.type = type;
    } else if (opt === 'addr') f.addr = value;
    else if (opt === 'laddr') f.laddr = value;
    else if (opt === 'user') {
      if (acl.user(value) === undefined) return { error: `ERR No such user '${value}'` };
      f.user = value;
    } else if (opt === 'skipme' && ['yes', 'no'].includes(value.toLowerCase())) f.skipMe = value.toLowerCase() === 'yes';
    else return { error: 'ERR syntax error' };
  }
  return f;
}

function killMatches(x: Client, caller: Client, f: KillFilter): boolean {
  if (f.id !== undefined && x.id !== f.id) return false;
  if (f.type !== undefined && typeOf(x) !== f.type) return false;
  if (f.addr !== undefined && x.addr !== f.addr) return false;
  if (f.laddr !== undefined && x.laddr !== f.laddr) return false;
  if (f.user !== undefined && x.user !== f.user) return false;
  return !(f.skipMe && x === caller);
}

function clientSetName(_s: RespServer, c: Client, argv: readonly string[]): Reply {
  const name = argv[2] as string;
  if (!validClientName(name)) return error(CLIENT_NAME_ERROR);
  c.name = name;
  return OK;
}

/**
 * Redis 7.2's clientSetinfoCommand: the attribute name first, then the value
 * (printable ASCII without spaces, as client names); an empty value clears it.
 * CLIENT LIST / INFO show both, as Redis 7.2 does, once the client has set
 * either: a client that never sends SETINFO sees redis-sentinel 7.0's line.
 */
function clientSetInfo(_s: RespServer, c: Client, argv: readonly string[]): Reply {
  const attr = argv[2] as string;
  const value = argv[3] as string;
  const key = attr.toLowerCase();
  if (key !== 'lib-name' && key !== 'lib-ver') return error(`ERR Unrecognized option '${attr}'`);
  if (!validClientName(value)) return error(`ERR ${attr} cannot contain spaces, newlines or special characters.`);
  c.libName ??= '';
  c.libVer ??= '';
  if (key === 'lib-name') c.libName = value;
  else c.libVer = value;
  return OK;
}

function clientPause(s: RespServer, _c: Client, argv: readonly string[]): Reply {
  if (argv.length !== 3 && argv.length !== 4) return subcommandSyntaxError(argv);
  let mode: 'write' | 'all' = 'all';
  if (argv.length === 4) {
    const m = (argv[3] as string).toLowerCase();
    if (m !== 'write' && m !== 'all') return error('ERR CLIENT PAUSE mode must be WRITE or ALL');
    mode = m;
  }
  const ms = string2ll(argv[2] as string);
  if (ms === undefined) return error('ERR timeout is not an integer or out of range');
  if (ms < 0) return error('ERR timeout is negative');
  s.pauseClients(Date.now() + ms, mode);
  return OK;
}

function clientReply(_s: RespServer, c: Client, argv: readonly string[]): Reply {
  const mode = (argv[2] as string).toLowerCase();
  if (mode === 'on') {
    c.replyMode = 'on';
    return OK;
  }
  // OFF and SKIP are not acknowledged: their own reply is already suppressed.
  if (mode === 'off') c.replyMode = 'off';
  else if (mode === 'skip') {
    if (c.replyMode !== 'off') c.replyMode = 'skip-next';
  } else return SYNTAX_ERROR;
  return NO_REPLY;
}

function clientUnblock(_s: RespServer, _c: Client, argv: readonly string[]): Reply {
  if (argv.length !== 3 && argv.length !== 4) return subcommandSyntaxError(argv);
  if (argv.length === 4 && !['timeout', 'error'].includes((argv[3] as string).toLowerCase())) {
    return error('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
  }
  if (string2ll(argv[2] as string) === undefined) return error(NOT_INTEGER);
  // No sentinel command blocks, so there is never anyone to unblock.
  return int(0);
}

function onOff(argv: readonly string[], set: (on: boolean) => void): Reply {
  const v = (argv[2] as string).toLowerCase();
  if (v !== 'on' && v !== 'off') return SYNTAX_ERROR;
  set(v === 'on');
  return OK;
}

const CLIENT_SUBCOMMANDS: Record<string, Handler> = {
  id: (_s, c) => int(c.id),
  info: (_s, c) => verbatim(`${formatClientInfo(c)}\n`),
  list: clientList,
  kill: clientKill,
  setname: clientSetName,
  setinfo: clientSetInfo,
  getname: (_s, c) => (c.name === '' ? NULL : bulk(c.name)),
  help: () => helpReply(CLIENT_HELP),
  'no-evict': (_s, c, argv) => onOff(argv, (on) => (c.noEvict = on)),
  pause: clientPause,
  unpause: (s) => {
    s.unpauseClients();
    return OK;
  },
  reply: clientReply,
  unblock: clientUnblock,
  getredir: (_s, c) => int(c.tracking?.redirect ?? -1),
  tracking: clientTracking,
  trackinginfo: (_s, c) => trackingInfo(c),
  caching: clientCaching,
};

// --- CLIENT TRACKING (accepted and reported; Sentinel has no keys to invalidate) ---

interface TrackingRequest {
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  prefixes: string[];
}

function clientTracking(s: RespServer, c: Client, argv: readonly string[]): Reply {
  const req = parseTrackingOptions(s, argv);
  if ('error' in req) return error(req.error);
  const onoff = (argv[2] as string).toLowerCase();
  if (onoff === 'off') {
    c.tracking = undefined;
    return OK;
  }
  if (onoff !== 'on') return SYNTAX_ERROR;
  const problem = trackingConflict(c, req);
  if (problem !== undefined) return error(problem);
  // Like enableTracking: options are replaced, BCAST prefixes accumulate.
  const added = req.bcast && req.prefixes.length === 0 ? [''] : req.prefixes;
  const prefixes = [...new Set([...(c.tracking?.prefixes ?? []), ...added])].sort();
  c.tracking = { ...req, caching: false, prefixes };
  return OK;
}

function parseTrackingOptions(s: RespServer, argv: readonly string[]): TrackingRequest | { error: string } {
  const req: TrackingRequest = { redirect: 0, bcast: false, optin: false, optout: false, noloop: false, prefixes: [] };
  for (let j = 3; j < argv.length; j++) {
    const opt = (argv[j] as string).toLowerCase();
    const more = argv.length - 1 - j;
    if (opt === 'redirect' && more > 0) {
      if (req.redirect !== 0) return { error: 'ERR A client can only redirect to a single other client' };
      const id = string2ll(argv[++j] as string);
      if (id === undefined) return { error: NOT_INTEGER };
      if (s.clientById(id) === undefined) return { error: 'ERR The client ID you want redirect to does not exist' };
      req.redirect = id;
    } else if (opt === 'bcast' || opt === 'optin' || opt === 'optout' || opt === 'noloop') {
      req[opt] = true;
    } else if (opt === 'prefix' && more > 0) {
      req.prefixes.push(argv[++j] as string);
    } else {
      return { error: 'ERR syntax error' };
    }
  }
  return req;
}

function trackingConflict(c: Client, req: TrackingRequest): string | undefined {
  if (!req.bcast && req.prefixes.length > 0) return 'ERR PREFIX option requires BCAST mode to be enabled';
  if (c.tracking !== undefined && c.tracking.bcast !== req.bcast) {
    return "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.";
  }
  if (req.bcast && (req.optin || req.optout)) return 'ERR OPTIN and OPTOUT are not compatible with BCAST';
  if (req.optin && req.optout) return "ERR You can't specify both OPTIN mode and OPTOUT mode";
  if ((req.optin && c.tracking?.optout === true) || (req.optout && c.tracking?.optin === true)) {
    return "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.";
  }
  return req.bcast ? prefixCollision(c.tracking?.prefixes ?? [], req.prefixes) : undefined;
}

/**
 * The first wanted prefix (in argument order) that overlaps an existing one
 * (checked first) or a later wanted one, as Redis reports it. In O(n log n):
 * `existing` is sorted and overlap-free, and among sorted strings those that
 * start with s form the block right after s (20,000 prefixes took 10 s with
 * the pairwise scan).
 */
function prefixCollision(existing: readonly string[], wanted: readonly string[]): string | undefined {
  const overlaps = (a: string, b: string): boolean => a.startsWith(b) || b.startsWith(a);
  const firstLater = firstOverlappingLater(wanted);
  for (let i = 0; i < wanted.length; i++) {
    const p = wanted[i] as string;
    const old = existingOverlap(existing, p);
    if (old !== undefined) return `ERR Prefix '${p}' overlaps with an existing prefix '${old}'. Prefixes for a single client must not overlap.`;
    if (i !== firstLater) continue;
    const other = wanted.find((q, j) => j > i && overlaps(p, q));
    return `ERR Prefix '${p}' overlaps with another provided prefix '${other ?? ''}'. Prefixes for a single client must not overlap.`;
  }
  return undefined;
}

/** The first of the sorted, overlap-free `existing` that is a prefix of p or starts with p. */
function existingOverlap(existing: readonly string[], p: string): string | undefined {
  const at = lowerBound(existing, p);
  const next = existing[at];
  if (next !== undefined && next.startsWith(p)) return next;
  const prev = existing[at - 1];
  return prev !== undefined && p.startsWith(prev) ? prev : undefined;
}

function lowerBound(sorted: readonly string[], p: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < p) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The smallest i such that wanted[i] overlaps some wanted[j], j > i; -1 if
 * none. Every overlapping pair is a string and one of the block that follows
 * it in sorted order, so the answer is the least of min(index(s), least index
 * in s's block), found with a sparse-table range minimum.
 */
function firstOverlappingLater(wanted: readonly string[]): number {
  const n = wanted.length;
  const order = wanted.map((_, i) => i).sort((a, b) => {
    const x = wanted[a] as string;
    const y = wanted[b] as string;
    return x < y ? -1 : x > y ? 1 : a - b;
  });
  const sorted = order.map((i) => wanted[i] as string);
  const table: Int32Array[] = [Int32Array.from(order)];
  for (let w = 1; 2 * w <= n; w *= 2) {
    const prev = table[table.length - 1] as Int32Array;
    const level = new Int32Array(n - 2 * w + 1);
    for (let k = 0; k < level.length; k++) level[k] = Math.min(prev[k] as number, prev[k + w] as number);
    table.push(level);
  }
  const rangeMin = (from: number, to: number): number => {
    const lg = 31 - Math.clz32(to - from + 1);
    const level = table[lg] as Int32Array;
    return Math.min(level[from] as number, level[to - (1 << lg) + 1] as number);
  };
  let best = -1;
  for (let k = 0; k + 1 < n; k++) {
    const s = sorted[k] as string;
    if (!(sorted[k + 1] as string).startsWith(s)) continue;
    let lo = k + 1;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((sorted[mid] as string).startsWith(s)) lo = mid;
      else hi = mid - 1;
    }
    const pairMin = Math.min(order[k] as number, rangeMin(k + 1, lo));
    if (best < 0 || pairMin < best) best = pairMin;
  }
  return best;
}

function trackingInfo(c: Client): Reply {
  const t = c.tracking;
  const flags: string[] = [t === undefined ? 'off' : 'on'];
  if (t?.bcast === true) flags.push('bcast');
  if (t?.optin === true) flags.push('optin', ...(t.caching ? ['caching-yes'] : []));
  if (t?.optout === true) flags.push('optout', ...(t.caching ? ['caching-no'] : []));
  if (t?.noloop === true) flags.push('noloop');
  return fieldMap([
    ['flags', { kind: 'set', items: flags.map(bulk) }],
    ['redirect', int(t?.redirect ?? -1)],
    ['prefixes', bulkArray(t?.prefixes ?? [])],
  ]);
}

function clientCaching(_s: RespServer, c: Client, argv: readonly string[]): Reply {
  const t = c.tracking;
  if (t === undefined) {
    return error('ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled');
  }
  const v = (argv[2] as string).toLowerCase();
  if (v === 'yes' && !t.optin) return error('ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.');
  if (v === 'no' && !t.optout) return error('ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.');
  if (v !== 'yes' && v !== 'no') return SYNTAX_ERROR;
  t.caching = true;
  return OK;
}

// --- COMMAND --------------------------------------------------------------------

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

function commandAll(s: RespServer, c?: Client): Reply {
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

const COMMAND_SUBCOMMANDS: Record<string, Handler> = {
  count: (s) => int([...s.commandEntries()].length),
  info: commandInfo,
  docs: commandDocs,
  list: commandList,
  getkeys: commandGetKeys,
  getkeysandflags: commandGetKeys,
  help: () => helpReply(COMMAND_HELP),
};

// --- ACL (users and rules: acl.ts, aclRules.ts; their subcommands: aclCommands.ts) ---

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

const ACL_SUBCOMMANDS: Record<string, Handler> = {
  cat: aclCat,
  genpass: aclGenPass,
  help: () => helpReply(ACL_HELP),
  ...ACL_USER_COMMANDS,
};
