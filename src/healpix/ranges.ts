/**
 * Sets of nested HEALPix pixels at one order, held as sorted, disjoint, non-adjacent
 * half-open ranges [start, end). Because nested indices of a pixel's descendants are
 * contiguous, a coverage at order k becomes the same number of ranges at any finer order,
 * which is what the index column predicates (`hpx BETWEEN lo AND hi`) need.
 */

import { checkOrder, npix } from './nested.js';

/** Half-open range of nested indices [start, end). */
export type Range = readonly [start: bigint, end: bigint];

/** A normalised set of ranges at one order: sorted, disjoint, with gaps between ranges. */
export interface RangeSet {
  readonly order: number;
  readonly ranges: readonly Range[];
}

/** Builds a normalised RangeSet from ranges in any order, overlapping or empty ones included. */
export function rangeSet(order: number, ranges: Iterable<Range>): RangeSet {
  checkOrder(order);
  const max = npix(order);
  const list: Range[] = [];
  for (const [start, end] of ranges) {
    if (start < 0n || end > max) {
      throw new RangeError(`range [${start}, ${end}) is outside the pixels of order ${order}`);
    }
    if (end > start) list.push([start, end]);
  }
  list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const merged: Array<[bigint, bigint]> = [];
  for (const [start, end] of list) {
    const last = merged[merged.length - 1];
    if (last !== undefined && start <= last[1]) {
      if (end > last[1]) last[1] = end;
    } else {
      merged.push([start, end]);
    }
  }
  return { order, ranges: merged };
}

/** The empty set at an order. */
export function emptyRanges(order: number): RangeSet {
  checkOrder(order);
  return { order, ranges: [] };
}

/** The whole sky at an order. */
export function fullSky(order: number): RangeSet {
  return { order, ranges: [[0n, npix(order)]] };
}

/** Re-expresses a set at another order; going coarser widens partial pixels to whole ones. */
export function shiftRanges(set: RangeSet, toOrder: number): RangeSet {
  checkOrder(toOrder);
  const d = toOrder - set.order;
  if (d === 0) return set;
  if (d > 0) {
    const s = BigInt(2 * d);
    // Children of a pixel are contiguous, so ranges stay disjoint and non-adjacent.
    return { order: toOrder, ranges: set.ranges.map(([a, b]) => [a << s, b << s] as const) };
  }
  const s = BigInt(-2 * d);
  const round = (1n << s) - 1n;
  return rangeSet(
    toOrder,
    set.ranges.map(([a, b]) => [a >> s, (b + round) >> s] as const),
  );
}

/** Union of any number of sets, at the finest of their orders (or `order` if given). */
export function unionRanges(sets: readonly RangeSet[], order?: number): RangeSet {
  const target = order ?? sets.reduce((m, s) => Math.max(m, s.order), 0);
  const all: Range[] = [];
  for (const s of sets) all.push(...shiftRanges(s, target).ranges);
  return rangeSet(target, all);
}

/** Index of the first range whose end is > ipix (binary search), or ranges.length. */
function firstEndAbove(ranges: readonly Range[], ipix: bigint): number {
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ranges[mid]![1] > ipix) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** True when the pixel `ipix` (at `ipixOrder`, default the set's order) lies in the set. */
export function rangesContain(set: RangeSet, ipix: bigint, ipixOrder: number = set.order): boolean {
  checkOrder(ipixOrder);
  let p = ipix;
  if (ipixOrder > set.order) p = ipix >> BigInt(2 * (ipixOrder - set.order));
  else if (ipixOrder < set.order) {
    // A coarser pixel is contained only if all of its descendants are.
    const s = BigInt(2 * (set.order - ipixOrder));
    const start = ipix << s;
    const end = (ipix + 1n) << s;
    const r = set.ranges[firstEndAbove(set.ranges, start)];
    return r !== undefined && r[0] <= start && r[1] >= end;
  }
  const r = set.ranges[firstEndAbove(set.ranges, p)];
  return r !== undefined && r[0] <= p;
}

/** True when every pixel of `inner` is also in `outer` (compared at the finer order). */
export function rangesCover(outer: RangeSet, inner: RangeSet): boolean {
  const order = Math.max(outer.order, inner.order);
  const o = shiftRanges(outer, order).ranges;
  for (const [a, b] of shiftRanges(inner, order).ranges) {
    const r = o[firstEndAbove(o, a)];
    if (r === undefined || r[0] > a || r[1] < b) return false;
  }
  return true;
}

/** Number of pixels in the set, at its order. */
export function pixelCount(set: RangeSet): bigint {
  let n = 0n;
  for (const [a, b] of set.ranges) n += b - a;
  return n;
}

/** Every pixel of the set, in order; only for small sets (tests, MOC output). */
export function* pixels(set: RangeSet): Generator<bigint> {
  for (const [a, b] of set.ranges) for (let p = a; p < b; p++) yield p;
}

/**
 * Caps the number of ranges by filling the smallest gaps between neighbours, so the result
 * still covers every pixel of the input (a superset, never a loss).
 */
export function capRanges(set: RangeSet, maxRanges: number): RangeSet {
  if (!Number.isInteger(maxRanges) || maxRanges < 1) {
    throw new RangeError(`maxRanges must be a positive integer, got ${maxRanges}`);
  }
  const r = set.ranges;
  if (r.length <= maxRanges) return set;
  // Keep the (maxRanges - 1) widest gaps; ties go to the earlier gap for determinism.
  const gaps = r.slice(1).map((range, i) => ({ i, size: range[0] - r[i]![1] }));
  gaps.sort((a, b) => (a.size > b.size ? -1 : a.size < b.size ? 1 : a.i - b.i));
  const keep = gaps.slice(0, maxRanges - 1).map((g) => g.i);
  keep.sort((a, b) => a - b);
  const out: Range[] = [];
  let start = r[0]![0];
  for (const i of keep) {
    out.push([start, r[i]![1]]);
    start = r[i + 1]![0];
  }
  out.push([start, r[r.length - 1]![1]]);
  return { order: set.order, ranges: out };
}
