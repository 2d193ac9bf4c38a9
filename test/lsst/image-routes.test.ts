import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { createApp } from '../../src/server/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { Registry } from '../../src/catalog/table-registry.js';
import { sampleCatalog } from '../../src/sample-data/sample.js';
import { isCompressedSample, loadSampleImages } from '../../src/sample-data/sample-images.js';
import { registerImage } from '../../src/images/image-catalog.js';
import { FitsFile } from '../../src/fits/file.js';
import { ImageFileCache } from '../../src/images/image-files.js';
import { physicalValues } from '../../src/fits/pixels.js';
import { wcsFromHeader } from '../../src/wcs/header-wcs.js';
import { wcsPixelToSky } from '../../src/wcs/projections.js';
import { addUser } from '../../src/auth/users.js';
import { fitsverify } from '../fits/support.js';
import { openDescriptorsOn } from '../support/open-files.js';

describe('LSST image face (M9-M13, I1, I5-I12)', function () {
  this.timeout(120_000);
  let tdb: TestDatabase & { drop(): Promise<void> };
  let dataDir: string;
  let server: http.Server;
  let base: string;
  let joeToken: string;
  let imageFiles: ImageFileCache;
  const catalog = sampleCatalog();
  const coadds = catalog.layout.coadds;
  const compressedIndex = coadds.findIndex(isCompressedSample);
  const plainCoaddIndex = coadds.findIndex((c) => c.tract === 0 && c.patch === '11,11' && c.band.name === 'g');

  before(async () => {
    tdb = await freshDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-images-'));
    const r = await loadSampleImages(tdb.db, catalog, dataDir, 'http://vodax.test', { exposures: [0, 2], coadds: [plainCoaddIndex, compressedIndex] });
    expect(r).to.deep.equal({ written: 4, registered: 4 });
    // A private (L3) image of joe's: a copy of a calexp.
    const src = (await tdb.db.query<{ path: string }>("SELECT path FROM vodax.images WHERE kind = 'calexp' ORDER BY id LIMIT 1"))[0]!.path;
    fs.mkdirSync(path.join(dataDir, 'images', 'joe'), { recursive: true });
    fs.copyFileSync(path.join(dataDir, 'images', src), path.join(dataDir, 'images', 'joe', 'mine.fits'));
    const f = await FitsFile.open(path.join(dataDir, 'images', 'joe', 'mine.fits'));
    const { describeImageFile } = await import('../../src/images/describe.js');
    const d = describeImageFile(f);
    await f.close();
    await registerImage(tdb.db, { level: 'L3', collection: 'mine', kind: 'calexp', owner: 'joe', path: 'joe/mine.fits', fileBytes: 1, ...d }, 'http://vodax.test');
    joeToken = (await addUser(tdb.db, 'joe')).token;
    const config = loadConfig({ LOG_FORMAT: 'silent', DATA_DIR: dataDir });
    // Files are kept open from their first use (the server waits for a file just written to settle).
    imageFiles = new ImageFileCache(dataDir, { settleMs: 0 });
    const app = createApp({ config, log: createLogger('silent'), db: tdb.db, registry: new Registry(tdb.db, { host: '127.0.0.1', port: 5432 }), imageFiles });
    server = http.createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await imageFiles?.close();
    await tdb?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function json(p: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const res = await fetch(base + p, { headers });
    return { status: res.status, body: await res.json() };
  }
  async function fitsOf(p: string): Promise<{ status: number; file: string; res: Response }> {
    const res = await fetch(base + p);
    const file = path.join(dataDir, `answer-${Math.random().toString(36).slice(2)}.fits`);
    fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    return { status: res.status, file, res };
  }
  async function ids(kind: string): Promise<number[]> {
    return (await tdb.db.query<{ id: number }>('SELECT id FROM vodax.images WHERE kind = $1 AND level = $2 ORDER BY id', [kind, 'L2'])).map((r) => r.id);
  }

  it('lists levels, collections, kinds and pages of image URLs; L3 images only for their owner', async () => {
    expect((await json('/meta/v0/image')).body).to.deep.equal({ result: ['L2'] });
    expect((await json('/meta/v0/image', { Authorization: `Bearer ${joeToken}` })).body.result).to.deep.equal(['L2', 'L3']);
    expect((await json('/meta/v0/image/l2')).body).to.deep.equal({ result: ['DR1'] });
    expect((await json('/meta/v0/image/L2/DR1')).body).to.deep.equal({ result: ['calexp', 'deepCoadd'] });
    const page = (await json('/meta/v0/image/L2/DR1/calexp?count=1')).body;
    const [first] = await ids('calexp');
    expect(page).to.deep.equal({ result: [`${base}/image/v0/L2/DR1/calexp/${first}`], start: 0, count: 1, more: true, stable: false });
    expect((await json('/meta/v0/image/L2/DR1/deepCoadd?tract=0&patch=11,11&filter=r')).body.result).to.have.length(1);
    expect((await json('/meta/v0/image/L2/DR1/calexp?createAfter=2999-01-01')).body.result).to.deep.equal([]);
    expect((await json('/meta/v0/image/L2/DR1/calexp?createAfter=yesterday')).status).to.equal(400);
    const l3 = (await tdb.db.query<{ id: number }>("SELECT id FROM vodax.images WHERE level = 'L3'"))[0]!.id;
    expect((await json(`/meta/v0/image/L3/mine/calexp/${l3}`)).status).to.equal(404);
    expect((await fetch(`${base}/image/v0/L3/mine/calexp/${l3}?plane=mask`)).status).to.equal(404);
    expect((await json(`/meta/v0/image/L3/mine/calexp/${l3}`, { Authorization: `Bearer ${joeToken}` })).body.result.owner).to.equal('joe');
  });

  it('gives one image metadata (M13) agreeing with the catalog exposure', async () => {
    const [id] = await ids('calexp');
    const m = (await json(`/meta/v0/image/L2/DR1/calexp/${id}`)).body.result;
    const e = catalog.layout.exposures[0]!;
    expect(m).to.include({ id, owner: 'lsst', kind: 'calexp', naxis1: 1024, naxis2: 745, filter: e.band.name, visit: e.run, ccd: e.camcol, sourceId: e.scienceCcdExposureId });
    expect(m.planes).to.deep.equal(['data', 'mask', 'variance']);
    expect(m.footprint).to.have.length(8);
    expect(m.footprint[0]).to.be.closeTo(e.corners[0]!.ra, 1e-9);
    expect((await json('/meta/v0/image/L2/DR1/calexp/99999999')).status).to.equal(404);
    expect((await json('/meta/v0/image/L2/DR1/calexp/..%2F..%2Fetc')).status).to.equal(404);
  });

  it('serves the whole image as a three-plane MEF, or one plane as a simple FITS, that fitsverify accepts', async () => {
    const [id] = await ids('calexp');
    const all = await fitsOf(`/image/v0/L2/DR1/calexp/${id}`);
    expect(all.status).to.equal(200);
    expect(all.res.headers.get('content-type')).to.equal('image/fits');
    const f = await FitsFile.open(all.file);
    expect(f.hdus.map((h) => h.extname)).to.deep.equal([null, 'IMAGE', 'MASK', 'VARIANCE']);
    expect(f.hdus.map((h) => h.image?.bitpix ?? null)).to.deep.equal([null, -32, 32, -32]);
    await f.close();
    const mask = await fitsOf(`/image/v0/L2/DR1/calexp/${id}?plane=mask`);
    const m = await FitsFile.open(mask.file);
    expect(m.hdus).to.have.length(1);
    expect(m.hdus[0]!.image!.bitpix).to.equal(32);
    expect(m.hdus[0]!.header.getNumber('MP_SAT')).to.equal(1);
    await m.close();
    for (const file of [all.file, mask.file]) {
      const v = fitsverify(file);
      if (v) expect(v, v.output).to.include({ errors: 0, warnings: 0 });
    }
    const bad = await json(`/image/v0/L2/DR1/calexp/${id}?plane=flux`);
    expect(bad.status).to.equal(400);
    expect(bad.body.error.message).to.match(/unknown plane 'flux'/);
  });

  it('answers the five cutout forms with the same box when they describe it, with a WCS that agrees with the parent at every pixel', async () => {
    const [id] = await ids('calexp');
    const e = catalog.layout.exposures[0]!;
    // Box x 200..260, y 300..340 (61 x 41), centred on (230, 320).
    const pfile = await FitsFile.open(path.join(dataDir, 'images', e.path));
    const parent = wcsFromHeader(pfile.hdus[1]!.header);
    await pfile.close();
    const centre = wcsPixelToSky(parent, 231, 321);
    const scale = 0.396;
    const forms = [
      'x=230&y=320&width=61&height=41',
      'x1=200&y1=300&x2=260&y2=340',
      'x1=260&y1=340&x2=200&y2=300',
      `ra=${centre.ra}&dec=${centre.dec}&widthPix=61&heightPix=41`,
    ];
    // The calexp is turned by 90 deg (x along Dec): a sky box of (RA, Dec) sizes (41, 61) pixels.
    forms.push(`ra=${centre.ra}&dec=${centre.dec}&widthAng=${40.4 * scale}&heightAng=${60.4 * scale}`);
    forms.push(`ra=${centre.ra}&dec=${centre.dec}&deltaRa=${(40.4 * scale) / 60}&deltaDec=${(60.4 * scale) / 60}`);
    const bodies: Buffer[] = [];
    for (const q of forms) {
      const { status, file, res } = await fitsOf(`/image/v0/L2/DR1/calexp/${id}/cutout?${q}`);
      expect(status, q).to.equal(200);
      const f = await FitsFile.open(file);
      const img = f.hdus.find((h) => h.extname === 'IMAGE')!;
      expect(f.hdus[0]!.header.getString('CUTBOX'), q).to.equal('[200:260,300:340]');
      expect(img.image!.naxis).to.deep.equal([61, 41]);
      expect(img.header.getNumber('LTV1')).to.equal(-200);
      expect(img.header.getNumber('LTV2')).to.equal(-300);
      expect(img.header.get('CLIPPED')).to.equal(false);
      // The cutout's WCS at each of its pixels equals the parent's at the same parent pixel.
      const w = wcsFromHeader(img.header);
      for (let y = 1; y <= 41; y += 4) {
        for (let x = 1; x <= 61; x += 6) {
          const a = wcsPixelToSky(w, x, y);
          const b = wcsPixelToSky(parent, x + 200, y + 300);
          expect(Math.abs(a.ra - b.ra) + Math.abs(a.dec - b.dec)).to.be.below(1e-12);
        }
      }
      bodies.push(Buffer.from(await fs.promises.readFile(file)).subarray(f.hdus[1]!.dataOffset));
      await f.close();
      expect(res.headers.get('content-disposition')).to.match(/cutout-200-300-260-340\.fits/);
      const v = fitsverify(file);
      if (v) expect(v, v.output).to.include({ errors: 0, warnings: 0 });
    }
    for (const b of bodies.slice(1)) expect(b.equals(bodies[0]!)).to.equal(true);
    // The cutout pixels are the parent's.
    const pf = await FitsFile.open(path.join(dataDir, 'images', e.path));
    const expected = physicalValues(await pf.readRegion(pf.hdus[1]!, { x0: 200, y0: 300, width: 61, height: 41 }));
    await pf.close();
    const one = await fitsOf(`/image/v0/L2/DR1/calexp/${id}/cutout?x=230&y=320&width=61&height=41&plane=data`);
    const cf = await FitsFile.open(one.file);
    expect(Array.from(physicalValues(await cf.readRegion(cf.hdus[0]!, { x0: 0, y0: 0, width: 61, height: 41 })))).to.deep.equal(Array.from(expected));
    expect(cf.hdus[0]!.header.getNumber('PARENTID')).to.equal(id);
    await cf.close();
  });

  it('clips a box partly off the image and says so; refuses one entirely off, naming the bounds', async () => {
    const [id] = await ids('calexp');
    const { status, file } = await fitsOf(`/image/v0/L2/DR1/calexp/${id}/cutout?x1=-10&y1=700&x2=20&y2=800&plane=data`);
    expect(status).to.equal(200);
    const f = await FitsFile.open(file);
    expect(f.hdus[0]!.image!.naxis).to.deep.equal([21, 45]);
    expect(f.hdus[0]!.header.get('CLIPPED')).to.equal(true);
    expect(f.hdus[0]!.header.getString('REQBOX')).to.equal('[-10:20,700:800]');
    expect(f.hdus[0]!.header.getNumber('LTV2')).to.equal(-700);
    await f.close();
    const off = await json(`/image/v0/L2/DR1/calexp/${id}/cutout?x=5000&y=5000&width=10&height=10`);
    expect(off.status).to.equal(400);
    expect(off.body.error.message).to.include('x 0..1023, y 0..744');
  });

  it('answers bad cutout input with a clear 400, never a 500', async () => {
    const [id] = await ids('calexp');
    const cases: [string, RegExp][] = [
      ['', /needs a box/],
      ['x=10&y=10&width=5', /missing height/],
      ['x=abc&y=10&width=5&height=5', /x must be a number/],
      ['x=NaN&y=10&width=5&height=5', /x must be a number/],
      ['x=10&y=10&width=-5&height=5', /width must be positive/],
      ['x=10&y=10&width=5&height=5&x1=1&y1=1&x2=3&y2=3', /contradictory/],
      ['x=10&y=10&width=1e12&height=5', /too large/],
      ['ra=0&dec=95&widthPix=5&heightPix=5', /dec must be between/],
      ['ra=0&dec=0&deltaRa=6000&deltaDec=1', /too large/],
      ['x1=1.5&y1=1&x2=3&y2=3', /integer/],
      ['x=10&y=10&width=5&height=5&plane=weird', /unknown plane/],
      ['x=10&y=10&width=5&height=5&format=gif', /unknown format/],
      ['ra=180&dec=0&widthPix=5&heightPix=5', /not on this image|entirely off/],
    ];
    for (const [q, re] of cases) {
      const r = await json(`/image/v0/L2/DR1/calexp/${id}/cutout?${q}`);
      expect(r.status, q).to.equal(400);
      expect(r.body.error.message, q).to.match(re);
    }
  });

  it('cuts coadds by tract/patch/filter and by position alone, from a RICE_1 compressed coadd too', async () => {
    const c = coadds[compressedIndex]!;
    const byPatch = await fitsOf(`/image/v0/L2/DR1/deepCoadd/cutout?tract=0&patch=11,11&filter=r&x=500&y=500&width=100&height=100&plane=data`);
    expect(byPatch.status).to.equal(200);
    const centre = c.centre;
    const byPos = await fitsOf(`/image/v0/L2/DR1/deepCoadd/cutout?ra=${centre.ra}&dec=${centre.dec}&filter=r&widthPix=100&heightPix=100&plane=data`);
    expect(byPos.status).to.equal(200);
    const a = await FitsFile.open(byPatch.file);
    const b = await FitsFile.open(byPos.file);
    expect(a.hdus[0]!.header.getNumber('PARENTID')).to.equal(b.hdus[0]!.header.getNumber('PARENTID'));
    // Compare with the compressed parent read directly.
    const parent = await FitsFile.open(path.join(dataDir, 'images', c.path));
    expect(parent.hdus[1]!.kind).to.equal('compressed-image');
    const want = physicalValues(await parent.readRegion(parent.hdus[1]!, { x0: 450, y0: 450, width: 100, height: 100 }));
    const got = physicalValues(await a.readRegion(a.hdus[0]!, { x0: 0, y0: 0, width: 100, height: 100 }));
    expect(Array.from(got).map(Math.fround)).to.deep.equal(Array.from(want).map(Math.fround));
    for (const f of [a, b, parent]) await f.close();
    const v = fitsverify(byPatch.file);
    if (v) expect(v, v.output).to.include({ errors: 0, warnings: 0 });
    expect((await json('/image/v0/L2/DR1/deepCoadd/cutout?tract=0&patch=11,11&x=1&y=1&width=2&height=2')).status).to.equal(400);
    expect((await json('/image/v0/L2/DR1/deepCoadd/cutout?ra=120&dec=0&widthPix=5&heightPix=5')).status).to.equal(404);
  });

  it('renders PNG and JPEG previews within the maximum size', async () => {
    const [id] = await ids('deepCoadd');
    const png = await fetch(`${base}/image/v0/L2/DR1/deepCoadd/${id}?format=png&maxSize=200&stretch=zscale`);
    expect(png.status).to.equal(200);
    expect(png.headers.get('content-type')).to.equal('image/png');
    const pb = Buffer.from(await png.arrayBuffer());
    expect(pb.subarray(1, 4).toString()).to.equal('PNG');
    expect(pb.readUInt32BE(16)).to.be.at.most(200);
    const jpg = await fetch(`${base}/image/v0/L2/DR1/deepCoadd/${id}/cutout?x=500&y=500&width=300&height=200`, { headers: { Accept: 'image/jpeg' } });
    expect(jpg.headers.get('content-type')).to.equal('image/jpeg');
    const jb = Buffer.from(await jpg.arrayBuffer());
    expect(jb[0]).to.equal(0xff);
    expect(jb[1]).to.equal(0xd8);
    expect((await json(`/image/v0/L2/DR1/deepCoadd/${id}?format=png&stretch=log`)).status).to.equal(400);
  });

  it('publishes public images in ivoa.obscore, described in TAP_SCHEMA', async () => {
    const rows = await tdb.db.query<Record<string, unknown>>('SELECT * FROM ivoa.obscore ORDER BY obs_id');
    expect(rows).to.have.length(4);
    const calexp = rows.find((r) => r.dataproduct_subtype === 'calexp')!;
    expect(calexp).to.include({ dataproduct_type: 'image', calib_level: 2, obs_collection: 'DR1', access_format: 'application/x-votable+xml;content=datalink' });
    // No base URL set for this transaction (a direct query): the one the image was registered with.
    expect(calexp.access_url).to.equal(`http://vodax.test/image/v0/datalink/links?ID=${encodeURIComponent(String(calexp.obs_publisher_did))}`);
    expect(calexp.obs_publisher_did).to.match(/^ivo:\/\/vodax\/image\?\d+$/);
    expect(calexp.s_region).to.match(/^POLYGON ICRS( \S+){8}$/);
    expect(Number(calexp.em_min)).to.be.below(Number(calexp.em_max));
    expect(Number(calexp.t_max) - Number(calexp.t_min)).to.be.closeTo(53.907456 / 86400, 1e-9);
    const cols = await tdb.db.query<{ column_name: string; utype: string; xtype: string | null }>(`SELECT column_name, utype, xtype FROM "TAP_SCHEMA".columns WHERE table_name = 'ivoa.obscore'`);
    expect(cols.map((c) => c.column_name)).to.include.members(['dataproduct_type', 'calib_level', 'obs_collection', 'obs_id', 'obs_publisher_did', 'access_url', 'access_format', 'access_estsize', 'target_name', 's_ra', 's_dec', 's_fov', 's_region', 's_resolution', 's_xel1', 's_xel2', 't_min', 't_max', 't_exptime', 't_resolution', 't_xel', 'em_min', 'em_max', 'em_res_power', 'em_xel', 'o_ucd', 'pol_states', 'pol_xel', 'facility_name', 'instrument_name']);
    expect(cols.find((c) => c.column_name === 's_region')!.xtype).to.equal('adql:REGION');
    const declared = new Set(cols.map((c) => c.column_name));
    for (const k of Object.keys(rows[0]!)) if (!k.startsWith('vodax_')) expect(declared.has(k), k).to.equal(true);
  });

  it("keeps an L3 image refused to others after its owner's cutouts left its file open, and serves a file replaced on disk afresh", async () => {
    const l3 = (await tdb.db.query<{ id: number }>("SELECT id FROM vodax.images WHERE level = 'L3'"))[0]!.id;
    const cut = `/image/v0/L3/mine/calexp/${l3}/cutout?x=100&y=100&width=20&height=20&plane=data`;
    const auth = { Authorization: `Bearer ${joeToken}` };
    const owners = await Promise.all([1, 2].map(() => fetch(base + cut, { headers: auth }).then(async (r) => ({ status: r.status, body: Buffer.from(await r.arrayBuffer()) }))));
    expect(owners.map((o) => o.status)).to.deep.equal([200, 200]);
    expect(owners[1]!.body.equals(owners[0]!.body)).to.equal(true);
    expect((await fetch(base + cut)).status).to.equal(404);
    expect((await fetch(base + cut, { headers: { Authorization: 'Bearer not-a-token' } })).status).to.equal(401);
    // The owner's file replaced (renamed over) with another image's: the cutout shows the new pixels.
    const file = path.join(dataDir, 'images', 'joe', 'mine.fits');
    const saved = fs.readFileSync(file);
    try {
      const other = (await tdb.db.query<{ path: string }>("SELECT path FROM vodax.images WHERE kind = 'calexp' AND level = 'L2' ORDER BY id DESC LIMIT 1"))[0]!.path;
      fs.copyFileSync(path.join(dataDir, 'images', other), `${file}.new`);
      fs.renameSync(`${file}.new`, file);
      const after = await fetch(base + cut, { headers: auth });
      expect(after.status).to.equal(200);
      const expected = await FitsFile.open(file);
      const want = await expected.readRegionBytes(expected.hdus[1]!, { x0: 90, y0: 90, width: 20, height: 20 });
      await expected.close();
      const body = Buffer.from(await after.arrayBuffer());
      expect(body.equals(owners[0]!.body)).to.equal(false);
      expect(body.includes(want)).to.equal(true);
    } finally {
      fs.writeFileSync(`${file}.old`, saved);
      fs.renameSync(`${file}.old`, file);
    }
  });

  it('releases a file kept open once its downloads are done, dropped half way or HEAD: closing the cache closes it', async () => {
    const [id] = await ids('calexp');
    const row = (await tdb.db.query<{ path: string }>('SELECT path FROM vodax.images WHERE id = $1', [id]))[0]!;
    const full = fs.realpathSync(path.join(dataDir, 'images', row.path));
    const openOnImage = () => openDescriptorsOn(full);
    const { port } = server.address() as AddressInfo;
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: `/image/v0/L2/DR1/calexp/${id}` }, (res) => {
          expect(res.statusCode).to.equal(200);
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', (e) => (e.message.includes('socket hang up') || (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(e)));
      });
      expect((await fetch(`${base}/image/v0/L2/DR1/calexp/${id}/cutout?x=10&y=10&width=5&height=5`, { method: 'HEAD' })).status).to.equal(200);
    }
    expect(openOnImage()).to.equal(1);
    // Every lease released: closing the cache leaves no handle open (a lease still out would keep one).
    for (let i = 0; i < 50; i++) {
      await imageFiles.close();
      if (openOnImage() === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(openOnImage()).to.equal(0);
  });

  it('never reads a file outside DATA_DIR/images, whatever the table says', async () => {
    const [id] = await ids('calexp');
    const row = (await tdb.db.query<{ path: string }>('SELECT path FROM vodax.images WHERE id = $1', [id]))[0]!;
    await tdb.db.query('UPDATE vodax.images SET path = $2 WHERE id = $1', [id, '../../../../etc/passwd']);
    try {
      const r = await json(`/image/v0/L2/DR1/calexp/${id}`);
      expect(r.status).to.equal(404);
    } finally {
      await tdb.db.query('UPDATE vodax.images SET path = $2 WHERE id = $1', [id, row.path]);
    }
  });
});
