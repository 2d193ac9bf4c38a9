/**
 * The sky footprint of an image with a TAN WCS: its corners and a containment test.
 * The footprint is the area the pixels cover, out to their outer edges (FITS 0.5 .. NAXIS + 0.5).
 */
import { pixelToSky, skyToPixel, type SkyPosition, type TanWcs } from './tan.js';

/**
 * The four outer corners of an image of naxis1 x naxis2 pixels, in the order LSST tables list
 * them (corner1 .. corner4): the first pixel's outer corner, then along x, then the far corner,
 * then along y; in LSST 0-based pixels (-0.5,-0.5), (w-0.5,-0.5), (w-0.5,h-0.5), (-0.5,h-0.5).
 */
export function imageCorners(wcs: TanWcs, naxis1: number, naxis2: number): SkyPosition[] {
  const lo = 0.5;
  return [
    pixelToSky(wcs, lo, lo),
    pixelToSky(wcs, naxis1 + lo, lo),
    pixelToSky(wcs, naxis1 + lo, naxis2 + lo),
    pixelToSky(wcs, lo, naxis2 + lo),
  ];
}

/** Whether a sky position falls on the image (within its pixels' outer edges). */
export function imageContains(wcs: TanWcs, naxis1: number, naxis2: number, ra: number, dec: number): boolean {
  const p = skyToPixel(wcs, ra, dec);
  return p.x >= 0.5 && p.x <= naxis1 + 0.5 && p.y >= 0.5 && p.y <= naxis2 + 0.5;
}

/** Sky position of the image centre. */
export function imageCentre(wcs: TanWcs, naxis1: number, naxis2: number): SkyPosition {
  return pixelToSky(wcs, (naxis1 + 1) / 2, (naxis2 + 1) / 2);
}
