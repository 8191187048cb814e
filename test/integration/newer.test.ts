/**
 * What tssentinel takes from Redis 7.2+ and Valkey 8.0 on top of
 * redis-sentinel 7.0 (README: compatibility), against a real tssentinel
 * process: SENTINEL CONFIG GET/SET with several parameters, CLIENT SETINFO
 * (also as node-redis sends it on connect), the PRIMARY aliases, SENTINEL
 * SET primary-reboot-down-after-period, and the COMMAND INFO / DOCS entries
 * of all of these. The 7.0 replies themselves are compared to the real
 * redis-sentinel in differential.test.ts.
 */
import fs from 'node:fs';
import { createClient, createSentinel } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, startTsSentinel, stopAll, type ProcHandle } from '../support/procs.js';
import { RawClient, toPlain, toRecord, type Plain } from '../support/resp.js';
import { waitFor } from '../support/wait.js';

let master: ProcHandle;
let sentinel: ProcHandle;

beforeAll(async () => {
  master = await startRedis();
  sentinel = await startTsSentinel(`sentinel monitor mymaster 127.0.0.1 ${master.port} 1\n`);
});

afterAll(async () => {
  await stopAll();
});

/** One fresh connection per command list; returns the plain replies. */
async function run(...commands: Array<Array<string | number>>): Promise<Plain[]> {
  const c = await RawClient.connect(sentinel.port);
  try {
    const out: Plain[] = [];
    for (const args of commands) out.push(toPlain(await c.call(...args)));
    return out;
  } finally {
    await c.close();
  }
}

async function one(...args: Array<string | number>): Promise<Plain> {
  return (await run(args))[0]!;
}

const err = (text: string): Plain => ({ error: text });

describe('SENTINEL CONFIG GET with several patterns (Redis 7.2)', () => {
  it('lists each matching parameter once, in the order the patterns first match it', async () => {
    expect(await one('SENTINEL', 'CONFIG', 'GET', 'announce-port', 'resolve-hostnames')).toEqual([
      'announce-port', '0', 'resolve-hostnames', 'no',
    ]);
    // A name already listed, or matched again by a later glob, adds nothing; unknown names add nothing.
    expect(await one('SENTINEL', 'CONFIG', 'GET', 'announce-ip', 'ANNOUNCE-*', 'announce-ip', 'nosuch')).toEqual([
      'announce-ip', '', 'announce-hostnames', 'no', 'announce-port', '0',
    ]);
    expect(await one('SENTINEL', 'CONFIG', 'GET', 'nosuch', 'x*')).toEqual([]);
  });

  it('lists every parameter for *, loglevel last as in Redis 7.2', async () => {
    const all = await one('SENTINEL', 'CONFIG', 'GET', '*');
    expect((all as string[]).filter((_, i) => i % 2 === 0)).toEqual([
      'resolve-hostnames', 'announce-hostnames', 'announce-ip', 'announce-port', 'sentinel-user', 'sentinel-pass', 'loglevel',
    ]);
  });

  it('answers a map under RESP3', async () => {
    const c = await RawClient.connect(sentinel.port);
    try {
      await c.call('HELLO', '3');
      const v = await c.call('SENTINEL', 'CONFIG', 'GET', 'resolve-hostnames', 'announce-port');
      expect(v.type).toBe('map');
      expect(toRecord(v)).toEqual({ 'resolve-hostnames': 'no', 'announce-port': '0' });
    } finally {
      await c.close();
    }
  });

  it("keeps redis-sentinel 7.0's usage error for forms 7.2 rejects too", async () => {
    const usage = err('ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.');
    expect(await one('SENTINEL', 'CONFIG', 'GET')).toEqual(usage);
    expect(await one('SENTINEL', 'CONFIG', 'SET', 'loglevel')).toEqual(usage);
    expect(await one('SENTINEL', 'CONFIG', 'FOO', 'x')).toEqual(usage);
  });
});

describe('SENTINEL CONFIG SET with several parameters (Redis 7.2)', () => {
  it('applies every pair, saves the config, then replies OK', async () => {
    expect(await one('SENTINEL', 'CONFIG', 'SET', 'announce-port', '26999', 'sentinel-user', 'watcher', 'loglevel', 'verbose')).toBe('OK');
    // The file already holds the values when OK arrives (saved before replying).
    const text = fs.readFileSync(sentinel.confPath, 'utf8');
    expect(text).toMatch(/^sentinel announce-port 26999$/m);
    expect(text).toMatch(/^sentinel sentinel-user watcher$/m);
    expect(text).toMatch(/^loglevel verbose$/m);
    expect(await one('SENTINEL', 'CONFIG', 'GET', 'announce-port', 'sentinel-user', 'loglevel')).toEqual([
      'announce-port', '26999', 'sentinel-user', 'watcher', 'loglevel', 'verbose',
    ]);
    expect(await one('SENTINEL', 'CONFIG', 'SET', 'announce-port', '0', 'sentinel-user', '', 'loglevel', 'notice')).toBe('OK');
    expect(fs.readFileSync(sentinel.confPath, 'utf8')).not.toMatch(/announce-port|sentinel-user/);
  });

  it('validates every pair first: one bad pair and nothing is applied', async () => {
    const before = await one('SENTINEL', 'CONFIG', 'GET', '*');
    const cases: Array<[string[], string]> = [
      [['announce-port', '1234', 'resolve-hostnames', 'maybe'], "ERR Invalid value 'maybe' to SENTINEL CONFIG SET 'resolve-hostnames'"],
      [['announce-port', '1234', 'nosuch', 'x'], "ERR Invalid argument 'nosuch' to SENTINEL CONFIG SET"],
      [['announce-port', '1234', 'ANNOUNCE-PORT', '1235'], "ERR Duplicate argument 'ANNOUNCE-PORT' to SENTINEL CONFIG SET"],
      [['announce-port', '1234', 'loglevel'], "ERR Missing argument 'loglevel' value"],
      // The name is checked before the value is looked for.
      [['announce-port', '1234', 'nosuch'], "ERR Invalid argument 'nosuch' to SENTINEL CONFIG SET"],
      [['announce-port', '1234', 'announce-port'], "ERR Duplicate argument 'announce-port' to SENTINEL CONFIG SET"],
      [['announce-port', '70000', 'loglevel', 'debug'], "ERR Invalid value '70000' to SENTINEL CONFIG SET 'announce-port'"],
      [['loglevel', 'debug', 'loglevel', 'loud'], "ERR Duplicate argument 'loglevel' to SENTINEL CONFIG SET"],
    ];
    for (const [args, message] of cases) {
      expect(await one('SENTINEL', 'CONFIG', 'SET', ...args), args.join(' ')).toEqual(err(message));
    }
    expect(await one('SENTINEL', 'CONFIG', 'GET', '*')).toEqual(before);
  });

  it('replies "Failed to save config file" when the config cannot be written, the values staying set', async () => {
    const saved = `${sentinel.confPath}.saved`;
    fs.renameSync(sentinel.confPath, saved);
    // A non-empty directory where the file was: the atomic rename over it fails.
    fs.mkdirSync(sentinel.confPath);
    fs.writeFileSync(`${sentinel.confPath}/block`, '');
    try {
      expect(await one('SENTINEL', 'CONFIG', 'SET', 'announce-port', '26998')).toEqual(
        err('ERR Failed to save config file. Check server logs.'),
      );
      // As Redis: applied in memory, only the save failed.
      expect(await one('SENTINEL', 'CONFIG', 'GET', 'announce-port')).toEqual(['announce-port', '26998']);
    } finally {
      fs.rmSync(sentinel.confPath, { recursive: true, force: true });
      fs.renameSync(saved, sentinel.confPath);
    }
    expect(await one('SENTINEL', 'CONFIG', 'SET', 'announce-port', '0')).toBe('OK');
    expect(fs.readFileSync(sentinel.confPath, 'utf8')).not.toMatch(/announce-port/);
  });
});

describe('CLIENT SETINFO (Redis 7.2)', () => {
  it("sets lib-name and lib-ver, shown in CLIENT INFO once set, with Redis 7.2's errors", async () => {
    const [plain, ...rest] = await run(
      ['CLIENT', 'INFO'],
      ['CLIENT', 'SETINFO', 'LIB-NAME', 'mylib'],
      ['CLIENT', 'SETINFO', 'lib-ver', '1.2.3'],
      ['CLIENT', 'INFO'],
      ['CLIENT', 'SETINFO', 'lib-name', 'bad name'],
      ['CLIENT', 'SETINFO', 'Lib-Ver', 'a\nb'],
      ['CLIENT', 'SETINFO', 'lib-colour', 'red'],
      ['CLIENT', 'SETINFO', 'lib-name'],
      ['CLIENT', 'SETINFO', 'lib-name', ''],
      ['CLIENT', 'INFO'],
    );
    // A client that never sent SETINFO sees redis-sentinel 7.0's line.
    expect(String(plain)).not.toMatch(/lib-name/);
    expect(rest.slice(0, 2)).toEqual(['OK', 'OK']);
    expect(String(rest[2])).toMatch(/ resp=2 lib-name=mylib lib-ver=1\.2\.3\n$/);
    expect(rest.slice(3, 7)).toEqual([
      err('ERR lib-name cannot contain spaces, newlines or special characters.'),
      err('ERR Lib-Ver cannot contain spaces, newlines or special characters.'),
      err("ERR Unrecognized option 'lib-colour'"),
      err("ERR wrong number of arguments for 'client|setinfo' command"),
    ]);
    expect(rest[7]).toBe('OK');
    expect(String(rest[8])).toMatch(/ lib-name= lib-ver=1\.2\.3\n$/);
  });

  it('is sent by node-redis on connect and accepted', async () => {
    const client = createClient({ socket: { host: '127.0.0.1', port: sentinel.port, reconnectStrategy: false } });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const info = String(await client.sendCommand(['CLIENT', 'INFO']));
      expect(info).toMatch(/ lib-name=node-redis\S* lib-ver=\d+\.\d+\.\d+\S*\n?$/);
      expect(await client.sendCommand(['SENTINEL', 'GET-PRIMARY-ADDR-BY-NAME', 'mymaster'])).toEqual([
        '127.0.0.1', String(master.port),
      ]);
    } finally {
      client.destroy();
    }
  });

  it('lets node-redis createSentinel reach the master', async () => {
    const client = createSentinel({
      name: 'mymaster',
      sentinelRootNodes: [{ host: '127.0.0.1', port: sentinel.port }],
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      expect(await client.ping()).toBe('PONG');
      expect(await client.set('newer:k', 'v')).toBe('OK');
      expect(await client.get('newer:k')).toBe('v');
    } finally {
      client.destroy();
    }
  });
});

describe('SENTINEL PRIMARY aliases (Valkey 8.0)', () => {
  it('answer as the MASTER forms, with the same field names', async () => {
    await waitFor(async () => toRecord(await (async () => {
      const c = await RawClient.connect(sentinel.port);
      try {
        return await c.call('SENTINEL', 'MASTER', 'mymaster');
      } finally {
        await c.close();
      }
    })())['runid'] !== '' || undefined, { timeoutMs: 15_000, what: 'master INFO seen' });
    const [master1, primary, masters, primaries, addr, down] = await run(
      ['SENTINEL', 'MASTER', 'mymaster'],
      ['SENTINEL', 'PRIMARY', 'mymaster'],
      ['SENTINEL', 'MASTERS'],
      ['SENTINEL', 'PRIMARIES'],
      ['SENTINEL', 'GET-PRIMARY-ADDR-BY-NAME', 'mymaster'],
      ['SENTINEL', 'IS-PRIMARY-DOWN-BY-ADDR', '127.0.0.1', master.port, 0, '*'],
    );
    const names = (p: Plain): Plain[] => (p as Plain[]).filter((_, i) => i % 2 === 0);
    expect(names(primary!)).toEqual(names(master1!));
    expect(names(primary!)).toContain('num-other-sentinels');
    expect((primaries as Plain[]).map(names)).toEqual((masters as Plain[]).map(names));
    expect(addr).toEqual(['127.0.0.1', String(master.port)]);
    expect(down).toEqual([0, '*', 0]);
  });

  it("report Redis's errors under their own names", async () => {
    expect(await run(
      ['SENTINEL', 'PRIMARY', 'nosuch'],
      ['SENTINEL', 'PRIMARY'],
      ['SENTINEL', 'PRIMARIES', 'x'],
      ['SENTINEL', 'GET-PRIMARY-ADDR-BY-NAME', 'nosuch'],
      ['SENTINEL', 'IS-PRIMARY-DOWN-BY-ADDR', '127.0.0.1', 'abc', 0, '*'],
    )).toEqual([
      err('ERR No such master with that name'),
      err("ERR wrong number of arguments for 'sentinel|primary' command"),
      err("ERR wrong number of arguments for 'sentinel|primaries' command"),
      null,
      err('ERR value is not an integer or out of range'),
    ]);
  });

  it('are listed in SENTINEL HELP with the 7.2 CONFIG lines', async () => {
    const help = (await one('SENTINEL', 'HELP')) as string[];
    for (const line of [
      'PRIMARY <primary-name>', 'PRIMARIES', 'GET-PRIMARY-ADDR-BY-NAME <primary-name>',
      'IS-PRIMARY-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>',
      'CONFIG SET param value [param value ...]', 'CONFIG GET <param> [param param param ...]',
    ]) expect(help).toContain(line);
    expect(help).toContain('MASTER <master-name>');
  });
});

describe('SENTINEL SET primary-reboot-down-after-period (Valkey 8.0)', () => {
  const confLines = (): string[] => fs.readFileSync(sentinel.confPath, 'utf8').split('\n').filter((l) => l.includes('reboot'));

  it("is master-reboot-down-after-period under Valkey's name, saved under 7.0's before OK", async () => {
    expect(await one('SENTINEL', 'SET', 'mymaster', 'primary-reboot-down-after-period', 5000)).toBe('OK');
    // redis-sentinel 7.0 refuses a primary-reboot-down-after-period line: the file keeps 7.0's name.
    expect(confLines()).toEqual(['sentinel master-reboot-down-after-period mymaster 5000']);
    expect(await one('SENTINEL', 'SET', 'mymaster', 'Primary-Reboot-Down-After-Period', 0)).toBe('OK');
    expect(confLines()).toEqual([]);
  });

  it("refuses what 7.0's spelling refuses, naming the option as typed", async () => {
    expect(await run(
      ['SENTINEL', 'SET', 'mymaster', 'primary-reboot-down-after-period', -1],
      ['SENTINEL', 'SET', 'mymaster', 'primary-reboot-down-after-period', '2147483648'],
      ['SENTINEL', 'SET', 'mymaster', 'primary-reboot-down-after-period'],
    )).toEqual([
      err("ERR Invalid argument '-1' for SENTINEL SET 'primary-reboot-down-after-period'"),
      err("ERR Invalid argument '2147483648' for SENTINEL SET 'primary-reboot-down-after-period'"),
      err("ERR wrong number of arguments for 'sentinel|set' command"),
    ]);
    expect(confLines()).toEqual([]);
  });
});

describe('ACL rules and the additions', () => {
  it('covers them by category and by name', async () => {
    expect(await run(
      ['ACL', 'SETUSER', 'conn', 'on', 'nopass', '-@all', '+@connection'],
      ['ACL', 'DRYRUN', 'conn', 'CLIENT', 'SETINFO', 'lib-name', 'x'],
      ['ACL', 'DRYRUN', 'conn', 'SENTINEL', 'PRIMARIES'],
      ['ACL', 'SETUSER', 'watch', 'on', 'nopass', '+sentinel|primaries', '+SENTINEL|GET-PRIMARY-ADDR-BY-NAME'],
      ['ACL', 'DRYRUN', 'watch', 'SENTINEL', 'PRIMARIES'],
      ['ACL', 'DRYRUN', 'watch', 'SENTINEL', 'MASTERS'],
      ['ACL', 'GETUSER', 'watch'],
      ['ACL', 'DELUSER', 'conn', 'watch'],
    )).toEqual([
      'OK',
      'OK',
      "This user has no permissions to run the 'sentinel|primaries' command",
      'OK',
      'OK',
      "This user has no permissions to run the 'sentinel|masters' command",
      expect.arrayContaining(['commands', '-@all +sentinel|primaries +sentinel|get-primary-addr-by-name']),
      2,
    ]);
  });
});

describe('COMMAND INFO / DOCS / LIST of the additions', () => {
  it('has an entry for each added subcommand, under its container', async () => {
    const [list, count, info, docs, setinfoDocs] = await run(
      ['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', '*primar*'],
      ['COMMAND', 'COUNT'],
      ['COMMAND', 'INFO', 'client|setinfo', 'sentinel|primary'],
      ['COMMAND', 'DOCS', 'sentinel|is-primary-down-by-addr'],
      ['COMMAND', 'DOCS', 'client|setinfo'],
    );
    expect([...(list as string[])].sort()).toEqual([
      'sentinel|get-primary-addr-by-name', 'sentinel|is-primary-down-by-addr', 'sentinel|primaries', 'sentinel|primary',
    ]);
    // Subcommands only: the top-level count is redis-sentinel 7.0's.
    expect(count).toBe(15);
    expect(info).toEqual([
      ['client|setinfo', 4, ['noscript', 'loading', 'stale'], 0, 0, 0, ['@slow', '@connection'],
        ['request_policy:all_nodes', 'response_policy:all_succeeded'], [], []],
      ['sentinel|primary', 3, ['admin'], 0, 0, 0, ['@admin', '@slow', '@dangerous'], [], [], []],
    ]);
    expect(docs).toEqual(['sentinel|is-primary-down-by-addr', [
      'summary', 'Determines whether a primary instance is down.', 'since', '8.0.0', 'group', 'sentinel',
      'complexity', 'O(1)', 'arguments', [
        ['name', 'ip', 'type', 'string'], ['name', 'port', 'type', 'integer'],
        ['name', 'current-epoch', 'type', 'integer'], ['name', 'runid', 'type', 'string'],
      ],
    ]]);
    expect(setinfoDocs).toEqual(['client|setinfo', [
      'summary', 'Sets information specific to the client or connection.', 'since', '7.2.0', 'group', 'connection',
      'complexity', 'O(1)', 'arguments', [[
        'name', 'attr', 'type', 'oneof', 'arguments', [
          ['name', 'libname', 'type', 'string', 'token', 'lib-name'],
          ['name', 'libver', 'type', 'string', 'token', 'lib-ver'],
        ],
      ]],
    ]]);
  });

  it('have no keys, as every Sentinel command (COMMAND GETKEYS)', async () => {
    expect(await run(
      ['COMMAND', 'GETKEYS', 'client', 'setinfo', 'lib-name', 'x'],
      ['COMMAND', 'GETKEYS', 'SENTINEL', 'PRIMARY', 'mymaster'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'sentinel', 'primaries'],
    )).toEqual([
      err('ERR The command has no key arguments'),
      err('ERR The command has no key arguments'),
      err('ERR The command has no key arguments'),
    ]);
  });

  it('documents every command and subcommand the Sentinel accepts', async () => {
    const [list, docs, all] = await run(['COMMAND', 'LIST'], ['COMMAND', 'DOCS'], ['COMMAND']);
    const documented = new Map<string, string[]>();
    const walk = (flat: Plain[]): void => {
      for (let i = 0; i < flat.length; i += 2) {
        const fields = flat[i + 1] as Plain[];
        const keys = fields.filter((_, j) => j % 2 === 0) as string[];
        documented.set(flat[i] as string, keys);
        const subs = keys.indexOf('subcommands');
        if (subs >= 0) walk(fields[subs * 2 + 1] as Plain[]);
      }
    };
    walk(docs as Plain[]);
    for (const name of list as string[]) {
      // (Some of redis-sentinel 7.0's own SENTINEL subcommands have no complexity field.)
      expect(documented.get(name), name).toEqual(expect.arrayContaining(['summary', 'since', 'group']));
    }
    expect(documented.size).toBe((list as string[]).length);
    // COMMAND lists the same subcommands under CLIENT and SENTINEL.
    const subsOf = (name: string): string[] =>
      (((all as Plain[][]).find((e) => e[0] === name)![9] as Plain[][]).map((e) => e[0] as string)).sort();
    expect(subsOf('sentinel')).toEqual((list as string[]).filter((n) => n.startsWith('sentinel|')).sort());
    expect(subsOf('client')).toContain('client|setinfo');
  });
});
