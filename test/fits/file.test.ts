import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { FitsFile } from '../../src/fits/file.js';
import { compressedImageHduBytes, emptyPrimaryBytes, imageHduChunks, type ImageHduSpec } from '../../src/fits/image-writer.js';
import { allocPixels, physicalValues, type Bitpix } from '../../src/fits/pixels.js';
import { fitsCards } from '../../src/fits/header-writer.js';
import { fitsverify, hasAstropy, python } from './support.js';

const FIXTURES = new URL('../../fixtures/images/', import.meta.url).pathname;

function sameValues(a: Float64Array, b: Float64Array, what: string): void {
  expect(a.length, what).to.equal(b.length);
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(b[i]!)) expect(a[i], `${what} [${i}]`).to.be.NaN;
    else if (a[i] !== b[i]) expect.fail(`${what} [${i}]: ${a[i]} != ${b[i]}`);
  }
}

describe('FITS reading', () => {
  it('decodes every tile-compressed HDU astropy wrote exactly as astropy does (RICE_1, GZIP_1; dithered, tiled)', async () => {
    const comp = await FitsFile.open(path.join(FIXTURES, 'compressed-astropy.fits'));
    const plain = await FitsFile.open(path.join(FIXTURES, 'compressed-astropy-expected.fits'));
    try {
      expect(comp.imageHdus().map((h) => h.extname)).to.deep.equal(['RICE_F32', 'RICE_F32_TILES', 'RICE_I16', 'RICE_I32', 'RICE_MASK', 'GZIP_F32', 'GZIP_I16']);
      for (const hdu of comp.imageHdus()) {
        const ref = plain.hdus.find((h) => h.extname === hdu.extname)!;
        const [w, h] = hdu.image!.naxis as [number, number];
        const whole = { x0: 0, y0: 0, width: w, height: h };
        sameValues(physicalValues(await comp.readRegion(hdu, whole)), physicalValues(await plain.readRegion(ref, whole)), `${hdu.extname} whole`);
        // A box across tile edges: only its tiles are decoded, and they must agree too.
        const box = { x0: 27, y0: 9, width: 41, height: 33 };
        sameValues(physicalValues(await comp.readRegion(hdu, box)), physicalValues(await plain.readRegion(ref, box)), `${hdu.extname} box`);
      }
    } finally {
      await comp.close();
      await plain.close();
    }
  });

  it('rejects files that are not FITS, naming the file', async () => {
    const f = path.join(os.tmpdir(), `vodax-notfits-${process.pid}.fits`);
    fs.writeFileSync(f, 'hello world'.repeat(300));
    try {
      let err: Error | null = null;
      await FitsFile.open(f).catch((e: Error) => (err = e));
      expect(String(err)).to.match(/not a FITS file/).and.to.include(f);
    } finally {
      fs.rmSync(f);
    }
  });
});

describe('FITS image writing', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-fits-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases: { bitpix: Bitpix; bscale?: number; bzero?: number; blank?: number | bigint }[] = [
    { bitpix: 8 },
    { bitpix: 16, bscale: 0.5, bzero: 1000, blank: -32768 },
    { bitpix: 32, blank: -2147483648 },
    { bitpix: 64, bzero: 10, blank: -1n },
    { bitpix: -32 },
    { bitpix: -64 },
  ];

  function sample(bitpix: Bitpix, w: number, h: number) {
    const data = allocPixels(bitpix, w * h);
    for (let i = 0; i < w * h; i++) {
      const v = ((i * 7919) % 251) - (bitpix === 8 ? 0 : 120);
      if (data instanceof BigInt64Array) data[i] = BigInt(v) * 1000000000000n;
      else data[i] = bitpix < 0 ? v + 0.25 : v;
    }
    if (data instanceof Float32Array || data instanceof Float64Array) data[5] = NaN;
    return data;
  }

  it('writes every BITPIX with BSCALE, BZERO and BLANK; reads any rectangle back; fitsverify is clean', async () => {
    const file = path.join(dir, 'all.fits');
    const w = 37;
    const h = 23;
    const chunks: Buffer[] = [emptyPrimaryBytes(fitsCards('ORIGIN', 'vodax test'))];
    for (const c of cases) {
      const spec: ImageHduSpec = { primary: false, bitpix: c.bitpix, width: w, height: h, bscale: c.bscale, bzero: c.bzero, blank: c.blank, extname: `B${c.bitpix < 0 ? 'M' : ''}${Math.abs(c.bitpix)}` };
      chunks.push(...imageHduChunks(spec, sample(c.bitpix, w, h)));
    }
    fs.writeFileSync(file, Buffer.concat(chunks));
    const f = await FitsFile.open(file);
    try {
      expect(f.imageHdus()).to.have.length(cases.length);
      for (const [k, c] of cases.entries()) {
        const hdu = f.imageHdus()[k]!;
        const region = await f.readRegion(hdu, { x0: 3, y0: 4, width: 10, height: 7 });
        const src = sample(c.bitpix, w, h);
        for (let y = 0; y < 7; y++) {
          for (let x = 0; x < 10; x++) {
            const a = region.data[y * 10 + x]!;
            const b = src[(y + 4) * w + x + 3]!;
            if (typeof a === 'number' && Number.isNaN(a)) expect(b).to.be.NaN;
            else expect(a, `BITPIX ${c.bitpix}`).to.equal(b);
          }
        }
        expect(region.bscale).to.equal(c.bscale ?? 1);
        expect(region.bzero).to.equal(c.bzero ?? 0);
      }
    } finally {
      await f.close();
    }
    const v = fitsverify(file);
    if (v) expect(v, v.output).to.include({ errors: 0, warnings: 0 });
    if (hasAstropy()) {
      const out = python(
        `import sys, json; from astropy.io import fits; import numpy as np
h = fits.open(sys.argv[1])
print(json.dumps([[h[i].header['BITPIX'], float(np.nansum(h[i].data.astype(np.float64)))] for i in range(1, len(h))]))`,
        [file],
      );
      const sums = JSON.parse(out) as [number, number][];
      const f2 = await FitsFile.open(file);
      for (const [k, hdu] of f2.imageHdus().entries()) {
        const phys = physicalValues(await f2.readRegion(hdu, { x0: 0, y0: 0, width: w, height: h }));
        let s = 0;
        for (const x of phys) if (!Number.isNaN(x)) s += x;
        expect(sums[k]![0]).to.equal(cases[k]!.bitpix);
        expect(sums[k]![1]).to.be.closeTo(s, Math.abs(s) * 1e-12 + 1e-9);
      }
      await f2.close();
    }
  });

  it('reads the same rectangles whether it reads row pieces alone or spans of rows (narrow and wide images, up to the last pixel)', async () => {
    // 300 columns: a span of rows per read; 20000 columns of float32: the gap between row pieces is too long to span.
    for (const w of [300, 20000]) {
      const h = 12;
      const file = path.join(dir, `span-${w}.fits`);
      const src = sample(-32, w, h) as Float32Array;
      fs.writeFileSync(file, Buffer.concat([...imageHduChunks({ primary: true, bitpix: -32, width: w, height: h }, src)]));
      const f = await FitsFile.open(file);
      try {
        const hdu = f.imageHdus()[0]!;
        for (const rect of [
          { x0: 17, y0: 2, width: 5, height: 7 },
          { x0: w - 9, y0: h - 4, width: 9, height: 4 },
          { x0: 0, y0: 0, width: 1, height: h },
          { x0: 3, y0: 5, width: w - 3, height: 2 },
        ]) {
          const region = await f.readRegion(hdu, rect);
          for (let y = 0; y < rect.height; y++) {
            for (let x = 0; x < rect.width; x++) {
              const a = region.data[y * rect.width + x]!;
              const b = src[(y + rect.y0) * w + x + rect.x0]!;
              if (Number.isNaN(b)) expect(a).to.be.NaN;
              else if (a !== b) expect.fail(`width ${w}, rect ${JSON.stringify(rect)} (${x}, ${y}): ${a} != ${b}`);
            }
          }
        }
      } finally {
        await f.close();
      }
    }
  });

  it('decodes a rectangle of RICE_1 tiles as the whole tiles decode (only its part is decoded: tiles past the 10000-value dither sequence, tiles of several rows, integers)', async () => {
    const file = path.join(dir, 'rice-parts.fits');
    const w = 12500;
    const h = 6;
    const img = new Float32Array(w * h);
    const ints = new Int32Array(w * h);
    for (let i = 0; i < w * h; i++) {
      img[i] = 500 + 40 * Math.sin(i * 0.013) + ((i * 7919) % 97) * 0.3;
      ints[i] = ((i * 104729) % 2001) - 1000;
    }
    img[w * 2 + 11000] = NaN;
    fs.writeFileSync(
      file,
      Buffer.concat([
        emptyPrimaryBytes(),
        ...compressedImageHduBytes({ primary: false, bitpix: -32, width: w, height: h, extname: 'ROWS' }, img, { quantizeStep: 0.05, zdither0: 9990 }),
        ...compressedImageHduBytes({ primary: false, bitpix: -32, width: w, height: h, extname: 'BANDS' }, img, { quantizeStep: 0.05, tileRows: 4 }),
        ...compressedImageHduBytes({ primary: false, bitpix: 32, width: w, height: h, extname: 'INTS' }, ints, { tileRows: 4 }),
      ]),
    );
    const f = await FitsFile.open(file);
    try {
      for (const hdu of f.imageHdus()) {
        const whole = await f.readRegion(hdu, { x0: 0, y0: 0, width: w, height: h });
        for (const rect of [
          { x0: 10990, y0: 1, width: 40, height: 3 },
          { x0: w - 5, y0: 3, width: 5, height: 3 },
          { x0: 0, y0: 0, width: 3, height: 6 },
          { x0: 9600, y0: 2, width: 800, height: 4 },
        ]) {
          const part = await f.readRegion(hdu, rect);
          for (let y = 0; y < rect.height; y++) {
            for (let x = 0; x < rect.width; x++) {
              const a = part.data[y * rect.width + x]!;
              const b = whole.data[(y + rect.y0) * w + x + rect.x0]!;
              if (typeof b === 'number' && Number.isNaN(b)) expect(a, `${hdu.extname} NaN`).to.be.NaN;
              else if (a !== b) expect.fail(`${hdu.extname} ${JSON.stringify(rect)} (${x}, ${y}): ${a} != ${b}`);
            }
          }
        }
      }
      // The whole image decodes as written (within the quantization step for floats).
      const floats = (await f.readRegion(f.imageHdus()[0]!, { x0: 0, y0: 0, width: w, height: h })).data;
      for (let i = 0; i < w * h; i++) {
        if (Number.isNaN(img[i]!)) expect(floats[i]).to.be.NaN;
        else if (Math.abs((floats[i] as number) - img[i]!) > 0.026) expect.fail(`pixel ${i}: ${floats[i]} vs ${img[i]}`);
      }
      expect(Array.from((await f.readRegion(f.imageHdus()[2]!, { x0: 0, y0: 0, width: w, height: h })).data as Int32Array)).to.deep.equal(Array.from(ints));
    } finally {
      await f.close();
    }
  });

  it('decodes a rectangle of 2-d tiles lying far apart in the heap (a read per tile) as the whole image decodes it', async function () {
    if (!hasAstropy()) this.skip();
    const file = path.join(dir, 'rice-2d.fits');
    // 100x100 tiles, 60 to a tile row: a box across two tile rows needs tiles 60 apart in the heap.
    python(
      `import sys; import numpy as np; from astropy.io import fits
rng = np.random.default_rng(5)
data = (1000 + rng.normal(0, 17, (400, 6000))).astype(np.float32)
fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(data, compression_type='RICE_1', tile_size=[100, 100], quantize_level=16)]).writeto(sys.argv[1], overwrite=True)`,
      [file],
    );
    const f = await FitsFile.open(file);
    try {
      const hdu = f.imageHdus()[0]!;
      const whole = await f.readRegion(hdu, { x0: 0, y0: 0, width: 6000, height: 400 });
      for (const rect of [
        { x0: 2950, y0: 180, width: 100, height: 40 },
        { x0: 0, y0: 50, width: 6000, height: 300 },
      ]) {
        const part = await f.readRegion(hdu, rect);
        for (let y = 0; y < rect.height; y++) {
          for (let x = 0; x < rect.width; x++) {
            const a = part.data[y * rect.width + x]!;
            const b = whole.data[(y + rect.y0) * 6000 + x + rect.x0]!;
            if (a !== b) expect.fail(`${JSON.stringify(rect)} (${x}, ${y}): ${a} != ${b}`);
          }
        }
      }
    } finally {
      await f.close();
    }
  });

  it('writes RICE_1 compressed float and int images that fitsverify accepts and astropy decodes as vodax does', async function () {
    const file = path.join(dir, 'rice.fits');
    const w = 200;
    const h = 50;
    const img = new Float32Array(w * h);
    const mask = new Int32Array(w * h);
    for (let i = 0; i < w * h; i++) {
      img[i] = 100 + 10 * Math.sin(i * 0.37) + (i % 13) * 0.1;
      mask[i] = i % 17 === 0 ? 5 : 0;
    }
    img[42] = NaN;
    fs.writeFileSync(
      file,
      Buffer.concat([
        emptyPrimaryBytes(),
        ...compressedImageHduBytes({ primary: false, bitpix: -32, width: w, height: h, extname: 'IMAGE' }, img, { quantizeStep: 0.01, zdither0: 3 }),
        ...compressedImageHduBytes({ primary: false, bitpix: 32, width: w, height: h, extname: 'MASK' }, mask, { tileRows: 7 }),
      ]),
    );
    const v = fitsverify(file);
    if (v) expect(v, v.output).to.include({ errors: 0, warnings: 0 });
    const f = await FitsFile.open(file);
    const whole = { x0: 0, y0: 0, width: w, height: h };
    const ours = physicalValues(await f.readRegion(f.imageHdus()[0]!, whole));
    const ourMask = physicalValues(await f.readRegion(f.imageHdus()[1]!, whole));
    await f.close();
    for (let i = 0; i < w * h; i++) {
      if (i === 42) expect(ours[i]).to.be.NaN;
      else expect(Math.abs(ours[i]! - img[i]!)).to.be.at.most(0.0051);
      expect(ourMask[i]).to.equal(mask[i]);
    }
    if (!hasAstropy()) return;
    const out = python(
      `import sys, json; from astropy.io import fits; import numpy as np
h = fits.open(sys.argv[1])
print(json.dumps({'img': [None if np.isnan(v) else float(v) for v in h[1].data.ravel()], 'mask': [int(v) for v in h[2].data.ravel()]}))`,
      [file],
    );
    const theirs = JSON.parse(out) as { img: (number | null)[]; mask: number[] };
    for (let i = 0; i < w * h; i++) {
      // astropy 5.2 ignores ZBLANK on quantized floats (it returns the dequantized null value); cfitsio and vodax give NaN.
      if (i === 42) expect(theirs.img[i] === null || theirs.img[i]! < -1e6).to.equal(true);
      else if (theirs.img[i] === null) expect(ours[i]).to.be.NaN;
      else expect(Math.fround(ours[i]!)).to.equal(Math.fround(theirs.img[i]!));
    }
    expect(theirs.mask).to.deep.equal(Array.from(mask));
  });
});
