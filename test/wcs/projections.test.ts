import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { wcsFromHeader, wcsCards } from '../../src/wcs/header-wcs.js';
import { shiftWcs, wcsPixelToSky, wcsSkyToPixel, fromTanWcs } from '../../src/wcs/projections.js';
import { pixelToSky } from '../../src/wcs/tan.js';
import { FitsHeader, parseCard } from '../../src/fits/header.js';

interface Case {
  name: string;
  header: Record<string, string | number>;
  pixels: [number, number][];
  sky: [number, number][];
  back: [number, number][];
}

const cases = JSON.parse(readFileSync(new URL('./wcs-expected.json', import.meta.url), 'utf8')) as Case[];

function headerOf(values: Record<string, string | number>): FitsHeader {
  return new FitsHeader(Object.entries(values).map(([keyword, value]) => ({ keyword, value, comment: null })));
}

/** Angular distance in degrees between two sky positions. */
function separation(a: [number, number], b: [number, number]): number {
  const d = Math.PI / 180;
  const s =
    Math.sin(a[1] * d) * Math.sin(b[1] * d) + Math.cos(a[1] * d) * Math.cos(b[1] * d) * Math.cos((a[0] - b[0]) * d);
  const h = Math.sin(((a[1] - b[1]) * d) / 2) ** 2 + Math.cos(a[1] * d) * Math.cos(b[1] * d) * Math.sin(((a[0] - b[0]) * d) / 2) ** 2;
  return s > 0.9 ? (2 * Math.asin(Math.sqrt(h))) / d : Math.acos(Math.min(1, s)) / d;
}

describe('FITS WCS projections against astropy.wcs', () => {
  for (const c of cases) {
    it(`${c.name}: pixel to sky within 1e-9 deg over the whole image`, () => {
      const wcs = wcsFromHeader(headerOf(c.header));
      let worst = 0;
      c.pixels.forEach(([x, y], i) => {
        const s = wcsPixelToSky(wcs, x, y);
        worst = Math.max(worst, separation([s.ra, s.dec], c.sky[i]!));
      });
      expect(worst, `worst separation of ${c.pixels.length} points`).to.be.below(1e-9);
    });
    it(`${c.name}: sky to pixel within 1e-6 pixel`, () => {
      const wcs = wcsFromHeader(headerOf(c.header));
      let worst = 0;
      const n1 = Number(c.header.NAXIS1);
      c.sky.forEach(([ra, dec], i) => {
        // On CAR and AIT the left and right edges are the same meridian (phi = 180): either side is right.
        // At the poles of CAR every x is the same point.
        const edge = Math.abs(c.back[i]![0] - 0.5) < 1e-6 || Math.abs(c.back[i]![0] - n1 - 0.5) < 1e-6 || Math.abs(dec) > 90 - 1e-9;
        if (edge && (wcs.projection === 'CAR' || wcs.projection === 'AIT')) return;
        const p = wcsSkyToPixel(wcs, ra, dec);
        worst = Math.max(worst, Math.abs(p.x - c.back[i]![0]), Math.abs(p.y - c.back[i]![1]));
      });
      expect(worst).to.be.below(1e-6);
    });
  }

  it('writes cards that read back to the same WCS', () => {
    for (const c of cases) {
      const wcs = wcsFromHeader(headerOf(c.header));
      const again = wcsFromHeader(new FitsHeader(wcsCards(wcs).map((card, i) => parseCard(card, i))));
      for (const [x, y] of c.pixels.slice(0, 20)) {
        const a = wcsPixelToSky(wcs, x, y);
        const b = wcsPixelToSky(again, x, y);
        expect(separation([a.ra, a.dec], [b.ra, b.dec]), c.name).to.be.below(1e-10);
      }
    }
  });

  it('a shifted WCS gives a cutout pixel the sky position of its parent pixel', () => {
    const wcs = wcsFromHeader(headerOf(cases.find((c) => c.name === 'tan-sip')!.header));
    const sub = shiftWcs(wcs, 300, 1200);
    for (const [x, y] of [[1, 1], [50.5, 7], [100, 100]] as const) {
      const a = wcsPixelToSky(sub, x, y);
      const b = wcsPixelToSky(wcs, x + 300, y + 1200);
      expect(separation([a.ra, a.dec], [b.ra, b.dec])).to.be.below(1e-12);
    }
  });

  it('agrees with the fixtures TAN code', () => {
    const tan = { crpix: [512.5, 373] as [number, number], crval: [359.99, 0.5] as [number, number], cd: [[1e-6, 1.1e-4], [1.1e-4, -1e-6]] as [[number, number], [number, number]] };
    const wcs = fromTanWcs(tan);
    for (const [x, y] of [[1, 1], [1024, 745], [300, 20]]) {
      const a = wcsPixelToSky(wcs, x!, y!);
      const b = pixelToSky(tan, x!, y!);
      expect(separation([a.ra, a.dec], [b.ra, b.dec])).to.be.below(1e-12);
    }
  });

  it('rejects headers without a celestial WCS or with an unknown projection', () => {
    expect(() => wcsFromHeader(headerOf({ CTYPE1: 'LINEAR', CTYPE2: 'LINEAR' }))).to.throw(/no celestial WCS/);
    expect(() => wcsFromHeader(headerOf({ CTYPE1: 'RA---MER', CTYPE2: 'DEC--MER' }))).to.throw(/MER is not supported/);
  });
});
