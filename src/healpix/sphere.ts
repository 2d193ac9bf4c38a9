/** Small unit-sphere vector helpers shared by the HEALPix coverage code. */

import { checkPosition } from './nested.js';

/** A 3-vector; unit length when it stands for a sky position. */
export type Vec3 = readonly [number, number, number];

const DEG = Math.PI / 180;

/** Unit vector of (ra, dec) in degrees; throws a RangeError on a bad position. */
export function radecToVec(raDeg: number, decDeg: number): Vec3 {
  checkPosition(raDeg, decDeg);
  const ra = raDeg * DEG;
  const dec = decDeg * DEG;
  const c = Math.cos(dec);
  return [c * Math.cos(ra), c * Math.sin(ra), Math.sin(dec)];
}

/** Dot product. */
export function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/** Cross product. */
export function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/** Euclidean length. */
export function norm(a: Vec3): number {
  return Math.hypot(a[0], a[1], a[2]);
}

/** a scaled to unit length (a must not be zero). */
export function normalize(a: Vec3): Vec3 {
  const n = norm(a);
  return [a[0] / n, a[1] / n, a[2] / n];
}

/** Angle between two unit vectors in radians; atan2 form stays precise for tiny and near-pi angles. */
export function angle(a: Vec3, b: Vec3): number {
  return Math.atan2(norm(cross(a, b)), dot(a, b));
}
