/**
 * Sky regions (circle, polygon, RA/Dec range; degrees, ICRS) and the pixel box a region covers on
 * an image: the bounding box of the region projected through the image's WCS. Pure. SODA cuts
 * with it; the box goes to the same cutout core as the LSST face's pixel-corner cutouts.
 */
import { wcsPixelToSky, wcsSkyToPixel } from '../wcs/projections.js';
import type { ImageGeometryRef, PixelBox } from './cutout.js';
import { MAX_CUTOUT_PIXELS } from './cutout.js';

/** A region of the sky. A range's ends may be infinite (open); ra1 > ra2 wraps through RA 0. */
export type SkyRegion =
  | { shape: 'circle'; ra: number; dec: number; radius: number }
  | { shape: 'polygon'; vertices: ReadonlyArray<readonly [number, number]> }
  | { shape: 'range'; ra1: number; ra2: number; dec1: number; dec2: number };

type Vec = [number, number, number];
const RAD = Math.PI / 180;

function vec(ra: number, dec: number): Vec {
  const c = Math.cos(dec * RAD);
  return [c * Math.cos(ra * RAD), c * Math.sin(ra * RAD), Math.sin(dec * RAD)];
}
function sky(v: Vec): [number, number] {
  const ra = Math.atan2(v[1], v[0]) / RAD;
  return [ra < 0 ? ra + 360 : ra, Math.atan2(v[2], Math.hypot(v[0], v[1])) / RAD];
}
const dot = (a: Vec, b: Vec) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: Vec, b: Vec): Vec => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a: Vec): Vec => {
  const n = Math.hypot(...a);
  return [a[0] / n, a[1] / n, a[2] / n];
};
const angleDeg = (a: Vec, b: Vec) => Math.atan2(Math.hypot(...cross(a, b)), dot(a, b)) / RAD;

function normRa(ra: number): number {
  const r = ra % 360;
  return r < 0 ? r + 360 : r;
}

/** A range with its open ends closed on the sphere. */
function closedRange(r: Extract<SkyRegion, { shape: 'range' }>): { ra1: number; ra2: number; dec1: number; dec2: number; allRa: boolean } {
  const allRa = r.ra1 === -Infinity || r.ra2 === Infinity || r.ra2 - r.ra1 >= 360;
  return { ra1: allRa ? 0 : r.ra1, ra2: allRa ? 360 : r.ra2, dec1: Math.max(-90, r.dec1), dec2: Math.min(90, r.dec2), allRa };
}

/** Whether a sky position lies in the region (a polygon is the smaller of its two sides, as DALI says). */
export function regionContains(region: SkyRegion, ra: number, dec: number): boolean {
  switch (region.shape) {
    case 'circle':
      return angleDeg(vec(region.ra, region.dec), vec(ra, dec)) <= region.radius;
    case 'range': {
      const r = closedRange(region);
      if (dec < r.dec1 || dec > r.dec2) return false;
      if (r.allRa) return true;
      const a = normRa(r.ra1);
      const span = r.ra1 <= r.ra2 ? r.ra2 - r.ra1 : 360 - r.ra1 + r.ra2;
      return normRa(ra - a) <= span;
    }
    case 'polygon': {
      // Gnomonic projection about the vertices' mean direction: great-circle edges become lines.
      const vs = region.vertices.map(([a, d]) => vec(a, d));
      const c = norm(vs.reduce<Vec>((s, v) => [s[0] + v[0], s[1] + v[1], s[2] + v[2]], [0, 0, 0]));
      const p = vec(ra, dec);
      if (dot(p, c) <= 0) return false;
      const east = norm(Math.abs(c[2]) < 0.9 ? cross([0, 0, 1], c) : cross([1, 0, 0], c));
      const north = cross(c, east);
      const plane = (v: Vec): [number, number] => [dot(v, east) / dot(v, c), dot(v, north) / dot(v, c)];
      const [px, py] = plane(p);
      const poly = vs.map(plane);
      return insidePolygon(px, py, poly);
    }
  }
}

/** Even-odd test of a point against a closed 2-D polygon. */
function insidePolygon(x: number, y: number, poly: ReadonlyArray<readonly [number, number]>): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Points along the region's boundary, in order round it (a closed curve), dense enough for a pixel box. */
export function boundaryPoints(region: SkyRegion, perEdge = 64): Array<[number, number]> {
  switch (region.shape) {
    case 'circle': {
      const c = vec(region.ra, region.dec);
      const east = norm(Math.abs(c[2]) < 0.9 ? cross([0, 0, 1], c) : cross([1, 0, 0], c));
      const north = cross(c, east);
      const r = region.radius * RAD;
      const out: Array<[number, number]> = [];
      const n = perEdge * 4;
      for (let k = 0; k < n; k++) {
        const t = (2 * Math.PI * k) / n;
        const d: Vec = [east[0] * Math.cos(t) + north[0] * Math.sin(t), east[1] * Math.cos(t) + north[1] * Math.sin(t), east[2] * Math.cos(t) + north[2] * Math.sin(t)];
        out.push(sky([c[0] * Math.cos(r) + d[0] * Math.sin(r), c[1] * Math.cos(r) + d[1] * Math.sin(r), c[2] * Math.cos(r) + d[2] * Math.sin(r)]));
      }
      return out;
    }
    case 'polygon': {
      const vs = region.vertices.map(([a, d]) => vec(a, d));
      const out: Array<[number, number]> = [];
      for (let i = 0; i < vs.length; i++) {
        const a = vs[i]!;
        const b = vs[(i + 1) % vs.length]!;
        // Along the great circle from a to b (the edge of a polygon smaller than a hemisphere).
        for (let k = 0; k < perEdge; k++) {
          const f = k / perEdge;
          out.push(sky(norm([a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f])));
        }
      }
      return out;
    }
    case 'range': {
      const r = closedRange(region);
      const span = r.allRa ? 360 : r.ra1 <= r.ra2 ? r.ra2 - r.ra1 : 360 - r.ra1 + r.ra2;
      const out: Array<[number, number]> = [];
      const n = Math.max(perEdge, Math.ceil(span));
      for (let k = 0; k < n; k++) out.push([normRa(r.ra1 + (span * k) / n), r.dec1]);
      for (let k = 0; k < perEdge; k++) out.push([normRa(r.ra1 + span), r.dec1 + ((r.dec2 - r.dec1) * k) / perEdge]);
      for (let k = 0; k < n; k++) out.push([normRa(r.ra1 + span - (span * k) / n), r.dec2]);
      for (let k = 0; k < perEdge; k++) out.push([normRa(r.ra1), r.dec2 - ((r.dec2 - r.dec1) * k) / perEdge]);
      return out;
    }
  }
}

/** Whether the segment (ax, ay)-(bx, by) meets the rectangle [x0, x1] x [y0, y1] (Liang-Barsky). */
function segmentMeetsRect(ax: number, ay: number, bx: number, by: number, x0: number, y0: number, x1: number, y1: number): boolean {
  let t0 = 0;
  let t1 = 1;
  const dx = bx - ax;
  const dy = by - ay;
  for (const [p, q] of [
    [-dx, ax - x0],
    [dx, x1 - ax],
    [-dy, ay - y0],
    [dy, y1 - ay],
  ] as const) {
    if (p === 0) {
      if (q < 0) return false;
    } else {
      const t = q / p;
      if (p < 0) t0 = Math.max(t0, t);
      else t1 = Math.min(t1, t);
      if (t0 > t1) return false;
    }
  }
  return true;
}

/** A region's box on an image, or why there is none. */
export type RegionBox = { box: PixelBox; noOverlap: null } | { box: null; noOverlap: string };

/** Sample positions across an image, edges included, 0-based pixels. */
const GRID = 33;

/**
 * The pixel box (0-based, inclusive, not yet clipped to the image) of a region on an image: the
 * bounding box of the region's projection; or why the region misses the image. Missing is an
 * answer, not an error: SODA answers it with 204 No Content (sync) or a result saying so (async).
 *
 * When the whole region projects onto the image plane, its outline's box is the answer. When it
 * does not (a region reaching past the projection's horizon, or one that holds everything but
 * the image's own neighbourhood), the box is that of the image pixels inside it, pushed one pixel
 * past each image edge the region crosses, so the cut is marked as clipped there as it truly is.
 * A box larger than a cutout may be is brought in towards the image (still past its edges).
 */
export function regionPixelBox(region: SkyRegion, geom: ImageGeometryRef, imageName = 'the image'): RegionBox {
  const { wcs, naxis1, naxis2 } = geom;
  // The image's pixels cover x, y in [-0.5, naxis - 0.5] (0-based).
  const [ex0, ey0, ex1, ey1] = [-0.5, -0.5, naxis1 - 0.5, naxis2 - 0.5];
  const outline = boundaryPoints(region).map(([ra, dec]) => {
    const p = wcsSkyToPixel(wcs, ra, dec);
    return [p.x - 1, p.y - 1] as [number, number];
  });
  const finite = outline.every(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  let meets = false;
  for (let i = 0; i < outline.length && !meets; i++) {
    const [ax, ay] = outline[i]!;
    const [bx, by] = outline[(i + 1) % outline.length]!;
    if ([ax, ay, bx, by].every(Number.isFinite)) meets = segmentMeetsRect(ax, ay, bx, by, ex0, ey0, ex1, ey1);
  }
  // Image pixels inside the region, on a grid over the image.
  const inside: Array<[number, number]> = [];
  const edgeIn = { left: false, right: false, bottom: false, top: false };
  for (let i = 0; i < GRID; i++) {
    for (let j = 0; j < GRID; j++) {
      const x = ((naxis1 - 1) * i) / (GRID - 1);
      const y = ((naxis2 - 1) * j) / (GRID - 1);
      const s = wcsPixelToSky(wcs, x + 1, y + 1);
      if (!Number.isFinite(s.ra) || !regionContains(region, s.ra, s.dec)) continue;
      inside.push([x, y]);
      if (i === 0) edgeIn.left = true;
      if (i === GRID - 1) edgeIn.right = true;
      if (j === 0) edgeIn.bottom = true;
      if (j === GRID - 1) edgeIn.top = true;
    }
  }
  if (!meets && inside.length === 0) {
    return { box: null, noOverlap: `the region does not overlap ${imageName}` };
  }
  // The outline bounds the region's projection when the region's side of it holds the reference point's side.
  const [rx, ry] = [wcs.crpix[0] - 1, wcs.crpix[1] - 1];
  const ref = wcsPixelToSky(wcs, wcs.crpix[0], wcs.crpix[1]);
  const bounded = finite && Number.isFinite(ref.ra) && regionContains(region, ref.ra, ref.dec) === insidePolygon(rx, ry, outline);
  let box: PixelBox;
  if (bounded) {
    const xs = outline.map((p) => p[0]);
    const ys = outline.map((p) => p[1]);
    box = { x0: Math.round(Math.min(...xs)), y0: Math.round(Math.min(...ys)), x1: Math.round(Math.max(...xs)), y1: Math.round(Math.max(...ys)) };
  } else {
    const pts = [...inside, ...outline.filter(([x, y]) => x >= ex0 && x <= ex1 && y >= ey0 && y <= ey1)];
    const xs = pts.map((p) => p[0]);
    const ys = pts.map((p) => p[1]);
    box = {
      x0: edgeIn.left ? -1 : Math.max(0, Math.round(Math.min(...xs))),
      y0: edgeIn.bottom ? -1 : Math.max(0, Math.round(Math.min(...ys))),
      x1: edgeIn.right ? naxis1 : Math.min(naxis1 - 1, Math.round(Math.max(...xs))),
      y1: edgeIn.top ? naxis2 : Math.min(naxis2 - 1, Math.round(Math.max(...ys))),
    };
  }
  if (box.x0 > naxis1 - 1 || box.y0 > naxis2 - 1 || box.x1 < 0 || box.y1 < 0) {
    return { box: null, noOverlap: `the region's pixel box x ${box.x0}..${box.x1}, y ${box.y0}..${box.y1} lies off ${imageName}, whose pixels are x 0..${naxis1 - 1}, y 0..${naxis2 - 1}` };
  }
  return { box: withinCutoutLimit(box, naxis1, naxis2), noOverlap: null };
}

/** The box brought in to at most MAX_CUTOUT_PIXELS a side, keeping at least one pixel past each edge it reaches beyond. */
function withinCutoutLimit(box: PixelBox, naxis1: number, naxis2: number): PixelBox {
  const side = (lo: number, hi: number, n: number): [number, number] => {
    if (hi - lo + 1 <= MAX_CUTOUT_PIXELS) return [lo, hi];
    const margin = Math.max(1, Math.floor((MAX_CUTOUT_PIXELS - n) / 2));
    return [lo < 0 ? Math.max(lo, -margin) : lo, hi > n - 1 ? Math.min(hi, n - 1 + margin) : hi];
  };
  const [x0, x1] = side(box.x0, box.x1, naxis1);
  const [y0, y1] = side(box.y0, box.y1, naxis2);
  return { x0, y0, x1, y1 };
}
