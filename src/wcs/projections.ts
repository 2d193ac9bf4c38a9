/**
 * Celestial FITS WCS (Calabretta & Greisen 2002, paper II) for the projections TAN, SIN, ZEA,
 * CAR and AIT: a linear transform (CD, or PC with CDELT) about CRPIX, optional SIP distortion,
 * the projection to native spherical coordinates, and the spherical rotation fixed by CRVAL,
 * LONPOLE and LATPOLE. Pure arithmetic.
 *
 * Pixel convention: FITS 1-based (the centre of the first pixel is (1, 1)), as CRPIX is written.
 */
import { normalizeRa, type PixelPosition, type SkyPosition, type TanWcs } from './tan.js';

/** Projections implemented. */
export const PROJECTIONS = ['TAN', 'SIN', 'ZEA', 'CAR', 'AIT'] as const;
export type Projection = (typeof PROJECTIONS)[number];

/** SIP distortion polynomials (Shupe et al. 2005): A, B forward; AP, BP inverse (optional). */
export interface Sip {
  /** Coefficients by [p][q] of u^p v^q; order A_ORDER. */
  a: number[][];
  b: number[][];
  ap?: number[][];
  bp?: number[][];
}

/** A celestial WCS on two image axes. */
export interface CelestialWcs {
  projection: Projection;
  /** CTYPE1, CTYPE2 as read, e.g. ['RA---TAN', 'DEC--TAN'] (or the latitude axis first). */
  ctype: [string, string];
  /** Index (0 or 1) of the image axis that carries longitude. */
  lonAxis: 0 | 1;
  /** CRPIX1, CRPIX2 (FITS 1-based). */
  crpix: [number, number];
  /** CRVAL1, CRVAL2 in header order, degrees. */
  crval: [number, number];
  /** The linear part, degrees per pixel: CD, or PC multiplied by CDELT. */
  cd: [[number, number], [number, number]];
  /** LONPOLE and LATPOLE as given, or null for the defaults. */
  lonpole: number | null;
  latpole: number | null;
  /** SIN's PV2_1, PV2_2 (xi, eta); zero unless given. */
  pv: [number, number];
  sip: Sip | null;
  /** RADESYS (e.g. 'ICRS'), when given. */
  radesys: string | null;
}

const D2R = Math.PI / 180;
const R2D = 180 / Math.PI;

/** Native coordinates (phi0, theta0) of the reference point: zenithal at the pole, others at the origin. */
function nativeReference(p: Projection): [number, number] {
  return p === 'CAR' || p === 'AIT' ? [0, 0] : [0, 90];
}

/** The celestial coordinates of the native pole and the native longitude of the celestial pole. */
export interface PoleRotation {
  alphaP: number;
  deltaP: number;
  phiP: number;
}

/** Computes the native pole from CRVAL, LONPOLE and LATPOLE (paper II, section 2.4). */
export function poleRotation(wcs: CelestialWcs): PoleRotation {
  const [phi0, theta0] = nativeReference(wcs.projection);
  const alpha0 = wcs.crval[wcs.lonAxis];
  const delta0 = wcs.crval[1 - wcs.lonAxis];
  const phiP = wcs.lonpole ?? (delta0 >= theta0 ? 0 : 180);
  const latpole = wcs.latpole ?? 90;
  if (theta0 === 90) return { alphaP: alpha0, deltaP: delta0, phiP };
  const dphi = (phiP - phi0) * D2R;
  const st0 = Math.sin(theta0 * D2R);
  const ct0 = Math.cos(theta0 * D2R);
  const r = Math.sqrt(1 - ct0 * ct0 * Math.sin(dphi) ** 2);
  const sd0 = Math.sin(delta0 * D2R);
  if (Math.abs(sd0 / r) > 1 + 1e-12) throw new RangeError('invalid WCS: CRVAL, LONPOLE and the projection are inconsistent');
  const base = Math.atan2(st0, ct0 * Math.cos(dphi)) * R2D;
  const spread = Math.acos(Math.max(-1, Math.min(1, sd0 / r))) * R2D;
  const candidates = [base + spread, base - spread].filter((d) => d >= -90 - 1e-10 && d <= 90 + 1e-10);
  if (candidates.length === 0) throw new RangeError('invalid WCS: no native pole for this CRVAL and LONPOLE');
  candidates.sort((a, b) => Math.abs(a - latpole) - Math.abs(b - latpole));
  const deltaP = Math.max(-90, Math.min(90, candidates[0]!));
  const cdp = Math.cos(deltaP * D2R);
  const sdp = Math.sin(deltaP * D2R);
  const dphi0 = (phi0 - phiP) * D2R;
  const alphaP =
    Math.abs(deltaP) >= 90 - 1e-12
      ? alpha0 + (deltaP > 0 ? phiP - phi0 - 180 : phi0 - phiP)
      : alpha0 - Math.atan2(-ct0 * Math.sin(dphi0), st0 * cdp - ct0 * sdp * Math.cos(dphi0)) * R2D;
  return { alphaP, deltaP, phiP };
}

/** Native spherical (phi, theta) of intermediate world coordinates (x, y) in degrees; null off the projection. */
function deproject(p: Projection, pv: [number, number], x: number, y: number): [number, number] | null {
  switch (p) {
    case 'TAN': {
      const r = Math.hypot(x, y);
      return [r === 0 ? 0 : Math.atan2(x, -y) * R2D, Math.atan2(R2D, r) * R2D];
    }
    case 'SIN': {
      const [xi, eta] = pv;
      const X = x * D2R;
      const Y = y * D2R;
      if (xi === 0 && eta === 0) {
        const r2 = X * X + Y * Y;
        if (r2 > 1) return null;
        return [r2 === 0 ? 0 : Math.atan2(X, -Y) * R2D, Math.acos(Math.sqrt(r2)) * R2D];
      }
      const a = xi * xi + eta * eta + 1;
      const b = xi * (X - xi) + eta * (Y - eta);
      const c = (X - xi) ** 2 + (Y - eta) ** 2 - 1;
      const disc = b * b - a * c;
      if (disc < 0) return null;
      const s1 = (-b + Math.sqrt(disc)) / a;
      const s2 = (-b - Math.sqrt(disc)) / a;
      const t1 = Math.abs(s1) <= 1 ? Math.asin(s1) : NaN;
      const t2 = Math.abs(s2) <= 1 ? Math.asin(s2) : NaN;
      const theta = Number.isNaN(t2) || (!Number.isNaN(t1) && Math.abs(t1 - Math.PI / 2) <= Math.abs(t2 - Math.PI / 2)) ? t1 : t2;
      if (Number.isNaN(theta)) return null;
      const z = 1 - Math.sin(theta);
      return [Math.atan2(X - xi * z, -(Y - eta * z)) * R2D, theta * R2D];
    }
    case 'ZEA': {
      const r = Math.hypot(x, y);
      const s = (Math.PI * r) / 360;
      if (s > 1) return null;
      return [r === 0 ? 0 : Math.atan2(x, -y) * R2D, 90 - 2 * Math.asin(s) * R2D];
    }
    case 'CAR':
      return [x, y];
    case 'AIT': {
      const z2 = 1 - ((Math.PI * x) / 720) ** 2 - ((Math.PI * y) / 360) ** 2;
      if (z2 < 0.5) return null;
      const z = Math.sqrt(z2);
      return [2 * Math.atan2((Math.PI * z * x) / 360, 2 * z2 - 1) * R2D, Math.asin((Math.PI * y * z) / 180) * R2D];
    }
  }
}

/** Intermediate world coordinates (x, y), degrees, of native (phi, theta); null where the projection has none. */
function project(p: Projection, pv: [number, number], phi: number, theta: number): [number, number] | null {
  const sp = Math.sin(phi * D2R);
  const cp = Math.cos(phi * D2R);
  switch (p) {
    case 'TAN': {
      if (theta <= 0) return null;
      const r = R2D / Math.tan(theta * D2R);
      return [r * sp, -r * cp];
    }
    case 'SIN': {
      const ct = Math.cos(theta * D2R);
      const z = 1 - Math.sin(theta * D2R);
      const [xi, eta] = pv;
      // The visible hemisphere only (theta > 0 for the orthographic case).
      if (xi === 0 && eta === 0 && theta < 0) return null;
      return [(ct * sp + xi * z) * R2D, (-ct * cp + eta * z) * R2D];
    }
    case 'ZEA': {
      const r = (360 / Math.PI) * Math.sin(((90 - theta) / 2) * D2R);
      return [r * sp, -r * cp];
    }
    case 'CAR':
      return [phi, theta];
    case 'AIT': {
      const ct = Math.cos(theta * D2R);
      const g = R2D * Math.sqrt(2 / (1 + ct * Math.cos((phi / 2) * D2R)));
      return [2 * g * ct * Math.sin((phi / 2) * D2R), g * Math.sin(theta * D2R)];
    }
  }
}

/** Wraps a native longitude into (-180, 180]. */
function wrap180(a: number): number {
  let r = a % 360;
  if (r > 180) r -= 360;
  if (r <= -180) r += 360;
  return r;
}

function polySum(c: number[][], u: number, v: number): number {
  let s = 0;
  let up = 1;
  for (let p = 0; p < c.length; p++) {
    let vq = 1;
    const row = c[p]!;
    for (let q = 0; q < row.length; q++) {
      if (row[q]) s += row[q]! * up * vq;
      vq *= v;
    }
    up *= u;
  }
  return s;
}

/** Pixel offsets (u, v) from CRPIX with SIP applied. */
function distort(sip: Sip | null, u: number, v: number): [number, number] {
  if (!sip) return [u, v];
  return [u + polySum(sip.a, u, v), v + polySum(sip.b, u, v)];
}

/** Sky position (lon, lat as ra, dec) of a FITS 1-based pixel; NaN where the pixel is off the projection. */
export function wcsPixelToSky(wcs: CelestialWcs, x: number, y: number): SkyPosition {
  const [u, v] = distort(wcs.sip, x - wcs.crpix[0], y - wcs.crpix[1]);
  const i1 = wcs.cd[0][0] * u + wcs.cd[0][1] * v;
  const i2 = wcs.cd[1][0] * u + wcs.cd[1][1] * v;
  const [ix, iy] = wcs.lonAxis === 0 ? [i1, i2] : [i2, i1];
  const native = deproject(wcs.projection, wcs.pv, ix, iy);
  if (!native) return { ra: NaN, dec: NaN };
  const [phi, theta] = native;
  const { alphaP, deltaP, phiP } = poleRotation(wcs);
  const [dra, dec] = rotateAboutPole(phi - phiP, theta, deltaP);
  return { ra: normalizeRa(alphaP + dra), dec };
}

/**
 * The spherical rotation between native and celestial coordinates, the same formula both ways
 * (its own inverse with the roles swapped): a longitude offset from the reference and a latitude
 * (deg), about a pole at latitude `poleLat`, give the other system's longitude offset and latitude.
 */
function rotateAboutPole(dlon: number, lat: number, poleLat: number): [number, number] {
  const sl = Math.sin(lat * D2R);
  const cl = Math.cos(lat * D2R);
  const sp = Math.sin(poleLat * D2R);
  const cp = Math.cos(poleLat * D2R);
  const d = dlon * D2R;
  const ex = -cl * Math.sin(d);
  const ey = sl * cp - cl * sp * Math.cos(d);
  // atan2 of sine and cosine keeps full precision near the poles, where asin does not.
  return [Math.atan2(ex, ey) * R2D, Math.atan2(sl * sp + cl * cp * Math.cos(d), Math.hypot(ex, ey)) * R2D];
}

/** FITS 1-based pixel of a sky position; NaN when the position has no image in the projection. */
export function wcsSkyToPixel(wcs: CelestialWcs, ra: number, dec: number): PixelPosition {
  const { alphaP, deltaP, phiP } = poleRotation(wcs);
  const [dphi, theta] = rotateAboutPole(ra - alphaP, dec, deltaP);
  let phi = phiP + dphi;
  if (wcs.projection === 'CAR' || wcs.projection === 'AIT') phi = wrap180(phi);
  const inter = project(wcs.projection, wcs.pv, phi, theta);
  if (!inter) return { x: NaN, y: NaN };
  const [ix, iy] = inter;
  const [i1, i2] = wcs.lonAxis === 0 ? [ix, iy] : [iy, ix];
  const [[a, b], [c, e]] = wcs.cd;
  const det = a * e - b * c;
  if (det === 0) throw new RangeError('singular CD matrix');
  const u = (e * i1 - b * i2) / det;
  const v = (-c * i1 + a * i2) / det;
  const [pu, pv] = wcs.sip ? undistort(wcs.sip, u, v) : [u, v];
  return { x: wcs.crpix[0] + pu, y: wcs.crpix[1] + pv };
}

/** Inverts SIP by Newton iteration (starting from AP/BP when given), to far below a millipixel. */
function undistort(sip: Sip, U: number, V: number): [number, number] {
  let u = U;
  let v = V;
  if (sip.ap && sip.bp) {
    u = U + polySum(sip.ap, U, V);
    v = V + polySum(sip.bp, U, V);
  }
  for (let k = 0; k < 50; k++) {
    const [fu, fv] = distort(sip, u, v);
    const ru = fu - U;
    const rv = fv - V;
    if (Math.abs(ru) < 1e-12 && Math.abs(rv) < 1e-12) break;
    const h = 1e-6;
    const [fu1, fv1] = distort(sip, u + h, v);
    const [fu2, fv2] = distort(sip, u, v + h);
    const j11 = (fu1 - fu) / h;
    const j21 = (fv1 - fv) / h;
    const j12 = (fu2 - fu) / h;
    const j22 = (fv2 - fv) / h;
    const det = j11 * j22 - j12 * j21;
    if (det === 0) break;
    u -= (j22 * ru - j12 * rv) / det;
    v -= (-j21 * ru + j11 * rv) / det;
  }
  return [u, v];
}

/** The same WCS for a sub-image whose first pixel is (x0, y0), 0-based, in the parent: CRPIX shifted. */
export function shiftWcs(wcs: CelestialWcs, x0: number, y0: number): CelestialWcs {
  return { ...wcs, crpix: [wcs.crpix[0] - x0, wcs.crpix[1] - y0] };
}

/** A CelestialWcs for a TanWcs of the fixtures (RA---TAN, DEC--TAN, ICRS). */
export function fromTanWcs(t: TanWcs): CelestialWcs {
  return {
    projection: 'TAN',
    ctype: ['RA---TAN', 'DEC--TAN'],
    lonAxis: 0,
    crpix: [t.crpix[0], t.crpix[1]],
    crval: [t.crval[0], t.crval[1]],
    cd: [
      [t.cd[0][0], t.cd[0][1]],
      [t.cd[1][0], t.cd[1][1]],
    ],
    lonpole: null,
    latpole: null,
    pv: [0, 0],
    sip: null,
    radesys: 'ICRS',
  };
}

/** Pixel scale at a FITS pixel, degrees per pixel (square root of the local pixel area). */
export function pixelScaleAt(wcs: CelestialWcs, x: number, y: number): number {
  const c = wcsPixelToSky(wcs, x, y);
  const px = wcsPixelToSky(wcs, x + 1, y);
  const py = wcsPixelToSky(wcs, x, y + 1);
  const cosd = Math.cos(c.dec * D2R);
  const dx = [wrap180(px.ra - c.ra) * cosd, px.dec - c.dec];
  const dy = [wrap180(py.ra - c.ra) * cosd, py.dec - c.dec];
  return Math.sqrt(Math.abs(dx[0]! * dy[1]! - dx[1]! * dy[0]!));
}
