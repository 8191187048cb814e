/**
 * Redis 7.0 ACL rules (acl.c), pure: users, selectors and the rule language
 * of `ACL SETUSER` / `user` lines. The commands a rule can name are in
 * aclCatalog.ts, the descriptions `ACL LIST` / `ACL GETUSER` print in
 * aclDescribe.ts, the permission check in aclCheck.ts. No I/O: the server
 * side (clients, log, files) is in acl.ts.
 *
 * Where Redis keeps a command bitmap, a selector keeps a Set of command ids
 * plus the "future commands" bit that only `+@all` / `allcommands` sets: it is
 * how Redis decides whether a description starts with `+@all` or `-@all`.
 */
import { createHash } from 'node:crypto';
import { textToBytes } from '../byteText.js';
import { splitArgsText } from '../redisArgs.js';
import { type AclCommand, CommandCatalog, SENTINEL_CATALOG, asciiLower, equalsNoCase } from './aclCatalog.js';

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

/** Redis stores SHA-256 hex digests, never the password: the digest of its bytes (../byteText.ts). */
export function hashPassword(password: string | Buffer): string {
  return createHash('sha256').update(typeof password === 'string' ? textToBytes(password) : password).digest('hex');
}

/** ACLCheckPasswordHash: exactly 64 lower-case hex digits. */
export function isPasswordHash(s: string): boolean {
  return /^[0-9a-f]{64}$/.test(s);
}

// --- selectors and users -----------------------------------------------------

export const KEY_READ = 1;
const KEY_WRITE = 2;
export const KEY_ALL = KEY_READ | KEY_WRITE;

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
export function changePerm(s: AclSelector, cmd: AclCommand, allow: boolean): void {
  setBit(s, cmd.id, allow);
  s.firstArgs.delete(cmd.id);
  for (const sub of cmd.subcommands?.values() ?? []) setBit(s, sub.id, allow);
}

/** ACLSetSelectorCommandBitsForCategory: commands of the category, subcommands included. */
export function setCategory(s: AclSelector, category: string, allow: boolean, catalog: CommandCatalog): void {
  const visit = (cmds: Iterable<AclCommand>): void => {
    for (const cmd of cmds) {
      if (cmd.categories.has(category)) changePerm(s, cmd, allow);
      if (cmd.subcommands !== undefined) visit(cmd.subcommands.values());
    }
  };
  visit(catalog.commands);
}

export function countCategory(s: AclSelector, category: string, catalog: CommandCatalog): { on: number; off: number } {
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
