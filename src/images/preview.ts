/**
 * Image previews: a plane's physical values, block-averaged down to a maximum size while read
 * a band of rows at a time, stretched to 8 bits (asinh, zscale or linear) and encoded as PNG or
 * JPEG. North-up display convention: the first FITS row is the bottom row of the picture.
 */
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import type { FitsFile, FitsHdu } from '../fits/file.js';
import { physicalValues } from '../fits/pixels.js';
import type { PixelBox } from './cutout.js';

/** Stretches a preview may use. */
export const STRETCHES = ['asinh', 'zscale', 'linear'] as const;
export type Stretch = (typeof STRETCHES)[number];

/** A grey picture: values row by row from the top. */
export interface GreyImage {
  width: number;
  height: number;
  values: Float64Array;
}

/** Reads a box of a plane, averaging f x f blocks so that neither side exceeds maxSize. */
export async function readBinned(file: FitsFile, hdu: FitsHdu, box: PixelBox, maxSize: number): Promise<GreyImage> {
  const w = box.x1 - box.x0 + 1;
  const h = box.y1 - box.y0 + 1;
  const f = Math.max(1, Math.ceil(Math.max(w, h) / maxSize));
  const ow = Math.ceil(w / f);
  const oh = Math.ceil(h / f);
  const sum = new Float64Array(ow * oh);
  const count = new Uint32Array(ow * oh);
  const bandRows = f * Math.max(1, Math.floor((1 << 18) / (w * f)));
  for (let y = 0; y < h; y += bandRows) {
    const rows = Math.min(bandRows, h - y);
    const region = await file.readRegion(hdu, { x0: box.x0, y0: box.y0 + y, width: w, height: rows });
    const v = physicalValues(region);
    for (let r = 0; r < rows; r++) {
      const oy = Math.floor((y + r) / f);
      for (let x = 0; x < w; x++) {
        const value = v[r * w + x]!;
        if (Number.isNaN(value)) continue;
        const o = oy * ow + Math.floor(x / f);
        sum[o]! += value;
        count[o]!++;
      }
    }
  }
  // Flip: FITS rows go up, picture rows go down.
  const values = new Float64Array(ow * oh);
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      const i = oy * ow + ox;
      values[(oh - 1 - oy) * ow + ox] = count[i] ? sum[i]! / count[i]! : NaN;
    }
  }
  return { width: ow, height: oh, values };
}

/** Up to n finite values, evenly sampled, sorted. */
function sample(values: Float64Array, n: number): number[] {
  const step = Math.max(1, Math.floor(values.length / n));
  const out: number[] = [];
  for (let i = 0; i < values.length; i += step) if (Number.isFinite(values[i]!)) out.push(values[i]!);
  return out.sort((a, b) => a - b);
}

/** IRAF-style zscale limits: a line fitted to the sorted sample with rejection, its slope divided by the contrast. */
export function zscaleLimits(values: Float64Array, contrast = 0.25): [number, number] {
  const s = sample(values, 1000);
  if (s.length === 0) return [0, 1];
  const n = s.length;
  const median = s[Math.floor(n / 2)]!;
  let keep = s.map((_, i) => i);
  let slope = 0;
  let intercept = median;
  for (let iter = 0; iter < 5 && keep.length > Math.max(5, n / 2); iter++) {
    const mx = keep.reduce((a, i) => a + i, 0) / keep.length;
    const my = keep.reduce((a, i) => a + s[i]!, 0) / keep.length;
    let sxx = 0;
    let sxy = 0;
    for (const i of keep) {
      sxx += (i - mx) ** 2;
      sxy += (i - mx) * (s[i]! - my);
    }
    slope = sxx > 0 ? sxy / sxx : 0;
    intercept = my - slope * mx;
    const resid = keep.map((i) => s[i]! - (intercept + slope * i));
    const sigma = Math.sqrt(resid.reduce((a, r) => a + r * r, 0) / resid.length);
    const next = keep.filter((_, k) => Math.abs(resid[k]!) <= 2.5 * sigma);
    if (next.length === keep.length) break;
    keep = next;
  }
  const half = n / 2;
  const z1 = Math.max(s[0]!, median - (half * slope) / contrast);
  const z2 = Math.min(s[n - 1]!, median + (half * slope) / contrast);
  return z1 < z2 ? [z1, z2] : [s[0]!, s[n - 1]! > s[0]! ? s[n - 1]! : s[0]! + 1];
}

/** 8-bit grey levels of an image under a stretch. */
export function stretchToBytes(img: GreyImage, stretch: Stretch): Uint8Array {
  const s = sample(img.values, 10000);
  const out = new Uint8Array(img.values.length);
  if (s.length === 0) return out;
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))]!;
  let lo: number;
  let hi: number;
  let curve: (t: number) => number = (t) => t;
  if (stretch === 'zscale') [lo, hi] = zscaleLimits(img.values);
  else if (stretch === 'linear') [lo, hi] = [q(0.005), q(0.995)];
  else {
    // asinh: black a little below the sky, white at the brightest pixels, faint structure lifted.
    const median = q(0.5);
    const mad = (() => {
      const d = s.map((v) => Math.abs(v - median)).sort((a, b) => a - b);
      return d[Math.floor(d.length / 2)]! * 1.4826;
    })();
    lo = median - 2 * mad;
    hi = Math.max(q(0.9995), lo + 1e-12);
    const beta = Math.max((3 * mad) / (hi - lo), 1e-4);
    const norm = Math.asinh(1 / beta);
    curve = (t) => Math.asinh(t / beta) / norm;
  }
  const span = hi > lo ? hi - lo : 1;
  for (let i = 0; i < out.length; i++) {
    const v = img.values[i]!;
    if (Number.isNaN(v)) continue;
    const t = Math.min(1, Math.max(0, (v - lo) / span));
    out[i] = Math.round(255 * Math.min(1, Math.max(0, curve(t))));
  }
  return out;
}

/** PNG bytes (8-bit grey). */
export function encodePng(grey: Uint8Array, width: number, height: number): Buffer {
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
  png.data = Buffer.from(grey);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
}

/** JPEG bytes (grey replicated to RGB). */
export function encodeJpeg(grey: Uint8Array, width: number, height: number, quality = 90): Buffer {
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < grey.length; i++) {
    const g = grey[i]!;
    rgba[i * 4] = g;
    rgba[i * 4 + 1] = g;
    rgba[i * 4 + 2] = g;
    rgba[i * 4 + 3] = 255;
  }
  return jpeg.encode({ data: rgba, width, height }, quality).data;
}
