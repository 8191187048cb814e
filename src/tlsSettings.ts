/**
 * What the rest of the Sentinel needs to know about the `tls-*` directives
 * without loading TLS: the ports, whether TLS is on at all, and the error
 * type and texts of a refused TLS setup. Kept apart from tls.ts so that
 * node:tls (about 3.7 MB of RSS once loaded) is loaded only when a
 * `tls-port` or `tls-replication` asks for it.
 */
import type { SentinelConfig } from './config/model.js';

export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError';
  constructor(readonly reason: string) {
    // Redis logs the reason, then this line, then exits with 1.
    super(`${reason}\nFailed to configure TLS. Check logs for more info.`);
  }
}

export function yes(tlsCfg: Readonly<Record<string, string>>, name: string): boolean {
  return tlsCfg[name] === 'yes';
}

export function tlsPort(cfg: Pick<SentinelConfig, 'tls'>): number {
  return Number(cfg.tls['tls-port'] ?? '0') || 0;
}

/** Redis calls tlsConfigure() when any of these is on, even with no TLS listener. */
export function tlsRequired(cfg: Pick<SentinelConfig, 'tls'>): boolean {
  return tlsPort(cfg) !== 0 || yes(cfg.tls, 'tls-replication') || yes(cfg.tls, 'tls-cluster');
}

/**
 * The port in our hellos when announce-port is 0: redis-sentinel's
 * sentinelSendHello() takes the TLS port when tls-replication is on (peers
 * then reach us over TLS), else `port` — even when that is 0.
 */
export function helloPort(cfg: Pick<SentinelConfig, 'tls' | 'port'>): number {
  const t = tlsPort(cfg);
  return yes(cfg.tls, 'tls-replication') && t !== 0 ? t : cfg.port;
}

/** INFO's tcp_port and the "Running mode=sentinel, port=" line: `port`, or the TLS port when port is 0. */
export function reportedPort(cfg: Pick<SentinelConfig, 'tls' | 'port'>): number {
  return cfg.port !== 0 ? cfg.port : tlsPort(cfg);
}

/** OpenSSL's ERR_error_string for a failed fopen(): "error:80000002:system library::No such file or directory". */
export const STRERROR: Readonly<Record<string, [number, string]>> = {
  ENOENT: [2, 'No such file or directory'],
  EACCES: [13, 'Permission denied'],
  EISDIR: [21, 'Is a directory'],
  ENOTDIR: [20, 'Not a directory'],
};

/** The C library's strerror() text for the common errno codes (Node's messages add the syscall). */
export function strerror(err: unknown): string {
  return STRERROR[(err as NodeJS.ErrnoException).code ?? '']?.[1] ?? (err instanceof Error ? err.message : String(err));
}
