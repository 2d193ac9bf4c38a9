/**
 * The TAN (gnomonic) projection of FITS WCS (Calabretta & Greisen 2002, paper II, section 5.1.3)
 * with a CD matrix, for celestial axes in (RA, Dec) order and the default LONPOLE (180°, or 0° when
 * CRVAL2 is exactly +90°, as the standard says for zenithal projections).
 *
 * Pixel convention: every pixel coordinate here is FITS 1-based (the centre of the first pixel
 * is (1, 1), the image spans 0.5 .. NAXIS + 0.5), exactly as CRPIX is written in a header.
 * The LSST stack and the vodax v0 API count pixels from 0 (centre of the first pixel is (0, 0));
 * use `lsstPixelToSky` / `skyToLsstPixel`, which shift by one, for those.
 */

/** A TAN WCS: reference pixel (FITS 1-based), reference sky position (deg), CD matrix (deg/pixel). */
export interface TanWcs {
  /** CRPIX1, CRPIX2: the reference pixel, FITS 1-based. */
  crpix: [number, number];
  /** CRVAL1, CRVAL2: RA and Dec of the reference pixel, degrees (ICRS). */
  crval: [number, number];
  /** [[CD1_1, CD1_2], [CD2_1, CD2_2]], degrees per pixel. */
  cd: [[number, number], [number, number]];
}

/** A sky position in degrees; `ra` is in [0, 360). */
export interface SkyPosition {
  ra: number;
  dec: number;
}

/** A pixel position (its convention is the one the function that made it names). */
export interface PixelPosition {
  x: number;
  y: number;
}

const D2R = Math.PI / 180;
const R2D = 180 / Math.PI;

/** An angle in degrees brought into [0, 360). */
export function normalizeRa(ra: number): number {
  const r = ra % 360;
  const wrapped = r < 0 ? r + 360 : r;
  // -1e-17 % 360 + 360 rounds to 360 exactly, which is not in [0, 360).
  return wrapped >= 360 ? 0 : wrapped;
}

/**
 * -1 when CRVAL sits exactly on the north pole: the default LONPOLE is then 0° instead of 180°,
 * which turns the projection plane by 180°.
 */
function poleFlip(wcs: TanWcs): number {
  return wcs.crval[1] >= 90 ? -1 : 1;
}

/** Sky position of a FITS 1-based pixel position. */
export function pixelToSky(wcs: TanWcs, x: number, y: number): SkyPosition {
  const dx = x - wcs.crpix[0];
  const dy = y - wcs.crpix[1];
  // Intermediate world coordinates (standard coordinates xi, eta), radians.
  const flip = poleFlip(wcs);
  const xi = flip * (wcs.cd[0][0] * dx + wcs.cd[0][1] * dy) * D2R;
  const eta = flip * (wcs.cd[1][0] * dx + wcs.cd[1][1] * dy) * D2R;
  const ra0 = wcs.crval[0] * D2R;
  const dec0 = wcs.crval[1] * D2R;
  const sinDec0 = Math.sin(dec0);
  const cosDec0 = Math.cos(dec0);
  const denom = cosDec0 - eta * sinDec0;
  const ra = ra0 + Math.atan2(xi, denom);
  const dec = Math.atan2(eta * cosDec0 + sinDec0, Math.hypot(xi, denom));
  return { ra: normalizeRa(ra * R2D), dec: dec * R2D };
}

/**
 * FITS 1-based pixel position of a sky position. A position 90° or more from CRVAL has no
 * gnomonic image: both coordinates are then NaN.
 */
export function skyToPixel(wcs: TanWcs, ra: number, dec: number): PixelPosition {
  const dRa = (ra - wcs.crval[0]) * D2R;
  const d = dec * D2R;
  const dec0 = wcs.crval[1] * D2R;
  const sinD = Math.sin(d);
  const cosD = Math.cos(d);
  const sinDec0 = Math.sin(dec0);
  const cosDec0 = Math.cos(dec0);
  const cosDRa = Math.cos(dRa);
  const cosDist = sinD * sinDec0 + cosD * cosDec0 * cosDRa;
  if (!(cosDist > 0)) return { x: NaN, y: NaN };
  const flip = poleFlip(wcs);
  const xi = flip * ((cosD * Math.sin(dRa)) / cosDist) * R2D;
  const eta = flip * ((sinD * cosDec0 - cosD * sinDec0 * cosDRa) / cosDist) * R2D;
  const [[a, b], [c, e]] = wcs.cd;
  const det = a * e - b * c;
  if (det === 0) throw new RangeError('singular CD matrix');
  return {
    x: wcs.crpix[0] + (e * xi - b * eta) / det,
    y: wcs.crpix[1] + (-c * xi + a * eta) / det,
  };
}

/** Sky position of an LSST 0-based pixel position (FITS pixel minus one). */
export function lsstPixelToSky(wcs: TanWcs, x: number, y: number): SkyPosition {
  return pixelToSky(wcs, x + 1, y + 1);
}

/** LSST 0-based pixel position of a sky position (FITS pixel minus one); NaN when unprojectable. */
export function skyToLsstPixel(wcs: TanWcs, ra: number, dec: number): PixelPosition {
  const p = skyToPixel(wcs, ra, dec);
  return { x: p.x - 1, y: p.y - 1 };
}

/** The same WCS for a sub-image whose first pixel is (x0, y0) 0-based in the parent (CRPIX shifted). */
export function shiftTanWcs(wcs: TanWcs, x0: number, y0: number): TanWcs {
  return {
    crpix: [wcs.crpix[0] - x0, wcs.crpix[1] - y0],
    crval: [wcs.crval[0], wcs.crval[1]],
    cd: [
      [wcs.cd[0][0], wcs.cd[0][1]],
      [wcs.cd[1][0], wcs.cd[1][1]],
    ],
  };
}
