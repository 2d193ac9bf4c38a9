import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import Koa from 'koa';
import { testServer, type TestServer } from '../support/server.js';
import { admission, Gate, limitedBody } from '../../src/http/limits.js';
import { errorMiddleware } from '../../src/http/error-table.js';
import { createLogger } from '../../src/log.js';

/** Send a raw request; resolves with the status and headers (the body is drained). */
function rawRequest(url: string, options: http.RequestOptions, body?: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

describe('security: request limits and CORS', () => {
  let srv: TestServer;
  before(async () => {
    srv = await testServer({ UPLOAD_MAX_BYTES: '1000', QUERY_STRING_MAX_CHARS: '300', PARAMETERS_MAX: '10' });
  });
  after(() => srv.close());

  it('refuses a body declared larger than the upload limit with 413, without reading it', async () => {
    const res = await rawRequest(srv.url + '/db/v0/tap/sync', { method: 'POST', headers: { 'content-type': 'text/plain', 'content-length': '5000000' } });
    expect(res.status).to.equal(413);
    // On the IVOA face the refusal is a DALI error document, as every TAP error is.
    expect(res.text).to.match(/<INFO name="QUERY_STATUS" value="ERROR">[^<]*larger/);
    const lsst = await rawRequest(srv.url + '/meta/v0/db', { method: 'POST', headers: { 'content-type': 'text/plain', 'content-length': '5000000' } });
    expect(lsst.status).to.equal(413);
    expect(JSON.parse(lsst.text).error.code).to.equal('LimitExceeded');
    const ok = await fetch(srv.url + '/meta/v0/db');
    expect(ok.status).to.equal(200);
  });

  it('refuses long query strings (414) and too many parameters (400)', async () => {
    const long = await fetch(srv.url + '/meta/v0/db/L2?containing=' + 'x'.repeat(400));
    expect(long.status).to.equal(414);
    expect((await long.json()).error.message).to.match(/query string .* longer than 300/);
    const many = await fetch(srv.url + '/meta/v0/db/L2?' + Array.from({ length: 11 }, (_, i) => `p${i}=1`).join('&'));
    expect(many.status).to.equal(400);
    expect((await many.json()).error.message).to.match(/too many parameters \(11; at most 10\)/);
    expect((await fetch(srv.url + '/meta/v0/db/L2?' + Array.from({ length: 10 }, (_, i) => `p${i}=1`).join('&'))).status).to.equal(200);
    // Empty pieces between ampersands are no parameters.
    expect((await fetch(srv.url + '/meta/v0/db/L2?&' + Array.from({ length: 10 }, (_, i) => `p${i}=1`).join('&&') + '&')).status).to.equal(200);
  });

  it('answers a malformed percent-encoding with 400, not a fault', async () => {
    for (const path of ['/meta/v0/db/%E0%A4%A', '/meta/v0/db/L2?containing=%ZZ', '/meta/v0/db/%']) {
      const res = await rawRequest(srv.url + path, { method: 'GET' });
      expect(res.status, path).to.equal(400);
    }
  });

  it('allows any origin without credentials and exposes the headers clients need', async () => {
    const res = await fetch(srv.url + '/meta/v0/db', { headers: { origin: 'https://aladin.example.org' } });
    expect(res.status).to.equal(200);
    expect(res.headers.get('access-control-allow-origin')).to.equal('*');
    expect(res.headers.get('access-control-allow-credentials')).to.equal(null);
    const exposed = res.headers.get('access-control-expose-headers')!.split(/,\s*/);
    expect(exposed).to.include.members(['Location', 'Content-Disposition', 'WWW-Authenticate', 'Retry-After']);
    const plain = await fetch(srv.url + '/meta/v0/db');
    expect(plain.headers.get('access-control-allow-origin')).to.equal(null);
  });

  it('answers preflights, allowing Authorization, and keeps CORS headers on errors', async () => {
    const pre = await fetch(srv.url + '/db/v0/tap/sync', {
      method: 'OPTIONS',
      headers: { origin: 'https://notebook.example.org', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(pre.status).to.equal(204);
    expect(pre.headers.get('access-control-allow-origin')).to.equal('*');
    expect(pre.headers.get('access-control-allow-methods')).to.match(/\bPOST\b/).and.match(/\bGET\b/);
    expect(pre.headers.get('access-control-allow-headers')).to.match(/\bAuthorization\b/).and.match(/\bContent-Type\b/);
    const denied = await fetch(srv.url + '/meta/v0/db', { headers: { origin: 'https://x.example.org', authorization: 'Bearer nope' } });
    expect(denied.status).to.equal(401);
    expect(denied.headers.get('access-control-allow-origin')).to.equal('*');
    expect(denied.headers.get('www-authenticate')).to.match(/^Bearer /);
  });
});

describe('security: limitedBody (bodies sent without Content-Length)', () => {
  it('passes a body within the limit and answers 413 to a chunked one past it', async () => {
    const app = new Koa();
    app.use(errorMiddleware(createLogger('silent')));
    app.use(async (ctx) => {
      let n = 0;
      for await (const chunk of limitedBody(ctx, 1000)) n += (chunk as Buffer).length;
      ctx.body = String(n);
    });
    const server = http.createServer(app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const chunked = (size: number) =>
        new Promise<{ status: number; text: string }>((resolve, reject) => {
          const req = http.request(url, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode!, text }));
          });
          req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? resolve({ status: -1, text: '' }) : reject(e)));
          for (let sent = 0; sent < size; sent += 100) req.write(Buffer.alloc(Math.min(100, size - sent), 0x42));
          req.end();
        });
      expect(await chunked(900)).to.deep.equal({ status: 200, text: '900' });
      const over = await chunked(5000);
      expect(over.status).to.equal(413);
      expect(JSON.parse(over.text).error.code).to.equal('LimitExceeded');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('security: admission (concurrent requests, queue, 503)', () => {
  /** A server whose /slow requests wait until released; /stream streams until released. */
  async function slowServer(limits: { concurrentRequests: number; concurrentRequestsPerCaller: number; requestQueue: number; requestQueueWait: number }) {
    const app = new Koa();
    const waiting: Array<() => void> = [];
    app.use(errorMiddleware(createLogger('silent')));
    app.use(async (ctx, next) => {
      const who = ctx.get('x-user');
      if (who) ctx.state.user = who;
      await next();
    });
    app.use(admission(limits));
    app.use(async (ctx) => {
      if (ctx.path === '/slow') await new Promise<void>((r) => waiting.push(r));
      if (ctx.path === '/stream') {
        const body = new Readable({ read() {} });
        body.push('start ');
        waiting.push(() => body.push(null));
        ctx.body = body;
        return;
      }
      ctx.body = 'done';
    });
    const server = http.createServer(app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      url,
      releaseAll: () => waiting.splice(0).forEach((f) => f()),
      pending: () => waiting.length,
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  }

  async function until(cond: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  }

  it('queues past the limit, then answers 503 with Retry-After when the queue is full', async () => {
    const s = await slowServer({ concurrentRequests: 2, concurrentRequestsPerCaller: 10, requestQueue: 1, requestQueueWait: 5 });
    try {
      const running = [fetch(s.url + '/slow', { headers: { 'x-user': 'a' } }), fetch(s.url + '/slow', { headers: { 'x-user': 'b' } })];
      await until(() => s.pending() === 2);
      const queued = fetch(s.url + '/fast', { headers: { 'x-user': 'c' } });
      await new Promise((r) => setTimeout(r, 50));
      const refused = await fetch(s.url + '/fast', { headers: { 'x-user': 'd' } });
      expect(refused.status).to.equal(503);
      expect(Number(refused.headers.get('retry-after'))).to.be.at.least(1);
      expect((await refused.json()).error.code).to.equal('Unavailable');
      s.releaseAll();
      expect((await queued).status).to.equal(200);
      expect((await Promise.all(running)).map((r) => r.status)).to.deep.equal([200, 200]);
      expect((await fetch(s.url + '/fast')).status).to.equal(200);
    } finally {
      s.releaseAll();
      await s.close();
    }
  });

  it('limits one caller without starving others, and a queued request times out to 503', async () => {
    const s = await slowServer({ concurrentRequests: 10, concurrentRequestsPerCaller: 1, requestQueue: 10, requestQueueWait: 1 });
    try {
      const hog = fetch(s.url + '/slow', { headers: { 'x-user': 'hog' } });
      await until(() => s.pending() === 1);
      const t0 = Date.now();
      const second = await fetch(s.url + '/fast', { headers: { 'x-user': 'hog' } });
      expect(second.status).to.equal(503);
      expect(Date.now() - t0).to.be.within(800, 3000);
      expect((await fetch(s.url + '/fast', { headers: { 'x-user': 'other' } })).status).to.equal(200);
      s.releaseAll();
      expect((await hog).status).to.equal(200);
      expect((await fetch(s.url + '/fast', { headers: { 'x-user': 'hog' } })).status).to.equal(200);
    } finally {
      s.releaseAll();
      await s.close();
    }
  });

  it('holds a slot until a streamed answer has ended', async () => {
    const s = await slowServer({ concurrentRequests: 1, concurrentRequestsPerCaller: 1, requestQueue: 0, requestQueueWait: 1 });
    try {
      const streaming = await fetch(s.url + '/stream');
      expect(streaming.status).to.equal(200);
      expect((await fetch(s.url + '/fast')).status).to.equal(503);
      s.releaseAll();
      expect(await streaming.text()).to.equal('start ');
      await new Promise((r) => setTimeout(r, 20));
      expect((await fetch(s.url + '/fast')).status).to.equal(200);
    } finally {
      s.releaseAll();
      await s.close();
    }
  });

  it('Gate: FIFO hand-over, bounded queue, abort leaves the queue', async () => {
    const g = new Gate(1, 2);
    // A free slot never asks for the client's signal (no AbortSignal made per request).
    expect(await g.enter(1000, () => expect.fail('asked for a signal'))).to.equal(true);
    const order: string[] = [];
    const a = g.enter(1000).then((ok) => order.push(`a:${ok}`));
    const ctl = new AbortController();
    const b = g.enter(1000, () => ctl.signal).then((ok) => order.push(`b:${ok}`));
    expect(await g.enter(1000)).to.equal(false); // queue full
    ctl.abort();
    await b;
    expect(g.queued).to.equal(1);
    g.leave();
    await a;
    expect(order).to.deep.equal(['b:false', 'a:true']);
    expect(g.busy).to.equal(1);
    g.leave();
    expect(g.idle).to.equal(true);
  });
});
