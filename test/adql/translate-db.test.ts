/**
 * Translations executed on PostgreSQL against the sample data, with every answer checked
 * against an independent brute-force computation in JS over the whole table.
 */
import { expect } from 'chai';
import { testDatabase, freshDatabase } from '../support/database.js';
import type { Database } from '../../src/storage/database.js';
import { loadCatalog, type Catalog } from '../../src/catalog/query-catalog.js';
import { parseAdql } from '../../src/adql/parser.js';
import { validate } from '../../src/adql/validator.js';
import { translate } from '../../src/adql/translator.js';
import { makePolygon, polygonContains } from '../../src/healpix/polygon.js';
import { radecToVec } from '../../src/healpix/sphere.js';
import { ang2pix } from '../../src/healpix/nested.js';
import { createDatabase, loadTable } from '../../src/ingest/loader.js';
import { random as seeded } from './seeded.js';

interface Obj {
  objectId: bigint;
  ra: number;
  decl: number;
}

/** Great-circle distance in degrees (Vincenty form: an independent formula from the SQL's haversine). */
function sep(ra1: number, d1: number, ra2: number, d2: number): number {
  const r = Math.PI / 180;
  const dl = (ra2 - ra1) * r;
  const [s1, c1, s2, c2] = [Math.sin(d1 * r), Math.cos(d1 * r), Math.sin(d2 * r), Math.cos(d2 * r)];
  const num = Math.hypot(c2 * Math.sin(dl), c1 * s2 - s1 * c2 * Math.cos(dl));
  return Math.atan2(num, s1 * s2 + c1 * c2 * Math.cos(dl)) / r;
}

async function run(db: Database, catalog: Catalog, adql: string, maxrec?: number): Promise<unknown[][]> {
  const t = translate(validate(parseAdql(adql), catalog), { maxrec });
  const rows: unknown[][] = [];
  for await (const batch of db.streamReadOnly(t.sql, t.params, { timeoutMs: 60_000 })) rows.push(...batch);
  return rows;
}

/** Ids of objects within r of a centre, leaving out the ones within 1e-9 deg of the edge. */
function cone(objs: Obj[], ra: number, dec: number, r: number): { inside: Set<bigint>; edge: Set<bigint> } {
  const inside = new Set<bigint>();
  const edge = new Set<bigint>();
  for (const o of objs) {
    const d = sep(ra, dec, o.ra, o.decl);
    if (Math.abs(d - r) < 1e-9) edge.add(o.objectId);
    else if (d < r) inside.add(o.objectId);
  }
  return { inside, edge };
}

function expectSameIds(got: bigint[], want: { inside: Set<bigint>; edge: Set<bigint> }): void {
  const g = new Set(got.filter((x) => !want.edge.has(x)));
  expect(g.size).to.equal(want.inside.size);
  for (const id of want.inside) expect(g.has(id), `missing ${id}`).to.equal(true);
}

describe('ADQL translations on PostgreSQL (sample data)', function () {
  this.timeout(120_000);
  let db: Database;
  let catalog: Catalog;
  let objects: Obj[];
  let sources: Array<Obj & { sourceId: bigint; filterName: string }>;

  before(async () => {
    ({ db } = await testDatabase());
    catalog = await loadCatalog(db, { user: null });
    objects = await db.query<Obj & Record<string, unknown>>('SELECT "objectId", ra, decl FROM "DC_W13_Stripe82"."Object"');
    sources = await db.query<Obj & { sourceId: bigint; filterName: string } & Record<string, unknown>>(
      'SELECT "sourceId", "objectId", ra, decl, "filterName" FROM "DC_W13_Stripe82"."Source"',
    );
  });

  it('loads the catalog in a few milliseconds, with positions and no hidden columns', async () => {
    const t0 = performance.now();
    const c = await loadCatalog(db, { user: null });
    const ms = performance.now() - t0;
    expect(ms).to.be.below(200);
    const [obj] = c.find(null, { name: 'DC_W13_Stripe82.Object', delimited: true });
    expect(obj!.position).to.deep.equal({ ra: 'ra', dec: 'decl', hpx: 'vodax_hpx' });
    expect(obj!.columns.map((x) => x.name)).to.not.include('vodax_hpx');
    expect(c.find({ name: 'tap_schema', delimited: false }, { name: 'TABLES', delimited: false })).to.have.length(1);
  });

  it('cone search straddling RA 0 returns exactly the objects within the radius', async () => {
    const rows = await run(db, catalog, 'SELECT objectId FROM DC_W13_Stripe82.Object WHERE CONTAINS(POINT(ra, decl), CIRCLE(0.02, 0.1, 0.3)) = 1');
    const want = cone(objects, 0.02, 0.1, 0.3);
    expect(want.inside.size).to.be.above(20);
    const ras = objects.filter((o) => want.inside.has(o.objectId)).map((o) => o.ra);
    expect(Math.max(...ras)).to.be.above(300);
    expect(Math.min(...ras)).to.be.below(1);
    expectSameIds(rows.map((r) => r[0] as bigint), want);
  });

  it('a 3 degree cone, written as DISTANCE < r, matches brute force', async () => {
    const rows = await run(db, catalog, 'SELECT o.objectId FROM DC_W13_Stripe82.Object AS o WHERE DISTANCE(POINT(o.ra, o.decl), POINT(358.5, -0.5)) < 3');
    const want = cone(objects, 358.5, -0.5, 3);
    expect(want.inside.size).to.be.above(500);
    expectSameIds(rows.map((r) => r[0] as bigint), want);
  });

  it('a cone written 1 = CONTAINS(...) with a centre at RA 359.99 matches brute force', async () => {
    const rows = await run(db, catalog, "SELECT objectId FROM DC_W13_Stripe82.Object WHERE 1 = CONTAINS(POINT('ICRS', ra, decl), CIRCLE('ICRS', 359.99, 0, 0.2))");
    expectSameIds(rows.map((r) => r[0] as bigint), cone(objects, 359.99, 0, 0.2));
  });

  it('CONTAINS(...) = 0 returns the complement', async () => {
    const rows = await run(db, catalog, 'SELECT COUNT(*) FROM DC_W13_Stripe82.Object WHERE CONTAINS(POINT(ra, decl), CIRCLE(10, 0, 1)) = 0');
    const inside = cone(objects, 10, 0, 1);
    expect(Number(rows[0]![0])).to.be.within(objects.length - inside.inside.size - inside.edge.size, objects.length - inside.inside.size);
  });

  it('a concave polygon across RA 0 matches a brute-force point-in-polygon test', async () => {
    const verts: Array<[number, number]> = [[359, -1], [1.5, -1], [1.5, 1], [0.5, 0], [359, 1]];
    const list = verts.flat().join(', ');
    const rows = await run(db, catalog, `SELECT objectId FROM DC_W13_Stripe82.Object WHERE CONTAINS(POINT(ra, decl), POLYGON(${list})) = 1`);
    const poly = makePolygon(verts);
    const want = new Set(objects.filter((o) => polygonContains(poly, radecToVec(o.ra, o.decl))).map((o) => o.objectId));
    expect(want.size).to.be.above(100);
    expect(new Set(rows.map((r) => r[0] as bigint))).to.deep.equal(want);
  });

  it('a BOX is the polygon of its corners', async () => {
    const rows = await run(db, catalog, 'SELECT objectId FROM DC_W13_Stripe82.Object WHERE CONTAINS(POINT(ra, decl), BOX(0.25, 0.25, 1, 0.5)) = 1');
    const poly = makePolygon([[-0.25, 0], [0.75, 0], [0.75, 0.5], [-0.25, 0.5]]);
    const want = new Set(objects.filter((o) => polygonContains(poly, radecToVec(o.ra, o.decl))).map((o) => o.objectId));
    expect(want.size).to.be.above(50);
    expect(new Set(rows.map((r) => r[0] as bigint))).to.deep.equal(want);
  });

  it('crossmatch Object x Source within 1 arcsec equals brute force, with either spelling', async () => {
    const r = 1 / 3600;
    const byDec = [...sources].sort((a, b) => a.decl - b.decl);
    const want = new Set<string>();
    for (const o of objects) {
      let lo = 0;
      let hi = byDec.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (byDec[mid]!.decl < o.decl - r) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < byDec.length && byDec[i]!.decl <= o.decl + r; i++) {
        const s = byDec[i]!;
        if (sep(o.ra, o.decl, s.ra, s.decl) < r) want.add(`${o.objectId}:${s.sourceId}`);
      }
    }
    expect(want.size).to.be.above(1000);
    const queries = [
      'SELECT o.objectId, s.sourceId FROM DC_W13_Stripe82.Object AS o, DC_W13_Stripe82.Source AS s WHERE DISTANCE(POINT(o.ra, o.decl), POINT(s.ra, s.decl)) < 1.0/3600',
      'SELECT o.objectId, s.sourceId FROM DC_W13_Stripe82.Object o JOIN DC_W13_Stripe82.Source s ON 1 = CONTAINS(POINT(s.ra, s.decl), CIRCLE(o.ra, o.decl, 1/3600.))',
    ];
    for (const q of queries) {
      const rows = await run(db, catalog, q);
      const got = rows.map((x) => `${x[0]}:${x[1]}`);
      expect(got.length).to.equal(new Set(got).size);
      expect(new Set(got)).to.deep.equal(want);
    }
    const sql = translate(validate(parseAdql(queries[0]!), catalog)).sql;
    expect(sql).to.match(/LATERAL vodax\.hpx_neighbours/);
  });

  it('EXPLAIN of a 0.1 degree cone search shows an index scan on vodax_hpx', async () => {
    const t = translate(validate(parseAdql('SELECT * FROM DC_W13_Stripe82.Object WHERE CONTAINS(POINT(ra, decl), CIRCLE(10, 0, 0.1)) = 1'), catalog));
    const plan = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${t.sql}`, t.params)).map((r) => r['QUERY PLAN']).join('\n');
    // An Index Scan since tables are stored in HEALPix order (a bitmap scan before).
    expect(plan, plan).to.match(/(Bitmap Index Scan on|Index Scan using) "?\S*vodax_hpx/);
  });

  it('the README cone query reads the vodax_hpx index (EXPLAIN) and returns objects within the radius', async () => {
    const adql = "SELECT TOP 5 objectId, ra, decl, rPsfMag FROM DC_W13_Stripe82.Object WHERE 1 = CONTAINS(POINT('ICRS', ra, decl), CIRCLE('ICRS', 0.05, 0, 0.1))";
    // With TOP 5 over the small sample PostgreSQL may rather scan until 5 rows match; without
    // the limit, the plan must read the index ranges.
    const t = translate(validate(parseAdql(adql.replace('TOP 5 ', '')), catalog));
    const plan = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${t.sql}`, t.params)).map((r) => r['QUERY PLAN']).join('\n');
    // An Index Scan since tables are stored in HEALPix order (a bitmap scan before).
    expect(plan, plan).to.match(/(Bitmap Index Scan on|Index Scan using) "?\S*vodax_hpx/);
    expect(await run(db, catalog, adql)).to.have.length(5);
    const rows = await run(db, catalog, adql.replace('TOP 5 ', ''));
    expectSameIds(rows.map((r) => r[0] as bigint), cone(objects, 0.05, 0, 0.1));
  });

  it('cones of every size match brute force: radius 0 on an object, tiny, across RA 0, 90 degrees and more', async () => {
    const o = objects[17]!;
    const exact = await run(db, catalog, `SELECT objectId FROM DC_W13_Stripe82.Object WHERE 1 = CONTAINS(POINT(ra, decl), CIRCLE(${o.ra}, ${o.decl}, 0))`);
    expect(exact.map((r) => r[0])).to.include(o.objectId);
    const cases: Array<[number, number, number]> = [
      [o.ra, o.decl, 1e-7],
      [o.ra, o.decl, 2 / 3600],
      [359.999, 0.01, 0.05],
      [0.001, -0.2, 0.7],
      [180, 0, 90],
      [10, 45, 95],
      [200, -30, 150],
    ];
    for (const [ra, dec, r] of cases) {
      const rows = await run(db, catalog, `SELECT objectId FROM DC_W13_Stripe82.Object WHERE 1 = CONTAINS(POINT(ra, decl), CIRCLE(${ra}, ${dec}, ${r}))`);
      expectSameIds(rows.map((x) => x[0] as bigint), cone(objects, ra, dec, r));
    }
  });

  it('EXPLAIN of the crossmatch probes the larger table\'s index from each row of the smaller', async () => {
    const t = translate(validate(parseAdql('SELECT o.objectId, s.sourceId FROM DC_W13_Stripe82.Object o, DC_W13_Stripe82.Source s WHERE DISTANCE(POINT(o.ra, o.decl), POINT(s.ra, s.decl)) < 0.0003'), catalog));
    const plan = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${t.sql}`, t.params)).map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).to.match(/Function Scan on hpx_neighbours/);
    // An Index Scan since tables are stored in HEALPix order (a bitmap scan before).
    expect(plan, plan).to.match(/(Bitmap Index Scan on|Index Scan using) "?\S*vodax_hpx/);
  });

  it('TOP, ORDER BY and OFFSET select the same rows as a sorted slice; MAXREC reads one extra row', async () => {
    const sorted = [...objects].sort((a, b) => (a.objectId < b.objectId ? -1 : 1));
    const rows = await run(db, catalog, 'SELECT TOP 7 objectId FROM DC_W13_Stripe82.Object ORDER BY objectId OFFSET 100');
    expect(rows.map((r) => r[0])).to.deep.equal(sorted.slice(100, 107).map((o) => o.objectId));
    const capped = await run(db, catalog, 'SELECT objectId FROM DC_W13_Stripe82.Object', 10);
    expect(capped).to.have.length(11);
    const top = await run(db, catalog, 'SELECT TOP 3 objectId FROM DC_W13_Stripe82.Object', 10);
    expect(top).to.have.length(3);
  });

  it('ILIKE, LIKE with ESCAPE, and string parameters', async () => {
    const rows = await run(db, catalog, "SELECT COUNT(*) FROM DC_W13_Stripe82.Source WHERE filterName ILIKE 'R'");
    expect(Number(rows[0]![0])).to.equal(sources.filter((s) => s.filterName === 'r').length);
    const like = await run(db, catalog, "SELECT COUNT(*) FROM DC_W13_Stripe82.Source WHERE filterName LIKE 'r' OR filterName LIKE '\\%'");
    expect(Number(like[0]![0])).to.equal(sources.filter((s) => s.filterName === 'r').length);
    const tricky = await run(db, catalog, "SELECT COUNT(*) FROM DC_W13_Stripe82.Source WHERE filterName = 'r'' OR ''1''=''1'");
    expect(Number(tricky[0]![0])).to.equal(0);
  });

  it('GROUP BY, HAVING and aggregates agree with JS', async () => {
    const rows = await run(
      db,
      catalog,
      'SELECT filterName, COUNT(*) AS n, AVG(ra) FROM DC_W13_Stripe82.Source GROUP BY filterName HAVING COUNT(*) > 10 ORDER BY n DESC, filterName',
    );
    const counts = new Map<string, number>();
    for (const s of sources) counts.set(s.filterName, (counts.get(s.filterName) ?? 0) + 1);
    const want = [...counts].filter(([, n]) => n > 10).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    expect(rows.map((r) => [r[0], Number(r[1])])).to.deep.equal(want);
    expect(typeof rows[0]![2]).to.equal('number');
  });

  it('UNION, WITH, IN subqueries, EXISTS and derived tables', async () => {
    const a = await run(db, catalog, 'SELECT objectId FROM DC_W13_Stripe82.Object WHERE ra < 1 UNION SELECT objectId FROM DC_W13_Stripe82.Object WHERE ra > 359');
    expect(a.length).to.equal(objects.filter((o) => o.ra < 1 || o.ra > 359).length);
    const w = await run(db, catalog, 'WITH near AS (SELECT objectId, ra FROM DC_W13_Stripe82.Object WHERE ra BETWEEN 1 AND 2) SELECT COUNT(*) FROM near');
    expect(Number(w[0]![0])).to.equal(objects.filter((o) => o.ra >= 1 && o.ra <= 2).length);
    const withSources = new Set(sources.map((s) => s.objectId));
    const i = await run(db, catalog, 'SELECT COUNT(*) FROM DC_W13_Stripe82.Object o WHERE o.objectId IN (SELECT s.objectId FROM DC_W13_Stripe82.Source s)');
    expect(Number(i[0]![0])).to.equal(objects.filter((o) => withSources.has(o.objectId)).length);
    const e = await run(db, catalog, 'SELECT COUNT(*) FROM DC_W13_Stripe82.Object o WHERE NOT EXISTS (SELECT 1 FROM DC_W13_Stripe82.Source s WHERE s.objectId = o.objectId)');
    expect(Number(e[0]![0])).to.equal(objects.filter((o) => !withSources.has(o.objectId)).length);
    const d = await run(db, catalog, 'SELECT MAX(x.n) FROM (SELECT objectId, COUNT(*) AS n FROM DC_W13_Stripe82.Source GROUP BY objectId) AS x');
    const per = new Map<bigint, number>();
    for (const s of sources) per.set(s.objectId, (per.get(s.objectId) ?? 0) + 1);
    expect(Number(d[0]![0])).to.equal(Math.max(...per.values()));
  });

  it('computed result columns come back in the declared datatypes', async () => {
    const adql =
      "SELECT TOP 1 COUNT(*) AS n, SUM(nSources) AS s, AVG(nSources) AS a, 1 + 2 AS three, 7 / 2 AS half, POINT(ra, decl) AS p, CIRCLE(ra, decl, 0.1) AS c, DISTANCE(POINT(ra, decl), POINT(0, 0)) AS d, 'x' || objectId AS label, ROUND(ra, 2) AS r2, objectId & 255 AS low, IN_UNIT(raSigma, 'mas') AS sig FROM DC_W13_Stripe82.Object GROUP BY objectId, ra, decl, raSigma";
    const t = translate(validate(parseAdql(adql), catalog));
    const stream = db.streamReadOnly(t.sql, t.params);
    const rows: unknown[][] = [];
    for await (const b of stream) rows.push(...b);
    const oids = stream.fields().map((f) => f.dataTypeID);
    // int8, int8, float8, int4, int4, float8[], float8[], float8, text, float8, int8, float8
    expect(oids).to.deep.equal([20, 20, 701, 23, 23, 1022, 1022, 701, 25, 701, 20, 701]);
    expect(t.columns.map((c) => c.datatype)).to.deep.equal(['long', 'long', 'double', 'int', 'int', 'double', 'double', 'double', 'char', 'double', 'long', 'double']);
    expect(rows[0]![4]).to.equal(3);
    const [, , , , , p, c, d] = rows[0]! as [unknown, unknown, unknown, unknown, unknown, number[], number[], number];
    expect(p).to.have.length(2);
    expect(c[2]).to.equal(0.1);
    expect(d).to.be.closeTo(sep(p[0]!, p[1]!, 0, 0), 1e-9);
  });

  it('geometry functions: AREA, CENTROID, COORD1/2, INTERSECTS and polygon containment are right', async () => {
    const rows = await run(
      db,
      catalog,
      'SELECT TOP 1 AREA(CIRCLE(10, 20, 1)), AREA(POLYGON(0, 0, 1, 0, 1, 1, 0, 1)), COORD1(CENTROID(CIRCLE(359.5, 89.9, 2))), COORD2(POINT(5, 6)), ' +
        'INTERSECTS(CIRCLE(0, 0, 1), CIRCLE(1.9, 0, 1)), INTERSECTS(CIRCLE(0, 0, 1), CIRCLE(2.1, 0, 1)), ' +
        'INTERSECTS(CIRCLE(359.5, 0, 0.6), POLYGON(0, -1, 1, -1, 1, 1, 0, 1)), CONTAINS(CIRCLE(0.5, 0, 0.2), POLYGON(0, -1, 1, -1, 1, 1, 0, 1)), CONTAINS(CIRCLE(0.9, 0, 0.2), POLYGON(0, -1, 1, -1, 1, 1, 0, 1)), ' +
        'CONTAINS(POLYGON(0.4, -0.1, 0.6, -0.1, 0.5, 0.1), POLYGON(0, -1, 1, -1, 1, 1, 0, 1)), INTERSECTS(POLYGON(0.5, 0.5, 2, 0.5, 2, 2), POLYGON(0, 0, 1, 0, 1, 1, 0, 1)), ' +
        'CONTAINS(POINT(45, 89.99), POLYGON(0, 89.9, 120, 89.9, 240, 89.9)), CONTAINS(POINT(100, 89.8), POLYGON(0, 89.9, 120, 89.9, 240, 89.9)) FROM DC_W13_Stripe82.Object',
    );
    const [circleArea, squareArea, c1, c2, i1, i2, i3, c3, c3b, c4, i4, pole1, pole2] = rows[0]!;
    expect(circleArea).to.be.closeTo(2 * Math.PI * (1 - Math.cos(Math.PI / 180)) * (180 / Math.PI) ** 2, 1e-9);
    expect(squareArea).to.be.closeTo(1, 1e-3);
    expect(c1).to.equal(359.5);
    expect(c2).to.equal(6);
    expect([i1, i2, i3, c3, c3b, c4, i4, pole1, pole2]).to.deep.equal([1, 0, 1, 1, 0, 1, 1, 1, 0]);
  });

  it('TAP_SCHEMA is queryable and timestamps compare with string literals', async () => {
    const rows = await run(db, catalog, "SELECT table_name FROM TAP_SCHEMA.tables WHERE schema_name = 'DC_W13_Stripe82' ORDER BY table_name");
    expect(rows.map((r) => r[0])).to.include('DC_W13_Stripe82.Object');
    const ts = await run(db, catalog, "SELECT COUNT(*) FROM DC_W13_Stripe82.Science_Ccd_Exposure WHERE obsStart > '1990-01-01T00:00:00'");
    expect(Number(ts[0]![0])).to.be.above(0);
  });

  it('the HEALPix neighbourhood holds every match of a crossmatch radius, across faces and at the poles', async () => {
    const rnd = seeded(7);
    const order = 8;
    const r = 58.6 / 2 ** order / 6;
    const pairs: Array<[bigint, bigint]> = [];
    for (let i = 0; i < 3000; i++) {
      // Half of the points near the poles and the face corners at dec ±41.8 and 0.
      const band = [89.9, -89.9, 41.81, -41.81, 0, 60][i % 6]!;
      const ra = rnd() * 360;
      const dec = Math.max(-90, Math.min(90, band + (rnd() - 0.5) * 0.6));
      const bearing = rnd() * 2 * Math.PI;
      const d = rnd() * r;
      // Destination point at distance d along the bearing.
      const [p, q] = [dec * (Math.PI / 180), ra * (Math.PI / 180)];
      const dd = d * (Math.PI / 180);
      const lat2 = Math.asin(Math.sin(p) * Math.cos(dd) + Math.cos(p) * Math.sin(dd) * Math.cos(bearing));
      const lon2 = q + Math.atan2(Math.sin(bearing) * Math.sin(dd) * Math.cos(p), Math.cos(dd) - Math.sin(p) * Math.sin(lat2));
      const ra2 = (((lon2 * 180) / Math.PI) % 360 + 360) % 360;
      pairs.push([ang2pix(29, ra, dec), ang2pix(order, ra2, (lat2 * 180) / Math.PI)]);
    }
    const res = await db.query<{ ok: number }>(
      `SELECT count(*)::int AS ok FROM unnest($1::bigint[], $2::bigint[]) AS x(a, b)
       WHERE x.b IN (SELECT vodax.hpx_neighbours(x.a, ${order}))`,
      [pairs.map((p) => p[0].toString()), pairs.map((p) => p[1].toString())],
    );
    expect(res[0]!.ok).to.equal(pairs.length);
  });
});

describe('ADQL translations near the poles (own database)', function () {
  this.timeout(120_000);
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let catalog: Catalog;
  const pts: Obj[] = [];
  const others: Obj[] = [];

  before(async () => {
    fresh = await freshDatabase();
    const rnd = seeded(42);
    for (let i = 0; i < 4000; i++) pts.push({ objectId: BigInt(i), ra: rnd() * 360, decl: 87 + rnd() * 3 });
    for (let i = 0; i < 4000; i++) {
      const base = pts[i % pts.length]!;
      others.push({ objectId: BigInt(i), ra: (base.ra + (rnd() - 0.5) * 0.02 + 360) % 360, decl: Math.min(90, base.decl + (rnd() - 0.5) * 0.0005) });
    }
    const meta = (name: string) => ({
      name,
      columns: [
        { name: 'id', datatype: 'long' as const },
        { name: 'ra', datatype: 'double' as const, unit: 'deg' },
        { name: 'decl', datatype: 'double' as const, unit: 'deg' },
      ],
      position: { ra: 'ra', dec: 'decl' },
    });
    await fresh.db.transaction(async (client) => {
      await createDatabase(client, { name: 'polar', level: 'dev', owner: 'test', description: '', annotations: {} });
      await loadTable(client, 'polar', { meta: meta('A'), rows: pts.map((p) => [p.objectId, p.ra, p.decl]) });
      await loadTable(client, 'polar', { meta: meta('B'), rows: others.map((p) => [p.objectId, p.ra, p.decl]) });
    });
    catalog = await loadCatalog(fresh.db, { user: null });
  });

  after(async () => {
    await fresh?.drop();
  });

  it('a cone around the pole and one beside it match brute force', async () => {
    for (const [ra, dec, r] of [[0, 90, 1.5], [200, 88.5, 1]] as const) {
      const rows = await run(fresh.db, catalog, `SELECT id FROM polar.A WHERE CONTAINS(POINT(ra, decl), CIRCLE(${ra}, ${dec}, ${r})) = 1`);
      const want = cone(pts, ra, dec, r);
      expect(want.inside.size).to.be.above(100);
      expectSameIds(rows.map((x) => x[0] as bigint), want);
    }
  });

  it('a polygon around the pole matches brute force', async () => {
    const verts: Array<[number, number]> = [[0, 88], [90, 88], [180, 88], [270, 88]];
    const rows = await run(fresh.db, catalog, `SELECT id FROM polar.A WHERE CONTAINS(POINT(ra, decl), POLYGON(${verts.flat().join(', ')})) = 1`);
    const poly = makePolygon(verts);
    const want = new Set(pts.filter((o) => polygonContains(poly, radecToVec(o.ra, o.decl))).map((o) => o.objectId));
    expect(want.size).to.be.above(1000);
    expect(new Set(rows.map((x) => x[0] as bigint))).to.deep.equal(want);
  });

  it('a crossmatch near the pole matches brute force', async () => {
    const r = 2 / 3600;
    const rows = await run(fresh.db, catalog, `SELECT a.id, b.id FROM polar.A a, polar.B b WHERE DISTANCE(POINT(a.ra, a.decl), POINT(b.ra, b.decl)) <= ${r}`);
    const want = new Set<string>();
    for (const a of pts) for (const b of others) if (Math.abs(a.decl - b.decl) <= r && sep(a.ra, a.decl, b.ra, b.decl) <= r) want.add(`${a.objectId}:${b.objectId}`);
    expect(want.size).to.be.above(100);
    expect(new Set(rows.map((x) => `${x[0]}:${x[1]}`))).to.deep.equal(want);
  });
});
