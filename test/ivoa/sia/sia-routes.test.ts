/**
 * SIA 2.0 at /image/v0/sia over the sample images: cones against a brute-force oracle over the
 * whole ivoa.obscore listing, the other parameters, private images, bad input, VOSI, and that the
 * footprint search is index-driven (EXPLAIN).
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { freshDatabase, type TestDatabase } from '../../support/database.js';
import { createApp } from '../../../src/server/app.js';
import { loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/log.js';
import { Registry } from '../../../src/catalog/table-registry.js';
import { sampleCatalog } from '../../../src/sample-data/sample.js';
import { loadSampleImages } from '../../../src/sample-data/sample-images.js';
import { registerImage } from '../../../src/images/image-catalog.js';
import { FitsFile } from '../../../src/fits/file.js';
import { addUser } from '../../../src/auth/users.js';
import { RequestParams } from '../../../src/params/request-params.js';
import { siaQuery } from '../../../src/ivoa/sia/sia-parameters.js';
import { prepareQuery } from '../../../src/query/prepared-query.js';
import { CatalogCache } from '../../../src/catalog/query-catalog.js';

type Vec = [number, number, number];
const RAD = Math.PI / 180;
const vec = (ra: number, dec: number): Vec => [Math.cos(dec * RAD) * Math.cos(ra * RAD), Math.cos(dec * RAD) * Math.sin(ra * RAD), Math.sin(dec * RAD)];
const dot = (a: Vec, b: Vec) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: Vec, b: Vec): Vec => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const angle = (a: Vec, b: Vec) => Math.atan2(Math.hypot(...cross(a, b)), dot(a, b)) / RAD;

/** Oracle: does the (small, convex) footprint polygon meet the circle? Edges sampled densely. */
function polygonMeetsCircle(region: string, ra: number, dec: number, r: number): boolean {
  const n = region.replace(/^POLYGON ICRS /, '').trim().split(/\s+/).map(Number);
  const vs: Vec[] = [];
  for (let k = 0; k < n.length; k += 2) vs.push(vec(n[k]!, n[k + 1]!));
  const c = vec(ra, dec);
  // The centre inside: on the same side of every edge.
  const sides = vs.map((v, k) => Math.sign(dot(cross(v, vs[(k + 1) % vs.length]!), c)));
  if (sides.every((s) => s >= 0) || sides.every((s) => s <= 0)) return true;
  for (let k = 0; k < vs.length; k++) {
    const a = vs[k]!;
    const b = vs[(k + 1) % vs.length]!;
    for (let t = 0; t <= 2000; t++) {
      const f = t / 2000;
      const p: Vec = [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
      if (angle(p, c) <= r) return true;
    }
  }
  return false;
}

/** The obs_publisher_did values of a TABLEDATA VOTable, in order. */
function dids(votable: string): string[] {
  const fields = [...votable.matchAll(/<FIELD [^>]*name="([^"]+)"/g)].map((m) => m[1]!);
  const at = fields.indexOf('obs_publisher_did');
  expect(at, 'obs_publisher_did column').to.be.at.least(0);
  return [...votable.matchAll(/<TR>([\s\S]*?)<\/TR>/g)].map((tr) => {
    const cells = [...tr[1]!.matchAll(/<TD>([\s\S]*?)<\/TD>|<TD\/>/g)].map((m) => m[1] ?? '');
    return cells[at]!.replace(/&amp;/g, '&');
  });
}

describe('SIA 2.0 routes (/image/v0/sia)', function () {
  this.timeout(300_000);
  let tdb: TestDatabase & { drop(): Promise<void> };
  let dataDir: string;
  let server: http.Server;
  let base: string;
  let joeToken: string;
  let l3Did: string;
  let listing: Array<{ obs_publisher_did: string; s_region: string; s_ra: number; s_dec: number; em_min: number; em_max: number; calib_level: number; t_exptime: number; dataproduct_subtype: string }>;
  const catalog = sampleCatalog();

  before(async () => {
    tdb = await freshDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-sia-'));
    await loadSampleImages(tdb.db, catalog, dataDir, 'http://vodax.test');
    // A private (L3) image of joe's: a copy of a calexp, at the same place.
    const src = (await tdb.db.query<{ path: string }>("SELECT path FROM vodax.images WHERE kind = 'calexp' ORDER BY id LIMIT 1"))[0]!.path;
    fs.mkdirSync(path.join(dataDir, 'images', 'joe'), { recursive: true });
    fs.copyFileSync(path.join(dataDir, 'images', src), path.join(dataDir, 'images', 'joe', 'mine.fits'));
    const f = await FitsFile.open(path.join(dataDir, 'images', 'joe', 'mine.fits'));
    const { describeImageFile } = await import('../../../src/images/describe.js');
    const d = describeImageFile(f);
    await f.close();
    await registerImage(tdb.db, { level: 'L3', collection: 'mine', kind: 'calexp', owner: 'joe', path: 'joe/mine.fits', fileBytes: 1, ...d }, 'http://vodax.test');
    const l3 = (await tdb.db.query<{ id: number }>("SELECT id FROM vodax.images WHERE level = 'L3'"))[0]!.id;
    l3Did = `ivo://vodax/image?${l3}`;
    joeToken = (await addUser(tdb.db, 'joe')).token;
    listing = await tdb.db.query('SELECT * FROM ivoa.obscore');
    const config = loadConfig({ LOG_FORMAT: 'silent', DATA_DIR: dataDir });
    const app = createApp({ config, log: createLogger('silent'), db: tdb.db, registry: new Registry(tdb.db, { host: '127.0.0.1', port: 5432 }) });
    server = http.createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/image/v0/sia`;
  });
  after(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await tdb?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function query(q: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; type: string }> {
    const res = await fetch(`${base}/query?${q}`, { headers });
    return { status: res.status, text: await res.text(), type: res.headers.get('content-type') ?? '' };
  }
  async function found(q: string, headers: Record<string, string> = {}): Promise<string[]> {
    const r = await query(q, headers);
    expect(r.status, r.text).to.equal(200);
    return dids(r.text).sort();
  }
  const oracle = (pred: (row: (typeof listing)[number]) => boolean) => listing.filter(pred).map((r) => r.obs_publisher_did).sort();

  it('has images to search', () => {
    expect(listing.length).to.be.greaterThan(20);
  });

  it('cones find exactly the images whose footprint meets them (oracle over the whole listing)', async () => {
    // Cones at image corners (several footprints meet there), centres, and in empty sky.
    const cones: Array<[number, number, number]> = [];
    for (const row of listing) {
      const n = row.s_region.replace(/^POLYGON ICRS /, '').split(' ').map(Number);
      cones.push([n[0]!, n[1]!, 0.02]);
    }
    for (const row of listing.slice(0, 8)) cones.push([row.s_ra, row.s_dec, 0.001]);
    // Across RA 0, where the strip wraps.
    cones.push([0, 0, 0.3], [359.9, 0.5, 0.2], [0.05, -1, 0.2]);
    cones.push([180, 45, 1], [listing[0]!.s_ra, listing[0]!.s_dec, 0.5]);
    let nonEmpty = 0;
    for (const [ra, dec, r] of cones) {
      const expected = oracle((row) => polygonMeetsCircle(row.s_region, ra, dec, r));
      if (expected.length) nonEmpty++;
      expect(await found(`POS=${encodeURIComponent(`CIRCLE ${ra} ${dec} ${r}`)}`), `CIRCLE ${ra} ${dec} ${r}`).to.deep.equal(expected);
    }
    expect(nonEmpty).to.be.greaterThan(10);
  });

  it('POLYGON and RANGE agree with the oracle; POST reads the same', async () => {
    const row = listing[0]!;
    const [ra, dec] = [row.s_ra, row.s_dec];
    const h = 0.01;
    const poly = `POLYGON ${ra - h} ${dec - h} ${ra + h} ${dec - h} ${ra + h} ${dec + h} ${ra - h} ${dec + h}`;
    const expected = oracle((x) => polygonMeetsCircle(x.s_region, ra, dec, 0.001));
    const got = await found(`POS=${encodeURIComponent(poly)}`);
    expect(got).to.include.members(expected);
    expect(got).to.deep.equal(await found(`POS=${encodeURIComponent(`RANGE ${ra - h} ${ra + h} ${dec - h} ${dec + h}`)}`));
    const res = await fetch(`${base}/query`, { method: 'POST', body: new URLSearchParams({ POS: poly }) });
    expect(res.status).to.equal(200);
    expect(dids(await res.text()).sort()).to.deep.equal(got);
    // The whole strip, as an open Dec band, is every public image.
    expect(await found(`POS=${encodeURIComponent('RANGE -Inf +Inf -5 5')}`)).to.deep.equal(oracle(() => true));
  });

  it('BAND, CALIB, EXPTIME, COLLECTION, ID: repeated values ORed, parameters ANDed', async () => {
    const b = listing[0]!;
    const mid = (b.em_min + b.em_max) / 2;
    expect(await found(`BAND=${mid}`)).to.deep.equal(oracle((x) => x.em_min <= mid && x.em_max >= mid));
    expect(await found(`BAND=-Inf+${mid}`)).to.deep.equal(oracle((x) => x.em_min <= mid));
    expect(await found('CALIB=2&CALIB=3')).to.deep.equal(oracle((x) => x.calib_level === 2 || x.calib_level === 3));
    expect(await found(`CALIB=3&BAND=${mid}`)).to.deep.equal(oracle((x) => x.calib_level === 3 && x.em_min <= mid && x.em_max >= mid));
    const e = listing[0]!.t_exptime;
    expect(await found(`EXPTIME=${e}+%2BInf`)).to.deep.equal(oracle((x) => x.t_exptime >= e));
    expect(await found('COLLECTION=nothing')).to.deep.equal([]);
    const two = [listing[0]!.obs_publisher_did, listing[1]!.obs_publisher_did];
    expect(await found(`ID=${encodeURIComponent(two[0]!)}&ID=${encodeURIComponent(two[1]!)}`)).to.deep.equal([...two].sort());
  });

  it('MAXREC flags overflow; RESPONSEFORMAT goes through the shared serializers', async () => {
    const r = await query('MAXREC=2');
    expect(dids(r.text)).to.have.length(2);
    expect(r.text).to.contain('OVERFLOW');
    const csv = await query('RESPONSEFORMAT=csv&MAXREC=3');
    expect(csv.type).to.contain('text/csv');
    expect(csv.text.split('\n')[0]).to.match(/^dataproduct_type,/);
  });

  it('a private L3 image is invisible: not by ID, not by position, not even to its owner (as in TAP)', async () => {
    expect(await found(`ID=${encodeURIComponent(l3Did)}`)).to.deep.equal([]);
    expect(await found(`ID=${encodeURIComponent(l3Did)}`, { Authorization: `Bearer ${joeToken}` })).to.deep.equal([]);
    const row = listing[0]!;
    const all = await found(`POS=${encodeURIComponent(`CIRCLE ${row.s_ra} ${row.s_dec} 0.001`)}`);
    expect(all).not.to.include(l3Did);
    const tap = await fetch(`${base.replace('/image/v0/sia', '/db/v0/tap')}/sync?LANG=ADQL&QUERY=${encodeURIComponent(`SELECT obs_publisher_did FROM ivoa.obscore WHERE obs_publisher_did = '${l3Did}'`)}`, { headers: { Authorization: `Bearer ${joeToken}` } });
    expect(dids(await tap.text())).to.deep.equal([]);
  });

  it('bad parameters, injection and path tricks answer 4xx DALI errors naming the parameter', async () => {
    for (const [q, name] of [
      ['POS=CIRCLE+10+0', 'POS'],
      ['POS=' + encodeURIComponent("CIRCLE 10 0 1)) = 1 OR 1=1 --"), 'POS'],
      ['BAND=red', 'BAND'],
      ['TIME=2+1', 'TIME'],
      ['CALIB=x', 'CALIB'],
      ['MAXREC=-3', 'MAXREC'],
      ['RESPONSEFORMAT=exe', 'RESPONSEFORMAT'],
    ]) {
      const r = await query(q!);
      expect(r.status, q).to.equal(400);
      expect(r.text).to.contain('QUERY_STATUS');
      expect(r.text).to.contain(`parameter ${name}`);
    }
    // A quote in an ID is a string, never SQL: nothing found, no error.
    expect(await found(`ID=${encodeURIComponent("x' OR '1'='1")}`)).to.deep.equal([]);
    expect(await found(`ID=${encodeURIComponent('../../../etc/passwd')}`)).to.deep.equal([]);
    for (const p of ['/query/../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/capabilities/x', '/nothing']) {
      const res = await fetch(base + p);
      expect(res.status, p).to.be.within(400, 499);
      expect(await res.text()).not.to.contain('root:');
    }
  });

  it('VOSI capabilities name SIA 2.0 and its query URL; availability tells the truth', async () => {
    const cap = await (await fetch(`${base}/capabilities`)).text();
    expect(cap).to.contain('standardID="ivo://ivoa.net/std/SIA#query-2.0"');
    expect(cap).to.contain(`${base}/query</accessURL>`);
    expect(cap).to.contain('ivo://ivoa.net/std/VOSI#availability');
    const av = await (await fetch(`${base}/availability`)).text();
    expect(av).to.contain('<vosi:available>true</vosi:available>');
  });

  it('the footprint search is index-driven: EXPLAIN shows the HEALPix index, not a scan', async () => {
    const row = listing[0]!;
    const margin = Number((await tdb.db.query<{ m: number }>('SELECT max(fov) / 2 AS m FROM vodax.images'))[0]!.m);
    const sia = siaQuery(RequestParams.fromEntries([['POS', `CIRCLE ${row.s_ra} ${row.s_dec} 0.01`]]), { limits: { defaultMaxrec: 100, hardMaxrec: 100 }, footprintMargin: margin });
    const cat = await new CatalogCache(tdb.db).get({ user: null });
    const prepared = prepareQuery(cat, sia.adql, 100);
    const plan = await tdb.db.transaction(async (c) => {
      // So few rows would be scanned anyway: ask whether the index can serve the query.
      await c.query('SET LOCAL enable_seqscan = off');
      return (await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${prepared.sql}`, prepared.params)).rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).to.match(/images_hpx/);
    const cone = prepared.spatial[0];
    expect(cone && cone.shape !== 'crossmatch' ? cone.index : null, 'the cone became HEALPix ranges').to.not.equal(null);
  });
});
