/**
 * PostgreSQL's CancelRequest (protocol: "Canceling Requests in Progress"), as libpq's PQcancel
 * sends it: on a connection of its own, with the backend's process id and secret key, no login.
 * It needs no connection of a pool, so it reaches a backend also when every connection of the
 * pool is out (held by the queries to cancel) and while the pool closes.
 */
import net from 'node:net';

/** The request code of a CancelRequest (1234 in the high 16 bits, 5678 in the low). */
const CANCEL_REQUEST_CODE = 80877102;

/** Where a backend's server listens: a host and port, or a Unix socket directory (a host starting with '/'). */
export interface ServerAddress {
  host: string;
  port: number;
}

/**
 * Send a CancelRequest for backend `pid` (with its `secretKey`) to the server at `address`;
 * resolves once the server has closed the connection (it has then signalled the backend), or
 * failed, or after `timeoutMs`. Never rejects: a cancel that cannot be sent changes nothing.
 */
export function sendCancelRequest(address: ServerAddress, pid: number, secretKey: number, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    const socket = address.host.startsWith('/') ? net.connect(`${address.host}/.s.PGSQL.${address.port}`) : net.connect(address.port, address.host);
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    socket.once('error', done);
    socket.once('close', done);
    socket.once('connect', () => {
      const message = Buffer.alloc(16);
      message.writeInt32BE(16, 0);
      message.writeInt32BE(CANCEL_REQUEST_CODE, 4);
      message.writeInt32BE(pid, 8);
      message.writeInt32BE(secretKey, 12);
      socket.end(message);
    });
  });
}
