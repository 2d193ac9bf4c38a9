/**
 * Malformed requests across every route the application mounts (enumerated from its routers):
 * random path parameters and query parameters, huge and non-numeric values, wrong methods,
 * broken multipart, long bodies, odd headers, anonymous and with a real token. Never a 5xx,
 * never a hang; the server answers normally afterwards. Bounded in time per route family.
 * The application runs with a job engine (UWS TAP async), sample images, the user-table routes,
 * and a user owning a private database, a table and a finished job, whose names and ids are
 * among the values tried, so the requests reach past "not found".
 */
import { expect } from 'chai';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import type Koa from 'koa';
import { createApp } from '../../src/server/app.js';
import { createHttpServer } from '../../src/http/http-server.js';
import { loadConfig } from '../../src/config.js';
import type { Logger } from '../../src/log.js';
import { Registry } from '../../src/catalog/table-registry.js';
import { addressOf } from '../../src/server/storage.js';
import { loadSampleData } from '../../src/sample-data/load-sample-data.js';
import { loadSampleImages } from '../../src/sample-data/sample-images.js';
import { sampleCatalog } from '../../src/sample-data/sample.js';
import { engineFromConfig, type JobEngine } from '../../src/jobs/job-engine.js';
import { tapJobKind } from '../../src/query/tap-job-kind.js';
import { CatalogCache } from '../../src/catalog/query-catalog.js';
import { addUser } from '../../src/auth/users.js';
import { createOwnedDatabase } from '../../src/ingest/user-databases.js';
import { loadTable } from '../../src/ingest/loader.js';
import { userTablesRoutes } from '../../src/lsst/user-tables-routes.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { imageJobKind } from '../../src/images/image-job-kind.js';
import { sodaJobKindOf } from '../../src/ivoa/soda/soda-service.js';

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

/** A route family: the first two segments of its path (/meta/v0, /image/v0), three under /db/v0/tap (sync, async, tables...). */
function familyOf(path: string): string {
  const parts = path.split('/');
  return parts.slice(0, parts[1] === 'db' ? 5 : 3).join('/') || '/';
}

/** True when the application already routes PUT /db/v0/tap/tables/:name (app.ts mounts the user-table routes). */
function mountsUserTables(app: Koa): boolean {
  return routesOf(app).some((r) => r.path === '/db/v0/tap/tables/:name' && r.methods.includes('PUT'));
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

/** A request body and its content type. */
interface Body {
  type: string | null;
  data: Buffer | null;
}

/** What a run knows of its data: names and ids that lead past "not found", and a valid token. */
interface Known {
  values: string[];
  token: string;
}

/** The arbitraries of one run: values (including the known ones), parameter lists, bodies. */
function arbitraries(known: Known) {
  const value = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...plausible, ...known.values) },
    { weight: 3, arbitrary: fc.constantFrom(...hostile) },
    { weight: 2, arbitrary: fc.constantFrom(...adql) },
    { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
    { weight: 1, arbitrary: fc.double().map(String) },
    { weight: 1, arbitrary: fc.bigInt().map(String) },
  );
  const params = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...paramNames), fc.string({ maxLength: 10 })), value), { maxLength: 6 });
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
    // Parts without a usable name (busboy reports no name at all).
    fc.constantFrom('name=""', 'filename="t.csv"', 'name', 'name="QUERY"; name=""').map(
      (disposition): Body => ({ type: 'multipart/form-data; boundary=B', data: Buffer.from(`--B\r\nContent-Disposition: form-data; ${disposition}\r\n\r\nSELECT 1\r\n--B--\r\n`) }),
    ),
    fc.nat(300_000).map((n): Body => ({ type: 'application/octet-stream', data: Buffer.alloc(n, 0x41) })),
    fc.uint8Array({ maxLength: 2000 }).map((a): Body => ({ type: 'text/xml', data: Buffer.from(a) })),
    fc.json().map((j): Body => ({ type: 'application/json', data: Buffer.from(j) })),
    // Table bodies (user tables, uploads): plausible, cut short, or garbage, in each table format.
    fc.tuple(fc.constantFrom(...tableBodies), fc.nat(300), fc.constantFrom('text/csv', 'application/x-votable+xml', 'text/xml', 'application/fits', 'text/tab-separated-values')).map(
      ([text, cut, type]): Body => ({ type, data: Buffer.from(cut > 250 ? text : text.slice(0, cut)) }),
    ),
    fc.tuple(fc.array(fc.tuple(value, value, value), { maxLength: 20 }), fc.constantFrom('text/csv', 'text/tab-separated-values')).map(([rows, type]): Body => {
      const sep = type === 'text/csv' ? ',' : '\t';
      return { type, data: Buffer.from(['a,b,c'.replaceAll(',', sep), ...rows.map((r) => r.join(sep))].join('\n')) };
    }),
    fc.uint8Array({ maxLength: 5000 }).map((a): Body => ({ type: 'application/fits', data: Buffer.concat([Buffer.from('SIMPLE  =                    T'.padEnd(80)), Buffer.from(a)]) })),
  );
  const authorization = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(null, 'Bearer junk', 'Basic Zm9vOmJhcg==', 'Bearer ', 'Bearer ' + 'a'.repeat(3000)) },
    { weight: 2, arbitrary: fc.constant(`Bearer ${known.token}`) },
  );
  return { value, params, body, authorization };
}

/** Table bodies in each format, well formed. */
const tableBodies = [
  'id,ra,dec,name\n1,10.5,-0.5,a\n2,11,0.5,"b, c"\n',
  'id\tra\tdec\n1\t10.5\t-0.5\n',
  '<?xml version="1.0"?><VOTABLE version="1.4"><RESOURCE><TABLE><FIELD name="x" datatype="double" ucd="pos.eq.ra"/><FIELD name="y" datatype="double" ucd="pos.eq.dec"/><DATA><TABLEDATA><TR><TD>1</TD><TD>2</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>',
  'SIMPLE  =                    T' + ' '.repeat(50) + 'BITPIX  =                    8' + ' '.repeat(49) + 'NAXIS   =                    0' + ' '.repeat(49) + 'END'.padEnd(80),
];

const accept = fc.constantFrom('*/*', 'application/json', 'text/html', 'text/csv', 'application/x-votable+xml', 'image/fits', 'garbage/;;q=x', '');
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
  this.timeout(600_000);
  let fresh: TestDatabase & { drop(): Promise<void> };
  let dataDir: string;
  let jobs: JobEngine;
  let server: http.Server;
  let base: string;
  let routes: Route[];
  let known: Known;
  // Internal errors the server logs: a 5xx is reported with the fault behind it.
  const logged: string[] = [];
  const log: Logger = {
    log: (level, msg, fields) => {
      if (level === 'error') logged.push(`${msg}: ${(fields?.error as Error | undefined)?.stack?.split('\n').slice(0, 4).join(' | ') ?? JSON.stringify(fields)}`);
    },
    info: () => {},
    warn: () => {},
    error: (msg, fields) => log.log('error', msg, fields),
  };
  before(async function () {
    this.timeout(300_000);
    // A database of its own: the fuzz creates users' tables and jobs, and registers images.
    fresh = await freshDatabase();
    const db = fresh.db;
    await loadSampleData(db);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-fuzz-'));
    await loadSampleImages(db, sampleCatalog(), dataDir, 'http://vodax.test', { exposures: [0], coadds: [0] });
    const imageIds = (await db.query<{ id: number }>('SELECT id FROM vodax.images ORDER BY id')).map((r) => String(r.id));
    const { token } = await addUser(db, 'fuzzer');
    await createOwnedDatabase(db, { level: 'L3', name: 'fuzzer_db', owner: 'fuzzer' });
    await db.transaction((client) =>
      loadTable(client, 'fuzzer_db', {
        meta: { name: 'mine', columns: [{ name: 'id', datatype: 'long' }, { name: 'ra', datatype: 'double' }, { name: 'dec', datatype: 'double' }], position: { ra: 'ra', dec: 'dec' } },
        rows: [[1n, 10, 0]],
      }),
    );
    const config = loadConfig({ LOG_FORMAT: 'silent', DATA_DIR: dataDir, UPLOAD_MAX_BYTES: '200000', SYNC_TIMEOUT: '5', ASYNC_DURATION_MAX: '5', CONCURRENT_QUERIES: '2' });
    // One catalog cache for the jobs and the routes, as the server has.
    const catalogs = new CatalogCache(db);
    jobs = engineFromConfig(config, db, log, [tapJobKind({ config, db, catalogs }), imageJobKind(db, config), sodaJobKindOf(db, config)]);
    await jobs.start();
    const app = createApp({ config, log, db, registry: new Registry(db, addressOf(fresh.url)), catalogs, jobs });
    if (!mountsUserTables(app)) {
      const r = userTablesRoutes('/db/v0/tap', config, db);
      app.use(r.routes());
      app.use(r.allowedMethods({ throw: true }));
    }
    routes = routesOf(app);
    // The production HTTP server (its header, body and method protections are part of what is fuzzed).
    server = createHttpServer(app.callback(), config.limits);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // A finished job of the fuzzer's, so job URLs lead somewhere (finished: a WAIT on it does not block).
    const made = await fetch(`${base}/db/v0/tap/async`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: new URLSearchParams({ QUERY: 'SELECT * FROM fuzzer_db.mine', PHASE: 'RUN' }),
      redirect: 'manual',
    });
    const jobId = made.headers.get('location')!.split('/').pop()!;
    for (let i = 0; i < 50 && !['COMPLETED', 'ERROR'].includes((await jobs.get(jobId))!.phase); i++) await new Promise((r) => setTimeout(r, 100));
    known = {
      token,
      values: [...imageIds, jobId, 'result', 'fuzzer_db', 'fuzzer_db.mine', 'fuzzer_db.new', 'mine', 'deepCoadd', 'PENDING', 'RUN', 'ABORT', 'DELETE', '0,0', '11,11'],
    };
  });
  after(async () => {
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
    await jobs?.stop(1000);
    // With a connection never given back, closing the pool would wait forever: leave the database then.
    if (fresh && fresh.db.pool.totalCount === fresh.db.pool.idleCount) await fresh.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('finds the routes of the LSST, image, TAP, UWS, user-table, SIA, DataLink, SODA and cone search faces', () => {
    const paths = routes.map((r) => r.path);
    expect(paths).to.include.members([
      '/',
      '/meta/v0/db/:level/:db/tables/:table/schema',
      '/db/v0/tap/tables',
      '/db/v0/tap/sync',
      '/db/v0/tap/async/:id/results/:rid',
      '/db/v0/tap/tables/:name',
      '/image/v0/:level/:collection/:kind/:id/cutout',
      '/meta/v0/image/:level/:collection/:kind/:id',
      '/image/v0/sia/query',
      '/image/v0/datalink/links',
      '/image/v0/soda/sync',
      '/image/v0/soda/async/:id/results/:rid',
      '/db/v0/scs/:table',
    ]);
  });

  it('HEAD on a TAP query gives back its database connection (each leaked one is lost to every caller)', async () => {
    const pool = fresh.db.pool;
    const held = () => pool.totalCount - pool.idleCount;
    for (const format of ['csv', 'votable', 'json', 'fits']) {
      const q = new URLSearchParams({ QUERY: 'SELECT TOP 3 * FROM TAP_SCHEMA.tables', FORMAT: format });
      expect(await send(base, 'HEAD', `/db/v0/tap/sync?${q}`, {}, null)).to.equal(200);
      for (let i = 0; i < 50 && held() > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(held(), `connections held after HEAD ${format}`).to.equal(0);
    }
  });

  it('never answers 5xx nor hangs, route family by route family, and serves normally after', async () => {
    const { value, params, body, authorization } = arbitraries(known);
    // FUZZ_FAMILIES=/db/v0/tap/sync,/image/v0 narrows a run to some families (when chasing a fault).
    const only = process.env.FUZZ_FAMILIES?.split(',');
    const families = [...new Set(routes.map((r) => familyOf(r.path)))].filter((f) => !only || only.includes(f));
    const faults: string[] = [];
    let total = 0;
    let last: unknown = null;
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
      const statuses = new Map<number, number>();
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
          const previous = last;
          last = { method: r.method, path, headers, data: data?.toString('latin1') ?? null };
          let status: number;
          try {
            status = await send(base, r.method, path, headers, data);
          } catch (e) {
            // A network failure (no answer, a malformed one) is a fault too: say which.
            faults.push(`${r.method} ${path.slice(0, 300)}: ${(e as Error).message}`);
            if (process.env.FUZZ_DUMP) (await import('node:fs')).writeFileSync(process.env.FUZZ_DUMP, JSON.stringify({ method: r.method, path, headers, previous }));
            return false;
          }
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (status >= 500) {
            const sent = data ? JSON.stringify(data.subarray(0, 300).toString('latin1')) : 'no body';
            faults.push(`${status} ${r.method} ${path.slice(0, 300)} (${r.body.type ?? 'no type'}: ${sent}) ${logged.slice(-1)[0] ?? ''}`);
          }
          return status < 500;
        }),
        { numRuns: 100_000, interruptAfterTimeLimit: TIME_PER_FAMILY_MS, markInterruptAsFailure: false, endOnFailure: true },
      ).catch((e: Error) => {
        throw new Error(`${family}: ${faults.join('\n') || e.message}`);
      });
      expect(runs, family).to.be.greaterThan(5);
      total += runs;
      if (process.env.FUZZ_VERBOSE) console.log(`${family}: ${runs} requests`, Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])));
      // Some requests get through (not every answer an error), so the fuzz reaches the handlers.
      expect([...statuses.keys()].some((s) => s >= 200 && s < 400), `${family} answered only errors`).to.equal(true);
      // The server still answers normally after each family.
      // On connections of their own: a kept-alive socket of the fuzz that the server is closing
      // (after garbage) may be handed to the next request, which then sees a reset.
      const fresh = async (p: string, accept = '*/*') => (await fetch(base + p, { headers: { accept, connection: 'close' } })).status;
      expect(await fresh('/meta/v0/db', 'application/json')).to.equal(200);
      expect(await fresh('/db/v0/tap/tables')).to.equal(200);
      expect(await fresh(`/db/v0/tap/sync?QUERY=${encodeURIComponent('SELECT TOP 1 * FROM TAP_SCHEMA.tables')}`)).to.equal(200);
      expect(await fresh('/meta/v0/image/L2', 'application/json')).to.equal(200);
    }
    if (process.env.FUZZ_VERBOSE) console.log(`${total} requests over ${families.length} families, none 5xx`);
  });

  it('gives back every database connection the requests took', async () => {
    const pool = fresh.db.pool;
    // Jobs still running may hold one for a few seconds (ASYNC_DURATION_MAX is 5).
    for (let i = 0; i < 150 && pool.totalCount !== pool.idleCount; i++) await new Promise((r) => setTimeout(r, 100));
    expect(pool.totalCount - pool.idleCount, 'database connections still checked out after the fuzz').to.equal(0);
  });
});
