/**
 * SODA 1.0 at /image/v0/soda over sample images: sync cutouts by CIRCLE, POLYGON and POS are byte
 * for byte the LSST face's pixel-corner cutout of the same box (also clipped, other formats, the
 * whole image); astropy and fitsverify on a cutout's WCS; BAND and regions that miss (204);
 * unknown, malformed and private ids (404, alike); bad parameters (400, naming them); the async
 * UWS binding (results per ID x region, owner isolation, abort, image jobs listed); VOSI; and a
 * client dropping a download releases the image file.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { freshDatabase, type TestDatabase } from '../../support/database.js';
import { createApp } from '../../../src/server/app.js';
import { loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/log.js';
import { Registry } from '../../../src/catalog/table-registry.js';
import { addUser } from '../../../src/auth/users.js';
import { sampleCatalog } from '../../../src/sample-data/sample.js';
import { isCompressedSample, loadSampleImages } from '../../../src/sample-data/sample-images.js';
import { registerImage, ImageCatalog, type ImageRecord } from '../../../src/images/image-catalog.js';
import { imageJobKind } from '../../../src/images/image-job-kind.js';
import { regionPixelBox, type SkyRegion } from '../../../src/images/sky-region.js';
import { describeImageFile } from '../../../src/images/describe.js';
import { FitsFile } from '../../../src/fits/file.js';
import { wcsPixelToSky } from '../../../src/wcs/projections.js';
import { JobEngine } from '../../../src/jobs/job-engine.js';
import { sodaJobKindOf } from '../../../src/ivoa/soda/soda-service.js';
import { engineOptions } from '../uws/support.js';
import { openDescriptorsOn } from '../../support/open-files.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

describe('SODA 1.0 routes (/image/v0/soda)', function () {
  this.timeout(300_000);
  let tdb: TestDatabase & { drop(): Promise<void> };
  let dataDir: string;
  let engine: JobEngine;
  let server: http.Server;
  let base: string;
  const tokens: Record<string, string> = {};
  const catalog = sampleCatalog();
  const coadds = catalog.layout.coadds;
  const compressedIndex = coadds.findIndex(isCompressedSample);
  const plainIndex = coadds.findIndex((c) => c.tract === 0 && c.patch === '11,11' && c.band.name === 'g');
  let calexp: ImageRecord;
  let coadd: ImageRecord;
  let l3: ImageRecord;

  const did = (id: number) => `ivo://vodax/image?${id}`;
  const auth = (user?: string): Record<string, string> => (user ? { authorization: `Bearer ${tokens[user]}` } : {});
  const lsstPath = (img: ImageRecord) => `/image/v0/${img.level}/${img.collection}/${img.kind}/${img.id}`;
  /** Sky position of a 0-based pixel of an image. */
  const sky = (img: ImageRecord, x: number, y: number) => wcsPixelToSky(img.wcs, x + 1, y + 1);

  async function get(p: string, user?: string, init: RequestInit = {}): Promise<{ status: number; type: string; headers: Headers; body: Buffer }> {
    const res = await fetch(p.startsWith('http') ? p : base + p, { ...init, headers: { ...auth(user), ...(init.headers as Record<string, string>) }, redirect: 'manual' });
    return { status: res.status, type: res.headers.get('content-type') ?? '', headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  }
  const sync = (q: Array<[string, string]>, user?: string) => get(`/image/v0/soda/sync?${new URLSearchParams(q)}`, user);
  /** The LSST face's cutout of the box the region covers on the image, as the core computes it. */
  async function lsstCutout(img: ImageRecord, region: SkyRegion, extra = ''): Promise<Buffer> {
    const b = regionPixelBox(region, img).box!;
    const res = await get(`${lsstPath(img)}/cutout?x1=${b.x0}&y1=${b.y0}&x2=${b.x1}&y2=${b.y1}${extra}`);
    expect(res.status, res.body.toString()).to.equal(200);
    return res.body;
  }

  before(async () => {
    tdb = await freshDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-soda-'));
    await loadSampleImages(tdb.db, catalog, dataDir, 'http://vodax.test', { exposures: [0], coadds: [plainIndex, compressedIndex] });
    const images = new ImageCatalog(tdb.db);
    const pick = async (kind: string, extra = '') => {
      const row = (await tdb.db.query<{ id: number; level: string; collection: string }>(`SELECT id, level, collection FROM vodax.images WHERE kind = $1 ${extra} ORDER BY id LIMIT 1`, [kind]))[0]!;
      return images.get(row.level, row.collection, kind, row.id, { user: null });
    };
    calexp = await pick('calexp');
    coadd = await pick('deepCoadd', 'AND compressed');
    // A private (L3) image of joe's: a copy of the calexp.
    fs.mkdirSync(path.join(dataDir, 'images', 'joe'), { recursive: true });
    fs.copyFileSync(path.join(dataDir, 'images', calexp.path), path.join(dataDir, 'images', 'joe', 'mine.fits'));
    const f = await FitsFile.open(path.join(dataDir, 'images', 'joe', 'mine.fits'));
    const d = describeImageFile(f);
    await f.close();
    const l3Id = await registerImage(tdb.db, { level: 'L3', collection: 'mine', kind: 'calexp', owner: 'joe', path: 'joe/mine.fits', fileBytes: 1, ...d }, 'http://vodax.test');
    l3 = await images.get('L3', 'mine', 'calexp', l3Id, { user: 'joe' });
    for (const u of ['joe', 'ann', 'bob']) tokens[u] = (await addUser(tdb.db, u)).token;
    const config = loadConfig({ LOG_FORMAT: 'silent', DATA_DIR: dataDir });
    engine = new JobEngine(engineOptions(tdb.db, dataDir, { kinds: [imageJobKind(tdb.db, config), sodaJobKindOf(tdb.db, config)] }));
    await engine.start();
    const app = createApp({ config, log: createLogger('silent'), db: tdb.db, registry: new Registry(tdb.db, { host: '127.0.0.1', port: 5432 }), jobs: engine });
    server = http.createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await engine?.stop(1000);
    await tdb?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('cuts CIRCLE, POLYGON and POS (CIRCLE, RANGE, POLYGON) byte for byte as the LSST face cuts the same box', async () => {
    for (const img of [calexp, coadd]) {
      const c = sky(img, 230, 320);
      const scale = img.pixelScale / 3600;
      const [a, b, e] = [sky(img, 100, 150), sky(img, 180, 160), sky(img, 140, 260)];
      const lo = sky(img, 300, 100);
      const hi = sky(img, 260, 170);
      const [ra1, ra2] = [Math.min(lo.ra, hi.ra), Math.max(lo.ra, hi.ra)];
      const [dec1, dec2] = [Math.min(lo.dec, hi.dec), Math.max(lo.dec, hi.dec)];
      const cases: Array<[string, string, SkyRegion]> = [
        ['CIRCLE', `${c.ra} ${c.dec} ${25 * scale}`, { shape: 'circle', ra: c.ra, dec: c.dec, radius: 25 * scale }],
        ['POLYGON', `${a.ra} ${a.dec} ${b.ra} ${b.dec} ${e.ra} ${e.dec}`, { shape: 'polygon', vertices: [[a.ra, a.dec], [b.ra, b.dec], [e.ra, e.dec]] }],
        ['POS', `CIRCLE ${c.ra} ${c.dec} ${12 * scale}`, { shape: 'circle', ra: c.ra, dec: c.dec, radius: 12 * scale }],
        ['POS', `RANGE ${ra1} ${ra2} ${dec1} ${dec2}`, { shape: 'range', ra1, ra2, dec1, dec2 }],
        ['POS', `POLYGON ${a.ra} ${a.dec} ${b.ra} ${b.dec} ${e.ra} ${e.dec}`, { shape: 'polygon', vertices: [[a.ra, a.dec], [b.ra, b.dec], [e.ra, e.dec]] }],
      ];
      for (const [name, value, region] of cases) {
        const got = await sync([['ID', did(img.id)], [name, value]]);
        expect(got.status, `${name}=${value}: ${got.body}`).to.equal(200);
        expect(got.type).to.equal('image/fits');
        const box = regionPixelBox(region, img).box!;
        expect(got.headers.get('x-vodax-cutout')).to.equal(`x ${box.x0}..${box.x1}, y ${box.y0}..${box.y1}`);
        expect(box.x1 - box.x0).to.be.within(20, 200);
        expect(got.body.equals(await lsstCutout(img, region)), `${img.kind} ${name}=${value}`).to.equal(true);
      }
    }
  });

  it('clips a region reaching past the image as the LSST face clips the same box, and says so', async () => {
    const c = sky(calexp, 3, 10);
    const r = 30 * (calexp.pixelScale / 3600);
    const got = await sync([['ID', did(calexp.id)], ['CIRCLE', `${c.ra} ${c.dec} ${r}`]]);
    expect(got.status).to.equal(200);
    expect(got.headers.get('x-vodax-cutout')).to.match(/^x 0\.\.33, y 0\.\.40 \(clipped\)$/);
    const lsst = await lsstCutout(calexp, { shape: 'circle', ra: c.ra, dec: c.dec, radius: r });
    expect(got.body.equals(lsst)).to.equal(true);
    expect(got.body.toString('latin1')).to.match(/CLIPPED =\s+T/);
  });

  it('answers PNG, JPEG and HDF5 as the LSST face does, POST as GET, and the whole image without a region', async () => {
    const c = sky(calexp, 200, 200);
    const region: SkyRegion = { shape: 'circle', ra: c.ra, dec: c.dec, radius: 40 * (calexp.pixelScale / 3600) };
    const circle = `${c.ra} ${c.dec} ${region.radius}`;
    for (const [rf, lsstFormat, type] of [['image/png', 'png', 'image/png'], ['image/jpeg', 'jpeg', 'image/jpeg']] as const) {
      const got = await sync([['ID', did(calexp.id)], ['CIRCLE', circle], ['RESPONSEFORMAT', rf]]);
      expect(got.status).to.equal(200);
      expect(got.type).to.equal(type);
      expect(got.body.equals(await lsstCutout(calexp, region, `&format=${lsstFormat}`))).to.equal(true);
    }
    const h5 = await sync([['ID', did(calexp.id)], ['CIRCLE', circle], ['RESPONSEFORMAT', 'application/x-hdf5']]);
    expect(h5.status).to.equal(200);
    expect(h5.type).to.equal('application/x-hdf5');
    expect(h5.body.subarray(0, 8).toString('latin1')).to.equal('\x89HDF\r\n\x1a\n');
    const posted = await get('/image/v0/soda/sync', undefined, { method: 'POST', body: new URLSearchParams([['ID', did(calexp.id)], ['CIRCLE', circle]]) });
    expect(posted.status).to.equal(200);
    expect(posted.body.equals(await lsstCutout(calexp, region))).to.equal(true);
    const whole = await sync([['ID', did(calexp.id)]]);
    expect(whole.status).to.equal(200);
    expect(whole.headers.get('x-vodax-cutout')).to.equal(null);
    expect(whole.body.equals((await get(lsstPath(calexp))).body)).to.equal(true);
  });

  it('writes a cutout whose WCS astropy reads and fitsverify passes, the circle centre at its place', async () => {
    const c = sky(coadd, 230.25, 320.75);
    const got = await sync([['ID', did(coadd.id)], ['CIRCLE', `${c.ra} ${c.dec} ${20 * (coadd.pixelScale / 3600)}`]]);
    expect(got.status).to.equal(200);
    const box = regionPixelBox({ shape: 'circle', ra: c.ra, dec: c.dec, radius: 20 * (coadd.pixelScale / 3600) }, coadd).box!;
    const file = path.join(dataDir, 'soda-check.fits');
    fs.writeFileSync(file, got.body);
    const verify = spawnSync('fitsverify', ['-q', '-e', file], { encoding: 'utf8' });
    expect(verify.stdout + verify.stderr).to.match(/^verification OK/);
    const py = spawnSync('/usr/bin/python3', [path.join(HERE, 'check_cutout_wcs.py'), file, String(c.ra), String(c.dec)], { encoding: 'utf8' });
    expect(py.status, py.stderr).to.equal(0);
    const hdus = JSON.parse(py.stdout) as Array<{ extname: string; naxis1: number; naxis2: number; ltv1: number; ltv2: number; celestial: boolean; pixels: number[][] }>;
    expect(hdus.map((h) => h.extname)).to.deep.equal(coadd.planes.map((p) => ({ data: 'IMAGE', mask: 'MASK', variance: 'VARIANCE' })[p]));
    for (const h of hdus) {
      expect(h.celestial).to.equal(true);
      expect([h.naxis1, h.naxis2]).to.deep.equal([box.x1 - box.x0 + 1, box.y1 - box.y0 + 1]);
      expect([h.ltv1, h.ltv2]).to.deep.equal([-box.x0, -box.y0]);
      // The parent pixel of the centre, shifted by the box.
      expect(h.pixels[0]![0]).to.be.closeTo(230.25 - box.x0, 1e-3);
      expect(h.pixels[0]![1]).to.be.closeTo(320.75 - box.y0, 1e-3);
    }
  });

  it('serves a pyvo user: SodaQuery by circle, polygon and range gets the LSST face\'s cutout of the same box; errors reach pyvo', async () => {
    const scale = calexp.pixelScale / 3600;
    const c = sky(calexp, 250, 180);
    const [a, b, e] = [sky(calexp, 100, 150), sky(calexp, 180, 160), sky(calexp, 140, 260)];
    const lo = sky(calexp, 300, 100);
    const hi = sky(calexp, 260, 170);
    const range = [Math.min(lo.ra, hi.ra), Math.max(lo.ra, hi.ra), Math.min(lo.dec, hi.dec), Math.max(lo.dec, hi.dec)] as const;
    const cases: Array<[string, number[], SkyRegion]> = [
      ['circle', [c.ra, c.dec, 20 * scale], { shape: 'circle', ra: c.ra, dec: c.dec, radius: 20 * scale }],
      ['polygon', [a.ra, a.dec, b.ra, b.dec, e.ra, e.dec], { shape: 'polygon', vertices: [[a.ra, a.dec], [b.ra, b.dec], [e.ra, e.dec]] }],
      ['range', [...range], { shape: 'range', ra1: range[0], ra2: range[1], dec1: range[2], dec2: range[3] }],
    ];
    const out = path.join(dataDir, 'pyvo-cutout.fits');
    // Asynchronously: the server answering pyvo runs in this process.
    const pyvo = (dataset: string, shape: string, values: number[], more: string[] = []) =>
      new Promise<{ status?: number; type?: string; error?: string; code?: number; body?: string }>((resolve, reject) => {
        execFile('/usr/bin/python3', [path.join(HERE, 'pyvo_soda.py'), `${base}/image/v0/soda/sync`, dataset, out, shape, ...values.map(String), ...more], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
          if (err) reject(new Error(`${err.message}\n${stderr}`));
          else resolve(JSON.parse(stdout));
        });
      });
    for (const [shape, values, region] of cases) {
      const got = await pyvo(did(calexp.id), shape, values, ['--band', String(calexp.emMin), String(calexp.emMax)]);
      expect(got.status, JSON.stringify(got)).to.equal(200);
      expect(got.type).to.equal('image/fits');
      expect(fs.readFileSync(out).equals(await lsstCutout(calexp, region)), shape).to.equal(true);
    }
    const unknown = await pyvo('ivo://vodax/image?999999', 'circle', [c.ra, c.dec, 0.01]);
    expect(unknown.code).to.equal(404);
    // pyvo raises with the status; SODA's text/plain error document is the body it read.
    expect(unknown.body).to.match(/^NotFoundFault: no dataset/);
    const bad = await pyvo(did(calexp.id), 'circle', [c.ra, c.dec, 0.01], ['--param', 'RESPONSEFORMAT', 'text/html']);
    expect(bad.code).to.equal(400);
    expect(bad.body).to.match(/UsageError: parameter RESPONSEFORMAT 'text\/html'/);
  });

  it('answers 204 No Content for a region or BAND that misses the image; a BAND that meets it cuts', async () => {
    const c = sky(calexp, 100, 100);
    const circle = `${c.ra} ${c.dec} ${10 * (calexp.pixelScale / 3600)}`;
    const far = await sync([['ID', did(calexp.id)], ['CIRCLE', `${(c.ra + 180) % 360} ${-c.dec} 0.1`]]);
    expect(far.status).to.equal(204);
    expect(far.body.length).to.equal(0);
    expect(far.headers.get('x-vodax-no-overlap')).to.match(/does not overlap image/);
    expect(calexp.emMin).to.be.a('number');
    const red = await sync([['ID', did(calexp.id)], ['CIRCLE', circle], ['BAND', `${calexp.emMax! * 1.5} +Inf`]]);
    expect(red.status).to.equal(204);
    expect(red.headers.get('x-vodax-no-overlap')).to.match(/^BAND .* misses the band of image/);
    const inside = await sync([['ID', did(calexp.id)], ['CIRCLE', circle], ['BAND', `${calexp.emMin!} ${calexp.emMin!}`]]);
    expect(inside.status).to.equal(200);
    const open = await sync([['ID', did(calexp.id)], ['BAND', '-Inf +Inf']]);
    expect(open.status).to.equal(200);
  });

  it('answers NotFoundFault (404) alike for unknown, malformed and others\' private ids; the owner gets its own', async () => {
    const message = async (id: string, user?: string) => {
      const r = await sync([['ID', id]], user);
      expect(r.status, id).to.equal(404);
      expect(r.type).to.match(/^text\/plain/);
      const text = r.body.toString();
      expect(text).to.match(/^NotFoundFault: /);
      return text.replace(`'${id}'`, "'ID'");
    };
    const unknown = await message('ivo://vodax/image?999999');
    expect(await message(did(l3.id))).to.equal(unknown);
    expect(await message(did(l3.id), 'bob')).to.equal(unknown);
    for (const bad of [String(calexp.id), `ivo://vodax/image?${calexp.id}x`, 'ivo://other/image?1', `ivo://vodax/image?../${calexp.id}`, `ivo://vodax/image?0${calexp.id}`]) {
      expect(await message(bad)).to.equal(unknown);
    }
    const own = await sync([['ID', did(l3.id)]], 'joe');
    expect(own.status).to.equal(200);
    expect(own.body.equals((await get(lsstPath(l3), 'joe')).body)).to.equal(true);
  });

  it('answers UsageError (400) naming the parameter, and MultiValuedParamNotSupported for several values on sync', async () => {
    const error = async (q: Array<[string, string]>, pattern: RegExp) => {
      const r = await sync(q);
      expect(r.status, JSON.stringify(q)).to.equal(400);
      expect(r.type).to.match(/^text\/plain/);
      expect(r.body.toString()).to.match(new RegExp(`^${pattern.source}`));
    };
    const id = did(calexp.id);
    await error([['CIRCLE', '1 2 3']], /UsageError: parameter ID: is required/);
    await error([['ID', id], ['CIRCLE', '1 2']], /UsageError: parameter CIRCLE '1 2': a circle is three numbers/);
    await error([['ID', id], ['POLYGON', '1 2 3 4']], /UsageError: parameter POLYGON/);
    await error([['ID', id], ['POS', 'BOX 1 2 3 4']], /UsageError: parameter POS/);
    await error([['ID', id], ['BAND', '5 4']], /UsageError: parameter BAND/);
    await error([['ID', id], ['RESPONSEFORMAT', 'text/html']], /UsageError: parameter RESPONSEFORMAT/);
    await error([['ID', id], ['ID', did(coadd.id)]], /MultiValuedParamNotSupported: ID given 2 times; .*\/image\/v0\/soda\/async/);
    await error([['ID', id], ['CIRCLE', '1 2 3'], ['POS', 'CIRCLE 1 2 3']], /MultiValuedParamNotSupported: a region/);
  });

  /** Submit a SODA job (PHASE=RUN), wait for it to end, and return its URL. */
  async function runJob(form: Array<[string, string]>, user: string): Promise<string> {
    const res = await fetch(`${base}/image/v0/soda/async`, { method: 'POST', body: new URLSearchParams([...form, ['PHASE', 'RUN']]), headers: auth(user), redirect: 'manual' });
    expect(res.status, await res.text()).to.equal(303);
    const job = res.headers.get('location')!;
    expect(job).to.match(new RegExp(`^${base}/image/v0/soda/async/[A-Za-z0-9_-]{22}$`));
    for (let i = 0; i < 60; i++) {
      const phase = (await get(`${job}/phase`, user)).body.toString();
      if (['COMPLETED', 'ERROR', 'ABORTED'].includes(phase)) return job;
      await get(`${job}?WAIT=1&PHASE=${phase}`, user);
    }
    throw new Error(`job ${job} did not finish`);
  }
  const resultUrls = (xml: string) => [...xml.matchAll(/xlink:href="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));

  it('runs an async job with one result per ID x region, each as sync answers it; misses and unknown ids get a result saying so', async () => {
    const scale = calexp.pixelScale / 3600;
    const a = sky(calexp, 150, 150);
    const b = sky(calexp, 300, 250);
    const circles = [`${a.ra} ${a.dec} ${15 * scale}`, `${b.ra} ${b.dec} ${10 * scale}`];
    const job = await runJob([['ID', did(calexp.id)], ['ID', 'ivo://vodax/image?999999'], ['CIRCLE', circles[0]!], ['POS', `CIRCLE ${circles[1]}`], ['POS', 'CIRCLE 180 -80 0.01']], 'ann');
    expect((await get(`${job}/phase`, 'ann')).body.toString()).to.equal('COMPLETED');
    const results = resultUrls((await get(`${job}/results`, 'ann')).body.toString());
    expect(results).to.have.length(6);
    const bodies = await Promise.all(results.map((u) => get(u, 'ann')));
    expect(bodies.map((r) => r.status)).to.deep.equal([200, 200, 200, 200, 200, 200]);
    expect((bodies[0]!.body).equals((await sync([['ID', did(calexp.id)], ['CIRCLE', circles[0]!]])).body)).to.equal(true);
    expect((bodies[1]!.body).equals((await sync([['ID', did(calexp.id)], ['CIRCLE', circles[1]!]])).body)).to.equal(true);
    expect(bodies.map((r) => r.type.split(';')[0])).to.deep.equal(['image/fits', 'image/fits', 'text/plain', 'text/plain', 'text/plain', 'text/plain']);
    expect(bodies[2]!.body.toString()).to.match(/^Error: NoOverlap: the region does not overlap image/);
    for (const r of bodies.slice(3)) expect(r.body.toString()).to.match(/^Error: NotFoundFault: no dataset 'ivo:\/\/vodax\/image\?999999'/);
    // Another user sees none of it; the owner's list has it.
    expect((await get(job, 'bob')).status).to.equal(404);
    expect((await get(results[0]!, 'bob')).status).to.equal(404);
    expect((await get(`${job}/results`)).status).to.equal(404);
    expect((await get('/image/v0/soda/async', 'bob')).body.toString()).not.to.contain(job);
    expect((await get('/image/v0/soda/async', 'ann')).body.toString()).to.contain(job);
  });

  it('keeps a private image private in async jobs too: others get NotFoundFault results, the owner the cutout', async () => {
    const c = sky(l3, 100, 100);
    const form: Array<[string, string]> = [['ID', did(l3.id)], ['CIRCLE', `${c.ra} ${c.dec} ${10 * (l3.pixelScale / 3600)}`]];
    const other = await runJob(form, 'bob');
    const [otherResult] = resultUrls((await get(`${other}/results`, 'bob')).body.toString());
    expect((await get(otherResult!, 'bob')).body.toString()).to.match(/^Error: NotFoundFault: /);
    const own = await runJob(form, 'joe');
    const [ownResult] = resultUrls((await get(`${own}/results`, 'joe')).body.toString());
    const got = await get(ownResult!, 'joe');
    expect(got.type).to.equal('image/fits');
    expect(got.body.equals((await sync(form, 'joe')).body)).to.equal(true);
  });

  it('refuses a job with bad parameters (400 naming them), aborts a job, and lists the LSST face\'s image jobs too', async () => {
    const bad = await fetch(`${base}/image/v0/soda/async`, { method: 'POST', body: new URLSearchParams([['ID', did(calexp.id)], ['CIRCLE', '1 2']]), headers: auth('ann'), redirect: 'manual' });
    expect(bad.status).to.equal(400);
    expect(await bad.text()).to.match(/UsageError: parameter CIRCLE/);
    const pending = await fetch(`${base}/image/v0/soda/async`, { method: 'POST', body: new URLSearchParams([['ID', did(calexp.id)]]), headers: auth('ann'), redirect: 'manual' });
    expect(pending.status).to.equal(303);
    const job = pending.headers.get('location')!;
    expect((await get(`${job}/phase`, 'ann')).body.toString()).to.equal('PENDING');
    expect((await get(`${job}/phase`, 'bob', { method: 'POST', body: new URLSearchParams({ PHASE: 'ABORT' }) })).status).to.equal(404);
    const abort = await get(`${job}/phase`, 'ann', { method: 'POST', body: new URLSearchParams({ PHASE: 'ABORT' }) });
    expect(abort.status).to.equal(303);
    expect((await get(`${job}/phase`, 'ann')).body.toString()).to.equal('ABORTED');
    // An image job of the LSST face, listed under SODA's async endpoint.
    const image = await fetch(`${base}${lsstPath(calexp)}/cutout`, { method: 'POST', body: new URLSearchParams({ x: '10', y: '10', width: '5', height: '5' }), headers: auth('ann'), redirect: 'manual' });
    expect(image.status).to.equal(303);
    const imageJobId = image.headers.get('location')!.split('/').pop()!;
    const list = (await get('/image/v0/soda/async', 'ann')).body.toString();
    expect(list).to.contain(`${base}/image/v0/soda/async/${imageJobId}`);
    expect(list).to.contain(job);
  });

  it('aborts a running job: it stops between and within cutouts, leaving no file open and no scratch file', async () => {
    const full = fs.realpathSync(path.join(dataDir, 'images', coadd.path));
    const form: Array<[string, string]> = [['RESPONSEFORMAT', 'application/x-hdf5'], ...Array.from({ length: 40 }, (): [string, string] => ['ID', did(coadd.id)])];
    const res = await fetch(`${base}/image/v0/soda/async`, { method: 'POST', body: new URLSearchParams([...form, ['PHASE', 'RUN']]), headers: auth('ann'), redirect: 'manual' });
    expect(res.status).to.equal(303);
    const job = res.headers.get('location')!;
    let phase = '';
    for (let i = 0; i < 100 && phase !== 'EXECUTING'; i++) {
      phase = (await get(`${job}/phase`, 'ann')).body.toString();
      if (phase !== 'EXECUTING') await new Promise((r) => setTimeout(r, 20));
    }
    expect(phase).to.equal('EXECUTING');
    expect((await get(`${job}/phase`, 'ann', { method: 'POST', body: new URLSearchParams({ PHASE: 'ABORT' }) })).status).to.equal(303);
    for (let i = 0; i < 50 && phase !== 'ABORTED'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      phase = (await get(`${job}/phase`, 'ann')).body.toString();
    }
    expect(phase).to.equal('ABORTED');
    // The cutout being written when the abort came stops at its next band of rows, then lets go of the file.
    const openOnImage = () => openDescriptorsOn(full);
    for (let i = 0; i < 50 && openOnImage() > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(openOnImage()).to.equal(0);
    const results = resultUrls((await get(`${job}/results`, 'ann')).body.toString());
    expect(results.length).to.be.below(40);
    const tmp = path.join(dataDir, 'tmp');
    expect(fs.existsSync(tmp) ? fs.readdirSync(tmp).filter((f) => f.endsWith('.h5')) : []).to.deep.equal([]);
  });

  it('describes itself in VOSI capabilities (sync and async) and availability', async () => {
    const caps = await get('/image/v0/soda/capabilities');
    expect(caps.status).to.equal(200);
    const xml = caps.body.toString();
    expect(xml).to.contain('standardID="ivo://ivoa.net/std/SODA#sync-1.0"');
    expect(xml).to.contain(`<accessURL use="full">${base}/image/v0/soda/sync</accessURL>`);
    expect(xml).to.contain('standardID="ivo://ivoa.net/std/SODA#async-1.0"');
    expect(xml).to.contain(`<accessURL use="full">${base}/image/v0/soda/async</accessURL>`);
    expect(xml).to.contain('standardID="ivo://ivoa.net/std/VOSI#availability"');
    const check = spawnSync('/usr/bin/python3', ['-c', 'import sys, xml.dom.minidom; xml.dom.minidom.parseString(sys.stdin.read())'], { input: xml, encoding: 'utf8' });
    expect(check.status, check.stderr).to.equal(0);
    const avail = await get('/image/v0/soda/availability');
    expect(avail.body.toString()).to.contain('<vosi:available>true</vosi:available>');
  });

  it('releases the image file when a client drops a sync download half way', async () => {
    const full = fs.realpathSync(path.join(dataDir, 'images', coadd.path));
    const openOnImage = () => openDescriptorsOn(full);
    expect(openOnImage()).to.equal(0);
    const { port } = server.address() as AddressInfo;
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: `/image/v0/soda/sync?${new URLSearchParams({ ID: did(coadd.id) })}` }, (res) => {
          expect(res.statusCode).to.equal(200);
          expect(Number(res.headers['content-length'])).to.be.above(1 << 20);
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', (e) => (e.message.includes('socket hang up') || (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(e)));
      });
    }
    // HEAD answers that never read their body release it too.
    for (let i = 0; i < 5; i++) {
      const head = await fetch(`${base}/image/v0/soda/sync?${new URLSearchParams({ ID: did(coadd.id), CIRCLE: `${coadd.ra} ${coadd.dec} 0.001` })}`, { method: 'HEAD' });
      expect(head.status).to.equal(200);
      expect(Number(head.headers.get('content-length'))).to.be.above(0);
    }
    for (let i = 0; i < 50 && openOnImage() > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(openOnImage()).to.equal(0);
  });
});
