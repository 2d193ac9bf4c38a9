/** The request log records what really happened: the status sent, or none, and who cut a request. */
import http from 'node:http';
import { PassThrough } from 'node:stream';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { expect } from 'chai';
import { createLogger } from '../../src/log.js';
import { requestLog } from '../../src/http/request-log.js';
import { createHttpServer, cutByServer } from '../../src/http/http-server.js';
import { cutRequest, eventually } from '../support/chaos-clients.js';

describe('http: request log', () => {
  let server: http.Server;
  let base: string;
  const records: Record<string, unknown>[] = [];
  before(async () => {
    const out = new PassThrough();
    out.on('data', (line: Buffer) => {
      for (const l of line.toString().split('\n')) if (l.trim()) records.push(JSON.parse(l));
    });
    const app = new Koa();
    app.silent = true; // as the real application: a cut stream is not an error to print
    app.use(requestLog(createLogger('json', out)));
    app.use(async (ctx) => {
      if (ctx.path === '/slow') await new Promise((r) => setTimeout(r, 2000));
      if (ctx.path === '/stream') {
        const body = new PassThrough();
        body.write('x'.repeat(100_000));
        ctx.body = body; // never ended: the client or the server must cut it
        return;
      }
      if (ctx.path === '/cut') {
        const body = new PassThrough();
        body.write('x'.repeat(1000));
        ctx.body = body;
        setTimeout(() => cutByServer(ctx.req.socket), 100);
        return;
      }
      ctx.body = 'ok';
    });
    server = createHttpServer(app.callback(), { requestIdleTimeout: 5, headerBytes: 16384 });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });

  const recordOf = async (path: string) => {
    expect(await eventually(() => records.some((r) => r.path === path), 5000), `a record for ${path}`).to.equal(true);
    return records.find((r) => r.path === path)!;
  };

  it('a request answered: its status, not aborted', async () => {
    expect((await fetch(`${base}/fine`)).status).to.equal(200);
    const r = await recordOf('/fine');
    expect(r).to.include({ status: 200, aborted: false });
    expect(r).to.not.have.property('abortedBy');
  });

  it('a client that leaves before the headers: no status (not Koa\'s provisional 404), cut by the client before the headers', async () => {
    await cutRequest(`${base}/slow`, { afterMs: 100 });
    expect(await recordOf('/slow')).to.include({ status: null, aborted: true, abortedBy: 'client', phase: 'before-headers' });
  });

  it('a client that leaves mid-body: the status that was being sent, cut by the client in the body', async () => {
    await cutRequest(`${base}/stream`, { afterBytes: 10 });
    expect(await recordOf('/stream')).to.include({ status: 200, aborted: true, abortedBy: 'client', phase: 'body' });
  });

  it('a connection the server cuts (a stop) is recorded as cut by the server', async () => {
    await cutRequest(`${base}/cut`, { afterMs: 3000 });
    expect(await recordOf('/cut')).to.include({ status: 200, aborted: true, abortedBy: 'server', phase: 'body' });
  });
});
