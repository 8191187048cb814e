/**
 * The server's listening sockets: every `bind` address, plain ones first,
 * then TLS, with Redis's optional addresses (`-::*`) and its bind error text.
 */
import net from 'node:net';
import type { Logger } from '../log.js';
import type { TlsListenerOptions } from '../tls.js';

/** strerror() texts for the bind errors Redis reports. */
const STRERROR: Record<string, string> = {
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EACCES: 'Permission denied',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  EINVAL: 'Invalid argument',
};

/** A listener could not be bound; the message holds Redis's two lines. */
export class ListenError extends Error {
  override readonly name = 'ListenError';
}

export interface ListenOptions {
  port: number;
  bind: string[];
  tls?: TlsListenerOptions;
  plain?: boolean;
}

export class Listeners {
  private readonly servers: net.Server[] = [];
  private boundPort = 0;
  private tlsBoundPort = 0;

  /**
   * onFailure runs before a bind error is thrown: the server closes what
   * was bound and drops the clients those listeners already accepted.
   */
  constructor(
    private readonly opts: ListenOptions,
    private readonly logger: Logger,
    private readonly onConnection: (s: net.Socket) => void,
    private readonly onFailure: () => Promise<void>,
  ) {}

  /** Binds every address (plain ones first, then TLS, as Redis); on failure closes what was bound and rejects with Redis's message. */
  async listen(): Promise<void> {
    if (this.opts.plain !== false) await this.listenAll(false);
    if (this.opts.tls !== undefined) await this.listenAll(true);
  }

  /** The TCP port in use (the real one when listening on port 0). */
  get port(): number {
    return this.boundPort || this.opts.port;
  }

  /** The TLS port in use; 0 without a TLS listener. */
  get tlsPort(): number {
    return this.tlsBoundPort || (this.opts.tls?.port ?? 0);
  }

  async close(): Promise<void> {
    const servers = this.servers.splice(0);
    await Promise.all(servers.map((l) => new Promise<void>((r) => l.close(() => r()))));
  }

  private async listenAll(tls: boolean): Promise<void> {
    const addrs = this.opts.bind.length > 0 ? this.opts.bind : ['*', '-::*'];
    for (const addr of addrs) {
      try {
        await this.listenOne(addr, tls);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        const optional = addr.startsWith('-');
        if (optional && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT')) {
          this.logger.warn({ addr }, `Could not bind optional address ${addr.slice(1)}: ${STRERROR[code]}`);
          continue;
        }
        await this.onFailure();
        const port = tls ? this.tlsPort : this.boundPort || this.opts.port;
        throw new ListenError(
          `Warning: Could not create server TCP listening socket ${addr.replace(/^-/, '')}:${port}: bind: ${STRERROR[code] ?? (e as Error).message}\n` +
          `Failed listening on port ${port} (${tls ? 'TLS' : 'TCP'}), aborting.`,
        );
      }
    }
  }

  private async listenOne(addr: string, tls = false): Promise<void> {
    const spec = addr.replace(/^-/, '');
    const host = spec === '*' ? '0.0.0.0' : spec === '::*' ? '::' : spec;
    const socketOptions = { noDelay: true, keepAlive: true, keepAliveInitialDelay: 300_000 };
    const onConnection = (s: net.Socket): void => {
      try {
        this.onConnection(s);
      } catch (err) {
        this.logger.error({ err }, 'Internal error while accepting a client: closing it');
        s.destroy();
      }
    };
    // node:tls is loaded only for a TLS listener (tls-port), not by every Sentinel.
    const srv = tls && this.opts.tls !== undefined
      ? (await import('./tlsListener.js')).createTlsListener(this.opts.tls, socketOptions, onConnection, this.logger)
      : net.createServer(socketOptions, onConnection);
    const port = tls ? this.tlsPort : this.boundPort || this.opts.port;
    return new Promise((resolve, reject) => {
      srv.once('error', reject);
      // ipv6Only so `::` and `0.0.0.0` can both be bound, as Redis does.
      srv.listen({ host, port, backlog: 511, ipv6Only: host.includes(':') }, () => {
        srv.off('error', reject);
        srv.on('error', (err) => this.logger.error({ err }, 'listener error'));
        this.servers.push(srv);
        const a = srv.address();
        const bound = a !== null && typeof a === 'object' ? a.port : 0;
        if (tls && this.tlsBoundPort === 0) this.tlsBoundPort = bound;
        if (!tls && this.boundPort === 0) this.boundPort = bound;
        resolve();
      });
    });
  }
}
