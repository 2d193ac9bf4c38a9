/**
 * Inclusive HEALPix coverage of sky regions: every pixel that may hold a point of the region
 * (as placed by ang2pix) is in the result, plus a thin margin of pixels that only touch it.
 *
 * The search descends from the 12 base pixels. Each pixel is replaced by its bounding circle
 * (widened by ang2pix's numerical slack) and compared with the region: circles outside are
 * dropped, circles inside are kept whole, the rest are split down to the target order.
 * Discs, the common case (every cone search), have their own faster search (discCoverage):
 * pixel centres against the largest pixel radius of each order, without allocation.
 */

import { checkOrder, faceToZPhi, spread16, xyfToNested } from './nested.js';
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
  return discCoverage(order, centre, radiusDeg * DEG);
}

/**
 * The largest angular distance from a pixel's centre to any point of the pixel at `order`
 * (HEALPix's max_pixrad: reached at the polar corner of the pixels touching the cap boundary;
 * edges never go further, which the tests check by sampling them densely).
 */
export function maxPixelRadius(order: number): number {
  checkOrder(order);
  const nside = 2 ** order;
  // Centre of the first ring below the cap boundary's corner, and the cap corner above it.
  const za = 2 / 3;
  const sa = Math.sqrt((1 - za) * (1 + za));
  const pa = Math.PI / (4 * nside);
  const t = (1 - 1 / nside) ** 2;
  const oneMinusZb = t / 3;
  const sb = Math.sqrt(oneMinusZb * (2 - oneMinusZb));
  return angle([sa * Math.cos(pa), sa * Math.sin(pa), za], [sb, 0, 1 - oneMinusZb]);
}

/** Relative widening of maxPixelRadius in the disc search (the sampled maximum is 1 + 6e-8). */
const MAX_RADIUS_FACTOR = 1.0001;

/** maxPixelRadius of each order as the disc search widens it (constant: every cone search needs it). */
const SEARCH_PIXEL_RADIUS: readonly number[] = Array.from({ length: 30 }, (_, k) => maxPixelRadius(k) * MAX_RADIUS_FACTOR + ANG2PIX_SLACK);

/** Squared chord of an angle in [0, pi]: monotonic in the angle and precise for tiny ones. */
function chord2(a: number): number {
  const s = 2 * Math.sin(a / 2);
  return s * s;
}

// Constant tables (never written): 2^-k and 4^k, exact; `**` is slow in V8's optimised code.
const INV_NSIDE: readonly number[] = Array.from({ length: 30 }, (_, k) => 2 ** -k);
const POW4: readonly number[] = Array.from({ length: 30 }, (_, k) => 4 ** k);
const POW2: readonly number[] = Array.from({ length: 59 }, (_, k) => 2 ** k);
const TWO_32 = 4294967296;
const INV_2_32 = 1 / TWO_32;

/**
 * The disc search. Pixels are tested by their centre only, against the disc radius widened
 * (outside) or narrowed (inside) by the largest pixel radius of their order, compared as
 * squared chords: one face-to-vector conversion and no inverse trigonometry per pixel. The
 * depth-first walk emits pixels in index order, so ranges are merged as they come; below
 * order 25 indices are exact doubles, and bigints are made only for the final ranges.
 */
function discCoverage(order: number, centre: Vec3, radius: number): RangeSet {
  const [cx, cy, cz] = centre;
  const sinTheta0 = Math.hypot(cx, cy);
  const halfPhi0 = 0.5 * Math.atan2(cy, cx);
  // A pixel at `order` is kept when its centre is within radius + rm(order) of the disc's
  // (rm: the largest pixel radius, widened): it may hold a point of the disc. A coarser pixel
  // is dropped when even its nearest point is farther than radius from the disc (so none of
  // its descendants can hold a disc point), and kept whole when its farthest point is within
  // radius + rm(order): every descendant's centre is too, so the descent would keep them all.
  const rms = SEARCH_PIXEL_RADIUS;
  const keep = radius + rms[order]!;
  const outside = new Float64Array(order + 1);
  const inside = new Float64Array(order + 1);
  for (let level = 0; level <= order; level++) {
    const far = radius + rms[level]!;
    outside[level] = far >= Math.PI ? Infinity : chord2(far);
    const near = keep - rms[level]!;
    inside[level] = near < 0 ? -1 : chord2(Math.min(near, Math.PI));
  }
  // Depth-first stack of pixels; at most 3 siblings wait per level, plus the 12 faces.
  const depth = 12 + 3 * (order + 1);
  const sLevel = new Int8Array(depth);
  const sFace = new Int8Array(depth);
  const sX = new Int32Array(depth);
  const sY = new Int32Array(depth);
  let top = 0;
  for (let f = 11; f >= 0; f--) {
    sLevel[top] = 0;
    sFace[top] = f;
    sX[top] = 0;
    sY[top] = 0;
    top++;
  }
  // Merged ranges [start, end) at `order`, each bound as two doubles (high and low 32 bits).
  const out: number[] = [];
  const pixel = new Float64Array(3);
  let visited = 0;
  while (top > 0) {
    top--;
    const level = sLevel[top]!;
    const face = sFace[top]!;
    const x = sX[top]!;
    const y = sY[top]!;
    if (++visited > MAX_VISITED) {
      throw new RangeError(`coverage at order ${order} needs too many pixels; choose a coarser order`);
    }
    // Pixel centre, written into a buffer (no allocation per pixel).
    const inv = INV_NSIDE[level]!;
    faceToZPhi(face, (x + 0.5) * inv, (y + 0.5) * inv, pixel);
    const z = pixel[0]!;
    const sinTheta = pixel[1]!;
    // Squared chord to the disc centre: dz^2 + (sin - sin0)^2 + 4 sin sin0 sin^2(dphi / 2),
    // one sine and no cancellation for close pixels.
    const h = Math.sin(0.5 * pixel[2]! - halfPhi0);
    const dz = z - cz;
    const ds = sinTheta - sinTheta0;
    const d2 = dz * dz + ds * ds + 4 * sinTheta * sinTheta0 * h * h;
    if (d2 > outside[level]!) continue;
    if (d2 <= inside[level]! || level === order) {
      // Nested index p = pHi * 2^32 + pLo of the pixel at its level, then of its first
      // descendant at `order` (p * 2^shift), all as exact doubles.
      const lo32 = (spread16(x) | (spread16(y) << 1)) >>> 0;
      const hiBits = spread16(x >>> 16) | (spread16(y >>> 16) << 1);
      let pHi: number;
      let pLo: number;
      if (level <= 16) {
        const p = face * POW4[level]! + lo32; // < 12 * 2^32, exact
        pHi = Math.floor(p * INV_2_32);
        pLo = p - pHi * TWO_32;
      } else {
        pHi = face * POW4[level - 16]! + hiBits;
        pLo = lo32;
      }
      const shift = 2 * (order - level);
      let sHi: number;
      let sLo: number;
      let eHi: number;
      let eLo: number;
      if (shift >= 32) {
        sHi = pHi * POW2[shift]! + pLo * POW2[shift - 32]!;
        sLo = 0;
        eHi = sHi + POW2[shift - 32]!;
        eLo = 0;
      } else {
        const low = pLo * POW2[shift]!;
        const carry = Math.floor(low * INV_2_32);
        sHi = pHi * POW2[shift]! + carry;
        sLo = low - carry * TWO_32;
        eHi = sHi;
        eLo = sLo + POW2[shift]!;
        if (eLo >= TWO_32) {
          eLo -= TWO_32;
          eHi += 1;
        }
      }
      const n = out.length;
      if (n > 0 && out[n - 2] === sHi && out[n - 1] === sLo) {
        out[n - 2] = eHi;
        out[n - 1] = eLo;
      } else {
        out.push(sHi, sLo, eHi, eLo);
      }
      continue;
    }
    // Children in reverse index order, so the smallest is popped first.
    const l1 = level + 1;
    const x2 = 2 * x;
    const y2 = 2 * y;
    for (let k = 3; k >= 0; k--) {
      sLevel[top] = l1;
      sFace[top] = face;
      sX[top] = x2 + (k & 1);
      sY[top] = y2 + (k >> 1);
      top++;
    }
  }
  const ranges: Array<[bigint, bigint]> = [];
  const exact = order <= 24; // every index below 2^53
  for (let i = 0; i < out.length; i += 4) {
    ranges.push(
      exact
        ? [BigInt(out[i]! * TWO_32 + out[i + 1]!), BigInt(out[i + 2]! * TWO_32 + out[i + 3]!)]
        : [(BigInt(out[i]!) << 32n) | BigInt(out[i + 1]!), (BigInt(out[i + 2]!) << 32n) | BigInt(out[i + 3]!)],
    );
  }
  return { order, ranges };
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
