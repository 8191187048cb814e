#!/usr/bin/env node
/**
 * A tiny fake Redis master on many loopback ports in one process (for
 * bench/permaster.mjs): PING, INFO (role:master, no replicas; INFO_PAD=n adds
 * n filler lines of ~80 bytes to reach a real INFO's size; REPLICAS=n lists n
 * replicas at 127.2.x.y port 9, where nothing listens, for bench/instances.mjs),
 * SUBSCRIBE and PUBLISH (delivered to that port's subscribers); anything else gets +OK.
 *   node bench/fakeredis.mjs <first-port> <count>
 */
import net from 'node:net';
const [base, count] = process.argv.slice(2).map(Number);
const subs = new Map();
const PAD = Array.from({ length: Number(process.env.INFO_PAD ?? 0) }, (_, i) => `# Pad\r\nx_field_${i}:${'v'.repeat(60)}\r\n`).join('');
// port -> Set<socket>
function parse(buf) { // returns [args[], consumed] or null
  if (buf[0] !== 42) { const i = buf.indexOf('\r\n'); if (i < 0) return null; return [buf.toString('latin1', 0, i).split(' '), i + 2]; }
  let p = buf.indexOf('\r\n'); if (p < 0) return null;
  const n = Number(buf.toString('latin1', 1, p)); p += 2; const out = [];
  for (let k = 0; k < n; k++) {
    const e = buf.indexOf('\r\n', p); if (e < 0) return null;
    const len = Number(buf.toString('latin1', p + 1, e)); const s = e + 2;
    if (buf.length < s + len + 2) return null;
    out.push(buf.toString('latin1', s, s + len)); p = s + len + 2;
  }
  return [out, p];
}
const bulk = (s) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
const REPLICAS = Number(process.env.REPLICAS ?? 0);
const SLAVES = Array.from({ length: REPLICAS }, (_, i) => `slave${i}:ip=127.2.${(i >> 8) & 255}.${i & 255},port=9,state=online,offset=0,lag=0\r\n`).join('');
function info(port) {
  return `# Server\r\nredis_version:7.0.15\r\nrun_id:${String(port).padStart(40, '0')}\r\ntcp_port:${port}\r\nuptime_in_seconds:100\r\n# Replication\r\nrole:master\r\nconnected_slaves:${REPLICAS}\r\n${SLAVES}master_failover_state:no-failover\r\nmaster_replid:${'a'.repeat(40)}\r\nmaster_repl_offset:0\r\n` + PAD;
}
for (let i = 0; i < count; i++) {
  const port = base + i; subs.set(port, new Set());
  net.createServer((s) => {
    let acc = Buffer.alloc(0);
    s.on('error', () => {}); s.on('close', () => subs.get(port).delete(s));
    s.on('data', (d) => {
      acc = acc.length ? Buffer.concat([acc, d]) : d;
      let r; let out = '';
      while (acc.length && (r = parse(acc))) {
        acc = acc.subarray(r[1]); const [cmd, ...a] = r[0]; const c = cmd.toLowerCase();
        if (c === 'ping') out += '+PONG\r\n';
        else if (c === 'info') out += bulk(info(port));
        else if (c === 'subscribe') { subs.get(port).add(s); out += `*3\r\n${bulk('subscribe')}${bulk(a[0])}:1\r\n`; }
        else if (c === 'publish') { const m = `*3\r\n${bulk('message')}${bulk(a[0])}${bulk(a[1])}`; let n = 0; for (const t of subs.get(port)) { t.write(m); n++; } out += `:${n}\r\n`; }
        else out += '+OK\r\n';
      }
      if (out) s.write(out);
    });
  }).on('error', () => {}).listen(port, '127.0.0.1');
}
console.log('ready');
