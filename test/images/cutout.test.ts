import { expect } from 'chai';
import fc from 'fast-check';
import { resolveCutoutBox, passThroughCards, type CutoutSpec } from '../../src/images/cutout.js';
import { fromTanWcs, shiftWcs, wcsPixelToSky, wcsSkyToPixel, type CelestialWcs } from '../../src/wcs/projections.js';
import { wcsCards, wcsFromHeader } from '../../src/wcs/header-wcs.js';
import { FitsHeader, parseCard } from '../../src/fits/header.js';
import { fitsCards } from '../../src/fits/header-writer.js';
import type { FitsHdu } from '../../src/fits/file.js';

const scale = 0.396 / 3600;
/** A coadd-like north-up image and a calexp-like image turned by 90 degrees. */
const images: { name: string; wcs: CelestialWcs; naxis1: number; naxis2: number }[] = [
  { name: 'north-up', wcs: fromTanWcs({ crpix: [-9987.5, -10987.5], crval: [0, 0], cd: [[-scale, 0], [0, scale]] }), naxis1: 1024, naxis2: 1024 },
  { name: 'turned', wcs: fromTanWcs({ crpix: [512.5, 373], crval: [359.99, 0.3], cd: [[1e-7, scale], [scale, -1e-7]] }), naxis1: 1024, naxis2: 745 },
];

describe('cutout boxes', () => {
  for (const img of images) {
    it(`${img.name}: the five forms give the same box when they describe it`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 900 }), fc.integer({ min: 0, max: 600 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 60 }), (x0, y0, hw, hh) => {
          const w = 2 * hw + 1;
          const h = 2 * hh + 1;
          const cx = x0 + hw;
          const cy = y0 + hh;
          const want = { x0, y0, x1: x0 + w - 1, y1: y0 + h - 1 };
          const sky = wcsPixelToSky(img.wcs, cx + 1, cy + 1);
          // Sizes a little short of whole pixels, so the sky box ends inside the edge pixels.
          const turned = img.name === 'turned';
          const [skyW, skyH] = turned ? [(h - 0.6) * 0.396, (w - 0.6) * 0.396] : [(w - 0.6) * 0.396, (h - 0.6) * 0.396];
          const specs: CutoutSpec[] = [
            { form: 'pixel-centre', x: cx, y: cy, width: w, height: h },
            { form: 'pixel-corners', x1: want.x1, y1: want.y1, x2: want.x0, y2: want.y0 },
            { form: 'sky-centre', ra: sky.ra, dec: sky.dec, widthPix: w, heightPix: h },
            { form: 'sky-box', ra: sky.ra, dec: sky.dec, width: skyW / 3600, height: skyH / 3600 },
          ];
          for (const s of specs) {
            const b = resolveCutoutBox(s, img);
            const { x0: bx0, y0: by0, x1: bx1, y1: by1 } = b;
            expect({ x0: bx0, y0: by0, x1: bx1, y1: by1 }, s.form).to.deep.equal(want);
            expect(b.clipped).to.equal(false);
          }
        }),
        { numRuns: 200 },
      );
    });

    it(`${img.name}: a cutout's written WCS gives every cutout pixel its parent pixel's sky position`, () => {
      const box = resolveCutoutBox({ form: 'pixel-corners', x1: 100, y1: 50, x2: 180, y2: 140 }, img);
      const header = new FitsHeader(wcsCards(shiftWcs(img.wcs, box.x0, box.y0)).map((c, i) => parseCard(c, i)));
      const sub = wcsFromHeader(header);
      for (let y = 1; y <= box.y1 - box.y0 + 1; y++) {
        for (let x = 1; x <= box.x1 - box.x0 + 1; x++) {
          const a = wcsPixelToSky(sub, x, y);
          const b = wcsPixelToSky(img.wcs, x + box.x0, y + box.y0);
          if (Math.abs(a.ra - b.ra) > 1e-12 || Math.abs(a.dec - b.dec) > 1e-12) expect.fail(`pixel ${x},${y}: ${a.ra},${a.dec} != ${b.ra},${b.dec}`);
        }
      }
      const back = wcsSkyToPixel(sub, ...(Object.values(wcsPixelToSky(img.wcs, 150, 100)) as [number, number]));
      expect(back.x).to.be.closeTo(150 - box.x0, 1e-8);
      expect(back.y).to.be.closeTo(100 - box.y0, 1e-8);
    });
  }

  it('clips a partly covered box, and refuses one that misses the image naming its bounds', () => {
    const img = images[1]!;
    const b = resolveCutoutBox({ form: 'pixel-centre', x: 1020, y: 2, width: 10, height: 10 }, img);
    expect(b).to.deep.include({ x0: 1015, y0: 0, x1: 1023, y1: 6, clipped: true });
    expect(b.requested).to.deep.equal({ x0: 1015, y0: -3, x1: 1024, y1: 6 });
    expect(() => resolveCutoutBox({ form: 'pixel-corners', x1: -20, y1: 0, x2: -1, y2: 10 }, img, 'image 7')).to.throw(/entirely off image 7, whose pixels are x 0..1023, y 0..744/);
  });

  it('refuses bad sizes and positions', () => {
    const img = images[0]!;
    expect(() => resolveCutoutBox({ form: 'pixel-centre', x: NaN, y: 1, width: 1, height: 1 }, img)).to.throw(/finite/);
    expect(() => resolveCutoutBox({ form: 'pixel-centre', x: 1, y: 1, width: 0, height: 1 }, img)).to.throw(/positive/);
    expect(() => resolveCutoutBox({ form: 'sky-box', ra: 0, dec: 0, width: 20, height: 1 }, img)).to.throw(/too large/);
    expect(() => resolveCutoutBox({ form: 'sky-centre', ra: 0, dec: -91, widthPix: 1, heightPix: 1 }, img)).to.throw(/between -90 and 90/);
    expect(() => resolveCutoutBox({ form: 'sky-centre', ra: 180, dec: 0, widthPix: 1, heightPix: 1 }, img)).to.throw(/not on this image/);
  });

  it('keeps the parent metadata but not its structure, WCS or compression cards', () => {
    const raw = [
      ...fitsCards('XTENSION', 'BINTABLE'),
      ...fitsCards('ZIMAGE', true),
      ...fitsCards('TFORM1', '1PB(10)'),
      ...fitsCards('CRPIX1', 10.5),
      ...fitsCards('FILTER', 'r'),
      ...fitsCards('LONGTEXT', 'x'.repeat(100)),
      ...fitsCards('LTV1', 5),
      'HISTORY made by a test'.padEnd(80, ' '),
    ];
    const hdu = { rawCards: raw } as unknown as FitsHdu;
    const kept = passThroughCards(hdu).map((c) => c.slice(0, 8).trimEnd());
    expect(kept).to.deep.equal(['FILTER', 'LONGTEXT', 'CONTINUE', 'HISTORY']);
  });
});
