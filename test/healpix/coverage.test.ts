import { expect } from 'chai';
import fc from 'fast-check';
import { chooseOrder, coverBox, coverDisc, coverPolygon, coverRegion, maxPixelRadius, Overlap } from '../../src/healpix/coverage.js';
import { ang2pix, faceToVec, INDEX_ORDER } from '../../src/healpix/nested.js';
import { pixelCount, rangesContain, rangesCover, rangeSet, shiftRanges, type RangeSet } from '../../src/healpix/ranges.js';
import { angle, radecToVec } from '../../src/healpix/sphere.js';
import { loadExpected } from './expected-fixture.js';

const expected = loadExpected();

/** Deterministic PRNG (mulberry32) for sampling regions. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every sample's order-k pixel is in `cov`, and its order-29 index is in the shifted ranges. */
function expectCovers(cov: RangeSet, samples: ReadonlyArray<readonly [number, number]>): void {
  const fine = shiftRanges(cov, INDEX_ORDER);
  const missed: string[] = [];
  for (const [ra, dec] of samples) {
    if (!rangesContain(cov, ang2pix(cov.order, ra, dec))) missed.push(`(${ra}, ${dec}) at order ${cov.order}`);
    if (!rangesContain(fine, ang2pix(INDEX_ORDER, ra, dec))) missed.push(`(${ra}, ${dec}) at order 29`);
  }
  expect(missed).to.deep.equal([]);
}

describe('healpix coverage: discs against astropy-healpix cone search', () => {
  for (const d of expected.discs) {
    it(`disc r=${d.radius} deg at (${d.ra}, ${d.dec}), order ${d.order}: superset of astropy, not much larger`, () => {
      const cov = coverDisc(d.order, d.ra, d.dec, d.radius);
      const missing = d.pixels.filter((p) => !rangesContain(cov, BigInt(p)));
      expect(missing, 'pixels astropy finds that we miss').to.deep.equal([]);
      const ours = Number(pixelCount(cov));
      // Inclusive covers differ only in a thin rim of pixels grazing the circle.
      expect(ours).to.be.at.most(Math.ceil(d.pixels.length * 1.25) + 12);
      expectCovers(cov, d.samples);
    });
  }

  it('keeps the number of ranges modest at the order chooseOrder picks', () => {
    const r = rng(11);
    for (const radius of [1e-4, 0.001, 0.01, 0.1, 0.5, 1, 3, 10, 30, 60, 90]) {
      for (let k = 0; k < 4; k++) {
        const ra = r() * 360;
        const dec = (Math.asin(2 * r() - 1) * 180) / Math.PI;
        const order = chooseOrder(radius);
        const cov = coverDisc(order, ra, dec, radius);
        expect(cov.ranges.length, `radius ${radius} order ${order}`).to.be.within(1, 80);
        // Tight: covered area is within a few times the disc area.
        const area = 2 * Math.PI * (1 - Math.cos((radius * Math.PI) / 180));
        const pixArea = (4 * Math.PI) / (12 * 4 ** order);
        expect(Number(pixelCount(cov)) * pixArea, `radius ${radius}`).to.be.below(area * 6 + 4 * pixArea);
      }
    }
  });

  it('covers random points inside random discs (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 360, noNaN: true }),
        fc.double({ min: -90, max: 90, noNaN: true }),
        fc.double({ min: 1e-5, max: 40, noNaN: true }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (ra, dec, radius, seed) => {
          const cov = coverDisc(chooseOrder(radius), ra, dec, radius);
          const r = rng(seed);
          const samples: Array<[number, number]> = [];
          const c = toVec(ra, dec);
          for (let i = 0; i < 30; i++) samples.push(pointAt(c, radius * Math.sqrt(r()) * (i < 10 ? 1 : 0.999999), r() * 360));
          expectCovers(cov, samples);
        },
      ),
      { seed: 17, numRuns: 150 },
    );
  });

  it('gives the whole sky for a radius of 180 degrees and one pixel-ish for radius 0', () => {
    expect(pixelCount(coverDisc(3, 10, 20, 180))).to.equal(12n * 64n);
    const tiny = coverDisc(10, 10, 20, 0);
    expect(rangesContain(tiny, ang2pix(10, 10, 20))).to.equal(true);
    expect(Number(pixelCount(tiny))).to.be.at.most(4);
  });

  it('rejects bad discs with a RangeError', () => {
    expect(() => coverDisc(5, 0, 0, -1)).to.throw(RangeError, /radius/);
    expect(() => coverDisc(5, 0, 0, Number.NaN)).to.throw(RangeError, /radius/);
    expect(() => coverDisc(5, 0, 95, 1)).to.throw(RangeError, /Dec/);
    expect(() => coverDisc(30, 0, 0, 1)).to.throw(RangeError, /order/);
    expect(() => coverDisc(29, 0, 0, 10)).to.throw(RangeError, /too many pixels/);
  });
});

describe('healpix coverage: the disc search (centre tests against the largest pixel radius)', () => {
  it('maxPixelRadius bounds every pixel: corners and densely sampled edges, all orders, faces, poles and face corners', () => {
    const r = rng(29);
    for (let order = 0; order <= 29; order++) {
      const nside = 2 ** order;
      const rm = maxPixelRadius(order);
      const pix: Array<[number, number, number]> = [];
      if (order <= 3) {
        for (let f = 0; f < 12; f++) for (let x = 0; x < nside; x++) for (let y = 0; y < nside; y++) pix.push([f, x, y]);
      } else {
        // Edges of faces (poles, the cap boundary, face corners) and random pixels.
        const pick = (): number => {
          const u = r();
          return u < 0.3 ? 0 : u < 0.6 ? nside - 1 : Math.floor(r() * nside);
        };
        for (let i = 0; i < 400; i++) pix.push([Math.floor(r() * 12), pick(), pick()]);
      }
      let worst = 0;
      for (const [f, x, y] of pix) {
        const c = faceToVec(f, (x + 0.5) / nside, (y + 0.5) / nside);
        for (let k = 0; k <= 32; k++) {
          const t = k / 32;
          for (const [fx, fy] of [[x + t, y], [x + t, y + 1], [x, y + t], [x + 1, y + t]] as const) {
            worst = Math.max(worst, angle(c, faceToVec(f, fx / nside, fy / nside)) / rm);
          }
        }
      }
      // Reached (to rounding) at the worst pixels, never exceeded beyond the search's widening.
      expect(worst, `order ${order}`).to.be.at.most(1 + 1e-6);
      if (order <= 3) expect(worst, `order ${order}`).to.be.above(0.999);
    }
  });

  it('returns normalised ranges (sorted, disjoint, not adjacent) at every order, bigints past 2^53 included', () => {
    const r = rng(3);
    for (let k = 0; k < 60; k++) {
      const radius = 10 ** (-7 + 9 * r());
      const ra = r() * 360;
      const dec = (Math.asin(2 * r() - 1) * 180) / Math.PI;
      const order = Math.min(29, chooseOrder(radius) + Math.floor(r() * 3));
      let cov: RangeSet;
      try {
        cov = coverDisc(order, ra, dec, radius);
      } catch (err) {
        expect((err as Error).message).to.match(/too many pixels/);
        continue;
      }
      expect(rangeSet(order, cov.ranges)).to.deep.equal(cov);
    }
  });

  it('is a superset of the generic engine with exact per-pixel circles, wherever a disc point lies', () => {
    const r = rng(41);
    for (let k = 0; k < 40; k++) {
      const radius = 10 ** (-3 + 4 * r());
      const ra = k < 4 ? [0, 359.99, 0.01, 180][k]! : r() * 360;
      const dec = k < 8 && k >= 4 ? [90, -90, 89.99, -41.81][k - 4]! : (Math.asin(2 * r() - 1) * 180) / Math.PI;
      const order = Math.max(0, chooseOrder(radius) - 1);
      const centre = radecToVec(ra, dec);
      const rad = (radius * Math.PI) / 180;
      // Pixels whose exact circle reaches into the disc (the old engine, tight but slow).
      const reference = coverRegion(order, (c, pr) => {
        const d = angle(c, centre);
        if (d - pr > rad) return Overlap.Outside;
        return d + pr <= rad ? Overlap.Inside : Overlap.Partial;
      });
      const fast = coverDisc(order, ra, dec, radius);
      // Every pixel holding a disc point is in both; the fast one may add a thin rim.
      const samples: Array<[number, number]> = [[ra, dec]];
      for (let i = 0; i < 720; i++) samples.push(pointAt(centre, radius * (i % 2 ? 1 - 1e-12 : Math.sqrt(r())), i / 2));
      expectCovers(fast, samples);
      expect(Number(pixelCount(fast))).to.be.at.most(Number(pixelCount(reference)) * 1.6 + 16);
    }
  });

  it('handles radius 0, tiny radii at orders past 24, poles, RA 0 and radii of 90 degrees and more', () => {
    for (const [ra, dec] of [[0, 0], [359.9999999, 0], [0, 90], [123, -90], [45, 41.8103149], [90, 0]] as const) {
      const zero = coverDisc(29, ra, dec, 0);
      expect(rangesContain(zero, ang2pix(29, ra, dec)), `(${ra}, ${dec})`).to.equal(true);
      expect(Number(pixelCount(zero))).to.be.at.most(16);
      for (const radius of [1e-9, 1e-7, 1e-5]) {
        const order = chooseOrder(radius);
        const cov = coverDisc(order, ra, dec, radius);
        const c = radecToVec(ra, dec);
        const samples: Array<[number, number]> = [[ra, dec]];
        for (let i = 0; i < 360; i++) samples.push(pointAt(c, radius * (1 - 1e-9), i));
        expectCovers(cov, samples);
      }
    }
    for (const radius of [90, 120, 179.9]) {
      const cov = coverDisc(chooseOrder(radius), 10, 20, radius);
      const r = rng(radius);
      const samples: Array<[number, number]> = [];
      for (let i = 0; i < 2000; i++) samples.push(pointAt(toVec(10, 20), radius * Math.sqrt(r()), r() * 360));
      expectCovers(cov, samples);
      // The antipode is outside any disc under 180 degrees.
      if (radius < 179) expect(rangesContain(cov, ang2pix(cov.order, 190, -20))).to.equal(false);
    }
    expect(rangesCover(coverDisc(2, 0, 0, 179.999), coverDisc(2, 0, 0, 90))).to.equal(true);
  });
});

describe('healpix coverage: polygons', () => {
  for (const p of expected.polygons) {
    it(`${p.name} (order ${p.order}): covers every point sampled inside, not much more`, () => {
      const cov = coverPolygon(p.order, p.vertices);
      const missing = [...new Set(p.samplePixels)].filter((q) => !rangesContain(cov, BigInt(q)));
      expect(missing, 'pixels of inside points that we miss').to.deep.equal([]);
      expectCovers(cov, p.samples);
      expectTight(cov, polygonArea(p.vertices), perimeter(p.vertices));
    });
  }

  it('does not depend on vertex order or starting vertex', () => {
    const v: Array<[number, number]> = [[359, -2], [2, -1], [3, 2], [1, 3], [358, 1]];
    const a = coverPolygon(9, v);
    const b = coverPolygon(9, [...v].reverse());
    const c = coverPolygon(9, [...v.slice(2), ...v.slice(0, 2)]);
    expect(b).to.deep.equal(a);
    expect(c).to.deep.equal(a);
  });

  it('covers a non-convex star: every pixel holding a point of each of its triangles', () => {
    // A 5-pointed star around (200, 50) as the union of triangles (centre, tip, notch...).
    const centre: [number, number] = [200, 50];
    const verts: Array<[number, number]> = [];
    for (let i = 0; i < 10; i++) {
      const rad = i % 2 === 0 ? 3 : 1;
      verts.push(pointAt(toVec(...centre), rad, i * 36));
    }
    const cov = coverPolygon(8, verts);
    const r = rng(5);
    const samples: Array<[number, number]> = [];
    for (let i = 0; i < 10; i++) {
      const a = toVec(...centre);
      const b = toVec(...verts[i]!);
      const c = toVec(...verts[(i + 1) % 10]!);
      for (let k = 0; k < 200; k++) {
        let u = r();
        let w = r();
        if (u + w > 1) [u, w] = [1 - u, 1 - w];
        const v = [0, 1, 2].map((j) => a[j]! * (1 - u - w) + b[j]! * u + c[j]! * w);
        samples.push(toRaDec(v));
      }
    }
    expectCovers(cov, samples);
    // The notches are really left out: the star covers well under its bounding disc.
    expect(Number(pixelCount(cov))).to.be.below(Number(pixelCount(coverDisc(8, 200, 50, 3))) * 0.75);
  });

  it('rejects degenerate polygons with a RangeError', () => {
    expect(() => coverPolygon(5, [[0, 0], [1, 1]])).to.throw(RangeError, /3 distinct/);
    expect(() => coverPolygon(5, [[0, 0], [1, 1], [0, 0]])).to.throw(RangeError, /3 distinct/);
    expect(() => coverPolygon(5, [[0, 0], [180, 0], [90, 10]])).to.throw(RangeError, /antipodal/);
    expect(() => coverPolygon(5, [[0, 0], [10, 100], [20, 0]])).to.throw(RangeError, /Dec/);
  });
});

describe('healpix coverage: lon/lat boxes', () => {
  const boxes: Array<[number, number, number, number, number]> = [
    [350, 10, -5, 5, 9], // crosses RA 0
    [10, 20, 80, 90, 8], // touches the north pole
    [0, 360, -90, -85, 8], // polar cap
    [100, 100.01, 20, 20.01, 16], // tiny
    [30, 200, -60, 60, 4], // huge
    [300, 60, 40, 45, 9], // wide, crossing RA 0, across the cap boundary
  ];
  for (const [raMin, raMax, decMin, decMax, order] of boxes) {
    it(`box RA ${raMin}..${raMax}, Dec ${decMin}..${decMax} (order ${order}): covers inside points, stays tight`, () => {
      const cov = coverBox(order, raMin, raMax, decMin, decMax);
      const width = raMax - raMin >= 360 ? 360 : (((raMax - raMin) % 360) + 360) % 360;
      const r = rng(order * 1000 + raMin);
      const samples: Array<[number, number]> = [];
      for (let i = 0; i < 4000; i++) {
        const ra = raMin + r() * width;
        const dec = decMin + r() * (decMax - decMin);
        samples.push([ra, dec]);
      }
      // Edges and corners are part of the box.
      for (let i = 0; i <= 100; i++) {
        samples.push([raMin + (width * i) / 100, decMin], [raMin + (width * i) / 100, decMax]);
        samples.push([raMin, decMin + ((decMax - decMin) * i) / 100], [raMin + width, decMin + ((decMax - decMin) * i) / 100]);
      }
      expectCovers(cov, samples);
      const d2r = Math.PI / 180;
      const area = width * d2r * (Math.sin(decMax * d2r) - Math.sin(decMin * d2r));
      const rim = 2 * width * d2r * Math.max(Math.cos(decMin * d2r), Math.cos(decMax * d2r)) + 2 * (decMax - decMin) * d2r;
      expectTight(cov, area, rim);
    });
  }

  it('rejects bad boxes with a RangeError', () => {
    expect(() => coverBox(5, 0, 10, 20, 10)).to.throw(RangeError, /greater/);
    expect(() => coverBox(5, 0, 10, -100, 10)).to.throw(RangeError, /decMin/);
    expect(() => coverBox(5, Number.NaN, 10, 0, 10)).to.throw(RangeError, /raMin/);
  });
});

describe('healpix coverage: chooseOrder', () => {
  it('picks finer orders for smaller regions, within 0..29', () => {
    expect(chooseOrder(180)).to.equal(1);
    expect(chooseOrder(500)).to.equal(0);
    expect(chooseOrder(0)).to.equal(29);
    let last = -1;
    for (const r of [100, 30, 10, 1, 0.1, 0.01, 0.001, 1e-4, 1e-6]) {
      const o = chooseOrder(r);
      expect(o).to.be.at.least(last);
      last = o;
    }
    expect(() => chooseOrder(-1)).to.throw(RangeError);
  });
});

/**
 * Tightness: the covered area is at most the region plus a rim along its boundary as wide as
 * 2.5 pixels (pixels crossing the boundary plus the bounding-circle overshoot), plus a few.
 */
function expectTight(cov: RangeSet, area: number, perimeterRad: number): void {
  const pixArea = (4 * Math.PI) / (12 * 4 ** cov.order);
  const bound = (area + perimeterRad * 2.5 * Math.sqrt(pixArea)) / pixArea + 16;
  expect(Number(pixelCount(cov)), `area ${area / pixArea} pixels`).to.be.at.most(bound);
}

/** Area (sr) of a simple spherical polygon, from signed triangles fanned out of its centroid. */
function polygonArea(vertices: ReadonlyArray<readonly [number, number]>): number {
  const vs = vertices.map(([ra, dec]) => toVec(ra, dec));
  const sum = vs.reduce((a, v) => [a[0]! + v[0], a[1]! + v[1], a[2]! + v[2]], [0, 0, 0]);
  const n = Math.hypot(sum[0]!, sum[1]!, sum[2]!);
  const c = sum.map((x) => x / n);
  let total = 0;
  for (let i = 0; i < vs.length; i++) {
    const a = vs[i]!;
    const b = vs[(i + 1) % vs.length]!;
    const triple = c[0]! * (a[1] * b[2] - a[2] * b[1]) + c[1]! * (a[2] * b[0] - a[0] * b[2]) + c[2]! * (a[0] * b[1] - a[1] * b[0]);
    const dots = 1 + (c[0]! * a[0] + c[1]! * a[1] + c[2]! * a[2]) + (a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) + (b[0] * c[0]! + b[1] * c[1]! + b[2] * c[2]!);
    total += 2 * Math.atan2(triple, dots);
  }
  return Math.abs(total);
}

/** Perimeter (radians) of a spherical polygon. */
function perimeter(vertices: ReadonlyArray<readonly [number, number]>): number {
  let p = 0;
  for (let i = 0; i < vertices.length; i++) {
    const a = toVec(...vertices[i]!);
    const b = toVec(...vertices[(i + 1) % vertices.length]!);
    p += Math.acos(Math.min(1, a[0] * b[0] + a[1] * b[1] + a[2] * b[2]));
  }
  return p;
}

function toVec(ra: number, dec: number): [number, number, number] {
  const a = (ra * Math.PI) / 180;
  const d = (dec * Math.PI) / 180;
  return [Math.cos(d) * Math.cos(a), Math.cos(d) * Math.sin(a), Math.sin(d)];
}

function toRaDec(v: readonly number[]): [number, number] {
  const n = Math.hypot(v[0]!, v[1]!, v[2]!);
  let ra = (Math.atan2(v[1]!, v[0]!) * 180) / Math.PI;
  if (ra < 0) ra += 360;
  return [ra, (Math.asin(Math.max(-1, Math.min(1, v[2]! / n))) * 180) / Math.PI];
}

/** The point at angular distance `distDeg` from unit vector c, in direction `bearingDeg`. */
function pointAt(c: readonly number[], distDeg: number, bearingDeg: number): [number, number] {
  const helper = Math.abs(c[2]!) < 0.9 ? [0, 0, 1] : [1, 0, 0];
  const a = [
    helper[1]! * c[2]! - helper[2]! * c[1]!,
    helper[2]! * c[0]! - helper[0]! * c[2]!,
    helper[0]! * c[1]! - helper[1]! * c[0]!,
  ];
  const an = Math.hypot(a[0]!, a[1]!, a[2]!);
  const e1 = a.map((x) => x / an);
  const e2 = [c[1]! * e1[2]! - c[2]! * e1[1]!, c[2]! * e1[0]! - c[0]! * e1[2]!, c[0]! * e1[1]! - c[1]! * e1[0]!];
  const t = (distDeg * Math.PI) / 180;
  const b = (bearingDeg * Math.PI) / 180;
  const v = [0, 1, 2].map(
    (j) => Math.cos(t) * c[j]! + Math.sin(t) * (Math.cos(b) * e1[j]! + Math.sin(b) * e2[j]!),
  );
  return toRaDec(v);
}

