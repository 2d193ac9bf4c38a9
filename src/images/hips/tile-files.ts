/**
 * HiPS tile files: FITS (float32, NaN where there is no data, the tile's order and index and its
 * HPX WCS in the header), and PNG (grey with transparency where there is no data) or JPEG (grey;
 * no data is black) under one stretch shared by the whole HiPS, so neighbouring tiles match. Pure.
 */
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { fitsCards, fitsCommentCards } from '../../fits/header-writer.js';
import { imageHduChunks } from '../../fits/image-writer.js';

/** The tile formats vodax writes, by HiPS name (hips_tile_format) with their file extensions. */
export const TILE_FORMATS = { png: 'png', jpeg: 'jpg', fits: 'fits' } as const;
export type TileFormat = keyof typeof TILE_FORMATS;

/**
 * An asinh stretch with fixed limits: black at `lo`, white at `hi`, faint structure lifted by
 * `beta` (a fraction of the range). The same curve as the image previews, but fixed once for
 * the HiPS from a sample of all its images.
 */
export interface Stretch {
  lo: number;
  hi: number;
  beta: number;
}

/** The stretch of a set of sample values (physical pixel values), as previews choose it. */
export function stretchOf(samples: ArrayLike<number>): Stretch {
  const s = Array.from(samples).filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return { lo: 0, hi: 1, beta: 0.1 };
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))]!;
  const median = q(0.5);
  const dev = s.map((v) => Math.abs(v - median)).sort((a, b) => a - b);
  const mad = dev[Math.floor(dev.length / 2)]! * 1.4826;
  const lo = median - 2 * mad;
  const hi = Math.max(q(0.9995), lo + 1e-12);
  return { lo, hi, beta: Math.max((3 * mad) / (hi - lo), 1e-4) };
}

/** The grey level (0..255) of a value under a stretch; null for NaN. */
export function greyOf(v: number, st: Stretch): number | null {
  if (Number.isNaN(v)) return null;
  const t = Math.min(1, Math.max(0, (v - st.lo) / (st.hi - st.lo)));
  return Math.round(255 * Math.min(1, Math.max(0, Math.asinh(t / st.beta) / Math.asinh(1 / st.beta))));
}

/** A FITS image file of a tile (or an Allsky): float32, NaN for no data, with `cards` added. */
export function fitsImageBytes(data: Float32Array, width: number, height: number, cards: string[]): Buffer {
  return Buffer.concat([...imageHduChunks({ primary: true, bitpix: -32, width, height, cards }, data)]);
}

/** Header cards every tile carries: its address and where it came from. */
export function tileCards(order: number, npix: number, bunit: string | null): string[] {
  return [
    ...fitsCards('ORDER', order, 'HiPS tile order'),
    ...fitsCards('NPIX', npix, 'HiPS tile index (nested HEALPix)'),
    ...(bunit ? fitsCards('BUNIT', bunit, 'pixel unit') : []),
    ...fitsCards('ORIGIN', 'vodax', 'HiPS generated from the registered images'),
    ...fitsCommentCards('HiPS tile (IVOA HiPS 1.0): NaN where no image covers the cell.'),
  ];
}

/** Grey and alpha bytes of a picture whose rows are stored bottom up (FITS), picture rows top down. */
function pictureOf(data: Float32Array, width: number, height: number, st: Stretch): { grey: Uint8Array; alpha: Uint8Array } {
  const grey = new Uint8Array(width * height);
  const alpha = new Uint8Array(width * height);
  for (let r = 0; r < height; r++) {
    const src = (height - 1 - r) * width;
    for (let c = 0; c < width; c++) {
      const g = greyOf(data[src + c]!, st);
      if (g !== null) {
        grey[r * width + c] = g;
        alpha[r * width + c] = 255;
      }
    }
  }
  return { grey, alpha };
}

/** A PNG tile: 8-bit grey with alpha, transparent where there is no data. */
export function pngBytes(data: Float32Array, width: number, height: number, st: Stretch): Buffer {
  const { grey, alpha } = pictureOf(data, width, height, st);
  const png = new PNG({ width, height });
  // Grey and alpha interleaved, as colour type 4 stores them: pngjs takes input of the output's
  // colour type as it is (no per-pixel conversion, which was most of the time of a tile).
  const ga = Buffer.alloc(width * height * 2);
  for (let i = 0; i < grey.length; i++) {
    ga[2 * i] = grey[i]!;
    ga[2 * i + 1] = alpha[i]!;
  }
  png.data = ga;
  // No row filter: on noise-dominated sky, pngjs's adaptive choice saves about 5% of the bytes
  // (measured on the sample's tiles) at four times the encoding time, most of a HiPS build.
  return PNG.sync.write(png, { colorType: 4, inputColorType: 4, bitDepth: 8, inputHasAlpha: true, filterType: 0 });
}

/** A JPEG tile: grey, black where there is no data. */
export function jpegBytes(data: Float32Array, width: number, height: number, st: Stretch, quality = 90): Buffer {
  const { grey } = pictureOf(data, width, height, st);
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < grey.length; i++) {
    rgba[4 * i] = grey[i]!;
    rgba[4 * i + 1] = grey[i]!;
    rgba[4 * i + 2] = grey[i]!;
    rgba[4 * i + 3] = 255;
  }
  return jpeg.encode({ data: rgba, width, height }, quality).data;
}

/** The bytes of a tile (or Allsky) in one format. */
export function tileBytes(format: TileFormat, data: Float32Array, width: number, height: number, st: Stretch, fitsCardsExtra: string[]): Buffer {
  if (format === 'fits') return fitsImageBytes(data, width, height, fitsCardsExtra);
  if (format === 'png') return pngBytes(data, width, height, st);
  return jpegBytes(data, width, height, st);
}

/** Float32 pixels of a FITS tile written by fitsImageBytes (header parsed for its size; big-endian data). */
export function readFitsTile(bytes: Buffer): { width: number; height: number; data: Float32Array } {
  let offset = 0;
  let width = 0;
  let height = 0;
  for (;;) {
    if (offset + 2880 > bytes.length) throw new RangeError('FITS tile ends inside its header');
    const block = bytes.toString('latin1', offset, offset + 2880);
    offset += 2880;
    let ended = false;
    for (let k = 0; k < 2880; k += 80) {
      const card = block.slice(k, k + 80);
      const key = card.slice(0, 8).trim();
      if (key === 'NAXIS1') width = Number(card.slice(10, 30));
      else if (key === 'NAXIS2') height = Number(card.slice(10, 30));
      else if (key === 'BITPIX' && Number(card.slice(10, 30)) !== -32) throw new RangeError('FITS tile is not float32');
      else if (key === 'END') {
        ended = true;
        break;
      }
    }
    if (ended) break;
  }
  const n = width * height;
  if (!(n > 0) || offset + 4 * n > bytes.length) throw new RangeError('FITS tile data is truncated');
  // A copy of its own (never a pooled slice), so the float view is aligned.
  const copy = Buffer.alloc(4 * n);
  bytes.copy(copy, 0, offset, offset + 4 * n);
  copy.swap32();
  return { width, height, data: new Float32Array(copy.buffer, copy.byteOffset, n) };
}
