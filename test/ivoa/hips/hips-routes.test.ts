import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { PNG } from 'pngjs';
import { freshDatabase, testDatabase, type TestDatabase } from '../../support/database.js';
import { createApp } from '../../../src/server/app.js';
import { loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/log.js';
import { Registry } from '../../../src/catalog/table-registry.js';
import { sampleCatalog } from '../../../src/sample-data/sample.js';
import { loadSampleImages } from '../../../src/sample-data/sample-images.js';
import { registerImage } from '../../../src/images/image-catalog.js';
import { FitsFile } from '../../../src/fits/file.js';
import { describeImageFile } from '../../../src/images/describe.js';
import { addUser } from '../../../src/auth/users.js';
import { buildHips } from '../../../src/images/hips-build.js';
import { buildCatalogHips } from '../../../src/images/hips-catalog-build.js';
import { parseProperties, MANDATORY_PROPERTIES } from '../../../src/images/hips/properties.js';
import { hipsFileOf } from '../../../src/ivoa/hips/hips-routes.js';
import { ang2pix } from '../../../src/healpix/nested.js';
import zlib from 'node:zlib';
import { readFitsTile } from '../../../src/images/hips/tile-files.js';

async function serve(db: TestDatabase['db'], dataDir: string): Promise<{ server: http.Server; base: string }> {
  const config = loadConfig({ LOG_FORMAT: 'silent', DATA_DIR: dataDir });
  const app = createApp({ config, log: createLogger('silent'), db, registry: new Registry(db, { host: '127.0.0.1', port: 5432 }) });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('HiPS routes (/image/v0/hips)', function () {
  this.timeout(300_000);
  let tdb: TestDatabase & { drop(): Promise<void> };
  let dataDir: string;
  let server: http.Server;
  let base: string;
  let joe: string;
  let ann: string;
  const catalog = sampleCatalog();
  const coadd = catalog.layout.coadds.findIndex((c) => c.tract === 0 && c.patch === '10,11' && c.band.name === 'r');

  before(async () => {
    tdb = await freshDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-hips-routes-'));
    await loadSampleImages(tdb.db, catalog, dataDir, 'http://vodax.test', { exposures: [], coadds: [coadd] });
    // joe's private copy of the coadd, as an L3 collection.
    const src = (await tdb.db.query<{ path: string }>('SELECT path FROM vodax.images LIMIT 1'))[0]!.path;
    fs.mkdirSync(path.join(dataDir, 'images', 'joe'), { recursive: true });
    fs.copyFileSync(path.join(dataDir, 'images', src), path.join(dataDir, 'images', 'joe', 'mine.fits'));
    const f = await FitsFile.open(path.join(dataDir, 'images', 'joe', 'mine.fits'));
    const d = describeImageFile(f);
    await f.close();
    await registerImage(tdb.db, { level: 'L3', collection: 'mine', kind: 'deepCoadd', owner: 'joe', path: 'joe/mine.fits', fileBytes: 1, band: 'r', ...d }, 'http://vodax.test');
    joe = (await addUser(tdb.db, 'joe')).token;
    ann = (await addUser(tdb.db, 'ann')).token;
    await buildHips(tdb.db, dataDir, { level: 'L2', collection: 'DR1', kind: 'deepCoadd', band: 'r', owner: null }, { order: 9, width: 256 });
    ({ server, base } = await serve(tdb.db, dataDir));
  });
  after(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await tdb?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const get = (p: string, headers: Record<string, string> = {}) => fetch(base + p, { headers, redirect: 'manual' });
  const H = '/image/v0/hips/L2/DR1/deepCoadd/r';

  it('serves properties with every mandatory keyword at the HiPS URL', async () => {
    for (const p of [`${H}/properties`, `${H}/`]) {
      const res = await get(p);
      expect(res.status, p).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^text\/plain/);
      const props = parseProperties(await res.text()).map;
      for (const k of MANDATORY_PROPERTIES) expect(props.has(k), k).to.equal(true);
      expect(props.get('hips_tile_width')).to.equal('256');
    }
    expect((await get(H)).status).to.equal(302);
  });

  it('serves tiles, Allsky and Moc.fits; a tile where there is no data is a 404', async () => {
    const props = parseProperties(await (await get(`${H}/properties`)).text()).map;
    const ra = Number(props.get('hips_initial_ra'));
    const dec = Number(props.get('hips_initial_dec'));
    const npix = Number(ang2pix(9, ra, dec));
    const dir = Math.floor(npix / 10000) * 10000;
    const png = await get(`${H}/Norder9/Dir${dir}/Npix${npix}.png`);
    expect(png.status).to.equal(200);
    expect(png.headers.get('content-type')).to.equal('image/png');
    const img = PNG.sync.read(Buffer.from(await png.arrayBuffer()));
    expect(img.width).to.equal(256);
    const fits = await get(`${H}/Norder9/Dir${dir}/Npix${npix}.fits`);
    expect(fits.headers.get('content-type')).to.equal('application/fits');
    expect(Buffer.from(await fits.arrayBuffer()).toString('latin1', 0, 30)).to.equal('SIMPLE  =                    T');
    expect((await get(`${H}/Norder3/Allsky.png`)).status).to.equal(200);
    expect((await get(`${H}/Moc.fits`)).status).to.equal(200);
    const far = Number(ang2pix(9, 180, 45));
    expect((await get(`${H}/Norder9/Dir${Math.floor(far / 10000) * 10000}/Npix${far}.png`)).status).to.equal(404);
    // Revalidation.
    const etag = fits.headers.get('etag')!;
    expect((await get(`${H}/Norder9/Dir${dir}/Npix${npix}.fits`, { 'If-None-Match': etag })).status).to.equal(304);
  });

  it('a mostly empty FITS tile, kept gzipped, is plain FITS to any client, gzip-encoded to those that ask', async () => {
    const root = path.join(dataDir, 'hips', 'L2', 'DR1', 'deepCoadd', 'r');
    const gz = fs.readdirSync(path.join(root, 'Norder0', 'Dir0')).find((f) => f.endsWith('.fits.gz'))!;
    expect(gz, 'a gzipped tile at order 0').to.be.a('string');
    const p = `${H}/Norder0/Dir0/${gz.slice(0, -3)}`;
    const raw = (headers: Record<string, string>) =>
      new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        http.get(base + p, { headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        }).on('error', reject);
      });
    const plain = await raw({});
    expect(plain.status).to.equal(200);
    expect(plain.headers['content-encoding']).to.equal(undefined);
    expect(plain.headers.vary).to.include('Accept-Encoding');
    expect(plain.body.toString('latin1', 0, 30)).to.equal('SIMPLE  =                    T');
    expect(plain.body.equals(zlib.gunzipSync(fs.readFileSync(path.join(root, 'Norder0', 'Dir0', gz))))).to.equal(true);
    const tile = readFitsTile(plain.body);
    expect(tile.width).to.equal(256);
    expect(tile.data.some((v) => !Number.isNaN(v))).to.equal(true);
    const packed = await raw({ 'Accept-Encoding': 'gzip' });
    expect(packed.headers['content-encoding']).to.equal('gzip');
    expect(Number(packed.headers['content-length'])).to.equal(packed.body.length);
    expect(packed.body.length).to.be.below(plain.body.length / 10);
    expect(zlib.gunzipSync(packed.body).equals(plain.body)).to.equal(true);
    // Each encoding revalidates against its own ETag.
    expect(packed.headers.etag).to.not.equal(plain.headers.etag);
    expect((await raw({ 'If-None-Match': plain.headers.etag! })).status).to.equal(304);
    expect((await raw({ 'Accept-Encoding': 'gzip', 'If-None-Match': plain.headers.etag! })).status).to.equal(200);
  });

  it('refuses every path that is not a HiPS file, and any way out of DATA_DIR', async () => {
    expect(hipsFileOf(['Norder3', 'Dir0', 'Npix5.png'], ['png'])).to.not.equal(null);
    expect(hipsFileOf(['Norder3', 'Dir10000', 'Npix5.png'], ['png'])).to.equal(null);
    expect(hipsFileOf(['Norder3', 'Dir0', 'Npix05.png'], ['png'])).to.equal(null);
    expect(hipsFileOf(['build.json'], ['png'])).to.equal(null);
    for (const p of [`${H}/build.json`, `${H}/Norder9/Dir0/Npix1.exe`, `${H}/..%2f..%2f..%2fimages/properties`, '/image/v0/hips/L2/DR1/deepCoadd/%2e%2e/properties', '/image/v0/hips/L2/DR1/deepCoadd/.staging/properties', '/image/v0/hips/L2/DR1/deepCoadd/_all/properties', '/image/v0/hips/L9/DR1/deepCoadd/r/properties']) {
      const res = await get(p);
      expect(res.status, p).to.equal(404);
      expect((await res.json()).error.code).to.equal('NotFound');
    }
  });

  it('an L3 HiPS is its owner\'s alone, and says how to build it until it is built', async () => {
    const L = '/image/v0/hips/L3/mine/deepCoadd/r/properties';
    expect((await get(L)).status).to.equal(404);
    const before = await get(L, { Authorization: `Bearer ${joe}` });
    expect(before.status).to.equal(404);
    expect((await before.json()).error.message).to.include('hips build --level L3 --collection mine --kind deepCoadd --filter r --owner joe');
    await buildHips(tdb.db, dataDir, { level: 'L3', collection: 'mine', kind: 'deepCoadd', band: 'r', owner: 'joe' }, { order: 8, width: 256 });
    const mine = await get(L, { Authorization: `Bearer ${joe}` });
    expect(mine.status).to.equal(200);
    expect(parseProperties(await mine.text()).map.get('hips_status')).to.equal('private master unclonable');
    expect(mine.headers.get('cache-control')).to.include('private');
    expect((await get(L)).status).to.equal(404);
    expect((await get(L, { Authorization: `Bearer ${ann}` })).status).to.equal(404);
    // The list: joe sees his; the anonymous list does not name it.
    const anon = await (await get('/image/v0/hips')).text();
    expect(anon).to.include('hips_service_url');
    expect(anon).to.include(`${base}${H}`);
    expect(anon).to.not.include('mine');
    const mineList = await (await get('/image/v0/hips', { Authorization: `Bearer ${joe}` })).text();
    expect(mineList).to.include('/image/v0/hips/L3/mine/deepCoadd/r');
    const json = await (await get('/image/v0/hips', { Accept: 'application/json' })).json();
    expect(json.result).to.deep.include({ url: `${base}${H}/`, level: 'L2', collection: 'DR1', kind: 'deepCoadd', filter: 'r', built: true });
    const page = await (await get('/', { Accept: 'text/html' })).text();
    expect(page).to.include('/image/v0/hips');
  });

  it('the image metadata face (M13) names the HiPS of each image, the L3 one to its owner alone', async () => {
    const json = async (p: string, headers: Record<string, string> = {}) => {
      const res = await get(p, { Accept: 'application/json', ...headers });
      return { status: res.status, body: await res.json() };
    };
    const [id] = (await json('/meta/v0/image/L2/DR1/deepCoadd')).body.result.map((u: string) => Number(u.split('/').pop()));
    const m = (await json(`/meta/v0/image/L2/DR1/deepCoadd/${id}`)).body.result;
    // Every field of M13 stays; `hips` is added.
    expect(m).to.include({ id, level: 'L2', collection: 'DR1', kind: 'deepCoadd', filter: 'r', hips: `${base}${H}/` });
    expect(m.url).to.equal(`${base}/image/v0/L2/DR1/deepCoadd/${id}`);
    expect((await get(`${new URL(m.hips).pathname}properties`)).status).to.equal(200);
    // joe's L3 image: its HiPS URL holds no owner (the server finds it under the caller's name) and works for joe.
    const L3 = '/meta/v0/image/L3/mine/deepCoadd';
    expect((await json(L3)).status).to.equal(404);
    const [l3] = (await json(L3, { Authorization: `Bearer ${joe}` })).body.result.map((u: string) => Number(u.split('/').pop()));
    const mine = (await json(`${L3}/${l3}`, { Authorization: `Bearer ${joe}` })).body.result;
    await buildHips(tdb.db, dataDir, { level: 'L3', collection: 'mine', kind: 'deepCoadd', band: 'r', owner: 'joe' }, { order: 8, width: 256 });
    expect(mine.hips).to.equal(`${base}/image/v0/hips/L3/mine/deepCoadd/r/`);
    expect((await get(`${new URL(mine.hips).pathname}properties`, { Authorization: `Bearer ${joe}` })).status).to.equal(200);
    expect((await json(`${L3}/${l3}`, { Authorization: `Bearer ${ann}` })).status).to.equal(404);
    // The other formats of M13 (name/value rows) carry it too.
    expect(await (await get(`/meta/v0/image/L2/DR1/deepCoadd/${id}?format=csv`)).text()).to.include(`${base}${H}/`);
  });
});

describe('catalogue HiPS (/db/v0/hips)', function () {
  this.timeout(300_000);
  let dataDir: string;
  let server: http.Server;
  let base: string;
  let db: TestDatabase['db'];

  before(async () => {
    ({ db } = await testDatabase());
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-hips-cat-'));
    ({ server, base } = await serve(db, dataDir));
  });
  after(async () => {
    await new Promise((resolve) => server?.close(resolve));
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('tiles a table\'s rows: brightest first at low orders, each row once, in its own cell', async () => {
    const C = '/db/v0/hips/L2/DC_W13_Stripe82/Object';
    const pending = await fetch(`${base}${C}/properties`);
    expect(pending.status).to.equal(404);
    expect((await pending.json()).error.message).to.include('hips catalog --level L2 --db DC_W13_Stripe82 --table Object');
    const r = await buildCatalogHips(db, dataDir, { level: 'L2', database: 'DC_W13_Stripe82', table: 'Object' }, { perTile: 200 });
    const [{ n }] = await db.query<{ n: string }>('SELECT count(*) AS n FROM "DC_W13_Stripe82"."Object"');
    expect(r.rows).to.equal(Number(n));
    const props = parseProperties(await (await fetch(`${base}${C}/properties`)).text()).map;
    expect(props.get('dataproduct_type')).to.equal('catalog');
    expect(props.get('hips_tile_format')).to.equal('tsv');
    for (const k of MANDATORY_PROPERTIES) expect(props.has(k), k).to.equal(true);
    let total = 0;
    const rows: { order: number; ra: number; dec: number; mag: number }[] = [];
    for (let k = 1; k <= r.maxOrder; k++) {
      const dir = path.join(r.root, `Norder${k}`);
      if (!fs.existsSync(dir)) continue;
      for (const d of fs.readdirSync(dir)) {
        if (d.startsWith('Allsky')) continue;
        for (const f of fs.readdirSync(path.join(dir, d))) {
          const npix = Number(/\d+/.exec(f)![0]);
          const res = await fetch(`${base}${C}/Norder${k}/${d}/${f}`);
          expect(res.status).to.equal(200);
          expect(res.headers.get('content-type')).to.match(/^text\/tab-separated-values/);
          const [head, dashes, ...lines] = (await res.text()).trimEnd().split('\n');
          expect(dashes).to.match(/^-+(\t-+)*$/);
          const cols = head!.split('\t');
          const ra = cols.indexOf('ra');
          const dec = cols.indexOf('decl');
          expect(ra).to.be.at.least(0);
          if (k < r.maxOrder) expect(lines.length).to.be.at.most(200);
          for (const line of lines) {
            const v = line.split('\t');
            expect(Number(ang2pix(k, Number(v[ra]), Number(v[dec])))).to.equal(npix);
          }
          for (const l of lines) {
            const v = l.split('\t');
            rows.push({ order: k, ra: Number(v[ra]), dec: Number(v[dec]), mag: v[cols.indexOf('rPsfMag')] === '' ? Infinity : Number(v[cols.indexOf('rPsfMag')]) });
          }
          total += lines.length;
        }
      }
    }
    expect(total).to.equal(Number(n));
    // A tile shows the brightest of its cell: no row left for deeper orders is brighter than one it holds.
    const top = rows.filter((x) => x.order === 1);
    const deeper = rows.filter((x) => x.order > 1);
    expect(deeper.length).to.be.above(0);
    for (const cell of new Set(top.map((x) => Number(ang2pix(1, x.ra, x.dec))))) {
      const faintest = Math.max(...top.filter((x) => Number(ang2pix(1, x.ra, x.dec)) === cell).map((x) => x.mag));
      const below = deeper.filter((x) => Number(ang2pix(1, x.ra, x.dec)) === cell).map((x) => x.mag);
      if (below.length) expect(Math.min(...below)).to.be.at.least(faintest);
    }
    expect((await fetch(`${base}${C}/metadata.xml`)).status).to.equal(200);
    // Allsky.tsv of order 1 holds exactly the rows of its tiles.
    const allsky = (await (await fetch(`${base}${C}/Norder1/Allsky.tsv`)).text()).trimEnd().split('\n');
    expect(allsky.length - 2).to.equal(top.length);
    expect((await fetch(`${base}${C}/Moc.fits`)).status).to.equal(200);
    // A private table's catalogue HiPS does not exist for others.
    expect((await fetch(`${base}/db/v0/hips/L3/joe_myDb/MyObjects/properties`)).status).to.equal(404);
  });
});
