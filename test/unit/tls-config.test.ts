/**
 * tls-* directives to Node TLS options, and start-up validation with
 * redis-sentinel 7.0.15's messages (each one checked against the binary).
 * The TLS listener of the RESP server is exercised in-process at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { constants as cryptoConstants } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StartupError, startSentinel } from '../../src/app.js';
import { parseConfig } from '../../src/config/index.js';
import { registerBuiltins } from '../../src/server/builtins.js';
import { opensslReason } from '../../src/server/tlsListener.js';
import { RespServer } from '../../src/server/server.js';
import {
  buildTlsSetup,
  helloPort,
  nodeCiphers,
  parseTlsProtocols,
  reportedPort,
  TlsConfigError,
  tlsRequired,
  type TlsSetup,
} from '../../src/tls.js';
import { makeTestCerts, type TestCerts } from '../support/certs.js';
import { tlsCall } from '../support/tlsClient.js';

let certs: TestCerts;
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tss-tls-unit-'));
  certs = makeTestCerts(dir);
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Parses config lines as sentinel.conf would hold them. */
function cfgOf(...lines: string[]) {
  return parseConfig(`${lines.join('\n')}\n`);
}

function base(): string[] {
  return [`tls-cert-file ${certs.serverCert}`, `tls-key-file ${certs.serverKey}`, `tls-ca-cert-file ${certs.caCert}`];
}

function setup(...lines: string[]): TlsSetup {
  const s = buildTlsSetup(cfgOf('port 0', 'tls-port 26380', ...lines));
  if (s === undefined) throw new Error('expected a TLS setup');
  return s;
}

/** The reason Redis would log (first line of the error). */
function reason(...lines: string[]): string {
  try {
    buildTlsSetup(cfgOf(...lines));
  } catch (err) {
    if (err instanceof TlsConfigError) return err.reason;
    throw err;
  }
  return 'no error';
}

describe('tls-protocols', () => {
  it('defaults to TLSv1.2 and TLSv1.3', () => {
    expect(parseTlsProtocols(undefined)).toEqual({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
    expect(parseTlsProtocols('')).toEqual({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
  });

  it('maps words case-insensitively to a version range', () => {
    expect(parseTlsProtocols('TLSv1.2')).toEqual({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    expect(parseTlsProtocols('tlsv1.3')).toEqual({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
    expect(parseTlsProtocols('TLSv1.3 TLSv1.1 tlsv1.2')).toEqual({ minVersion: 'TLSv1.1', maxVersion: 'TLSv1.3' });
  });

  it('keeps the contiguous range from the lowest version when there is a hole (as OpenSSL)', () => {
    expect(parseTlsProtocols('TLSv1 TLSv1.3')).toEqual({ minVersion: 'TLSv1', maxVersion: 'TLSv1' });
    expect(parseTlsProtocols('TLSv1.1 TLSv1.2 TLSv1.3')).toEqual({ minVersion: 'TLSv1.1', maxVersion: 'TLSv1.3' });
  });

  it.each(['TLSv1.2 foo', 'tlsv1.2  tlsv1.3', 'SSLv3'])('rejects %j with Redis\'s message', (value) => {
    expect(() => parseTlsProtocols(value)).toThrow(
      "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.");
  });
});

describe('ciphers', () => {
  it('puts TLSv1.3 suites and the TLSv1.2 list in Node\'s one string, defaults for the other part', () => {
    expect(nodeCiphers(undefined, undefined)).toBeUndefined();
    const both = nodeCiphers('ECDHE-RSA-AES128-GCM-SHA256', 'TLS_AES_128_GCM_SHA256');
    expect(both).toBe('TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256');
    const listOnly = nodeCiphers('HIGH', undefined) ?? '';
    expect(listOnly.startsWith('TLS_')).toBe(true);
    expect(listOnly.endsWith(':HIGH')).toBe(true);
    const suitesOnly = nodeCiphers(undefined, 'TLS_AES_256_GCM_SHA384') ?? '';
    expect(suitesOnly.startsWith('TLS_AES_256_GCM_SHA384:')).toBe(true);
    expect(suitesOnly.split(':').filter((c) => c.startsWith('TLS_'))).toEqual(['TLS_AES_256_GCM_SHA384']);
  });
});

describe('ports', () => {
  it('hellos carry the TLS port when tls-replication is on, else port (even 0, as redis-sentinel)', () => {
    expect(helloPort(cfgOf('port 26379', 'tls-port 26380', 'tls-replication yes'))).toBe(26380);
    expect(helloPort(cfgOf('port 0', 'tls-port 26380', 'tls-replication yes'))).toBe(26380);
    expect(helloPort(cfgOf('port 26379', 'tls-port 26380'))).toBe(26379);
    expect(helloPort(cfgOf('port 0', 'tls-port 26380'))).toBe(0);
    expect(helloPort(cfgOf('port 26379', 'tls-replication yes'))).toBe(26379);
  });

  it('INFO tcp_port is port, or the TLS port when port is 0', () => {
    expect(reportedPort(cfgOf('port 26379', 'tls-port 26380'))).toBe(26379);
    expect(reportedPort(cfgOf('port 0', 'tls-port 26380'))).toBe(26380);
  });

  it('TLS is configured when tls-port, tls-replication or tls-cluster is on', () => {
    expect(tlsRequired(cfgOf())).toBe(false);
    expect(tlsRequired(cfgOf('tls-cert-file x', 'tls-auth-clients optional'))).toBe(false);
    expect(tlsRequired(cfgOf('tls-port 1'))).toBe(true);
    expect(tlsRequired(cfgOf('tls-replication yes'))).toBe(true);
    expect(tlsRequired(cfgOf('tls-cluster yes'))).toBe(true);
    expect(buildTlsSetup(cfgOf('tls-cert-file nosuch', 'tls-replication no'))).toBeUndefined();
  });
});

describe('start-up validation (tlsConfigure order and wording)', () => {
  it('needs a certificate, then a key, then a CA unless no client auth and no TLS links', () => {
    expect(reason('tls-port 26380')).toBe('No tls-cert-file configured!');
    expect(reason('tls-replication yes')).toBe('No tls-cert-file configured!');
    expect(reason('tls-port 26380', 'tls-cert-file a.crt')).toBe('No tls-key-file configured!');
    expect(reason('tls-port 26380', 'tls-cert-file ""', 'tls-key-file b')).toBe('No tls-cert-file configured!');
    const caNeeded = 'Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!';
    const files = [`tls-cert-file ${certs.serverCert}`, `tls-key-file ${certs.serverKey}`];
    expect(reason('tls-port 26380', ...files)).toBe(caNeeded);
    expect(reason('tls-port 26380', ...files, 'tls-auth-clients optional')).toBe(caNeeded);
    expect(reason('tls-port 26380', ...files, 'tls-auth-clients no', 'tls-replication yes')).toBe(caNeeded);
    expect(reason('tls-port 26380', ...files, 'tls-auth-clients no')).toBe('no error');
  });

  it('the error carries Redis\'s second line', () => {
    expect(() => buildTlsSetup(cfgOf('tls-port 1'))).toThrow(
      'No tls-cert-file configured!\nFailed to configure TLS. Check logs for more info.');
  });

  it('reports unreadable and broken files like OpenSSL', () => {
    const noAuth = ['tls-port 26380', 'tls-auth-clients no'];
    expect(reason(...noAuth, 'tls-cert-file nosuch.crt', `tls-key-file ${certs.serverKey}`))
      .toBe('Failed to load certificate: nosuch.crt: error:80000002:system library::No such file or directory');
    expect(reason(...noAuth, `tls-cert-file ${certs.serverKey}`, `tls-key-file ${certs.serverKey}`))
      .toBe(`Failed to load certificate: ${certs.serverKey}: error:0480006C:PEM routines::no start line`);
    expect(reason(...noAuth, `tls-cert-file ${certs.serverCert}`, 'tls-key-file nosuch.key'))
      .toBe('Failed to load private key: nosuch.key: error:80000002:system library::No such file or directory');
    expect(reason(...noAuth, `tls-cert-file ${certs.serverCert}`, `tls-key-file ${certs.clientKey}`))
      .toBe(`Failed to load private key: ${certs.clientKey}: error:05800074:x509 certificate routines::key values mismatch`);
    // A wrong passphrase: OpenSSL reports "bad decrypt", unless the wrongly
    // decrypted bytes happen to end in valid padding (about 1 key in 256:
    // the key and its salt are made afresh each run), when decoding them
    // fails instead. Both are OpenSSL's own texts, as Redis would show them.
    expect(reason(...noAuth, `tls-cert-file ${certs.serverCert}`, `tls-key-file ${certs.serverKeyEncrypted}`, 'tls-key-file-pass wrong'))
      .toMatch(new RegExp(`^Failed to load private key: ${certs.serverKeyEncrypted.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ` +
        'error:(1C800064:Provider routines::bad decrypt|1E08010C:DECODER routines::unsupported)$'));
    expect(reason(...noAuth, `tls-cert-file ${certs.serverCert}`, `tls-key-file ${certs.serverKeyEncrypted}`, `tls-key-file-pass ${certs.passphrase}`))
      .toBe('no error');
  });

  it('checks the CA after the key pair, then ciphers, then ciphersuites', () => {
    const pair = ['tls-port 26380', `tls-cert-file ${certs.serverCert}`, `tls-key-file ${certs.serverKey}`];
    expect(reason(...pair, 'tls-ca-cert-file nosuch'))
      .toBe('Failed to configure CA certificate(s) file/directory: error:80000002:system library::No such file or directory');
    expect(reason(...pair, `tls-ca-cert-file ${certs.serverKey}`))
      .toBe('Failed to configure CA certificate(s) file/directory: error:05800088:x509 certificate routines::no certificate or crl found');
    expect(reason('tls-port 26380', 'tls-cert-file nosuch', `tls-key-file ${certs.serverKey}`, 'tls-ca-cert-file nosuch'))
      .toMatch(/^Failed to load certificate: nosuch:/);
    const ok = [...pair, `tls-ca-cert-file ${certs.caCert}`];
    expect(reason(...ok, 'tls-ciphers nosuchcipher', 'tls-ciphersuites nosuch')).toBe('Failed to configure ciphers: nosuchcipher');
    expect(reason(...ok, 'tls-ciphersuites nosuch')).toBe('Failed to configure ciphersuites: nosuch');
    expect(reason(...ok, 'tls-ciphersuites TLS_NOSUCH')).toBe('Failed to configure ciphersuites: TLS_NOSUCH');
    expect(reason(...ok, 'tls-ciphers TLS_AES_128_GCM_SHA256')).toBe('Failed to configure ciphers: TLS_AES_128_GCM_SHA256');
    expect(reason(...ok, 'tls-protocols "TLSv1.2 foo"', 'tls-cert-file nosuch'))
      .toBe("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.");
  });

  it('checks DH parameters and the client key pair last', () => {
    const ok = ['tls-port 26380', ...base()];
    expect(reason(...ok, 'tls-dh-params-file nosuch')).toBe('Failed to load nosuch: No such file or directory');
    expect(reason(...ok, `tls-dh-params-file ${certs.serverCert}`)).toBe(`${certs.serverCert}: failed to read DH params.`);
    expect(reason(...ok, `tls-client-cert-file ${certs.clientCert}`, 'tls-client-key-file nosuch'))
      .toBe('Failed to load private key: nosuch: error:80000002:system library::No such file or directory');
    expect(reason(...ok, 'tls-client-cert-file nosuch', `tls-client-key-file ${certs.clientKey}`))
      .toMatch(/^Failed to load certificate: nosuch: /);
    // One of the two alone is ignored: no separate client context.
    expect(reason(...ok, 'tls-client-cert-file nosuch')).toBe('no error');
  });

  it('startSentinel refuses with the message and a StartupError (exit 1 in the CLI)', async () => {
    const confPath = path.join(dir, 'startup.conf');
    fs.writeFileSync(confPath, 'port 0\ntls-port 26380\n');
    const loaded = { path: confPath, text: 'port 0\ntls-port 26380\n', config: cfgOf('port 0', 'tls-port 26380') };
    const silent = pino({ level: 'silent' });
    await expect(startSentinel(loaded, silent)).rejects.toThrow(StartupError);
    await expect(startSentinel(loaded, silent)).rejects.toThrow(/^No tls-cert-file configured!\nFailed to configure TLS/);
    const nowhere = { ...loaded, config: cfgOf('port 0') };
    await expect(startSentinel(nowhere, silent)).rejects.toThrow('Configured to not listen anywhere, exiting.');
  });
});

describe('option mapping', () => {
  it('tls-auth-clients yes / optional / no', () => {
    const yes = setup(...base());
    expect(yes.listener?.options).toMatchObject({ requestCert: true, rejectUnauthorized: true });
    expect(yes.listener?.optionalClientCert).toBe(false);
    const optional = setup(...base(), 'tls-auth-clients optional');
    expect(optional.listener?.options).toMatchObject({ requestCert: true, rejectUnauthorized: false });
    expect(optional.listener?.optionalClientCert).toBe(true);
    const no = setup(...base(), 'tls-auth-clients no');
    expect(no.listener?.options).toMatchObject({ requestCert: false });
  });

  it('listener: certificate, key, CA, protocols, ciphers, cipher order, sessions', () => {
    const s = setup(...base(), 'tls-protocols "TLSv1.3"', 'tls-prefer-server-ciphers yes',
      'tls-ciphersuites TLS_AES_256_GCM_SHA384', 'tls-session-caching no', 'tls-session-cache-timeout 60');
    const o = s.listener?.options ?? {};
    expect(s.listener?.port).toBe(26380);
    expect(String(o.cert)).toBe(fs.readFileSync(certs.serverCert, 'utf8'));
    expect(String(o.key)).toBe(fs.readFileSync(certs.serverKey, 'utf8'));
    expect((o.ca as Buffer[]).map(String)).toEqual([fs.readFileSync(certs.caCert, 'utf8')]);
    expect(o).toMatchObject({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', honorCipherOrder: true, sessionTimeout: 60 });
    expect(String(o.ciphers).startsWith('TLS_AES_256_GCM_SHA384:')).toBe(true);
    expect((o.secureOptions ?? 0) & cryptoConstants.SSL_OP_NO_TICKET).toBe(cryptoConstants.SSL_OP_NO_TICKET);
    const defaults = setup(...base()).listener?.options ?? {};
    expect(defaults).toMatchObject({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', honorCipherOrder: false, sessionTimeout: 300 });
    expect(defaults.ciphers).toBeUndefined();
    expect(defaults.secureOptions).toBeUndefined();
  });

  it('the key passphrase is passed on', () => {
    const s = setup(`tls-cert-file ${certs.serverCert}`, `tls-key-file ${certs.serverKeyEncrypted}`,
      `tls-key-file-pass ${certs.passphrase}`, `tls-ca-cert-file ${certs.caCert}`);
    expect(s.listener?.options.passphrase).toBe(certs.passphrase);
  });

  it('links: TLS only with tls-replication, client pair if both files are set, else the server pair', () => {
    expect(setup(...base()).links).toBeUndefined();
    const server = setup(...base(), 'tls-replication yes');
    expect(server.links?.secureContext).toBeDefined();
    expect(server.links?.rejectUnauthorized).toBe(true);
    // Redis verifies the chain, never the host name.
    expect(server.links?.checkServerIdentity?.('somewhere.else', {} as never)).toBeUndefined();
    expect(String(server.linkContext?.cert)).toBe(fs.readFileSync(certs.serverCert, 'utf8'));
    const client = setup(...base(), 'tls-replication yes', `tls-client-cert-file ${certs.clientCert}`, `tls-client-key-file ${certs.clientKey}`);
    expect(String(client.linkContext?.cert)).toBe(fs.readFileSync(certs.clientCert, 'utf8'));
    expect(String(client.linkContext?.key)).toBe(fs.readFileSync(certs.clientKey, 'utf8'));
    const onlyOne = setup(...base(), 'tls-replication yes', `tls-client-cert-file ${certs.clientCert}`);
    expect(String(onlyOne.linkContext?.cert)).toBe(fs.readFileSync(certs.serverCert, 'utf8'));
  });

  it('tls-replication without tls-port: links only, no listener', () => {
    const s = buildTlsSetup(cfgOf('port 26379', ...base(), 'tls-replication yes'));
    expect(s?.listener).toBeUndefined();
    expect(s?.links).toBeDefined();
  });

  it('relative paths are relative to the working directory (the CLI chdir()s to dir); tls-ca-cert-dir loads the certificates it holds', () => {
    const caDir = path.join(dir, 'cadir');
    fs.mkdirSync(caDir, { recursive: true });
    fs.copyFileSync(certs.caCert, path.join(caDir, 'a1b2c3d4.0'));
    fs.writeFileSync(path.join(caDir, 'README'), 'not a certificate');
    const rel = (f: string): string => path.relative(process.cwd(), path.join(dir, f));
    const s = buildTlsSetup(cfgOf('tls-port 1', `tls-cert-file ${rel('server.crt')}`, `tls-key-file ${rel('server.key')}`, `tls-ca-cert-dir ${rel('cadir')}`));
    expect((s?.listener?.options.ca as Buffer[]).map(String)).toEqual([fs.readFileSync(certs.caCert, 'utf8')]);
    // OpenSSL accepts a CA directory that does not exist (it is read lazily).
    expect(reason('tls-port 1', ...base().slice(0, 2), 'tls-ca-cert-dir /nonexistent-tss-dir')).toBe('no error');
  });

  it('formats Node\'s OpenSSL errors as Redis logs them', () => {
    const err = new Error('806C88A8827F0000:error:0A0000C7:SSL routines:tls_process_client_certificate:peer did not return a certificate:../deps/openssl/openssl/ssl/statem/statem_srvr.c:3517:\n');
    expect(opensslReason(err)).toBe('error:0A0000C7:SSL routines::peer did not return a certificate');
    expect(opensslReason(new Error('socket hang up'))).toBe('socket hang up');
  });
});

describe('RESP server TLS listener', () => {
  const servers: RespServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  async function start(...lines: string[]): Promise<RespServer> {
    const s = buildTlsSetup(cfgOf('tls-port 1', ...base(), ...lines));
    const listener = s?.listener;
    if (listener === undefined) throw new Error('no listener');
    const server = new RespServer({
      port: 0,
      plain: false,
      tls: { ...listener, port: 0 },
      bind: ['127.0.0.1'],
      maxClients: 100,
      logger: pino({ level: 'silent' }),
    });
    registerBuiltins(server);
    servers.push(server);
    await server.listen();
    return server;
  }

  it('serves RESP over TLS to clients with a certificate from the CA, and only TLS', async () => {
    const server = await start();
    expect(server.tlsPort).toBeGreaterThan(0);
    expect(server.port).toBe(0);
    const client = { ca: certs.caCert, cert: certs.clientCert, key: certs.clientKey };
    expect(await tlsCall(server.tlsPort, client, 'PING')).toEqual({ type: 'simple', value: 'PONG' });
    await expect(tlsCall(server.tlsPort, { ca: certs.caCert }, 'PING')).rejects.toThrow();
    await expect(tlsCall(server.tlsPort, { ca: certs.caCert, cert: certs.rogueCert, key: certs.rogueKey }, 'PING')).rejects.toThrow();
  });

  it('tls-auth-clients optional: no certificate is fine, an unknown one is refused', async () => {
    const server = await start('tls-auth-clients optional');
    expect(await tlsCall(server.tlsPort, { ca: certs.caCert }, 'PING')).toEqual({ type: 'simple', value: 'PONG' });
    const client = { ca: certs.caCert, cert: certs.clientCert, key: certs.clientKey };
    expect(await tlsCall(server.tlsPort, client, 'PING')).toEqual({ type: 'simple', value: 'PONG' });
    await expect(tlsCall(server.tlsPort, { ca: certs.caCert, cert: certs.rogueCert, key: certs.rogueKey }, 'PING')).rejects.toThrow();
  });

  it('tls-auth-clients no: any client', async () => {
    const server = await start('tls-auth-clients no');
    expect(await tlsCall(server.tlsPort, { ca: certs.caCert }, 'PING')).toEqual({ type: 'simple', value: 'PONG' });
  });
});
