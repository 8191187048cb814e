/**
 * Restart round-trip property: whatever a running tssentinel accepts must
 * come back, unchanged, after a restart (SIGTERM, or kill -9), and whatever
 * it refuses must change nothing.
 *
 * Each of WORKERS tssentinels (its own redis-server master, replica and
 * second master, so no two of our Sentinels ever discover each other) runs
 * SEQUENCES_PER_WORKER random change sequences, drawn from a seeded RNG:
 * SENTINEL SET of every option, SENTINEL CONFIG SET of every parameter,
 * MONITOR / REMOVE / RESET, ACL SETUSER / DELUSER, peer Sentinels and epochs
 * injected by hello messages, votes by IS-MASTER-DOWN-BY-ADDR, and some
 * invalid values of each kind. After each sequence the process is restarted
 * (new pid) and everything observable is compared with what it was before:
 * INFO sentinel, SENTINEL MASTERS / REPLICAS / SENTINELS, SENTINEL CONFIG
 * GET *, ACL LIST, SENTINEL MYID, and the config file it writes.
 *
 * Failovers would change epochs by themselves, so none can start: every
 * quorum is 2 or more and the only peers are injected ones that never answer
 * (masters that are not there, or renamed PING, give SDOWN, never ODOWN).
 * Live masters keep their INFO and AUTH working, so their replica is always
 * discovered again (after RESET) before a snapshot.
 *
 * RESTART_RT_SEED=<n> replays a run (the seed is printed on every failure);
 * RESTART_RT_SEQUENCES=<n> sets the sequences per worker (default 70, 3 workers).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesToText } from '../../src/byteText.js';
import { parseConfig } from '../../src/config/parse.js';
import { seededRandom } from '../../src/core/sentinel.js';
import { startRealSentinel, startRedis, startTsSentinel, stopAll, tempDir, type ProcHandle } from '../support/procs.js';
import { RawClient, parseInfo, textOf, toPlain, toRecord, type Plain } from '../support/resp.js';
import { waitFor } from '../support/wait.js';

const BASE_SEED = Number(process.env['RESTART_RT_SEED'] ?? 20261127);
const WORKERS = 3;
const SEQUENCES_PER_WORKER = Number(process.env['RESTART_RT_SEQUENCES'] ?? 70);
const MAX_OPS_PER_SEQUENCE = 6;
const HOST = '127.0.0.1';
/** Peer Sentinels injected by hello live on ports nothing listens on. */
const PEER_PORT_MIN = 100;
const PEER_PORT_SPAN = 900;
/** Masters that are not there: ports 1000-1099. */
const UNREACHABLE_MASTER_PORT_MIN = 1000;
function isUnreachableMaster(port: number): boolean {
  return port >= UNREACHABLE_MASTER_PORT_MIN && port < UNREACHABLE_MASTER_PORT_MIN + 100;
}

/**
 * Every quorum is 2 or more and no peer ever answers (they are all injected,
 * unreachable): no master becomes ODOWN, so no failover changes epochs by itself.
 */
const MIN_QUORUM = 2;

afterAll(async () => {
  await stopAll();
});

// ---------------------------------------------------------------------------
// Random values

class Rng {
  private readonly next: () => number;
  constructor(readonly seed: number) {
    this.next = seededRandom(seed);
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  hex(len: number): string {
    let s = '';
    for (let i = 0; i < len; i++) s += '0123456789abcdef'[this.int(0, 15)];
    return s;
  }

  /**
   * A string with characters that need quoting in a config file, and bytes
   * that are not UTF-8 (escapes of src/byteText.ts: the test client sends
   * them as the bytes 0xff, 0xfe, 0x80, 0xc3).
   */
  text(maxLen = 12): string {
    const chars = ['a', 'b', 'Z', '9', '-', '_', '.', ' ', '"', "'", '\\', '#', '$', 'é', '\t', ':', '@', '\n', '\r', '\x00', '🙂', ',',
      '\uDCFF', '\uDCFE', '\uDC80', '\uDCC3'];
    let s = '';
    const len = this.int(1, maxLen);
    for (let i = 0; i < len; i++) s += this.pick(chars);
    return s;
  }

  /** A positive 32-bit integer, often small. */
  positiveInt(): number {
    return this.pick([1, this.int(1, 100), this.int(100, 100_000), this.int(1, 2_147_483_647), 2_147_483_647]);
  }
}

// ---------------------------------------------------------------------------
// What is compared across a restart

type Snapshot = Record<string, Plain>;

/** Fields that depend on links, timers or the last INFO, not on persisted state. */
const VOLATILE = new Set([
  'runid', 'flags', 'link-pending-commands', 'link-refcount', 'last-ping-sent', 'last-ok-ping-reply',
  'last-ping-reply', 's-down-time', 'o-down-time', 'down-after-milliseconds-remaining', 'info-refresh',
  'role-reported', 'role-reported-time', 'master-link-down-time', 'master-link-status', 'master-host',
  'master-port', 'slave-priority', 'replica-priority', 'slave-repl-offset', 'replica-announced',
  'last-hello-message', 'voted-leader', 'voted-leader-epoch', 'failover-state', 'failover-timeout-remaining',
]);

function stable(rec: Record<string, Plain>): Record<string, Plain> {
  return Object.fromEntries(Object.entries(rec).filter(([k]) => !VOLATILE.has(k)).sort(([a], [b]) => a.localeCompare(b)));
}

async function records(c: RawClient, ...args: string[]): Promise<Array<Record<string, Plain>>> {
  const v = await c.call(...args);
  if (v.type !== 'array') throw new Error(`${args.join(' ')}: ${JSON.stringify(toPlain(v))}`);
  return v.items.map((item) => stable(toRecord(item)));
}

const byName = (a: Record<string, Plain>, b: Record<string, Plain>): number =>
  String(a['name']).localeCompare(String(b['name']));

async function snapshot(c: RawClient): Promise<Snapshot> {
  const info = parseInfo(textOf(await c.call('INFO', 'sentinel'))).find((s) => s.name === 'Sentinel')?.fields ?? [];
  const infoKept = info
    .filter(([k]) => !/^sentinel_(tilt|running_scripts|scripts_queue_length)/.test(k))
    // masterN:name=...,status=ok,... : the status follows the links.
    .map(([k, v]) => (k.startsWith('master') ? v.replace(/,status=[^,]*/, '') : `${k}:${v}`))
    .sort();
  const masters = (await records(c, 'SENTINEL', 'MASTERS')).sort(byName);
  const replicas: Record<string, Plain> = {};
  const sentinels: Record<string, Plain> = {};
  for (const m of masters) {
    const name = String(m['name']);
    replicas[name] = (await records(c, 'SENTINEL', 'REPLICAS', name)).sort(byName);
    sentinels[name] = (await records(c, 'SENTINEL', 'SENTINELS', name)).sort(byName);
  }
  const config = toRecord(await c.call('SENTINEL', 'CONFIG', 'GET', '*'));
  return {
    info: infoKept,
    masters,
    replicas,
    sentinels,
    config: Object.fromEntries(Object.entries(config).sort(([a], [b]) => a.localeCompare(b))),
    // redis-sentinel 7.0.15 too lists a default user loaded from a `user default
    // ...` line (as its rewrite writes it) with sanitize-payload, and one made
    // at start without: the same user, shown two ways.
    acl: (toPlain(await c.call('ACL', 'LIST')) as string[]).map((u) => (u.startsWith('user default ') ? u.replace(' sanitize-payload', '') : u)),
    myid: toPlain(await c.call('SENTINEL', 'MYID')),
  };
}

// ---------------------------------------------------------------------------
// The operations

interface World {
  rng: Rng;
  c: RawClient;
  /** The live redis-servers this worker may monitor: ports, and which have a replica. */
  masterPorts: number[];
  replicated: Set<number>;
  scripts: string[];
  log: string[];
  /** Masters created so far, so that MONITOR names never collide by chance. */
  made: number;
}

interface Op {
  args: string[];
  /** Expected to be refused: the state must not change. 'maybe': either, but a refusal changes nothing. */
  invalid: boolean | 'maybe' | 'partial';
  /** PUBLISH replies with a count, IS-MASTER-DOWN-BY-ADDR with a triple: anything but an error is fine. */
  anyReply?: boolean;
  /** Once accepted, this command shows the value as it was given (the same bytes, not a decoding of them). */
  readBack?: { args: string[]; expected: Plain; field?: string };
}

interface MasterView { name: string; ip: string; port: number; epoch: number }

async function masterNames(w: World): Promise<MasterView[]> {
  return (await records(w.c, 'SENTINEL', 'MASTERS')).map((m) => ({
    name: String(m['name']),
    ip: String(m['ip']),
    port: Number(m['port']),
    epoch: Number(m['config-epoch']),
  }));
}

const SET_NUMERIC: Array<[string, number]> = [
  ['down-after-milliseconds', 1], ['failover-timeout', 1], ['parallel-syncs', 1], ['quorum', MIN_QUORUM],
  ['master-reboot-down-after-period', 0], ['primary-reboot-down-after-period', 0],
];
/**
 * Beyond INT_MAX: a 64-bit parse takes them, but the loader reads an int
 * (atoi, as Redis), so they must be refused rather than change at restart.
 */
const INVALID_NUMBERS = ['0', '-1', 'abc', '1.5', '', ' 5', '+5', '99999999999999999999', '2147483648', '4294967297', '1099511627776'];
/** Harmless on a live master: PING, INFO, AUTH and SUBSCRIBE keep working. */
const RENAMABLE = ['config', 'slaveof', 'replicaof', 'client', 'multi', 'exec', 'publish', 'script'];
/**
 * Only on unreachable masters: on a live one the link would fail (a refused
 * SUBSCRIBE fails it too, as in Redis) and replicas would not be discovered.
 */
const RENAMABLE_UNREACHABLE = [...RENAMABLE, 'ping', 'info', 'auth', 'subscribe'];
const ACL_RULES = ['on', 'off', 'nopass', 'resetpass', '+@all', '-@all', '+ping', '+@read', '-@dangerous', '~*', '~key:*',
  '&*', '&chan*', 'resetchannels', 'allkeys', 'allchannels', 'allcommands', 'nocommands', '+sentinel|myid', '%R~r*'];
const BAD_ACL_RULES = ['bogus', '+nosuchcommand', '-@nosuchcategory', '<nope', '#123'];

function numericValue(rng: Rng, option: string, min: number): string {
  if (option === 'quorum') return String(rng.chance(0.9) ? rng.int(MIN_QUORUM, 6) : 2_147_483_647);
  return String(min === 0 && rng.chance(0.3) ? 0 : rng.positiveInt());
}

function sentinelSetOp(w: World, m: MasterView): Op {
  const { rng } = w;
  const name = m.name;
  const live = w.masterPorts.includes(m.port);
  const kind = rng.int(0, 6);
  const invalid = rng.chance(0.2);
  if (kind <= 1) {
    const [option, min] = rng.pick(SET_NUMERIC);
    // (quorum 1 is valid: MIN_QUORUM is this test's own limit.)
    const tooSmall = option === 'quorum' ? '0' : String(min - 1);
    const bad = [tooSmall, ...INVALID_NUMBERS.filter((v) => !(min === 0 && v === '0'))];
    if (invalid) return { args: ['SENTINEL', 'SET', name, option, rng.pick(bad)], invalid };
    return { args: ['SENTINEL', 'SET', name, option, numericValue(rng, option, min)], invalid };
  }
  if (kind === 2) {
    const option = rng.pick(['notification-script', 'client-reconfig-script']);
    if (invalid) return { args: ['SENTINEL', 'SET', name, option, rng.pick(['/nonexistent/x.sh', 'no-such.sh'])], invalid };
    return { args: ['SENTINEL', 'SET', name, option, rng.chance(0.2) ? '' : rng.pick(w.scripts)], invalid };
  }
  if (kind === 3 && !live) {
    const option = rng.pick(['auth-pass', 'auth-user']);
    return { args: ['SENTINEL', 'SET', name, option, rng.chance(0.2) ? '' : rng.text()], invalid: false };
  }
  if (kind === 4 || kind === 3) {
    const from = rng.pick(live ? RENAMABLE : RENAMABLE_UNREACHABLE);
    if (invalid) return { args: ['SENTINEL', 'SET', name, 'rename-command', from, ''], invalid };
    const to = rng.chance(0.2) ? from.toUpperCase() : rng.chance(0.2) ? rng.text() : `${from}-${rng.hex(4)}`;
    if (rng.chance(0.2)) return { args: ['SENTINEL', 'SET', name, 'rename-command', from.toUpperCase(), to], invalid };
    return { args: ['SENTINEL', 'SET', name, 'rename-command', from, to], invalid };
  }
  if (kind === 5 && rng.chance(0.3)) {
    // A good option then a bad one: Redis keeps the first applied and replies with the error.
    return { args: ['SENTINEL', 'SET', name, 'failover-timeout', String(rng.positiveInt()), 'quorum', '0'], invalid: 'partial' };
  }
  if (kind === 5) {
    // Several options at once.
    const [a, min] = rng.pick(SET_NUMERIC);
    return { args: ['SENTINEL', 'SET', name, a, numericValue(rng, a, min), 'failover-timeout', String(rng.positiveInt())], invalid: false };
  }
  if (invalid) return { args: ['SENTINEL', 'SET', name, 'no-such-option', '1'], invalid };
  return { args: ['SENTINEL', 'SET', name, 'quorum', numericValue(rng, 'quorum', MIN_QUORUM)], invalid };
}

function configSetOp(w: World): Op {
  const { rng } = w;
  const invalid = rng.chance(0.2);
  const param = rng.pick(['resolve-hostnames', 'announce-hostnames', 'announce-ip', 'announce-port', 'sentinel-user',
    'sentinel-pass', 'loglevel']);
  const set = (v: string): Op => ({ args: ['SENTINEL', 'CONFIG', 'SET', param, v], invalid });
  switch (param) {
    // "no" stores the address of every name (only localhost here: it resolves).
    case 'resolve-hostnames':
    case 'announce-hostnames':
      return set(invalid ? rng.pick(['maybe', '', '1']) : rng.pick(['yes', 'no', 'YES', 'No']));
    case 'announce-ip':
      return { ...set(rng.pick(['', '127.0.0.1', `10.0.${rng.int(0, 255)}.${rng.int(1, 254)}`, 'localhost', '::1', rng.text()])), invalid: false };
    case 'announce-port':
      return set(invalid ? rng.pick(['-1', '65536', 'abc', '']) : String(rng.pick([0, rng.int(1, 65535)])));
    case 'loglevel':
      return set(invalid ? rng.pick(['foo', '', 'warn']) : rng.pick(['debug', 'verbose', 'notice', 'warning', 'nothing', 'NOTICE', 'Nothing']));
    default: {
      // sentinel-user / sentinel-pass: any string; an empty one unsets.
      const value = rng.chance(0.2) ? '' : rng.text();
      return {
        args: ['SENTINEL', 'CONFIG', 'SET', param, value],
        invalid: false,
        readBack: { args: ['SENTINEL', 'CONFIG', 'GET', param], expected: [param, value] },
      };
    }
  }
}

async function monitorOp(w: World, names: string[]): Promise<Op> {
  const { rng } = w;
  const port = rng.chance(0.6) ? rng.pick(w.masterPorts) : UNREACHABLE_MASTER_PORT_MIN + rng.int(0, 99);
  const config = toRecord(await w.c.call('SENTINEL', 'CONFIG', 'GET', '*'));
  // (localhost only: no DNS lookup may leave the machine.)
  const named = config['resolve-hostnames'] === 'yes';
  let host = named && rng.chance(0.5) ? 'localhost' : HOST;
  // Other spellings of a numeric address: stored as the loader would read them back.
  if (isUnreachableMaster(port) && rng.chance(0.5)) host = rng.pick(['::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '127.0.0.1']);
  w.made += 1;
  // (No newline: INFO prints names raw, and a name spanning two lines cannot be parsed back here.)
  const name = `m${w.made}${rng.pick(['', ' x', '"q', "'", '#', '\\', 'é', '.', '-', '_', '\t', '{}', '*', '\uDCFF', '\uDCC3'])}${rng.hex(3)}`;
  if (rng.chance(0.2)) {
    const bad: string[][] = [
      [names[0] ?? 'dup', HOST, String(port), '1'],
      [name, HOST, String(port), '0'],
      [name, HOST, '65536', '1'],
      [name, HOST, 'x', '1'],
      // (Refused before any DNS lookup without resolve-hostnames; with it, a bad port instead.)
      config['resolve-hostnames'] === 'yes' ? [name, HOST, '-1', '2'] : [name, 'no-such-host.invalid', String(port), '2'],
      [name, HOST, String(port), '-2'],
      [name, HOST, String(port), 'abc'],
      [name, HOST, String(port), '4294967298'],
    ];
    const args = rng.pick(bad);
    // A duplicate needs an existing name; otherwise the first form is valid.
    if (args[0] === 'dup') return { args: ['SENTINEL', 'MONITOR', name, HOST, '65536', '1'], invalid: true };
    return { args: ['SENTINEL', 'MONITOR', ...args], invalid: true };
  }
  return {
    args: ['SENTINEL', 'MONITOR', name, host, String(port), String(rng.int(MIN_QUORUM, 4))],
    invalid: false,
    readBack: { args: ['SENTINEL', 'MASTER', name], field: 'name', expected: name },
  };
}

function aclOp(w: World, users: string[]): Op {
  const { rng } = w;
  if (users.length > 0 && rng.chance(0.3)) return { args: ['ACL', 'DELUSER', rng.pick(users)], invalid: false, anyReply: true };
  const user = rng.chance(0.5) && users.length > 0 ? rng.pick(users) : `u${rng.hex(3)}`;
  const rules: string[] = [];
  for (let i = rng.int(0, 4); i > 0; i--) rules.push(rng.pick(ACL_RULES));
  if (rng.chance(0.4)) rules.push(`>${rng.text()}`);
  if (rng.chance(0.15)) {
    rules.push(rng.pick(BAD_ACL_RULES));
    return { args: ['ACL', 'SETUSER', user, ...rules], invalid: true };
  }
  // Some combinations are refused by Redis's own rules (a key pattern after allkeys, ...).
  return { args: ['ACL', 'SETUSER', user, ...rules], invalid: 'maybe' };
}

async function helloOp(w: World, masters: MasterView[]): Promise<Op> {
  const { rng } = w;
  const m = rng.pick(masters);
  const known = (await records(w.c, 'SENTINEL', 'SENTINELS', m.name)).map((s) => ({ runid: String(s['name']), port: Number(s['port']) }));
  // A new peer, a known one again (same or new address), or a new runid at a known address.
  const again = known.length > 0 && rng.chance(0.4) ? rng.pick(known) : undefined;
  const myid = String(toPlain(await w.c.call('SENTINEL', 'MYID')));
  const runid = again && rng.chance(0.7) ? again.runid : rng.chance(0.05) ? myid : rng.hex(40);
  const port = again && rng.chance(0.7) ? again.port : PEER_PORT_MIN + rng.int(0, PEER_PORT_SPAN - 1);
  const epoch = rng.int(0, 30);
  let configEpoch = rng.chance(0.5) ? m.epoch : m.epoch + rng.int(0, 3);
  // Addresses the config loader would refuse (or store differently) must be
  // dropped or normalized: a name without resolve-hostnames, a bad port, 127.1.
  const config = toRecord(await w.c.call('SENTINEL', 'CONFIG', 'GET', '*'));
  // Names only reach DNS with resolve-hostnames: then only localhost (no lookup leaves the machine).
  const unresolvable = config['resolve-hostnames'] === 'yes' ? HOST : 'no_such-host';
  const ip = rng.chance(0.85) ? HOST : rng.pick(['127.1', '0x7f.0.0.1', 'not an ip', unresolvable, '', 'localhost']);
  const peerPort = rng.chance(0.05) ? 70_000 : port;
  // A higher config-epoch with another address is a switch: only for masters
  // that are not there, so no live server is reconfigured.
  let masterPort = m.port;
  if (isUnreachableMaster(m.port) && rng.chance(0.3)) {
    masterPort = UNREACHABLE_MASTER_PORT_MIN + rng.int(0, 99);
    configEpoch = m.epoch + rng.int(1, 3);
  }
  const masterIp = masterPort === m.port ? m.ip : HOST;
  const payload = [ip, peerPort, runid, epoch, m.name, masterIp, masterPort, configEpoch].join(',');
  return { args: ['PUBLISH', '__sentinel__:hello', payload], invalid: false, anyReply: true };
}

function voteOp(w: World, masters: MasterView[]): Op {
  const { rng } = w;
  const m = rng.pick(masters);
  if (rng.chance(0.15)) return { args: ['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', m.ip, String(m.port), 'abc', '*'], invalid: true };
  const runid = rng.chance(0.2) ? '*' : rng.hex(40);
  return { args: ['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', m.ip, String(m.port), String(rng.int(0, 40)), runid], invalid: false, anyReply: true };
}

async function randomOp(w: World): Promise<Op> {
  const { rng } = w;
  const masters = await masterNames(w);
  const names = masters.map((m) => m.name);
  const users = (toPlain(await w.c.call('ACL', 'USERS')) as string[]).filter((u) => u !== 'default');
  const roll = rng.int(0, 99);
  if (masters.length === 0 || roll < 8) return monitorOp(w, names);
  if (roll < 38) return sentinelSetOp(w, rng.pick(masters));
  if (roll < 53) return configSetOp(w);
  if (roll < 58) {
    if (rng.chance(0.2)) return { args: ['SENTINEL', 'REMOVE', `nosuch${rng.hex(2)}`], invalid: true };
    return masters.length > 1 ? { args: ['SENTINEL', 'REMOVE', rng.pick(names)], invalid: false } : monitorOp(w, names);
  }
  if (roll < 62) return { args: ['SENTINEL', 'RESET', rng.chance(0.5) ? rng.pick(names) : rng.pick(['*', 'm*', 'nomatch'])], invalid: false, anyReply: true };
  if (roll < 72) return aclOp(w, users);
  if (roll < 90) return helloOp(w, masters);
  return voteOp(w, masters);
}

// ---------------------------------------------------------------------------
// One worker: a tssentinel, its redis-servers, its sequences

function describeOp(op: Op): string {
  return JSON.stringify(op.args);
}

/**
 * Waits for what the Sentinel does by itself after a change: replicas of a
 * live master are discovered from its INFO (again after a RESET).
 */
async function settle(w: World, where: string): Promise<void> {
  await waitFor(async () => {
    for (const m of await masterNames(w)) {
      if (!w.replicated.has(m.port)) continue;
      const reps = await records(w.c, 'SENTINEL', 'REPLICAS', m.name);
      if (reps.length === 0) throw new Error(`no replica yet for ${m.name}`);
    }
    return true;
  }, { what: `replicas of monitored masters discovered, ${where}`, timeoutMs: 15_000 });
}

/**
 * The config file as loaded: what is not visible in any reply (current-epoch,
 * leader-epoch, auth-pass, renamed commands, ...) is compared through it.
 */
function fileConfig(confPath: string): unknown {
  const cfg = parseConfig(bytesToText(fs.readFileSync(confPath)));
  // The default user's sanitize-payload, as in snapshot(): Redis writes it once loaded from a line.
  cfg.users = cfg.users.map((u) => (u[0] === 'default' ? u.filter((r) => r !== 'sanitize-payload') : u));
  return cfg;
}

async function connect(s: ProcHandle): Promise<RawClient> {
  return RawClient.connect(s.port, { timeoutMs: 5_000 });
}

async function runWorker(index: number): Promise<{ sequences: number; ops: number; invalid: number; kill9: number }> {
  const seed = BASE_SEED + index;
  const rng = new Rng(seed);
  const master1 = await startRedis();
  // Its replica: discovered from master1's INFO, again after each RESET.
  await startRedis({ replicaOf: { host: HOST, port: master1.port } });
  const master2 = await startRedis();
  const scriptsDir = tempDir(`rt-scripts-${index}`);
  const scripts = ['ok.sh', 'with space.sh', 'q"uote.sh'].map((f) => {
    const p = path.join(scriptsDir, f);
    fs.writeFileSync(p, '#!/bin/sh\nexit 0\n');
    fs.chmodSync(p, 0o755);
    return p;
  });
  const s = await startTsSentinel([
    'sentinel deny-scripts-reconfig no',
    `sentinel monitor m0 ${HOST} ${master1.port} 2`,
    '',
  ].join('\n'));
  const w: World = {
    rng,
    c: await connect(s),
    masterPorts: [master1.port, master2.port],
    replicated: new Set([master1.port]),
    scripts,
    log: [],
    made: 0,
  };
  // Relative to the process's working directory (no dir line here).
  w.scripts.push(path.relative(s.dir, scripts[0]!));
  const stats = { sequences: 0, ops: 0, invalid: 0, kill9: 0 };
  const where = (seq: number) => `seed ${seed} (RESTART_RT_SEED=${BASE_SEED} worker ${index}), sequence ${seq}:\n  ${w.log.join('\n  ')}`;
  try {
    await settle(w, 'at start');
    for (let seq = 0; seq < SEQUENCES_PER_WORKER; seq++) {
      w.log = [];
      for (let n = rng.int(1, MAX_OPS_PER_SEQUENCE); n > 0; n--) {
        const op = await randomOp(w);
        const checked = op.invalid === true || op.invalid === 'maybe';
        if (checked) await settle(w, where(seq));
        const before = checked ? await snapshot(w.c) : undefined;
        const reply = toPlain(await w.c.call(...op.args));
        w.log.push(`${describeOp(op)} -> ${JSON.stringify(reply)}`);
        const refused = typeof reply === 'object' && reply !== null && 'error' in reply;
        stats.ops += 1;
        if (op.invalid === true || op.invalid === 'partial') expect(refused, `refused: ${where(seq)}`).toBe(true);
        if (op.invalid === 'partial') {
          // What came before the bad option stays: only the round-trip is checked.
        } else if (refused && checked) {
          stats.invalid += 1;
          expect(await snapshot(w.c), `a refused change changed nothing: ${where(seq)}`).toEqual(before);
        } else if (op.invalid === 'maybe') {
          // Accepted: nothing more to check here.
        } else if (!op.anyReply) {
          expect(reply, `accepted: ${where(seq)}`).toBe('OK');
          if (op.readBack) {
            const shown = await w.c.call(...op.readBack.args);
            const value = op.readBack.field === undefined ? toPlain(shown) : toRecord(shown)[op.readBack.field];
            expect(value, `as given: ${where(seq)}`).toEqual(op.readBack.expected);
          }
        } else {
          expect(refused, `accepted: ${where(seq)}`).toBe(false);
        }
      }
      await settle(w, where(seq));
      const before = await snapshot(w.c);
      const kill9 = rng.chance(0.3);
      const oldPid = s.pid;
      // Discoveries (hello) are written asynchronously (Redis writes them in the
      // same event-loop turn): wait until the file holds what we saw. Changes
      // made by commands are on disk before their reply.
      await waitFor(() => fileSettled(s.confPath, before), { what: `config file holds the state: ${where(seq)}`, timeoutMs: 5_000 });
      await w.c.close();
      if (kill9) stats.kill9 += 1;
      await (kill9 ? s.kill9() : s.stop('SIGTERM'));
      // The file the new process loads: what is not in any reply (current-epoch
      // raised by a hello, leader-epoch, auth-pass, ...) is compared through it.
      const fileBefore = fileConfig(s.confPath);
      await s.restart();
      w.log.push(kill9 ? 'kill -9, restart' : 'SIGTERM, restart');
      expect(s.pid, `a new process: ${where(seq)}`).not.toBe(oldPid);
      w.c = await connect(s);
      expect(await snapshot(w.c), `state after restart: ${where(seq)}`).toEqual(before);
      expect(toPlain(await w.c.call('SENTINEL', 'FLUSHCONFIG')), where(seq)).toBe('OK');
      expect(fileConfig(s.confPath), `config file after restart: ${where(seq)}`).toEqual(fileBefore);
      stats.sequences += 1;
    }
  } finally {
    await w.c.close();
  }
  return stats;
}

/** The file on disk has the config-epochs, known replicas and known Sentinels of the snapshot. */
function fileSettled(confPath: string, snap: Snapshot): boolean {
  const cfg = parseConfig(bytesToText(fs.readFileSync(confPath)));
  const masters = snap['masters'] as Array<Record<string, Plain>>;
  const sentinels = snap['sentinels'] as Record<string, Array<Record<string, Plain>>>;
  const replicas = snap['replicas'] as Record<string, Array<Record<string, Plain>>>;
  const same = (a: string[], b: string[]): boolean => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
  if (cfg.masters.length !== masters.length) return false;
  for (const m of masters) {
    const name = String(m['name']);
    const fm = cfg.masters.find((x) => x.name === name);
    if (!fm || fm.configEpoch !== Number(m['config-epoch'])) return false;
    const seenSentinels = (sentinels[name] ?? []).map((x) => `${String(x['ip'])}:${String(x['port'])}:${String(x['name'])}`);
    if (!same(fm.knownSentinels.map((x) => `${x.host}:${x.port}:${x.runid}`), seenSentinels)) return false;
    const seenReplicas = (replicas[name] ?? []).map((x) => `${String(x['ip'])}:${String(x['port'])}`);
    if (!same(fm.knownReplicas.map((x) => `${x.host}:${x.port}`), seenReplicas)) return false;
  }
  return true;
}

describe('restart round-trip', () => {
  it(`${WORKERS * SEQUENCES_PER_WORKER} random change sequences survive restarts (SIGTERM and kill -9)`, async () => {
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: WORKERS }, (_, i) => runWorker(i)));
    const total = results.reduce((a, r) => ({
      sequences: a.sequences + r.sequences, ops: a.ops + r.ops, invalid: a.invalid + r.invalid, kill9: a.kill9 + r.kill9,
    }));
    process.stdout.write(`restart round-trip: ${JSON.stringify(total)} in ${Date.now() - started} ms (seed ${BASE_SEED})\n`);
    expect(total.sequences).toBe(WORKERS * SEQUENCES_PER_WORKER);
    // The CI run (no override) covers at least 200 sequences.
    if (process.env['RESTART_RT_SEQUENCES'] === undefined) expect(total.sequences).toBeGreaterThanOrEqual(200);
  }, 300_000);
});

// ---------------------------------------------------------------------------
// What the property found, one by one (fast, deterministic).

describe('restart round-trip: the cases it found', () => {
  const peer = (c: string): string => c.repeat(40);
  const text = async (c: RawClient, ...args: string[]): Promise<Plain> => toPlain(await c.call(...args));
  const conf = [`sentinel monitor m ${HOST} ${UNREACHABLE_MASTER_PORT_MIN + 1} 2`, ''].join('\n');

  async function restarted(s: ProcHandle, how: 'SIGTERM' | 'kill -9'): Promise<RawClient> {
    const pid = s.pid;
    if (how === 'kill -9') await s.kill9();
    await s.restart();
    expect(s.pid).not.toBe(pid);
    return connect(s);
  }

  it('loglevel nothing, set at run time, loads again', async () => {
    const s = await startTsSentinel(conf);
    let c = await connect(s);
    expect(await text(c, 'SENTINEL', 'CONFIG', 'SET', 'loglevel', 'nothing')).toBe('OK');
    await c.close();
    c = await restarted(s, 'SIGTERM');
    expect(await text(c, 'SENTINEL', 'CONFIG', 'GET', 'loglevel')).toEqual(['loglevel', 'nothing']);
    await c.close();
  });

  it('numbers the loader reads as an int are refused above INT_MAX, not changed at restart', async () => {
    const s = await startTsSentinel(conf);
    let c = await connect(s);
    for (const option of ['down-after-milliseconds', 'failover-timeout', 'parallel-syncs', 'quorum', 'master-reboot-down-after-period',
      'primary-reboot-down-after-period']) {
      expect(await text(c, 'SENTINEL', 'SET', 'm', option, '4294967297'))
        .toEqual({ error: `ERR Invalid argument '4294967297' for SENTINEL SET '${option}'` });
    }
    expect(await text(c, 'SENTINEL', 'SET', 'm', 'failover-timeout', '2147483647')).toBe('OK');
    expect(await text(c, 'SENTINEL', 'MONITOR', 'big', HOST, '1002', '4294967298')).toEqual({ error: 'ERR Invalid quorum' });
    await c.close();
    c = await restarted(s, 'SIGTERM');
    expect(toRecord(await c.call('SENTINEL', 'MASTER', 'm'))['failover-timeout']).toBe('2147483647');
    await c.close();
  });

  it("primary-reboot-down-after-period (Valkey 8.0), in the file or by SENTINEL SET, survives kill -9 under 7.0's name, which redis-sentinel 7.0 loads", async () => {
    const rebootLines = (s: ProcHandle): string[] =>
      fs.readFileSync(s.confPath, 'utf8').split('\n').filter((l) => l.includes('reboot-down-after-period'));
    // A file written by Valkey 8.0 loads, and is rewritten (myid is new) under 7.0's name.
    const s = await startTsSentinel(`${conf}sentinel primary-reboot-down-after-period m 500\n`);
    expect(rebootLines(s)).toEqual(['sentinel master-reboot-down-after-period m 500']);
    let c = await connect(s);
    expect(await text(c, 'SENTINEL', 'SET', 'm', 'primary-reboot-down-after-period', '5000')).toBe('OK');
    await c.close();
    c = await restarted(s, 'kill -9');
    // Another change makes the restarted process write its whole state: the period came back.
    expect(await text(c, 'SENTINEL', 'SET', 'm', 'quorum', '3')).toBe('OK');
    await c.close();
    expect(rebootLines(s)).toEqual(['sentinel master-reboot-down-after-period m 5000']);
    // The file as we wrote it starts a real redis-sentinel 7.0 (startRealSentinel waits for its PONG).
    const real = await startRealSentinel(fs.readFileSync(s.confPath, 'utf8'));
    c = await connect(real);
    expect(toRecord(await c.call('SENTINEL', 'MASTER', 'm'))['quorum']).toBe('3');
    await c.close();
  });

  it('ACL SETUSER / DELUSER are on disk before the reply: kill -9 keeps them', async () => {
    const s = await startTsSentinel(conf);
    let c = await connect(s);
    expect(await text(c, 'ACL', 'SETUSER', 'alice', 'on', '>pw', '+@all')).toBe('OK');
    expect(await text(c, 'ACL', 'SETUSER', 'bob', 'on')).toBe('OK');
    expect(await text(c, 'ACL', 'DELUSER', 'bob')).toBe(1);
    const before = await text(c, 'ACL', 'LIST');
    await c.close();
    c = await restarted(s, 'kill -9');
    expect(await text(c, 'ACL', 'LIST')).toEqual((before as string[]).map((u) => u.replace('user default on nopass ~*', 'user default on nopass sanitize-payload ~*')));
    await c.close();
  });

  it('hellos with addresses the loader refuses are dropped, 127.1 is stored as 127.0.0.1: same as redis-sentinel', async () => {
    const hellos = [
      `localhost,501,${peer('a')},1,m,${HOST},${UNREACHABLE_MASTER_PORT_MIN + 1},0`,
      `not an ip,502,${peer('b')},1,m,${HOST},${UNREACHABLE_MASTER_PORT_MIN + 1},0`,
      `${HOST},70000,${peer('c')},1,m,${HOST},${UNREACHABLE_MASTER_PORT_MIN + 1},0`,
      `127.1,503,${peer('d')},1,m,${HOST},${UNREACHABLE_MASTER_PORT_MIN + 1},0`,
      `${HOST},504,${peer('e')},1,m,${HOST},${UNREACHABLE_MASTER_PORT_MIN + 1},0`,
    ];
    const known = async (c: RawClient): Promise<string[]> =>
      (await records(c, 'SENTINEL', 'SENTINELS', 'm')).map((x) => `${String(x['ip'])}:${String(x['port'])}:${String(x['name']).slice(0, 1)}`).sort();
    const sides = await Promise.all([startTsSentinel(conf), startRealSentinel(conf)]);
    const seen: string[][] = [];
    for (const s of sides) {
      const c = await connect(s);
      for (const h of hellos) await c.call('PUBLISH', '__sentinel__:hello', h);
      seen.push(await waitFor(async () => { const k = await known(c); return k.length === 2 ? k : undefined; }, { what: 'the two valid peers' }));
      await c.close();
    }
    expect(seen[0]).toEqual([`${HOST}:503:d`, `${HOST}:504:e`]);
    expect(seen[0]).toEqual(seen[1]);
    const c = await restarted(sides[0]!, 'SIGTERM');
    expect(await known(c)).toEqual(seen[0]);
    await c.close();
  });

  it('MONITOR stores a numeric address as inet_ntop prints it, as redis-sentinel: the same after a restart', async () => {
    const spellings = ['0:0:0:0:0:0:0:1', '127.1', '::FFFF:127.0.0.1', '127.000.0.1'];
    const infoLines = async (c: RawClient): Promise<string[]> =>
      (parseInfo(textOf(await c.call('INFO', 'sentinel'))).find((x) => x.name === 'Sentinel')?.fields ?? [])
        .filter(([k]) => k.startsWith('master')).map(([, v]) => v).sort();
    const seen: string[][] = [];
    const sides = await Promise.all([startTsSentinel(''), startRealSentinel('')]);
    for (const s of sides) {
      const c = await connect(s);
      for (const [i, host] of spellings.entries()) {
        expect(await text(c, 'SENTINEL', 'MONITOR', `n${i}`, host, String(UNREACHABLE_MASTER_PORT_MIN + i), '2')).toBe('OK');
      }
      seen.push(await infoLines(c));
      await c.close();
    }
    const c = await restarted(sides[0]!, 'SIGTERM');
    expect(await infoLines(c)).toEqual(seen[0]);
    await c.close();
    expect(seen[0]).toEqual([
      `name=n0,status=ok,address=::1:${UNREACHABLE_MASTER_PORT_MIN},slaves=0,sentinels=1`,
      `name=n1,status=ok,address=127.0.0.1:${UNREACHABLE_MASTER_PORT_MIN + 1},slaves=0,sentinels=1`,
      `name=n2,status=ok,address=::ffff:127.0.0.1:${UNREACHABLE_MASTER_PORT_MIN + 2},slaves=0,sentinels=1`,
      `name=n3,status=ok,address=127.0.0.1:${UNREACHABLE_MASTER_PORT_MIN + 3},slaves=0,sentinels=1`,
    ]);
    expect(seen[0]).toEqual(seen[1]);
  });

  it('with resolve-hostnames, a hello name is kept (announce-hostnames), a malformed one dropped; "no" then stores its address', async () => {
    const s = await startTsSentinel(['sentinel resolve-hostnames yes', 'sentinel announce-hostnames yes', conf].join('\n'));
    let c = await connect(s);
    // (Only localhost: no DNS lookup may leave the machine in these tests.)
    await c.call('PUBLISH', '__sentinel__:hello', `not a name,505,${peer('f')},1,m,${HOST},${UNREACHABLE_MASTER_PORT_MIN + 1},0`);
    await c.call('PUBLISH', '__sentinel__:hello', `localhost,506,${peer('g')},1,m,${HOST},${UNREACHABLE_MASTER_PORT_MIN + 1},0`);
    await waitFor(async () => (await records(c, 'SENTINEL', 'SENTINELS', 'm')).length === 1, { what: 'the peer named localhost' });
    const peers = async (): Promise<string[]> =>
      (await records(c, 'SENTINEL', 'SENTINELS', 'm')).map((x) => `${String(x['ip'])}:${String(x['port'])}`);
    expect(await peers()).toEqual(['localhost:506']);
    await c.close();
    c = await restarted(s, 'SIGTERM');
    expect(await peers()).toEqual(['localhost:506']);
    expect(await text(c, 'SENTINEL', 'CONFIG', 'SET', 'resolve-hostnames', 'no')).toBe('OK');
    expect(await peers()).toEqual([`${HOST}:506`]);
    await c.close();
    c = await restarted(s, 'kill -9');
    expect(await peers()).toEqual([`${HOST}:506`]);
    expect(await text(c, 'SENTINEL', 'CONFIG', 'GET', 'resolve-hostnames')).toEqual(['resolve-hostnames', 'no']);
    await c.close();
    expect(fs.readFileSync(s.confPath, 'utf8')).not.toContain('localhost');
  });
});
