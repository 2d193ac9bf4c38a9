/**
 * The Node HTTP server under the Koa application, with the protections that must act before
 * Koa sees a request: a deadline for the headers, a header block large enough to parse and
 * then refuse politely (414, 431) rather than reset, and answers for requests Node cannot
 * parse that the client can read (the socket is drained, not reset under unread data).
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Limits } from '../config.js';

/** The largest header block Node parses; beyond it the request is refused before Koa. */
const PARSE_HEADER_BYTES = 256 * 1024;

/** How long a refused client's further bytes are read (and dropped) before its socket closes. */
const DRAIN_MS = 2000;

const CUT_BY_SERVER = Symbol('vodax.cutByServer');

/** Close a client's connection on the server's behalf (a stop), so the request log can say who cut it. */
export function cutByServer(socket: Duplex): void {
  (socket as Duplex & { [CUT_BY_SERVER]?: boolean })[CUT_BY_SERVER] = true;
  socket.destroy();
}

/** True when the server itself closed this connection (cutByServer). */
export function wasCutByServer(socket: Duplex | null | undefined): boolean {
  return (socket as (Duplex & { [CUT_BY_SERVER]?: boolean }) | null | undefined)?.[CUT_BY_SERVER] === true;
}

/** An HTTP server for `handler` with the request protections of `limits`. */
export function createHttpServer(handler: http.RequestListener, limits: Pick<Limits, 'requestIdleTimeout' | 'headerBytes'>): http.Server {
  const server = http.createServer(
    {
      // Parsed up to here, so the request limits can answer 414/431 with a body the client reads.
      maxHeaderSize: Math.max(PARSE_HEADER_BYTES, limits.headerBytes),
      // Headers must arrive within the idle timeout (a slowloris holds nothing for long); bodies
      // are watched by the request limits, responses (long downloads) have no deadline.
      headersTimeout: limits.requestIdleTimeout * 1000,
      requestTimeout: 0,
      keepAliveTimeout: 5000,
    },
    handler,
  );
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => refuse(err, socket));
  // Node hands CONNECT to this event and, with no listener, drops the connection unanswered.
  server.on('connect', (_req: http.IncomingMessage, socket: Duplex) => answerAndClose(socket, 501, 'NotImplemented', 'CONNECT is not a method this service implements'));
  return server;
}

/** Answer a request Node could not parse, then drain and close its socket. */
function refuse(err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex): void {
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  // A request on this connection is still being answered (the bad bytes followed it, e.g. a body
  // the server did not read): a second answer would corrupt or precede its answer. Let that
  // answer end, then close; if the bad bytes are its own body, it cannot be answered: cut it.
  const inFlight = (socket as Duplex & { _httpMessage?: (http.ServerResponse & { req?: http.IncomingMessage }) | null })._httpMessage;
  if (inFlight) {
    if (inFlight.req && !inFlight.req.complete) {
      socket.destroy();
      return;
    }
    socket.pause();
    inFlight.once('close', () => socket.destroy());
    return;
  }
  const [status, message] = clientErrorStatus(err);
  // Bytes that do not parse on a kept-alive connection are often the unframed rest of the
  // previous message (a DELETE body sent without Content-Length), and the client may already
  // have sent its next request, which then reads this answer: with no body, no client misreads it.
  answerAndClose(socket, status, status === 408 ? 'RequestTimeout' : 'BadRequest', status === 400 ? null : message);
}

/** Write a whole JSON error answer (or an empty one) on a raw socket, then drain and close it. */
function answerAndClose(socket: Duplex, status: number, code: string, message: string | null): void {
  const body = message === null ? '' : JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  // Keep reading what the client still sends: closing with unread data would reset the
  // connection, and the client would never see the answer.
  socket.on('data', () => {});
  socket.on('error', () => {});
  setTimeout(() => socket.destroy(), DRAIN_MS).unref();
}

/** The status and message for a parse error of Node's HTTP server. */
export function clientErrorStatus(err: NodeJS.ErrnoException & { rawPacket?: Buffer }): [number, string] {
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    const raw = err.rawPacket?.toString('latin1') ?? '';
    // A packet that starts a request line and never ends it: the URL is what is too long.
    if (/^[A-Z]+ \S/.test(raw) && !raw.includes('\r\n')) return [414, 'the request URL is too long; send long requests as POST'];
    return [431, 'the request headers are too large'];
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'the request did not arrive in time'];
  return [400, `malformed HTTP request (${err.code ?? err.message})`];
}
