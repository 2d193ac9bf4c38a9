/**
 * The one request reader as a unit, over a tiny Koa app on loopback: query string, form and
 * multipart bodies, files streamed to their consumer, every limit, and bodies that break off
 * (the failure is reported only once every consumer has settled).
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Koa from 'koa';
import { expect } from 'chai';
import { loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/log.js';
import { BadRequestError } from '../../../src/errors.js';
import { errorMiddleware } from '../../../src/http/error-table.js';
import { queryParams, readRequest, requestLimitsOf, type RequestLimits } from '../../../src/http/request/read-request.js';
import type { UploadPart } from '../../../src/params/upload-part.js';

const LIMITS: RequestLimits = { parameters: 6, fieldBytes: 100, files: 2, fileBytes: 1000, bodyBytes: 20_000 };

/** How the route consumes file parts. */
type FileMode = 'none' | 'collect' | 'refuse-big' | 'slow';

interface Seen {
  files: { field: string; filename: string; mimeType: string; text: string }[];
  /** What happened, in order: 'consumer settled', 'read failed'. */
  events: string[];
}

describe('readRequest', function () {
  this.timeout(20_000);
  let server: http.Server;
  let url: string;
  let port: number;
  let mode: FileMode = 'collect';
  let seen: Seen;

  const consume = async (part: UploadPart) => {
    const chunks: Buffer[] = [];
    try {
      if (mode === 'refuse-big' && part.field === 'big') {
        part.stream.resume();
        throw new BadRequestError(`the consumer refuses '${part.field}'`);
      }
      await pipeline(
        part.stream,
        new Writable({
          write(chunk: Buffer, _enc, done) {
            chunks.push(chunk);
            // A slow consumer: still writing when the body breaks off.
            if (mode === 'slow') setTimeout(done, 20);
            else done();
          },
        }),
      );
      seen.files.push({ field: part.field, filename: part.filename, mimeType: part.mimeType, text: Buffer.concat(chunks).toString() });
    } finally {
      seen.events.push('consumer settled');
    }
  };

  before(async () => {
    const app = new Koa();
    app.silent = true;
    app.use(errorMiddleware(createLogger('silent')));
    app.use(async (ctx) => {
      if (ctx.path === '/query') {
        ctx.body = queryParams(ctx).toRecord();
        return;
      }
      try {
        const params = await readRequest(ctx, LIMITS, mode === 'none' ? {} : { onFile: consume });
        ctx.body = { params: params.toRecord(), files: seen.files };
      } catch (e) {
        seen.events.push('read failed');
        throw e;
      }
    });
    server = http.createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    url = `http://127.0.0.1:${port}`;
  });
  beforeEach(() => {
    mode = 'collect';
    seen = { files: [], events: [] };
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (body: BodyInit, headers: Record<string, string> = {}, query = '') => fetch(`${url}/${query}`, { method: 'POST', body, headers });
  const errorOf = async (res: Response) => ((await res.json()) as { error: { message: string } }).error.message;

  it('reads the query string and a form body together: names lower-cased, values in order', async () => {
    const res = await post(new URLSearchParams([['QUERY', 'SELECT 1'], ['Upload', 'a'], ['upload', 'b']]), {}, '?LANG=ADQL&upload=0');
    expect(res.status).to.equal(200);
    expect((await res.json()).params).to.deep.equal({ lang: ['ADQL'], upload: ['0', 'a', 'b'], query: ['SELECT 1'] });
  });

  it('reads a body sent without Content-Type as a form; refuses other types with 400', async () => {
    const raw = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${url}/`, { method: 'POST', headers: { 'content-length': '7' } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end('PHASE=R');
    });
    expect(raw.status).to.equal(200);
    expect(JSON.parse(raw.body).params).to.deep.equal({ phase: ['R'] });
    const json = await post('{"QUERY": "x"}', { 'content-type': 'application/json' });
    expect(json.status).to.equal(400);
    expect(await errorOf(json)).to.match(/unsupported Content-Type 'application\/json'/);
  });

  it('ignores the body of a GET and reads the query string alone for queryParams', async () => {
    const res = await fetch(`${url}/query?A=1&a=2&b=`);
    expect(await res.json()).to.deep.equal({ a: ['1', '2'], b: [''] });
  });

  it('streams multipart files to their consumer with field, file name and type', async () => {
    const form = new FormData();
    form.append('QUERY', 'SELECT 1');
    form.append('t1', new Blob(['a,b\n1,2\n'], { type: 'text/csv' }), 'mine.csv');
    const res = await post(form);
    expect(res.status).to.equal(200);
    const body = await res.json();
    expect(body.params).to.deep.equal({ query: ['SELECT 1'] });
    expect(body.files).to.deep.equal([{ field: 't1', filename: 'mine.csv', mimeType: 'text/csv', text: 'a,b\n1,2\n' }]);
  });

  it('refuses a file part with 400 where no one takes files', async () => {
    mode = 'none';
    const form = new FormData();
    form.append('t1', new Blob(['x']), 'x.csv');
    const res = await post(form);
    expect(res.status).to.equal(400);
    expect(await errorOf(res)).to.match(/unexpected file part 't1'/);
  });

  it('counts the query string and the body against the parameter limit', async () => {
    const four = new URLSearchParams([['a', '1'], ['b', '2'], ['c', '3'], ['d', '4']]);
    expect((await post(four, {}, '?x=1&y=2')).status).to.equal(200);
    const res = await post(four, {}, '?x=1&y=2&z=3');
    expect(res.status).to.equal(400);
    expect(await errorOf(res)).to.equal('too many parameters (more than 6)');
    const form = new FormData();
    for (let i = 0; i < 7; i++) form.append(`p${i}`, '1');
    expect(await errorOf(await post(form))).to.match(/too many parameters/);
  });

  it('answers 413 for a field or a file over its limit, and for a chunked body over the body limit', async () => {
    const long = await post(new URLSearchParams({ QUERY: 'x'.repeat(101) }));
    expect(long.status).to.equal(413);
    expect(await errorOf(long)).to.equal('parameter QUERY is longer than 100 bytes');
    const form = new FormData();
    form.append('big', new Blob(['x'.repeat(1001)]), 'big.csv');
    const big = await post(form);
    expect(big.status).to.equal(413);
    expect(await errorOf(big)).to.equal("upload 'big' is larger than 1000 bytes");
    expect(seen.events.at(-1)).to.equal('read failed');
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      // Within every other limit (busboy skips a multipart preamble), only the body limit stops it.
      const req = http.request(`${url}/`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=B' } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      for (let i = 0; i < 250; i++) req.write('y'.repeat(100));
      req.end('\r\n--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--B--\r\n');
    });
    expect(chunked.status).to.equal(413);
    expect(JSON.parse(chunked.body).error.message).to.equal('the request body is larger than the limit of 20000 bytes');
  });

  it('refuses too many parts with 400, before reading them all', async () => {
    const form = new FormData();
    form.append('QUERY', 'SELECT 1');
    for (let i = 0; i < 50; i++) form.append(`f${i}`, new Blob(['b']), 'a');
    const res = await post(form);
    expect(res.status).to.equal(400);
    expect(await errorOf(res)).to.match(/too many parts/);
    expect(seen.files.length).to.be.at.most(LIMITS.files);
  });

  it('refuses a nameless part and a malformed body with 400', async () => {
    const boundary = 'B0undary';
    const nameless = `--${boundary}\r\nContent-Disposition: form-data; name=""\r\n\r\nx\r\n--${boundary}--\r\n`;
    const res = await post(nameless, { 'content-type': `multipart/form-data; boundary=${boundary}` });
    expect(res.status).to.equal(400);
    expect(await errorOf(res)).to.equal('a multipart part has no name');
    const noBoundary = await post('x', { 'content-type': 'multipart/form-data' });
    expect(noBoundary.status).to.equal(400);
    expect(await errorOf(noBoundary)).to.match(/malformed request body/);
    const garbage = await post('not a multipart body at all', { 'content-type': `multipart/form-data; boundary=${boundary}` });
    expect(garbage.status).to.equal(400);
  });

  it("fails with the consumer's error once the other files have settled", async () => {
    mode = 'refuse-big';
    const form = new FormData();
    form.append('small', new Blob(['s']), 's.csv');
    form.append('big', new Blob(['b']), 'b.csv');
    const res = await post(form);
    expect(res.status).to.equal(400);
    expect(await errorOf(res)).to.equal("the consumer refuses 'big'");
    expect(seen.events).to.deep.equal(['consumer settled', 'consumer settled', 'read failed']);
  });

  it('a body cut mid-file fails the read only after the consumer has settled, and the server goes on', async () => {
    mode = 'slow';
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 4000\r\n\r\n' +
        '--B\r\nContent-Disposition: form-data; name="QUERY"\r\n\r\nSELECT 1\r\n--B\r\nContent-Disposition: form-data; name="t"; filename="t.csv"\r\n\r\n' +
        'x'.repeat(500),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    const end = Date.now() + 5000;
    while (seen.events.length < 2 && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen.events).to.deep.equal(['consumer settled', 'read failed']);
    expect(seen.files).to.deep.equal([]);
    mode = 'collect';
    expect((await post(new URLSearchParams({ a: '1' }))).status).to.equal(200);
  });

  it('takes its limits from the configuration: PARAMETERS_MAX and UPLOAD_MAX_BYTES', () => {
    const limits = requestLimitsOf(loadConfig({ PARAMETERS_MAX: '42', UPLOAD_MAX_BYTES: '12345' }).limits);
    expect(limits).to.include({ parameters: 42, fileBytes: 12345, bodyBytes: 12345 });
    expect(limits.fieldBytes).to.be.above(100_000);
  });
});
