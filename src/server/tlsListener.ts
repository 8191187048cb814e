/**
 * The TLS side of the RESP server: a tls.Server whose sockets, once the
 * handshake is done, are handed to the same connection handler as plain ones.
 */
import type net from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../log.js';
import { refusedOptionalCertificate, type TlsListenerOptions } from '../tls.js';

export function createTlsListener(
  opts: TlsListenerOptions,
  socketOptions: net.ServerOpts,
  onConnection: (socket: net.Socket) => void,
  logger: Logger,
): tls.Server {
  const srv = tls.createServer({ ...socketOptions, ...opts.options }, (socket) => {
    if (opts.optionalClientCert && refusedOptionalCertificate(socket)) {
      // OpenSSL fails this in the handshake; Node only tells us after it.
      logger.warn({ reason: String(socket.authorizationError) },
        'Error accepting a client connection: error:0A000086:SSL routines::certificate verify failed');
      socket.destroy();
      return;
    }
    onConnection(socket);
  });
  // A failed handshake (no or bad client certificate, plain text on the TLS
  // port) never reaches the RESP layer; Redis logs it at warning level.
  srv.on('tlsClientError', (err) => {
    logger.warn(`Error accepting a client connection: ${opensslReason(err)}`);
  });
  return srv;
}

/**
 * Node's "806C...:error:0A0000C7:SSL routines:tls_process_client_certificate:peer did not return a certificate:file:line:"
 * in OpenSSL's ERR_error_string_n() form, as Redis logs it: "error:0A0000C7:SSL routines::peer did not return a certificate".
 */
export function opensslReason(err: Error): string {
  const m = /error:([0-9A-Fa-f]+):([^:]*):[^:]*:([^:]*)/.exec(err.message);
  return m === null ? err.message : `error:${m[1]}:${m[2]}::${m[3]}`;
}
