import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Test certificates made with `openssl` at test time (nothing checked in,
 * nothing to expire): a CA, a certificate for 127.0.0.1 usable by servers
 * and as a client certificate (Sentinels and replicas present it on their
 * outbound links, as Redis does), a client-only certificate, and a rogue CA
 * with a client certificate of its own that the CA above does not vouch for.
 */
export interface TestCerts {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** serverKey encrypted with `passphrase`. */
  serverKeyEncrypted: string;
  passphrase: string;
  clientCert: string;
  clientKey: string;
  rogueCert: string;
  rogueKey: string;
}

const DAYS = '2';

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function newKey(dir: string, name: string): void {
  openssl(dir, ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', `${name}.key`]);
}

function selfSignedCa(dir: string, name: string, cn: string): void {
  newKey(dir, name);
  openssl(dir, ['req', '-x509', '-new', '-key', `${name}.key`, '-out', `${name}.crt`, '-days', DAYS, '-subj', `/CN=${cn}`]);
}

function signed(dir: string, name: string, ca: string, cn: string, extensions: string): void {
  newKey(dir, name);
  openssl(dir, ['req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
  openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial',
    '-out', `${name}.crt`, '-days', DAYS, '-extfile', `${name}.ext`,
  ]);
}

/** Writes the certificates into dir (which must exist) and returns their absolute paths. */
export function makeTestCerts(dir: string): TestCerts {
  selfSignedCa(dir, 'ca', 'tssentinel-test-ca');
  signed(dir, 'server', 'ca', '127.0.0.1',
    'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  signed(dir, 'client', 'ca', 'tssentinel-test-client', 'extendedKeyUsage=clientAuth\n');
  selfSignedCa(dir, 'rogue-ca', 'rogue-ca');
  signed(dir, 'rogue', 'rogue-ca', 'rogue-client', 'extendedKeyUsage=clientAuth\n');
  const passphrase = 'test-pass';
  openssl(dir, ['pkey', '-in', 'server.key', '-aes256', '-passout', `pass:${passphrase}`, '-out', 'server-enc.key']);
  const p = (f: string): string => path.join(dir, f);
  return {
    dir,
    caCert: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    serverKeyEncrypted: p('server-enc.key'),
    passphrase,
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    rogueCert: p('rogue.crt'),
    rogueKey: p('rogue.key'),
  };
}
