import { describe, it, expect } from 'vitest';
import { parseConfig, type ParseOptions } from '../../src/config/parse.js';
import { ConfigError } from '../../src/config/errors.js';
import { defaultMasterConfig, defaultSentinelConfig, type SentinelConfig } from '../../src/config/model.js';

const ID_A = '0123456789abcdef0123456789abcdef01234567';
const ID_B = 'fedcba9876543210fedcba9876543210fedcba98';
const ID_C = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';

function parseError(text: string, opts?: ParseOptions): ConfigError {
  try {
    parseConfig(text, opts);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig: defaults', () => {
  it('an empty file gives the redis-sentinel defaults', () => {
    expect(parseConfig('')).toEqual(defaultSentinelConfig());
    expect(parseConfig('# only a comment\n\n   \n')).toEqual(defaultSentinelConfig());
  });

  it('uses the Sentinel defaults, not redis-server ones', () => {
    const cfg = defaultSentinelConfig();
    expect(cfg.port).toBe(26379);
    expect(cfg.protectedMode).toBe(false);
    expect(cfg.denyScriptsReconfig).toBe(true);
    expect(cfg.loglevel).toBe('notice');
    expect(cfg.maxclients).toBe(10000);
    const m = defaultMasterConfig('m', '127.0.0.1', 6379, 2);
    expect([m.downAfterMs, m.failoverTimeoutMs, m.parallelSyncs, m.masterRebootDownAfterPeriodMs]).toEqual([
      30000, 180000, 1, 0,
    ]);
  });
});

const FULL = `
# A sentinel.conf using every directive tssentinel models.
port 26380
bind 127.0.0.1 -::1
protected-mode yes
dir /var/lib/sentinel
logfile "/var/log/sentinel.log"
pidfile /run/sentinel.pid
loglevel verbose
daemonize yes
requirepass "top secret"
user alice on >pw ~* +@all
user bob off
maxclients 500
tls-port 26390
tls-cert-file /etc/tls/s.crt
tls-key-file /etc/tls/s.key
tls-ca-cert-file /etc/tls/ca.crt
tls-auth-clients OPTIONAL
tls-replication YES
tls-protocols "TLSv1.2 TLSv1.3"
maxmemory 100mb
save 900 1
sentinel myid ${ID_A}
sentinel current-epoch 9
sentinel announce-ip 10.0.0.5
sentinel announce-port 26400
sentinel resolve-hostnames no
sentinel announce-hostnames yes
sentinel deny-scripts-reconfig no
sentinel sentinel-user sentinel-admin
sentinel sentinel-pass "s pass"

sentinel monitor mymaster 10.0.0.1 6379 2
sentinel down-after-milliseconds mymaster 5000
sentinel failover-timeout mymaster 60000
sentinel parallel-syncs mymaster 3
sentinel auth-pass mymaster "pa ss"
sentinel auth-user mymaster app
sentinel notification-script mymaster /usr/local/bin/notify.sh
sentinel client-reconfig-script mymaster reconfig.sh
sentinel rename-command mymaster CONFIG MYCONFIG
sentinel rename-command mymaster flushall ""
sentinel master-reboot-down-after-period mymaster 15000
sentinel config-epoch mymaster 4
sentinel leader-epoch mymaster 8
sentinel known-replica mymaster 10.0.0.2 6379
sentinel known-slave mymaster 10.0.0.3 6379
sentinel known-sentinel mymaster 10.0.0.11 26379 ${ID_B}
sentinel known-sentinel mymaster 10.0.0.12 26379 ${ID_C}
sentinel monitor other 10.0.1.1 6380 1
`;

describe('parseConfig: a full config', () => {
  it('parses every directive into the model', () => {
    const cfg = parseConfig(FULL);
    const expected: SentinelConfig = {
      ...defaultSentinelConfig(),
      port: 26380,
      bind: ['127.0.0.1', '-::1'],
      protectedMode: true,
      dir: '/var/lib/sentinel',
      logfile: '/var/log/sentinel.log',
      pidfile: '/run/sentinel.pid',
      loglevel: 'verbose',
      daemonize: true,
      requirepass: 'top secret',
      users: [['alice', 'on', '>pw', '~*', '+@all'], ['bob', 'off']],
      maxclients: 500,
      tls: {
        'tls-port': '26390',
        'tls-cert-file': '/etc/tls/s.crt',
        'tls-key-file': '/etc/tls/s.key',
        'tls-ca-cert-file': '/etc/tls/ca.crt',
        'tls-auth-clients': 'optional',
        'tls-replication': 'yes',
        'tls-protocols': 'TLSv1.2 TLSv1.3',
      },
      myid: ID_A,
      currentEpoch: 9,
      announceIp: '10.0.0.5',
      announcePort: 26400,
      resolveHostnames: false,
      announceHostnames: true,
      denyScriptsReconfig: false,
      sentinelUser: 'sentinel-admin',
      sentinelPass: 's pass',
      masters: [
        {
          ...defaultMasterConfig('mymaster', '10.0.0.1', 6379, 2),
          downAfterMs: 5000,
          failoverTimeoutMs: 60000,
          parallelSyncs: 3,
          authPass: 'pa ss',
          authUser: 'app',
          notificationScript: '/usr/local/bin/notify.sh',
          clientReconfigScript: 'reconfig.sh',
          renameCommands: { config: 'MYCONFIG', flushall: '' },
          masterRebootDownAfterPeriodMs: 15000,
          configEpoch: 4,
          leaderEpoch: 8,
          knownReplicas: [{ host: '10.0.0.2', port: 6379 }, { host: '10.0.0.3', port: 6379 }],
          knownSentinels: [
            { host: '10.0.0.11', port: 26379, runid: ID_B },
            { host: '10.0.0.12', port: 26379, runid: ID_C },
          ],
        },
        defaultMasterConfig('other', '10.0.1.1', 6380, 1),
      ],
      ignored: [
        { line: 22, directive: 'maxmemory', args: ['100mb'] },
        { line: 23, directive: 'save', args: ['900', '1'] },
      ],
    };
    expect(cfg).toEqual(expected);
  });

  it('checks scripts with isExecutable, as written (relative to the working directory, moved to dir by chdir)', () => {
    const seen: string[] = [];
    parseConfig(FULL, { isExecutable: (p) => (seen.push(p), true) });
    expect(seen).toEqual(['/usr/local/bin/notify.sh', 'reconfig.sh']);
  });

  it('calls chdir at each dir line, in file order and before any sentinel line is checked', () => {
    const calls: string[] = [];
    const text = 'sentinel monitor m 127.0.0.1 6379 1\nsentinel notification-script m n.sh\ndir a\nport 1\ndir b\n';
    parseConfig(text, { overrides: [['dir', 'c']], chdir: (d) => (calls.push(`chdir ${d}`), undefined), isExecutable: (p) => (calls.push(`x ${p}`), true) });
    expect(calls).toEqual(['chdir a', 'chdir b', 'chdir c', 'x n.sh']);
  });

  it('a failed chdir is a config error at the dir line, with its strerror text', () => {
    const err = (() => {
      try {
        parseConfig('port 1\ndir /nonexistent\nfoo bar\n', { chdir: () => 'No such file or directory' });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err?.message).toContain("at line 2\n>>> 'dir /nonexistent'\nNo such file or directory");
  });

  it('accepts loglevel nothing (SENTINEL CONFIG SET persists it; Redis 7.2 loads it)', () => {
    expect(parseConfig('loglevel nothing\n').loglevel).toBe('nothing');
    expect(parseConfig('loglevel NOTHING\n').loglevel).toBe('nothing');
  });
});

describe('parseConfig: case-insensitivity', () => {
  it('accepts directive names, sentinel sub-commands and yes/no in any case', () => {
    const cfg = parseConfig(
      'PORT 1234\nProtected-Mode YES\nLogLevel WARNING\nSENTINEL MONITOR m 127.0.0.1 6379 1\n' +
        'Sentinel Down-After-Milliseconds m 100\nsentinel DENY-SCRIPTS-RECONFIG No\nsentinel Known-Slave m 127.0.0.1 6380\n',
    );
    expect(cfg.port).toBe(1234);
    expect(cfg.protectedMode).toBe(true);
    expect(cfg.loglevel).toBe('warning');
    expect(cfg.denyScriptsReconfig).toBe(false);
    expect(cfg.masters[0]?.downAfterMs).toBe(100);
    expect(cfg.masters[0]?.knownReplicas).toEqual([{ host: '127.0.0.1', port: 6380 }]);
  });

  it('keeps master names case-sensitive, like Redis', () => {
    const err = parseError('sentinel monitor M 127.0.0.1 6379 1\nsentinel auth-pass m x\n');
    expect(err.reason).toBe('No such master with specified name.');
  });

  it("reads Valkey 8.0's primary-reboot-down-after-period as master-reboot-down-after-period", () => {
    const cfg = parseConfig('sentinel monitor m 127.0.0.1 6379 2\nsentinel Primary-Reboot-Down-After-Period m 1500\n');
    expect(cfg.masters[0]?.masterRebootDownAfterPeriodMs).toBe(1500);
    // Either spelling sets the same value: the later line wins, as for any repeated option.
    const both = 'sentinel monitor m 127.0.0.1 6379 2\nsentinel primary-reboot-down-after-period m 1500\n' +
      'sentinel master-reboot-down-after-period m 2500\n';
    expect(parseConfig(both).masters[0]?.masterRebootDownAfterPeriodMs).toBe(2500);
  });

  it('leading and trailing whitespace and CRLF line ends are ignored', () => {
    expect(parseConfig('   port 1234  \r\n\t# comment\r\n').port).toBe(1234);
  });
});

describe('parseConfig: load order (as Redis queues sentinel lines)', () => {
  it('accepts per-master lines before their sentinel monitor', () => {
    const cfg = parseConfig('sentinel auth-pass m secret\nsentinel known-replica m 127.0.0.1 6380\nsentinel monitor m 127.0.0.1 6379 2\n');
    expect(cfg.masters[0]?.authPass).toBe('secret');
    expect(cfg.masters[0]?.knownReplicas).toHaveLength(1);
  });

  it('applies resolve-hostnames before monitor even when it comes later', () => {
    const cfg = parseConfig('sentinel monitor m redis.example 6379 2\nsentinel resolve-hostnames yes\n');
    expect(cfg.masters[0]?.host).toBe('redis.example');
  });

  it('reports a server-directive error before an earlier sentinel error', () => {
    const err = parseError('sentinel down-after-milliseconds nosuch 100\nmaxclients 0\n');
    expect([err.line, err.reason]).toEqual([2, 'argument must be between 1 and 4294967295 inclusive']);
  });

  it('reports a global sentinel error before a monitor error, before a per-master error', () => {
    const text = 'sentinel down-after-milliseconds m 0\nsentinel monitor m 127.0.0.1 6379 0\nsentinel myid abc\n';
    expect(parseError(text).line).toBe(3);
    expect(parseError(text.replace('sentinel myid abc\n', '')).line).toBe(2);
  });

  it('raises current-epoch to the highest current-epoch or config-epoch seen', () => {
    const cfg = parseConfig('sentinel monitor m 127.0.0.1 6379 2\nsentinel config-epoch m 12\nsentinel current-epoch 5\nsentinel current-epoch 3\n');
    expect(cfg.currentEpoch).toBe(12);
  });
});

describe('parseConfig: values parsed like Redis (atoi, strtoull, string2ll)', () => {
  it('reads a non-numeric master port as 0, as atoi() does', () => {
    expect(parseConfig('sentinel monitor m 127.0.0.1 abc 2\n').masters[0]?.port).toBe(0);
  });

  it('reads leading digits of sentinel numbers', () => {
    const cfg = parseConfig('sentinel monitor m 127.0.0.1 6379x 2abc\nsentinel parallel-syncs m xyz\nsentinel config-epoch m 7z\n');
    expect(cfg.masters[0]).toMatchObject({ port: 6379, quorum: 2, parallelSyncs: 0, configEpoch: 7 });
  });

  it('keeps the last value of a repeated option and ignores empty announce-ip / sentinel-user', () => {
    const cfg = parseConfig(
      'sentinel monitor m 127.0.0.1 6379 2\nsentinel down-after-milliseconds m 1000\nsentinel down-after-milliseconds m 2000\n' +
        'sentinel announce-ip 1.2.3.4\nsentinel announce-ip ""\nsentinel sentinel-user ""\n',
    );
    expect(cfg.masters[0]?.downAfterMs).toBe(2000);
    expect(cfg.announceIp).toBe('1.2.3.4');
    expect(cfg.sentinelUser).toBeUndefined();
  });

  it('treats empty pidfile / requirepass / aclfile as unset', () => {
    const cfg = parseConfig('pidfile ""\nrequirepass ""\naclfile ""\nlogfile ""\n');
    expect([cfg.pidfile, cfg.requirepass, cfg.aclfile, cfg.logfile]).toEqual([undefined, undefined, undefined, '']);
  });

  it('re-splits a single quoted argument of multi-arg directives', () => {
    const cfg = parseConfig('bind "127.0.0.1 ::1"\nsave "900 1"\n');
    expect(cfg.bind).toEqual(['127.0.0.1', '::1']);
    expect(cfg.ignored).toEqual([{ line: 2, directive: 'save', args: ['900 1'] }]);
  });

  it('accepts myid of any 40 characters (Redis checks the length only)', () => {
    expect(parseConfig(`sentinel myid ${'z'.repeat(40)}\n`).myid).toBe('z'.repeat(40));
  });

  it('ignores the old known-sentinel form without runid, even for an unknown master', () => {
    const cfg = parseConfig('sentinel monitor m 127.0.0.1 6379 2\nsentinel known-sentinel m 127.0.0.1 26380\nsentinel known-sentinel x 127.0.0.1 26380\n');
    expect(cfg.masters[0]?.knownSentinels).toEqual([]);
  });
});

describe('parseConfig: addresses', () => {
  it.each([
    ['127.1', '127.0.0.1'],
    ['2130706435', '127.0.0.3'],
    ['0x7f.0.0.2', '127.0.0.2'],
    ['127.0.0.04', '127.0.0.4'],
    ['10.1.258', '10.1.1.2'],
    ['0:0::1', '::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
    ['::102:304', '::1.2.3.4'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['fe80::', 'fe80::'],
    ['1:2:3:4:5:6:0:0', '1:2:3:4:5:6::'],
  ])('stores %s as %s, like inet_ntop after getaddrinfo', (host, stored) => {
    expect(parseConfig(`sentinel monitor m ${host} 6379 1\n`).masters[0]?.host).toBe(stored);
  });

  it.each([['localhost'], ['127.0.0.08'], ['1.2.3.4.5'], ['256.1.1.1'], ['1::2::3'], ['0x'], ['1.2.3.0x'], ['']])(
    'refuses %j without resolve-hostnames',
    (host) => {
      const err = parseError(`sentinel monitor m "${host}" 6379 1\n`);
      expect(err.reason).toBe("Can't resolve instance hostname.");
    },
  );

  it('detects duplicate replicas after normalization', () => {
    const err = parseError('sentinel monitor m 127.0.0.1 6379 1\nsentinel known-replica m 0x7f.0.0.2 6381\nsentinel known-replica m 127.0.0.2 6381\n');
    expect([err.line, err.reason]).toEqual([3, 'Duplicate hostname and port for replica.']);
  });
});

describe('parseConfig: redis-server directives', () => {
  it('records accepted-but-unused directives with their line', () => {
    const cfg = parseConfig(
      'maxmemory 100mb\nslaveof 127.0.0.1 6379\nactiverehashing yes\nrename-command FLUSHALL ""\n' +
        'loadmodule /x.so a b\nlist-max-ziplist-entries 5\nmymodule.opt 1 2\nhz 20\nclient-output-buffer-limit\nsentinel\n',
    );
    expect(cfg.ignored.map((i) => [i.line, i.directive])).toEqual([
      [1, 'maxmemory'], [2, 'slaveof'], [3, 'activerehashing'], [4, 'rename-command'], [5, 'loadmodule'],
      [6, 'list-max-ziplist-entries'], [7, 'mymodule.opt'], [8, 'hz'], [9, 'client-output-buffer-limit'],
    ]);
  });
});

describe('parseConfig: logformat (tssentinel extension)', () => {
  it('takes redis (the default) or json, any case', () => {
    expect(parseConfig('').logformat).toBe('redis');
    expect(parseConfig('logformat JSON\n').logformat).toBe('json');
    expect(parseConfig('logformat redis\n').logformat).toBe('redis');
  });

  it('refuses anything else with the reason and line', () => {
    expect(() => parseConfig('port 26379\nlogformat yaml\n')).toThrow(/at line 2\n>>> 'logformat yaml'\nargument\(s\) must be one of the following: redis, json/);
    expect(() => parseConfig('logformat\n')).toThrow(/wrong number of arguments/);
  });
});

describe('parseConfig: include (issue 9, item 11)', () => {
  const files: Record<string, string> = {
    'auth.conf': 'requirepass secret\nsentinel down-after-milliseconds m 5000\n',
    'bad.conf': '# a comment\nport 99999\n',
    'loop.conf': 'include loop.conf\n',
  };
  const readInclude = (path: string): string => {
    const text = files[path];
    if (text === undefined) throw new Error(`Fatal error, can't open config file '${path}': No such file or directory`);
    return text;
  };

  it('loads the included file in place, its sentinel lines included', () => {
    const cfg = parseConfig('sentinel monitor m 127.0.0.1 6379 2\ninclude auth.conf\n', { readInclude });
    expect(cfg.requirepass).toBe('secret');
    expect(cfg.masters[0]!.downAfterMs).toBe(5000);
    expect(cfg.ignored.map((i) => i.directive)).not.toContain('include');
  });

  it('a later line of the main file wins over the included one', () => {
    const cfg = parseConfig('sentinel monitor m 127.0.0.1 6379 2\ninclude auth.conf\nrequirepass other\n', { readInclude });
    expect(cfg.requirepass).toBe('other');
  });

  it('reports an error in the included file with that file\'s line number', () => {
    expect(() => parseConfig('port 26379\n\ninclude bad.conf\n', { readInclude })).toThrow(/at line 2\n>>> 'port 99999'/);
  });

  it('a missing file stops the load with Redis\'s text', () => {
    expect(() => parseConfig('include missing.conf\n', { readInclude }))
      .toThrow("Fatal error, can't open config file 'missing.conf': No such file or directory");
  });

  it('an include loop is an error, not a stack overflow', () => {
    expect(() => parseConfig('include loop.conf\n', { readInclude })).toThrow(/Too many nested includes/);
  });

  it('without a reader (in-process parse) an include is refused, never silently skipped', () => {
    expect(() => parseConfig('include auth.conf\n')).toThrow(ConfigError);
  });
});

describe('parseConfig: overrides', () => {
  it('applies command-line overrides after the file', () => {
    const cfg = parseConfig('port 26379\nsentinel monitor m 127.0.0.1 6379 2\n', {
      overrides: [['port', '26380'], ['sentinel', 'down-after-milliseconds', 'm', '1000'], ['maxmemory', '1mb'], []],
    });
    expect(cfg.port).toBe(26380);
    expect(cfg.masters[0]?.downAfterMs).toBe(1000);
    expect(cfg.ignored).toEqual([{ line: 0, directive: 'maxmemory', args: ['1mb'] }]);
  });

  it('reports an override error at line 0 with the quoted arguments', () => {
    const err = parseError('port 1\n', { overrides: [['port', 'x y']] });
    expect([err.line, err.lineText, err.reason]).toEqual([0, 'port "x y"', "argument couldn't be parsed into an integer"]);
  });
});

describe('parseConfig: errors (texts from redis-sentinel 7.0.15)', () => {
  const M = 'sentinel monitor m 127.0.0.1 6379 2';
  it.each([
    ['port 1\nsentinel monitor m 127.0.0.1 6379 "2"x', 2, 'Unbalanced quotes in configuration line'],
    ["port 'a", 1, 'Unbalanced quotes in configuration line'],
    ['foo bar', 1, 'Bad directive or wrong number of arguments'],
    ['user', 1, 'Bad directive or wrong number of arguments'],
    ['include a b', 1, 'Bad directive or wrong number of arguments'],
    ['rename-command a', 1, 'Bad directive or wrong number of arguments'],
    ['lua-replicate-commands', 1, 'Bad directive or wrong number of arguments'],
    ['mymodule.opt', 1, 'Module config specified without value'],
    ['port', 1, 'wrong number of arguments'],
    ['port 1 2', 1, 'wrong number of arguments'],
    ['maxmemory', 1, 'wrong number of arguments'],
    ['replicaof 127.0.0.1', 1, 'wrong number of arguments'],
    ['oom-score-adj-values "0 200"', 1, 'wrong number of arguments'],
    ['port abc', 1, "argument couldn't be parsed into an integer"],
    ['port 0100', 1, "argument couldn't be parsed into an integer"],
    ['port +1', 1, "argument couldn't be parsed into an integer"],
    ['port -0', 1, "argument couldn't be parsed into an integer"],
    ['port 70000', 1, 'argument must be between 0 and 65535 inclusive'],
    ['port -1', 1, 'argument must be between 0 and 65535 inclusive'],
    ['maxclients 0', 1, 'argument must be between 1 and 4294967295 inclusive'],
    ['maxclients 10k', 1, "argument couldn't be parsed into an integer"],
    ['tls-port abc', 1, "argument couldn't be parsed into an integer"],
    ['protected-mode maybe', 1, "argument must be 'yes' or 'no'"],
    ['daemonize 1', 1, "argument must be 'yes' or 'no'"],
    ['tls-replication maybe', 1, "argument must be 'yes' or 'no'"],
    ['loglevel foo', 1, 'argument(s) must be one of the following: debug, verbose, notice, warning'],
    ['tls-auth-clients maybe', 1, 'argument(s) must be one of the following: no, yes, optional'],
    ['bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17', 1, 'Too many bind addresses specified.'],
    ['bind ""', 1, 'Configured to not listen anywhere, exiting.'],
    ['dir ""', 1, 'No such file or directory'],
    ['sentinel foo bar', 1, 'Unrecognized sentinel configuration statement.'],
    // Names of Object.prototype members are no directives (they once threw a TypeError).
    ['sentinel constructor x', 1, 'Unrecognized sentinel configuration statement.'],
    ['sentinel __proto__ a b', 1, 'Unrecognized sentinel configuration statement.'],
    ['sentinel toString m', 1, 'Unrecognized sentinel configuration statement.'],
    ['constructor x', 1, 'Bad directive or wrong number of arguments'],
    ['__proto__ 1', 1, 'Bad directive or wrong number of arguments'],
    ['hasOwnProperty x', 1, 'Bad directive or wrong number of arguments'],
    ['sentinel monitor m 127.0.0.1 6379', 1, 'Unrecognized sentinel configuration statement.'],
    [`sentinel myid ${ID_A} extra`, 1, 'Unrecognized sentinel configuration statement.'],
    [`${M}\nsentinel known-sentinel m 127.0.0.1 26380 a b`, 2, 'Unrecognized sentinel configuration statement.'],
    ['sentinel monitor m 127.0.0.1 6379 0', 1, 'Quorum must be 1 or greater.'],
    ['sentinel monitor m 127.0.0.1 6379 abc', 1, 'Quorum must be 1 or greater.'],
    ['sentinel monitor m 127.0.0.1 70000 2', 1, 'Invalid port number.'],
    ['sentinel monitor m 127.0.0.1 -1 2', 1, 'Invalid port number.'],
    ['sentinel monitor m localhost 6379 2', 1, "Can't resolve instance hostname."],
    [`${M}\nsentinel monitor m 127.0.0.1 6380 2`, 2, 'Duplicate master name.'],
    ['sentinel down-after-milliseconds m 1000', 1, 'No such master with specified name.'],
    ['sentinel known-replica m 127.0.0.1 6380', 1, 'No such master with specified name.'],
    [`sentinel known-sentinel m 127.0.0.1 26380 ${ID_A}`, 1, 'No such master with specified name.'],
    ['sentinel config-epoch m 1', 1, 'No such master with specified name.'],
    [`${M}\nsentinel down-after-milliseconds m 0`, 2, 'negative or zero time parameter.'],
    [`${M}\nsentinel down-after-milliseconds m abc`, 2, 'negative or zero time parameter.'],
    [`${M}\nsentinel failover-timeout m -5`, 2, 'negative or zero time parameter.'],
    [`${M}\nsentinel master-reboot-down-after-period m -1`, 2, 'negative time parameter.'],
    [`${M}\nsentinel primary-reboot-down-after-period m -1`, 2, 'negative time parameter.'],
    ['sentinel primary-reboot-down-after-period m 1000', 1, 'No such master with specified name.'],
    [`${M}\nsentinel primary-reboot-down-after-period m`, 2, 'Unrecognized sentinel configuration statement.'],
    ['sentinel myid abc', 1, 'Malformed Sentinel id in myid option.'],
    ['sentinel deny-scripts-reconfig maybe', 1, 'Please specify yes or no for the deny-scripts-reconfig options.'],
    ['sentinel resolve-hostnames maybe', 1, 'Please specify yes or no for the resolve-hostnames option.'],
    ['sentinel announce-hostnames maybe', 1, 'Please specify yes or no for the announce-hostnames option.'],
    [`${M}\nsentinel known-replica m 127.0.0.1 99999`, 2, 'Invalid port number.'],
    [`${M}\nsentinel known-replica m localhost 6380`, 2, "Can't resolve instance hostname."],
    [`${M}\nsentinel known-replica m 127.0.0.1 6380\nsentinel known-slave m 127.0.0.1 6380`, 3,
      'Duplicate hostname and port for replica.'],
    [`${M}\nsentinel known-sentinel m 127.0.0.1 26380 ${ID_A}\nsentinel known-sentinel m 127.0.0.2 26380 ${ID_A}`, 3,
      'Duplicate runid for sentinel.'],
    [`${M}\nsentinel rename-command m config X\nsentinel rename-command m CONFIG Y`, 3,
      'Same command renamed multiple times with rename-command.'],
  ])('%j -> line %i: %s', (text, line, reason) => {
    const err = parseError(text + '\n');
    expect(err.reason).toBe(reason);
    expect(err.line).toBe(line);
    expect(err.lineText).toBe(text.split('\n')[line - 1]);
  });

  it('formats the message like Redis (without its leading blank line)', () => {
    const err = parseError('port 1\nsentinel monitor mymaster 127.0.0.1 70000 2\n');
    expect(err.message).toBe(
      "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'sentinel monitor mymaster 127.0.0.1 70000 2'\nInvalid port number.",
    );
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('ConfigError');
  });

  it('prints the line trimmed, as Redis does', () => {
    expect(parseError('\t  foo bar  \n').lineText).toBe('foo bar');
  });

  it('refuses a script that isExecutable rejects, with the exact reasons', () => {
    const no = { isExecutable: () => false };
    expect(parseError('sentinel monitor m 127.0.0.1 6379 2\nsentinel notification-script m /x.sh\n', no).reason).toBe(
      'Notification script seems non existing or non executable.',
    );
    expect(parseError('sentinel monitor m 127.0.0.1 6379 2\nsentinel client-reconfig-script m /x.sh\n', no).reason).toBe(
      'Client reconfiguration script seems non existing or non executable.',
    );
  });
});
