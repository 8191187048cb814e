import fs from 'node:fs';
import tls from 'node:tls';
import { encodeCommand, parseReply, type RespValue } from './resp.js';

export interface TlsClientOptions {
  /** PEM file paths. */
  ca?: string;
  cert?: string;
  key?: string;
  timeoutMs?: number;
}

/**
 * One command over TLS on 127.0.0.1: connects, sends, reads one reply,
 * closes. Rejects when the server refuses the handshake or closes the
 * connection without a reply (a missing client certificate under TLS 1.3
 * shows up only then), or on timeout.
 */
export function tlsCall(port: number, options: TlsClientOptions, ...args: Array<string | number>): Promise<RespValue> {
  const read = (p: string | undefined): Buffer | undefined => (p === undefined ? undefined : fs.readFileSync(p));
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      ca: read(options.ca),
      cert: read(options.cert),
      key: read(options.key),
      // Like Redis, trust the CA for the chain and do not match host names.
      checkServerIdentity: () => undefined,
    });
    let buffer = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error(`no reply from TLS port ${port} in time`)), options.timeoutMs ?? 5_000);
    const finish = (outcome: RespValue | Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    socket.once('secureConnect', () => socket.write(encodeCommand(args)));
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const parsed = parseReply(buffer);
      if (parsed !== undefined) finish(parsed.value);
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error(`TLS port ${port} closed the connection without a reply`)));
  });
}
