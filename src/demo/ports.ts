import net from 'node:net';

/**
 * Demo ports come from below Linux's ephemeral range (32768–60999): a port in
 * that range can be taken at any moment by an outgoing connection, and a
 * killed server's port there may sit in TIME_WAIT. Ports under 10000 are left
 * to well-known services (and to a real Redis on 6379 / Sentinel on 26379).
 */
const PORT_MIN = 10_000;
const PORT_MAX = 32_767;
const TRIES = 100;

/** Never hand the same port out twice in one demo. */
const handedOut = new Set<number>();

/**
 * A port on 127.0.0.1 that could be bound just now. Another process may
 * still take it before our child binds it: starters retry on another port.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < TRIES; i++) {
    const port = PORT_MIN + Math.floor(Math.random() * (PORT_MAX - PORT_MIN + 1));
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no bindable port in ${PORT_MIN}-${PORT_MAX} after ${TRIES} tries`);
}

/** True when 127.0.0.1:port can be listened on right now. */
export function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}
