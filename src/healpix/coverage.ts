/**
 * Inclusive HEALPix coverage of sky regions: every pixel that may hold a point of the region
 * (as placed by ang2pix) is in the result, plus a thin margin of pixels that only touch it.
 *
 * The search descends from the 12 base pixels. Each pixel is replaced by its bounding circle
 * (widened by ang2pix's numerical slack) and compared with the region: circles outside are
 * dropped, circles inside are kept whole, the rest are split down to the target order.
 */

import { checkOrder, xyfToNested } from './nested.js';
import { ANG2PIX_SLACK, pixelCircle } from './pixel-bounds.js';
import { distanceToBoundary, makePolygon, polygonContains } from './polygon.js';
import { fullSky, rangeSet, type Range, type RangeSet } from './ranges.js';
import { angle, radecToVec, type Vec3 } from './sphere.js';

/** How a circle relates to a region. */
export enum Overlap {
  Outside = 0,
  Inside = 1,
  Partial = 2,
}

/** Compares a circle (unit-vector centre, radius in radians) with a region, conservatively. */
export type CircleTest = (centre: Vec3, radius: number) => Overlap;

/** Pixels examined before giving up; a finer order than this allows needs chooseOrder. */
export const MAX_VISITED = 300_000;

const DEG = Math.PI / 180;

/** Coverage at `order` of a region given by its circle test (the generic engine). */
export function coverRegion(order: number, test: CircleTest): RangeSet {
  checkOrder(order);
  const out: Range[] = [];
  // Stack of [level, face, x, y]; children pushed in reverse so output comes out sorted.
  const stack: Array<[number, number, number, number]> = [];
  for (let f = 11; f >= 0; f--) stack.push([0, f, 0, 0]);
  let visited = 0;
  while (stack.length > 0) {
    const [level, face, x, y] = stack.pop()!;
    if (++visited > MAX_VISITED) {
      throw new RangeError(`coverage at order ${order} needs too many pixels; choose a coarser order`);
    }
    const circle = pixelCircle(level, face, x, y);
    const verdict = test(circle.centre, circle.radius + ANG2PIX_SLACK);
    if (verdict === Overlap.Outside) continue;
    if (verdict === Overlap.Inside || level === order) {
      const shift = BigInt(2 * (order - level));
      const p = xyfToNested(level, face, x, y);
      out.push([p << shift, (p + 1n) << shift]);
      continue;
    }
    const cx = 2 * x;
    const cy = 2 * y;
    stack.push([level + 1, face, cx + 1, cy + 1], [level + 1, face, cx, cy + 1], [level + 1, face, cx + 1, cy], [
      level + 1,
      face,
      cx,
      cy,
    ]);
  }
  return rangeSet(order, out);
}

function checkRadius(radiusDeg: number): void {
  if (!Number.isFinite(radiusDeg) || radiusDeg < 0) {
    throw new RangeError(`radius must be a finite, non-negative number of degrees, got ${radiusDeg}`);
  }
}

/** Coverage at `order` of the disc of `radiusDeg` around (raDeg, decDeg); 180 or more is the sky. */
export function coverDisc(order: number, raDeg: number, decDeg: number, radiusDeg: number): RangeSet {
  checkOrder(order);
  checkRadius(radiusDeg);
  const centre = radecToVec(raDeg, decDeg);
  if (radiusDeg >= 180) return fullSky(order);
  const radius = radiusDeg * DEG;
  return coverRegion(order, (c, r) => {
    const d = angle(c, centre);
    if (d - r > radius) return Overlap.Outside;
    if (d + r <= radius) return Overlap.Inside;
    return Overlap.Partial;
  });
}

/**
 * Coverage at `order` of a spherical polygon (great-circle edges, convex or not, any vertex
 * order). A polygon too large to fit in a hemisphere gets the whole sky, which is still a
 * superset.
 */
export function coverPolygon(order: number, vertices: ReadonlyArray<readonly [number, number]>): RangeSet {
  checkOrder(order);
  const poly = makePolygon(vertices);
  if (!poly.projectable) return fullSky(order);
  return coverRegion(order, (c, r) => {
    if (distanceToBoundary(poly, c) <= r) return Overlap.Partial;
    return polygonContains(poly, c) ? Overlap.Inside : Overlap.Outside;
  });
}

/** Longitude of v in radians, in [0, 2pi). */
function lonOf(v: Vec3): number {
  const a = Math.atan2(v[1], v[0]);
  return a < 0 ? a + 2 * Math.PI : a;
}

/**
 * Coverage at `order` of the lon/lat box raMin..raMax x decMin..decMax (degrees); raMin > raMax
 * means the box crosses RA 0; a span of 360 degrees or more is every RA.
 */
export function coverBox(order: number, raMin: number, raMax: number, decMin: number, decMax: number): RangeSet {
  checkOrder(order);
  for (const [name, v] of [['raMin', raMin], ['raMax', raMax]] as const) {
    if (!Number.isFinite(v)) throw new RangeError(`${name} must be a finite number of degrees, got ${v}`);
  }
  for (const [name, v] of [['decMin', decMin], ['decMax', decMax]] as const) {
    if (!Number.isFinite(v) || v < -90 || v > 90) {
      throw new RangeError(`${name} must be a finite number of degrees in [-90, 90], got ${v}`);
    }
  }
  if (decMin > decMax) throw new RangeError(`decMin (${decMin}) is greater than decMax (${decMax})`);
  const allLon = raMax - raMin >= 360;
  const start = ((((raMin % 360) + 360) % 360) * DEG) % (2 * Math.PI);
  const width = allLon ? 2 * Math.PI : (((((raMax - raMin) % 360) + 360) % 360) * DEG);
  const latLo = decMin * DEG;
  const latHi = decMax * DEG;
  if (allLon && decMin === -90 && decMax === 90) return fullSky(order);
  return coverRegion(order, (c, r) => {
    // Latitude/longitude extent of the circle, which contains the pixel.
    const lat = Math.atan2(c[2], Math.hypot(c[0], c[1]));
    const cLo = lat - r;
    const cHi = lat + r;
    if (cLo > latHi || cHi < latLo) return Overlap.Outside;
    const latInside = cLo >= latLo && cHi <= latHi;
    if (allLon) return latInside ? Overlap.Inside : Overlap.Partial;
    if (cHi >= Math.PI / 2 || cLo <= -Math.PI / 2) return Overlap.Partial;
    const half = Math.asin(Math.min(1, Math.sin(r) / Math.cos(lat)));
    const span = 2 * half;
    // Offset of the circle's western lon limit from the box's western edge, in [0, 2pi).
    let off = (lonOf(c) - half - start) % (2 * Math.PI);
    if (off < 0) off += 2 * Math.PI;
    if (off > width && off + span < 2 * Math.PI) return Overlap.Outside;
    return latInside && off + span <= width ? Overlap.Inside : Overlap.Partial;
  });
}

/**
 * A coverage order for a region of angular radius `radiusDeg`: pixels a few times smaller than
 * the region, so its coverage is tight yet has tens of ranges, not thousands. Capped at 29.
 */
export function chooseOrder(radiusDeg: number): number {
  checkRadius(radiusDeg);
  if (radiusDeg === 0) return 29;
  // Mean pixel size at order k is about 58.6 / 2^k degrees; aim for ~1/8 of the radius,
  // which measures ~10-30 ranges and 1.2-1.6 times the disc's area.
  const k = Math.floor(Math.log2((58.6 * 8) / radiusDeg));
  return Math.max(0, Math.min(29, k));
}
