/**
 * Malformed requests across every route the application mounts (enumerated from its routers):
 * random path parameters and query parameters, huge and non-numeric values, wrong methods,
 * broken multipart, long bodies, odd headers. Never a 5xx, never a hang; the server answers
 * normally afterwards. Bounded in time per route family.
 */
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import type Koa from 'koa';
import { createApp } from '../../src/http/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { Registry } from '../../src/registry/registry.js';
import { addressOf } from '../../src/server/storage.js';
import { testDatabase } from '../support/database.js';

/** A mounted route: its path pattern and the methods it answers. */
interface Route {
  path: string;
  methods: string[];
}

/** Every route of the app's routers, read from the routers themselves. */
function routesOf(app: Koa): Route[] {
  const routes: Route[] = [];
  for (const mw of app.middleware) {
    const router = (mw as unknown as { router?: { stack: Array<{ path: string | RegExp; methods: string[] }> } }).router;
    for (const layer of router?.stack ?? []) {
      if (typeof layer.path === 'string' && layer.methods.length > 0) routes.push({ path: layer.path, methods: layer.methods });
    }
  }
  return routes;
}

/** A route family: the first two segments of its path (e.g. /meta/v0, /db/v0). */
function familyOf(path: string): string {
  return path.split('/').slice(0, 3).join('/') || '/';
}

const TIME_PER_FAMILY_MS = Number(process.env.FUZZ_MS_PER_FAMILY ?? 3000);

const plausible = ['L2', 'l3', 'L3', 'dc', 'DC_W13_Stripe82', 'Object', 'Source', 'joe_myDb', 'DC_W13_Stripe82.Object', 'TAP_SCHEMA.tables', '0', '1', 'calexp', 'DR1'];
const hostile = [
  '',
  '-1',
  '0x10',
  'NaN',
  'Infinity',
  '1e308',
  '-0',
  '9'.repeat(400),
  '3.5',
  'x'.repeat(5000),
  '../../../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '%00',
  '\u0000',
  "' OR 1=1 --",
  '"; DROP TABLE vodax.users; --',
  '<script>alert(1)</script>',
  '☃💥\u202e',
  '%',
  'a%zz',
  'null',
  '[]',
  '{"a":1}',
];
const adql = [
  'SELECT TOP 5 * FROM DC_W13_Stripe82.Object',
  'SELECT TOP 3 ra, decl FROM DC_W13_Stripe82.Object WHERE CONTAINS(POINT(ra, decl), CIRCLE(0, 0, 0.1)) = 1',
  'SELECT COUNT(*) FROM TAP_SCHEMA.tables',
  'SELECT TOP 1 * FROM joe_myDb.Object',
  'SELECT * FROM',
  'SELECT TOP 99999999999999999999 * FROM TAP_SCHEMA.columns',
  'SELECT 1/0 FROM TAP_SCHEMA.schemas',
  "SELECT TOP 2 * FROM TAP_SCHEMA.columns WHERE column_name = '",
];
const paramNames = [
  'start', 'count', 'containing', 'format', 'FORMAT', 'QUERY', 'query', 'LANG', 'MAXREC', 'RESPONSEFORMAT', 'REQUEST', 'PHASE',
  'WAIT', 'AFTER', 'LAST', 'UPLOAD', 'RUNID', 'detail', 'plane', 'x', 'y', 'width', 'height', 'ra', 'dec', 'POS', 'ID',
  'DESTRUCTION', 'EXECUTIONDURATION', 'sql', 'ACTION', 'filter', 'tract', 'patch', 'visit',
];

const value = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...plausible) },
  { weight: 3, arbitrary: fc.constantFrom(...hostile) },
  { weight: 2, arbitrary: fc.constantFrom(...adql) },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.bigInt().map(String) },
);
const params = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...paramNames), fc.string({ maxLength: 10 })), value), { maxLength: 6 });

/** A request body and its content type. */
interface Body {
  type: string | null;
  data: Buffer | null;
}

const body: fc.Arbitrary<Body> = fc.oneof(
  fc.constant<Body>({ type: null, data: null }),
  params.map((p): Body => ({ type: 'application/x-www-form-urlencoded', data: Buffer.from(new URLSearchParams(p).toString()) })),
  fc.string({ maxLength: 200 }).map((s): Body => ({ type: 'application/x-www-form-urlencoded', data: Buffer.from(s) })),
  fc.tuple(params, fc.nat(400)).map(([p, cut]): Body => {
    // A multipart body cut short, or with a boundary that never comes.
    const parts = p.map(([k, v]) => `--XyZ\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('') + '--XyZ--\r\n';
    return { type: 'multipart/form-data; boundary=XyZ', data: Buffer.from(parts.slice(0, Math.min(cut, parts.length))) };
  }),
  fc.constant<Body>({ type: 'multipart/form-data', data: Buffer.from('no boundary at all') }),
  fc.constant<Body>({
    type: 'multipart/form-data; boundary=B',
    data: Buffer.from('--B\r\nContent-Disposition: form-data; name="UPLOAD"; filename="t.xml"\r\nContent-Type: text/xml\r\n\r\n<VOTABLE><RESOURCE><TABLE>\r\n--B--\r\n'),
  }),
  fc.nat(300_000).map((n): Body => ({ type: 'application/octet-stream', data: Buffer.alloc(n, 0x41) })),
  fc.uint8Array({ maxLength: 2000 }).map((a): Body => ({ type: 'text/xml', data: Buffer.from(a) })),
  fc.json().map((j): Body => ({ type: 'application/json', data: Buffer.from(j) })),
);

const accept = fc.constantFrom('*/*', 'application/json', 'text/html', 'text/csv', 'application/x-votable+xml', 'image/fits', 'garbage/;;q=x', '');
const authorization = fc.constantFrom(null, 'Bearer junk', 'Basic Zm9vOmJhcg==', 'Bearer ', 'Bearer ' + 'a'.repeat(3000));
const method = (route: Route) =>
  fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...route.methods) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') });

/** Fill a route's `:name` parameters with the given values, percent-encoded (sometimes twice). */
function fillPath(path: string, values: string[], doubleEncode: boolean): string {
  let i = 0;
  return path.replace(/:[A-Za-z0-9_]+/g, () => {
    const v = values[i++ % values.length] ?? '';
    const once = encodeURIComponent(v);
    return doubleEncode ? encodeURIComponent(once) : once;
  });
}

/** One raw request; resolves with the status, or rejects on a network error or after 15 s. */
function send(base: string, m: string, path: string, headers: Record<string, string>, data: Buffer | null): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(base + path, { method: m, headers, timeout: 15_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in 15 s: ${m} ${path}`)));
    req.on('error', (e: NodeJS.ErrnoException) => {
      // The server may answer (413) and close before a long body is written: that is fine.
      if (e.code === 'EPIPE' || e.code === 'ECONNRESET') resolve(-1);
      else reject(e);
    });
    if (data) req.write(data);
    req.end();
  });
}

describe('security: fuzzing every route with malformed requests', function () {
  this.timeout(300_000);
  let server: http.Server;
  let base: string;
  let routes: Route[];
  before(async () => {
    const { db, url } = await testDatabase();
    const config = loadConfig({ LOG_FORMAT: 'silent', UPLOAD_MAX_BYTES: '200000', SYNC_TIMEOUT: '5' });
    const app = createApp({ config, log: createLogger('silent'), db, registry: new Registry(db, addressOf(url)) });
    routes = routesOf(app);
    server = http.createServer(app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('finds the routes of the LSST and IVOA faces', () => {
    const paths = routes.map((r) => r.path);
    expect(paths).to.include.members(['/', '/meta/v0/db/:level/:db/tables/:table/schema', '/db/v0/tap/tables']);
  });

  it('never answers 5xx nor hangs, route family by route family, and serves normally after', async () => {
    const families = [...new Set(routes.map((r) => familyOf(r.path)))];
    const faults: string[] = [];
    for (const family of families) {
      const mine = routes.filter((r) => familyOf(r.path) === family);
      const request = fc
        .constantFrom(...mine)
        .chain((route) =>
          fc.record({
            route: fc.constant(route),
            method: method(route),
            pathValues: fc.array(value, { minLength: 1, maxLength: 5 }),
            doubleEncode: fc.boolean(),
            query: params,
            body,
            accept,
            authorization,
          }),
        );
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          runs++;
          const qs = new URLSearchParams(r.query).toString();
          const path = fillPath(r.route.path, r.pathValues, r.doubleEncode) + (qs ? `?${qs}` : '');
          const headers: Record<string, string> = {};
          if (r.accept) headers.accept = r.accept;
          if (r.authorization) headers.authorization = r.authorization;
          const data = r.method === 'GET' || r.method === 'HEAD' ? null : r.body.data;
          if (data && r.body.type) headers['content-type'] = r.body.type;
          const status = await send(base, r.method, path, headers, data);
          if (status >= 500) faults.push(`${status} ${r.method} ${path.slice(0, 300)} (${r.body.type ?? 'no body'})`);
          return status < 500;
        }),
        { numRuns: 100_000, interruptAfterTimeLimit: TIME_PER_FAMILY_MS, markInterruptAsFailure: false, endOnFailure: true },
      ).catch((e: Error) => {
        throw new Error(`${family}: ${faults.join('\n') || e.message}`);
      });
      expect(runs, family).to.be.greaterThan(5);
      if (process.env.FUZZ_VERBOSE) console.log(`${family}: ${runs} requests`);
      // The server still answers normally after each family.
      expect(await send(base, 'GET', '/meta/v0/db', { accept: 'application/json' }, null)).to.equal(200);
      expect(await send(base, 'GET', '/db/v0/tap/tables', {}, null)).to.equal(200);
    }
  });
});
