import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { NotFoundError } from '../../src/errors.js';
import { imageHduChunks } from '../../src/fits/image-writer.js';
import { ImageFileCache } from '../../src/images/image-files.js';

/** A 4x3 float32 image whose every pixel is `value`. */
function writeImage(file: string, value: number): void {
  fs.writeFileSync(file, Buffer.concat([...imageHduChunks({ primary: true, bitpix: -32, width: 4, height: 3 }, new Float32Array(12).fill(value))]));
}

/** The pixel at (1, 1), read through the cache. (Tests of reuse use `settleMs: 0`: a file just written is kept at once.) */
async function pixel(cache: ImageFileCache, image: { id: number; path: string }): Promise<number> {
  const lease = await cache.open(image);
  try {
    const r = await lease.file.readRegion(lease.file.hdus[0]!, { x0: 1, y0: 1, width: 1, height: 1 });
    return r.data[0] as number;
  } finally {
    await lease.release();
  }
}

describe('image file cache', () => {
  let dataDir: string;
  let images: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-image-files-'));
    images = path.join(dataDir, 'images');
    fs.mkdirSync(path.join(images, 'a'), { recursive: true });
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('lends the same open file to uses of one image, and a new one once the file is replaced on disk', async () => {
    const cache = new ImageFileCache(dataDir, { settleMs: 0 });
    const image = { id: 1, path: 'a/one.fits' };
    writeImage(path.join(images, 'a', 'one.fits'), 5);
    const first = await cache.open(image);
    const second = await cache.open(image);
    expect(second.file).to.equal(first.file);
    await first.release();
    await second.release();
    expect(await pixel(cache, image)).to.equal(5);
    // Replaced as writers replace files: a new file renamed over the old one.
    writeImage(path.join(images, 'a', 'next.fits'), 7);
    fs.renameSync(path.join(images, 'a', 'next.fits'), path.join(images, 'a', 'one.fits'));
    expect(await pixel(cache, image)).to.equal(7);
    await cache.close();
  });

  it('gives the new pixels of a file rewritten in place at once (a file changed within the settling time is not kept)', async () => {
    const cache = new ImageFileCache(dataDir);
    const image = { id: 1, path: 'a/one.fits' };
    const file = path.join(images, 'a', 'one.fits');
    writeImage(file, 5);
    expect(await pixel(cache, image)).to.equal(5);
    // Same size, same inode, often within the same tick of the clock that stamps file times:
    // only the settling time tells these versions apart.
    for (let v = 6; v < 60; v++) {
      writeImage(file, v);
      expect(await pixel(cache, image)).to.equal(v);
    }
    await cache.close();
  });

  it('answers 404 for a file deleted after it was cached, and for a path leading out of the image store', async () => {
    const cache = new ImageFileCache(dataDir, { settleMs: 0 });
    const image = { id: 1, path: 'a/one.fits' };
    writeImage(path.join(images, 'a', 'one.fits'), 5);
    expect(await pixel(cache, image)).to.equal(5);
    fs.rmSync(path.join(images, 'a', 'one.fits'));
    let err: unknown = null;
    await cache.open(image).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(NotFoundError);
    // A cached file whose path now leads, through a symbolic link, out of the store.
    const outside = path.join(dataDir, 'outside.fits');
    writeImage(outside, 9);
    writeImage(path.join(images, 'a', 'two.fits'), 3);
    const two = { id: 2, path: 'a/two.fits' };
    expect(await pixel(cache, two)).to.equal(3);
    fs.rmSync(path.join(images, 'a', 'two.fits'));
    fs.symlinkSync(outside, path.join(images, 'a', 'two.fits'));
    err = null;
    await cache.open(two).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(NotFoundError);
    expect(String(err)).to.match(/not under the image store/);
    await cache.close();
  });

  it('keeps at most its capacity of files; a file in use when it leaves stays readable until released', async () => {
    const cache = new ImageFileCache(dataDir, { settleMs: 0, capacity: 2 });
    const refs = [1, 2, 3].map((id) => ({ id, path: `a/${id}.fits` }));
    for (const r of refs) writeImage(path.join(images, r.path), r.id);
    const held = await cache.open(refs[0]!);
    for (const r of refs.slice(1)) expect(await pixel(cache, r)).to.equal(r.id);
    // The first file left the cache while held: still readable, and a new use opens it afresh.
    const again = await cache.open(refs[0]!);
    expect(again.file).to.not.equal(held.file);
    expect((await held.file.readRegion(held.file.hdus[0]!, { x0: 0, y0: 0, width: 1, height: 1 })).data[0]).to.equal(1);
    await held.release();
    await again.release();
    // Released: its handle is closed.
    let err: unknown = null;
    await held.file.readRegion(held.file.hdus[0]!, { x0: 0, y0: 0, width: 1, height: 1 }).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(Error);
    await cache.close();
  });
});
