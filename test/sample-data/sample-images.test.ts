import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { sampleCatalog } from '../../src/sample-data/sample.js';
import { sourcesOnExposure } from '../../src/sample-data/stripe82Catalog.js';
import { isCompressedSample, loadSampleImages, MASK_BITS, sampleImages } from '../../src/sample-data/sample-images.js';
import { FitsFile } from '../../src/fits/file.js';
import { physicalValues } from '../../src/fits/pixels.js';
import { describeImageFile } from '../../src/images/describe.js';
import { fitsverify, hasAstropy, python } from '../fits/support.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';

describe('sample images', function () {
  this.timeout(120_000);
  const catalog = sampleCatalog();
  const compressed = catalog.layout.coadds.findIndex(isCompressedSample);
  let dir: string;
  let images: ReturnType<typeof sampleImages>;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-sample-images-'));
    images = sampleImages(catalog, dir, { exposures: [3], coadds: [compressed] });
    for (const i of images) i.write();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes calexp and compressed coadd files that fitsverify accepts and whose description matches the registration', async () => {
    for (const img of images) {
      const v = fitsverify(img.file);
      if (v) expect(v, v.output).to.include({ errors: 0, warnings: 0 });
      const f = await FitsFile.open(img.file);
      const d = describeImageFile(f);
      await f.close();
      expect(d.planes).to.deep.equal(img.image.planes);
      expect(d.hdus).to.deep.equal(img.image.hdus);
      expect(d.compressed).to.equal(img.image.compressed);
      expect(d.footprint.map((x, k) => Math.abs(x - img.image.footprint[k]!))).to.satisfy((a: number[]) => a.every((x) => x < 1e-9));
    }
    expect(images.map((i) => i.image.compressed)).to.deep.equal([false, true]);
  });

  it('is deterministic: the same seed writes the same bytes', () => {
    const again = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-sample-again-'));
    try {
      const [first] = sampleImages(catalog, again, { exposures: [3], coadds: [] });
      first!.write();
      expect(fs.readFileSync(first!.file).equals(fs.readFileSync(images[0]!.file))).to.equal(true);
    } finally {
      fs.rmSync(again, { recursive: true, force: true });
    }
  });

  it("draws the catalog's sources where Science_Ccd_Exposure puts them, and masks the image edge", async () => {
    const e = catalog.layout.exposures[3]!;
    const bright = [...sourcesOnExposure(catalog, e)].sort((a, b) => a.source.trueMag - b.source.trueMag).slice(0, 5);
    expect(bright.length).to.be.greaterThan(0);
    const f = await FitsFile.open(images[0]!.file);
    const whole = { x0: 0, y0: 0, width: e.naxis1, height: e.naxis2 };
    const img = physicalValues(await f.readRegion(f.hdus[1]!, whole));
    const mask = physicalValues(await f.readRegion(f.hdus[2]!, whole));
    await f.close();
    const sorted = Array.from(img).sort((a, b) => a - b);
    const p99 = sorted[Math.floor(sorted.length * 0.99)]!;
    for (const { source } of bright) {
      const x = Math.round(source.x);
      const y = Math.round(source.y);
      if (x < 3 || y < 3 || x > e.naxis1 - 4 || y > e.naxis2 - 4) continue;
      expect(img[y * e.naxis1 + x], `source at ${x},${y}`).to.be.greaterThan(p99);
      expect(mask[y * e.naxis1 + x]! & (1 << MASK_BITS.DETECTED)).to.not.equal(0);
    }
    expect(mask[0]! & (1 << MASK_BITS.EDGE)).to.not.equal(0);
    expect(mask[10 * e.naxis1 + 10]! & (1 << MASK_BITS.EDGE)).to.equal(0);
  });

  it('the RICE_1 coadd reads in astropy as vodax reads it', async function () {
    if (!hasAstropy()) this.skip();
    const file = images[1]!.file;
    const f = await FitsFile.open(file);
    const box = { x0: 100, y0: 200, width: 50, height: 40 };
    const ours = physicalValues(await f.readRegion(f.hdus[1]!, box));
    const mask = physicalValues(await f.readRegion(f.hdus[2]!, box));
    await f.close();
    const out = python(
      `import sys, json; from astropy.io import fits
h = fits.open(sys.argv[1])
print(json.dumps({'img': h['IMAGE'].data[200:240, 100:150].ravel().astype(float).tolist(), 'mask': h['MASK'].data[200:240, 100:150].ravel().tolist()}))`,
      [file],
    );
    const theirs = JSON.parse(out) as { img: number[]; mask: number[] };
    expect(theirs.img.map(Math.fround)).to.deep.equal(Array.from(ours).map(Math.fround));
    expect(theirs.mask).to.deep.equal(Array.from(mask));
  });
});

describe('sample images written in worker threads (loadSampleImages, first start)', function () {
  this.timeout(180_000);
  const catalog = sampleCatalog();
  const options = { exposures: [0, 1, 2, 3, 4, 5], coadds: [0, 1, 2, catalog.layout.coadds.findIndex(isCompressedSample)] };
  let tdb: TestDatabase & { drop(): Promise<void> };
  let dir: string;
  let here: string;
  before(async () => {
    tdb = await freshDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-sample-pool-'));
    here = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-sample-here-'));
    for (const i of sampleImages(catalog, here, options)) i.write();
  });
  after(async () => {
    await tdb?.drop();
    for (const d of [dir, here]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it('writes the same files as one thread, and registers and reports them in their order', async () => {
    const seen: number[] = [];
    const r = await loadSampleImages(tdb.db, catalog, dir, 'http://vodax.test', { ...options, onImage: (done) => seen.push(done) });
    expect(r).to.deep.equal({ written: 10, registered: 10 });
    expect(seen).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const mine = sampleImages(catalog, path.join(dir, 'images'), options);
    const ref = sampleImages(catalog, here, options);
    for (const [k, img] of mine.entries()) expect(fs.readFileSync(img.file).equals(fs.readFileSync(ref[k]!.file)), img.image.path).to.equal(true);
    const rows = await tdb.db.query<{ path: string }>('SELECT path FROM vodax.images ORDER BY id');
    expect(rows.map((x) => x.path)).to.deep.equal(mine.map((i) => i.image.path));
    // Again: nothing to write or register.
    expect(await loadSampleImages(tdb.db, catalog, dir, 'http://vodax.test', options)).to.deep.equal({ written: 0, registered: 0 });
  });
});
