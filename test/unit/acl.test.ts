/**
 * ACL: the rule language (aclRules.ts), the users of a Sentinel (acl.ts) and
 * the ACL / AUTH / HELLO commands on an in-process RespServer. Expected texts
 * were taken from redis-sentinel 7.0.15 (the same cases run against the real
 * one in test/integration/auth.test.ts).
 *
 * Command descriptions: Redis emits the single-command fixes after the
 * categories in its command-dict order, which changes from one process to
 * the next; canonRules() sorts that tail.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { Acl, AclLog, AclStartupError, parseAclFile } from '../../src/server/acl.js';
import {
  AclUser,
  applySelectorRule,
  applyUserRule,
  checkUserDeclaration,
  createDefaultUser,
  hashPassword,
  isPasswordHash,
  mergeSelectorArgs,
  ruleErrorText,
} from '../../src/server/aclRules.js';
import { SENTINEL_CATALOG, type AclCommand } from '../../src/server/aclCatalog.js';
import { checkUser, credentialsMatch } from '../../src/server/aclCheck.js';
import { describeCommandRules, describeUser } from '../../src/server/aclDescribe.js';
import { registerBuiltins } from '../../src/server/builtins.js';
import { RespServer } from '../../src/server/server.js';
import { RawClient, toPlain, toRecord, type RespValue } from '../support/resp.js';

const HASH_FOO = '2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae';
const HASH_X = '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881';

/** Category rules in order, single-command rules sorted (their order is Redis dict order). */
function canonRules(rules: string): string {
  const tokens = rules.split(' ');
  const cats = tokens.filter((t) => /^[+-]@/.test(t));
  const singles = tokens.filter((t) => !/^[+-]@/.test(t)).sort();
  return [...cats, ...singles].join(' ');
}

function userWith(...ops: string[]): AclUser {
  const u = new AclUser('u');
  for (const op of ops) expect(applyUserRule(u, op), op).toBeUndefined();
  return u;
}

function rulesOf(...ops: string[]): string {
  return canonRules(describeCommandRules(userWith(...ops).rootSelector));
}

function cmd(name: string): AclCommand {
  const c = SENTINEL_CATALOG.lookup(name);
  if (c === undefined) throw new Error(`no command ${name}`);
  return c;
}

describe('password hashing', () => {
  it('stores SHA-256 hex digests', () => {
    expect(hashPassword('foo')).toBe(HASH_FOO);
    expect(hashPassword('x')).toBe(HASH_X);
    expect(userWith('>foo').passwords).toEqual([HASH_FOO]);
    expect(userWith(`#${HASH_FOO}`).passwords).toEqual([HASH_FOO]);
  });

  it('accepts exactly 64 lower-case hex digits as a hash', () => {
    expect(isPasswordHash(HASH_FOO)).toBe(true);
    expect(isPasswordHash(HASH_FOO.toUpperCase())).toBe(false);
    expect(isPasswordHash(HASH_FOO.slice(1))).toBe(false);
    expect(isPasswordHash(`${HASH_FOO}0`)).toBe(false);
  });

  it('checks credentials: on, nopass or a matching password', () => {
    expect(credentialsMatch(userWith('on', '>foo', '>bar'), 'bar')).toBe(true);
    expect(credentialsMatch(userWith('on', '>foo'), 'nope')).toBe(false);
    expect(credentialsMatch(userWith('off', '>foo'), 'foo')).toBe(false);
    expect(credentialsMatch(userWith('on', 'nopass'), 'anything')).toBe(true);
    expect(credentialsMatch(userWith('on'), '')).toBe(false);
    expect(credentialsMatch(undefined, 'foo')).toBe(false);
  });
});

describe('rules: users', () => {
  it('a new user is off, with nothing allowed', () => {
    expect(describeUser(new AclUser('carol'))).toBe('off resetchannels -@all');
  });

  it('reset adds sanitize-payload, as Redis', () => {
    expect(describeUser(userWith('on', '>x', '~*', '&*', '+@all', 'reset'))).toBe('off sanitize-payload resetchannels -@all');
  });

  it('on/off, nopass, resetpass, passwords kept once and removable', () => {
    const u = userWith('on', '>a', '>a', '>b', '<a');
    expect(u.passwords).toEqual([hashPassword('b')]);
    expect(describeUser(userWith('reset', 'nopass', '>x'))).toBe(`off sanitize-payload #${HASH_X} resetchannels -@all`);
    expect(describeUser(userWith('nopass', 'skip-sanitize-payload', 'on', 'off'))).toBe('off nopass skip-sanitize-payload resetchannels -@all');
    expect(userWith('>a', 'nopass').passwords).toEqual([]);
    expect(userWith('nopass', '>a').nopass).toBe(false);
    expect(userWith('>a', 'resetpass').passwords).toEqual([]);
    expect(userWith(`#${HASH_X}`, `!${HASH_X}`).passwords).toEqual([]);
    expect(userWith('ON', 'NoPass').enabled).toBe(true);
  });

  it('the empty rule does nothing', () => {
    expect(describeUser(userWith(''))).toBe('off resetchannels -@all');
  });

  it('describes users like ACL LIST', () => {
    expect(describeUser(userWith('on', '>alicepw', '~*', '&chan*', '+@all', '-sentinel|reset'))).toBe(
      `on #${hashPassword('alicepw')} ~* resetchannels &chan* +@all -sentinel|reset`,
    );
    expect(describeUser(userWith('on', 'nopass', 'resetchannels', '-@all', '+ping', '+sentinel|masters', '+acl|whoami'))).toBe(
      'on nopass resetchannels -@all +ping +sentinel|masters +acl|whoami',
    );
    expect(describeUser(createDefaultUser())).toBe('on nopass ~* &* +@all');
    expect(describeUser(userWith('%R~x', '%W~y', '~z', '%RW~q'))).toBe('off %R~x %W~y ~z ~q resetchannels -@all');
  });

  it('selectors: added, described, cleared', () => {
    const u = userWith('%RW~x', '%RW~*', '(+ping ~x)');
    expect(describeUser(u)).toBe('off ~x ~* resetchannels -@all (~x resetchannels -@all +ping)');
    applyUserRule(u, 'clearselectors');
    applyUserRule(u, '(+ping &foo  ~bar)');
    expect(describeUser(u)).toBe('off ~x ~* resetchannels -@all (~bar resetchannels &foo -@all +ping)');
    expect(describeUser(userWith('()'))).toBe('off resetchannels -@all (resetchannels -@all)');
    expect(applyUserRule(new AclUser('u'), '(foo)')).toBe('EINVAL');
    expect(applyUserRule(new AclUser('u'), '(+ping|x|y)')).toBe('ENOENT');
  });
});

describe('rules: keys and channels', () => {
  it('key patterns: ~, %R~, %W~, merged flags, allkeys, resetkeys', () => {
    expect(describeUser(userWith('%r~x', '%W~x', '~y', '%R~y'))).toBe('off ~x ~y resetchannels -@all');
    expect(describeUser(userWith('%R~'))).toBe('off %R~ resetchannels -@all');
    expect(describeUser(userWith('~a', 'allkeys'))).toBe('off ~* resetchannels -@all');
    expect(describeUser(userWith('~*', 'resetkeys', '~b'))).toBe('off ~b resetchannels -@all');
  });

  it('channels: kept once, &* / allchannels, resetchannels', () => {
    expect(describeUser(userWith('&a', '&a', '&b'))).toBe('off resetchannels &a &b -@all');
    expect(describeUser(userWith('&a', 'allchannels'))).toBe('off &* -@all');
    expect(describeUser(userWith('&*', 'resetchannels', '&c'))).toBe('off resetchannels &c -@all');
  });

  it('acl-pubsub-default allchannels: new users start with &*', () => {
    expect(describeUser(new AclUser('p', true))).toBe('off &* -@all');
  });
});

describe('rules: every error', () => {
  const cases: Array<[string[], string]> = [
    [['foo'], 'EINVAL'],
    [['+@nosuch'], 'ENOENT'],
    [['+nosuch'], 'ENOENT'],
    [['+'], 'ENOENT'],
    [['-@'], 'ENOENT'],
    [['+client|nosuch'], 'ENOENT'],
    [['-ping|foo'], 'ENOENT'],
    [['+client|kill|x'], 'ECHILD'],
    [['+client|'], 'EINVAL'],
    [['+ping|'], 'EINVAL'],
    [['#abc'], 'EBADMSG'],
    [['!abc'], 'EBADMSG'],
    [['<nopw'], 'ENODEV'],
    [[`!${HASH_FOO}`], 'ENODEV'],
    [['~*', '~x'], 'EEXIST'],
    [['allkeys', '%R~x'], 'EEXIST'],
    [['&*', '&x'], 'EISDIR'],
    [['%~x'], 'EINVAL'],
    [['%RR~x'], 'EINVAL'],
    [['%RWx~x'], 'EINVAL'],
    [['~a b'], 'EINVAL'],
    [['&a\tb'], 'EINVAL'],
  ];
  for (const [ops, expected] of cases) {
    it(`${ops.join(' ')} -> ${expected}`, () => {
      const u = new AclUser('u');
      const errs = ops.map((op) => applyUserRule(u, op));
      expect(errs[errs.length - 1]).toBe(expected);
    });
  }

  it('has Redis texts', () => {
    expect(ruleErrorText('ENOENT')).toBe('Unknown command or category name in ACL');
    expect(ruleErrorText('EINVAL')).toBe('Syntax error');
    expect(ruleErrorText('EEXIST')).toBe(
      "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
    );
    expect(ruleErrorText('EISDIR')).toBe(
      "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
    );
    expect(ruleErrorText('ENODEV')).toBe('The password you are trying to remove from the user does not exist');
    expect(ruleErrorText('EBADMSG')).toBe('The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters');
    expect(ruleErrorText('EALREADY')).toBe('Duplicate user found. A user can only be defined once in config files');
    expect(ruleErrorText('ECHILD')).toBe('Allowing first-arg of a subcommand is not supported');
  });
});

describe('rules: command descriptions (7.0 best fit)', () => {
  it('whole categories', () => {
    expect(rulesOf('+@admin')).toBe('-@all +@admin');
    expect(rulesOf('-@all', '+@slow')).toBe('-@all +@slow');
    expect(rulesOf('+@all', '-@slow')).toBe('+@all -@slow');
    expect(rulesOf('allcommands', '-@dangerous')).toBe('+@all -@dangerous');
    expect(rulesOf('+@ALL', '-PING')).toBe('+@all -ping');
    expect(rulesOf('nocommands')).toBe('-@all');
  });

  it('categories then single commands, as redis-sentinel 7.0.15 prints them', () => {
    expect(rulesOf('+client')).toBe(canonRules('-@all +@connection -ping -hello -auth +client -command'));
    expect(rulesOf('+client', '-client|kill')).toBe(canonRules('-@all +@connection -ping -hello -auth +client -client|kill -command'));
    expect(rulesOf('-@all', '+@all', '-client', '+client|list')).toBe(
      canonRules('+@all -@connection +ping +hello +auth -client +client|list +command'),
    );
    expect(rulesOf('+@all', '-@admin', '-@dangerous', '+sentinel|reset')).toBe('+@all -@dangerous +sentinel|reset');
    expect(rulesOf('-@all', '+ping|foo', '+sentinel|masters', '+subscribe', '+publish', '+psubscribe')).toBe(
      canonRules('-@all +@pubsub -unsubscribe +ping|foo -punsubscribe +sentinel|masters'),
    );
  });

  it('first arguments: kept once (case-insensitive), dropped when the command is allowed', () => {
    expect(rulesOf('-@all', '+ping|a', '+ping|A', '+ping|b', '+sentinel|masters', '+sentinel|master', '+@admin')).toBe(
      '-@all +@admin +ping|a +ping|b',
    );
    expect(rulesOf('+@all', '+ping|a')).toBe('+@all');
    expect(rulesOf('-@all', '+ping|a', '+ping')).toBe('-@all +ping');
  });
});

describe('permission checks', () => {
  it('commands and subcommands', () => {
    const u = userWith('on', 'nopass', '-@all', '+ping', '+sentinel|masters');
    expect(checkUser(u, cmd('ping'), ['ping'])).toBeUndefined();
    expect(checkUser(u, cmd('sentinel|masters'), ['sentinel', 'masters'])).toBeUndefined();
    expect(checkUser(u, cmd('sentinel|myid'), ['sentinel', 'myid'])).toEqual({ reason: 'command' });
    expect(checkUser(u, cmd('info'), ['info'])).toEqual({ reason: 'command' });
  });

  it('AUTH and HELLO (no_auth) pass whatever the rules', () => {
    const u = userWith('-@all', '-auth', '-hello');
    expect(checkUser(u, cmd('auth'), ['auth', 'x'])).toBeUndefined();
    expect(checkUser(u, cmd('hello'), ['hello'])).toBeUndefined();
  });

  it('first arguments, case-insensitive', () => {
    const u = userWith('-@all', '+ping|foo');
    expect(checkUser(u, cmd('ping'), ['ping'])).toEqual({ reason: 'command' });
    expect(checkUser(u, cmd('ping'), ['ping', 'FOO'])).toBeUndefined();
    expect(checkUser(u, cmd('ping'), ['ping', 'bar'])).toEqual({ reason: 'command' });
  });

  it('channels: SUBSCRIBE and PUBLISH match patterns, PSUBSCRIBE must be listed literally', () => {
    const u = userWith('+@all', '&chan*');
    expect(checkUser(u, cmd('subscribe'), ['subscribe', 'chanx', 'other'])).toEqual({ reason: 'channel', argIndex: 2 });
    expect(checkUser(u, cmd('subscribe'), ['subscribe', 'chan1'])).toBeUndefined();
    expect(checkUser(u, cmd('psubscribe'), ['psubscribe', 'chan*'])).toBeUndefined();
    expect(checkUser(u, cmd('psubscribe'), ['psubscribe', 'chanx*'])).toEqual({ reason: 'channel', argIndex: 1 });
    expect(checkUser(u, cmd('publish'), ['publish', 'other', 'x'])).toEqual({ reason: 'channel', argIndex: 1 });
    expect(checkUser(u, cmd('publish'), ['publish', 'chan1', 'x'])).toBeUndefined();
    expect(checkUser(u, cmd('unsubscribe'), ['unsubscribe', 'other'])).toBeUndefined();
    expect(checkUser(userWith('+@all', '&*'), cmd('publish'), ['publish', 'any', 'x'])).toBeUndefined();
  });

  it('selectors: any one allows; a channel denial outranks a command one', () => {
    const u = userWith('-@all', '(+ping)', '(+publish &a)');
    expect(checkUser(u, cmd('ping'), ['ping'])).toBeUndefined();
    expect(checkUser(u, cmd('publish'), ['publish', 'a', 'm'])).toBeUndefined();
    expect(checkUser(u, cmd('publish'), ['publish', 'b', 'm'])).toEqual({ reason: 'channel', argIndex: 1 });
    expect(checkUser(u, cmd('info'), ['info'])).toEqual({ reason: 'command' });
  });

  it('+@all covers everything; a later -cmd removes allcommands', () => {
    const sel = userWith('+@all').rootSelector;
    expect(sel.allCommands).toBe(true);
    applySelectorRule(sel, '-ping');
    expect(sel.allCommands).toBe(false);
    expect(sel.future).toBe(true);
  });
});

describe('selector arguments', () => {
  it('merges "(a" "b)" into one argument', () => {
    expect(mergeSelectorArgs(['on', '(+ping', '~x)', 'off'])).toEqual(['on', '(+ping ~x)', 'off']);
    expect(mergeSelectorArgs(['(+ping ~x)', '(-@all'])).toEqual({ unmatchedAt: 1 });
    expect(mergeSelectorArgs(['()'])).toEqual(['()']);
  });
});

describe('config `user` lines', () => {
  it('checks like ACLAppendUserForLoading: unknown commands pass, other errors do not', () => {
    expect(checkUserDeclaration(['alice', 'on', '+nosuch'])).toBeUndefined();
    expect(checkUserDeclaration(['alice', 'on', 'foo'])).toBe("Error in user declaration 'alice': Syntax error");
    expect(checkUserDeclaration(['alice', 'on', '(+ping'])).toBe("Error in user declaration 'alice': Unknown command or category name in ACL");
  });

  it('reports them as FATAL CONFIG FILE errors with the line', () => {
    expect(() => parseConfig('user alice on foo\n')).toThrow(/line 1[\s\S]*Error in user declaration 'alice': Syntax error/);
    expect(() => parseConfig('user alice on\nuser alice off\n')).toThrow(
      /line 2[\s\S]*Error in user declaration 'alice': Duplicate user found. A user can only be defined once in config files/,
    );
    expect(parseConfig('user alice on >x +@all\n').users).toEqual([['alice', 'on', '>x', '+@all']]);
  });
});

// --- the Acl of a Sentinel -------------------------------------------------------

const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tss-acl-unit-'));
  tmpDirs.push(d);
  return d;
}

describe('Acl: start-up', () => {
  it('requirepass is the default user password; config users follow; `user default` resets it', () => {
    const acl = Acl.fromConfig({ requirePass: 'foo', users: [['bob', 'on', 'nopass', '+ping']] });
    expect(acl.configLines()).toEqual([
      ['bob', 'on', 'nopass', 'resetchannels', '-@all', '+ping'],
      ['default', 'on', `#${HASH_FOO}`, '~*', '&*', '+@all'],
    ]);
    expect(acl.newClientsAuthenticated).toBe(false);
    const over = Acl.fromConfig({ requirePass: 'foo', users: [['default', 'on', 'nopass', '+@all']] });
    expect(describeUser(over.defaultUser)).toBe('on nopass sanitize-payload resetchannels +@all');
    expect(over.newClientsAuthenticated).toBe(true);
  });

  it('without a password the default user is nopass; off makes every client authenticate', () => {
    expect(new Acl().newClientsAuthenticated).toBe(true);
    expect(new Acl().defaultUserHasNoPassword).toBe(true);
    const off = Acl.fromConfig({ users: [['default', 'off', 'nopass']] });
    expect(off.newClientsAuthenticated).toBe(false);
    expect(off.authRequired({ authenticated: false })).toBe(true);
  });

  it('refuses what redis-sentinel refuses', () => {
    expect(() => Acl.fromConfig({ users: [['alice', 'on', '+nosuch']] })).toThrow(
      "Error loading ACL rule '+nosuch' for the user named 'alice': Unknown command or category name in ACL\nCritical error while loading ACLs. Exiting.",
    );
    expect(() => Acl.fromConfig({ users: [['a b', 'on']] })).toThrow('Spaces not allowed in ACL usernames');
    expect(() => Acl.fromConfig({ users: [['alice', 'on']], aclFile: '/x.acl' })).toThrow(/users defined in redis.conf and at the same setting an ACL file/);
    expect(() => Acl.fromConfig({ aclFile: '/nonexistent/x.acl' })).toThrow(
      "Aborting Redis startup because of ACL errors: Error loading ACLs, opening file '/nonexistent/x.acl': No such file or directory",
    );
    expect(() => Acl.fromConfig({ users: [['alice', 'on']] })).not.toThrow();
    expect(new AclStartupError('x').name).toBe('AclStartupError');
  });
});

describe('Acl: the ACL file', () => {
  it('parses it like ACLLoadFromFile, collecting every error', () => {
    const text = 'user default on >foo ~* &* +@all\n\nuser zed on >z -@all +ping\nfoo bar\nuser q on +nosuch\nuser zed on\nuser bad on #abc\nuser x"y on\n  user sp   on   >a  \n';
    expect(parseAclFile(text, '/f.acl')).toBe(
      "/f.acl:4 should start with user keyword followed by the username. /f.acl:5: Error in applying operation '+nosuch': Unknown command or category name in ACL. WARNING: Duplicate user 'zed' found on line 6. /f.acl:7: The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters. WARNING: ACL errors detected, no change to the previously active ACL rules was performed",
    );
    expect(parseAclFile('user a\tb on\nuser e on >x >y -@all +nosuch +nosuch2 #zz foo\n', '/f.acl')).toBe(
      "'/f.acl:1: username 'a\tb' contains invalid characters. /f.acl:2: Error in applying operation '+nosuch': Unknown command or category name in ACL. /f.acl:2: Error in applying operation '+nosuch2': Unknown command or category name in ACL. /f.acl:2: The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters. WARNING: ACL errors detected, no change to the previously active ACL rules was performed",
    );
    expect(parseAclFile('user t on "+ping"\n', '/f.acl')).toBe('/f.acl:1: Syntax error. WARNING: ACL errors detected, no change to the previously active ACL rules was performed');
    expect(parseAclFile('user d on (+ping ~x\n', '/f.acl')).toMatch(/^\/f\.acl:1: Unmatched parenthesis in selector definition\./);
    const ok = parseAclFile('user c on (+ping ~x) (&y +@all)\n  user sp   on   >a  \t\n', '/f.acl');
    expect(ok).toBeInstanceOf(Map);
    expect(describeUser((ok as Map<string, AclUser>).get('c')!)).toBe('on resetchannels -@all (~x resetchannels -@all +ping) (resetchannels &y +@all)');
    expect((ok as Map<string, AclUser>).get('sp')!.passwords).toEqual([hashPassword('a')]);
  });

  it('saves atomically and loads back; a file without default gets the built-in one', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'users.acl');
    fs.writeFileSync(file, 'user default on >foo ~* &* +@all\nuser zed on >z -@all +ping\n');
    const acl = Acl.fromConfig({ aclFile: file });
    expect(acl.sortedUsers().map((u) => u.name)).toEqual(['default', 'zed']);
    expect(acl.save()).toBe(true);
    expect(fs.readFileSync(file, 'utf8')).toBe(
      `user default on #${HASH_FOO} ~* &* +@all\nuser zed on #${hashPassword('z')} resetchannels -@all +ping\n`,
    );
    expect(fs.readdirSync(dir)).toEqual(['users.acl']);
    fs.writeFileSync(file, 'user zed on >z -@all +ping\n');
    const defaultBefore = acl.defaultUser;
    expect(acl.load()).toBeUndefined();
    expect(acl.defaultUser).toBe(defaultBefore);
    expect(describeUser(acl.defaultUser)).toBe('on nopass ~* &* +@all');
    fs.writeFileSync(file, 'user zed on +nosuch\n');
    expect(acl.load()).toMatch(/Error in applying operation '\+nosuch'/);
    expect(acl.sortedUsers().map((u) => u.name)).toEqual(['default', 'zed']);
    fs.rmSync(file);
    expect(acl.load()).toBe(`Error loading ACLs, opening file '${file}': No such file or directory`);
  });

  it('a relative aclfile is relative to the working directory (the CLI chdir()s to dir); a failed save says so', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'rel.acl'), 'user r on nopass +@all\n');
    const acl = Acl.fromConfig({ aclFile: path.relative(process.cwd(), path.join(dir, 'rel.acl')) });
    expect(acl.user('r')?.enabled).toBe(true);
    const broken = new Acl({ aclFile: path.join(dir, 'no', 'such', 'dir.acl'), logger: pino({ level: 'silent' }) });
    expect(broken.save()).toBe(false);
    expect(new Acl().save()).toBe(false);
  });
});

describe('AclLog', () => {
  it('groups the same reason/object/user within 60 s among the 10 newest, keeps 128', () => {
    const log = new AclLog();
    log.add('auth', 'AUTH', 'bob', 'id=1', 1000);
    log.add('auth', 'AUTH', 'bob', 'id=2', 2000);
    log.add('auth', 'auth', 'bob', 'id=3', 3000);
    log.add('auth', 'AUTH', 'bob', 'id=4', 70_000);
    expect(log.size).toBe(3);
    const plain = toPlainReply(log.reply(10, 70_000));
    expect(plain).toEqual([
      { count: 1, reason: 'auth', context: 'toplevel', object: 'AUTH', username: 'bob', 'age-seconds': 0, 'client-info': 'id=4' },
      { count: 1, reason: 'auth', context: 'toplevel', object: 'auth', username: 'bob', 'age-seconds': 67, 'client-info': 'id=3' },
      { count: 2, reason: 'auth', context: 'toplevel', object: 'AUTH', username: 'bob', 'age-seconds': 68, 'client-info': 'id=2' },
    ]);
    for (let i = 0; i < 200; i++) log.add('command', `c${i}`, 'bob', '', 80_000);
    expect(log.size).toBe(128);
    expect(toPlainReply(log.reply(-1))).toEqual([]);
    log.reset();
    expect(log.size).toBe(0);
    const short = new AclLog(2);
    for (const o of ['a', 'b', 'c']) short.add('command', o, 'bob', '');
    expect(short.size).toBe(2);
  });
});

/** Reply (server side) to plain JSON, maps as objects. */
function toPlainReply(r: import('../../src/server/reply.js').Reply): unknown {
  switch (r.kind) {
    case 'array':
    case 'set':
      return r.items.map(toPlainReply);
    case 'map':
      return Object.fromEntries(r.entries.map(([k, v]) => [String(toPlainReply(k)), toPlainReply(v)]));
    case 'bulk':
    case 'simple':
      return String(r.value);
    case 'int':
      return Number(r.value);
    case 'double':
      return r.value;
    default:
      return r.kind;
  }
}

// --- commands on an in-process server -------------------------------------------

const servers: RespServer[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(acl: Acl): Promise<RespServer> {
  const server = new RespServer({ port: 0, bind: ['127.0.0.1'], maxClients: 100, logger: pino({ level: 'silent' }), acl });
  registerBuiltins(server);
  await server.listen();
  servers.push(server);
  return server;
}

async function connect(server: RespServer): Promise<RawClient> {
  const c = await RawClient.connect(server.port, { timeoutMs: 2_000 });
  clients.push(c);
  return c;
}

function logEntries(v: RespValue): Array<Record<string, unknown>> {
  if (v.type !== 'array') throw new Error(`ACL LOG replied ${v.type}`);
  return v.items.map(toRecord);
}

async function plain(c: RawClient, ...args: string[]): Promise<unknown> {
  return toPlain(await c.call(...args));
}

describe('commands: AUTH, HELLO, NOAUTH, NOPERM', () => {
  it('AUTH variants and their errors', async () => {
    const s = await serve(Acl.fromConfig({ requirePass: 'foo', users: [['bob', 'on', '>pw', '-@all', '+ping', '+acl|whoami'], ['off1', 'off', '>pw']] }));
    const c = await connect(s);
    expect(await plain(c, 'PING')).toEqual({ error: 'NOAUTH Authentication required.' });
    expect(await plain(c, 'AUTH', 'wrong')).toEqual({ error: 'WRONGPASS invalid username-password pair or user is disabled.' });
    expect(await plain(c, 'AUTH', 'nobody', 'x')).toEqual({ error: 'WRONGPASS invalid username-password pair or user is disabled.' });
    expect(await plain(c, 'AUTH', 'off1', 'pw')).toEqual({ error: 'WRONGPASS invalid username-password pair or user is disabled.' });
    expect(await plain(c, 'AUTH', 'a', 'b', 'c')).toEqual({ error: 'ERR syntax error' });
    expect(await plain(c, 'AUTH', 'bob', 'pw')).toBe('OK');
    expect(await plain(c, 'PING')).toBe('PONG');
    expect(await plain(c, 'ACL', 'WHOAMI')).toBe('bob');
    expect(await plain(c, 'COMMAND', 'COUNT')).toEqual({ error: "NOPERM this user has no permissions to run the 'command|count' command" });
    expect(await plain(c, 'CLIENT', 'ID')).toEqual({ error: "NOPERM this user has no permissions to run the 'client|id' command" });
    // A failed AUTH keeps the current user.
    expect(await plain(c, 'AUTH', 'bob', 'bad')).toEqual({ error: 'WRONGPASS invalid username-password pair or user is disabled.' });
    expect(await plain(c, 'ACL', 'WHOAMI')).toBe('bob');
    expect(await plain(c, 'AUTH', 'foo')).toBe('OK');
    expect(await plain(c, 'ACL', 'WHOAMI')).toBe('default');
  });

  it('HELLO AUTH, SETNAME before a failing AUTH sticks, NOAUTH text', async () => {
    const s = await serve(Acl.fromConfig({ requirePass: 'foo' }));
    const c = await connect(s);
    expect(await plain(c, 'HELLO', '3', 'SETNAME', 'x')).toEqual({
      error: 'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    });
    expect(await plain(c, 'HELLO', '3', 'AUTH', 'default', 'wrong', 'SETNAME', 'y')).toEqual({
      error: 'WRONGPASS invalid username-password pair or user is disabled.',
    });
    expect(await plain(c, 'HELLO', '2', 'AUTH', 'default')).toEqual({ error: "ERR Syntax error in HELLO option 'AUTH'" });
    const hello = await c.call('HELLO', '3', 'AUTH', 'default', 'foo');
    expect(hello.type).toBe('map');
    expect(await plain(c, 'CLIENT', 'GETNAME')).toBe('x');
  });

  it('AUTH <password> without a password configured', async () => {
    const s = await serve(new Acl());
    const c = await connect(s);
    expect(await plain(c, 'AUTH', 'x')).toEqual({
      error: 'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
    });
    expect(await plain(c, 'AUTH', 'default', 'anything')).toBe('OK');
  });

  it('channels: NOPERM for SUBSCRIBE / PSUBSCRIBE / PUBLISH, logged with the channel', async () => {
    const s = await serve(Acl.fromConfig({ users: [['sub', 'on', 'nopass', '+@all', '&chan*']] }));
    const c = await connect(s);
    await c.call('AUTH', 'sub', 'x');
    const noperm = { error: 'NOPERM this user has no permissions to access one of the channels used as arguments' };
    expect(await plain(c, 'SUBSCRIBE', 'other')).toEqual(noperm);
    expect(await plain(c, 'PUBLISH', 'other', 'm')).toEqual(noperm);
    expect(await plain(c, 'PUBLISH', 'chan1', 'm')).toEqual({ error: 'ERR Only HELLO messages are accepted by Sentinel instances.' });
    expect(await plain(c, 'PSUBSCRIBE', 'chanx*')).toEqual(noperm);
    expect(await plain(c, 'PSUBSCRIBE', 'chan*')).toEqual(['psubscribe', 'chan*', 1]);
    const admin = await connect(s);
    const log = logEntries(await admin.call('ACL', 'LOG'));
    expect(log.map((e) => [e['reason'], e['object'], e['count']])).toEqual([['channel', 'chanx*', 1], ['channel', 'other', 2]]);
    expect(log[0]!['client-info']).toMatch(/cmd=psubscribe user=sub/);
  });
});

describe('commands: ACL', () => {
  async function admin(): Promise<{ s: RespServer; c: RawClient }> {
    const s = await serve(Acl.fromConfig({ requirePass: 'foo' }));
    const c = await connect(s);
    await c.call('AUTH', 'foo');
    return { s, c };
  }

  it('SETUSER, GETUSER, LIST, USERS, DELUSER', async () => {
    const { c } = await admin();
    expect(await plain(c, 'ACL', 'SETUSER', 'carol')).toBe('OK');
    expect(await plain(c, 'ACL', 'GETUSER', 'carol')).toEqual(['flags', ['off'], 'passwords', [], 'commands', '-@all', 'keys', '', 'channels', '', 'selectors', []]);
    expect(await plain(c, 'ACL', 'SETUSER', 'carol', 'on', '>x', '(+ping', '~x)', '&a')).toBe('OK');
    expect(await plain(c, 'ACL', 'GETUSER', 'carol')).toEqual([
      'flags', ['on'], 'passwords', [HASH_X], 'commands', '-@all', 'keys', '', 'channels', '&a',
      'selectors', [['commands', '-@all +ping', 'keys', '~x', 'channels', '']],
    ]);
    expect(await plain(c, 'ACL', 'GETUSER', 'nosuch')).toBeNull();
    expect(await plain(c, 'ACL', 'USERS')).toEqual(['carol', 'default']);
    expect(await plain(c, 'ACL', 'LIST')).toEqual([
      `user carol on #${HASH_X} resetchannels &a -@all (~x resetchannels -@all +ping)`,
      `user default on #${HASH_FOO} ~* &* +@all`,
    ]);
    expect(await plain(c, 'ACL', 'DELUSER', 'default', 'carol')).toEqual({ error: "ERR The 'default' user cannot be removed" });
    expect(await plain(c, 'ACL', 'DELUSER', 'carol', 'nosuch')).toBe(1);
    expect(await plain(c, 'ACL', 'USERS')).toEqual(['default']);
  });

  it('SETUSER errors change nothing', async () => {
    const { c } = await admin();
    await c.call('ACL', 'SETUSER', 'j', 'on');
    expect(await plain(c, 'ACL', 'SETUSER', 'j', 'off', 'foo')).toEqual({ error: "ERR Error in ACL SETUSER modifier 'foo': Syntax error" });
    expect(await plain(c, 'ACL', 'SETUSER', 'j', '+client|kill|x')).toEqual({
      error: "ERR Error in ACL SETUSER modifier '+client|kill|x': Allowing first-arg of a subcommand is not supported",
    });
    expect(await plain(c, 'ACL', 'SETUSER', 'j', '(+ping ~x)', '(-@all')).toEqual({ error: "ERR Unmatched parenthesis in acl selector starting at '(-@all'." });
    expect(await plain(c, 'ACL', 'SETUSER', 'a b')).toEqual({ error: "ERR Usernames can't contain spaces or null characters" });
    expect(await plain(c, 'ACL', 'SETUSER', 'j', '(foo)')).toEqual({ error: "ERR Error in ACL SETUSER modifier '(foo)': Syntax error" });
    expect(await plain(c, 'ACL', 'SETUSER', 'j', 'x\r\ny')).toEqual({ error: "ERR Error in ACL SETUSER modifier 'x  y': Syntax error" });
    expect(((await plain(c, 'ACL', 'GETUSER', 'j')) as unknown[])[1]).toEqual(['on']);
    expect(await plain(c, 'ACL', 'SETUSER')).toEqual({ error: "ERR wrong number of arguments for 'acl|setuser' command" });
  });

  it('DRYRUN: verdicts as bulk strings, errors as errors', async () => {
    const { c } = await admin();
    await c.call('ACL', 'SETUSER', 'i2', 'on', 'nopass', '-@all', '+ping|foo', '+sentinel|masters', '&chan*', '+subscribe', '+publish', '+psubscribe');
    expect(await plain(c, 'ACL', 'DRYRUN', 'i2', 'ping')).toBe("This user has no permissions to run the 'ping' command");
    expect(await plain(c, 'ACL', 'DRYRUN', 'i2', 'ping', 'FOO')).toBe('OK');
    expect(await plain(c, 'ACL', 'DRYRUN', 'i2', 'client', 'list')).toBe("This user has no permissions to run the 'client|list' command");
    expect(await plain(c, 'ACL', 'DRYRUN', 'i2', 'subscribe', 'chanx', 'other')).toBe("This user has no permissions to access the 'other' channel");
    expect(await plain(c, 'ACL', 'DRYRUN', 'i2', 'auth', 'a')).toBe('OK');
    expect(await plain(c, 'ACL', 'DRYRUN', 'nosuch', 'ping')).toEqual({ error: "ERR User 'nosuch' not found" });
    expect(await plain(c, 'ACL', 'DRYRUN', 'i2', 'nosuch')).toEqual({ error: "ERR Command 'nosuch' not found" });
    expect(await plain(c, 'ACL', 'DRYRUN', 'i2', 'client', 'nosuch')).toEqual({ error: "ERR Command 'client' not found" });
    expect(await plain(c, 'ACL', 'DRYRUN', 'i2', 'client')).toEqual({ error: "ERR wrong number of arguments for 'client' command" });
  });

  it('LOG: entries, count, RESET, errors', async () => {
    const { c } = await admin();
    const other = await connect(servers[servers.length - 1]!);
    await other.call('auth', 'nobody', 'x');
    await other.call('HELLO', '2', 'AUTH', 'carol', 'x');
    const log = logEntries(await c.call('ACL', 'LOG', '5'));
    expect(log.map((e) => [e['reason'], e['object'], e['username']])).toEqual([['auth', 'HELLO', 'carol'], ['auth', 'auth', 'nobody']]);
    expect(await plain(c, 'ACL', 'LOG', '1')).toHaveLength(1);
    expect(await plain(c, 'ACL', 'LOG', 'x')).toEqual({ error: 'ERR value is not an integer or out of range' });
    expect(await plain(c, 'ACL', 'LOG', '1', '2')).toEqual({ error: "ERR unknown subcommand or wrong number of arguments for 'LOG'. Try ACL HELP." });
    expect(await plain(c, 'ACL', 'LOG', 'RESET')).toBe('OK');
    expect(await plain(c, 'ACL', 'LOG')).toEqual([]);
  });

  it('LOAD / SAVE without an ACL file', async () => {
    const { c } = await admin();
    const err = { error: expect.stringMatching(/^ERR This Redis instance is not configured to use an ACL file/) as unknown };
    expect(await plain(c, 'ACL', 'LOAD')).toEqual(err);
    expect(await plain(c, 'ACL', 'SAVE')).toEqual(err);
  });

  it('DELUSER and LOAD disconnect the users\' clients; revoked channels drop subscribers', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'users.acl');
    fs.writeFileSync(file, `user default on #${HASH_FOO} ~* &* +@all\n`);
    const s = await serve(Acl.fromConfig({ aclFile: file }));
    const c = await connect(s);
    await c.call('AUTH', 'foo');
    await c.call('ACL', 'SETUSER', 'ka', 'on', '>p', '+@all', '&a*', '&b');
    const sub = await connect(s);
    await sub.call('AUTH', 'ka', 'p');
    await sub.call('SUBSCRIBE', 'a1');
    const psub = await connect(s);
    await psub.call('AUTH', 'ka', 'p');
    await psub.call('PSUBSCRIBE', 'b');
    const idle = await connect(s);
    await idle.call('AUTH', 'ka', 'p');
    expect(await plain(c, 'ACL', 'SETUSER', 'ka', 'resetchannels', '&a*')).toBe('OK');
    await psub.waitClosed(2_000);
    expect(sub.closed).toBe(false);
    expect(await plain(c, 'CLIENT', 'KILL', 'USER', 'nosuch')).toEqual({ error: "ERR No such user 'nosuch'" });
    expect(await plain(c, 'ACL', 'SAVE')).toBe('OK');
    expect(fs.readFileSync(file, 'utf8')).toContain('user ka on #');
    expect(await plain(c, 'ACL', 'LOAD')).toBe('OK');
    await sub.waitClosed(2_000);
    await idle.waitClosed(2_000);
    expect(await plain(c, 'ACL', 'WHOAMI')).toBe('default');
    const self = await connect(s);
    await self.call('AUTH', 'ka', 'p');
    expect(await plain(self, 'ACL', 'DELUSER', 'ka')).toBe(1);
    await self.waitClosed(2_000);
  });

  it('keeps config users in sync through onUsersChanged', async () => {
    const { s, c } = await admin();
    let lines: string[][] = [];
    s.acl.onUsersChanged = () => { lines = s.acl.configLines(); };
    await c.call('ACL', 'SETUSER', 'z', 'on', 'nopass', '(+ping ~x)');
    expect(lines).toContainEqual(['z', 'on', 'nopass', 'resetchannels', '-@all', '(~x', 'resetchannels', '-@all', '+ping)']);
    await c.call('ACL', 'DELUSER', 'z');
    expect(lines.map((l) => l[0])).toEqual(['default']);
  });
});

describe('protected mode', () => {
  it('follows the default user nopass flag', () => {
    expect(Acl.fromConfig({ requirePass: 'x' }).defaultUserHasNoPassword).toBe(false);
    expect(Acl.fromConfig({ users: [['default', 'on', '>x', '+@all']] }).defaultUserHasNoPassword).toBe(false);
    expect(Acl.fromConfig({ users: [['default', 'off', 'nopass']] }).defaultUserHasNoPassword).toBe(true);
  });
});

