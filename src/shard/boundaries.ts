/**
 * Partition boundaries of a sharded table: contiguous ranges of order-29 nested HEALPix indices
 * (each a region of sky), cut where the data's histogram balances the rows. Pure.
 */
import { INDEX_ORDER, npix } from '../healpix/nested.js';

/** The order of the histogram the cuts are chosen from: 786 432 pixels of about 0.05 deg². */
export const HISTOGRAM_ORDER = 8;

/** One shard's half-open range [lo, hi) of order-29 indices. */
export interface HpxRange {
  lo: bigint;
  hi: bigint;
}

/** One histogram bin: a pixel at HISTOGRAM_ORDER and its row count. */
export type HistogramBin = readonly [pixel: bigint, rows: number];

const SHIFT = BigInt(2 * (INDEX_ORDER - HISTOGRAM_ORDER));

/** The whole sky at order 29. */
export const ALL_SKY: HpxRange = { lo: 0n, hi: npix(INDEX_ORDER) };

/**
 * `n` ranges covering the whole sky, cut on histogram pixel edges so each holds about 1/n of the
 * rows. With fewer occupied pixels than shards (or no rows) the leftover shards get equal slices
 * of the empty sky, so every range is non-empty and the ranges stay strictly increasing.
 */
export function balancedBoundaries(histogram: readonly HistogramBin[], n: number): HpxRange[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`shards must be a positive integer, not ${n}`);
  const bins = [...histogram].filter(([, c]) => c > 0).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const total = bins.reduce((s, [, c]) => s + c, 0);
  const pixels = npix(HISTOGRAM_ORDER);
  const cuts: bigint[] = [];
  let seen = 0;
  let i = 0;
  for (let k = 1; k < n; k++) {
    const target = (total * k) / n;
    while (i < bins.length && seen + bins[i]![1] <= target) seen += bins[i++]![1];
    // Cut after the pixel that crosses the target when that is nearer the target than before it.
    let cut: bigint;
    if (i < bins.length && target - seen > seen + bins[i]![1] - target) {
      seen += bins[i]![1];
      cut = bins[i++]![0] + 1n;
    } else {
      cut = i < bins.length ? bins[i]![0] : pixels;
    }
    cuts.push(cut);
  }
  // Strictly increasing cuts inside (0, pixels): spread collisions over the free pixels.
  const fixed: bigint[] = [];
  for (let k = 0; k < cuts.length; k++) {
    const floor = (fixed[k - 1] ?? 0n) + 1n;
    const ceiling = pixels - BigInt(cuts.length - k);
    let c = cuts[k]!;
    if (c < floor) c = floor;
    if (c > ceiling) c = ceiling;
    fixed.push(c);
  }
  const edges = [0n, ...fixed.map((c) => c << SHIFT), ALL_SKY.hi];
  return edges.slice(0, -1).map((lo, k) => ({ lo, hi: edges[k + 1]! }));
}

/** Whether a range of order-29 indices [lo, hi] (inclusive, as a query's BETWEEN) meets a shard's range. */
export function overlaps(range: HpxRange, lo: bigint, hi: bigint): boolean {
  return lo < range.hi && hi >= range.lo;
}
