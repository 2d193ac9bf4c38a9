import { expect } from 'chai';
import { ALL_SKY, balancedBoundaries, HISTOGRAM_ORDER, overlaps, type HistogramBin } from '../../src/shard/boundaries.js';
import { INDEX_ORDER } from '../../src/healpix/nested.js';

const SHIFT = BigInt(2 * (INDEX_ORDER - HISTOGRAM_ORDER));

/** Rows of a histogram that fall in [lo, hi). */
function rowsIn(h: readonly HistogramBin[], lo: bigint, hi: bigint): number {
  return h.filter(([p]) => p << SHIFT >= lo && p << SHIFT < hi).reduce((s, [, c]) => s + c, 0);
}

describe('shard boundaries (balanced HEALPix ranges)', () => {
  it('covers the whole sky with contiguous ranges', () => {
    const r = balancedBoundaries([[5n, 10], [700_000n, 10]], 4);
    expect(r).to.have.length(4);
    expect(r[0]!.lo).to.equal(0n);
    expect(r[3]!.hi).to.equal(ALL_SKY.hi);
    for (let i = 1; i < r.length; i++) expect(r[i]!.lo).to.equal(r[i - 1]!.hi);
    for (const x of r) expect(x.hi > x.lo).to.equal(true);
  });

  it('balances a skewed sky: a dense stripe and a sparse rest', () => {
    const h: HistogramBin[] = [];
    for (let p = 0n; p < 786_432n; p += 97n) h.push([p, p > 300_000n && p < 310_000n ? 1000 : 1]);
    const r = balancedBoundaries(h, 4);
    const total = h.reduce((s, [, c]) => s + c, 0);
    for (const x of r) expect(rowsIn(h, x.lo, x.hi)).to.be.within(total / 4 - 1000, total / 4 + 1000);
  });

  it('gives each shard its own non-empty range even with fewer occupied pixels than shards, or none', () => {
    for (const h of [[[42n, 1000]] as HistogramBin[], []]) {
      const r = balancedBoundaries(h, 3);
      expect(r).to.have.length(3);
      for (const x of r) expect(x.hi > x.lo).to.equal(true);
    }
  });

  it('refuses a shard count that is not a positive integer', () => {
    expect(() => balancedBoundaries([], 0)).to.throw(/positive integer/);
  });

  it('tells whether an inclusive BETWEEN range meets a half-open shard range', () => {
    const r = { lo: 100n, hi: 200n };
    expect(overlaps(r, 0n, 99n)).to.equal(false);
    expect(overlaps(r, 0n, 100n)).to.equal(true);
    expect(overlaps(r, 199n, 300n)).to.equal(true);
    expect(overlaps(r, 200n, 300n)).to.equal(false);
  });
});
