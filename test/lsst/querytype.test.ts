import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { expect } from 'chai';
import { testDatabase } from '../support/database.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { errorMiddleware } from '../../src/http/error-table.js';
import { errorStyleMiddleware } from '../../src/http/error-style.js';
import { renderDaliError } from '../../src/ivoa/dali/error-document.js';
import { querytypeRoutes } from '../../src/lsst/querytype-routes.js';
import { CatalogCache, loadCatalog, type Catalog } from '../../src/catalog/query-catalog.js';
import { parseAdql } from '../../src/adql/parser.js';
import { validate } from '../../src/adql/validator.js';
import { translate } from '../../src/adql/translator.js';
import { queryPlan, type QueryPlanReport } from '../../src/adql/query-plan.js';

const CONE = 'SELECT objectId, ra, decl FROM DC_W13_Stripe82.Object WHERE 1 = CONTAINS(POINT(ra, decl), CIRCLE(0.05, 0.0, 0.1))';

/** The plan of a query without EXPLAIN. */
function plan(catalog: Catalog, adql: string): QueryPlanReport {
  const v = validate(parseAdql(adql), catalog);
  return queryPlan(v, translate(v, { maxrec: 1000 }));
}

describe('querytype (/db/v0/tap/querytype, DB3)', () => {
  let url: string;
  let server: http.Server;
  let catalog: Catalog;
  before(async () => {
    const { db } = await testDatabase();
    catalog = await loadCatalog(db, { user: null });
    const app = new Koa();
    app.silent = true;
    app.use(errorStyleMiddleware([{ prefixes: ['/db/v0/tap'], render: renderDaliError }]));
    app.use(errorMiddleware(createLogger('silent')));
    app.use(querytypeRoutes('/db/v0/tap', loadConfig({ LOG_FORMAT: 'silent' }), db, new CatalogCache(db)).routes());
    server = http.createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/db/v0/tap/querytype`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function querytype(adql: string, extra: Record<string, string> = {}): Promise<QueryPlanReport> {
    const res = await fetch(`${url}?${new URLSearchParams({ QUERY: adql, ...extra })}`, { headers: { accept: 'application/json' } });
    expect(res.status, await res.clone().text()).to.equal(200);
    return ((await res.json()) as { result: QueryPlanReport }).result;
  }

  it('reports a cone as a cone search through the HEALPix index, with its centre, radius and ranges', async () => {
    const r = await querytype(CONE);
    expect(r.kind).to.equal('cone search');
    expect(r.tables).to.deep.equal(['DC_W13_Stripe82.Object']);
    expect(r.spatial).to.have.length(1);
    const s = r.spatial[0]!;
    expect(s).to.include({ table: 'DC_W13_Stripe82.Object', shape: 'circle', radius: 0.1, indexUsed: true });
    expect(s.centre).to.deep.equal([0.05, 0]);
    expect(s.healpix!.order).to.be.within(5, 12);
    expect(s.healpix!.ranges).to.be.within(1, 40);
    const scan = r.estimate!.scans.find((x) => x.table === 'DC_W13_Stripe82.Object')!;
    expect(scan.healpix).to.equal(true);
    expect(scan.method).to.match(/Index|Bitmap/);
    expect(r.estimate!.rows).to.be.greaterThan(0);
    expect(r.estimate!.cost).to.be.greaterThan(0);
  });

  it('takes the query by POST too (form-encoded), as the README tour sends it', async () => {
    const res = await fetch(url, { method: 'POST', headers: { accept: 'application/json' }, body: new URLSearchParams({ QUERY: CONE }) });
    expect(res.status, await res.clone().text()).to.equal(200);
    const r = ((await res.json()) as { result: QueryPlanReport }).result;
    expect(r.kind).to.equal('cone search');
    expect(r.tables).to.deep.equal(['DC_W13_Stripe82.Object']);
  });

  it('tells a negated cone from a cone: no index, so a full scan', async () => {
    const r = await querytype('SELECT objectId FROM DC_W13_Stripe82.Object WHERE 0 = CONTAINS(POINT(ra, decl), CIRCLE(0.05, 0.0, 0.1))');
    expect(r.kind).to.equal('full scan');
    expect(r.spatial[0]).to.include({ shape: 'circle', healpix: null, indexUsed: false });
    expect(r.estimate!.scans[0]!.healpix).to.equal(false);
  });

  it('reports polygons and boxes as region searches with their vertices', async () => {
    const box = plan(catalog, "SELECT objectId FROM DC_W13_Stripe82.Object WHERE 1 = CONTAINS(POINT('ICRS', ra, decl), BOX('ICRS', 330.0, 0.0, 1.0, 0.5))");
    expect(box.kind).to.equal('region search');
    expect(box.spatial[0]!.shape).to.equal('box');
    expect(box.spatial[0]!.vertices).to.deep.equal([
      [329.5, -0.25],
      [330.5, -0.25],
      [330.5, 0.25],
      [329.5, 0.25],
    ]);
    const poly = plan(catalog, 'SELECT objectId FROM DC_W13_Stripe82.Object WHERE 1 = CONTAINS(POINT(ra, decl), POLYGON(359.8, -0.5, 0.3, -0.5, 0.05, 0.6))');
    expect(poly.spatial[0]).to.include({ shape: 'polygon' });
    expect(poly.spatial[0]!.healpix!.ranges).to.be.greaterThan(0);
  });

  it('reports a join with both tables, each scan named', async () => {
    const r = await querytype(
      'SELECT o.objectId, s.sourceId FROM DC_W13_Stripe82.Object AS o JOIN DC_W13_Stripe82.Source AS s ON s.objectId = o.objectId WHERE o.rPsfMag < 18',
    );
    expect(r.kind).to.equal('join');
    expect(r.tables).to.have.members(['DC_W13_Stripe82.Object', 'DC_W13_Stripe82.Source']);
    expect(r.estimate!.scans.map((s) => s.table)).to.include.members(['DC_W13_Stripe82.Object', 'DC_W13_Stripe82.Source']);
    expect(r.spatial).to.deep.equal([]);
  });

  it('plans queries of TAP_SCHEMA, which is seen through per-caller views', async () => {
    const r = await querytype(
      'SELECT t.table_name, COUNT(*) AS n FROM TAP_SCHEMA.tables AS t JOIN TAP_SCHEMA.columns AS c ON c.table_name = t.table_name GROUP BY t.table_name',
    );
    expect(r.kind).to.equal('join');
    expect(r.features).to.include('aggregate');
    expect(r.tables).to.have.members(['TAP_SCHEMA.tables', 'TAP_SCHEMA.columns']);
    expect(r.estimate!.cost).to.be.greaterThan(0);
  });

  it('reports a crossmatch: the index of one table probed from the other', async () => {
    const r = await querytype(
      'SELECT o.objectId, s.sourceId FROM DC_W13_Stripe82.Object AS o JOIN DC_W13_Stripe82.Source AS s ON 1 = CONTAINS(POINT(s.ra, s.decl), CIRCLE(o.ra, o.decl, 1.0 / 3600))',
    );
    expect(r.kind).to.equal('crossmatch');
    expect(r.features).to.include('join');
    const x = r.spatial[0]!;
    expect(x.shape).to.equal('crossmatch');
    expect(x.radius).to.be.closeTo(1 / 3600, 1e-12);
    // In the sample, Object (20,000 rows) is larger than Source, so Source rows probe its index.
    expect(x).to.include({ table: 'DC_W13_Stripe82.Object', probedFrom: 'DC_W13_Stripe82.Source', indexUsed: true });
    expect(x.healpix!.ranges).to.equal(9);
  });

  it('reports an aggregate, and a key lookup as a point lookup', async () => {
    const agg = await querytype('SELECT FLOOR(rPsfMag * 2) / 2 AS mag_bin, COUNT(*) AS n FROM DC_W13_Stripe82.Object GROUP BY FLOOR(rPsfMag * 2) / 2');
    expect(agg.kind).to.equal('aggregate');
    expect(agg.features).to.deep.equal(['aggregate', 'full scan']);
    const lookup = await querytype('SELECT * FROM DC_W13_Stripe82.Object WHERE objectId = 1398579058147329');
    expect(lookup.kind).to.equal('point lookup');
    expect(lookup.lookups).to.deep.equal([{ table: 'DC_W13_Stripe82.Object', column: 'objectId' }]);
    expect(lookup.estimate!.rows).to.be.at.most(2);
    expect(lookup.estimate!.scans[0]!.method).to.match(/Index/);
    const scan = await querytype('SELECT objectId FROM DC_W13_Stripe82.Object WHERE rPsfMag < 20');
    expect(scan.kind).to.equal('full scan');
    expect(scan.estimate!.scans[0]!.method).to.equal('Seq Scan');
  });

  it('honours MAXREC in the estimate, and answers CSV on request', async () => {
    const r = await querytype('SELECT objectId FROM DC_W13_Stripe82.Object', { MAXREC: '5' });
    expect(r.estimate!.rows).to.equal(6);
    const csv = await fetch(`${url}?${new URLSearchParams({ QUERY: CONE, format: 'csv' })}`);
    expect(csv.status).to.equal(200);
    expect(csv.headers.get('content-type')).to.match(/^text\/csv/);
    const text = await csv.text();
    expect(text).to.match(/^name,value/);
    expect(text).to.match(/\nkind,cone search/);
  });

  for (const [what, query, pattern] of [
    ['a syntax error, with its line and column', 'SELECT TOP 5 *\nFORM DC_W13_Stripe82.Object', /line 2, column 1/],
    ['an unknown table', 'SELECT * FROM DC_W13_Stripe82.Objekt', /Objekt/],
    ['a PostgreSQL function', 'SELECT pg_sleep(5) FROM DC_W13_Stripe82.Object', /pg_sleep/],
  ] as const) {
    it(`answers ${what} with a DALI error document and 400`, async () => {
      const res = await fetch(`${url}?${new URLSearchParams({ QUERY: query })}`);
      expect(res.status).to.equal(400);
      const xml = await res.text();
      expect(xml).to.match(/<INFO name="QUERY_STATUS" value="ERROR">/);
      expect(xml).to.match(pattern);
    });
  }

  it('answers a missing QUERY with a DALI error', async () => {
    const res = await fetch(url);
    expect(res.status).to.equal(400);
    expect(await res.text()).to.match(/QUERY/);
  });
});
