#!/usr/bin/env node
/**
 * The Node I/O floor: a Node process that does only a Sentinel's network I/O
 * at N masters and nothing else (no hello parsing, no state, no failure
 * detection), to measure the lowest idle CPU and RSS any Sentinel written for
 * Node 20 can have with this design (one process, the same messages as Redis).
 *
 *   node bench/floor.mjs <sentinel.conf>
 *
 * Reads the `port` line and the `sentinel monitor <name> <ip> <port> <quorum>`
 * lines (as bench/scale.mjs writes them). Per master:
 *  - command connection: CLIENT SETNAME once; then a PING every second, a
 *    PUBLISH __floor__:hello <~95 bytes> every 2 s and an INFO every 10 s;
 *    what is due for one master in the same second goes out in ONE write of
 *    pre-encoded frames. Master i's slot is at i*1000/N ms in the second; one
 *    100 ms setInterval sends for the masters whose slot falls in that 100 ms.
 *    Replies are only counted in bytes.
 *  - pub/sub connection: CLIENT SETNAME + SUBSCRIBE __sentinel__:hello (the
 *    hellos of the other Sentinels of the run arrive here; counted in bytes).
 *    It publishes on __floor__:hello, so real Sentinels do not see it as a peer.
 * Reading: net.connect({ onread: { buffer, callback } }) with one shared
 * 64 KB Buffer for every socket (no Buffer allocated per read).
 * On the `port` of the config: every RESP request is answered `+PONG`, except
 * INFO (`INFO ...`), answered with a bulk string of N lines
 * `master<i>:name=m<i>,status=ok,address=<ip>:<port>,slaves=0,sentinels=<K>`
 * (K: env FLOOR_SENTINELS, default 1) and floor_* counters (bytes read,
 * connections up, reconnects).
 * A closed or failed link is reconnected after 1 s. Only node:net and node:fs.
 */
import fs from 'node:fs';
import net from 'node:net';

const confPath = process.argv[2];
if (!confPath) {
  console.error('usage: node bench/floor.mjs <sentinel.conf>');
  process.exit(2);
}
let listenPort = 26379;
const masters = [];
for (const line of fs.readFileSync(confPath, 'utf8').split('\n')) {
  const w = line.trim().split(/\s+/);
  if (w[0] === 'port') listenPort = Number(w[1]);
  else if (w[0] === 'sentinel' && w[1] === 'monitor') masters.push({ name: w[2], host: w[3], port: Number(w[4]) });
}
const N = masters.length;
const K = process.env.FLOOR_SENTINELS ?? '1';
const RUN_ID = Array.from({ length: 40 }, (_, i) => '0123456789abcdef'[(i * 7 + listenPort) % 16]).join('');

const enc = (...argv) => `*${argv.length}\r\n${argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
const PING = enc('PING');
const INFO = enc('INFO');
const SETNAME = Buffer.from(enc('CLIENT', 'SETNAME', `floor-${RUN_ID.slice(0, 8)}-cmd`));
const SUB = Buffer.from(enc('CLIENT', 'SETNAME', `floor-${RUN_ID.slice(0, 8)}-pubsub`) + enc('SUBSCRIBE', '__sentinel__:hello'));

const stats = { cmdBytes: 0, subBytes: 0, reconnects: 0, cmdUp: 0, subUp: 0, writes: 0 };

// One shared read buffer for every socket: the callbacks run one at a time and keep nothing.
const readBuf = Buffer.allocUnsafe(64 * 1024);
const onCmdRead = (n) => { stats.cmdBytes += n; };
const onSubRead = (n) => { stats.subBytes += n; };

for (const [i, m] of masters.entries()) {
  // Real hello: ip,port,runid,epoch,name,master-ip,master-port,master-epoch (~95 bytes).
  const hello = `127.0.0.1,${listenPort},${RUN_ID},0,${m.name},${m.host},${m.port},0`;
  const pub = enc('PUBLISH', '__floor__:hello', hello);
  // frames[b]: bit 0 = PUBLISH due, bit 1 = INFO due; the PING is always there.
  m.frames = [Buffer.from(PING), Buffer.from(PING + pub), Buffer.from(PING + INFO), Buffer.from(PING + pub + INFO)];
  m.cmd = undefined;
  m.sub = undefined;
  m.index = i;
  connect(m, 'cmd');
  connect(m, 'sub');
}

function connect(m, kind) {
  const sock = net.connect({
    host: m.host,
    port: m.port,
    onread: { buffer: readBuf, callback: kind === 'cmd' ? onCmdRead : onSubRead },
  });
  sock.setNoDelay(true);
  let up = false;
  sock.once('connect', () => {
    up = true;
    if (kind === 'cmd') { stats.cmdUp++; sock.write(SETNAME); m.cmd = sock; } else { stats.subUp++; sock.write(SUB); m.sub = sock; }
  });
  sock.on('error', () => {});
  sock.once('close', () => {
    if (up) { if (kind === 'cmd') stats.cmdUp--; else stats.subUp--; }
    if (m[kind] === sock) m[kind] = undefined;
    stats.reconnects++;
    setTimeout(() => connect(m, kind), 1000);
  });
}

// One 100 ms timer: tick k covers [k*100, k*100+100) ms; master i's slot is i*1000/N ms in the second.
let tick = 0;
setInterval(() => {
  const sub = tick % 10;
  const sec = (tick - sub) / 10;
  tick++;
  const from = Math.ceil((sub * N) / 10);
  const to = Math.ceil(((sub + 1) * N) / 10);
  for (let i = from; i < to; i++) {
    const m = masters[i];
    if (m.cmd === undefined) continue;
    const s = sec + i; // spread hellos and INFOs over the seconds too
    m.cmd.write(m.frames[(s % 2 === 0 ? 1 : 0) | (s % 10 === 0 ? 2 : 0)]);
    stats.writes++;
  }
}, 100);

// The Sentinel port: +PONG to every request, a bulk string to INFO.
function infoReply() {
  let s = `# Sentinel\r\nsentinel_masters:${N}\r\nfloor_cmd_up:${stats.cmdUp}\r\nfloor_sub_up:${stats.subUp}\r\n` +
    `floor_cmd_bytes:${stats.cmdBytes}\r\nfloor_sub_bytes:${stats.subBytes}\r\nfloor_writes:${stats.writes}\r\nfloor_reconnects:${stats.reconnects}\r\n`;
  for (const m of masters) s += `master${m.index}:name=${m.name},status=ok,address=${m.host}:${m.port},slaves=0,sentinels=${K}\r\n`;
  return `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
}
net.createServer((c) => {
  c.setNoDelay(true);
  let pending = '';
  c.on('error', () => {});
  c.on('data', (d) => {
    pending += d.toString('latin1');
    let out = '';
    // Requests: RESP multibulk (*n then n $len/arg pairs) or an inline line.
    for (;;) {
      if (pending.length === 0) break;
      let end;
      let first;
      if (pending[0] === '*') {
        let eol = pending.indexOf('\r\n');
        if (eol < 0) break;
        const n = Number(pending.slice(1, eol));
        let pos = eol + 2;
        let ok = true;
        for (let a = 0; a < n; a++) {
          eol = pending.indexOf('\r\n', pos);
          if (eol < 0) { ok = false; break; }
          const len = Number(pending.slice(pos + 1, eol));
          if (pending.length < eol + 2 + len + 2) { ok = false; break; }
          if (a === 0) first = pending.slice(eol + 2, eol + 2 + len);
          pos = eol + 2 + len + 2;
        }
        if (!ok) break;
        end = pos;
      } else {
        const eol = pending.indexOf('\n');
        if (eol < 0) break;
        first = pending.slice(0, eol).trim().split(/\s+/)[0];
        end = eol + 1;
      }
      pending = pending.slice(end);
      out += /^info$/i.test(first ?? '') ? infoReply() : '+PONG\r\n';
    }
    if (out) c.write(out);
  });
}).listen(listenPort, '127.0.0.1');
