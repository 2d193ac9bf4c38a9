/**
 * Region columns (xtype adql:REGION, STC-S text, as ObsCore's s_region) on PostgreSQL: every
 * geometry use of one answers as brute force in JS says, and exactly as the same footprints
 * stored as a DALI polygon column do; selecting one returns its text; ivoa.obscore publishes
 * image footprints as STC-S that reads back to the same doubles.
 */
import { expect } from 'chai';
import { freshDatabase } from '../support/database.js';
import type { Database } from '../../src/storage/database.js';
import { loadCatalog, type Catalog } from '../../src/catalog/query-catalog.js';
import { parseAdql } from '../../src/adql/parser.js';
import { validate } from '../../src/adql/validator.js';
import { translate, type Translation } from '../../src/adql/translator.js';
import { registerImage } from '../../src/images/image-catalog.js';
import { imageGeometry } from '../../src/images/describe.js';
import type { CelestialWcs } from '../../src/wcs/projections.js';
import { random as seeded } from './seeded.js';

type V3 = [number, number, number];
const R = Math.PI / 180;

const vec = (ra: number, dec: number): V3 => [Math.cos(dec * R) * Math.cos(ra * R), Math.cos(dec * R) * Math.sin(ra * R), Math.sin(dec * R)];
const dot = (a: V3, b: V3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: V3, b: V3): V3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const unit = (a: V3): V3 => {
  const n = Math.hypot(...a);
  return [a[0] / n, a[1] / n, a[2] / n];
};
/** Angle between unit vectors, degrees (atan2 form: accurate at every size). */
const ang = (a: V3, b: V3) => Math.atan2(Math.hypot(...cross(a, b)), dot(a, b)) / R;

/** A convex footprint: a rotated w x h rectangle about (ra, dec) on the tangent plane, with corners jittered. */
function footprint(rnd: () => number, ra: number, dec: number, w: number, h: number): number[] {
  const t = rnd() * Math.PI;
  const out: number[] = [];
  for (const [sx, sy] of [[-1, -1], [1, -1], [1, 1], [-1, 1]] as const) {
    const x = ((sx * w) / 2) * (1 + 0.1 * rnd());
    const y = ((sy * h) / 2) * (1 + 0.1 * rnd());
    const [u, v] = [(x * Math.cos(t) - y * Math.sin(t)) * R, (x * Math.sin(t) + y * Math.cos(t)) * R];
    // Gnomonic deprojection about (ra, dec).
    const c: V3 = vec(ra, dec);
    const e1: V3 = unit(cross([0, 0, 1], c));
    const e2: V3 = cross(c, e1);
    const p = unit([c[0] + u * e1[0] + v * e2[0], c[1] + u * e1[1] + v * e2[1], c[2] + u * e1[2] + v * e2[2]]);
    const pra = ((Math.atan2(p[1], p[0]) / R) % 360 + 360) % 360;
    out.push(pra, Math.asin(p[2]) / R);
  }
  return out;
}

const corners = (poly: number[]): V3[] => Array.from({ length: poly.length / 2 }, (_, i) => vec(poly[2 * i]!, poly[2 * i + 1]!));

/** Convex polygon, counter-clockwise or not: the point is on the inner side of every edge. */
function convexSide(poly: number[], p: V3): number {
  const vs = corners(poly);
  const sign = Math.sign(dot(cross(vs[0]!, vs[1]!), vs[2]!));
  let min = Infinity;
  for (let i = 0; i < vs.length; i++) min = Math.min(min, sign * dot(unit(cross(vs[i]!, vs[(i + 1) % vs.length]!)), p));
  return min; // > 0 inside, < 0 outside; |min| ~ radians to the nearest edge's great circle
}

/** Degrees from p to the polygon's boundary. */
function boundaryDistance(poly: number[], p: V3): number {
  const vs = corners(poly);
  let best = Infinity;
  for (let i = 0; i < vs.length; i++) {
    const [a, b] = [vs[i]!, vs[(i + 1) % vs.length]!];
    const n = unit(cross(a, b));
    const s = dot(p, n);
    const q: V3 = [p[0] - s * n[0], p[1] - s * n[1], p[2] - s * n[2]];
    const within = dot(cross(a, q), n) >= 0 && dot(cross(q, b), n) >= 0;
    best = Math.min(best, within ? Math.asin(Math.min(1, Math.abs(s))) / R : Math.min(ang(p, a), ang(p, b)));
  }
  return best;
}

/** Do two minor arcs cross? Their great circles meet at ±x; one of those lies on both arcs. */
function arcsCross(a: V3, b: V3, c: V3, d: V3): boolean {
  const x = unit(cross(cross(a, b), cross(c, d)));
  for (const y of [x, [-x[0], -x[1], -x[2]] as V3]) {
    if (Math.abs(ang(a, y) + ang(y, b) - ang(a, b)) < 1e-9 && Math.abs(ang(c, y) + ang(y, d) - ang(c, d)) < 1e-9) return true;
  }
  return false;
}

function polygonsMeet(p: number[], q: number[]): boolean {
  if (corners(p).some((v) => convexSide(q, v) > 0) || corners(q).some((v) => convexSide(p, v) > 0)) return true;
  const [a, b] = [corners(p), corners(q)];
  for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) if (arcsCross(a[i]!, a[(i + 1) % a.length]!, b[j]!, b[(j + 1) % b.length]!)) return true;
  return false;
}

/** Area (square degrees) of a convex polygon: a fan of triangles (Van Oosterom and Strackee). */
function area(poly: number[]): number {
  const vs = corners(poly);
  let e = 0;
  for (let i = 1; i + 1 < vs.length; i++) {
    const [a, b, c] = [vs[0]!, vs[i]!, vs[i + 1]!];
    e += 2 * Math.atan2(Math.abs(dot(a, cross(b, c))), 1 + dot(a, b) + dot(b, c) + dot(c, a));
  }
  return e / R / R;
}

interface Row {
  id: number;
  stcs: string | null;
  poly: number[] | null;
}

describe('ADQL region columns (adql:REGION, STC-S text)', function () {
  this.timeout(180_000);
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let db: Database;
  let catalog: Catalog;
  const rows: Row[] = [];
  const points: Array<{ pid: number; ra: number; dec: number; r: number }> = [];

  const translation = (adql: string): Translation => translate(validate(parseAdql(adql), catalog));
  async function run(adql: string): Promise<unknown[][]> {
    const t = translation(adql);
    const out: unknown[][] = [];
    for await (const batch of db.streamReadOnly(t.sql, t.params, { timeoutMs: 120_000 })) out.push(...batch);
    return out;
  }
  const ids = async (adql: string) => new Set((await run(adql)).map((r) => Number(r[0])));
  const pairs = async (adql: string) => new Set((await run(adql)).map((r) => `${r[0]}:${r[1]}`));
  const polys = () => rows.filter((r): r is Row & { poly: number[] } => r.poly !== null);

  before(async () => {
    fresh = await freshDatabase();
    db = fresh.db;
    const rnd = seeded(7);
    // Footprints straddling RA 0 first, then anywhere below |dec| 80.
    const centres: Array<[number, number]> = [[0, 0], [359.95, 0.3], [0.04, -0.2], [0, 45], [359.9, -60]];
    for (let i = centres.length; i < 90; i++) centres.push([rnd() * 360, (rnd() * 2 - 1) * 80]);
    centres.forEach(([ra, dec], i) => {
      const poly = footprint(rnd, ra, dec, 0.05 + rnd() * 1.5, 0.05 + rnd() * 1.5);
      // Spellings STC-S allows: any case, optional frame, reference position and flavour.
      const prefix = ['POLYGON ICRS', 'Polygon ICRS TOPOCENTER SPHERICAL2', 'polygon', 'POLYGON  ICRS'][i % 4];
      rows.push({ id: i, stcs: `${prefix} ${poly.map(String).join(' ')}`, poly });
    });
    // A BOX region is the polygon of its corners; an empty region matches nothing.
    const [bx, by, bw, bh] = [0.1, 0.1, 0.4, 0.3];
    const box = [bx - bw / 2, by - bh / 2, bx + bw / 2, by - bh / 2, bx + bw / 2, by + bh / 2, bx - bw / 2, by + bh / 2];
    rows.push({ id: 900, stcs: `BOX ICRS ${bx} ${by} ${bw} ${bh}`, poly: box });
    rows.push({ id: 901, stcs: null, poly: null });
    // Test points: most inside or near a footprint, some at RA 0.
    for (let i = 0; i < 70; i++) {
      const f = polys()[Math.floor(rnd() * polys().length)]!.poly;
      const k = Math.floor(rnd() * 4);
      const jitter = (rnd() - 0.5) * 0.6;
      points.push({ pid: i, ra: (f[2 * k]! + jitter + 360) % 360, dec: f[2 * k + 1]! + (rnd() - 0.5) * 0.6, r: rnd() * 0.3 });
    }
    points.push({ pid: 500, ra: 0.01, dec: 0, r: 0.01 }, { pid: 501, ra: 359.99, dec: 0.001, r: 0.2 }, { pid: 502, ra: 180, dec: -89, r: 1 });
    await db.transaction(async (c) => {
      await c.query('CREATE SCHEMA regions');
      await c.query('CREATE TABLE regions.fp (id integer, s_region text, poly double precision[])');
      await c.query('CREATE TABLE regions.pt (pid integer, ra double precision, decl double precision, r double precision)');
      for (const r of rows) await c.query('INSERT INTO regions.fp VALUES ($1, $2, $3)', [r.id, r.stcs, r.poly]);
      for (const p of points) await c.query('INSERT INTO regions.pt VALUES ($1, $2, $3, $4)', [p.pid, p.ra, p.dec, p.r]);
      await c.query(`INSERT INTO "TAP_SCHEMA".schemas (schema_name) VALUES ('regions')`);
      await c.query(`INSERT INTO "TAP_SCHEMA".tables (schema_name, table_name, table_type) VALUES ('regions', 'regions.fp', 'table'), ('regions', 'regions.pt', 'table')`);
      await c.query(
        `INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, column_index) VALUES
           ('regions.fp', 'id', 'int', NULL, NULL, NULL, 'meta.id', 0),
           ('regions.fp', 's_region', 'char', '*', 'adql:REGION', NULL, 'pos.outline;obs.field', 1),
           ('regions.fp', 'poly', 'double', '*', 'polygon', 'deg', NULL, 2),
           ('regions.pt', 'pid', 'int', NULL, NULL, NULL, NULL, 0),
           ('regions.pt', 'ra', 'double', NULL, NULL, 'deg', 'pos.eq.ra', 1),
           ('regions.pt', 'decl', 'double', NULL, NULL, 'deg', 'pos.eq.dec', 2),
           ('regions.pt', 'r', 'double', NULL, NULL, 'deg', NULL, 3)`,
      );
    });
    catalog = await loadCatalog(db, { user: null });
  });

  after(async () => {
    await fresh?.drop();
  });

  it('selecting a region returns its STC-S text, declared char/*/adql:REGION', async () => {
    const t = translation('SELECT id, s_region, CAST(s_region AS VARCHAR) AS txt FROM regions.fp ORDER BY id');
    expect(t.columns[1]).to.include({ name: 's_region', datatype: 'char', arraysize: '*', xtype: 'adql:REGION', ucd: 'pos.outline;obs.field' });
    expect(t.columns[2]).to.include({ datatype: 'char', xtype: null });
    const got = await run('SELECT id, s_region, CAST(s_region AS VARCHAR) AS txt FROM regions.fp ORDER BY id');
    expect(got.map((r) => [r[0], r[1], r[2]])).to.deep.equal(rows.map((r) => [r.id, r.stcs, r.stcs]));
  });

  it('CONTAINS(POINT, region) matches brute force, across RA 0, and the same as the polygon column', async () => {
    const want = new Set<string>();
    let ties = 0;
    for (const p of points) {
      for (const r of polys()) {
        const side = convexSide(r.poly, vec(p.ra, p.dec));
        if (Math.abs(side) < 1e-12) ties++;
        else if (side > 0) want.add(`${p.pid}:${r.id}`);
      }
    }
    expect(ties).to.equal(0);
    expect(want.size).to.be.above(20);
    const q = (g: string) => `SELECT p.pid, f.id FROM regions.pt AS p JOIN regions.fp AS f ON 1 = CONTAINS(POINT('ICRS', p.ra, p.decl), f.${g})`;
    expect(await pairs(q('s_region'))).to.deep.equal(want);
    expect(await pairs(q('poly'))).to.deep.equal(want);
    // The footprints straddling RA 0 hold a point just east of it, and one just west.
    const holding = (ra: number, dec: number) => new Set(polys().filter((r) => convexSide(r.poly, vec(ra, dec)) > 0).map((r) => r.id));
    const east = await ids(`SELECT id FROM regions.fp WHERE 1 = CONTAINS(POINT('ICRS', 0.01, 0.0), s_region)`);
    const west = await ids(`SELECT id FROM regions.fp WHERE CONTAINS(POINT(359.99, 0.001), s_region) = 1`);
    expect(east).to.deep.equal(holding(0.01, 0));
    expect(west).to.deep.equal(holding(359.99, 0.001));
    for (const id of [0, 900]) expect(east.has(id) && west.has(id), `footprint ${id}`).to.equal(true);
    expect(await ids(`SELECT id FROM regions.fp WHERE 0 = CONTAINS(POINT(0.01, 0), s_region)`)).to.deep.equal(
      new Set(rows.filter((r) => r.poly !== null && !east.has(r.id)).map((r) => r.id)),
    );
  });

  it('INTERSECTS of a circle and a region, either way round, matches brute force', async () => {
    const want = new Set<string>();
    for (const p of points) {
      for (const r of polys()) {
        const c = vec(p.ra, p.dec);
        const d = boundaryDistance(r.poly, c);
        if (Math.abs(d - p.r) < 1e-9) continue;
        if (convexSide(r.poly, c) > 0 || d <= p.r) want.add(`${p.pid}:${r.id}`);
      }
    }
    const q = (a: string, b: string) => `SELECT p.pid, f.id FROM regions.pt AS p, regions.fp AS f WHERE INTERSECTS(${a}, ${b}) = 1`;
    const circle = `CIRCLE('ICRS', p.ra, p.decl, p.r)`;
    expect(await pairs(q(circle, 'f.s_region'))).to.deep.equal(want);
    expect(await pairs(q('f.s_region', circle))).to.deep.equal(want);
    expect(await pairs(q(circle, 'f.poly'))).to.deep.equal(want);
    // A constant circle at RA 0.
    const cone = await ids(`SELECT id FROM regions.fp WHERE 1 = INTERSECTS(CIRCLE('ICRS', 359.8, 0, 0.25), s_region)`);
    const brute = polys().filter((r) => convexSide(r.poly, vec(359.8, 0)) > 0 || boundaryDistance(r.poly, vec(359.8, 0)) <= 0.25);
    expect(cone).to.deep.equal(new Set(brute.map((r) => r.id)));
    expect(cone.has(0)).to.equal(true);
  });

  it('INTERSECTS with constant polygons and boxes, and CONTAINS(region, CIRCLE), match brute force', async () => {
    const shapes: Array<[string, number[]]> = [
      ['POLYGON(359.5, -0.5, 0.5, -0.5, 0.5, 0.5, 359.5, 0.5)', [359.5, -0.5, 0.5, -0.5, 0.5, 0.5, 359.5, 0.5]],
      ['BOX(0, 0, 0.3, 0.3)', [-0.15, -0.15, 0.15, -0.15, 0.15, 0.15, -0.15, 0.15]],
      ['POLYGON(100, 10, 140, 10, 140, 40, 100, 40)', [100, 10, 140, 10, 140, 40, 100, 40]],
      ['BOX(250, -30, 40, 30)', [230, -45, 270, -45, 270, -15, 230, -15]],
    ];
    for (const [adql, poly] of shapes) {
      const want = new Set(polys().filter((r) => polygonsMeet(poly, r.poly)).map((r) => r.id));
      expect(await ids(`SELECT id FROM regions.fp WHERE 1 = INTERSECTS(${adql}, s_region)`), adql).to.deep.equal(want);
      expect(await ids(`SELECT id FROM regions.fp WHERE 1 = INTERSECTS(s_region, ${adql})`), adql).to.deep.equal(want);
      expect(await ids(`SELECT id FROM regions.fp WHERE 1 = INTERSECTS(poly, ${adql})`), adql).to.deep.equal(want);
    }
    for (const [ra, dec, r] of [[0, 0, 1], [0, 45, 0.9], [200, 20, 30]] as const) {
      const want = new Set(polys().filter((f) => corners(f.poly).every((v) => ang(v, vec(ra, dec)) <= r)).map((f) => f.id));
      expect(await ids(`SELECT id FROM regions.fp WHERE 1 = CONTAINS(s_region, CIRCLE(${ra}, ${dec}, ${r}))`)).to.deep.equal(want);
    }
    expect(await ids(`SELECT id FROM regions.fp WHERE 1 = CONTAINS(s_region, CIRCLE(0, 0, 1))`)).to.include(900);
  });

  it('AREA, CENTROID, COORD1/COORD2 of CENTROID and CAST AS POLYGON of a region are those of its polygon', async () => {
    const got = await run(
      'SELECT id, AREA(s_region), COORD1(CENTROID(s_region)), COORD2(CENTROID(s_region)), CENTROID(s_region), CAST(s_region AS POLYGON), AREA(poly) ' +
        'FROM regions.fp ORDER BY id',
    );
    const t = translation('SELECT AREA(s_region), CENTROID(s_region), CAST(s_region AS POLYGON) FROM regions.fp');
    expect(t.columns.map((c) => [c.datatype, c.arraysize, c.xtype])).to.deep.equal([['double', null, null], ['double', '2', 'point'], ['double', '*', 'polygon']]);
    for (const [id, a, c1, c2, centroid, poly, polyArea] of got) {
      const r = rows.find((x) => x.id === id)!;
      if (r.poly === null) {
        expect([a, c1, c2, centroid, poly]).to.deep.equal([null, null, null, null, null]);
        continue;
      }
      expect(a as number).to.be.closeTo(area(r.poly), 1e-9 * Math.max(1, area(r.poly)));
      expect(a).to.equal(polyArea);
      const s = corners(r.poly).reduce((acc, v) => [acc[0] + v[0], acc[1] + v[1], acc[2] + v[2]] as V3, [0, 0, 0] as V3);
      const ra = ((Math.atan2(s[1], s[0]) / R) % 360 + 360) % 360;
      expect(c1 as number).to.be.closeTo(ra, 1e-9);
      expect(c2 as number).to.be.closeTo(Math.atan2(s[2], Math.hypot(s[0], s[1])) / R, 1e-9);
      expect(centroid).to.deep.equal([c1, c2]);
      expect(poly).to.deep.equal(r.poly); // STC-S written with shortest round-trip digits reads back exactly
    }
  });

  it('a region is not a string, a number or a point; a CIRCLE or galactic region is an error, not a guess', async () => {
    for (const [adql, msg] of [
      [`SELECT id FROM regions.fp WHERE s_region = 'x'`, 'cannot compare REGION'],
      ['SELECT COORD1(s_region) FROM regions.fp', 'COORD1 needs a POINT, not REGION'],
      ['SELECT CAST(s_region AS POINT) FROM regions.fp', 'cannot CAST REGION to POINT'],
      ['SELECT id FROM regions.fp WHERE 1 = CONTAINS(POINT(0, 0), COALESCE(s_region, POLYGON(0, 0, 1, 0, 1, 1)))', 'mixes REGION and POLYGON'],
    ] as const) {
      expect(() => translation(adql), adql).to.throw(msg);
    }
    for (const [text, msg] of [
      ['CIRCLE ICRS 10 20 1', 'only POLYGON and BOX'],
      ['POLYGON GALACTIC 1 2 3 4 5 6', '"GALACTIC" is not supported'],
      ['POLYGON ICRS 1 2 3 4', 'at least 3 vertices'],
      ['POLYGON ICRS 1 2 3 x 5 6', '"x" is not a number'],
    ] as const) {
      let err: Error | null = null;
      try {
        await db.query('SELECT vodax.stcs_polygon($1)', [text]);
      } catch (e) {
        err = e as Error;
      }
      expect(err?.message, text).to.include(msg);
    }
    expect((await db.query<{ p: number[] | null }>(`SELECT vodax.stcs_polygon('  ') AS p`))[0]!.p).to.equal(null);
  });
});

describe('ivoa.obscore s_region (ObsCore 1.1: STC-S text)', function () {
  this.timeout(120_000);
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let footprint: number[];

  before(async () => {
    fresh = await freshDatabase();
    // A 0.2 degree TAN image centred on RA 0, Dec 0: its footprint straddles RA 0.
    const wcs: CelestialWcs = {
      projection: 'TAN',
      ctype: ['RA---TAN', 'DEC--TAN'],
      lonAxis: 0,
      crpix: [1000.5, 1000.5],
      crval: [0, 0],
      cd: [[-1e-4, 1e-6], [1e-6, 1e-4]],
      lonpole: null,
      latpole: null,
      pv: [0, 0],
      sip: null,
      radesys: 'ICRS',
    };
    const geom = imageGeometry(wcs, 2000, 2000);
    footprint = geom.footprint;
    await registerImage(
      fresh.db,
      { level: 'L2', collection: 'DR1', kind: 'calexp', owner: 'lsst', path: 'x/y.fits', fileBytes: 1000, planes: ['data'], hdus: { data: 0 }, naxis1: 2000, naxis2: 2000, bitpix: -32, compressed: false, wcs, sourceId: 42, ...geom },
      'http://vodax.test',
    );
  });

  after(async () => {
    await fresh?.drop();
  });

  it('declares s_region char/*/adql:REGION and holds the footprint as STC-S that reads back exactly', async () => {
    const [col] = await fresh.db.query<Record<string, unknown>>(
      `SELECT datatype, arraysize, xtype, unit, ucd, utype FROM "TAP_SCHEMA".columns WHERE table_name = 'ivoa.obscore' AND column_name = 's_region'`,
    );
    expect(col).to.deep.equal({ datatype: 'char', arraysize: '*', xtype: 'adql:REGION', unit: null, ucd: 'pos.outline;obs.field', utype: 'obscore:Char.SpatialAxis.Coverage.Support.Area' });
    expect(footprint.some((x) => x > 359) && footprint.some((x) => x < 1)).to.equal(true);
    const catalog = await loadCatalog(fresh.db, { user: null });
    const adql = `SELECT obs_id, s_region, CAST(s_region AS POLYGON) AS p FROM ivoa.obscore WHERE 1 = CONTAINS(POINT('ICRS', 0.01, 0.0), s_region)`;
    const t = translate(validate(parseAdql(adql), catalog));
    expect(t.columns[1]).to.include({ datatype: 'char', arraysize: '*', xtype: 'adql:REGION', unit: null });
    const got: unknown[][] = [];
    for await (const b of fresh.db.streamReadOnly(t.sql, t.params, { timeoutMs: 30_000 })) got.push(...b);
    expect(got).to.have.length(1);
    const [obsId, text, poly] = got[0]!;
    expect(obsId).to.equal('calexp-42');
    expect(text).to.match(/^POLYGON ICRS( -?[0-9.e+-]+){8}$/);
    expect((text as string).split(' ').slice(2).map(Number)).to.deep.equal(footprint);
    expect(poly).to.deep.equal(footprint);
    const away = translate(validate(parseAdql(`SELECT obs_id FROM ivoa.obscore WHERE 1 = CONTAINS(POINT(0.5, 0), s_region)`), catalog));
    expect(await fresh.db.query(away.sql, away.params)).to.have.length(0);
  });
});
