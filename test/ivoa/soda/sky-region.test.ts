/** The sky region core as units: containment, and the pixel box of each shape on a TAN image (src/images/sky-region.ts). */
import { expect } from 'chai';
import { regionContains, regionPixelBox, type SkyRegion } from '../../../src/images/sky-region.js';
import { MAX_CUTOUT_PIXELS } from '../../../src/images/cutout.js';
import { wcsPixelToSky, wcsSkyToPixel, type CelestialWcs } from '../../../src/wcs/projections.js';

// A 200 x 100 image at (10, 20), 1 arcsec pixels, north up, east left.
const SCALE = 1 / 3600;
const wcs: CelestialWcs = {
  projection: 'TAN', ctype: ['RA---TAN', 'DEC--TAN'], lonAxis: 0, crpix: [100.5, 50.5], crval: [10, 20],
  cd: [[-SCALE, 0], [0, SCALE]], lonpole: null, latpole: null, pv: [0, 0], sip: null, radesys: 'ICRS',
};
const geom = { wcs, naxis1: 200, naxis2: 100 };
/** Sky position of a 0-based pixel. */
const at = (x: number, y: number) => wcsPixelToSky(wcs, x + 1, y + 1);
const box = (r: SkyRegion) => regionPixelBox(r, geom, 'the test image');

describe('sky regions and their pixel boxes (sky-region.ts)', () => {
  it('tells which positions a circle, polygon and range hold (a range may wrap through RA 0)', () => {
    expect(regionContains({ shape: 'circle', ra: 10, dec: 20, radius: 1 }, 10.5, 20.5)).to.equal(true);
    expect(regionContains({ shape: 'circle', ra: 10, dec: 20, radius: 1 }, 12, 20)).to.equal(false);
    const square: SkyRegion = { shape: 'polygon', vertices: [[9, 19], [11, 19], [11, 21], [9, 21]] };
    expect(regionContains(square, 10, 20)).to.equal(true);
    expect(regionContains(square, 12, 20)).to.equal(false);
    expect(regionContains(square, 190, -20)).to.equal(false);
    // Vertex order does not matter.
    expect(regionContains({ shape: 'polygon', vertices: [[9, 21], [11, 21], [11, 19], [9, 19]] }, 10, 20)).to.equal(true);
    const wrap: SkyRegion = { shape: 'range', ra1: 350, ra2: 10, dec1: -5, dec2: 5 };
    expect(regionContains(wrap, 355, 0)).to.equal(true);
    expect(regionContains(wrap, 5, 4)).to.equal(true);
    expect(regionContains(wrap, 180, 0)).to.equal(false);
    expect(regionContains(wrap, 5, 6)).to.equal(false);
    expect(regionContains({ shape: 'range', ra1: -Infinity, ra2: Infinity, dec1: 89, dec2: Infinity }, 123, 89.5)).to.equal(true);
  });

  it('boxes a circle inside the image by its projected outline', () => {
    const c = at(60, 40);
    const r = box({ shape: 'circle', ra: c.ra, dec: c.dec, radius: 10 * SCALE });
    expect(r).to.deep.equal({ box: { x0: 50, y0: 30, x1: 70, y1: 50 }, noOverlap: null });
  });

  it('boxes a polygon by its vertices, an RA/Dec range by its edges', () => {
    const [a, b, c] = [at(20, 10), at(80, 15), at(40, 60)];
    const p = box({ shape: 'polygon', vertices: [[a.ra, a.dec], [b.ra, b.dec], [c.ra, c.dec]] });
    expect(p.box).to.deep.equal({ x0: 20, y0: 10, x1: 80, y1: 60 });
    const lo = at(150, 20);
    const hi = at(120, 70);
    // East is left: the larger x has the smaller RA.
    const q = box({ shape: 'range', ra1: lo.ra, ra2: hi.ra, dec1: lo.dec, dec2: hi.dec });
    // Lines of constant Dec bow slightly on a TAN plane: within a pixel of the corners.
    expect(q.box!.x0).to.be.within(119, 120);
    expect(q.box!.x1).to.be.within(150, 151);
    expect(q.box!.y0).to.be.within(19, 20);
    expect(q.box!.y1).to.be.within(70, 71);
  });

  it('leaves a box that reaches past the image unclipped (the cutout core clips it and says so)', () => {
    const c = at(-5, 50);
    expect(box({ shape: 'circle', ra: c.ra, dec: c.dec, radius: 20 * SCALE }).box).to.deep.equal({ x0: -25, y0: 30, x1: 15, y1: 70 });
  });

  it('brings a box larger than a cutout may be in towards the image, still past its edges', () => {
    const c = at(100, 50);
    const r = box({ shape: 'circle', ra: c.ra, dec: c.dec, radius: 30 });
    expect(r.box!.x0).to.be.below(0);
    expect(r.box!.y0).to.be.below(0);
    expect(r.box!.x1).to.be.above(199);
    expect(r.box!.y1).to.be.above(99);
    expect(r.box!.x1 - r.box!.x0 + 1).to.be.at.most(MAX_CUTOUT_PIXELS);
    expect(r.box!.y1 - r.box!.y0 + 1).to.be.at.most(MAX_CUTOUT_PIXELS);
  });

  it('says when a region misses the image, also when only its box would touch it', () => {
    const far = box({ shape: 'circle', ra: 100, dec: -30, radius: 1 });
    expect(far.box).to.equal(null);
    expect(far.noOverlap).to.match(/does not overlap the test image/);
    // A circle beyond a corner whose bounding box overlaps the image but whose disc does not.
    const c = at(-8, -8);
    const corner = box({ shape: 'circle', ra: c.ra, dec: c.dec, radius: 10 * SCALE });
    expect(corner.box).to.equal(null);
    expect(box({ shape: 'range', ra1: 0, ra2: 360, dec1: 30, dec2: 40 }).box).to.equal(null);
  });

  it('boxes regions past the projection horizon by the image pixels they hold, one pixel past each edge they cross', () => {
    // The whole sky but a cap far away: every pixel, cut across every edge.
    const huge = box({ shape: 'circle', ra: 100, dec: -30, radius: 179 });
    expect(huge.box).to.deep.equal({ x0: -1, y0: -1, x1: 200, y1: 100 });
    // A band around the sky covering the image's lower half.
    const mid = at(100, 49.5).dec;
    const band = box({ shape: 'range', ra1: 0, ra2: 360, dec1: -90, dec2: mid });
    expect(band.box!.x0).to.equal(-1);
    expect(band.box!.x1).to.equal(200);
    expect(band.box!.y0).to.equal(-1);
    expect(band.box!.y1).to.be.within(48, 50);
    // Everything but a small cap around the image centre: a ring round it, past every edge.
    const hole = box({ shape: 'circle', ra: (wcs.crval[0] + 180) % 360, dec: -wcs.crval[1], radius: 180 - 20 * SCALE });
    expect(hole.box).to.deep.equal({ x0: -1, y0: -1, x1: 200, y1: 100 });
    // Everything but a cap holding the whole image (centred on it): no overlap, though its outline projects.
    expect(box({ shape: 'circle', ra: 190, dec: -20, radius: 179 }).box).to.equal(null);
    expect(box({ shape: 'circle', ra: 190, dec: -20, radius: 180 - 150 * SCALE }).box).to.equal(null);
  });

  it('is consistent with the WCS the other way round', () => {
    const c = at(123, 45);
    const back = wcsSkyToPixel(wcs, c.ra, c.dec);
    expect(back.x - 1).to.be.closeTo(123, 1e-6);
    expect(back.y - 1).to.be.closeTo(45, 1e-6);
  });
});
