/**
 * Redis 7.0 ACL rules (acl.c), pure: users, selectors, the rule language of
 * `ACL SETUSER` / `user` lines, the permission check, and the descriptions
 * `ACL LIST` / `ACL GETUSER` print. No I/O: the server side (clients, log,
 * files) is in acl.ts.
 *
 * Commands are known by the command index (commandIndex.ts: redis-sentinel's
 * own table plus the added subcommands), the equivalent of Redis's
 * `server.orig_commands`, so a rule names exactly the commands and
 * subcommands this Sentinel accepts.
 *
 * Where Redis keeps a command bitmap, a selector keeps a Set of command ids
 * plus the "future commands" bit that only `+@all` / `allcommands` sets: it is
 * how Redis decides whether a description starts with `+@all` or `-@all`.
 */
import { createHash } from 'node:crypto';
import { splitArgsText } from '../redisArgs.js';
import { ACL_CATEGORIES, TOP_LEVEL_COMMANDS, type IndexedCommand } from './commandIndex.js';
import { globMatch } from './glob.js';
import type { Reply } from './reply.js';

// --- the command catalog -----------------------------------------------------

export interface AclCommand {
  /** Position in the catalog, Redis's command id. */
  readonly id: number;
  /** Full name as Redis prints it: "ping", "client|kill". */
  readonly name: string;
  readonly categories: ReadonlySet<string>;
  /** CMD_NO_AUTH (AUTH, HELLO): never refused by the command rules. */
  readonly noAuth: boolean;
  readonly parent: AclCommand | undefined;
  /** By lower-case subcommand name, in table order. */
  readonly subcommands: ReadonlyMap<string, AclCommand> | undefined;
}

/** Which arguments are channels (Redis's getChannelsFromCommand table, for the commands Sentinel has). */
const CHANNEL_ARGS: Readonly<Record<string, { first: number; last: number; pattern: boolean }>> = {
  publish: { first: 1, last: 1, pattern: false },
  subscribe: { first: 1, last: -1, pattern: false },
  psubscribe: { first: 1, last: -1, pattern: true },
};

export class CommandCatalog {
  /** Top-level commands in table order (Redis walks its command dict in the same spirit). */
  readonly commands: readonly AclCommand[];
  readonly categories: readonly string[];
  private readonly byName = new Map<string, AclCommand>();

  constructor(index: readonly IndexedCommand[], categories: readonly string[]) {
    this.categories = categories;
    let nextId = 0;
    const build = (entry: IndexedCommand, parent: AclCommand | undefined): AclCommand => {
      const subcommands = entry.subcommands.length > 0 ? new Map<string, AclCommand>() : undefined;
      const cmd: AclCommand = {
        id: nextId++,
        name: entry.name,
        categories: new Set(entry.categories),
        noAuth: entry.flags.includes('no_auth'),
        parent,
        subcommands,
      };
      for (const s of entry.subcommands) {
        const sub = build(s, cmd);
        subcommands?.set(sub.name.split('|')[1] ?? sub.name, sub);
      }
      return cmd;
    };
    this.commands = index.map((entry) => build(entry, undefined));
    for (const cmd of this.commands) this.byName.set(cmd.name, cmd);
  }

  /**
   * Redis's lookupCommandBySds (strict): "name" or "name|sub", case-insensitive;
   * a second part on a command without subcommands, or a third part, is no command.
   */
  lookup(name: string): AclCommand | undefined {
    const cached = this.lookupCache.get(name);
    if (cached !== undefined) return cached;
    const found = this.lookupUncached(name);
    // Only real command names are cached, and a bounded number of spellings
    // (case variants are endless).
    if (found !== undefined && this.lookupCache.size < 1024) this.lookupCache.set(name, found);
    return found;
  }

  private readonly lookupCache = new Map<string, AclCommand>();

  private lookupUncached(name: string): AclCommand | undefined {
    const parts = name.split('|');
    if (parts.length > 2) return undefined;
    const base = this.byName.get(asciiLower(parts[0] ?? ''));
    if (parts.length === 1 || base === undefined) return base;
    return base.subcommands?.get(asciiLower(parts[1] ?? ''));
  }

  hasCategory(name: string): boolean {
    return this.categories.includes(asciiLower(name));
  }

  /** Every command and subcommand, each container followed by its subcommands. */
  *all(): Generator<AclCommand> {
    for (const cmd of this.commands) {
      yield cmd;
      if (cmd.subcommands !== undefined) yield* cmd.subcommands.values();
    }
  }
}

/** redis-sentinel 7.0.15's commands, as its ACL sees them, and the Redis 7.2 / Valkey additions. */
export const SENTINEL_CATALOG = new CommandCatalog(TOP_LEVEL_COMMANDS, ACL_CATEGORIES);

function asciiLower(s: string): string {
  // Hot path (every command is checked): most names are lower case already.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return s.replace(/[A-Z]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 32));
  }
  return s;
}

/** C strcasecmp() == 0: ASCII letters only fold. */
export function equalsNoCase(a: string, b: string): boolean {
  return a.length === b.length && asciiLower(a) === asciiLower(b);
}

// --- errors ------------------------------------------------------------------

/** The errno values acl.c sets; ACLSetUserStringError turns them into text. */
export type AclRuleError = 'ENOENT' | 'EINVAL' | 'EEXIST' | 'EISDIR' | 'ENODEV' | 'EBADMSG' | 'EALREADY' | 'ECHILD';

const RULE_ERROR_TEXT: Readonly<Record<AclRuleError, string>> = {
  ENOENT: 'Unknown command or category name in ACL',
  EINVAL: 'Syntax error',
  EEXIST:
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
  EISDIR:
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
  ENODEV: 'The password you are trying to remove from the user does not exist',
  EBADMSG: 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters',
  EALREADY: 'Duplicate user found. A user can only be defined once in config files',
  ECHILD: 'Allowing first-arg of a subcommand is not supported',
};

export function ruleErrorText(err: AclRuleError): string {
  return RULE_ERROR_TEXT[err];
}

// --- passwords ---------------------------------------------------------------

/** Redis stores SHA-256 hex digests, never the password. */
export function hashPassword(password: string | Buffer): string {
  return createHash('sha256').update(password).digest('hex');
}

/** ACLCheckPasswordHash: exactly 64 lower-case hex digits. */
export function isPasswordHash(s: string): boolean {
  return /^[0-9a-f]{64}$/.test(s);
}

// --- selectors and users -----------------------------------------------------

const KEY_READ = 1;
const KEY_WRITE = 2;
const KEY_ALL = KEY_READ | KEY_WRITE;

export interface KeyPattern {
  readonly pattern: string;
  flags: number;
}

export class AclSelector {
  allKeys = false;
  allChannels: boolean;
  allCommands = false;
  /** The reserved bit only `+@all` sets: the selector also allows commands added later. */
  future = false;
  readonly allowed = new Set<number>();
  /** `+cmd|arg` on a command without subcommands: allowed first arguments by command id. */
  readonly firstArgs = new Map<number, string[]>();
  readonly keys: KeyPattern[] = [];
  readonly channels: string[] = [];

  constructor(
    readonly root: boolean,
    allChannels = false,
  ) {
    this.allChannels = allChannels;
  }

  clone(): AclSelector {
    const s = new AclSelector(this.root, this.allChannels);
    s.allKeys = this.allKeys;
    s.allCommands = this.allCommands;
    s.future = this.future;
    for (const id of this.allowed) s.allowed.add(id);
    for (const [id, args] of this.firstArgs) s.firstArgs.set(id, [...args]);
    s.keys.push(...this.keys.map((k) => ({ ...k })));
    s.channels.push(...this.channels);
    return s;
  }
}

export type SanitizeFlag = 'sanitize-payload' | 'skip-sanitize-payload';

export class AclUser {
  /** "on" (true) or "off"; a new user is off. */
  enabled = false;
  nopass = false;
  sanitize: SanitizeFlag | undefined;
  readonly passwords: string[] = [];
  /** The root selector first, then the `(...)` selectors. */
  readonly selectors: AclSelector[];

  constructor(
    readonly name: string,
    /** acl-pubsub-default: allchannels makes new selectors start with &*. */
    readonly pubsubAllChannels = false,
  ) {
    this.selectors = [new AclSelector(true, pubsubAllChannels)];
  }

  get rootSelector(): AclSelector {
    return this.selectors[0] as AclSelector;
  }

  /** ACLCopyUser: everything but the name. */
  copyFrom(src: AclUser): void {
    this.enabled = src.enabled;
    this.nopass = src.nopass;
    this.sanitize = src.sanitize;
    this.passwords.splice(0, this.passwords.length, ...src.passwords);
    this.selectors.splice(0, this.selectors.length, ...src.selectors.map((s) => s.clone()));
  }

  clone(name = this.name): AclUser {
    const u = new AclUser(name, this.pubsubAllChannels);
    u.copyFrom(this);
    return u;
  }
}

/** ACLCreateDefaultUser: +@all ~* &* on nopass. */
export function createDefaultUser(catalog: CommandCatalog = SENTINEL_CATALOG, pubsubAllChannels = false): AclUser {
  const u = new AclUser('default', pubsubAllChannels);
  for (const op of ['+@all', '~*', '&*', 'on', 'nopass']) applyUserRule(u, op, catalog);
  return u;
}

// --- the rule language -----------------------------------------------------------

/** ACLStringHasSpaces: isspace() or NUL anywhere. */
export function hasSpaces(s: string): boolean {
  return /[\t\n\v\f\r \0]/.test(s);
}

/** ACLSetUser: one rule on a user; undefined when applied. */
export function applyUserRule(u: AclUser, op: string, catalog: CommandCatalog = SENTINEL_CATALOG): AclRuleError | undefined {
  if (op.length === 0) return undefined;
  const flag = applyUserFlag(u, op, catalog);
  if (flag !== 'not-a-flag') return flag;
  const c = op[0];
  if (c === '>' || c === '#') return addPassword(u, op);
  if (c === '<' || c === '!') return removePassword(u, op);
  if (c === '(' && op.endsWith(')')) {
    const sel = selectorFromOpSet(op, u.pubsubAllChannels, catalog);
    if (typeof sel === 'string') return sel;
    u.selectors.push(sel);
    return undefined;
  }
  return applySelectorRule(u.rootSelector, op, catalog);
}

function applyUserFlag(u: AclUser, op: string, catalog: CommandCatalog): AclRuleError | undefined | 'not-a-flag' {
  switch (asciiLower(op)) {
    case 'on': u.enabled = true; return undefined;
    case 'off': u.enabled = false; return undefined;
    case 'skip-sanitize-payload': u.sanitize = 'skip-sanitize-payload'; return undefined;
    case 'sanitize-payload': u.sanitize = 'sanitize-payload'; return undefined;
    case 'nopass': u.nopass = true; u.passwords.length = 0; return undefined;
    case 'resetpass': u.nopass = false; u.passwords.length = 0; return undefined;
    case 'clearselectors': u.selectors.length = 1; return undefined;
    case 'reset': resetUser(u, catalog); return undefined;
    default: return 'not-a-flag';
  }
}

function resetUser(u: AclUser, catalog: CommandCatalog): void {
  const ops = ['resetpass', 'resetkeys', 'resetchannels', ...(u.pubsubAllChannels ? ['allchannels'] : []), 'off',
    'sanitize-payload', 'clearselectors', '-@all'];
  for (const op of ops) applyUserRule(u, op, catalog);
}

function addPassword(u: AclUser, op: string): AclRuleError | undefined {
  const body = op.slice(1);
  if (op[0] === '#' && !isPasswordHash(body)) return 'EBADMSG';
  const hash = op[0] === '>' ? hashPassword(body) : body;
  if (!u.passwords.includes(hash)) u.passwords.push(hash);
  u.nopass = false;
  return undefined;
}

function removePassword(u: AclUser, op: string): AclRuleError | undefined {
  const body = op.slice(1);
  if (op[0] === '!' && !isPasswordHash(body)) return 'EBADMSG';
  const i = u.passwords.indexOf(op[0] === '<' ? hashPassword(body) : body);
  if (i < 0) return 'ENODEV';
  u.passwords.splice(i, 1);
  return undefined;
}

/** aclCreateSelectorFromOpSet: "(op op ...)" split like sdssplitargs. */
function selectorFromOpSet(op: string, pubsubAllChannels: boolean, catalog: CommandCatalog): AclSelector | AclRuleError {
  const sel = new AclSelector(false, pubsubAllChannels);
  for (const inner of splitArgsText(op.slice(1, -1)) ?? []) {
    const err = applySelectorRule(sel, inner, catalog);
    if (err !== undefined) return err;
  }
  return sel;
}

/** ACLSetSelector: key, channel and command rules. */
export function applySelectorRule(s: AclSelector, op: string, catalog: CommandCatalog = SENTINEL_CATALOG): AclRuleError | undefined {
  const lower = asciiLower(op);
  if (lower === 'allkeys' || lower === '~*') {
    s.allKeys = true;
    s.keys.length = 0;
  } else if (lower === 'resetkeys') {
    s.allKeys = false;
    s.keys.length = 0;
  } else if (lower === 'allchannels' || lower === '&*') {
    s.allChannels = true;
    s.channels.length = 0;
  } else if (lower === 'resetchannels') {
    s.allChannels = false;
    s.channels.length = 0;
  } else if (lower === 'allcommands' || lower === '+@all') {
    s.allCommands = true;
    s.future = true;
    for (const cmd of catalog.all()) s.allowed.add(cmd.id);
    s.firstArgs.clear();
  } else if (lower === 'nocommands' || lower === '-@all') {
    s.allCommands = false;
    s.future = false;
    s.allowed.clear();
    s.firstArgs.clear();
  } else if (op[0] === '~' || op[0] === '%') {
    return addKeyPattern(s, op);
  } else if (op[0] === '&') {
    return addChannelPattern(s, op);
  } else if ((op[0] === '+' || op[0] === '-') && op[1] !== '@') {
    return op[0] === '+' ? allowCommandRule(s, op.slice(1), catalog) : denyCommandRule(s, op.slice(1), catalog);
  } else if (op[0] === '+' || op[0] === '-') {
    const category = op.slice(2);
    if (!catalog.hasCategory(category)) return 'ENOENT';
    setCategory(s, asciiLower(category), op[0] === '+', catalog);
  } else {
    return 'EINVAL';
  }
  return undefined;
}

function addKeyPattern(s: AclSelector, op: string): AclRuleError | undefined {
  if (s.allKeys) return 'EEXIST';
  let flags = KEY_ALL;
  let offset = 1;
  if (op[0] === '%') {
    flags = 0;
    for (; offset < op.length; offset++) {
      const ch = (op[offset] as string).toUpperCase();
      if (ch === 'R' && (flags & KEY_READ) === 0) flags |= KEY_READ;
      else if (ch === 'W' && (flags & KEY_WRITE) === 0) flags |= KEY_WRITE;
      else if (op[offset] === '~') {
        offset++;
        break;
      } else return 'EINVAL';
    }
    if (flags === 0) return 'EINVAL';
  }
  const pattern = op.slice(offset);
  if (hasSpaces(pattern)) return 'EINVAL';
  const existing = s.keys.find((k) => k.pattern === pattern);
  if (existing !== undefined) existing.flags |= flags;
  else s.keys.push({ pattern, flags });
  return undefined;
}

function addChannelPattern(s: AclSelector, op: string): AclRuleError | undefined {
  if (s.allChannels) return 'EISDIR';
  const pattern = op.slice(1);
  if (hasSpaces(pattern)) return 'EINVAL';
  if (!s.channels.includes(pattern)) s.channels.push(pattern);
  return undefined;
}

/** `+name`, `+name|sub` (a subcommand), `+name|arg` (a first argument of a command without subcommands). */
function allowCommandRule(s: AclSelector, spec: string, catalog: CommandCatalog): AclRuleError | undefined {
  const bar = spec.lastIndexOf('|');
  if (bar < 0) {
    const cmd = catalog.lookup(spec);
    if (cmd === undefined) return 'ENOENT';
    changePerm(s, cmd, true);
    return undefined;
  }
  const cmd = catalog.lookup(spec.slice(0, bar));
  if (cmd === undefined) return 'ENOENT';
  if (cmd.parent !== undefined) return 'ECHILD';
  const sub = spec.slice(bar + 1);
  if (sub.length === 0) return 'EINVAL';
  if (cmd.subcommands !== undefined) {
    const subCmd = catalog.lookup(spec);
    if (subCmd === undefined) return 'ENOENT';
    changePerm(s, subCmd, true);
    return undefined;
  }
  // Redis logs a deprecation warning for this form and still accepts it.
  const args = s.firstArgs.get(cmd.id) ?? [];
  if (!args.some((a) => equalsNoCase(a, sub))) args.push(sub);
  s.firstArgs.set(cmd.id, args);
  return undefined;
}

function denyCommandRule(s: AclSelector, spec: string, catalog: CommandCatalog): AclRuleError | undefined {
  const cmd = catalog.lookup(spec);
  if (cmd === undefined) return 'ENOENT';
  changePerm(s, cmd, false);
  return undefined;
}

function setBit(s: AclSelector, id: number, allow: boolean): void {
  if (allow) {
    s.allowed.add(id);
  } else {
    s.allowed.delete(id);
    s.allCommands = false;
  }
}

/** ACLChangeSelectorPerm: a container takes its subcommands along; first arguments are forgotten. */
function changePerm(s: AclSelector, cmd: AclCommand, allow: boolean): void {
  setBit(s, cmd.id, allow);
  s.firstArgs.delete(cmd.id);
  for (const sub of cmd.subcommands?.values() ?? []) setBit(s, sub.id, allow);
}

/** ACLSetSelectorCommandBitsForCategory: commands of the category, subcommands included. */
function setCategory(s: AclSelector, category: string, allow: boolean, catalog: CommandCatalog): void {
  const visit = (cmds: Iterable<AclCommand>): void => {
    for (const cmd of cmds) {
      if (cmd.categories.has(category)) changePerm(s, cmd, allow);
      if (cmd.subcommands !== undefined) visit(cmd.subcommands.values());
    }
  };
  visit(catalog.commands);
}

function countCategory(s: AclSelector, category: string, catalog: CommandCatalog): { on: number; off: number } {
  let on = 0;
  let off = 0;
  for (const cmd of catalog.all()) {
    if (!cmd.categories.has(category)) continue;
    if (s.allowed.has(cmd.id)) on++;
    else off++;
  }
  return { on, off };
}

/**
 * ACLMergeSelectorArguments: "(+ping" "~x)" become one "(+ping ~x)" argument.
 * Returns the index of the argument opening an unclosed selector instead.
 */
export function mergeSelectorArgs(args: readonly string[]): string[] | { unmatchedAt: number } {
  const out: string[] = [];
  let openAt = -1;
  let selector = '';
  for (let j = 0; j < args.length; j++) {
    const op = args[j] as string;
    if (op.startsWith('(') && !op.endsWith(')')) {
      selector = op;
      openAt = j;
      continue;
    }
    if (openAt >= 0) {
      selector += ` ${op}`;
      if (op.endsWith(')')) {
        openAt = -1;
        out.push(selector);
      }
      continue;
    }
    out.push(op);
  }
  return openAt >= 0 ? { unmatchedAt: openAt } : out;
}

// --- descriptions ------------------------------------------------------------

function keyPatternText(k: KeyPattern): string {
  const prefix = k.flags === KEY_ALL ? '~' : k.flags === KEY_READ ? '%R~' : '%W~';
  return prefix + k.pattern;
}

/**
 * ACLDescribeSelectorCommandRules (7.0): a best-fit rewrite of the command
 * set: start from +@all or -@all, add whole categories while they fit better
 * than not, then fix single commands and first arguments, in table order.
 */
export function describeCommandRules(s: AclSelector, catalog: CommandCatalog = SENTINEL_CATALOG): string {
  const additive = !s.future;
  const rules: string[] = [additive ? '-@all' : '+@all'];
  const fake = new AclSelector(false);
  applySelectorRule(fake, rules[0] as string, catalog);
  const temp = new AclSelector(false);
  for (const id of s.allowed) temp.allowed.add(id);
  const applied = new Set<string>();
  for (;;) {
    const best = bestCategory(temp, additive, applied, catalog);
    if (best === undefined) break;
    setCategory(fake, best, additive, catalog);
    setCategory(temp, best, !additive, catalog);
    rules.push(`${additive ? '+' : '-'}@${best}`);
    applied.add(best);
  }
  for (const cmd of catalog.commands) {
    const userBit = s.allowed.has(cmd.id);
    fixSingle(s, fake, cmd, rules);
    for (const sub of cmd.subcommands?.values() ?? []) fixSingle(s, fake, sub, rules);
    const firstArgs = s.firstArgs.get(cmd.id);
    if (!userBit && firstArgs !== undefined) for (const arg of firstArgs) rules.push(`+${cmd.name}|${arg}`);
  }
  return rules.join(' ');
}

function bestCategory(temp: AclSelector, additive: boolean, applied: ReadonlySet<string>, catalog: CommandCatalog): string | undefined {
  let best: string | undefined;
  let minDiff = Number.MAX_SAFE_INTEGER;
  let maxSame = 0;
  for (const category of catalog.categories) {
    if (applied.has(category)) continue;
    const { on, off } = countCategory(temp, category, catalog);
    const diff = additive ? off : on;
    const same = additive ? on : off;
    if (same > diff && (diff < minDiff || (diff === minDiff && same > maxSame))) {
      best = category;
      minDiff = diff;
      maxSame = same;
    }
  }
  return best;
}

function fixSingle(s: AclSelector, fake: AclSelector, cmd: AclCommand, rules: string[]): void {
  const userBit = s.allowed.has(cmd.id);
  if (userBit === fake.allowed.has(cmd.id)) return;
  rules.push(`${userBit ? '+' : '-'}${cmd.name}`);
  changePerm(fake, cmd, userBit);
}

/** ACL GETUSER "keys": "~*" for allkeys, else the patterns. */
export function describeKeys(s: AclSelector): string {
  return s.allKeys ? '~*' : s.keys.map(keyPatternText).join(' ');
}

/** ACL GETUSER "channels": "&*" for allchannels, else the patterns. */
export function describeChannels(s: AclSelector): string {
  return s.allChannels ? '&*' : s.channels.map((c) => `&${c}`).join(' ');
}

/** ACLDescribeSelector: keys, channels (with "resetchannels"), command rules. */
export function describeSelector(s: AclSelector, catalog: CommandCatalog = SENTINEL_CATALOG): string {
  const parts: string[] = [];
  if (s.allKeys) parts.push('~*');
  else parts.push(...s.keys.map(keyPatternText));
  if (s.allChannels) parts.push('&*');
  else parts.push('resetchannels', ...s.channels.map((c) => `&${c}`));
  parts.push(describeCommandRules(s, catalog));
  return parts.join(' ');
}

/** Flags in Redis's ACLUserFlags order. */
export function userFlags(u: AclUser): string[] {
  const flags = [u.enabled ? 'on' : 'off'];
  if (u.nopass) flags.push('nopass');
  if (u.sanitize === 'skip-sanitize-payload') flags.push('skip-sanitize-payload');
  if (u.sanitize === 'sanitize-payload') flags.push('sanitize-payload');
  return flags;
}

/** ACLDescribeUser: the rules after "user <name>" in ACL LIST and the ACL file. */
export function describeUser(u: AclUser, catalog: CommandCatalog = SENTINEL_CATALOG): string {
  const parts = [...userFlags(u), ...u.passwords.map((p) => `#${p}`)];
  let text = parts.map((p) => `${p} `).join('');
  for (const s of u.selectors) {
    const d = describeSelector(s, catalog);
    text += s.root ? d : ` (${d})`;
  }
  return text;
}

// --- permission checks ----------------------------------------------------------

/** Redis's ACL_DENIED_* in their order of relevance (a channel denial outranks a command one). */
export type AclDenial = { readonly reason: 'command' } | { readonly reason: 'channel'; readonly argIndex: number };

/** ACLSelectorCheckCmd: command bits (or first argument), then channels. Sentinel commands take no keys. */
export function checkSelector(s: AclSelector, cmd: AclCommand, argv: readonly string[]): AclDenial | undefined {
  if (!s.allCommands && !cmd.noAuth && !s.allowed.has(cmd.id)) {
    const args = s.firstArgs.get(cmd.id);
    const first = argv[cmd.parent !== undefined ? 2 : 1];
    if (args === undefined || argv.length < 2 || first === undefined || !args.some((a) => equalsNoCase(a, first))) {
      return { reason: 'command' };
    }
  }
  const spec = CHANNEL_ARGS[cmd.name];
  if (s.allChannels || spec === undefined) return undefined;
  const last = spec.last < 0 ? argv.length - 1 : Math.min(spec.last, argv.length - 1);
  for (let i = spec.first; i <= last; i++) {
    if (!channelAllowed(s.channels, argv[i] as string, spec.pattern)) return { reason: 'channel', argIndex: i };
  }
  return undefined;
}

/** ACLCheckChannelAgainstList: a pattern subscription must be listed literally; a channel may match a pattern. */
export function channelAllowed(patterns: readonly string[], channel: string, isPattern: boolean): boolean {
  return patterns.some((p) => (isPattern ? p === channel : globMatch(p, channel)));
}

/** ACLCheckAllUserCommandPerm: allowed when any selector allows; else the most relevant denial. */
export function checkUser(u: AclUser, cmd: AclCommand, argv: readonly string[]): AclDenial | undefined {
  let relevant: AclDenial = { reason: 'command' };
  for (const s of u.selectors) {
    const denial = checkSelector(s, cmd, argv);
    if (denial === undefined) return undefined;
    if (denial.reason === 'channel' && (relevant.reason === 'command' || denial.argIndex > relevant.argIndex)) relevant = denial;
  }
  return relevant;
}

/** ACLCheckUserCredentials: the user exists, is on, and is nopass or has this password. */
export function credentialsMatch(u: AclUser | undefined, password: string): boolean {
  if (u === undefined || !u.enabled) return false;
  if (u.nopass) return true;
  const hashed = hashPassword(password);
  // Every stored hash is compared, so the time does not tell which one matched.
  let match = false;
  for (const p of u.passwords) match = constantTimeEqual(p, hashed) || match;
  return match;
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * ACLAppendUserForLoading's check of a config `user` line: unknown commands
 * are let through (Redis reports them when it loads the users, and exits),
 * any other bad rule is a config error. Returns the error text.
 */
export function checkUserDeclaration(args: readonly string[], catalog: CommandCatalog = SENTINEL_CATALOG): string | undefined {
  const merged = mergeSelectorArgs(args.slice(1));
  // Redis reports the errno left over from earlier calls here; on 7.0.15 that is ENOENT's text.
  if (!Array.isArray(merged)) return `Error in user declaration '${args[0] ?? ''}': ${ruleErrorText('ENOENT')}`;
  const fake = new AclUser(args[0] ?? '');
  for (const op of merged) {
    const err = applyUserRule(fake, op, catalog);
    if (err !== undefined && err !== 'ENOENT') return `Error in user declaration '${args[0] ?? ''}': ${ruleErrorText(err)}`;
  }
  return undefined;
}
