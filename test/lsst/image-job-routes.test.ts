/**
 * Asynchronous image work (I2-I4): POST of image requests answers 303 to /image/v0/{job}; the job
 * runs the same core as GET (byte-identical answers); explain, status and results in the v0
 * envelope; the job as UWS XML; jobs belong to the bearer of the token. Also the HDF5 output and
 * HEAD answers that release their file.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import h5wasm from 'h5wasm/node';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { createApp } from '../../src/server/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { Registry } from '../../src/catalog/table-registry.js';
import { addUser } from '../../src/auth/users.js';
import { sampleCatalog } from '../../src/sample-data/sample.js';
import { isCompressedSample, loadSampleImages } from '../../src/sample-data/sample-images.js';
import { imageJobKind } from '../../src/images/image-job-kind.js';
import { FitsFile } from '../../src/fits/file.js';
import { physicalValues } from '../../src/fits/pixels.js';
import { wcsFromHeader } from '../../src/wcs/header-wcs.js';
import { JobEngine } from '../../src/jobs/job-engine.js';
import { engineOptions } from '../ivoa/uws/support.js';
import { openDescriptorsOn } from '../support/open-files.js';

describe('LSST image face: asynchronous image jobs (I2-I4), HDF5, HEAD', function () {
  this.timeout(120_000);
  let tdb: TestDatabase & { drop(): Promise<void> };
  let dataDir: string;
  let engine: JobEngine;
  let server: http.Server;
  let base: string;
  const tokens: Record<string, string> = {};
  const catalog = sampleCatalog();
  const coadds = catalog.layout.coadds;
  const compressed = coadds[coadds.findIndex(isCompressedSample)]!;
  const plainIndex = coadds.findIndex((c) => c.tract === 0 && c.patch === '11,11' && c.band.name === 'g');
  let calexpId: number;

  before(async () => {
    tdb = await freshDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-image-jobs-'));
    await loadSampleImages(tdb.db, catalog, dataDir, 'http://vodax.test', { exposures: [0], coadds: [plainIndex, coadds.indexOf(compressed)] });
    calexpId = (await tdb.db.query<{ id: number }>("SELECT id FROM vodax.images WHERE kind = 'calexp' ORDER BY id LIMIT 1"))[0]!.id;
    for (const u of ['ann', 'bob']) tokens[u] = (await addUser(tdb.db, u)).token;
    const config = loadConfig({ LOG_FORMAT: 'silent', DATA_DIR: dataDir });
    engine = new JobEngine(engineOptions(tdb.db, dataDir, { kinds: [imageJobKind(tdb.db, config)] }));
    await engine.start();
    // createApp mounts the image job routes, since the engine has the 'image' kind.
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

  const auth = (user?: string): Record<string, string> => (user ? { authorization: `Bearer ${tokens[user]}` } : {});

  /** POST a form to a path; the answer unfollowed. */
  async function post(p: string, form: Record<string, string>, user?: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(base + p, { method: 'POST', body: new URLSearchParams(form), headers: { ...auth(user), ...headers }, redirect: 'manual' });
  }
  async function json(url: string, user?: string): Promise<{ status: number; body: any }> {
    const res = await fetch(url.startsWith('http') ? url : base + url, { headers: auth(user) });
    return { status: res.status, body: await res.json() };
  }
  async function bytes(url: string, user?: string): Promise<{ status: number; type: string | null; body: Buffer }> {
    const res = await fetch(url.startsWith('http') ? url : base + url, { headers: auth(user) });
    return { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
  }
  /** Submit, wait for the job to finish (UWS WAIT), and return its URL. */
  async function runJob(p: string, form: Record<string, string>, user?: string, headers: Record<string, string> = {}): Promise<string> {
    const res = await post(p, form, user, headers);
    expect(res.status, await res.clone().text()).to.equal(303);
    const job = res.headers.get('location')!;
    expect(job).to.match(new RegExp(`^${base}/image/v0/[A-Za-z0-9_-]{22}$`));
    for (let i = 0; i < 50; i++) {
      const status = (await json(`${job}/status`, user)).body.result.status;
      if (['COMPLETED', 'ERROR', 'ABORTED'].includes(status)) return job;
      await fetch(`${job}?WAIT=1&PHASE=${status}`, { headers: auth(user) });
    }
    throw new Error(`job ${job} did not finish`);
  }
  async function onlyResult(job: string, user?: string): Promise<{ status: number; type: string | null; body: Buffer }> {
    const urls = (await json(`${job}/results`, user)).body.result as string[];
    expect(urls).to.have.length(1);
    return bytes(urls[0]!, user);
  }

  it('answers a POSTed cutout with 303 to a job whose result is byte for byte the GET answer', async () => {
    const q = { x: '230', y: '320', width: '61', height: '41' };
    const job = await runJob(`/image/v0/L2/DR1/calexp/${calexpId}/cutout`, q, 'ann');
    const status = (await json(`${job}/status`, 'ann')).body.result;
    expect(status.status).to.equal('COMPLETED');
    expect(status.progress).to.equal(1);
    expect(Date.parse(status.startTime)).to.be.within(Date.now() - 60_000, Date.now());
    const urls = (await json(`${job}/results`, 'ann')).body;
    expect(urls).to.deep.equal({ result: [`${job}/results/result`] });
    const got = await onlyResult(job, 'ann');
    expect(got.type).to.equal('image/fits');
    const sync = await bytes(`/image/v0/L2/DR1/calexp/${calexpId}/cutout?${new URLSearchParams(q)}`);
    expect(sync.status).to.equal(200);
    expect(got.body.equals(sync.body)).to.equal(true);
    // The job itself is a UWS job document.
    const xml = await (await fetch(job, { headers: auth('ann') })).text();
    expect(xml).to.contain('<uws:phase>COMPLETED</uws:phase>');
    expect(xml).to.contain('<uws:ownerId>ann</uws:ownerId>');
    expect(xml).to.contain(`xlink:href="${job}/results/result"`);
    expect(xml).to.match(/<uws:parameter id="cutout">true<\/uws:parameter>/);
  });

  it('runs whole images, one plane or all three, and coadd cutouts by tract/patch/filter and by position (RICE_1 too)', async () => {
    const whole = await runJob(`/image/v0/L2/DR1/calexp/${calexpId}`, { plane: 'variance' }, 'ann');
    expect((await onlyResult(whole, 'ann')).body.equals((await bytes(`/image/v0/L2/DR1/calexp/${calexpId}?plane=variance`)).body)).to.equal(true);
    const all = await runJob(`/image/v0/L2/DR1/calexp/${calexpId}`, {}, 'ann');
    expect((await onlyResult(all, 'ann')).body.equals((await bytes(`/image/v0/L2/DR1/calexp/${calexpId}`)).body)).to.equal(true);
    const byPatch = { tract: String(compressed.tract), patch: compressed.patch, filter: compressed.band.name, x: '100', y: '120', width: '50', height: '40' };
    const j1 = await runJob('/image/v0/L2/DR1/deepCoadd/cutout', byPatch, 'ann');
    const r1 = await onlyResult(j1, 'ann');
    expect(r1.body.equals((await bytes(`/image/v0/L2/DR1/deepCoadd/cutout?${new URLSearchParams(byPatch)}`)).body)).to.equal(true);
    const f = path.join(dataDir, 'job-coadd.fits');
    fs.writeFileSync(f, r1.body);
    const fits = await FitsFile.open(f);
    expect(fits.hdus.find((h) => h.extname === 'IMAGE')!.image!.naxis).to.deep.equal([50, 40]);
    expect(fits.hdus[0]!.header.getString('CUTBOX')).to.equal('[75:124,100:139]');
    await fits.close();
    const centre = (await tdb.db.query<{ ra: number; dec: number }>('SELECT ra, dec FROM vodax.images WHERE tract = $1 AND patch = $2 AND band = $3', [compressed.tract, compressed.patch, compressed.band.name]))[0]!;
    const byPosition = { ra: String(centre.ra), dec: String(centre.dec), widthPix: '30', heightPix: '20', filter: compressed.band.name };
    const j2 = await runJob('/image/v0/L2/DR1/deepCoadd/cutout', byPosition, 'ann');
    expect((await onlyResult(j2, 'ann')).body.equals((await bytes(`/image/v0/L2/DR1/deepCoadd/cutout?${new URLSearchParams(byPosition)}`)).body)).to.equal(true);
  });

  it('explains a job: pixels and bytes to read, what it writes, an estimated time', async () => {
    const job = await runJob(`/image/v0/L2/DR1/calexp/${calexpId}/cutout`, { x1: '0', y1: '0', x2: '99', y2: '49', plane: 'data' }, 'ann');
    const e = (await json(`${job}/explain`, 'ann')).body.result;
    expect(e).to.include({ format: 'fits', pixels: 5000, pixelsDecoded: 0, clipped: false });
    expect(e.box).to.deep.equal({ x0: 0, y0: 0, x1: 99, y1: 49 });
    expect(e.bytesToRead).to.be.at.least(5000 * 4);
    const written = (await onlyResult(job, 'ann')).body.length;
    expect(e.bytesToWrite).to.equal(written);
    expect(e.estimatedSeconds).to.be.above(0).and.below(1);
    // The compressed coadd decodes every tile its rows touch: more pixels than it answers.
    const c = await runJob('/image/v0/L2/DR1/deepCoadd/cutout', { tract: String(compressed.tract), patch: compressed.patch, filter: compressed.band.name, x: '100', y: '100', width: '10', height: '10', plane: 'data' }, 'ann');
    const ce = (await json(`${c}/explain`, 'ann')).body.result;
    expect(ce.pixels).to.equal(100);
    expect(ce.pixelsDecoded).to.be.above(100);
    expect(ce.estimatedSeconds).to.be.a('number').and.above(0);
  });

  it("belongs to its owner: another user's or an anonymous caller's view of it is 404", async () => {
    const job = await runJob(`/image/v0/L2/DR1/calexp/${calexpId}/cutout`, { x: '10', y: '10', width: '5', height: '5' }, 'ann');
    for (const suffix of ['', '/status', '/explain', '/results', '/results/result', '/phase']) {
      expect((await fetch(job + suffix, { headers: auth('bob') })).status, `bob ${suffix}`).to.equal(404);
      expect((await fetch(job + suffix)).status, `anonymous ${suffix}`).to.equal(404);
      expect((await fetch(job + suffix, { headers: auth('ann') })).status, `ann ${suffix}`).to.equal(200);
    }
    expect((await fetch(job, { method: 'DELETE', headers: auth('bob'), redirect: 'manual' })).status).to.equal(404);
    expect((await fetch(job, { method: 'DELETE', headers: auth('ann'), redirect: 'manual' })).status).to.equal(303);
    expect((await fetch(`${job}/status`, { headers: auth('ann') })).status).to.equal(404);
  });

  it('refuses bad requests at once with 400 (or 404 for an unknown image), creating no job', async () => {
    const before = (await tdb.db.query<{ n: number }>("SELECT count(*)::int AS n FROM vodax.jobs WHERE kind = 'image'"))[0]!.n;
    const cases: [string, Record<string, string>, number, RegExp][] = [
      [`/image/v0/L2/DR1/calexp/${calexpId}/cutout`, {}, 400, /needs a box/],
      [`/image/v0/L2/DR1/calexp/${calexpId}/cutout`, { x: '1', y: '1', width: '-3', height: '3' }, 400, /positive/],
      [`/image/v0/L2/DR1/calexp/${calexpId}/cutout`, { x: '1e9', y: '1', width: '3', height: '3' }, 400, /entirely off/],
      [`/image/v0/L2/DR1/calexp/${calexpId}/cutout`, { x: 'NaN', y: '1', width: '3', height: '3' }, 400, /must be a number/],
      [`/image/v0/L2/DR1/calexp/${calexpId}`, { plane: 'sky' }, 400, /unknown plane/],
      [`/image/v0/L2/DR1/calexp/${calexpId}`, { format: 'gif' }, 400, /unknown format/],
      ['/image/v0/L2/DR1/deepCoadd/cutout', { tract: '0', x: '1', y: '1', width: '3', height: '3' }, 400, /tract, patch and filter together/],
      ['/image/v0/L2/DR1/calexp/999999', {}, 404, /no image 999999/],
    ];
    for (const [p, form, status, message] of cases) {
      const res = await post(p, form, 'ann');
      const body = await res.json();
      expect(res.status, `${p} ${JSON.stringify(form)}`).to.equal(status);
      expect(body.error.message).to.match(message);
    }
    const after = (await tdb.db.query<{ n: number }>("SELECT count(*)::int AS n FROM vodax.jobs WHERE kind = 'image'"))[0]!.n;
    expect(after).to.equal(before);
  });

  it('takes UWS control parameters as TAP jobs do: DESTRUCTION in ISO 8601 only, EXECUTIONDURATION in whole seconds', async () => {
    const p = `/image/v0/L2/DR1/calexp/${calexpId}/cutout`;
    const box = { x: '10', y: '10', width: '5', height: '5' };
    // Strings that Date parses but DALI's ISO 8601 is not.
    for (const destruction of ['March 1, 2099', '2099/03/01', 'Sun, 01 Mar 2099 00:00:00 GMT', 'tomorrow']) {
      const res = await post(p, { ...box, DESTRUCTION: destruction }, 'ann');
      expect(res.status, destruction).to.equal(400);
      expect((await res.json()).error.message).to.equal(`parameter DESTRUCTION must be an ISO 8601 time, got '${destruction}'`);
    }
    expect((await post(p, { ...box, EXECUTIONDURATION: '1.5' }, 'ann')).status).to.equal(400);
    expect((await post(p, { ...box, PHASE: 'ABORT' }, 'ann')).status).to.equal(400);
    expect((await post(p, { ...box, ACTION: 'DELETE' }, 'ann')).status).to.equal(400);
    const at = new Date(Date.now() + 86_400_000);
    // A time without a zone is UTC, as for TAP jobs.
    const res = await post(p, { ...box, DESTRUCTION: at.toISOString().slice(0, 19), EXECUTIONDURATION: '30', RUNID: 'mine' }, 'ann');
    expect(res.status).to.equal(303);
    const job = res.headers.get('location')!;
    expect(await (await fetch(`${job}/destruction`, { headers: auth('ann') })).text()).to.equal(`${at.toISOString().slice(0, 19)}.000Z`);
    expect(await (await fetch(`${job}/executionduration`, { headers: auth('ann') })).text()).to.equal('30');
    expect(await (await fetch(`${job}/runId`, { headers: auth('ann') })).text()).to.equal('mine');
  });

  it('obeys PARAMETERS_MAX in the bodies of job requests (creating and changing a job), as sync requests do', async () => {
    const p = `/image/v0/L2/DR1/calexp/${calexpId}/cutout`;
    const box = { x: '10', y: '10', width: '5', height: '5' };
    // The configuration's default: 200 parameters, query string and body together.
    const extra = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, '1']));
    const many = await post(p, { ...box, ...extra(197) }, 'ann');
    expect(many.status).to.equal(400);
    expect((await many.json()).error.message).to.equal('too many parameters (more than 200)');
    const res = await post(p, { ...box, ...extra(196) }, 'ann');
    expect(res.status, await res.clone().text()).to.equal(303);
    const job = res.headers.get('location')!;
    const change = await post(new URL(job).pathname, extra(201), 'ann');
    expect(change.status).to.equal(400);
    expect((await change.json()).error.message).to.equal('too many parameters (more than 200)');
  });

  it('writes HDF5 that reads back with the FITS pixels and the WCS as attributes (sync and as a job)', async () => {
    await h5wasm.ready;
    const q = 'x1=20&y1=30&x2=79&y2=69';
    const sync = await bytes(`/image/v0/L2/DR1/calexp/${calexpId}/cutout?${q}&format=hdf5`);
    expect(sync.status).to.equal(200);
    expect(sync.type).to.equal('application/x-hdf5');
    expect(sync.body.subarray(0, 8).equals(Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]))).to.equal(true);
    const job = await runJob(`/image/v0/L2/DR1/calexp/${calexpId}/cutout`, { x1: '20', y1: '30', x2: '79', y2: '69' }, 'ann', { accept: 'application/x-hdf5' });
    const viaJob = await onlyResult(job, 'ann');
    expect(viaJob.type).to.equal('application/x-hdf5');
    const fitsFile = path.join(dataDir, 'cut.fits');
    fs.writeFileSync(fitsFile, (await bytes(`/image/v0/L2/DR1/calexp/${calexpId}/cutout?${q}`)).body);
    const fits = await FitsFile.open(fitsFile);
    for (const [name, body] of [['sync', sync.body], ['job', viaJob.body]] as const) {
      const h5file = path.join(dataDir, `cut-${name}.h5`);
      fs.writeFileSync(h5file, body);
      const h = new h5wasm.File(h5file, 'r');
      try {
        expect(h.keys().sort(), name).to.deep.equal(['image', 'mask', 'variance']);
        expect(h.attrs.PARENTID!.value).to.equal(calexpId);
        expect(h.attrs.CUTBOX!.value).to.equal('[20:79,30:69]');
        for (const [ds, extname] of [['image', 'IMAGE'], ['mask', 'MASK'], ['variance', 'VARIANCE']]) {
          const d = h.get(ds) as InstanceType<typeof h5wasm.Dataset>;
          const hdu = fits.hdus.find((x) => x.extname === extname)!;
          expect(d.shape).to.deep.equal([40, 60]);
          const expected = physicalValues(await fits.readRegion(hdu, { x0: 0, y0: 0, width: 60, height: 40 }));
          const got = Array.from(d.value as ArrayLike<number>);
          expect(got).to.deep.equal(Array.from(expected));
          const w = wcsFromHeader(hdu.header);
          expect(d.attrs.CTYPE1!.value).to.equal(hdu.header.getString('CTYPE1')!.trim());
          expect(d.attrs.CRPIX1!.value).to.equal(w.crpix[0]);
          expect(d.attrs.CRPIX2!.value).to.equal(w.crpix[1]);
          expect(d.attrs.CRVAL1!.value).to.equal(w.crval[0]);
          expect(d.attrs.CD1_2!.value).to.equal(w.cd[0][1]);
          expect(d.attrs.LTV1!.value).to.equal(-20);
        }
      } finally {
        h.close();
      }
    }
    await fits.close();
  });

  it('releases the image file after HEAD requests that never read the body', async () => {
    const imagePath = (await tdb.db.query<{ path: string }>('SELECT path FROM vodax.images WHERE id = $1', [calexpId]))[0]!.path;
    const full = fs.realpathSync(path.join(dataDir, 'images', imagePath));
    const openOnImage = () => openDescriptorsOn(full);
    // Every earlier answer (GETs read to the end, jobs) has released it too.
    expect(openOnImage()).to.equal(0);
    for (let i = 0; i < 10; i++) {
      for (const p of [`/image/v0/L2/DR1/calexp/${calexpId}`, `/image/v0/L2/DR1/calexp/${calexpId}/cutout?x=5&y=5&width=4&height=4`, `/image/v0/L2/DR1/calexp/${calexpId}/cutout?x=5&y=5&width=4&height=4&format=hdf5`]) {
        const res = await fetch(base + p, { method: 'HEAD' });
        expect(res.status).to.equal(200);
        expect(Number(res.headers.get('content-length'))).to.be.above(0);
      }
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(openOnImage()).to.equal(0);
    expect(fs.readdirSync(path.join(dataDir, 'tmp')).filter((f) => f.endsWith('.h5'))).to.deep.equal([]);
  });
  it('sends /image/v0/{level}, /image/v0/{job} and the IVOA services each to their own routes, whatever the mount order', async () => {
    // A level is never taken for a job, nor a job id for a level.
    const level = await json('/image/v0/L2/status');
    expect(level.status).to.equal(404);
    expect(level.body.error.message).not.to.match(/job/);
    // The IVOA services' place is theirs: a DALI error, never "no job 'sia'".
    const sia = await fetch(base + '/image/v0/sia');
    expect(sia.status).to.equal(404);
    expect(sia.headers.get('content-type')).to.match(/^application\/x-votable\+xml/);
    expect(await sia.text()).to.match(/QUERY_STATUS" value="ERROR">no resource at \/image\/v0\/sia</);
    // A job id is a job, answered in the LSST face's JSON.
    const job = await json('/image/v0/AAAAAAAAAAAAAAAAAAAAAA/status');
    expect(job.status).to.equal(404);
    expect(job.body.error.message).to.match(/no image job 'AAAAAAAAAAAAAAAAAAAAAA'/);
  });
});
