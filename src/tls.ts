/**
 * TLS from the `tls-*` directives, as redis-sentinel 7.0 uses them: a TLS
 * listener on `tls-port`, and TLS on every outbound link (masters, replicas
 * and peer Sentinels alike) when `tls-replication yes`.
 *
 * The checks run in the order of Redis's tlsConfigure() and fail with its
 * log lines (checked against redis-sentinel 7.0.15), so a config the real one
 * refuses is refused here with the same words. OpenSSL's own error strings
 * come through Node's OpenSSL, which prints them the same way.
 */
import { constants as cryptoConstants } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import type { SentinelConfig } from './config/model.js';
import { STRERROR, strerror, TlsConfigError, tlsPort, tlsRequired, yes } from './tlsSettings.js';

// Re-exported: tests and older callers take them from here.
export { helloPort, reportedPort, strerror, TlsConfigError, tlsPort, tlsRequired } from './tlsSettings.js';

export type TlsAuthClients = 'yes' | 'no' | 'optional';

/** What the RESP server needs for its TLS listener. */
export interface TlsListenerOptions {
  /** 0 = an ephemeral port (tests); Redis's `tls-port 0` means no listener and never gets here. */
  port: number;
  /** For tls.createServer. */
  options: tls.TlsOptions;
  /**
   * tls-auth-clients optional: a client may come without a certificate, but
   * one that shows a certificate the CA does not vouch for is refused (what
   * OpenSSL's SSL_VERIFY_PEER without FAIL_IF_NO_PEER_CERT does).
   */
  optionalClientCert: boolean;
}

export interface TlsSetup {
  /** Undefined when tls-port is 0. */
  listener?: TlsListenerOptions;
  /** For every outbound link when tls-replication is yes (tls.connect options); undefined otherwise. */
  links?: tls.ConnectionOptions;
  /** What `links` was made from (the secure context hides it), for tests and logs. */
  linkContext?: tls.SecureContextOptions;
}

/** Reads files for the setup; injectable so unit tests can count on exact errors. */
export interface TlsFiles {
  read(path: string): Buffer;
  /** Regular files of a directory (tls-ca-cert-dir), full paths. */
  list(dir: string): string[];
}

export const NODE_FILES: TlsFiles = {
  read: (path) => readFileSync(path),
  list: (dir) => readdirSync(dir).map((f) => join(dir, f)).filter((p) => statSync(p, { throwIfNoEntry: false })?.isFile() === true),
};

/** Redis's `tls-protocols` words; the default is "TLSv1.2 TLSv1.3". */
const PROTOCOLS: ReadonlyArray<readonly [string, tls.SecureVersion]> = [
  ['tlsv1', 'TLSv1'],
  ['tlsv1.1', 'TLSv1.1'],
  ['tlsv1.2', 'TLSv1.2'],
  ['tlsv1.3', 'TLSv1.3'],
];

const INVALID_PROTOCOLS =
  "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.";

/** Defaults of redis.conf (tls-session-cache-timeout). */
const DEFAULT_SESSION_TIMEOUT_S = 300;

/** Redis's string tls options treat "" as unset (EMPTY_STRING_IS_NULL). */
function opt(tlsCfg: Readonly<Record<string, string>>, name: string): string | undefined {
  const v = tlsCfg[name];
  return v === undefined || v === '' ? undefined : v;
}

/**
 * `tls-protocols` to Node's version range. OpenSSL cannot use a set with a
 * hole either: it keeps the contiguous range starting at the lowest version.
 */
export function parseTlsProtocols(value: string | undefined): { minVersion: tls.SecureVersion; maxVersion: tls.SecureVersion } {
  if (value === undefined || value === '') return { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' };
  const enabled = new Set<number>();
  // Split on single spaces like sdssplitlen(): a double space is an empty, invalid word.
  for (const word of value.split(' ')) {
    const i = PROTOCOLS.findIndex(([name]) => name === word.toLowerCase());
    if (i < 0) throw new TlsConfigError(INVALID_PROTOCOLS);
    enabled.add(i);
  }
  const low = Math.min(...enabled);
  let high = low;
  while (enabled.has(high + 1)) high++;
  return { minVersion: PROTOCOLS[low]![1], maxVersion: PROTOCOLS[high]![1] };
}

/**
 * Node takes TLSv1.3 suites (`TLS_*`) and the TLSv1.2 cipher list in one
 * string; Redis has one directive for each. The one not configured keeps
 * Node's default part.
 */
export function nodeCiphers(ciphers: string | undefined, suites: string | undefined): string | undefined {
  if (ciphers === undefined && suites === undefined) return undefined;
  const defaults = tls.DEFAULT_CIPHERS.split(':');
  const defaultSuites = defaults.filter((c) => c.startsWith('TLS_')).join(':');
  const defaultList = defaults.filter((c) => !c.startsWith('TLS_')).join(':');
  return [suites ?? defaultSuites, ciphers ?? defaultList].filter((s) => s !== '').join(':');
}

/** Reads, checks and maps the tls-* directives; undefined when TLS is off. Throws TlsConfigError. */
export function buildTlsSetup(cfg: Pick<SentinelConfig, 'tls'>, files: TlsFiles = NODE_FILES): TlsSetup | undefined {
  if (!tlsRequired(cfg)) return undefined;
  const t = cfg.tls;
  const certFile = opt(t, 'tls-cert-file');
  const keyFile = opt(t, 'tls-key-file');
  if (certFile === undefined) throw new TlsConfigError('No tls-cert-file configured!');
  if (keyFile === undefined) throw new TlsConfigError('No tls-key-file configured!');
  const authClients = (t['tls-auth-clients'] ?? 'yes') as TlsAuthClients;
  const caFile = opt(t, 'tls-ca-cert-file');
  const caDir = opt(t, 'tls-ca-cert-dir');
  if ((authClients !== 'no' || yes(t, 'tls-cluster') || yes(t, 'tls-replication')) && caFile === undefined && caDir === undefined) {
    throw new TlsConfigError(
      'Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!');
  }
  const { minVersion, maxVersion } = parseTlsProtocols(opt(t, 'tls-protocols'));
  const inputs: ContextInputs = { reader: new Reader(files), minVersion, maxVersion, caFile, caDir, t };
  const serverCtx = context(inputs, certFile, keyFile, opt(t, 'tls-key-file-pass'));
  const server: tls.TlsOptions = {
    ...serverCtx,
    ...sessionOptions(t),
    honorCipherOrder: yes(t, 'tls-prefer-server-ciphers'),
    requestCert: authClients !== 'no',
    rejectUnauthorized: authClients === 'yes',
  };
  const dhFile = opt(t, 'tls-dh-params-file');
  if (dhFile !== undefined) server.dhparam = inputs.reader.dhParams(dhFile);
  // Redis makes a separate client context only when both client files are set.
  const clientCert = opt(t, 'tls-client-cert-file');
  const clientKey = opt(t, 'tls-client-key-file');
  const linkContext = clientCert !== undefined && clientKey !== undefined
    ? context(inputs, clientCert, clientKey, opt(t, 'tls-client-key-file-pass'))
    : serverCtx;
  const port = tlsPort(cfg);
  const replication = yes(t, 'tls-replication');
  return {
    listener: port === 0 ? undefined : { port, options: server, optionalClientCert: authClients === 'optional' },
    links: replication ? linkOptions(linkContext) : undefined,
    linkContext: replication ? linkContext : undefined,
  };
}

interface ContextInputs {
  reader: Reader;
  minVersion: tls.SecureVersion;
  maxVersion: tls.SecureVersion;
  caFile: string | undefined;
  caDir: string | undefined;
  t: Readonly<Record<string, string>>;
}

/** One context as Redis's createSSLContext(): certificate, key, CA, ciphers, ciphersuites — checked in that order. */
function context(inputs: ContextInputs, certFile: string, keyFile: string, passphrase: string | undefined): tls.SecureContextOptions {
  const { reader, t } = inputs;
  const certError = (why: string) => `Failed to load certificate: ${certFile}: ${why}`;
  const cert = reader.read(certFile, certError);
  tryContext({ cert }, certError);
  const keyError = (why: string) => `Failed to load private key: ${keyFile}: ${why}`;
  const key = reader.read(keyFile, keyError);
  tryContext({ cert, key, passphrase }, keyError);
  const ctx: tls.SecureContextOptions = { minVersion: inputs.minVersion, maxVersion: inputs.maxVersion, cert, key };
  if (passphrase !== undefined) ctx.passphrase = passphrase;
  if (inputs.caFile !== undefined || inputs.caDir !== undefined) ctx.ca = reader.caCerts(inputs.caFile, inputs.caDir);
  const ciphers = opt(t, 'tls-ciphers');
  const suites = opt(t, 'tls-ciphersuites');
  if (ciphers !== undefined) checkCipherList(ciphers, false, `Failed to configure ciphers: ${ciphers}`);
  if (suites !== undefined) checkCipherList(suites, true, `Failed to configure ciphersuites: ${suites}`);
  const combined = nodeCiphers(ciphers, suites);
  if (combined !== undefined) ctx.ciphers = combined;
  return ctx;
}

/** Node routes `TLS_*` names to TLSv1.3; each directive must hold only its own kind. */
function checkCipherList(list: string, suites: boolean, message: string): void {
  const names = list.split(':').filter((n) => n !== '');
  if (names.length === 0 || names.some((n) => n.startsWith('TLS_') !== suites)) throw new TlsConfigError(message);
  tryContext({ ciphers: list }, () => message);
}

function tryContext(options: tls.SecureContextOptions, message: (why: string) => string): void {
  try {
    tls.createSecureContext(options);
  } catch (err) {
    throw new TlsConfigError(message(err instanceof Error ? err.message : String(err)));
  }
}

/**
 * Redis checks the peer's chain against its CA but never the host name
 * (hiredis and replication set no expected host), so neither do we: the
 * certificate of a master found by IP need not name that IP.
 */
function linkOptions(ctx: tls.SecureContextOptions): tls.ConnectionOptions {
  return {
    secureContext: tls.createSecureContext(ctx),
    rejectUnauthorized: true,
    checkServerIdentity: () => undefined,
  };
}

function sessionOptions(t: Readonly<Record<string, string>>): tls.TlsOptions {
  const timeoutS = Number(t['tls-session-cache-timeout'] ?? DEFAULT_SESSION_TIMEOUT_S);
  const out: tls.TlsOptions = { sessionTimeout: Number.isFinite(timeoutS) && timeoutS > 0 ? timeoutS : DEFAULT_SESSION_TIMEOUT_S };
  // Node keeps no server-side session cache of its own; resumption is by tickets.
  if (t['tls-session-caching'] === 'no') out.secureOptions = cryptoConstants.SSL_OP_NO_TICKET;
  return out;
}

function systemLibraryError(err: unknown): string {
  const known = STRERROR[(err as NodeJS.ErrnoException).code ?? ''];
  if (known === undefined) return err instanceof Error ? err.message : String(err);
  return `error:${(0x80000000 + known[0]).toString(16).toUpperCase()}:system library::${known[1]}`;
}

/**
 * File access. Relative paths are relative to the working directory, which
 * is `dir` (the CLI chdir()s there while reading the config, as Redis does).
 */
class Reader {
  constructor(private readonly files: TlsFiles) {}

  read(p: string, message: (why: string) => string): Buffer {
    try {
      return this.files.read(p);
    } catch (err) {
      throw new TlsConfigError(message(systemLibraryError(err)));
    }
  }

  /**
   * tls-ca-cert-file must hold a certificate. OpenSSL reads a CA directory
   * lazily by hash names and accepts one that does not exist; here every
   * certificate in its files is loaded up front, and a missing one is empty.
   */
  caCerts(file: string | undefined, dir: string | undefined): Buffer[] {
    const prefix = 'Failed to configure CA certificate(s) file/directory: ';
    const out: Buffer[] = [];
    if (file !== undefined) {
      const pem = this.read(file, (why) => `${prefix}${why}`);
      if (!pem.includes('-----BEGIN CERTIFICATE-----') && !pem.includes('-----BEGIN TRUSTED CERTIFICATE-----')) {
        throw new TlsConfigError(`${prefix}error:05800088:x509 certificate routines::no certificate or crl found`);
      }
      out.push(pem);
    }
    if (dir !== undefined) out.push(...this.caDir(dir));
    return out;
  }

  private caDir(dir: string): Buffer[] {
    let paths: string[];
    try {
      paths = this.files.list(dir);
    } catch {
      return [];
    }
    const out: Buffer[] = [];
    for (const p of paths) {
      try {
        const pem = this.files.read(p);
        if (pem.includes('-----BEGIN CERTIFICATE-----')) out.push(pem);
      } catch {
        // Unreadable files are skipped, as OpenSSL's lookup skips them.
      }
    }
    return out;
  }

  dhParams(p: string): Buffer {
    let pem: Buffer;
    try {
      pem = this.files.read(p);
    } catch (err) {
      throw new TlsConfigError(`Failed to load ${p}: ${strerror(err)}`);
    }
    if (!pem.includes('-----BEGIN DH PARAMETERS-----')) throw new TlsConfigError(`${p}: failed to read DH params.`);
    return pem;
  }
}

/** tls-auth-clients optional: a certificate that was shown but failed verification. */
export function refusedOptionalCertificate(socket: tls.TLSSocket): boolean {
  if (socket.authorized) return false;
  const peer = socket.getPeerCertificate();
  return peer !== null && Object.keys(peer).length > 0;
}
