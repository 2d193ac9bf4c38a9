/**
 * Geometry in SQL: constant regions become HEALPix range conditions on a table's index column
 * (so PostgreSQL scans the btree) plus an exact spherical test; everything else is computed
 * exactly by the vodax SQL functions (src/adql/sql-functions.ts) without the index.
 *
 * ADQL BOX(ra, dec, w, h) is taken as the polygon with corners (ra ± w/2, dec ± h/2) joined by
 * great circles: w is a span of RA, h of Dec, and the sides are great-circle arcs.
 */
import type { Pos } from './ast.js';

/** Anything with a position in the query, for errors. */
export type At = { pos: Pos };
import { chooseOrder, coverDisc, coverPolygon } from '../healpix/coverage.js';
import { INDEX_ORDER, npix } from '../healpix/nested.js';
import { makePolygon } from '../healpix/polygon.js';
import { capRanges, type RangeSet } from '../healpix/ranges.js';
import { angle, radecToVec } from '../healpix/sphere.js';
import type { Source } from './scope.js';
import { errorAt } from './scope.js';

/**
 * Most ranges in one HEALPix condition; more are merged, narrowest gaps first (a superset, never
 * a loss). PostgreSQL plans each range as an index scan of a BitmapOr, and a query is planned up
 * to three times (its columns, its row estimate, its run): measured on a million rows, 22 ranges
 * took 0.52 ms to plan, 8 ranges 0.22 ms, while 8 cover only about a tenth more sky than 25
 * (1.63 against 1.47 times a 0.1 degree disc).
 */
export const MAX_RANGES = 8;

const DEG = Math.PI / 180;

/** A geometry operand, with SQL for its parts and its value when constant. */
export type Geom =
  | { shape: 'point'; ra: string; dec: string; source: Source | null; value: readonly [number, number] | null }
  | { shape: 'circle'; ra: string; dec: string; r: string; centre: Source | null; value: readonly [number, number, number] | null }
  | { shape: 'polygon'; arr: string; vertices: ReadonlyArray<readonly [number, number]> | null; box?: boolean };

/** A number literal as SQL: never a `--` or a quote, whatever the text. */
export function num(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`not a finite number: ${n}`);
  const s = String(n);
  return n < 0 || Object.is(n, -0) ? `(${s})` : s;
}

/** A DALI array value of a geometry. */
export function geomArray(g: Geom): string {
  if (g.shape === 'point') return `CAST(ARRAY[${g.ra}, ${g.dec}] AS double precision[])`;
  if (g.shape === 'circle') return `CAST(ARRAY[${g.ra}, ${g.dec}, ${g.r}] AS double precision[])`;
  return g.arr;
}

/** The corners of a constant BOX, or an error at the BOX. */
export function boxVertices(e: At, ra: number, dec: number, w: number, h: number): Array<[number, number]> {
  if (w < 0 || h < 0) throw errorAt(e.pos, 'BOX width and height must not be negative');
  if (Math.abs(dec) + h / 2 > 90) throw errorAt(e.pos, 'BOX reaches beyond a pole; use a POLYGON or a CIRCLE');
  return [
    [ra - w / 2, dec - h / 2],
    [ra + w / 2, dec - h / 2],
    [ra + w / 2, dec + h / 2],
    [ra - w / 2, dec + h / 2],
  ];
}

/** A HEALPix condition on a table's index column: its SQL, the coverage order and how many ranges it tests. */
export interface IndexCondition {
  sql: string;
  order: number;
  ranges: number;
}

/** `(hpx BETWEEN lo AND hi OR ...)` for a range set, or null when it is the whole sky. */
export function hpxCondition(source: Source, set: RangeSet): IndexCondition | null {
  const col = `"${source.sqlAlias}"."${source.table!.position!.hpx.replace(/"/g, '""')}"`;
  const capped = capRanges(set, MAX_RANGES).ranges;
  if (capped.length === 0) return { sql: 'FALSE', order: set.order, ranges: 0 };
  const [first] = capped;
  if (capped.length === 1 && first![0] === 0n && first![1] === npix(set.order)) return null;
  // Ranges at the set's order become ranges of order-29 indices (descendants are contiguous).
  const shift = BigInt(2 * (INDEX_ORDER - set.order));
  let sql = '(';
  for (let i = 0; i < capped.length; i++) {
    const [lo, hi] = capped[i]!;
    sql += `${i === 0 ? '' : ' OR '}${col} BETWEEN ${lo << shift} AND ${(hi << shift) - 1n}`;
  }
  return { sql: `${sql})`, order: set.order, ranges: capped.length };
}

/** Exact test that a position lies within (or strictly within) a constant circle. */
export function constCircleTest(ra: string, dec: string, c: readonly [number, number, number], strict: boolean): string {
  const [ra0, dec0, r] = c;
  // Haversine compared with hav(r): no trigonometric inverse per row, precise for tiny radii.
  const h = r >= 180 ? 1 : Math.sin((r * DEG) / 2) ** 2;
  return (
    `((power(sin(radians(${dec} - ${num(dec0)}) / 2), 2) + cos(radians(${dec})) * ${num(Math.cos(dec0 * DEG))}` +
    ` * power(sin(radians(${ra} - ${num(ra0)}) / 2), 2)) ${strict ? '<' : '<='} ${num(h)})`
  );
}

/** HEALPix condition for a constant circle around a table's position, or null (whole sky). */
export function circleRanges(e: At, source: Source, c: readonly [number, number, number]): IndexCondition | null {
  const [ra, dec, r] = c;
  if (r < 0) return { sql: 'FALSE', order: 0, ranges: 0 };
  if (Math.abs(dec) > 90) throw errorAt(e.pos, `CIRCLE centre declination ${dec} is outside [-90, 90]`);
  if (r >= 180) return null;
  // One order coarser than chooseOrder's: its finer ranges would be merged down to MAX_RANGES
  // anyway (measured, 0.1° cones: order 12, 26 ranges capped to 8 over 1.67 times the disc's
  // area, 48 µs; order 11, 14 ranges capped over 1.92 times, 19 µs).
  return hpxCondition(source, coverDisc(Math.max(0, chooseOrder(r) - 1), ra, dec, r));
}

/** The prepared polygon frame (see vodax.polygon_frame) and its HEALPix coverage order. */
export function polygonFrame(e: At, vertices: ReadonlyArray<readonly [number, number]>): { frame: number[]; order: number } {
  for (const [, d] of vertices) if (!(Math.abs(d) <= 90)) throw errorAt(e.pos, `polygon vertex declination ${d} is outside [-90, 90]`);
  let poly;
  try {
    poly = makePolygon(vertices);
  } catch (err) {
    throw errorAt(e.pos, `invalid polygon: ${(err as Error).message}`);
  }
  if (!poly.projectable) throw errorAt(e.pos, 'the polygon is larger than a hemisphere; split it');
  const radius = Math.max(...poly.vertices.map((v) => angle(v, poly.centre))) / DEG;
  const frame = [...poly.centre, ...poly.e1, ...poly.e2, ...poly.planar.flat()];
  return { frame, order: chooseOrder(radius) };
}

/** HEALPix condition for a constant polygon around a table's position. */
export function polygonRanges(source: Source, vertices: ReadonlyArray<readonly [number, number]>, order: number): IndexCondition | null {
  return hpxCondition(source, coverPolygon(order, vertices));
}

/** Exact point-in-constant-polygon test. */
export function constPolygonTest(ra: string, dec: string, frame: number[]): string {
  return `vodax.frame_contains(CAST(ARRAY[${frame.map(num).join(', ')}] AS double precision[]), ${ra}, ${dec})`;
}

/**
 * The HEALPix order for a crossmatch of radius r (degrees): pixels at least six times larger
 * than r, so every match of a position lies in its pixel or one of the 7-8 neighbours. Null
 * when r is too large for the neighbourhood to help.
 */
export function crossmatchOrder(r: number): number | null {
  if (!(r >= 0)) return null;
  if (r === 0) return INDEX_ORDER;
  const k = Math.floor(Math.log2(58.6 / (6 * r)));
  if (k < 2) return null;
  return Math.min(INDEX_ORDER, k);
}

/** Is (ra, dec) a usable position? For validating constant centres. */
export function checkPosition(e: At, ra: number, dec: number): void {
  try {
    radecToVec(ra, dec);
  } catch (err) {
    throw errorAt(e.pos, (err as Error).message);
  }
}
