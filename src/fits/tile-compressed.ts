/**
 * Tile-compressed images (FITS 4.0 section 10): a BINTABLE with ZIMAGE = T whose rows are the
 * image's tiles, compressed with RICE_1 or GZIP_1/GZIP_2, floating-point tiles quantized to
 * integers with ZSCALE/ZZERO and optional subtractive dithering. This module reads the
 * description from the header, decodes one tile, and quantizes and encodes tiles for writing.
 * Pure: the caller reads the bytes.
 */
import zlib from 'node:zlib';
import type { FitsHeader } from './header.js';
import { isBitpix, type Bitpix } from './pixels.js';
import { riceCompress32, riceDecompress } from './rice.js';

/** How floating-point tiles were quantized. */
export type Quantize = 'NO_DITHER' | 'SUBTRACTIVE_DITHER_1' | 'SUBTRACTIVE_DITHER_2' | 'NONE';

/** A column of the compressed table that vodax uses. */
interface ColumnRef {
  /** Byte offset in the row. */
  offset: number;
  /** TFORM code: 'P' / 'Q' descriptors, or the scalar type 'E', 'D', 'J', 'K', 'I', 'B'. */
  code: string;
  /** For descriptors: the element type (B, I, J). */
  element?: string;
}

/** Everything needed to decode the tiles of a compressed image HDU. */
export interface CompressedImage {
  zbitpix: Bitpix;
  znaxis: number[];
  ztile: number[];
  cmptype: 'RICE_1' | 'GZIP_1' | 'GZIP_2' | 'NOCOMPRESS';
  blocksize: number;
  bytepix: number;
  quantize: Quantize | null;
  zdither0: number;
  /** ZBLANK keyword (when not a column). */
  zblank: number | null;
  rowBytes: number;
  rows: number;
  /** Offset of the heap from the start of the data. */
  theap: number;
  compressed: ColumnRef | null;
  gzipCompressed: ColumnRef | null;
  uncompressed: ColumnRef | null;
  zscale: ColumnRef | null;
  zzero: ColumnRef | null;
  zblankColumn: ColumnRef | null;
}

/** A compressed HDU that vodax cannot read (unsupported algorithm or broken header). */
export class CompressedImageError extends Error {}

const FORM_BYTES: Record<string, number> = { L: 1, X: 1, B: 1, I: 2, J: 4, K: 8, A: 1, E: 4, D: 8, C: 8, M: 16, P: 8, Q: 16 };

/** The compressed-image description of a BINTABLE header with ZIMAGE = T. */
export function compressedImageOf(h: FitsHeader): CompressedImage {
  const zbitpix = h.getNumber('ZBITPIX');
  if (!isBitpix(zbitpix)) throw new CompressedImageError(`ZBITPIX ${String(zbitpix)} is not a valid BITPIX`);
  const zn = h.requireInt('ZNAXIS');
  const znaxis: number[] = [];
  const ztile: number[] = [];
  for (let i = 1; i <= zn; i++) {
    znaxis.push(h.requireInt(`ZNAXIS${i}`));
    ztile.push(h.getNumber(`ZTILE${i}`) ?? (i === 1 ? znaxis[0]! : 1));
  }
  const cmp = (h.getString('ZCMPTYPE') ?? '').trim().toUpperCase();
  if (cmp !== 'RICE_1' && cmp !== 'GZIP_1' && cmp !== 'GZIP_2' && cmp !== 'NOCOMPRESS') {
    throw new CompressedImageError(`compression ${cmp} is not supported (RICE_1, GZIP_1 and GZIP_2 are)`);
  }
  let blocksize = 32;
  let bytepix = 4;
  for (let i = 1; i < 10; i++) {
    const name = h.getString(`ZNAME${i}`)?.trim().toUpperCase();
    if (name === undefined) break;
    const val = h.getNumber(`ZVAL${i}`);
    if (name === 'BLOCKSIZE' && val !== undefined) blocksize = val;
    if (name === 'BYTEPIX' && val !== undefined) bytepix = val;
  }
  const q = h.getString('ZQUANTIZ')?.trim().toUpperCase();
  const quantize = q === undefined ? null : (q as Quantize);
  if (quantize !== null && !['NO_DITHER', 'SUBTRACTIVE_DITHER_1', 'SUBTRACTIVE_DITHER_2', 'NONE'].includes(quantize)) {
    throw new CompressedImageError(`ZQUANTIZ ${quantize} is not supported`);
  }
  const tfields = h.requireInt('TFIELDS');
  let offset = 0;
  const cols: Record<string, ColumnRef> = {};
  for (let i = 1; i <= tfields; i++) {
    const form = (h.getString(`TFORM${i}`) ?? '').trim().toUpperCase();
    const m = /^(\d*)([LXBIJKAEDCMPQ])([BIJKED]?)/.exec(form);
    if (!m) throw new CompressedImageError(`bad TFORM${i} '${form}'`);
    const repeat = m[1] === '' ? 1 : Number(m[1]);
    const code = m[2]!;
    const name = (h.getString(`TTYPE${i}`) ?? '').trim().toUpperCase();
    cols[name] = { offset, code, element: m[3] || undefined };
    offset += code === 'X' ? Math.ceil(repeat / 8) : repeat * FORM_BYTES[code]!;
  }
  const rowBytes = h.requireInt('NAXIS1');
  const rows = h.requireInt('NAXIS2');
  return {
    zbitpix,
    znaxis,
    ztile,
    cmptype: cmp,
    blocksize,
    bytepix,
    quantize,
    zdither0: h.getNumber('ZDITHER0') ?? 1,
    zblank: h.getNumber('ZBLANK') ?? null,
    rowBytes,
    rows,
    theap: h.getNumber('THEAP') ?? rowBytes * rows,
    compressed: cols['COMPRESSED_DATA'] ?? null,
    gzipCompressed: cols['GZIP_COMPRESSED_DATA'] ?? null,
    uncompressed: cols['UNCOMPRESSED_DATA'] ?? null,
    zscale: cols['ZSCALE'] ?? null,
    zzero: cols['ZZERO'] ?? null,
    zblankColumn: cols['ZBLANK'] ?? null,
  };
}

/** A heap descriptor (element count, byte offset in the heap) of a row's P or Q column. */
export function descriptorOf(row: Uint8Array, col: ColumnRef): { count: number; offset: number } {
  const v = new DataView(row.buffer, row.byteOffset, row.byteLength);
  if (col.code === 'P') return { count: v.getInt32(col.offset), offset: v.getInt32(col.offset + 4) };
  return { count: Number(v.getBigInt64(col.offset)), offset: Number(v.getBigInt64(col.offset + 8)) };
}

/** Bytes per element of a descriptor column's element type. */
export function elementBytes(col: ColumnRef): number {
  return FORM_BYTES[col.element ?? 'B'] ?? 1;
}

function scalarOf(row: Uint8Array, col: ColumnRef | null): number | null {
  if (!col) return null;
  const v = new DataView(row.buffer, row.byteOffset, row.byteLength);
  switch (col.code) {
    case 'D':
      return v.getFloat64(col.offset);
    case 'E':
      return v.getFloat32(col.offset);
    case 'J':
      return v.getInt32(col.offset);
    case 'K':
      return Number(v.getBigInt64(col.offset));
    case 'I':
      return v.getInt16(col.offset);
    default:
      return null;
  }
}

/** The 10000 uniform deviates of the FITS dithering algorithm (Park-Miller generator, seed 1). */
export function ditherRandoms(): Float32Array {
  const out = new Float32Array(10000);
  const a = 16807;
  const m = 2147483647;
  let seed = 1;
  for (let i = 0; i < 10000; i++) {
    const t = a * seed;
    seed = t - m * Math.floor(t / m);
    out[i] = seed / m;
  }
  return out;
}

/** Value of a quantized integer that stands for an undefined (NaN) pixel. */
export const NULL_VALUE = -2147483647;
/** Value that stands for exactly 0.0 under SUBTRACTIVE_DITHER_2. */
const ZERO_VALUE = -2147483646;

/** Which tiles (0-based tile indexes in row-major order) a pixel box touches, with each tile's pixel range. */
export function tilesOf(c: CompressedImage, x0: number, y0: number, width: number, height: number): { index: number; tx0: number; ty0: number; tw: number; th: number }[] {
  const [W, H] = [c.znaxis[0]!, c.znaxis[1] ?? 1];
  const [tw, th] = [c.ztile[0]!, c.ztile[1] ?? 1];
  const ntx = Math.ceil(W / tw);
  const out = [];
  for (let ty = Math.floor(y0 / th); ty <= Math.floor((y0 + height - 1) / th); ty++) {
    for (let tx = Math.floor(x0 / tw); tx <= Math.floor((x0 + width - 1) / tw); tx++) {
      out.push({ index: ty * ntx + tx, tx0: tx * tw, ty0: ty * th, tw: Math.min(tw, W - tx * tw), th: Math.min(th, H - ty * th) });
    }
  }
  return out;
}

/** The pixels of a tile a reader wants, [start, end) in the tile's row-major order. */
export interface TileRange {
  start: number;
  end: number;
}

/** Arrays a reader of many tiles lends decodeTile, of at least a tile's pixels, so each tile allocates none. */
export interface TileScratch {
  ints: Int32Array;
  values: Float64Array;
}

/**
 * Decodes one tile (its table row and its heap bytes) into physical values for float images, or
 * stored integer values for integer images (BSCALE/BZERO of the header still apply). With
 * `range`, only the values in it are made (the others are 0, or whatever `scratch` held): RICE_1
 * stops decoding at its end and nothing before its start is dequantized, which for a narrow
 * cutout of row tiles is most of the work saved. With `scratch`, the answer is its `values`.
 */
export function decodeTile(c: CompressedImage, tileIndex: number, row: Uint8Array, heap: Uint8Array, isGzipColumn: boolean, npix: number, randoms: Float32Array | null, range: TileRange = { start: 0, end: npix }, scratch?: TileScratch): Float64Array {
  const { start, end } = range;
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= npix)) throw new RangeError(`tile range ${start}..${end} is not inside the tile's ${npix} pixels`);
  const lent = scratch && scratch.ints.length >= end && scratch.values.length >= end ? scratch : null;
  const ints = lent ? lent.ints.subarray(0, end) : new Int32Array(end);
  let floats: Float64Array | null = null;
  const quantized = c.zbitpix < 0 && c.quantize !== 'NONE' && (c.zscale !== null || c.quantize !== null);
  const intBytes = c.zbitpix < 0 ? (quantized ? 4 : Math.abs(c.zbitpix) / 8) : Math.abs(c.zbitpix) / 8;
  const cmp = isGzipColumn ? 'GZIP_1' : c.cmptype;
  if (cmp === 'RICE_1') {
    riceDecompress(heap, end, c.blocksize, c.bytepix, ints);
  } else if (cmp === 'GZIP_1' || cmp === 'GZIP_2' || cmp === 'NOCOMPRESS') {
    let raw: Uint8Array = cmp === 'NOCOMPRESS' ? heap : zlib.gunzipSync(heap);
    if (cmp === 'GZIP_2') raw = unshuffle(raw, intBytes);
    if (raw.length < npix * intBytes) throw new CompressedImageError(`tile ${tileIndex + 1} decompresses to ${raw.length} bytes, expected ${npix * intBytes}`);
    const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    if (c.zbitpix < 0 && !quantized) {
      floats = lent ? lent.values.subarray(0, end) : new Float64Array(end);
      for (let i = start; i < end; i++) floats[i] = intBytes === 4 ? v.getFloat32(i * 4) : v.getFloat64(i * 8);
      return floats;
    }
    for (let i = start; i < end; i++) ints[i] = intBytes === 1 ? v.getUint8(i) : intBytes === 2 ? v.getInt16(i * 2) : v.getInt32(i * 4);
  }
  const out = lent ? lent.values.subarray(0, end) : new Float64Array(end);
  // Hoisted out of the loops below: checking them per pixel cost about as much as the RICE decoding.
  const zbOrNull = scalarOf(row, c.zblankColumn) ?? c.zblank;
  const hasBlank = zbOrNull !== null;
  const zb = zbOrNull ?? 0;
  if (!quantized) {
    for (let i = start; i < end; i++) out[i] = hasBlank && ints[i] === zb ? NaN : ints[i]!;
    return out;
  }
  const scale = scalarOf(row, c.zscale) ?? 1;
  const zero = scalarOf(row, c.zzero) ?? 0;
  const dither = c.quantize === 'SUBTRACTIVE_DITHER_1' || c.quantize === 'SUBTRACTIVE_DITHER_2';
  if (!dither || !randoms) {
    for (let i = start; i < end; i++) out[i] = hasBlank && ints[i] === zb ? NaN : ints[i]! * scale + zero;
    return out;
  }
  const keepsZero = c.quantize === 'SUBTRACTIVE_DITHER_2';
  // The dither sequence at pixel `start`: it advances one deviate per pixel and restarts from a
  // new seed after the 10000th.
  let iseed = (tileIndex + c.zdither0 - 1) % 10000;
  let next = Math.floor(randoms[iseed]! * 500);
  let skip = start;
  while (skip >= 10000 - next) {
    skip -= 10000 - next;
    iseed = (iseed + 1) % 10000;
    next = Math.floor(randoms[iseed]! * 500);
  }
  next += skip;
  for (let i = start; i < end; i++) {
    const q = ints[i]!;
    if (hasBlank && q === zb) out[i] = NaN;
    else if (keepsZero && q === ZERO_VALUE) out[i] = 0;
    else out[i] = (q - randoms[next]! + 0.5) * scale + zero;
    next++;
    if (next === 10000) {
      iseed = (iseed + 1) % 10000;
      next = Math.floor(randoms[iseed]! * 500);
    }
  }
  return out;
}

/** Undoes GZIP_2 byte shuffling (all first bytes, then all second bytes, ...). */
function unshuffle(raw: Uint8Array, size: number): Uint8Array {
  if (size === 1) return raw;
  const n = Math.floor(raw.length / size);
  const out = new Uint8Array(n * size);
  for (let b = 0; b < size; b++) for (let i = 0; i < n; i++) out[i * size + b] = raw[b * n + i]!;
  return out;
}

/**
 * Quantizes float values of one tile with SUBTRACTIVE_DITHER_1 at step `scale` (NaN becomes
 * NULL_VALUE). Returns the integers and the ZZERO used.
 */
export function quantizeTile(values: Float32Array | Float64Array, tileIndex: number, zdither0: number, scale: number, randoms: Float32Array): { ints: Int32Array; zero: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === Infinity) min = max = 0;
  // Centre the integer range on the tile's values so it fits in 32 bits.
  const zero = (min + max) / 2;
  if ((max - min) / scale > 4e9) throw new RangeError('tile range too large for the quantization step');
  const ints = new Int32Array(values.length);
  let iseed = (tileIndex + zdither0 - 1) % 10000;
  let next = Math.floor(randoms[iseed]! * 500);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    ints[i] = Number.isNaN(v) ? NULL_VALUE : Math.round((v - zero) / scale + randoms[next]! - 0.5);
    next++;
    if (next === 10000) {
      iseed = (iseed + 1) % 10000;
      next = Math.floor(randoms[iseed]! * 500);
    }
  }
  return { ints, zero };
}

/** RICE_1 bytes of one tile of 32-bit integers. */
export function riceTile(ints: Int32Array): Uint8Array {
  return riceCompress32(ints);
}
