/**
 * Spherical polygons with great-circle edges, convex or not, vertices in either winding.
 * The interior is the side that fits in a hemisphere: the polygon is seen through a gnomonic
 * projection centred inside it, where great circles become straight lines and a planar
 * even-odd test decides inside/outside regardless of vertex order.
 */

import { angle, cross, dot, norm, normalize, radecToVec, type Vec3 } from './sphere.js';

/** A prepared spherical polygon. `projectable` is false when it spans more than a hemisphere. */
export interface SphericalPolygon {
  readonly vertices: readonly Vec3[];
  /** Unit normals of each edge's great circle (edge i runs from vertex i to i+1). */
  readonly normals: readonly Vec3[];
  readonly projectable: boolean;
  /** Projection centre and tangent-plane basis (meaningful when projectable). */
  readonly centre: Vec3;
  readonly e1: Vec3;
  readonly e2: Vec3;
  /** Projected vertices (u, v) in the tangent plane. */
  readonly planar: ReadonlyArray<readonly [number, number]>;
}

/** Prepares a polygon from [ra, dec] vertices in degrees; throws a RangeError if degenerate. */
export function makePolygon(vertices: ReadonlyArray<readonly [number, number]>): SphericalPolygon {
  if (!Array.isArray(vertices)) throw new RangeError('polygon vertices must be an array of [ra, dec]');
  const vs: Vec3[] = [];
  for (const v of vertices) {
    if (!Array.isArray(v) || v.length !== 2) throw new RangeError('each polygon vertex must be [ra, dec]');
    const p = radecToVec(v[0], v[1]);
    const last = vs[vs.length - 1];
    if (last === undefined || angle(last, p) > 1e-15) vs.push(p);
  }
  // A closing vertex equal to the first one is allowed.
  while (vs.length > 1 && angle(vs[0]!, vs[vs.length - 1]!) <= 1e-15) vs.pop();
  if (vs.length < 3) throw new RangeError('a polygon needs at least 3 distinct vertices');
  const normals: Vec3[] = [];
  for (let i = 0; i < vs.length; i++) {
    const a = vs[i]!;
    const b = vs[(i + 1) % vs.length]!;
    const n = cross(a, b);
    if (norm(n) < 1e-15 || dot(a, b) < 0 && norm(n) < 1e-9) {
      throw new RangeError(`polygon edge ${i + 1} joins antipodal or coincident vertices`);
    }
    normals.push(normalize(n));
  }
  const sum = vs.reduce<Vec3>((s, v) => [s[0] + v[0], s[1] + v[1], s[2] + v[2]], [0, 0, 0]);
  const mid: Vec3 = vs.reduce<Vec3>((s, a, i) => {
    const b = vs[(i + 1) % vs.length]!;
    const w = angle(a, b);
    const m = normalize([a[0] + b[0], a[1] + b[1], a[2] + b[2]]);
    return [s[0] + w * m[0], s[1] + w * m[1], s[2] + w * m[2]];
  }, [0, 0, 0]);
  let centre: Vec3 = [0, 0, 1];
  let projectable = false;
  for (const cand of [sum, mid]) {
    if (norm(cand) < 1e-12) continue;
    const c = normalize(cand);
    // Edges are minor arcs, so vertices strictly inside the hemisphere keep edges inside too.
    if (vs.every((v) => dot(v, c) > 1e-6)) {
      centre = c;
      projectable = true;
      break;
    }
  }
  const helper: Vec3 = Math.abs(centre[2]) < 0.9 ? [0, 0, 1] : [1, 0, 0];
  const e1 = normalize(cross(helper, centre));
  const e2 = cross(centre, e1);
  const planar = vs.map((v) => project(v, centre, e1, e2));
  return { vertices: vs, normals, projectable, centre, e1, e2, planar };
}

function project(p: Vec3, c: Vec3, e1: Vec3, e2: Vec3): [number, number] {
  const d = dot(p, c);
  return [dot(p, e1) / d, dot(p, e2) / d];
}

/** True when unit vector p is inside the polygon (points exactly on an edge may go either way). */
export function polygonContains(poly: SphericalPolygon, p: Vec3): boolean {
  if (!poly.projectable) throw new RangeError('polygon spans more than a hemisphere');
  if (dot(p, poly.centre) <= 0) return false;
  const [u, v] = project(p, poly.centre, poly.e1, poly.e2);
  let inside = false;
  const q = poly.planar;
  for (let i = 0, j = q.length - 1; i < q.length; j = i++) {
    const [ui, vi] = q[i]!;
    const [uj, vj] = q[j]!;
    if (vi > v !== vj > v && u < ((uj - ui) * (v - vi)) / (vj - vi) + ui) inside = !inside;
  }
  return inside;
}

/** Angular distance (radians) from unit vector p to the polygon's boundary. */
export function distanceToBoundary(poly: SphericalPolygon, p: Vec3): number {
  let best = Infinity;
  const vs = poly.vertices;
  for (let i = 0; i < vs.length; i++) {
    const a = vs[i]!;
    const b = vs[(i + 1) % vs.length]!;
    const n = poly.normals[i]!;
    const s = dot(p, n);
    // Foot of p on the edge's great circle; inside the arc iff it lies between a and b.
    const q: Vec3 = [p[0] - s * n[0], p[1] - s * n[1], p[2] - s * n[2]];
    let d: number;
    if (dot(cross(a, q), n) >= 0 && dot(cross(q, b), n) >= 0) {
      d = Math.asin(Math.min(1, Math.abs(s)));
    } else {
      d = Math.min(angle(p, a), angle(p, b));
    }
    if (d < best) best = d;
  }
  return best;
}
