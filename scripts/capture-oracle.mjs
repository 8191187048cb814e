#!/usr/bin/env node
// Records what the real redis-sentinel replies, byte for byte, to a long list
// of commands, under RESP2 and RESP3 (after HELLO 3), plus the conditional
// fields and pub/sub events of a failover. Output:
// test/fixtures/oracle/replies.json. Read test/fixtures/oracle/NOTES.md first.
//
//   node scripts/capture-oracle.mjs [--out path]
//
// Everything runs on 127.0.0.1 on free ports below 32768; every process this
// script starts is killed by its PID at the end, also on failure.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = argValue('--out') ?? path.join(ROOT, 'test/fixtures/oracle/replies.json');
const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';
const REDIS_SENTINEL = process.env.REDIS_SENTINEL_BIN ?? '/usr/bin/redis-sentinel';
const TOTAL_DEADLINE_MS = 120_000;

function argValue(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

// --- processes ---------------------------------------------------------------

const children = new Set();
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tss-oracle-'));
process.on('exit', () => {
  for (const child of children) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (process.env.TSS_KEEP_TMP !== '1') fs.rmSync(tmpRoot, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
setTimeout(() => {
  console.error(`capture-oracle: gave up after ${TOTAL_DEADLINE_MS} ms`);
  process.exit(1);
}, TOTAL_DEADLINE_MS).unref();

const usedPorts = new Set();
function canBind(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}
async function freePort() {
  for (let i = 0; i < 100; i++) {
    const port = 10000 + Math.floor(Math.random() * 22768);
    if (!usedPorts.has(port) && (await canBind(port))) {
      usedPorts.add(port);
      return port;
    }
  }
  throw new Error('no free port');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startProcess(name, command, makeArgs, writeConf) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const dir = path.join(tmpRoot, `${name}-${port}`);
    fs.mkdirSync(dir, { recursive: true });
    const conf = path.join(dir, 'conf');
    fs.writeFileSync(conf, writeConf(port, dir));
    const log = fs.openSync(path.join(dir, 'log'), 'a');
    const child = spawn(command, makeArgs(conf, port), { cwd: dir, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    children.add(child);
    let exited = false;
    child.once('exit', () => {
      exited = true;
      children.delete(child);
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !exited) {
      const ok = await pingOk(port);
      if (ok && !exited) return { name, port, dir, conf, child, kill: () => killChild(child) };
      await sleep(50);
    }
    const tail = fs.readFileSync(path.join(dir, 'log'), 'utf8').split('\n').slice(-20).join('\n');
    killChild(child);
    if (!/in use/i.test(tail)) throw new Error(`${name} did not start on ${port}:\n${tail}`);
  }
  throw new Error(`${name}: no port after 5 tries`);
}

function killChild(child) {
  try {
    process.kill(child.pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

async function pingOk(port) {
  try {
    const c = await Client.connect(port);
    try {
      const r = await c.call(['PING']);
      return r.text === '+PONG\r\n';
    } finally {
      c.close();
    }
  } catch {
    return false;
  }
}

function startRedis(name, replicaOfPort) {
  return startProcess(name, REDIS_SERVER, (conf) => [conf], (port, dir) =>
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      'save ""',
      'appendonly no',
      replicaOfPort ? `replicaof 127.0.0.1 ${replicaOfPort}` : '',
    ].join('\n') + '\n',
  );
}

function startSentinel(name, confLines) {
  return startProcess(
    name,
    REDIS_SENTINEL,
    (conf, port) => [conf, '--port', String(port)],
    () => ['bind 127.0.0.1', ...confLines].join('\n') + '\n',
  );
}

// --- a minimal RESP reader that keeps the raw bytes --------------------------

function replyEnd(buf, pos) {
  const eol = buf.indexOf('\r\n', pos, 'latin1');
  if (eol < 0) return -1;
  const type = String.fromCharCode(buf[pos]);
  const n = Number(buf.toString('latin1', pos + 1, eol));
  const next = eol + 2;
  if ('+-:_#,('.includes(type)) return next;
  if ('$!='.includes(type)) return n < 0 ? next : buf.length >= next + n + 2 ? next + n + 2 : -1;
  if ('*~>%|'.includes(type)) {
    if (n < 0) return next;
    const count = type === '%' || type === '|' ? n * 2 : n;
    let p = next;
    for (let i = 0; i < count; i++) {
      p = replyEnd(buf, p);
      if (p < 0) return -1;
    }
    return type === '|' ? replyEnd(buf, p) : p;
  }
  throw new Error(`bad RESP at ${pos}: ${JSON.stringify(buf.toString('latin1', pos, pos + 40))}`);
}

class Client {
  static connect(port) {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      const t = setTimeout(() => (s.destroy(), reject(new Error('connect timeout'))), 3000);
      s.once('error', (e) => (clearTimeout(t), reject(e)));
      s.once('connect', () => (clearTimeout(t), resolve(new Client(s))));
    });
  }
  constructor(socket) {
    this.s = socket;
    this.buf = Buffer.alloc(0);
    this.replies = [];
    this.waiters = [];
    this.closed = false;
    socket.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (;;) {
        const end = replyEnd(this.buf, 0);
        if (end < 0) break;
        this.push({ text: this.buf.toString('utf8', 0, end) });
        this.buf = this.buf.subarray(end);
      }
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w({ text: '(connection closed)' });
    });
    socket.on('error', () => {});
  }
  push(r) {
    const w = this.waiters.shift();
    if (w) w(r);
    else this.replies.push(r);
  }
  read(timeoutMs = 3000) {
    if (this.replies.length) return Promise.resolve(this.replies.shift());
    if (this.closed) return Promise.resolve({ text: '(connection closed)' });
    return new Promise((resolve) => {
      const w = (r) => (clearTimeout(t), resolve(r));
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        resolve({ text: '(no reply)' });
      }, timeoutMs);
      this.waiters.push(w);
    });
  }
  send(args) {
    const parts = [`*${args.length}\r\n`];
    for (const a of args) parts.push(`$${Buffer.byteLength(String(a))}\r\n${a}\r\n`);
    this.s.write(parts.join(''));
  }
  async call(args, count = 1) {
    this.send(args);
    const out = [];
    for (let i = 0; i < count; i++) out.push(await this.read());
    return count === 1 ? out[0] : { text: out.map((r) => r.text).join('') };
  }
  async raw(bytes, count = 1) {
    this.s.write(bytes);
    const out = [];
    for (let i = 0; i < count; i++) out.push((await this.read()).text);
    return { text: out.join('') };
  }
  close() {
    this.s.destroy();
  }
}

// --- the command list ---------------------------------------------------------
// An entry is one command (array of args), or { steps: [...], note } run on
// one fresh connection, a step being args, { args, replies: n } or
// { raw: 'bytes', replies: n }. Every entry gets a fresh connection (after
// HELLO 3 for the RESP3 run), so client state never leaks between entries.
// Entries must be re-runnable: the RESP2 run comes first, then the RESP3 run.

// Arguments like '{master}' are replaced by that port at run time; the keys
// of replies.json keep the placeholders so that captures are comparable.
function commandList() {
  const M = '{master}';
  const X = '{spare}';
  const cfgParams = [
    'resolve-hostnames',
    'announce-hostnames',
    'announce-ip',
    'announce-port',
    'sentinel-user',
    'sentinel-pass',
    'deny-scripts-reconfig',
    'loglevel',
  ];
  return [
    // Basics
    ['PING'],
    ['PING', 'hello'],
    ['PING', 'a', 'b'],
    ['ping'],
    { steps: [{ raw: 'PING\r\n' }], note: 'inline' },
    { steps: [{ raw: 'sentinel myid\r\n' }], note: 'inline' },
    { steps: [{ raw: 'PING\r\nPING\r\n', replies: 2 }], note: 'pipelined inline' },
    ['ECHO', 'x'],
    ['FOO'],
    ['FOO', 'bar', 'baz'],
    ['GET', 'k'],
    ['SET', 'k', 'v'],
    ['CONFIG', 'GET', 'port'],
    ['SELECT', '0'],
    ['MULTI'],
    ['EXEC'],
    ['SLAVEOF', 'NO', 'ONE'],
    ['REPLICAOF', 'NO', 'ONE'],
    ['DEBUG', 'SLEEP', '0'],
    ['RESET'],
    ['WAIT', '0', '0'],
    ['FAILOVER'],
    // SENTINEL: reads
    ['SENTINEL'],
    ['SENTINEL', 'HELP'],
    ['SENTINEL', 'help', 'extra'],
    ['SENTINEL', 'NOSUCH'],
    ['SENTINEL', 'MASTERS'],
    ['SENTINEL', 'MASTERS', 'x'],
    ['SENTINEL', 'MASTER', 'mymaster'],
    ['sentinel', 'master', 'mymaster'],
    ['SENTINEL', 'MASTER', 'nosuch'],
    ['SENTINEL', 'MASTER'],
    ['SENTINEL', 'MASTER', 'a', 'b'],
    ['SENTINEL', 'REPLICAS', 'mymaster'],
    ['SENTINEL', 'SLAVES', 'mymaster'],
    ['SENTINEL', 'REPLICAS', 'nosuch'],
    ['SENTINEL', 'REPLICAS'],
    ['SENTINEL', 'REPLICAS', 'resetmaster'],
    ['SENTINEL', 'SENTINELS', 'mymaster'],
    ['SENTINEL', 'SENTINELS', 'setmaster'],
    ['SENTINEL', 'SENTINELS', 'nosuch'],
    ['SENTINEL', 'SENTINELS'],
    ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'],
    ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'nosuch'],
    ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME'],
    ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'a', 'b'],
    ['SENTINEL', 'MYID'],
    ['SENTINEL', 'MYID', 'x'],
    ['SENTINEL', 'CKQUORUM', 'mymaster'],
    ['SENTINEL', 'CKQUORUM', 'setmaster'],
    ['SENTINEL', 'CKQUORUM', 'nosuch'],
    ['SENTINEL', 'CKQUORUM'],
    ['SENTINEL', 'INFO-CACHE', 'mymaster'],
    ['SENTINEL', 'INFO-CACHE', 'nosuch'],
    ['SENTINEL', 'INFO-CACHE', 'mymaster', 'nosuch'],
    ['SENTINEL', 'INFO-CACHE'],
    ['SENTINEL', 'PENDING-SCRIPTS'],
    ['SENTINEL', 'PENDING-SCRIPTS', 'x'],
    ['SENTINEL', 'DEBUG'],
    ['SENTINEL', 'DEBUG', 'info-period', '10000'],
    ['SENTINEL', 'DEBUG', 'INFO-PERIOD', '10000', 'ping-period', '1000'],
    ['SENTINEL', 'DEBUG', 'info-period'],
    ['SENTINEL', 'DEBUG', 'info-period', 'abc'],
    ['SENTINEL', 'DEBUG', 'info-period', '0'],
    ['SENTINEL', 'DEBUG', 'info-period', '-5'],
    ['SENTINEL', 'DEBUG', 'nosuch', '1'],
    ['SENTINEL', 'SIMULATE-FAILURE', 'HELP'],
    ['SENTINEL', 'SIMULATE-FAILURE', 'nosuch'],
    { steps: [['SENTINEL', 'SIMULATE-FAILURE', 'crash-after-election'], ['INFO', 'sentinel'], ['SENTINEL', 'SIMULATE-FAILURE', 'crash-after-promotion', 'crash-after-election'], ['INFO', 'sentinel'], ['SENTINEL', 'SIMULATE-FAILURE'], ['INFO', 'sentinel']] },
    ['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '127.0.0.1', M, '0', '*'],
    ['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '127.0.0.1', '1', '0', '*'],
    ['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '127.0.0.1', 'abc', '0', '*'],
    ['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '127.0.0.1', M, 'abc', '*'],
    ['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '127.0.0.1', M, '0'],
    ['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', 'localhost', M, '0', '*'],
    // SENTINEL CONFIG
    ['SENTINEL', 'CONFIG'],
    ['SENTINEL', 'CONFIG', 'GET'],
    ['SENTINEL', 'CONFIG', 'GET', '*'],
    ['SENTINEL', 'CONFIG', 'GET', 'announce-*'],
    ['SENTINEL', 'CONFIG', 'GET', 'nosuch'],
    ['SENTINEL', 'CONFIG', 'GET', 'a', 'b'],
    ...cfgParams.map((name) => ['SENTINEL', 'CONFIG', 'GET', name]),
    ['SENTINEL', 'CONFIG', 'GET', 'RESOLVE-HOSTNAMES'],
    ['SENTINEL', 'CONFIG', 'SET'],
    ['SENTINEL', 'CONFIG', 'SET', 'loglevel'],
    ['SENTINEL', 'CONFIG', 'SET', 'nosuch', 'x'],
    ['SENTINEL', 'CONFIG', 'FOO', 'x'],
    ['SENTINEL', 'CONFIG', 'SET', 'resolve-hostnames', 'yes'],
    ['SENTINEL', 'CONFIG', 'SET', 'resolve-hostnames', 'no'],
    ['SENTINEL', 'CONFIG', 'SET', 'resolve-hostnames', 'maybe'],
    ['SENTINEL', 'CONFIG', 'SET', 'announce-hostnames', 'yes'],
    ['SENTINEL', 'CONFIG', 'SET', 'announce-hostnames', 'no'],
    ['SENTINEL', 'CONFIG', 'SET', 'announce-hostnames', '1'],
    ['SENTINEL', 'CONFIG', 'SET', 'announce-ip', '127.0.0.1'],
    ['SENTINEL', 'CONFIG', 'SET', 'announce-ip', ''],
    ['SENTINEL', 'CONFIG', 'SET', 'announce-port', '{sentinel}'],
    ['SENTINEL', 'CONFIG', 'SET', 'announce-port', '0'],
    ['SENTINEL', 'CONFIG', 'SET', 'announce-port', 'abc'],
    ['SENTINEL', 'CONFIG', 'SET', 'announce-port', '-1'],
    ['SENTINEL', 'CONFIG', 'SET', 'announce-port', '70000'],
    { steps: [['SENTINEL', 'CONFIG', 'SET', 'sentinel-user', 'alice'], ['SENTINEL', 'CONFIG', 'GET', 'sentinel-user'], ['SENTINEL', 'CONFIG', 'SET', 'sentinel-user', ''], ['SENTINEL', 'CONFIG', 'GET', 'sentinel-user']] },
    { steps: [['SENTINEL', 'CONFIG', 'SET', 'sentinel-pass', 'secret'], ['SENTINEL', 'CONFIG', 'GET', 'sentinel-pass'], ['SENTINEL', 'CONFIG', 'SET', 'sentinel-pass', ''], ['SENTINEL', 'CONFIG', 'GET', 'sentinel-pass']] },
    ['SENTINEL', 'CONFIG', 'SET', 'deny-scripts-reconfig', 'no'],
    ['SENTINEL', 'CONFIG', 'SET', 'deny-scripts-reconfig', 'yes'],
    ['SENTINEL', 'CONFIG', 'SET', 'loglevel', 'verbose'],
    ['SENTINEL', 'CONFIG', 'SET', 'loglevel', 'notice'],
    ['SENTINEL', 'CONFIG', 'SET', 'loglevel', 'loud'],
    ['SENTINEL', 'CONFIG', 'SET', 'loglevel', 'notice', 'resolve-hostnames', 'no'],
    ['SENTINEL', 'CONFIG', 'SET', 'loglevel', 'notice', 'resolve-hostnames'],
    ['SENTINEL', 'CONFIG', 'SET', 'loglevel', 'notice', 'loglevel', 'notice'],
    // SENTINEL SET (on setmaster)
    ['SENTINEL', 'SET'],
    ['SENTINEL', 'SET', 'setmaster'],
    ['SENTINEL', 'SET', 'nosuch', 'quorum', '2'],
    ['SENTINEL', 'SET', 'setmaster', 'quorum'],
    ['SENTINEL', 'SET', 'setmaster', 'quorum', '3'],
    ['SENTINEL', 'SET', 'setmaster', 'quorum', '0'],
    ['SENTINEL', 'SET', 'setmaster', 'quorum', '-1'],
    ['SENTINEL', 'SET', 'setmaster', 'quorum', 'abc'],
    ['SENTINEL', 'SET', 'setmaster', 'down-after-milliseconds', '4000'],
    ['SENTINEL', 'SET', 'setmaster', 'down-after-milliseconds', '0'],
    ['SENTINEL', 'SET', 'setmaster', 'down-after-milliseconds', 'abc'],
    ['SENTINEL', 'SET', 'setmaster', 'failover-timeout', '60000'],
    ['SENTINEL', 'SET', 'setmaster', 'failover-timeout', '0'],
    ['SENTINEL', 'SET', 'setmaster', 'failover-timeout', 'x'],
    ['SENTINEL', 'SET', 'setmaster', 'parallel-syncs', '2'],
    ['SENTINEL', 'SET', 'setmaster', 'parallel-syncs', '0'],
    ['SENTINEL', 'SET', 'setmaster', 'parallel-syncs', 'x'],
    ['SENTINEL', 'SET', 'setmaster', 'master-reboot-down-after-period', '0'],
    ['SENTINEL', 'SET', 'setmaster', 'master-reboot-down-after-period', '5000'],
    ['SENTINEL', 'SET', 'setmaster', 'master-reboot-down-after-period', '-1'],
    ['SENTINEL', 'SET', 'setmaster', 'auth-pass', 'pw'],
    ['SENTINEL', 'SET', 'setmaster', 'auth-pass', ''],
    ['SENTINEL', 'SET', 'setmaster', 'auth-user', 'bob'],
    ['SENTINEL', 'SET', 'setmaster', 'auth-user', ''],
    ['SENTINEL', 'SET', 'setmaster', 'notification-script', '/nonexistent.sh'],
    ['SENTINEL', 'SET', 'setmaster', 'notification-script', ''],
    ['SENTINEL', 'SET', 'setmaster', 'client-reconfig-script', '/nonexistent.sh'],
    ['SENTINEL', 'SET', 'setmaster', 'client-reconfig-script', ''],
    { steps: [['SENTINEL', 'CONFIG', 'SET', 'deny-scripts-reconfig', 'no'], ['SENTINEL', 'SET', 'setmaster', 'notification-script', '/nonexistent.sh'], ['SENTINEL', 'SET', 'setmaster', 'notification-script', '/bin/sh'], ['SENTINEL', 'SET', 'setmaster', 'notification-script', ''], ['SENTINEL', 'SET', 'setmaster', 'client-reconfig-script', '/etc/hostname'], ['SENTINEL', 'CONFIG', 'SET', 'deny-scripts-reconfig', 'yes']], note: 'scripts with deny-scripts-reconfig no' },
    // The peer runs with `sentinel deny-scripts-reconfig no` (it cannot be set at run time).
    { target: 'peer', steps: [['SENTINEL', 'SET', 'mymaster', 'notification-script', '/nonexistent.sh']] },
    { target: 'peer', steps: [['SENTINEL', 'SET', 'mymaster', 'notification-script', '{notExecutable}']] },
    { target: 'peer', steps: [['SENTINEL', 'SET', 'mymaster', 'notification-script', '{script}'], ['SENTINEL', 'MASTER', 'mymaster'], ['SENTINEL', 'SET', 'mymaster', 'notification-script', '']] },
    { target: 'peer', steps: [['SENTINEL', 'SET', 'mymaster', 'client-reconfig-script', '/nonexistent.sh']] },
    { target: 'peer', steps: [['SENTINEL', 'SET', 'mymaster', 'client-reconfig-script', '{script}'], ['SENTINEL', 'SET', 'mymaster', 'client-reconfig-script', '']] },
    { target: 'peer', steps: [['SENTINEL', 'SET', 'mymaster', 'client-reconfig-script', '{script}', 'notification-script', '{script}'], ['SENTINEL', 'MASTER', 'mymaster'], ['SENTINEL', 'SET', 'mymaster', 'client-reconfig-script', '', 'notification-script', '']] },
    { target: 'peer', steps: [['SENTINEL', 'CONFIG', 'GET', '*']] },
    ['SENTINEL', 'SET', 'setmaster', 'rename-command', 'CONFIG', 'XCONFIG'],
    ['SENTINEL', 'SET', 'setmaster', 'rename-command', 'CONFIG'],
    ['SENTINEL', 'SET', 'setmaster', 'rename-command', 'CONFIG', 'CONFIG'],
    ['SENTINEL', 'SET', 'setmaster', 'nosuchoption', '1'],
    ['SENTINEL', 'SET', 'setmaster', 'quorum', '2', 'parallel-syncs', '1'],
    ['SENTINEL', 'SET', 'setmaster', 'quorum', '2', 'parallel-syncs'],
    ['SENTINEL', 'SET', 'setmaster', 'quorum', '2', 'parallel-syncs', 'x'],
    ['SENTINEL', 'SET', 'setmaster', 'QUORUM', '2'],
    ['SENTINEL', 'SET', 'setmaster', 'down-after-milliseconds', '5000', 'failover-timeout', '180000'],
    ['SENTINEL', 'MASTER', 'setmaster'],
    // MONITOR / REMOVE
    ['SENTINEL', 'MONITOR'],
    ['SENTINEL', 'MONITOR', 'newmaster', '127.0.0.1', X],
    ['SENTINEL', 'MONITOR', 'mymaster', '127.0.0.1', X, '2'],
    ['SENTINEL', 'MONITOR', 'newmaster', '127.0.0.1', 'abc', '2'],
    ['SENTINEL', 'MONITOR', 'newmaster', '127.0.0.1', '0', '2'],
    ['SENTINEL', 'REMOVE', 'newmaster'],
    ['SENTINEL', 'MONITOR', 'newmaster', '127.0.0.1', '70000', '2'],
    ['SENTINEL', 'MONITOR', 'newmaster', '127.0.0.1', '-1', '2'],
    ['SENTINEL', 'MONITOR', 'newmaster', '127.0.0.1', X, '0'],
    ['SENTINEL', 'MONITOR', 'newmaster', '127.0.0.1', X, '-1'],
    ['SENTINEL', 'MONITOR', 'newmaster', '127.0.0.1', X, 'abc'],
    ['SENTINEL', 'MONITOR', 'newmaster', 'not-an-ip', X, '2'],
    ['SENTINEL', 'MONITOR', 'newmaster', 'no.such.host.invalid', X, '2'],
    ['SENTINEL', 'MONITOR', 'newmaster', '999.1.1.1', X, '2'],
    ['SENTINEL', 'MONITOR', 'newmaster', 'localhost', X, '2'],
    ['SENTINEL', 'MONITOR', 'bad name', '127.0.0.1', X, '2'],
    ['SENTINEL', 'REMOVE', 'bad name'],
    ['SENTINEL', 'MONITOR', 'newmaster', '127.0.0.1', X, '2'],
    ['SENTINEL', 'MONITOR', 'newmaster', '127.0.0.1', X, '2'],
    ['SENTINEL', 'MASTER', 'newmaster'],
    ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'newmaster'],
    ['SENTINEL', 'REMOVE', 'newmaster'],
    ['SENTINEL', 'REMOVE', 'newmaster'],
    ['SENTINEL', 'REMOVE'],
    ['SENTINEL', 'REMOVE', 'a', 'b'],
    // RESET / FLUSHCONFIG / FAILOVER
    ['SENTINEL', 'RESET', 'resetmaster'],
    ['SENTINEL', 'RESET', 'nomatch*'],
    ['SENTINEL', 'RESET'],
    ['SENTINEL', 'FLUSHCONFIG'],
    ['SENTINEL', 'FLUSHCONFIG', 'x'],
    ['SENTINEL', 'FAILOVER', 'nosuch'],
    ['SENTINEL', 'FAILOVER', 'resetmaster'],
    ['SENTINEL', 'FAILOVER'],
    // Votes (change the current epoch; the RESP3 run sees the RESP2 run's vote)
    ['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '127.0.0.1', M, '1', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'],
    ['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '127.0.0.1', M, '1', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'],
    ['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '127.0.0.1', M, '0', 'cccccccccccccccccccccccccccccccccccccccc'],
    // INFO
    ['INFO'],
    ['INFO', 'default'],
    ['INFO', 'all'],
    ['INFO', 'everything'],
    ['INFO', 'server'],
    ['INFO', 'clients'],
    ['INFO', 'stats'],
    ['INFO', 'cpu'],
    ['INFO', 'sentinel'],
    ['INFO', 'SENTINEL'],
    ['INFO', 'memory'],
    ['INFO', 'replication'],
    ['INFO', 'keyspace'],
    ['INFO', 'persistence'],
    ['INFO', 'errorstats'],
    ['INFO', 'commandstats'],
    ['INFO', 'latencystats'],
    ['INFO', 'modules'],
    ['INFO', 'cluster'],
    ['INFO', 'nosuch'],
    ['INFO', 'server', 'sentinel'],
    // ROLE
    ['ROLE'],
    ['ROLE', 'x'],
    // CLIENT
    ['CLIENT'],
    ['CLIENT', 'HELP'],
    ['CLIENT', 'NOSUCH'],
    ['CLIENT', 'ID'],
    ['CLIENT', 'INFO'],
    ['CLIENT', 'LIST'],
    ['CLIENT', 'LIST', 'TYPE', 'normal'],
    ['CLIENT', 'LIST', 'TYPE', 'pubsub'],
    ['CLIENT', 'LIST', 'TYPE', 'nosuch'],
    ['CLIENT', 'LIST', 'ID', '999999'],
    ['CLIENT', 'GETNAME'],
    { steps: [['CLIENT', 'SETNAME', 'tester'], ['CLIENT', 'GETNAME'], ['CLIENT', 'INFO']] },
    ['CLIENT', 'SETNAME', 'bad name'],
    ['CLIENT', 'SETNAME'],
    ['CLIENT', 'KILL', '127.0.0.1:1'],
    ['CLIENT', 'KILL', 'ID', '999999'],
    ['CLIENT', 'KILL', 'TYPE', 'nosuch'],
    ['CLIENT', 'KILL', 'ADDR', '127.0.0.1:1'],
    ['CLIENT', 'UNBLOCK', '999999'],
    ['CLIENT', 'GETREDIR'],
    ['CLIENT', 'TRACKINGINFO'],
    ['CLIENT', 'NO-EVICT', 'on'],
    ['CLIENT', 'REPLY', 'ON'],
    ['CLIENT', 'UNPAUSE'],
    ['CLIENT', 'CACHING', 'yes'],
    { steps: [['CLIENT', 'KILL', 'SKIPME', 'no', 'ID', '__SELF__']], note: '__SELF__ = CLIENT ID of this connection' },
    // COMMAND
    ['COMMAND', 'COUNT'],
    ['COMMAND', 'HELP'],
    ['COMMAND', 'INFO', 'ping'],
    ['COMMAND', 'INFO', 'sentinel'],
    ['COMMAND', 'INFO', 'get'],
    ['COMMAND', 'INFO'],
    ['COMMAND', 'DOCS', 'ping'],
    ['COMMAND', 'DOCS', 'sentinel'],
    ['COMMAND', 'LIST'],
    ['COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'admin'],
    ['COMMAND', 'GETKEYS', 'publish', 'a', 'b'],
    ['COMMAND', 'NOSUCH'],
    ['COMMAND'],
    // HELLO / AUTH / ACL
    ['HELLO'],
    ['HELLO', '2'],
    ['HELLO', '3'],
    ['HELLO', '4'],
    ['HELLO', 'abc'],
    ['HELLO', '3', 'SETNAME', 'hi'],
    ['HELLO', '2', 'AUTH', 'default', 'wrong'],
    ['HELLO', '2', 'AUTH', 'default'],
    ['HELLO', '2', 'NOSUCH'],
    ['AUTH'],
    ['AUTH', 'pw'],
    ['AUTH', 'default', 'pw'],
    ['AUTH', 'a', 'b', 'c'],
    ['ACL', 'WHOAMI'],
    ['ACL', 'USERS'],
    ['ACL', 'LIST'],
    ['ACL', 'CAT'],
    ['ACL', 'GETUSER', 'default'],
    ['ACL', 'LOG'],
    ['ACL', 'HELP'],
    ['ACL', 'DRYRUN', 'default', 'ping'],
    ['ACL', 'SAVE'],
    // Pub/sub
    ['PUBLISH', 'foo', 'bar'],
    ['PUBLISH', '__sentinel__:hello', 'not,a,hello'],
    ['PUBLISH', 'foo'],
    ['SUBSCRIBE'],
    ['UNSUBSCRIBE'],
    ['PUNSUBSCRIBE'],
    { steps: [{ args: ['SUBSCRIBE', 'a', 'b'], replies: 2 }, ['PING'], ['PING', 'x'], ['SENTINEL', 'MYID'], ['INFO'], { args: ['UNSUBSCRIBE'], replies: 2 }, ['PING']] },
    { steps: [['PSUBSCRIBE', '*'], ['PUNSUBSCRIBE', '*'], ['PUNSUBSCRIBE', 'x']] },
    { steps: [['SUBSCRIBE', 'a'], ['SUBSCRIBE', 'a'], ['UNSUBSCRIBE', 'b'], ['PSUBSCRIBE', 'a*'], ['CLIENT', 'INFO']] },
    ['SSUBSCRIBE', 'a'],
    ['PUBSUB', 'CHANNELS'],
    // Misc
    ['QUIT'],
    ['SHUTDOWN', 'nosuchflag'],
    { steps: [{ raw: '*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$1\r\na\r\n', replies: 2 }], note: 'pipelined multibulk' },
    { steps: [{ raw: '*x\r\n' }], note: 'protocol error' },
  ];
}

// --- running -----------------------------------------------------------------

function keyOf(entry) {
  if (Array.isArray(entry)) return entry.map((a) => (a === '' ? '""' : /\s/.test(a) ? JSON.stringify(a) : a)).join(' ');
  const steps = entry.steps
    .map((s) => (Array.isArray(s) ? keyOf(s) : s.args ? keyOf(s.args) : `raw ${JSON.stringify(s.raw)}`))
    .join(' ; ');
  return entry.target ? `[${entry.target}] ${steps}` : steps;
}

let substitutions = {};
function substitute(args) {
  return args.map((a) => a.replace(/\{(\w+)\}/g, (m, name) => (name in substitutions ? String(substitutions[name]) : m)));
}

async function runEntry(port, proto, entry) {
  const c = await Client.connect(port);
  try {
    if (proto === 3) await c.call(['HELLO', '3']);
    const steps = Array.isArray(entry) ? [entry] : entry.steps;
    const out = [];
    for (const step of steps) {
      if (Array.isArray(step) && step.includes('__SELF__')) {
        const idText = (await c.call(['CLIENT', 'ID'])).text;
        const id = idText.slice(1).trim();
        out.push((await c.call(step.map((a) => (a === '__SELF__' ? id : a)))).text);
      } else if (Array.isArray(step)) {
        out.push((await c.call(substitute(step))).text);
      } else if (step.args) {
        out.push((await c.call(substitute(step.args), step.replies ?? 1)).text);
      } else {
        out.push((await c.raw(step.raw, step.replies ?? 1)).text);
      }
    }
    return Array.isArray(entry) ? out[0] : out;
  } finally {
    c.close();
  }
}

async function sentinelMaster(port, name) {
  const c = await Client.connect(port);
  try {
    return (await c.call(['SENTINEL', 'MASTER', name])).text;
  } finally {
    c.close();
  }
}

function fieldOf(raw, name) {
  const lines = raw.split('\r\n');
  const i = lines.indexOf(name);
  return i >= 0 ? lines[i + 2] : undefined;
}

async function waitUntil(what, fn, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Field names of a RESP2 flat-array reply: the even bulk strings. */
function fieldNames(raw) {
  const lines = raw.split('\r\n');
  const values = [];
  for (let i = 1; i < lines.length; i++) if (!lines[i].startsWith('$') && lines[i - 1].startsWith('$')) values.push(lines[i]);
  return values.filter((_, i) => i % 2 === 0);
}

/**
 * Kills a master whose only Sentinel is the queried one (quorum 1), and
 * records every distinct field list of SENTINEL MASTER / REPLICAS seen while
 * it goes s_down, o_down and fails over to its replica, plus all events.
 */
async function captureFailover(sentinelPort, dead) {
  const events = await Client.connect(sentinelPort);
  await events.call(['PSUBSCRIBE', '*']);
  const shapes = {};
  const record = (kind, raw) => {
    const key = `${kind}: ${fieldNames(raw).join(' ')}`;
    if (!shapes[key]) shapes[key] = raw;
  };
  const poll = await Client.connect(sentinelPort);
  const poll3 = await Client.connect(sentinelPort);
  await poll3.call(['HELLO', '3']);
  record('MASTER', (await poll.call(['SENTINEL', 'MASTER', 'deadmaster'])).text);
  dead.kill();
  const resp3 = {};
  const deadline = Date.now() + 25_000;
  let switched = false;
  while (Date.now() < deadline && !switched) {
    const m = (await poll.call(['SENTINEL', 'MASTER', 'deadmaster'])).text;
    record('MASTER', m);
    record('REPLICAS', (await poll.call(['SENTINEL', 'REPLICAS', 'deadmaster'])).text);
    const flags = fieldOf(m, 'flags') ?? '';
    if (!resp3[flags]) {
      resp3[flags] = (await poll3.call(['SENTINEL', 'MASTER', 'deadmaster'])).text;
      resp3[`INFO sentinel (${flags})`] = (await poll3.call(['INFO', 'sentinel'])).text;
      resp3[`IS-MASTER-DOWN-BY-ADDR (${flags})`] = (
        await poll3.call(['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '127.0.0.1', String(dead.port), '0', '*'])
      ).text;
      if (flags.includes('failover_in_progress')) {
        resp3[`FAILOVER deadmaster (${flags})`] = (await poll3.call(['SENTINEL', 'FAILOVER', 'deadmaster'])).text;
      }
    }
    switched = fieldOf(m, 'port') !== String(dead.port);
    await sleep(10);
  }
  // Let the new master settle and the old one appear as a down replica.
  await sleep(2_000);
  record('MASTER', (await poll.call(['SENTINEL', 'MASTER', 'deadmaster'])).text);
  record('REPLICAS', (await poll.call(['SENTINEL', 'REPLICAS', 'deadmaster'])).text);
  const eventTexts = [];
  for (;;) {
    const r = await events.read(200);
    if (r.text === '(no reply)' || r.text === '(connection closed)') break;
    eventTexts.push(r.text);
  }
  events.close();
  poll.close();
  poll3.close();
  return { switched, shapes, resp3ByFlags: resp3, events: eventTexts };
}

async function main() {
  const master = await startRedis('master');
  const replica1 = await startRedis('replica1', master.port);
  const replica2 = await startRedis('replica2', master.port);
  const setmaster = await startRedis('setmaster');
  const resetmaster = await startRedis('resetmaster');
  const spare = await startRedis('spare');
  const deadmaster = await startRedis('deadmaster');
  const deadreplica = await startRedis('deadreplica', deadmaster.port);

  const common = (name, port, quorum) => [
    `sentinel monitor ${name} 127.0.0.1 ${port} ${quorum}`,
    `sentinel down-after-milliseconds ${name} 5000`,
  ];
  const peer = await startSentinel('peer', [...common('mymaster', master.port, 2), 'sentinel deny-scripts-reconfig no']);
  const sentinel = await startSentinel('sentinel', [
    ...common('mymaster', master.port, 2),
    ...common('setmaster', setmaster.port, 2),
    ...common('resetmaster', resetmaster.port, 1),
    `sentinel monitor deadmaster 127.0.0.1 ${deadmaster.port} 1`,
    'sentinel down-after-milliseconds deadmaster 1000',
    'sentinel failover-timeout deadmaster 10000',
  ]);

  await waitUntil('num-slaves 2 and num-other-sentinels 1 for mymaster', async () => {
    const m = await sentinelMaster(sentinel.port, 'mymaster');
    return fieldOf(m, 'num-slaves') === '2' && fieldOf(m, 'num-other-sentinels') === '1';
  });
  await waitUntil('num-slaves 1 for deadmaster', async () => {
    const m = await sentinelMaster(sentinel.port, 'deadmaster');
    return fieldOf(m, 'num-slaves') === '1';
  });

  const ports = {
    sentinel: sentinel.port,
    peer: peer.port,
    master: master.port,
    replica1: replica1.port,
    replica2: replica2.port,
    setmaster: setmaster.port,
    resetmaster: resetmaster.port,
    spare: spare.port,
    deadmaster: deadmaster.port,
    deadreplica: deadreplica.port,
  };
  // The failover first: SIMULATE-FAILURE flags set by the list below stay set
  // (they would crash the sentinel at the next election).
  const failover = await captureFailover(sentinel.port, deadmaster);
  const script = path.join(tmpRoot, 'notify.sh');
  fs.writeFileSync(script, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const notExecutable = path.join(tmpRoot, 'not-executable.sh');
  fs.writeFileSync(notExecutable, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
  substitutions = { ...ports, script, notExecutable };
  const list = commandList();
  const replies = {};
  for (const proto of [2, 3]) {
    const seen = new Map();
    for (const entry of list) {
      const base = keyOf(entry);
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      const key = n === 1 ? base : `${base} #${n}`;
      const target = entry.target === 'peer' ? peer.port : sentinel.port;
      const raw = await runEntry(target, proto, entry);
      replies[key] ??= {};
      replies[key][`resp${proto}`] = raw;
      if (entry.note) replies[key].note = entry.note;
    }
  }
  const version = (await runEntry(sentinel.port, 2, ['INFO', 'server'])).match(/redis_version:(\S+)/)?.[1];
  const conf = fs.readFileSync(sentinel.conf, 'utf8');

  const out = {
    about:
      'Raw replies of the real redis-sentinel, captured by scripts/capture-oracle.mjs. ' +
      'Each command ran on a fresh connection (after HELLO 3 for resp3), RESP2 run first, then RESP3. ' +
      'Ports are listed in meta.ports. See NOTES.md.',
    meta: { redis_version: version, captured_at: new Date().toISOString(), ports },
    replies,
    failover,
    sentinel_conf_after_run: conf,
  };
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, `${JSON.stringify(out, null, 1)}\n`);
  console.log(`capture-oracle: ${Object.keys(replies).length} commands, failover switched=${failover.switched} -> ${OUT}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
