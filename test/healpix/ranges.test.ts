import { expect } from 'chai';
import fc from 'fast-check';
import {
  capRanges,
  rangeSet,
  rangesContain,
  rangesCover,
  shiftRanges,
  pixelCount,
  unionRanges,
  type Range,
} from '../../src/healpix/ranges.js';

const arbRanges = fc.array(
  fc.tuple(fc.bigInt({ min: 0n, max: 3000n }), fc.bigInt({ min: 0n, max: 60n })).map(([a, n]): Range => [a, a + n]),
  { maxLength: 30 },
);

describe('healpix ranges', () => {
  it('normalises: sorted, merged when overlapping or adjacent, empty ranges dropped', () => {
    const s = rangeSet(3, [[10n, 12n], [0n, 4n], [4n, 6n], [11n, 15n], [20n, 20n]]);
    expect(s.ranges).to.deep.equal([[0n, 6n], [10n, 15n]]);
  });

  it('keeps membership exactly under normalisation and union (property)', () => {
    fc.assert(
      fc.property(arbRanges, arbRanges, fc.bigInt({ min: 0n, max: 3100n }), (a, b, p) => {
        const inRaw = (rs: Range[]): boolean => rs.some(([s, e]) => s <= p && p < e);
        const u = unionRanges([rangeSet(5, a), rangeSet(5, b)]);
        return rangesContain(u, p) === (inRaw(a) || inRaw(b)) && rangesContain(rangeSet(5, a), p) === inRaw(a);
      }),
      { seed: 1, numRuns: 500 },
    );
  });

  it('shifts to a finer order so that every descendant of a covered pixel is covered', () => {
    const s = rangeSet(5, [[7n, 9n]]);
    const fine = shiftRanges(s, 29);
    expect(fine.order).to.equal(29);
    expect(fine.ranges).to.deep.equal([[7n << 48n, 9n << 48n]]);
    expect(rangesContain(fine, (8n << 48n) + 12345n)).to.equal(true);
    expect(rangesContain(fine, (9n << 48n))).to.equal(false);
    expect(rangesContain(s, (8n << 48n) + 12345n, 29)).to.equal(true);
  });

  it('shifts to a coarser order by widening, never losing a pixel (property)', () => {
    fc.assert(
      fc.property(arbRanges, fc.integer({ min: 0, max: 4 }), (raw, down) => {
        const s = rangeSet(6, raw);
        const coarse = shiftRanges(s, 6 - down);
        return rangesCover(coarse, s) && pixelCount(shiftRanges(coarse, 6)) >= pixelCount(s);
      }),
      { seed: 2, numRuns: 500 },
    );
  });

  it('answers containment of a coarser pixel only when all its descendants are in', () => {
    const s = rangeSet(10, [[16n, 32n], [40n, 41n]]);
    expect(rangesContain(s, 1n, 8)).to.equal(true); // 16..31
    expect(rangesContain(s, 2n, 8)).to.equal(false); // 32..47 only partly
  });

  it('caps the number of ranges by filling the smallest gaps, keeping every pixel (property)', () => {
    fc.assert(
      fc.property(arbRanges, fc.integer({ min: 1, max: 10 }), (raw, max) => {
        const s = rangeSet(8, raw);
        const c = capRanges(s, max);
        const gapsClosed = pixelCount(c) - pixelCount(s);
        return c.ranges.length <= max && rangesCover(c, s) && gapsClosed >= 0n;
      }),
      { seed: 3, numRuns: 500 },
    );
    const s = rangeSet(8, [[0n, 2n], [3n, 5n], [100n, 101n], [104n, 110n]]);
    expect(capRanges(s, 2).ranges).to.deep.equal([[0n, 5n], [100n, 110n]]);
    expect(() => capRanges(s, 0)).to.throw(RangeError);
  });

  it('rejects ranges outside the pixels of the order', () => {
    expect(() => rangeSet(0, [[0n, 13n]])).to.throw(RangeError, /outside/);
    expect(() => rangeSet(0, [[-1n, 3n]])).to.throw(RangeError, /outside/);
    expect(() => shiftRanges(rangeSet(0, []), 30)).to.throw(RangeError, /order/);
  });
});
