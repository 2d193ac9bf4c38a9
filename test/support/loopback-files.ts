/**
 * A small HTTP server on 127.0.0.1 that URL-upload tests fetch from: routes for a table, a
 * big body, redirects, stalls and errors; it records each request so tests can tell whether
 * (and how) a fetch reached it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A VOTable of `n` rows (id, ra, dec) with position UCDs. */
export function votableOf(n: number): string {
  const rows = Array.from({ length: n }, (_, i) => `<TR><TD>${i + 1}</TD><TD>${(i * 0.5).toFixed(1)}</TD><TD>${(i * -0.25).toFixed(2)}</TD></TR>`);
  return `<?xml version="1.0"?>
<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3"><RESOURCE><TABLE>
<FIELD name="id" datatype="int"/><FIELD name="ra" datatype="double" ucd="pos.eq.ra;meta.main"/><FIELD name="dec" datatype="double" ucd="pos.eq.dec;meta.main"/>
<DATA><TABLEDATA>${rows.join('')}</TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>`;
}

/** A request the server saw. */
export interface SeenRequest {
  path: string;
  host: string | undefined;
  closedEarly: boolean;
}

export interface LoopbackFiles {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT`, for allow-lists. */
  hostPort: string;
  port: number;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/**
 * Routes: `/x.vot` (3 rows), `/rows/N.vot`, `/bytes/N` (N bytes, chunked, no length),
 * `/declared/N` (Content-Length N, body never sent), `/hops/N` (N redirects, then /x.vot),
 * `/to?u=URL` (302 to URL), `/stall` (never answers), `/stall-body` (headers and 10 bytes, then
 * nothing), `/host` (echoes the Host header); anything else is a 404.
 */
export async function loopbackFiles(): Promise<LoopbackFiles> {
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const seen: SeenRequest = { path: url.pathname + url.search, host: req.headers.host, closedEarly: false };
    requests.push(seen);
    res.once('close', () => (seen.closedEarly = !res.writableFinished));
    let m: RegExpExecArray | null;
    if (url.pathname === '/x.vot') {
      res.setHeader('content-type', 'application/x-votable+xml');
      res.end(votableOf(3));
    } else if ((m = /^\/rows\/(\d+)\.vot$/.exec(url.pathname))) {
      res.setHeader('content-type', 'application/x-votable+xml');
      res.end(votableOf(Number(m[1])));
    } else if ((m = /^\/bytes\/(\d+)$/.exec(url.pathname))) {
      let left = Number(m[1]);
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!res.write(chunk.subarray(0, n))) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    } else if ((m = /^\/declared\/(\d+)$/.exec(url.pathname))) {
      res.writeHead(200, { 'content-length': m[1] });
      res.flushHeaders();
    } else if ((m = /^\/hops\/(\d+)$/.exec(url.pathname))) {
      const n = Number(m[1]);
      res.writeHead(302, { location: n > 1 ? `/hops/${n - 1}` : '/x.vot' }).end();
    } else if (url.pathname === '/to') {
      res.writeHead(302, { location: url.searchParams.get('u') ?? '/' }).end();
    } else if (url.pathname === '/stall') {
      // Never answers; the socket closes when the client gives up.
    } else if (url.pathname === '/stall-body') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('0123456789');
    } else if (url.pathname === '/host') {
      res.end(req.headers.host ?? '');
    } else {
      res.writeHead(404, 'Not Found').end('no such file');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hostPort: `127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
