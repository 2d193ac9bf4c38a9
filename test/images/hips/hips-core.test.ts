import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { PNG } from 'pngjs';
import { ang2pix, pix2ang, vecToAng } from '../../../src/healpix/nested.js';
import { rangeSet } from '../../../src/healpix/ranges.js';
import { wcsSkyToPixel, type CelestialWcs } from '../../../src/wcs/projections.js';
import { hpxTileWcsCards, nativeTileOrder, pixelSizeDeg, tileDirNumber, tilePath, tilePixelNested, tilePixelVectors } from '../../../src/images/hips/geometry.js';
import { bilinearAt, mergeChildren, projectTile, shrinkTile, skyToPixelFunction, TileAccumulator } from '../../../src/images/hips/resample.js';
import { fitsImageBytes, greyOf, jpegBytes, pngBytes, readFitsTile, stretchOf, tileCards } from '../../../src/images/hips/tile-files.js';
import jpeg from 'jpeg-js';
import { AllskyCanvas, allskyLayout } from '../../../src/images/hips/allsky.js';
import { fromNuniq, mocFitsBytes, nuniqOf, skyFraction } from '../../../src/images/hips/moc.js';
import { parseProperties, propertiesText } from '../../../src/images/hips/properties.js';
import { fitsverify, hasAstropy, python } from '../../fits/support.js';

const TAN: CelestialWcs = {
  projection: 'TAN',
  ctype: ['RA---TAN', 'DEC--TAN'],
  lonAxis: 0,
  crpix: [512.5, 380.25],
  crval: [359.97, 0.02],
  cd: [
    [-0.00011, 0.0000021],
    [0.0000013, 0.00011],
  ],
  lonpole: null,
  latpole: null,
  pv: [0, 0],
  sip: null,
  radesys: 'ICRS',
};

describe('HiPS core: tile geometry', () => {
  it('names tiles as the standard does (Norder6/Dir10000/Npix10302)', () => {
    expect(tilePath(6, 10302, 'fits')).to.equal('Norder6/Dir10000/Npix10302.fits');
    expect(tileDirNumber(9999)).to.equal(0);
    expect(tilePath(3, 5, 'png')).to.equal('Norder3/Dir0/Npix5.png');
  });

  it('each tile pixel is the nested cell ang2pix puts its centre in, children inside their parent', () => {
    for (const [order, npix, width] of [[0, 4, 16], [3, 300, 32], [10, 4_700_000, 512], [0, 0, 8], [2, 191, 64]] as const) {
      const v = tilePixelVectors(order, npix, width);
      for (const [col, row] of [[0, 0], [width - 1, 0], [0, width - 1], [width - 1, width - 1], [width >> 1, (width >> 2) + 1]] as const) {
        const k = 3 * (row * width + col);
        const { ra, dec } = vecToAng([v[k]!, v[k + 1]!, v[k + 2]!]);
        const cell = tilePixelNested(order, npix, width, col, row);
        const pixOrder = order + Math.log2(width);
        expect(ang2pix(pixOrder, ra, dec)).to.equal(cell);
        // The cell is inside the tile: its ancestor at the tile order is the tile.
        expect(cell >> BigInt(2 * Math.log2(width))).to.equal(BigInt(npix));
        const c = pix2ang(pixOrder, cell);
        expect(Math.abs(((c.ra - ra + 540) % 360) - 180) * Math.cos((dec * Math.PI) / 180)).to.be.below(1e-9);
      }
    }
  });

  it('pixels run the way Aladin lays them: FITS column = face y (north-west), row = far side of face x', () => {
    // Order 0 tile 4 (centred on RA 0, Dec 0): first stored row is its east corner side.
    const w = 4;
    // Face x grows to the north-east: the last FITS row (i = w-1) has face x = 0, the tile's south-west edge.
    const sw = tilePixelNested(0, 4, w, 0, w - 1);
    expect(sw).to.equal(4n * 16n + 0n);
    const east = tilePixelNested(0, 4, w, 0, 0); // x = 3, y = 0: the east corner cell
    expect(east).to.equal(4n * 16n + 0b0101n);
    const v = tilePixelVectors(0, 4, w);
    const e = vecToAng([v[0]!, v[1]!, v[2]!]);
    expect(e.ra).to.be.within(20, 45); // east of RA 0
    expect(Math.abs(e.dec)).to.be.below(10);
  });

  it('writes the HPX WCS of the standard\'s example (order 0, tile 7, 512 pixels)', () => {
    const cards = hpxTileWcsCards(0, 7, 512).join('\n');
    const value = (k: string) => Number(new RegExp(`^${k}\\s*=\\s*([^/]+)`, 'm').exec(cards)![1]);
    expect(value('CRPIX1')).to.equal(-255.5);
    expect(value('CRPIX2')).to.equal(-255.5);
    expect(value('CD1_1')).to.be.closeTo(-8.7890625e-2, 1e-12);
    expect(value('CD1_2')).to.be.closeTo(-8.7890625e-2, 1e-12);
    expect(value('CD2_1')).to.be.closeTo(8.7890625e-2, 1e-12);
    expect(value('CD2_2')).to.be.closeTo(-8.7890625e-2, 1e-12);
    expect(value('PV2_1')).to.equal(4);
    expect(value('PV2_2')).to.equal(3);
  });

  it('astropy (WCSLIB HPX) puts every sampled tile pixel where vodax says its cell is', function () {
    if (!hasAstropy()) this.skip();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-hpx-'));
    try {
      const cases: [number, number, number][] = [[0, 7, 16], [0, 1, 16], [0, 9, 16], [4, 1200, 32], [10, 4_700_000, 64], [6, 49_000, 64]];
      const expected: number[][] = [];
      for (const [order, npix, w] of cases) {
        fs.writeFileSync(path.join(dir, `t${order}-${npix}.fits`), fitsImageBytes(new Float32Array(w * w), w, w, [...tileCards(order, npix, null), ...hpxTileWcsCards(order, npix, w)]));
        const v = tilePixelVectors(order, npix, w);
        for (const [col, row] of [[0, 0], [w - 1, 3], [5, w - 1], [w >> 1, w >> 1]]) {
          const k = 3 * (row! * w + col!);
          const s = vecToAng([v[k]!, v[k + 1]!, v[k + 2]!]);
          expected.push([order, npix, col!, row!, s.ra, s.dec]);
        }
      }
      const out = python(
        `import sys, json, warnings
from astropy.io import fits
from astropy.wcs import WCS
warnings.simplefilter('ignore')
rows = json.loads(sys.argv[2])
res = []
for order, npix, col, row, ra, dec in rows:
    w = WCS(fits.getheader(f"{sys.argv[1]}/t{order}-{npix}.fits"))
    r, d = w.wcs_pix2world([[col, row]], 0)[0]
    res.append([float(r), float(d)])
print(json.dumps(res))`,
        [dir, JSON.stringify(expected)],
      );
      const got = JSON.parse(out) as number[][];
      got.forEach(([ra, dec], i) => {
        const [, , , , era, edec] = expected[i]!;
        const dra = Math.abs(((ra! - era! + 540) % 360) - 180) * Math.cos((edec! * Math.PI) / 180);
        expect(dra, `pixel ${expected[i]!.join(',')}`).to.be.below(1e-7);
        expect(Math.abs(dec! - edec!), `pixel ${expected[i]!.join(',')}`).to.be.below(1e-7);
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('chooses the order of the native pixel scale (0.396" -> order 10 of 512-pixel tiles, 0.4026")', () => {
    expect(nativeTileOrder(0.396, 512)).to.equal(10);
    expect(nativeTileOrder(0.396, 256)).to.equal(11);
    expect(pixelSizeDeg(10, 512) * 3600).to.be.closeTo(0.4026, 0.0001);
    expect(nativeTileOrder(1.0, 512)).to.equal(9);
    expect(nativeTileOrder(60, 512)).to.equal(3);
  });
});

describe('HiPS core: resampling', () => {
  it('the fast TAN path agrees with wcsSkyToPixel to a micro-pixel', () => {
    const f = skyToPixelFunction(TAN);
    const f2 = skyToPixelFunction({ ...TAN, crval: [10, 89.9], lonpole: 170 });
    const out = new Float64Array(2);
    for (const [wcs, fn] of [[TAN, f], [{ ...TAN, crval: [10, 89.9] as [number, number], lonpole: 170 }, f2]] as const) {
      for (let i = 0; i < 50; i++) {
        const x = 1 + ((i * 37) % 1024);
        const y = 1 + ((i * 53) % 745);
        const ra = wcs.crval[0] + (x - 500) * 0.0001;
        const dec = wcs.crval[1] + (y - 300) * 0.00005;
        const d = (dec * Math.PI) / 180;
        const r = (ra * Math.PI) / 180;
        fn(Math.cos(d) * Math.cos(r), Math.cos(d) * Math.sin(r), Math.sin(d), out);
        const p = wcsSkyToPixel(wcs, ra, dec);
        expect(out[0]).to.be.closeTo(p.x, 1e-6);
        expect(out[1]).to.be.closeTo(p.y, 1e-6);
      }
    }
  });

  it('bilinear interpolation reproduces a plane exactly, clamps at the edges, skips NaN neighbours', () => {
    const box = { x0: 0, y0: 0, width: 10, height: 8 };
    const values = new Float64Array(80);
    for (let r = 0; r < 8; r++) for (let c = 0; c < 10; c++) values[r * 10 + c] = 3 + 2 * (c + 1) - 0.5 * (r + 1);
    expect(bilinearAt(values, box, 4.25, 3.75)).to.be.closeTo(3 + 2 * 4.25 - 0.5 * 3.75, 1e-12);
    expect(bilinearAt(values, box, 1, 1)).to.be.closeTo(4.5, 1e-12);
    // Beyond the last pixel centre (but on the pixel), the edge value.
    expect(bilinearAt(values, box, 10.4, 1)).to.be.closeTo(3 + 20 - 0.5, 1e-12);
    values[2 * 10 + 3] = NaN; // pixel (4, 3)
    const v = bilinearAt(values, box, 4.5, 3.5);
    expect(Number.isFinite(v)).to.equal(true);
  });

  it('projects a tile on an image, averages overlapping images, NaN where none covers', () => {
    // The order-11 tile (1.7') that holds the centre of TAN's image (6.8' x 4.9').
    const centre = { ra: 359.97, dec: 0.02 };
    const npix = Number(ang2pix(11, centre.ra, centre.dec));
    const w = 64;
    const vec = tilePixelVectors(11, npix, w);
    const img = { wcs: TAN, naxis1: 1024, naxis2: 745 };
    const p = projectTile(vec, img);
    expect(p.hits).to.equal(w * w);
    const box = p.box!;
    const plane = (x: number, y: number) => 100 + 0.01 * x + 0.02 * y;
    const vals = new Float64Array(box.width * box.height);
    for (let r = 0; r < box.height; r++) for (let c = 0; c < box.width; c++) vals[r * box.width + c] = plane(box.x0 + c + 1, box.y0 + r + 1);
    const acc = new TileAccumulator(w);
    acc.add(p, vals);
    const twice = vals.map((v) => v + 10);
    acc.add(p, twice);
    const t = acc.result()!;
    for (const i of [0, 100, 2000, w * w - 1]) expect(t[i]).to.be.closeTo(plane(p.x[i]!, p.y[i]!) + 5, 1e-3);
    // A tile far away: nothing.
    const far = projectTile(tilePixelVectors(11, npix + 100_000, w), img);
    expect(far.hits).to.equal(0);
    expect(new TileAccumulator(w).result()).to.equal(null);
  });

  it('a parent pixel is the mean of exactly its four nested children', () => {
    // Order 1 tiles 8 pixels wide: pixel order 4; fill children with their cells' nested index.
    const w = 8;
    const parent = 5;
    const children = [0, 1, 2, 3].map((c) => {
      const t = new Float32Array(w * w);
      for (let row = 0; row < w; row++) for (let col = 0; col < w; col++) t[row * w + col] = Number(tilePixelNested(2, 4 * parent + c, w, col, row));
      return t;
    });
    const merged = mergeChildren(children, w)!;
    for (let row = 0; row < w; row++) {
      for (let col = 0; col < w; col++) {
        const cell = Number(tilePixelNested(1, parent, w, col, row));
        expect(merged[row * w + col]).to.equal(4 * cell + 1.5);
      }
    }
    // A missing child leaves its quarter NaN.
    const partial = mergeChildren([children[0]!, null, null, null], w)!;
    expect(partial.filter((v) => !Number.isNaN(v)).length).to.equal((w * w) / 4);
    expect(mergeChildren([null, null, null, null], w)).to.equal(null);
    expect(Array.from(shrinkTile(new Float32Array([1, 2, 3, NaN]), 2, 1))).to.deep.equal([2]);
  });
});

describe('HiPS core: files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-hips-core-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('FITS tiles are float32 with NaN for no data, fitsverify clean, and read back', () => {
    const w = 32;
    const data = new Float32Array(w * w).map((_, i) => (i % 7 === 0 ? NaN : i * 0.5));
    const bytes = fitsImageBytes(data, w, w, [...tileCards(10, 4_700_000, 'count'), ...hpxTileWcsCards(10, 4_700_000, w)]);
    const file = path.join(dir, 'tile.fits');
    fs.writeFileSync(file, bytes);
    const v = fitsverify(file);
    if (v) expect(v.errors, v.output).to.equal(0);
    if (v) expect(v.warnings, v.output).to.equal(0);
    const back = readFitsTile(bytes);
    expect(back.width).to.equal(w);
    expect(Number.isNaN(back.data[0]!)).to.equal(true);
    expect(back.data[1]).to.equal(0.5);
  });

  it('PNG tiles are transparent where there is no data, rows top down, one stretch for all', () => {
    const w = 4;
    const data = new Float32Array(w * w).fill(10);
    data[0] = NaN; // first FITS row: the bottom of the picture
    data[w * w - 1] = 1000; // last FITS row: the top
    const st = stretchOf([0, 5, 10, 10, 10, 12, 1000]);
    const png = PNG.sync.read(pngBytes(data, w, w, st));
    const px = (x: number, y: number) => [png.data[4 * (y * w + x)]!, png.data[4 * (y * w + x) + 3]!];
    expect(px(0, w - 1)[1]).to.equal(0); // NaN: transparent, bottom-left
    expect(px(w - 1, 0)).to.deep.equal([255, 255]); // bright: white, top-right
    expect(px(1, 1)[1]).to.equal(255);
    expect(greyOf(10, st)! > greyOf(5, st)!).to.equal(true);
  });

  it('JPEG tiles hold the same picture, black where there is no data', () => {
    const w = 16;
    const data = new Float32Array(w * w).fill(1000);
    for (let i = 0; i < w * 4; i++) data[i] = NaN; // the first 4 FITS rows: the bottom of the picture
    const img = jpeg.decode(jpegBytes(data, w, w, stretchOf([0, 1, 2, 1000])));
    expect([img.width, img.height]).to.deep.equal([w, w]);
    expect(img.data[4 * (w * (w - 1) + 2)]!).to.be.below(20); // bottom row: black
    expect(img.data[4 * 2]!).to.be.above(235); // top row: white
  });

  it('Allsky: 27 x 29 tiles at order 3, tile N at column N mod 27 and row N / 27 from the top', () => {
    expect(allskyLayout(3)).to.deep.equal({ tiles: 768, columns: 27, rows: 29 });
    expect(allskyLayout(0)).to.deep.equal({ tiles: 12, columns: 3, rows: 4 });
    const a = new AllskyCanvas(0, 2);
    const tile = new Float32Array(16).fill(NaN);
    tile[0] = 7; // first FITS row, first column: bottom-left of the tile picture
    a.place(4, tile, 4);
    // Tile 4 is column 1, row 1 from the top; its bottom-left 2x2 cell is storage row H-1-(1*2+1) = 4, column 2.
    expect(a.data[4 * a.width + 2]).to.equal(7);
    expect(a.data.filter((v) => !Number.isNaN(v)).length).to.equal(1);
  });

  it('the MOC of any cell set is the one a brute-force descent from order 0 gives (whole cells kept, partial ones split)', () => {
    // Brute force, independent of nuniqOf's aligned blocks: from each base cell down, a cell wholly
    // in the set is one NUNIQ value, a partly covered one is split into its four children.
    const bruteForce = (order: number, cells: Set<number>): bigint[] => {
      const out: bigint[] = [];
      const visit = (k: number, index: number) => {
        const span = 4 ** (order - k);
        let n = 0;
        for (let c = index * span; c < (index + 1) * span; c++) if (cells.has(c)) n++;
        if (n === 0) return;
        if (n === span) out.push(BigInt(4 * 4 ** k + index));
        else for (let c = 0; c < 4; c++) visit(k + 1, 4 * index + c);
      };
      for (let f = 0; f < 12; f++) visit(0, f);
      return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    };
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (const [order, density, blocks] of [[3, 0.05, 0], [3, 0.5, 0], [4, 0.02, 6], [4, 0.9, 3], [2, 1, 0], [5, 0, 4]] as const) {
      const cells = new Set<number>();
      const total = 12 * 4 ** order;
      for (let c = 0; c < total; c++) if (random() < density) cells.add(c);
      // Whole aligned blocks (a base cell, a cell of order 1 or 2) as a footprint makes them.
      for (let b = 0; b < blocks; b++) {
        const k = Math.floor(random() * Math.min(3, order));
        const span = 4 ** (order - k);
        const start = Math.floor(random() * 12 * 4 ** k) * span;
        for (let c = start; c < start + span; c++) cells.add(c);
      }
      const sorted = [...cells].sort((a, b) => a - b);
      const set = rangeSet(order, sorted.map((c) => [BigInt(c), BigInt(c + 1)] as const));
      const got = nuniqOf(set);
      expect(got, `order ${order}, density ${density}`).to.deep.equal(bruteForce(order, cells));
      // And back: the NUNIQ cells are exactly the cells, each once.
      const back: number[] = [];
      for (const u of got) {
        const { order: k, index } = fromNuniq(u);
        const span = 4 ** (order - k);
        for (let c = Number(index) * span; c < (Number(index) + 1) * span; c++) back.push(c);
      }
      expect(back.sort((a, b) => a - b)).to.deep.equal(sorted);
      expect(skyFraction(set)).to.be.closeTo(cells.size / total, 1e-12);
    }
  });

  it('properties round-trip and Moc.fits is a well-formed NUNIQ MOC, fitsverify clean', () => {
    const text = propertiesText([['creator_did', 'ivo://vodax/P/x'], ['obs_title', 'a\nb']], 'hi');
    const p = parseProperties(text);
    expect(p.map.get('obs_title')).to.equal('a b');
    expect(text.startsWith('# hi\n')).to.equal(true);
    // Cells 0..15 of order 2 are cell 0 of order 0; 20 stays alone; 32..35 are cell 8 of order 1.
    const set = rangeSet(2, [[0n, 16n], [20n, 21n], [32n, 36n]]);
    const u = nuniqOf(set);
    expect(u.map(fromNuniq).map((c) => `${c.order}/${c.index}`)).to.deep.equal(['0/0', '1/8', '2/20']);
    expect(skyFraction(set)).to.be.closeTo(21 / 192, 1e-12);
    const file = path.join(dir, 'Moc.fits');
    fs.writeFileSync(file, mocFitsBytes(set, { id: 'ivo://vodax/test' }));
    const v = fitsverify(file);
    if (v) expect(v.errors, v.output).to.equal(0);
    if (v) expect(v.warnings, v.output).to.equal(0);
  });
});
