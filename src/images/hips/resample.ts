/**
 * Resampling registered images into HiPS tile pixels: each tile pixel's centre is carried
 * through the image's WCS to a pixel position, the image value there is interpolated
 * bilinearly, and images that overlap are averaged. Tiles of lower orders are the mean of the
 * 2 x 2 cells below them. Pure: the caller reads the image pixels (only the box a tile needs).
 */
import { vecToAng } from '../../healpix/nested.js';
import { poleRotation, wcsSkyToPixel, type CelestialWcs } from '../../wcs/projections.js';

const D2R = Math.PI / 180;
const R2D = 180 / Math.PI;

/** What resampling needs of an image: its WCS and size. */
export interface SourceGeometry {
  wcs: CelestialWcs;
  naxis1: number;
  naxis2: number;
}

/** A 0-based box of image pixels (first column and row, size). */
export interface PixelBox {
  x0: number;
  y0: number;
  width: number;
  height: number;
}

/** Where a tile's pixels fall on an image: FITS 1-based positions (NaN off the image) and the pixels they need. */
export interface TileProjection {
  x: Float64Array;
  y: Float64Array;
  /** Tile pixels that fall on the image. */
  hits: number;
  /** The image pixels bilinear interpolation reads, or null when no tile pixel falls on the image. */
  box: PixelBox | null;
}

/**
 * A function from unit vector to FITS pixel. TAN without SIP (every sample image, most survey
 * images) is a fixed linear map followed by one division, so it is evaluated from a matrix
 * built once; other projections go through the general wcsSkyToPixel.
 */
export function skyToPixelFunction(wcs: CelestialWcs): (vx: number, vy: number, vz: number, out: Float64Array) => void {
  if (wcs.projection === 'TAN' && wcs.sip === null) {
    const { alphaP, deltaP, phiP } = poleRotation(wcs);
    const ca = Math.cos(alphaP * D2R);
    const sa = Math.sin(alphaP * D2R);
    const cdp = Math.cos(deltaP * D2R);
    const sdp = Math.sin(deltaP * D2R);
    const cf = Math.cos(phiP * D2R);
    const sf = Math.sin(phiP * D2R);
    // Native direction (ex, ey, ez) of a celestial unit vector v (as in wcsSkyToPixel):
    // ex = vx sa - vy ca; ey = vz cdp - sdp (vx ca + vy sa); ez = vz sdp + cdp (vx ca + vy sa).
    const ex = [sa, -ca, 0];
    const ey = [-sdp * ca, -sdp * sa, cdp];
    const ez = [cdp * ca, cdp * sa, sdp];
    // TAN: x = R2D (ex cos phiP + ey sin phiP) / ez, y = R2D (ex sin phiP - ey cos phiP) / ez.
    const mx = ex.map((e, k) => R2D * (e * cf + ey[k]! * sf));
    const my = ex.map((e, k) => R2D * (e * sf - ey[k]! * cf));
    const [[a, b], [c, e]] = wcs.cd;
    const det = a * e - b * c;
    if (det === 0) throw new RangeError('singular CD matrix');
    const lon0 = wcs.lonAxis === 0;
    const [cr1, cr2] = wcs.crpix;
    return (vx, vy, vz, out) => {
      const z = ez[0]! * vx + ez[1]! * vy + ez[2]! * vz;
      if (z <= 0) {
        out[0] = NaN;
        out[1] = NaN;
        return;
      }
      const ix = (mx[0]! * vx + mx[1]! * vy + mx[2]! * vz) / z;
      const iy = (my[0]! * vx + my[1]! * vy + my[2]! * vz) / z;
      const i1 = lon0 ? ix : iy;
      const i2 = lon0 ? iy : ix;
      out[0] = cr1 + (e * i1 - b * i2) / det;
      out[1] = cr2 + (-c * i1 + a * i2) / det;
    };
  }
  return (vx, vy, vz, out) => {
    const s = vecToAng([vx, vy, vz]);
    const p = wcsSkyToPixel(wcs, s.ra, s.dec);
    out[0] = p.x;
    out[1] = p.y;
  };
}

/** Projects a tile's pixel centres (unit vectors, 3 per pixel) onto an image. */
export function projectTile(vectors: Float64Array, image: SourceGeometry): TileProjection {
  const n = vectors.length / 3;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const f = skyToPixelFunction(image.wcs);
  const p = new Float64Array(2);
  let hits = 0;
  let xmin = Infinity;
  let xmax = -Infinity;
  let ymin = Infinity;
  let ymax = -Infinity;
  const { naxis1, naxis2 } = image;
  for (let i = 0; i < n; i++) {
    f(vectors[3 * i]!, vectors[3 * i + 1]!, vectors[3 * i + 2]!, p);
    const px = p[0]!;
    const py = p[1]!;
    // On the image: within its pixels' outer edges (FITS 0.5 .. NAXIS + 0.5).
    if (px >= 0.5 && px <= naxis1 + 0.5 && py >= 0.5 && py <= naxis2 + 0.5) {
      x[i] = px;
      y[i] = py;
      hits++;
      if (px < xmin) xmin = px;
      if (px > xmax) xmax = px;
      if (py < ymin) ymin = py;
      if (py > ymax) ymax = py;
    } else {
      x[i] = NaN;
      y[i] = NaN;
    }
  }
  if (hits === 0) return { x, y, hits, box: null };
  // Bilinear reads the pixels around each position; indices clamp to the image at its edges.
  const c0 = Math.max(1, Math.floor(xmin));
  const c1 = Math.min(naxis1, Math.floor(xmax) + 1);
  const r0 = Math.max(1, Math.floor(ymin));
  const r1 = Math.min(naxis2, Math.floor(ymax) + 1);
  return { x, y, hits, box: { x0: c0 - 1, y0: r0 - 1, width: c1 - c0 + 1, height: r1 - r0 + 1 } };
}

/**
 * The bilinear value at FITS pixel (x, y) of an image box (physical values, row by row): the four
 * pixel centres around the position weighted by distance, indices clamped to the image (which
 * the box reaches at its edges); NaN neighbours are left out and the rest renormalised.
 */
export function bilinearAt(values: Float64Array, box: PixelBox, x: number, y: number): number {
  const fx = Math.floor(x);
  const fy = Math.floor(y);
  const tx = x - fx;
  const ty = y - fy;
  const cx0 = Math.min(Math.max(fx - 1 - box.x0, 0), box.width - 1);
  const cx1 = Math.min(Math.max(fx - box.x0, 0), box.width - 1);
  const cy0 = Math.min(Math.max(fy - 1 - box.y0, 0), box.height - 1);
  const cy1 = Math.min(Math.max(fy - box.y0, 0), box.height - 1);
  const v00 = values[cy0 * box.width + cx0]!;
  const v10 = values[cy0 * box.width + cx1]!;
  const v01 = values[cy1 * box.width + cx0]!;
  const v11 = values[cy1 * box.width + cx1]!;
  const w00 = (1 - tx) * (1 - ty);
  const w10 = tx * (1 - ty);
  const w01 = (1 - tx) * ty;
  const w11 = tx * ty;
  if (Number.isFinite(v00) && Number.isFinite(v10) && Number.isFinite(v01) && Number.isFinite(v11)) return w00 * v00 + w10 * v10 + w01 * v01 + w11 * v11;
  let s = 0;
  let w = 0;
  for (const [v, k] of [[v00, w00], [v10, w10], [v01, w01], [v11, w11]] as const) {
    if (Number.isFinite(v)) {
      s += v * k;
      w += k;
    }
  }
  return w > 0 ? s / w : NaN;
}

/** Running sums of the images that cover each tile pixel (their mean is the tile value). */
export class TileAccumulator {
  readonly sum: Float64Array;
  readonly count: Uint16Array;

  constructor(readonly width: number) {
    this.sum = new Float64Array(width * width);
    this.count = new Uint16Array(width * width);
  }

  /** Adds an image's interpolated values at the projected positions. */
  add(p: TileProjection, values: Float64Array): void {
    if (!p.box) return;
    for (let i = 0; i < p.x.length; i++) {
      const x = p.x[i]!;
      if (Number.isNaN(x)) continue;
      const v = bilinearAt(values, p.box, x, p.y[i]!);
      if (Number.isNaN(v)) continue;
      this.sum[i]! += v;
      this.count[i]!++;
    }
  }

  /** The tile: the mean where some image covers, NaN elsewhere; null when nothing covers. */
  result(): Float32Array | null {
    const out = new Float32Array(this.sum.length);
    let any = false;
    for (let i = 0; i < out.length; i++) {
      if (this.count[i]) {
        out[i] = this.sum[i]! / this.count[i]!;
        any = true;
      } else out[i] = NaN;
    }
    return any ? out : null;
  }
}

/**
 * A tile from its four children (nested indices 4N .. 4N+3; null for a missing child): each pixel
 * the mean of the finite values among the 2 x 2 child pixels of its cell, NaN when there are none.
 * Child c has face-x bit c & 1 and face-y bit c >> 1, so in FITS storage it fills the columns of
 * its y half and the rows of the opposite x half.
 */
export function mergeChildren(children: readonly (Float32Array | null)[], width: number): Float32Array | null {
  const out = new Float32Array(width * width).fill(NaN);
  const h = width / 2;
  let any = false;
  for (let c = 0; c < 4; c++) {
    const child = children[c];
    if (!child) continue;
    const cx = c & 1;
    const cy = c >> 1;
    for (let X = cx * h; X < (cx + 1) * h; X++) {
      const row = width - 1 - X;
      for (let Y = cy * h; Y < (cy + 1) * h; Y++) {
        let s = 0;
        let k = 0;
        for (let a = 0; a < 2; a++) {
          const crow = width - 1 - (2 * (X - cx * h) + a);
          for (let b = 0; b < 2; b++) {
            const v = child[crow * width + 2 * (Y - cy * h) + b]!;
            if (!Number.isNaN(v)) {
              s += v;
              k++;
            }
          }
        }
        if (k > 0) {
          out[row * width + Y] = s / k;
          any = true;
        }
      }
    }
  }
  return any ? out : null;
}

/** Block-averages a square tile (FITS storage order) down to `size` pixels a side (a power-of-two factor). */
export function shrinkTile(tile: Float32Array, width: number, size: number): Float32Array {
  const f = width / size;
  if (!Number.isInteger(f) || f < 1) throw new RangeError(`cannot shrink a ${width}-pixel tile to ${size}`);
  const out = new Float32Array(size * size);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      let s = 0;
      let k = 0;
      for (let a = 0; a < f; a++) {
        for (let b = 0; b < f; b++) {
          const v = tile[(r * f + a) * width + c * f + b]!;
          if (!Number.isNaN(v)) {
            s += v;
            k++;
          }
        }
      }
      out[r * size + c] = k > 0 ? s / k : NaN;
    }
  }
  return out;
}
