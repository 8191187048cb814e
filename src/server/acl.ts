/**
 * The ACL of one Sentinel, as redis-sentinel 7.0 runs it: the users (from
 * `requirepass`, `user` lines and `aclfile`), authentication, the permission
 * check of every command, ACL LOG, and ACL LOAD / SAVE. The rule language
 * itself is pure and lives in aclRules.ts (with aclCatalog.ts, aclDescribe.ts
 * and aclCheck.ts); the ACL command handlers are in commands/acl*.ts.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from '../log.js';
import { bytesToText, textToBytes } from '../byteText.js';
import {
  AclUser,
  applyUserRule,
  createDefaultUser,
  hasSpaces,
  mergeSelectorArgs,
  ruleErrorText,
} from './aclRules.js';
import { SENTINEL_CATALOG, type CommandCatalog } from './aclCatalog.js';
import {
  checkUser,
  credentialsMatch,
  channelAllowed,
  type AclDenial,
} from './aclCheck.js';
import { describeUser } from './aclDescribe.js';
import { array, bulk, fieldMap, int, type Reply } from './reply.js';
import type { RespServer } from './server.js';
import type { Client } from './clientState.js';

export interface AclOptions {
  /** requirepass: the default user's password. */
  requirePass?: string;
  /** Config `user` lines, without the `user` keyword. */
  users?: ReadonlyArray<readonly string[]>;
  /** aclfile, as written in the config (used in messages). */
  aclFile?: string;
  /** acl-pubsub-default allchannels: new users start with &*. Default resetchannels. */
  pubsubAllChannels?: boolean;
  /** acllog-max-len (default 128). */
  logMaxLen?: number;
  logger?: Logger;
  catalog?: CommandCatalog;
}

/** A user set that cannot be loaded at start-up: redis-sentinel logs the text and exits. */
export class AclStartupError extends Error {
  override readonly name = 'AclStartupError';
}

// --- ACL LOG -------------------------------------------------------------------

export type AclLogReason = 'command' | 'channel' | 'auth';

interface AclLogEntry {
  count: number;
  readonly reason: AclLogReason;
  readonly object: string;
  readonly username: string;
  createdAtMs: number;
  clientInfo: string;
}

/** acllog-max-len's default. */
const ACL_LOG_MAX_LEN = 128;
/** ACL_LOG_GROUPING_MAX_TIME_DELTA: a repeat within 60 s bumps the count of the entry. */
const ACL_LOG_GROUPING_MS = 60_000;
/** Redis looks for a matching entry among the 10 newest only. */
const ACL_LOG_SCAN = 10;

/** Denied commands and failed authentications, newest first, grouped like Redis's addACLLogEntry. */
export class AclLog {
  private entries: AclLogEntry[] = [];

  constructor(private readonly maxLen = ACL_LOG_MAX_LEN) {}

  add(reason: AclLogReason, object: string, username: string, clientInfo: string, nowMs = Date.now()): void {
    const i = this.entries.slice(0, ACL_LOG_SCAN).findIndex((e) =>
      e.reason === reason && e.object === object && e.username === username && nowMs - e.createdAtMs < ACL_LOG_GROUPING_MS);
    if (i >= 0) {
      const [match] = this.entries.splice(i, 1) as [AclLogEntry];
      match.count++;
      match.createdAtMs = nowMs;
      match.clientInfo = clientInfo;
      this.entries.unshift(match);
      return;
    }
    this.entries.unshift({ count: 1, reason, object, username, createdAtMs: nowMs, clientInfo });
    if (this.entries.length > this.maxLen) this.entries.length = this.maxLen;
  }

  reset(): void {
    this.entries = [];
  }

  get size(): number {
    return this.entries.length;
  }

  reply(count: number, nowMs = Date.now()): Reply {
    return array(this.entries.slice(0, Math.max(0, count)).map((e) => fieldMap([
      ['count', int(e.count)],
      ['reason', bulk(e.reason)],
      ['context', bulk('toplevel')],
      ['object', bulk(e.object)],
      ['username', bulk(e.username)],
      ['age-seconds', { kind: 'double', value: (nowMs - e.createdAtMs) / 1000 }],
      ['client-info', bulk(e.clientInfo)],
    ])));
  }
}

// --- the ACL -------------------------------------------------------------------

const NOPERM_CHANNEL = 'NOPERM this user has no permissions to access one of the channels used as arguments';

/** The outcome of checking a command for a user: undefined when allowed. */
export type AclVerdict = AclDenial | undefined;

export class Acl {
  readonly defaultUser: AclUser;
  readonly log: AclLog;
  readonly aclFile: string | undefined;
  readonly catalog: CommandCatalog;
  /** CLIENT INFO text for ACL LOG entries; set by registerBuiltins (commands/client.ts owns the format). */
  describeClient: (c: Client) => string = (c) => `id=${c.id} addr=${c.addr} laddr=${c.laddr} user=${c.user}`;
  /** Called after ACL SETUSER / DELUSER / LOAD: the host keeps the config's `user` lines in sync. */
  onUsersChanged: (() => void) | undefined;

  private users = new Map<string, AclUser>();
  private readonly aclPath: string | undefined;
  private readonly pubsubAllChannels: boolean;
  private readonly logger: Logger | undefined;

  /** The default user alone (+@all ~* &* on, nopass or requirepass); config users come with loadAtStartup(). */
  constructor(opts: AclOptions = {}) {
    this.catalog = opts.catalog ?? SENTINEL_CATALOG;
    this.pubsubAllChannels = opts.pubsubAllChannels ?? false;
    this.logger = opts.logger;
    this.log = new AclLog(opts.logMaxLen);
    this.aclFile = opts.aclFile;
    this.aclPath = opts.aclFile === undefined ? undefined : resolve(opts.aclFile);
    this.defaultUser = createDefaultUser(this.catalog, this.pubsubAllChannels);
    // ACLUpdateDefaultUserPassword: requirepass replaces the default user's passwords.
    if (opts.requirePass !== undefined) {
      this.rule(this.defaultUser, 'resetpass');
      this.rule(this.defaultUser, `>${opts.requirePass}`);
    }
    this.users.set('default', this.defaultUser);
  }

  /** The Acl of a starting Sentinel: config users, then the ACL file (ACLLoadUsersAtStartup). */
  static fromConfig(opts: AclOptions): Acl {
    const acl = new Acl(opts);
    acl.loadAtStartup(opts.users ?? []);
    return acl;
  }

  private rule(u: AclUser, op: string): void {
    const err = applyUserRule(u, op, this.catalog);
    if (err !== undefined) throw new Error(`built-in ACL rule '${op}' failed: ${err}`);
  }

  private loadAtStartup(lines: ReadonlyArray<readonly string[]>): void {
    if (this.aclFile !== undefined && lines.length > 0) {
      throw new AclStartupError('Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.');
    }
    for (const line of lines) this.loadConfiguredUser(line);
    if (this.aclFile === undefined) return;
    const errors = this.loadFile();
    if (errors !== undefined) throw new AclStartupError(`Aborting Redis startup because of ACL errors: ${errors}`);
  }

  /** ACLLoadConfiguredUsers for one `user` line; `user default` starts again from reset. */
  private loadConfiguredUser(line: readonly string[]): void {
    const name = line[0] ?? '';
    const critical = (why: string): AclStartupError => new AclStartupError(`${why}\nCritical error while loading ACLs. Exiting.`);
    if (hasSpaces(name)) throw critical('Spaces not allowed in ACL usernames');
    let u = this.users.get(name);
    if (u === undefined) {
      u = new AclUser(name, this.pubsubAllChannels);
      this.users.set(name, u);
    } else {
      this.rule(u, 'reset');
    }
    const merged = mergeSelectorArgs(line.slice(1));
    for (const op of Array.isArray(merged) ? merged : line.slice(1)) {
      const err = applyUserRule(u, op, this.catalog);
      if (err !== undefined) throw critical(`Error loading ACL rule '${op}' for the user named '${name}': ${ruleErrorText(err)}`);
    }
    if (!u.enabled) {
      this.logger?.info(`The user '${name}' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.`);
    }
  }

  // --- users ---------------------------------------------------------------------

  user(name: string): AclUser | undefined {
    return this.users.get(name);
  }

  /** Users in Redis's rax order (bytes). */
  sortedUsers(): AclUser[] {
    return [...this.users.values()].sort((a, b) => Buffer.compare(textToBytes(a.name), textToBytes(b.name)));
  }

  /** `user` lines for a config rewrite: every user, as ACL LIST describes it (Redis's rewriteConfigUserOption). */
  configLines(): string[][] {
    return this.sortedUsers().map((u) => [u.name, ...describeUser(u, this.catalog).split(' ').filter((t) => t !== '')]);
  }

  private changed(): void {
    this.onUsersChanged?.();
  }

  // --- authentication ------------------------------------------------------------

  /** authRequired(): the default user asks for a password (or is off) and the client has not authenticated. */
  authRequired(c: { readonly authenticated: boolean }): boolean {
    return (!this.defaultUser.nopass || !this.defaultUser.enabled) && !c.authenticated;
  }

  /** clientSetDefaultAuth: a new client is authenticated when the default user is on and nopass. */
  get newClientsAuthenticated(): boolean {
    return this.defaultUser.nopass && this.defaultUser.enabled;
  }

  /** Protected mode applies while the default user has no password. */
  get defaultUserHasNoPassword(): boolean {
    return this.defaultUser.nopass;
  }

  checkCredentials(username: string, password: string): boolean {
    return credentialsMatch(this.users.get(username), password);
  }

  /** ACLAuthenticateUser: on failure the client keeps its user, and the attempt goes to ACL LOG. */
  authenticate(c: Client, username: string, password: string, commandName: string): boolean {
    if (!this.checkCredentials(username, password)) {
      this.log.add('auth', commandName, username, this.describeClient(c));
      return false;
    }
    c.authenticated = true;
    c.user = username;
    return true;
  }

  // --- permissions ---------------------------------------------------------------

  /** ACLCheckAllUserCommandPerm for a command by full name. */
  verdict(u: AclUser, fullName: string, argv: readonly string[]): AclVerdict {
    const cmd = this.catalog.lookup(fullName);
    // A command redis-sentinel does not have cannot be named in a rule: only allcommands covers it.
    if (cmd === undefined) return u.selectors.some((s) => s.allCommands) ? undefined : { reason: 'command' };
    return checkUser(u, cmd, argv);
  }

  /**
   * processCommand's ACL check: undefined when allowed, else the NOPERM error
   * line, after logging the denial.
   */
  checkCommand(c: Client, fullName: string, argv: readonly string[]): string | undefined {
    const u = this.users.get(c.user) ?? this.defaultUser;
    const denial = this.verdict(u, fullName, argv);
    if (denial === undefined) return undefined;
    const info = this.describeClient(c);
    if (denial.reason === 'channel') {
      this.log.add('channel', argv[denial.argIndex] ?? '', u.name, info);
      return NOPERM_CHANNEL;
    }
    this.log.add('command', fullName, u.name, info);
    return `NOPERM this user has no permissions to run the '${fullName}' command`;
  }

  // --- changes -------------------------------------------------------------------

  /**
   * ACL SETUSER after validation on a copy: the new rules replace the user's,
   * or create it. Pub/sub clients that lost a channel are disconnected.
   */
  commitUser(s: RespServer, caller: Client, staged: AclUser): void {
    const existing = this.users.get(staged.name);
    if (existing === undefined) {
      this.users.set(staged.name, staged);
    } else {
      this.killPubsubClientsIfNeeded(s, caller, staged, existing);
      existing.copyFrom(staged);
    }
    this.changed();
  }

  /** ACL DELUSER: returns how many existed. The caller checked that "default" is not among them. */
  deleteUsers(s: RespServer, caller: Client, names: readonly string[]): number {
    let deleted = 0;
    for (const name of names) {
      const u = this.users.get(name);
      if (u === undefined || u === this.defaultUser) continue;
      this.users.delete(name);
      this.killClientsOf(s, caller, name);
      deleted++;
    }
    if (deleted > 0) this.changed();
    return deleted;
  }

  /** ACLFreeUserAndKillClients: back to an unauthenticated default client, then closed (the caller after its reply). */
  private killClientsOf(s: RespServer, caller: Client, name: string): void {
    for (const c of [...s.clients()]) {
      if (c.user !== name) continue;
      c.user = 'default';
      c.authenticated = false;
      s.killClient(c, caller);
    }
  }

  /** ACLKillPubsubClientsIfNeeded (7.0): only when the new channel list is not a superset of the old. */
  private killPubsubClientsIfNeeded(s: RespServer, caller: Client, next: AclUser, prev: AclUser): void {
    if (next.selectors.some((sel) => sel.allChannels)) return;
    const upcoming = next.selectors.flatMap((sel) => sel.channels);
    const kept = prev.selectors.every((sel) => sel.channels.every((ch) => upcoming.includes(ch)));
    if (kept) return;
    for (const c of [...s.clients()]) {
      if (c.user !== prev.name || c.subscriptionCount === 0) continue;
      const lost = [...c.patterns].some((p) => !channelAllowed(upcoming, p, true))
        || [...c.channels].some((ch) => !channelAllowed(upcoming, ch, false));
      if (lost) s.killClient(c, caller);
    }
  }

  // --- the ACL file --------------------------------------------------------------

  /**
   * ACLLoadFromFile: all or nothing. Returns Redis's error text, or
   * undefined once the new users are in place (clients of the replaced
   * non-default users are then disconnected, as Redis frees those users).
   */
  load(s?: RespServer, caller?: Client): string | undefined {
    const before = [...this.users.keys()].filter((n) => n !== 'default');
    const errors = this.loadFile();
    if (errors !== undefined) return errors;
    if (s !== undefined && caller !== undefined) for (const name of before) this.killClientsOf(s, caller, name);
    this.changed();
    return undefined;
  }

  private loadFile(): string | undefined {
    const file = this.aclFile ?? '';
    let text: string;
    try {
      text = bytesToText(readFileSync(this.aclPath ?? file));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      // fopen() succeeds on a directory; reading it then yields nothing.
      if (code !== 'EISDIR') return `Error loading ACLs, opening file '${file}': ${strerror(code, err)}`;
      text = '';
    }
    const parsed = parseAclFile(text, file, this.catalog, this.pubsubAllChannels);
    if (typeof parsed === 'string') return parsed;
    const fresh = parsed.get('default') ?? createDefaultUser(this.catalog, this.pubsubAllChannels);
    // Clients hold the default user by name: the object stays, its rules change.
    this.defaultUser.copyFrom(fresh);
    parsed.set('default', this.defaultUser);
    this.users = parsed;
    return undefined;
  }

  /** ACLSaveToFile: every user, written to a temp file, synced, renamed over the ACL file. */
  save(): boolean {
    const path = this.aclPath;
    if (path === undefined) return false;
    const text = this.sortedUsers().map((u) => `user ${u.name} ${describeUser(u, this.catalog)}\n`).join('');
    const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
    try {
      const fd = openSync(tmp, 'w', 0o644);
      try {
        writeSync(fd, textToBytes(text));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
      return true;
    } catch (err) {
      this.logger?.warn({ err }, `Writing ACL file for ACL SAVE: ${(err as Error).message}`);
      try { unlinkSync(tmp); } catch { /* never created */ }
      return false;
    }
  }
}

const STRERROR: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
};

function strerror(code: string, err: unknown): string {
  return STRERROR[code] ?? (err as Error).message;
}

/**
 * The lines of an ACL file, as ACLLoadFromFile reads them: split on single
 * spaces (no quoting), every error collected. Returns the new users, or the
 * error text Redis replies with.
 */
export function parseAclFile(
  text: string,
  file: string,
  catalog: CommandCatalog = SENTINEL_CATALOG,
  pubsubAllChannels = false,
): Map<string, AclUser> | string {
  const users = new Map<string, AclUser>();
  let errors = '';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = (lines[i] as string).replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
    if (line === '') continue;
    // Not sdssplitargs: Redis splits ACL file lines on single spaces
    // (sdssplitlen), so quotes are literal and two spaces make an empty rule.
    const argv = line.split(' ');
    const name = argv[1];
    if (argv[0] !== 'user' || name === undefined) {
      errors += `${file}:${n} should start with user keyword followed by the username. `;
    } else if (hasSpaces(name)) {
      errors += `'${file}:${n}: username '${name}' contains invalid characters. `;
    } else if (users.has(name)) {
      errors += `WARNING: Duplicate user '${name}' found on line ${n}. `;
    } else {
      const u = new AclUser(name, pubsubAllChannels);
      users.set(name, u);
      errors += applyFileRules(u, argv.slice(2), `${file}:${n}`, catalog);
    }
  }
  if (errors === '') return users;
  return `${errors}WARNING: ACL errors detected, no change to the previously active ACL rules was performed`;
}

/** Unknown commands are all reported; of the other errors only the first (later rules may depend on it). */
function applyFileRules(u: AclUser, args: readonly string[], where: string, catalog: CommandCatalog): string {
  const merged = mergeSelectorArgs(args);
  // redis-sentinel 7.0.15 crashes on this line; we report it instead.
  if (!Array.isArray(merged)) return `${where}: Unmatched parenthesis in selector definition.`;
  let errors = '';
  let syntaxError = false;
  for (const raw of merged) {
    const op = raw.replace(/^[\t\r\n]+|[\t\r\n]+$/g, '');
    const err = applyUserRule(u, op, catalog);
    if (err === 'ENOENT') {
      errors += `${where}: Error in applying operation '${op}': ${ruleErrorText(err)}. `;
    } else if (err !== undefined && !syntaxError) {
      errors += `${where}: ${ruleErrorText(err)}. `;
      syntaxError = true;
    }
  }
  return errors;
}
