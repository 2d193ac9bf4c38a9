/**
 * FITS pixel values: the six BITPIX types, big-endian decoding and encoding, and physical values
 * (BSCALE, BZERO, BLANK). Pure.
 */

/** The BITPIX values of FITS images. */
export const BITPIX_VALUES = [8, 16, 32, 64, -32, -64] as const;
export type Bitpix = (typeof BITPIX_VALUES)[number];

/** Stored pixel values of one BITPIX, in host byte order. */
export type PixelArray = Uint8Array | Int16Array | Int32Array | BigInt64Array | Float32Array | Float64Array;

/** True when `n` is a valid BITPIX. */
export function isBitpix(n: unknown): n is Bitpix {
  return typeof n === 'number' && (BITPIX_VALUES as readonly number[]).includes(n);
}

/** Bytes per pixel of a BITPIX. */
export function bytesPerPixel(bitpix: Bitpix): number {
  return Math.abs(bitpix) / 8;
}

/** A zeroed array of `n` stored values of this BITPIX. */
export function allocPixels(bitpix: Bitpix, n: number): PixelArray {
  switch (bitpix) {
    case 8:
      return new Uint8Array(n);
    case 16:
      return new Int16Array(n);
    case 32:
      return new Int32Array(n);
    case 64:
      return new BigInt64Array(n);
    case -32:
      return new Float32Array(n);
    case -64:
      return new Float64Array(n);
  }
}

/** Decodes `count` big-endian values from `src` into `dst` starting at `dstOffset`. */
export function decodeBigEndian(bitpix: Bitpix, src: Uint8Array, dst: PixelArray, dstOffset: number, count: number): void {
  const size = bytesPerPixel(bitpix);
  const bytes = Buffer.from(src.subarray(0, count * size));
  if (size === 2) bytes.swap16();
  else if (size === 4) bytes.swap32();
  else if (size === 8) bytes.swap64();
  new Uint8Array(dst.buffer, dst.byteOffset + dstOffset * size, count * size).set(bytes);
}

/** Big-endian bytes of `count` values of `src` from `start`. */
export function encodeBigEndian(bitpix: Bitpix, src: PixelArray, start: number, count: number): Buffer {
  const size = bytesPerPixel(bitpix);
  const view = src.subarray(start, start + count);
  // Copy the host-order bytes, then swap in place: far faster than a DataView per value.
  const out = Buffer.from(new Uint8Array(view.buffer, view.byteOffset, count * size));
  if (size === 2) out.swap16();
  else if (size === 4) out.swap32();
  else if (size === 8) out.swap64();
  return out;
}

/** A rectangle of an image: stored values row by row, with the scaling that gives physical values. */
export interface ImageRegion {
  bitpix: Bitpix;
  width: number;
  height: number;
  /** width * height stored values, first row first. */
  data: PixelArray;
  bscale: number;
  bzero: number;
  /** BLANK (integer images only): the stored value meaning "undefined". */
  blank: number | bigint | null;
}

/** Physical values (BZERO + BSCALE * stored), NaN for BLANK and for NaN floats. */
export function physicalValues(region: ImageRegion): Float64Array {
  const n = region.width * region.height;
  const out = new Float64Array(n);
  const { data, bscale, bzero, blank } = region;
  if (data instanceof BigInt64Array) {
    for (let i = 0; i < n; i++) out[i] = blank !== null && data[i] === BigInt(blank) ? NaN : Number(data[i]!) * bscale + bzero;
    return out;
  }
  const b = blank === null ? null : Number(blank);
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    out[i] = b !== null && v === b ? NaN : v * bscale + bzero;
  }
  return out;
}
