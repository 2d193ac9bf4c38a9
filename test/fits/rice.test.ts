import { expect } from 'chai';
import { riceCompress32, riceDecompress, RiceError } from '../../src/fits/rice.js';

/** Deterministic values of several kinds: smooth, noisy, constant, full-range, rare jumps. */
function series(kind: number, n: number, seed: number): Int32Array {
  let s = seed;
  const u = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const out = new Int32Array(n);
  let x = Math.floor((u() - 0.5) * 2 ** 32) | 0;
  for (let i = 0; i < n; i++) {
    if (kind === 0) x = (x + Math.floor((u() - 0.5) * 40)) | 0;
    else if (kind === 1) x = Math.floor((u() - 0.5) * 2 ** 32) | 0;
    else if (kind === 3) x = (x + Math.floor((u() - 0.5) * 2 ** (1 + Math.floor(u() * 31)))) | 0;
    else if (kind === 4 && u() < 0.1) x = Math.floor((u() - 0.5) * 2 ** 32) | 0;
    else if (kind === 5) x = Math.floor(u() * 2 ** Math.floor(u() * 28));
    out[i] = x;
  }
  return out;
}

describe('RICE_1', () => {
  it('decodes what it encodes: small and large differences, constant blocks, raw blocks, the full 32-bit range', () => {
    for (let kind = 0; kind < 6; kind++) {
      for (const n of [1, 31, 32, 33, 1000, 4096]) {
        const values = series(kind, n, 17 * n + kind);
        const out = new Int32Array(n);
        riceDecompress(riceCompress32(values), n, 32, 4, out);
        expect(Array.from(out), `kind ${kind}, ${n} values`).to.deep.equal(Array.from(values));
      }
    }
  });

  it('decodes the first values of a tile alone, as the whole tile decodes them', () => {
    const values = series(3, 4096, 5);
    const bytes = riceCompress32(values);
    for (const count of [1, 32, 33, 100, 2049]) {
      const out = new Int32Array(count);
      riceDecompress(bytes, count, 32, 4, out);
      expect(Array.from(out)).to.deep.equal(Array.from(values.subarray(0, count)));
    }
  });

  it('refuses a tile that ends early', () => {
    for (let kind = 0; kind < 6; kind++) {
      const values = series(kind, 500, 3 + kind);
      const bytes = riceCompress32(values);
      for (const keep of [4, 5, Math.floor(bytes.length / 2), bytes.length - 1]) {
        if (kind === 2 && keep >= 5) continue; // a constant series is 4 bytes and block headers: nothing to cut
        expect(() => riceDecompress(bytes.subarray(0, keep), 500, 32, 4, new Int32Array(500)), `kind ${kind}, ${keep} of ${bytes.length} bytes`).to.throw(RiceError);
      }
    }
    expect(() => riceDecompress(new Uint8Array(3), 10, 32, 4, new Int32Array(10))).to.throw(RiceError, /shorter than its first value/);
  });
});
