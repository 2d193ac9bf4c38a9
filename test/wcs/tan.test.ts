import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import {
  lsstPixelToSky,
  normalizeRa,
  pixelToSky,
  shiftTanWcs,
  skyToLsstPixel,
  skyToPixel,
  type TanWcs,
} from '../../src/wcs/tan.js';
import { imageContains, imageCorners } from '../../src/wcs/footprint.js';

/** Angular difference in RA, degrees, across the 0/360 seam, scaled to a true angle. */
function raDiff(a: number, b: number, dec: number): number {
  let d = Math.abs(a - b) % 360;
  if (d > 180) d = 360 - d;
  return d * Math.cos((dec * Math.PI) / 180);
}

function tan(crval: [number, number], scaleArcsec: number, rotDeg = 0, crpix: [number, number] = [512.5, 512.5]): TanWcs {
  const s = scaleArcsec / 3600;
  const t = (rotDeg * Math.PI) / 180;
  return {
    crpix,
    crval,
    cd: [
      [-s * Math.cos(t), s * Math.sin(t)],
      [s * Math.sin(t), s * Math.cos(t)],
    ],
  };
}

interface ExpectedCase {
  name: string;
  naxis: [number, number];
  wcs: TanWcs;
  pix2sky: [number, number, number, number][];
  sky2pix: [number, number, number, number][];
}

describe('TAN projection', () => {
  it('maps CRPIX to CRVAL and back', () => {
    const wcs = tan([12.5, -3.25], 0.4, 17, [100.25, 200.75]);
    const sky = pixelToSky(wcs, 100.25, 200.75);
    expect(sky.ra).to.be.closeTo(12.5, 1e-12);
    expect(sky.dec).to.be.closeTo(-3.25, 1e-12);
    const pix = skyToPixel(wcs, 12.5, -3.25);
    expect(pix.x).to.be.closeTo(100.25, 1e-9);
    expect(pix.y).to.be.closeTo(200.75, 1e-9);
  });

  it('puts east on the left and north up for a negative CD1_1', () => {
    const wcs = tan([30, 0], 1);
    expect(pixelToSky(wcs, 500, 512.5).ra).to.be.greaterThan(30);
    expect(pixelToSky(wcs, 512.5, 600).dec).to.be.greaterThan(0);
  });

  for (const [label, crval] of [
    ['centred at RA 0.01 (straddling RA 0)', [0.01, 0.3]],
    ['at dec +89', [200, 89]],
    ['at dec -89', [5, -89]],
    ['at the equator, RA 359.99', [359.99, -1.2]],
  ] as const) {
    it(`round-trips sky -> pixel -> sky to 1e-10 deg over an image ${label}`, () => {
      const wcs = tan([crval[0], crval[1]], 0.4, 33, [1024.5, 744.5]);
      for (let x = 0.5; x <= 2048.5; x += 128) {
        for (let y = 0.5; y <= 1489.5; y += 93) {
          const sky = pixelToSky(wcs, x, y);
          expect(sky.ra).to.be.at.least(0).and.below(360);
          const pix = skyToPixel(wcs, sky.ra, sky.dec);
          expect(pix.x).to.be.closeTo(x, 1e-6);
          expect(pix.y).to.be.closeTo(y, 1e-6);
          const back = pixelToSky(wcs, pix.x, pix.y);
          expect(raDiff(back.ra, sky.ra, sky.dec)).to.be.below(1e-10);
          expect(Math.abs(back.dec - sky.dec)).to.be.below(1e-10);
        }
      }
    });
  }

  it('gives the same pixel for RA written as -0.01, 359.99 and 719.99', () => {
    const wcs = tan([0.01, 0], 0.4);
    const a = skyToPixel(wcs, -0.01, 0.001);
    const b = skyToPixel(wcs, 359.99, 0.001);
    const c = skyToPixel(wcs, 719.99, 0.001);
    expect(a.x).to.be.closeTo(b.x, 1e-7);
    expect(c.x).to.be.closeTo(b.x, 1e-7);
    expect(a.y).to.be.closeTo(b.y, 1e-7);
  });

  it('answers NaN for a position on the far hemisphere', () => {
    const p = skyToPixel(tan([0, 0], 1), 180, 0);
    expect(Number.isNaN(p.x) && Number.isNaN(p.y)).to.equal(true);
  });

  it('shifts LSST 0-based pixels by exactly one from FITS pixels', () => {
    const wcs = tan([150, 2], 0.2, 5);
    const a = lsstPixelToSky(wcs, 10, 20);
    const b = pixelToSky(wcs, 11, 21);
    expect(a).to.deep.equal(b);
    const p = skyToLsstPixel(wcs, a.ra, a.dec);
    expect(p.x).to.be.closeTo(10, 1e-8);
    expect(p.y).to.be.closeTo(20, 1e-8);
  });

  it('keeps sky positions when a sub-image WCS is shifted', () => {
    const wcs = tan([10, 10], 0.3, 12);
    const sub = shiftTanWcs(wcs, 100, 40);
    const a = lsstPixelToSky(wcs, 150, 90);
    const b = lsstPixelToSky(sub, 50, 50);
    expect(b.ra).to.be.closeTo(a.ra, 1e-12);
    expect(b.dec).to.be.closeTo(a.dec, 1e-12);
  });

  it('normalizes RA into [0, 360)', () => {
    expect(normalizeRa(-1e-17)).to.be.at.least(0).and.below(360);
    expect(normalizeRa(-90)).to.equal(270);
    expect(normalizeRa(720.5)).to.equal(0.5);
  });
});

describe('TAN projection against astropy.wcs', () => {
  const expected = JSON.parse(readFileSync(new URL('./tan-expected.json', import.meta.url), 'utf8')) as {
    cases: ExpectedCase[];
  };

  it('has test data made by test/wcs/make_expected.py', () => {
    expect(expected.cases.length).to.be.at.least(5);
  });

  for (const c of expected.cases) {
    it(`agrees to 1e-9 deg with astropy on pixel -> sky (${c.name})`, () => {
      for (const [x, y, ra, dec] of c.pix2sky) {
        const sky = pixelToSky(c.wcs, x, y);
        expect(raDiff(sky.ra, ra, dec), `ra at (${x}, ${y})`).to.be.below(1e-9);
        expect(Math.abs(sky.dec - dec), `dec at (${x}, ${y})`).to.be.below(1e-9);
      }
    });
    it(`agrees with astropy on sky -> pixel to 1e-9 deg in the sky (${c.name})`, () => {
      const scale = Math.sqrt(Math.abs(c.wcs.cd[0][0] * c.wcs.cd[1][1] - c.wcs.cd[0][1] * c.wcs.cd[1][0]));
      for (const [ra, dec, x, y] of c.sky2pix) {
        const pix = skyToPixel(c.wcs, ra, dec);
        expect(Math.abs(pix.x - x) * scale, `x at (${ra}, ${dec})`).to.be.below(1e-9);
        expect(Math.abs(pix.y - y) * scale, `y at (${ra}, ${dec})`).to.be.below(1e-9);
      }
    });
  }
});

describe('image footprint', () => {
  it('lists the outer corners and contains exactly the points on the image', () => {
    const wcs = tan([0.0, 0.0], 0.4, 0, [512.5, 372.5]);
    const corners = imageCorners(wcs, 1024, 744);
    expect(corners).to.have.length(4);
    // East is left: corner 1 (first pixel) has RA just above 0... i.e. in (0, 1); corner 2 just below 360.
    expect(corners[0].ra).to.be.within(0, 1);
    expect(corners[1].ra).to.be.within(359, 360);
    expect(imageContains(wcs, 1024, 744, 359.99, 0.01)).to.equal(true);
    expect(imageContains(wcs, 1024, 744, 0.05, 0.01)).to.equal(true);
    expect(imageContains(wcs, 1024, 744, 0.06, 0.0)).to.equal(false);
    expect(imageContains(wcs, 1024, 744, 0.0, 0.05)).to.equal(false);
    expect(imageContains(wcs, 1024, 744, 180, 0)).to.equal(false);
  });
});
