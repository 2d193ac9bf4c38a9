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
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  switch (bitpix) {
    case 8:
      (dst as Uint8Array).set(src.subarray(0, count), dstOffset);
      return;
    case 16:
      for (let i = 0; i < count; i++) (dst as Int16Array)[dstOffset + i] = view.getInt16(i * 2);
      return;
    case 32:
      for (let i = 0; i < count; i++) (dst as Int32Array)[dstOffset + i] = view.getInt32(i * 4);
      return;
    case 64:
      for (let i = 0; i < count; i++) (dst as BigInt64Array)[dstOffset + i] = view.getBigInt64(i * 8);
      return;
    case -32:
      for (let i = 0; i < count; i++) (dst as Float32Array)[dstOffset + i] = view.getFloat32(i * 4);
      return;
    case -64:
      for (let i = 0; i < count; i++) (dst as Float64Array)[dstOffset + i] = view.getFloat64(i * 8);
      return;
  }
}

/** Big-endian bytes of `count` values of `src` from `start`. */
export function encodeBigEndian(bitpix: Bitpix, src: PixelArray, start: number, count: number): Buffer {
  const out = Buffer.allocUnsafe(count * bytesPerPixel(bitpix));
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  switch (bitpix) {
    case 8:
      out.set((src as Uint8Array).subarray(start, start + count));
      break;
    case 16:
      for (let i = 0; i < count; i++) view.setInt16(i * 2, (src as Int16Array)[start + i]!);
      break;
    case 32:
      for (let i = 0; i < count; i++) view.setInt32(i * 4, (src as Int32Array)[start + i]!);
      break;
    case 64:
      for (let i = 0; i < count; i++) view.setBigInt64(i * 8, (src as BigInt64Array)[start + i]!);
      break;
    case -32:
      for (let i = 0; i < count; i++) view.setFloat32(i * 4, (src as Float32Array)[start + i]!);
      break;
    case -64:
      for (let i = 0; i < count; i++) view.setFloat64(i * 8, (src as Float64Array)[start + i]!);
      break;
  }
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
