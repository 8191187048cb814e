#!/usr/bin/env node
// Captures the command table of the real redis-sentinel (COMMAND, COMMAND DOCS,
// COMMAND LIST, ACL CAT) over RESP3 so the reply types (map, set, simple
// string) are kept, and writes src/server/commandTable.ts. Run it again when
// the reference Redis version changes:
//   node scripts/capture-command-table.mjs [/usr/bin/redis-sentinel]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';

const sentinelBin = process.argv[2] ?? '/usr/bin/redis-sentinel';
const outFile = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'server', 'commandTable.ts');

/** A port below the ephemeral range, test-bound before use (a port in the ephemeral range can be taken by an outgoing connection). */
async function freePort() {
  for (;;) {
    const port = 10000 + Math.floor(Math.random() * 22000);
    const ok = await new Promise((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (ok) return port;
  }
}

/** Minimal RESP3 reader producing the Reply shape of src/server/reply.ts. */
function parseReply(buf, pos) {
  const lineEnd = buf.indexOf('\r\n', pos);
  if (lineEnd < 0) return null;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString('utf8', pos + 1, lineEnd);
  let next = lineEnd + 2;
  const aggregate = (n, kind) => {
    const items = [];
    for (let i = 0; i < n; i++) {
      const r = parseReply(buf, next);
      if (!r) return null;
      items.push(r.value);
      next = r.next;
    }
    return { value: { kind, items }, next };
  };
  switch (type) {
    case '+': return { value: { kind: 'simple', value: line }, next };
    case '-': return { value: { kind: 'error', value: line }, next };
    case ':': return { value: { kind: 'int', value: Number(line) }, next };
    case '_': return { value: { kind: 'null' }, next };
    case '#': return { value: { kind: 'bool', value: line === 't' }, next };
    case ',': return { value: { kind: 'double', value: Number(line) }, next };
    case '$': case '=': {
      const len = Number(line);
      if (len < 0) return { value: { kind: 'null' }, next };
      if (buf.length < next + len + 2) return null;
      const text = buf.toString('utf8', next, next + len);
      const value = type === '$' ? { kind: 'bulk', value: text }
        : { kind: 'verbatim', format: text.slice(0, 3), value: text.slice(4) };
      return { value, next: next + len + 2 };
    }
    case '*': return aggregate(Number(line), 'array');
    case '~': return aggregate(Number(line), 'set');
    case '>': return aggregate(Number(line), 'push');
    case '%': {
      const r = aggregate(Number(line) * 2, 'array');
      if (!r) return null;
      const entries = [];
      for (let i = 0; i < r.value.items.length; i += 2) entries.push([r.value.items[i], r.value.items[i + 1]]);
      return { value: { kind: 'map', entries }, next: r.next };
    }
    default: throw new Error(`unexpected RESP type ${type}`);
  }
}

function query(port, commands) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const replies = [];
    sock.on('error', reject);
    sock.on('connect', () => sock.write(commands.map(encodeCommand).join('')));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const r = parseReply(buf, 0);
        if (!r) break;
        replies.push(r.value);
        buf = buf.subarray(r.next);
      }
      if (replies.length === commands.length) { sock.end(); resolve(replies); }
    });
  });
}

/** One element per line, so a re-capture gives a readable diff. */
function lines(items) {
  return `[\n${items.map((i) => `  ${JSON.stringify(i)},\n`).join('')}]`;
}

function encodeCommand(argv) {
  return `*${argv.length}\r\n` + argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
}

async function waitReady(port) {
  for (let i = 0; i < 100; i++) {
    try { await query(port, [['PING']]); return; } catch { await new Promise((r) => setTimeout(r, 50)); }
  }
  throw new Error('redis-sentinel did not start');
}

const dir = mkdtempSync(join(tmpdir(), 'capture-sentinel-'));
const port = await freePort();
const conf = join(dir, 'sentinel.conf');
// A monitored master is not needed to read the command table.
writeFileSync(conf, `port ${port}\nbind 127.0.0.1\ndir ${dir}\n`);
const child = spawn(sentinelBin, [conf], { stdio: 'ignore' });
try {
  await waitReady(port);
  const [, commands, docs, list, aclCategories, version] = await query(port, [
    ['HELLO', '3'], ['COMMAND'], ['COMMAND', 'DOCS'], ['COMMAND', 'LIST'], ['ACL', 'CAT'], ['INFO', 'server'],
  ]);
  const redisVersion = /redis_version:(\S+)/.exec(version.value)?.[1];
  const out = `// Generated by scripts/capture-command-table.mjs from redis-sentinel ${redisVersion}. Do not edit:
// run the script again instead. Replies are kept as RESP3 trees so the encoder can
// downgrade them to RESP2 exactly as redis-sentinel does.
import type { Reply } from './reply.js';

export const CAPTURED_REDIS_VERSION = ${JSON.stringify(redisVersion)};

/** \`COMMAND\` reply: one entry per top-level command, in redis-sentinel's order. */
export const COMMAND_INFO: readonly Reply[] = ${lines(commands.items)};

/** \`COMMAND DOCS\` reply: a map of command name to docs, in redis-sentinel's order. */
export const COMMAND_DOCS: ReadonlyArray<readonly [string, Reply]> = ${lines(docs.entries.map(([k, v]) => [k.value, v]))};

/** \`COMMAND LIST\` reply, in redis-sentinel's order (each command then its subcommands). */
export const COMMAND_LIST: readonly string[] = ${lines(list.items.map((i) => i.value))};

/** \`ACL CAT\` reply. */
export const ACL_CATEGORIES: readonly string[] = ${JSON.stringify(aclCategories.items.map((i) => i.value))};
`;
  writeFileSync(outFile, out);
  console.log(`wrote ${outFile}: ${commands.items.length} commands`);
} finally {
  child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
