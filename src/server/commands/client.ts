/** CLIENT: the client list and its formats, KILL, names, PAUSE, REPLY, UNBLOCK. */
import { string2ll } from '../../numbers.js';
import type { Acl } from '../acl.js';
import { NO_REPLY, NULL, OK, bulk, error, int, verbatim, type Reply } from '../reply.js';
import type { RespServer } from '../server.js';
import type { Client } from '../clientState.js';
import { clientCaching, clientTracking, trackingInfo } from './clientTracking.js';
import { type Handler, NOT_INTEGER, SYNTAX_ERROR, helpReply, subcommandSyntaxError } from './handler.js';
import { textByteLength } from '../../byteText.js';

/** Redis's validateClientName: printable ASCII without spaces. */
export function validClientName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    if (ch < 33 || ch > 126) return false;
  }
  return true;
}

export const CLIENT_NAME_ERROR = 'ERR Client names cannot contain spaces, newlines or special characters.';

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
  const argvMem = argv.reduce((n, a) => n + textByteLength(a), 0);
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

export const CLIENT_SUBCOMMANDS: Record<string, Handler> = {
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
