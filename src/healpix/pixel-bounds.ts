/**
 * A bounding circle for one HEALPix pixel: its centre and a radius that contains the whole
 * pixel. Pixel edges are not great circles, so the radius taken from corners and edge
 * midpoints is widened by a safety factor checked in the tests against dense edge samples.
 */

import { faceToVec } from './nested.js';
import { angle, type Vec3 } from './sphere.js';

/** Relative widening of the sampled radius; edges bulge far less than this (see tests). */
export const PIXEL_RADIUS_FACTOR = 1.02;

/** Centre vector and bounding radius (radians) of a pixel. */
export interface PixelCircle {
  centre: Vec3;
  radius: number;
}

/** Bounding circle of pixel (face, x, y) at `order`. */
export function pixelCircle(order: number, face: number, x: number, y: number): PixelCircle {
  const nside = 2 ** order;
  const x0 = x / nside;
  const y0 = y / nside;
  const x1 = (x + 1) / nside;
  const y1 = (y + 1) / nside;
  const xm = (x + 0.5) / nside;
  const ym = (y + 0.5) / nside;
  const centre = faceToVec(face, xm, ym);
  let r = 0;
  const probe = (fx: number, fy: number): void => {
    const a = angle(centre, faceToVec(face, fx, fy));
    if (a > r) r = a;
  };
  probe(x0, y0);
  probe(x1, y0);
  probe(x0, y1);
  probe(x1, y1);
  probe(xm, y0);
  probe(xm, y1);
  probe(x0, ym);
  probe(x1, ym);
  return { centre, radius: r * PIXEL_RADIUS_FACTOR + 1e-15 };
}

/**
 * Extra radius so a point's stored index never escapes the coverage: ang2pix's rounding moves
 * a point by a few 1e-16 rad at most (polar caps included); pixel edges hit exactly go either way.
 */
export const ANG2PIX_SLACK = 1e-12;
