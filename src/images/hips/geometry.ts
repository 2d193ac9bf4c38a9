/**
 * HiPS tile geometry (IVOA HiPS 1.0, section 4.2): where a tile lives (NorderK/DirD/NpixN), which
 * nested HEALPix cell each of its pixels is, the pixels' sky directions, and the HPX WCS that
 * puts a FITS tile on the sky. Pure.
 *
 * Pixel layout, as HiPS clients (Aladin, hipsgen, the hips Python package) lay it: a tile of
 * order k and width 2^s holds the order k+s cells of its cell; the FITS column j (0-based) is the
 * face y coordinate (growing north-west) and the FITS row i (0-based, first row stored first) is
 * the face x coordinate (growing north-east) counted from the far side: x = width - 1 - i.
 * PNG and JPEG tiles hold the same picture with rows stored top down (so their row r is x = r).
 */
import { checkOrder, faceToVecInto, nestedToXyf, xyfToNested, type FaceXY } from '../../healpix/nested.js';
import { fitsCards } from '../../fits/header-writer.js';

/** Tile widths vodax writes: 2^6 .. 2^9 pixels. */
export const TILE_WIDTHS = [64, 128, 256, 512] as const;

/** log2 of a tile width (the "shift order" between tile and pixel orders). */
export function shiftOrder(width: number): number {
  const s = Math.log2(width);
  if (!Number.isInteger(s) || s < 1 || s > 12) throw new RangeError(`tile width must be a power of two, got ${width}`);
  return s;
}

/** Highest tile order whose tiles' pixel indices stay within order 29. */
export function maxTileOrder(width: number): number {
  return 29 - shiftOrder(width);
}

/** Number of tiles at an order: 12 * 4^order (exact as a number up to order 24). */
export function tileCount(order: number): number {
  checkOrder(order);
  return 12 * 4 ** order;
}

/** Throws a RangeError unless `npix` is a tile index of `order`. */
export function checkTile(order: number, npix: number): void {
  checkOrder(order);
  if (!Number.isSafeInteger(npix) || npix < 0 || npix >= tileCount(order)) throw new RangeError(`tile ${npix} does not exist at order ${order}`);
}

/** The Dir folder number of a tile: floor(npix / 10000) * 10000. */
export function tileDirNumber(npix: number): number {
  return Math.floor(npix / 10000) * 10000;
}

/** The tile's path under the HiPS root, '/'-separated: NorderK/DirD/NpixN.ext. */
export function tilePath(order: number, npix: number, ext: string): string {
  return `Norder${order}/Dir${tileDirNumber(npix)}/Npix${npix}.${ext}`;
}

/** Face and face coordinates (in tiles) of a tile. */
export function tileFace(order: number, npix: number): FaceXY {
  checkTile(order, npix);
  return nestedToXyf(order, BigInt(npix));
}

/** Face coordinates, at the pixel order, of the tile pixel in FITS column `col` and row `row` (both 0-based). */
export function tilePixelFace(order: number, npix: number, width: number, col: number, row: number): FaceXY {
  const t = tileFace(order, npix);
  return { face: t.face, x: t.x * width + (width - 1 - row), y: t.y * width + col };
}

/** Nested index, at order `order + log2(width)`, of the cell a tile pixel holds. */
export function tilePixelNested(order: number, npix: number, width: number, col: number, row: number): bigint {
  const p = tilePixelFace(order, npix, width, col, row);
  return xyfToNested(order + shiftOrder(width), p.face, p.x, p.y);
}

/**
 * Unit vectors of the centres of a tile's pixels, 3 numbers per pixel, in FITS storage order
 * (index row * width + col).
 */
export function tilePixelVectors(order: number, npix: number, width: number): Float64Array {
  const t = tileFace(order, npix);
  const nside = 2 ** order * width;
  const out = new Float64Array(3 * width * width);
  // One scratch buffer: a tile is 262,144 pixels, and two arrays per pixel were a tenth of a
  // HiPS build in the garbage collector.
  const scratch = new Float64Array(3);
  for (let row = 0; row < width; row++) {
    const fx = (t.x * width + (width - 1 - row) + 0.5) / nside;
    for (let col = 0; col < width; col++) faceToVecInto(t.face, fx, (t.y * width + col + 0.5) / nside, out, 3 * (row * width + col), scratch);
  }
  return out;
}

// Centres of the 12 base cells in the HPX plane (H = 4, K = 3), degrees: x on the longitude of the
// cell's centre (wrapped to (-180, 180]), y 45 for the northern cells, 0 equatorial, -45 southern.
const FACE_LON = [1, 3, 5, 7, 0, 2, 4, 6, 1, 3, 5, 7];
const FACE_RING = [2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4];

function faceCentreHpx(face: number): [number, number] {
  let x = FACE_LON[face]! * 45;
  if (x > 180) x -= 360;
  return [x, (3 - FACE_RING[face]!) * 45];
}

/**
 * Header cards of the HPX projection (Calabretta & Roukema 2007) that place a FITS tile on the
 * sky: the tile of order 0, index 7, width 512 gets CRPIX -255.5, CD = 45/512 [[-1, -1], [1, -1]],
 * PV2_1 = 4, PV2_2 = 3, the example of the standard (section 4.3.1).
 */
export function hpxTileWcsCards(order: number, npix: number, width: number): string[] {
  const t = tileFace(order, npix);
  const u = 45 / (2 ** order * width);
  const [xc, yc] = faceCentreHpx(t.face);
  // Plane coordinates of pixel (col j, row i): X = xc + u ((tx - ty) w + w - 1 - i - j),
  // Y = yc - 45 + u ((tx + ty) w + w - i + j); CRPIX is where both are 0.
  const a = xc / u + (t.x - t.y) * width + width - 1;
  const b = (yc - 45) / u + (t.x + t.y) * width + width;
  const i = (a + b) / 2;
  const j = (a - b) / 2;
  return [
    ...fitsCards('CTYPE1', 'RA---HPX', 'HEALPix projection'),
    ...fitsCards('CTYPE2', 'DEC--HPX', 'HEALPix projection'),
    ...fitsCards('CRPIX1', j + 1, 'reference pixel, axis 1'),
    ...fitsCards('CRPIX2', i + 1, 'reference pixel, axis 2'),
    ...fitsCards('CRVAL1', 0, '[deg] RA at the reference pixel'),
    ...fitsCards('CRVAL2', 0, '[deg] Dec at the reference pixel'),
    ...fitsCards('CD1_1', -u, 'linear transform, deg/pixel'),
    ...fitsCards('CD1_2', -u, 'linear transform, deg/pixel'),
    ...fitsCards('CD2_1', u, 'linear transform, deg/pixel'),
    ...fitsCards('CD2_2', -u, 'linear transform, deg/pixel'),
    ...fitsCards('PV2_1', 4, 'HPX H: facets in longitude'),
    ...fitsCards('PV2_2', 3, 'HPX K: facets in latitude'),
    ...fitsCards('RADESYS', 'ICRS', 'reference frame'),
  ];
}

/** Mean angular size of a tile pixel at a tile order and width, degrees (the standard's table). */
export function pixelSizeDeg(order: number, width: number): number {
  return (180 / Math.PI) * Math.sqrt((4 * Math.PI) / (12 * (width * 2 ** order) ** 2));
}

/**
 * The deepest tile order for images of this pixel scale (arcsec): the first order whose pixels
 * are no coarser than the images' own, allowing 5 % (HEALPix pixel sizes step by factors of two:
 * 0.4026" against 0.396" is the native scale, the next order would resample each pixel four times).
 */
export function nativeTileOrder(pixelScaleArcsec: number, width: number): number {
  if (!(pixelScaleArcsec > 0)) throw new RangeError(`pixel scale must be positive, got ${pixelScaleArcsec}`);
  const max = maxTileOrder(width);
  for (let k = 0; k <= max; k++) if (pixelSizeDeg(k, width) * 3600 <= pixelScaleArcsec * 1.05) return k;
  return max;
}

/** The parent tile (order - 1). */
export function parentTile(npix: number): number {
  return Math.floor(npix / 4);
}
