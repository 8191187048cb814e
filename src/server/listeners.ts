/**
 * The server's listening sockets: every `bind` address, plain ones first,
 * then TLS, with Redis's optional addresses (`-::*`) and its bind error text.
 */
import { readFileSync } from 'node:fs';
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
        const hint = code === 'EADDRINUSE' ? ephemeralPortHint(port) : undefined;
        throw new ListenError(
          `Warning: Could not create server TCP listening socket ${addr.replace(/^-/, '')}:${port}: bind: ${STRERROR[code] ?? (e as Error).message}\n` +
          (hint === undefined ? '' : `${hint}\n`) +
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

/**
 * Redis prints no more than its two lines; this one is tssentinel's. The
 * kernel hands a port of its ephemeral range (unless reserved) to outgoing
 * connections as soon as nothing is bound to it: a connect to it then
 * either lands on another process's socket or connects to itself (TCP
 * simultaneous open), and such a socket, even closed (TIME_WAIT), keeps a
 * bind failing for up to a minute while a connect to the port is refused.
 */
export function ephemeralPortHint(port: number, readProc: (path: string) => string = readProcFile): string | undefined {
  const range = readProc('/proc/sys/net/ipv4/ip_local_port_range').trim().split(/\s+/).map(Number);
  const [low, high] = range;
  if (low === undefined || high === undefined || !(port >= low && port <= high)) return undefined;
  const reserved = readProc('/proc/sys/net/ipv4/ip_local_reserved_ports').trim();
  for (const item of reserved === '' ? [] : reserved.split(',')) {
    const [from, to = from] = item.split('-').map(Number);
    if (from !== undefined && to !== undefined && port >= from && port <= to) return undefined;
  }
  return `Port ${port} is in the kernel's ephemeral port range (net.ipv4.ip_local_port_range ${low}-${high}): ` +
    'an outgoing connection, or a closed one in TIME_WAIT, may hold it with nothing listening there. ' +
    'Choose a port outside that range, or reserve it in net.ipv4.ip_local_reserved_ports.';
}

function readProcFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
