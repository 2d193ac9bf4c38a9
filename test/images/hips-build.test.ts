import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { sampleCatalog } from '../../src/sample-data/sample.js';
import { loadSampleImages } from '../../src/sample-data/sample-images.js';
import zlib from 'node:zlib';
import { ALLSKY_FITS_CELL, buildHips, fitsTileBytes, hipsRoot, hipsTargets, type HipsTarget } from '../../src/images/hips-build.js';
import { hipsLockFile, lockHips } from '../../src/images/hips-lock.js';
import { parseProperties, MANDATORY_PROPERTIES } from '../../src/images/hips/properties.js';
import { readFitsTile } from '../../src/images/hips/tile-files.js';
import { tilePixelVectors } from '../../src/images/hips/geometry.js';
import { bilinearAt } from '../../src/images/hips/resample.js';
import { fromNuniq } from '../../src/images/hips/moc.js';
import { ang2pix, pix2ang, vecToAng } from '../../src/healpix/nested.js';
import { FitsFile } from '../../src/fits/file.js';
import { physicalValues } from '../../src/fits/pixels.js';
import { wcsPixelToSky, wcsSkyToPixel, type CelestialWcs } from '../../src/wcs/projections.js';
import { fitsverify } from '../fits/support.js';
import { execFile, spawn } from 'node:child_process';
import { PNG } from 'pngjs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The UNIQ cells of a Moc.fits written by mocFitsBytes. */
function mocCells(file: string): { order: number; index: bigint }[] {
  const b = fs.readFileSync(file);
  const text = b.toString('latin1', 2880, 2 * 2880);
  const n = Number(/NAXIS2\s*=\s*(\d+)/.exec(text)![1]);
  let off = 2880;
  while (!b.toString('latin1', off, off + 2880).includes('END     ')) off += 2880;
  off += 2880;
  return Array.from({ length: n }, (_, i) => fromNuniq(b.readBigInt64BE(off + 8 * i)));
}

describe('HiPS build (vodax hips build)', function () {
  this.timeout(300_000);
  let tdb: TestDatabase & { drop(): Promise<void> };
  let dataDir: string;
  const catalog = sampleCatalog();
  const coadds = catalog.layout.coadds;
  const rTract0 = ['10,11', '11,11', '12,11'].map((p) => coadds.findIndex((c) => c.tract === 0 && c.patch === p && c.band.name === 'r'));
  const target: HipsTarget = { level: 'L2', collection: 'DR1', kind: 'deepCoadd', band: 'r', owner: null };

  before(async () => {
    tdb = await freshDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-hips-build-'));
    // Two coadd patches of filter r first (one of them RICE-compressed: 11,11); the third comes later.
    await loadSampleImages(tdb.db, catalog, dataDir, 'http://vodax.test', { exposures: [], coadds: [rTract0[0]!, rTract0[1]!] });
  });
  after(async () => {
    await tdb?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const root = () => hipsRoot(dataDir, target);
  const props = () => parseProperties(fs.readFileSync(path.join(root(), 'properties'), 'utf8')).map;

  it('lists the HiPS the images make: one per level, collection, kind and filter', async () => {
    expect(await hipsTargets(tdb.db)).to.deep.equal([target]);
    expect(await hipsTargets(tdb.db, { kind: 'calexp' })).to.deep.equal([]);
  });

  it('builds every order down to 0, Allsky, Moc.fits and properties with the mandatory keys', async () => {
    const stages = new Set<string>();
    const r = await buildHips(tdb.db, dataDir, target, { onProgress: (_d, _t, s) => stages.add(s) });
    expect(r.mode).to.equal('full');
    expect(r.order).to.equal(10);
    expect(r.width).to.equal(512);
    expect(r.deepestTiles).to.be.within(6, 40);
    expect([...stages]).to.include.members(['order 10', 'order 0']);
    const p = props();
    for (const k of MANDATORY_PROPERTIES) expect(p.get(k), k).to.be.a('string').and.not.equal('');
    expect(p.get('hips_order')).to.equal('10');
    expect(p.get('hips_tile_format')).to.equal('png fits');
    expect(p.get('dataproduct_type')).to.equal('image');
    expect(p.get('hips_frame')).to.equal('equatorial');
    expect(Number(p.get('hips_initial_ra'))).to.satisfy((ra: number) => ra > 359.5 || ra < 0.5);
    expect(Number(p.get('moc_sky_fraction'))).to.be.within(1e-8, 1e-5);
    for (let k = 0; k <= 10; k++) expect(fs.readdirSync(path.join(root(), `Norder${k}`)).length, `order ${k}`).to.be.above(0);
    for (const f of ['Allsky.fits', 'Allsky.png']) expect(fs.existsSync(path.join(root(), 'Norder3', f)), f).to.equal(true);
    const v = fitsverify(path.join(root(), 'Moc.fits'));
    if (v) expect(v.errors, v.output).to.equal(0);
    const tile = fs.readdirSync(path.join(root(), 'Norder10', 'Dir' + fs.readdirSync(path.join(root(), 'Norder10'))[0]!.slice(3))).find((f) => /\.fits(\.gz)?$/.test(f))!;
    const tv = fitsverify(path.join(root(), 'Norder10', fs.readdirSync(path.join(root(), 'Norder10'))[0]!, tile));
    if (tv) expect(tv.errors + tv.warnings, tv.output).to.equal(0);
  });

  it('keeps mostly empty FITS tiles gzipped (a few kB, not 1 MB each) and the FITS Allsky at 32-pixel cells', () => {
    let plain = 0;
    let gz = 0;
    let bytes = 0;
    for (let k = 0; k <= 10; k++) {
      const dir = path.join(root(), `Norder${k}`);
      for (const d of fs.readdirSync(dir).filter((x) => x.startsWith('Dir'))) {
        for (const f of fs.readdirSync(path.join(dir, d))) {
          const m = /^Npix(\d+)\.fits(\.gz)?$/.exec(f);
          if (!m) continue;
          const file = path.join(dir, d, f);
          bytes += fs.statSync(file).size;
          const raw = fs.readFileSync(file);
          const tile = readFitsTile(m[2] ? zlib.gunzipSync(raw) : raw).data;
          const nan = tile.filter(Number.isNaN).length / tile.length;
          // Never both files of one tile; gzipped exactly when at least half of it is empty.
          expect(fs.existsSync(m[2] ? file.slice(0, -3) : `${file}.gz`), f).to.equal(false);
          expect(nan >= 0.5, `order ${k} ${f}: ${(nan * 100).toFixed(1)} % NaN`).to.equal(Boolean(m[2]));
          if (m[2]) gz++;
          else plain++;
        }
      }
    }
    // The low orders (one tile or so each) are all gzipped: a few pixels of data in a 512 x 512 tile.
    expect(fs.readdirSync(path.join(root(), 'Norder0', 'Dir0')).filter((f) => f.endsWith('.fits.gz')).length).to.be.above(0);
    expect(gz).to.be.above(plain);
    // 1 MB a tile unpacked; the order 0..7 tiles cost about 10 kB each instead.
    expect(bytes).to.be.below(((plain + gz) * 1054080) / 2);
    const allsky = fs.readFileSync(path.join(root(), 'Norder3', 'Allsky.fits')).toString('latin1', 0, 2880);
    expect(Number(/NAXIS1\s*=\s*(\d+)/.exec(allsky)![1])).to.equal(27 * ALLSKY_FITS_CELL);
    expect(Number(/NAXIS2\s*=\s*(\d+)/.exec(allsky)![1])).to.equal(29 * ALLSKY_FITS_CELL);
    const v = fitsverify(path.join(root(), 'Norder3', 'Allsky.fits'));
    if (v) expect(v.errors + v.warnings, v.output).to.equal(0);
    // The PNG Allsky, what clients draw the low orders from, keeps the standard's 64 pixels a tile.
    expect(PNG.sync.read(fs.readFileSync(path.join(root(), 'Norder3', 'Allsky.png'))).width).to.equal(27 * 64);
  });

  it('a build stopped by its signal leaves the HiPS as it was, and nothing in the staging folder', async () => {
    const before = fs.readFileSync(path.join(root(), 'properties'), 'utf8');
    const ac = new AbortController();
    const stopped = await buildHips(tdb.db, dataDir, target, { full: true, signal: ac.signal, onProgress: (done) => done === 3 && ac.abort() }).catch((e: Error) => e);
    expect(stopped).to.be.instanceOf(Error);
    expect((stopped as Error).name).to.equal('AbortError');
    expect(fs.readFileSync(path.join(root(), 'properties'), 'utf8')).to.equal(before);
    expect(fs.readdirSync(path.join(dataDir, 'hips', '.staging'))).to.deep.equal([]);
  });

  it('sweeps what a killed build left in the staging folder', async () => {
    const dead = path.join(dataDir, 'hips', '.staging', 'build-999999999-1');
    fs.mkdirSync(path.join(dead, 'Norder10'), { recursive: true });
    const ac = new AbortController();
    ac.abort();
    await buildHips(tdb.db, dataDir, target, { full: true, signal: ac.signal }).catch(() => null);
    expect(fs.existsSync(dead)).to.equal(false);
  });

  it('tile values are the images resampled at each cell centre, NaN off the images', async () => {
    const images = await tdb.db.query<{ path: string; wcs: CelestialWcs; naxis1: number; naxis2: number; hdus: { data: number } }>("SELECT path, wcs, naxis1, naxis2, hdus FROM vodax.images ORDER BY id");
    const files = await Promise.all(images.map((i) => FitsFile.open(path.join(dataDir, 'images', i.path))));
    try {
      const dir = path.join(root(), 'Norder10');
      const tiles = fs.readdirSync(dir).flatMap((d) => fs.readdirSync(path.join(dir, d)).filter((f) => /\.fits(\.gz)?$/.test(f)).map((f) => Number(/\d+/.exec(f)![0])));
      let checked = 0;
      let blank = 0;
      for (const npix of tiles.slice(0, 6)) {
        const tile = readFitsTile(fitsTileBytes(root(), 10, npix)!).data;
        const vec = tilePixelVectors(10, npix, 512);
        for (let k = 0; k < 40; k++) {
          const i = (k * 6553 + npix) % (512 * 512);
          const s = vecToAng([vec[3 * i]!, vec[3 * i + 1]!, vec[3 * i + 2]!]);
          const vals: number[] = [];
          for (const [n, img] of images.entries()) {
            const p = wcsSkyToPixel(img.wcs, s.ra, s.dec);
            if (!(p.x >= 0.5 && p.x <= img.naxis1 + 0.5 && p.y >= 0.5 && p.y <= img.naxis2 + 0.5)) continue;
            const x0 = Math.max(0, Math.floor(p.x) - 2);
            const y0 = Math.max(0, Math.floor(p.y) - 2);
            const box = { x0, y0, width: Math.min(img.naxis1 - x0, 4), height: Math.min(img.naxis2 - y0, 4) };
            const region = physicalValues(await files[n]!.readRegion(files[n]!.hdus[img.hdus.data]!, box));
            // The reference reads its own box: equal values prove the tile's box and clamping right.
            vals.push(bilinearAt(region, box, Math.min(p.x, img.naxis1), Math.min(p.y, img.naxis2)));
          }
          if (vals.length === 0) {
            expect(Number.isNaN(tile[i]!), `tile ${npix} pixel ${i}`).to.equal(true);
            blank++;
          } else {
            const want = vals.reduce((a, b) => a + b, 0) / vals.length;
            expect(tile[i]!, `tile ${npix} pixel ${i}`).to.be.closeTo(want, 1e-3 * Math.max(1, Math.abs(want)));
            checked++;
          }
        }
      }
      expect(checked).to.be.above(20);
      expect(blank).to.be.above(0);
    } finally {
      await Promise.all(files.map((f) => f.close()));
    }
  });

  it('the MOC is the data: every cell holds image pixels, every image centre is covered', async () => {
    const cells = mocCells(path.join(root(), 'Moc.fits'));
    expect(cells.length).to.be.above(10);
    const mocOrder = 15;
    const covered = (ra: number, dec: number) => {
      const c = ang2pix(mocOrder, ra, dec);
      return cells.some((m) => c >> BigInt(2 * (mocOrder - m.order)) === m.index);
    };
    for (const i of await tdb.db.query<{ ra: number; dec: number }>('SELECT ra, dec FROM vodax.images')) expect(covered(i.ra, i.dec)).to.equal(true);
    // A point 0.5 deg away from everything is not.
    expect(covered(1.5, 0.9)).to.equal(false);
  });

  it('the MOC is exactly the cells the footprints touch, by brute force from the images\' WCS', async () => {
    // Brute force, from nothing the build computes: a MOC cell (order 15) is touched by an image
    // when one of its 256 pixels of order 19 (the tile pixels) has its centre on the image, i.e.
    // inside the footprint the WCS gives its pixels' outer edges (FITS 0.5 .. NAXIS + 0.5). That
    // is the HiPS's resolution: a cell the footprint only grazes, by less than a tile pixel, holds
    // no tile pixel of data, so it is in neither set.
    const images = await tdb.db.query<{ wcs: CelestialWcs; naxis1: number; naxis2: number }>('SELECT wcs, naxis1, naxis2 FROM vodax.images ORDER BY id');
    const mocOrder = 15;
    const sub = 4; // orders from the MOC cells to the tile pixels (19 = 10 + 9)
    /** Depth of a position inside the footprints, in image pixels (negative outside all). */
    const depth = (ra: number, dec: number) => {
      let best = -Infinity;
      for (const i of images) {
        const p = wcsSkyToPixel(i.wcs, ra, dec);
        best = Math.max(best, Math.min(p.x - 0.5, i.naxis1 + 0.5 - p.x, p.y - 0.5, i.naxis2 + 0.5 - p.y));
      }
      return best;
    };
    // Candidate cells: those of points 4 pixels apart over each footprint grown by 40 pixels (more
    // than a cell across), which holds every cell that has a pixel centre on an image.
    const candidates = new Set<bigint>();
    for (const i of images) {
      for (let x = 0.5 - 40; x <= i.naxis1 + 40.5; x += 4) {
        for (let y = 0.5 - 40; y <= i.naxis2 + 40.5; y += 4) {
          const s = wcsPixelToSky(i.wcs, x, y);
          candidates.add(ang2pix(mocOrder, s.ra, s.dec));
        }
      }
    }
    const expected = new Set<bigint>();
    let boundary = 0;
    let ambiguous = 0;
    for (const c of candidates) {
      const centre = pix2ang(mocOrder, c);
      const d = depth(centre.ra, centre.dec);
      // A cell is under 12 image pixels from its centre to any of its points: far inside or
      // outside, the centre decides; near an edge, each of its 256 pixel centres is tried.
      if (d > 24) expected.add(c);
      if (Math.abs(d) > 24) continue;
      boundary++;
      let most = -Infinity;
      for (let k = 0n; k < 256n; k++) {
        const p = pix2ang(mocOrder + sub, (c << 8n) + k);
        most = Math.max(most, depth(p.ra, p.dec));
      }
      if (Math.abs(most) < 1e-6) ambiguous++;
      else if (most > 0) expected.add(c);
    }
    const got = new Set<bigint>();
    for (const m of mocCells(path.join(root(), 'Moc.fits'))) {
      const span = 1n << BigInt(2 * (mocOrder - m.order));
      for (let k = 0n; k < span; k++) got.add(m.index * span + k);
    }
    expect(boundary).to.be.above(100);
    expect(ambiguous).to.equal(0);
    const missing = [...expected].filter((c) => !got.has(c));
    const extra = [...got].filter((c) => !expected.has(c));
    expect({ missing: missing.length, extra: extra.length }).to.deep.equal({ missing: 0, extra: 0 });
    expect(got.size).to.equal(expected.size);
  });

  it('rebuilds only the tiles a new image touches, then nothing when nothing changed', async () => {
    const before = new Map<string, number>();
    const dir = path.join(root(), 'Norder10');
    for (const d of fs.readdirSync(dir)) for (const f of fs.readdirSync(path.join(dir, d))) before.set(`${d}/${f}`, fs.statSync(path.join(dir, d, f)).mtimeMs);
    const fullTiles = (await buildHips(tdb.db, dataDir, target, { full: false })).deepestTiles;
    await loadSampleImages(tdb.db, catalog, dataDir, 'http://vodax.test', { exposures: [], coadds: [rTract0[2]!] });
    const r = await buildHips(tdb.db, dataDir, target);
    expect(r.mode).to.equal('incremental');
    expect(r.newImages).to.equal(1);
    expect(r.deepestTiles).to.be.above(fullTiles);
    // Tiles far from the new patch (RA 0.33..0.44) were not rewritten.
    let untouched = 0;
    for (const [f, t] of before) if (fs.existsSync(path.join(dir, f)) && fs.statSync(path.join(dir, f)).mtimeMs === t) untouched++;
    expect(untouched).to.be.above(0);
    expect(r.tilesWritten).to.be.below(r.deepestTiles + 20);
    const again = await buildHips(tdb.db, dataDir, target);
    expect(again.mode).to.equal('unchanged');
    expect(again.tilesWritten).to.equal(0);
  });

  it('vodax hips list and build: the HiPS by name, a summary line per HiPS', async () => {
    const env = { ...process.env, DATABASE_URL: tdb.url, DATA_DIR: dataDir, LOG_FORMAT: 'silent' };
    const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'hips', ...args], { env });
    expect((await cli('list')).stdout).to.equal('L2/DR1/deepCoadd/r\n');
    const { stderr } = await cli('build', '--kind', 'deepCoadd', '--filter', 'r');
    expect(stderr).to.match(/L2\/DR1\/deepCoadd\/r: unchanged, 3 images/);
    expect(stderr).to.match(/built 1 HiPS, 0 tiles written/);
    const bad = await cli('build', '--kind', 'nothing').catch((e: { stderr: string; code: number }) => e);
    expect((bad as { code: number }).code).to.not.equal(0);
    expect((bad as { stderr: string }).stderr).to.include('no registered images match');
  });

  it('a CLI build and a build here at the same time: one waits for the other, the HiPS stays whole', async () => {
    const env = { ...process.env, DATABASE_URL: tdb.url, DATA_DIR: dataDir, LOG_FORMAT: 'silent' };
    const lock = hipsLockFile(root());
    const staging = path.join(dataDir, 'hips', '.staging');
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const cliBuild = () => {
      let stderr = '';
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'hips', 'build', '--kind', 'deepCoadd', '--filter', 'r', '--full'], { env });
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      return { child, exited, stderr: () => stderr };
    };
    const whole = async (r: { deepestTiles: number }) => {
      expect(fs.readdirSync(staging)).to.deep.equal([]);
      expect(fs.existsSync(lock)).to.equal(false);
      const rec = JSON.parse(fs.readFileSync(path.join(root(), 'build.json'), 'utf8'));
      expect(rec.images).to.have.length((await tdb.db.query('SELECT id FROM vodax.images')).length);
      const dir = path.join(root(), 'Norder10');
      const tiles = fs.readdirSync(dir).flatMap((d) => fs.readdirSync(path.join(dir, d)).filter((f) => /\.fits(\.gz)?$/.test(f)).map((f) => Number(/\d+/.exec(f)![0])));
      expect(tiles.length).to.equal(r.deepestTiles);
      for (const npix of tiles) expect(readFitsTile(fitsTileBytes(root(), 10, npix)!).width).to.equal(512);
      expect(mocCells(path.join(root(), 'Moc.fits')).length).to.be.above(10);
    };

    // The CLI first (it takes the lock as soon as it starts), a build here meanwhile: this one waits.
    const a = cliBuild();
    while (!(fs.existsSync(lock) && fs.readFileSync(lock, 'utf8').trim() === String(a.child.pid))) {
      expect(a.child.exitCode, a.stderr()).to.equal(null);
      await sleep(20);
    }
    const waits: number[] = [];
    const here = await buildHips(tdb.db, dataDir, target, { full: true, onWait: (pid) => waits.push(pid) });
    expect(await a.exited, a.stderr()).to.equal(0);
    expect(a.stderr()).to.match(/L2\/DR1\/deepCoadd\/r: full, \d+ images/);
    expect(waits).to.deep.equal([a.child.pid]);
    expect(here.mode).to.equal('full');
    await whole(here);

    // The other way round: this process holds the lock (as a server's build does); the CLI says it waits, and builds once it is released.
    const held = await lockHips(root());
    const b = cliBuild();
    while (!b.stderr().includes('waiting')) {
      expect(b.child.exitCode, b.stderr()).to.equal(null);
      await sleep(50);
    }
    expect(b.stderr()).to.include(`L2/DR1/deepCoadd/r: process ${process.pid} is building this HiPS; waiting for it to finish`);
    await sleep(300);
    expect(b.child.exitCode).to.equal(null);
    held.release();
    expect(await b.exited, b.stderr()).to.equal(0);
    expect(b.stderr()).to.match(/L2\/DR1\/deepCoadd\/r: full, \d+ images/);
    await whole(here);
  });

  it('a removed image means a full rebuild, without its tiles', async () => {
    const [last] = await tdb.db.query<{ id: number; ra: number; dec: number }>('SELECT id, ra, dec FROM vodax.images ORDER BY id DESC LIMIT 1');
    await tdb.db.query('DELETE FROM vodax.images WHERE id = $1', [last!.id]);
    const r = await buildHips(tdb.db, dataDir, target);
    expect(r.mode).to.equal('full');
    expect(fs.readdirSync(path.join(dataDir, 'hips', '.staging'))).to.deep.equal([]);
    const cells = mocCells(path.join(root(), 'Moc.fits'));
    const c = ang2pix(15, last!.ra, last!.dec);
    expect(cells.some((m) => c >> BigInt(2 * (15 - m.order)) === m.index)).to.equal(false);
  });
});
