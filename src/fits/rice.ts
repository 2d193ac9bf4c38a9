/**
 * The Rice compression of FITS tile-compressed images (RICE_1; Pence et al. 2009, FITS 4.0
 * section 10.4.1): the first value verbatim, then blocks of differences, each block headed by
 * its split size `fs` (fs + 1 in fsbits bits; 0 for an all-zero block; fsmax + 1 for raw values),
 * each difference written as a unary high part and fs low bits. Pure.
 */

interface RiceParams {
  fsbits: number;
  fsmax: number;
  bbits: number;
}

function paramsFor(bytepix: number): RiceParams {
  switch (bytepix) {
    case 1:
      return { fsbits: 3, fsmax: 6, bbits: 8 };
    case 2:
      return { fsbits: 4, fsmax: 14, bbits: 16 };
    case 4:
      return { fsbits: 5, fsmax: 25, bbits: 32 };
    default:
      throw new RangeError(`RICE_1 BYTEPIX must be 1, 2 or 4, not ${bytepix}`);
  }
}

/** A compressed tile that ends early or is otherwise broken. */
export class RiceError extends Error {}

/**
 * Decompresses the first `count` values of a tile (all of them, or fewer when only its start is
 * wanted: the stream is sequential, so decoding stops there) of `bytepix` bytes each into `out`
 * (signed for 2 and 4 bytes, unsigned for 1, as FITS stores them).
 */
export function riceDecompress(input: Uint8Array, count: number, blocksize: number, bytepix: number, out: Int32Array): void {
  const { fsbits, fsmax, bbits } = paramsFor(bytepix);
  if (input.length < bytepix) throw new RiceError('compressed tile shorter than its first value');
  // Values are kept masked to bbits bits; shifting left then right by signShift makes them signed.
  const mask = bbits === 32 ? -1 : (1 << bbits) - 1;
  const signShift = bytepix === 1 ? 0 : 32 - bbits;
  let lastpix = 0;
  for (let k = 0; k < bytepix; k++) lastpix = lastpix * 256 + input[k]!;
  lastpix &= mask;
  let pos = bytepix;
  const end = input.length;
  // Bit buffer (as cfitsio's fits_rdecomp): `b` holds the `nbits` (at most 31) unread bits, in
  // one local integer rather than closures, which keeps the loop in registers (about 3x faster).
  let b = 0;
  let nbits = 0;
  for (let i = 0; i < count; ) {
    nbits -= fsbits;
    while (nbits < 0) {
      b = (b << 8) | input[pos++]!;
      nbits += 8;
    }
    const fs = (b >>> nbits) - 1;
    b &= (1 << nbits) - 1;
    const blockEnd = Math.min(count, i + blocksize);
    if (fs < 0) {
      const v = (lastpix << signShift) >> signShift;
      for (; i < blockEnd; i++) out[i] = v;
    } else if (fs === fsmax) {
      for (; i < blockEnd; i++) {
        // bbits raw bits: those left in b, whole bytes, then the top of one more byte.
        let k = bbits - nbits;
        let diff = b << k;
        for (k -= 8; k >= 0; k -= 8) diff |= input[pos++]! << k;
        if (nbits > 0) {
          const next = input[pos++]!;
          diff |= next >>> -k;
          b = next & ((1 << nbits) - 1);
        } else b = 0;
        diff >>>= 0;
        const d = (diff & 1) === 0 ? diff >>> 1 : ~(diff >>> 1);
        lastpix = (d + lastpix) & mask;
        out[i] = (lastpix << signShift) >> signShift;
      }
    } else {
      for (; i < blockEnd; i++) {
        // Unary part: the zero bits before the next one bit.
        while (b === 0) {
          if (pos >= end) throw new RiceError('compressed tile ends early');
          nbits += 8;
          b = input[pos++]!;
        }
        const nzero = nbits - (32 - Math.clz32(b));
        nbits -= nzero + 1;
        b ^= 1 << nbits;
        nbits -= fs;
        while (nbits < 0) {
          b = (b << 8) | input[pos++]!;
          nbits += 8;
        }
        const diff = ((nzero << fs) | (b >>> nbits)) >>> 0;
        b &= (1 << nbits) - 1;
        const d = (diff & 1) === 0 ? diff >>> 1 : ~(diff >>> 1);
        lastpix = (d + lastpix) & mask;
        out[i] = (lastpix << signShift) >> signShift;
      }
    }
    // Bytes past the end read as undefined (0 in bit operations): refuse the block they made.
    if (pos > end) throw new RiceError('compressed tile ends early');
  }
}

/** Growable big-endian bit output. */
class BitWriter {
  private buf = new Uint8Array(1024);
  private len = 0;
  private acc = 0;
  private nacc = 0;

  private byte(b: number): void {
    if (this.len === this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.len++] = b;
  }

  /** Writes the low n (<= 16) bits of v. */
  bits(v: number, n: number): void {
    this.acc = ((this.acc << n) | (v & ((1 << n) - 1))) >>> 0;
    this.nacc += n;
    while (this.nacc >= 8) {
      this.nacc -= 8;
      this.byte((this.acc >>> this.nacc) & 0xff);
    }
    this.acc &= (1 << this.nacc) - 1;
  }

  wide(v: number, n: number): void {
    if (n <= 16) this.bits(v, n);
    else {
      this.bits(Math.floor(v / 65536), n - 16);
      this.bits(v & 0xffff, 16);
    }
  }

  zeros(n: number): void {
    for (; n >= 16; n -= 16) this.bits(0, 16);
    if (n > 0) this.bits(0, n);
  }

  done(): Uint8Array {
    if (this.nacc > 0) this.bits(0, 8 - this.nacc);
    return this.buf.slice(0, this.len);
  }
}

/** Compresses 32-bit signed values with RICE_1 (BYTEPIX 4). */
export function riceCompress32(values: Int32Array, blocksize = 32): Uint8Array {
  const { fsbits, fsmax, bbits } = paramsFor(4);
  const w = new BitWriter();
  const n = values.length;
  if (n === 0) return new Uint8Array(0);
  const first = values[0]! >>> 0;
  w.wide(first, 32);
  let lastpix = values[0]!;
  const diffs = new Float64Array(blocksize);
  for (let i = 0; i < n; i += blocksize) {
    const m = Math.min(blocksize, n - i);
    let sum = 0;
    for (let j = 0; j < m; j++) {
      const v = values[i + j]!;
      const pdiff = (v - lastpix) | 0;
      diffs[j] = (pdiff < 0 ? ~(pdiff << 1) : pdiff << 1) >>> 0;
      sum += diffs[j]!;
      lastpix = v;
    }
    // Split size: about log2 of the mean difference.
    let dpsum = (sum - m / 2 - 1) / m;
    if (dpsum < 0) dpsum = 0;
    let psum = Math.floor(dpsum / 2);
    let fs = 0;
    while (psum > 0) {
      fs++;
      psum = Math.floor(psum / 2);
    }
    if (fs >= fsmax) {
      w.bits(fsmax + 1, fsbits);
      for (let j = 0; j < m; j++) w.wide(diffs[j]!, bbits);
    } else if (fs === 0 && sum === 0) {
      w.bits(0, fsbits);
    } else {
      w.bits(fs + 1, fsbits);
      const low = 2 ** fs;
      for (let j = 0; j < m; j++) {
        const d = diffs[j]!;
        w.zeros(Math.floor(d / low));
        w.bits(1, 1);
        if (fs > 0) w.wide(d % low, fs);
      }
    }
  }
  return w.done();
}
