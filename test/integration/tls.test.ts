/**
 * TLS end to end with Debian's redis-server 7.0.15 (built with TLS): a
 * TLS-only master and replica (`port 0`, `tls-replication yes`), two
 * tssentinels and one real redis-sentinel listening on TLS ports only, all
 * links over TLS. Certificates are made with openssl at test time.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCerts, type TestCerts } from '../support/certs.js';
import { runTsSentinelToExit, stopAll, tempDir } from '../support/procs.js';
import { RawClient, toPlain, toRecord, type Plain } from '../support/resp.js';
import { tlsCall } from '../support/tlsClient.js';
import { clientTls, startTlsProc, stopTlsProcs, tlsConfLines, type TlsProc } from '../support/tlsProcs.js';
import { waitFor } from '../support/wait.js';

const DISCOVERY_TIMEOUT_MS = 20_000;

let certs: TestCerts;
let master: TlsProc;
let sentinels: TlsProc[];

function sentinelConf(masterPort: number): (tlsPort: number) => string[] {
  return (tlsPort) => [
    ...tlsConfLines(certs, tlsPort),
    `sentinel monitor mymaster 127.0.0.1 ${masterPort} 2`,
    'sentinel down-after-milliseconds mymaster 5000',
  ];
}

beforeAll(async () => {
  certs = makeTestCerts(tempDir('tls-certs'));
  master = await startTlsProc('redis', certs, (p) => [...tlsConfLines(certs, p), 'save ""', 'appendonly no']);
  await startTlsProc('redis', certs, (p) => [...tlsConfLines(certs, p), 'save ""', 'appendonly no', `replicaof 127.0.0.1 ${master.port}`]);
  sentinels = [
    await startTlsProc('ts-sentinel', certs, sentinelConf(master.port)),
    await startTlsProc('ts-sentinel', certs, sentinelConf(master.port)),
    await startTlsProc('real-sentinel', certs, sentinelConf(master.port)),
  ];
});

afterAll(async () => {
  await stopTlsProcs();
  await stopAll();
});

async function call(port: number, ...args: string[]): Promise<Plain> {
  return toPlain(await tlsCall(port, clientTls(certs), ...args));
}

async function record(port: number, ...args: string[]): Promise<Record<string, Plain>> {
  return toRecord(await tlsCall(port, clientTls(certs), ...args));
}

/** An array of field lists (SENTINEL REPLICAS, SENTINELS). */
async function records(port: number, ...args: string[]): Promise<Array<Record<string, Plain>>> {
  const v = await tlsCall(port, clientTls(certs), ...args);
  if (v.type !== 'array') throw new Error(`${args.join(' ')} replied ${JSON.stringify(toPlain(v))}`);
  return v.items.map(toRecord);
}

function redisCliTls(port: number, withCert: boolean, ...args: string[]): Promise<string> {
  const tlsArgs = ['--tls', '--cacert', certs.caCert, ...(withCert ? ['--cert', certs.clientCert, '--key', certs.clientKey] : [])];
  return new Promise((resolve) => {
    execFile('redis-cli', [...tlsArgs, '-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 5_000 },
      (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
  });
}

/** redis-cli prints a flat array one element a line. */
function cliRecord(out: string): Record<string, string> {
  const lines = out.trim().split('\n');
  const rec: Record<string, string> = {};
  for (let i = 0; i + 1 < lines.length; i += 2) rec[lines[i]!] = lines[i + 1]!;
  return rec;
}

describe('tssentinel over TLS', () => {
  it('monitors the TLS master and finds its TLS replica (redis-cli --tls)', async () => {
    const ts = sentinels[0]!;
    const m = await waitFor(async () => {
      const rec = cliRecord(await redisCliTls(ts.port, true, 'SENTINEL', 'MASTER', 'mymaster'));
      return rec['num-slaves'] === '1' && rec['role-reported'] === 'master' ? rec : undefined;
    }, { timeoutMs: DISCOVERY_TIMEOUT_MS, what: 'num-slaves 1 via redis-cli --tls' });
    expect(m['flags']).toBe('master');
    expect(m['port']).toBe(String(master.port));
    const [replica] = await waitFor(async () => {
      const v = await records(ts.port, 'SENTINEL', 'REPLICAS', 'mymaster');
      return v.length === 1 && v[0]?.['master-link-status'] === 'ok' ? v : undefined;
    }, { timeoutMs: DISCOVERY_TIMEOUT_MS, what: 'replica seen with master-link-status ok' });
    expect(replica?.['flags']).toBe('slave');
  });

  it('INFO server reports the TLS port as tcp_port when port is 0', async () => {
    const ts = sentinels[0]!;
    const info = await call(ts.port, 'INFO', 'server');
    expect(String(info)).toContain(`tcp_port:${ts.port}\r\n`);
  });

  it('refuses clients without a certificate, and plain text on the TLS port', async () => {
    const ts = sentinels[0]!;
    await expect(tlsCall(ts.port, { ca: certs.caCert }, 'PING')).rejects.toThrow();
    expect(await redisCliTls(ts.port, false, 'PING')).not.toContain('PONG');
    expect(await redisCliTls(ts.port, true, 'PING')).toContain('PONG');
    const plain = await RawClient.connect(ts.port, { timeoutMs: 2_000 });
    try {
      await expect(plain.call('PING')).rejects.toThrow();
    } finally {
      await plain.close().catch(() => undefined);
    }
  });

  it('tssentinels and redis-sentinel discover each other over TLS, announcing their TLS ports', async () => {
    const expected = sentinels.map((s) => s.port).sort();
    for (const s of sentinels) {
      const others = expected.filter((p) => p !== s.port).map(String);
      await waitFor(async () => {
        const recs = await records(s.port, 'SENTINEL', 'SENTINELS', 'mymaster');
        const ports = recs.map((p) => String(p['port'])).sort();
        // Links are up: a peer's flags carry "disconnected" until the TLS link is made.
        return JSON.stringify(ports) === JSON.stringify(others) && recs.every((p) => p['flags'] === 'sentinel'
          && Number(p['last-ok-ping-reply']) < 2_000);
      }, { timeoutMs: DISCOVERY_TIMEOUT_MS, what: `${s.kind} on ${s.port} to see ${others.join(',')} linked` });
    }
    const m = await record(sentinels[0]!.port, 'SENTINEL', 'MASTER', 'mymaster');
    expect(m['num-other-sentinels']).toBe('2');
    expect(await call(sentinels[0]!.port, 'SENTINEL', 'CKQUORUM', 'mymaster')).toMatch(/^OK 3 usable Sentinels/);
  });

  it('exits 1 with redis-sentinel\'s message when tls-port has no certificate', async () => {
    const dir = tempDir('tls-bad');
    const conf = path.join(dir, 'sentinel.conf');
    fs.writeFileSync(conf, 'bind 127.0.0.1\nport 0\ntls-port 26380\n');
    const r = await runTsSentinelToExit([conf]);
    expect(r.code).toBe(1);
    expect(r.output).toContain('No tls-cert-file configured!');
    expect(r.output).toContain('Failed to configure TLS. Check logs for more info.');
  });
});
