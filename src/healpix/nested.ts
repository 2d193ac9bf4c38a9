/**
 * HEALPix nested scheme: sky position <-> pixel index, for orders 0..29.
 *
 * ang2pix reproduces the floating-point path of astropy-healpix (position -> unit vector ->
 * atan2 longitude -> face coordinates) so both agree to the pixel, even for points that lie
 * exactly on pixel boundaries. It stays in plain numbers until the final index is built,
 * because it runs once per row at ingest.
 */

/** Order of the HEALPix index column stored with every positional table. */
export const INDEX_ORDER = 29;

/** Highest order whose indices fit a signed 64-bit integer (nside = 2^29). */
export const MAX_ORDER = 29;

const DEG = Math.PI / 180;
const HALF_PI = 0.5 * Math.PI;
const TWO_PI = 2 * Math.PI;
/** 2^k for k in 0..58, exact (constant: `**` is slow in V8's optimised code, and ang2pix runs per ingested row). */
const POW2: readonly number[] = Array.from({ length: 59 }, (_, k) => 2 ** k);
const TWO_THIRDS = 2 / 3;
const FOUR_THIRDS = 4 / 3;
const ROOT3 = Math.sqrt(3);
const TWO_POW_32 = 4294967296;

/** Integer face/x/y coordinates of a pixel: x grows to the north-east, y to the north-west. */
export interface FaceXY {
  face: number;
  x: number;
  y: number;
}

/** Throws a RangeError unless `order` is an integer in 0..29. */
export function checkOrder(order: number): void {
  if (!Number.isInteger(order) || order < 0 || order > MAX_ORDER) {
    throw new RangeError(`HEALPix order must be an integer from 0 to ${MAX_ORDER}, got ${order}`);
  }
}

/** Throws a RangeError unless (ra, dec) is a finite position with |dec| <= 90 degrees. */
export function checkPosition(raDeg: number, decDeg: number): void {
  if (!Number.isFinite(raDeg)) throw new RangeError(`RA must be a finite number of degrees, got ${raDeg}`);
  if (!Number.isFinite(decDeg) || decDeg < -90 || decDeg > 90) {
    throw new RangeError(`Dec must be a finite number of degrees in [-90, 90], got ${decDeg}`);
  }
}

/** Number of pixels at an order, as a bigint: 12 * 4^order. */
export function npix(order: number): bigint {
  checkOrder(order);
  return 12n << BigInt(2 * order);
}

/** Spreads the low 16 bits of v so bit i lands on bit 2i. */
export function spread16(v: number): number {
  v &= 0xffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  v = (v | (v << 1)) & 0x55555555;
  return v;
}

/** Inverse of spread16: gathers the even bits of a 32-bit word into 16 bits. */
function compact16(v: number): number {
  v &= 0x55555555;
  v = (v | (v >>> 1)) & 0x33333333;
  v = (v | (v >>> 2)) & 0x0f0f0f0f;
  v = (v | (v >>> 4)) & 0x00ff00ff;
  v = (v | (v >>> 8)) & 0x0000ffff;
  return v;
}

/** Nested index of face/x/y at an order (x bits on even positions, y bits on odd ones). */
export function xyfToNested(order: number, face: number, x: number, y: number): bigint {
  // Interleave in two 32-bit halves: bits 0..31 come from the low 16 bits of x and y.
  const lo = (spread16(x) | (spread16(y) << 1)) >>> 0;
  const hiBits = spread16(x >>> 16) | (spread16(y >>> 16) << 1);
  if (order <= 24) {
    // 12 * 4^24 < 2^53: exact in a double.
    return BigInt(face * POW2[2 * order]! + hiBits * TWO_POW_32 + lo);
  }
  // hi * 2^32 is exact in a double (hi < 2^31), so two conversions and one add suffice.
  const hi = face * POW2[2 * (order - 16)]! + hiBits;
  return BigInt(hi * TWO_POW_32) + BigInt(lo);
}

/** Face/x/y of a nested index at an order; the index must be valid for that order. */
export function nestedToXyf(order: number, ipix: bigint): FaceXY {
  let hi: number;
  let lo: number;
  let face: number;
  if (order <= 24) {
    const n = Number(ipix);
    const perFace = POW2[2 * order]!;
    face = Math.floor(n / perFace);
    const rem = n - face * perFace;
    lo = rem % TWO_POW_32;
    hi = (rem - lo) / TWO_POW_32;
  } else {
    hi = Number(ipix >> 32n);
    lo = Number(ipix & 0xffffffffn);
    const shift = 2 * order - 32;
    face = Math.floor(hi / POW2[shift]!);
    hi -= face * POW2[shift]!;
  }
  const x = compact16(lo) + compact16(hi) * 65536;
  const y = compact16(lo >>> 1) + compact16(hi >>> 1) * 65536;
  return { face, x, y };
}

/**
 * Face/x/y of the order-`order` pixel holding a position given as a unit vector. `coz`, the
 * cosine of the latitude (hypot(vx, vy) when omitted), keeps polar caps precise: 1 - |z| is
 * never formed, so points next to a pole stay as accurate as anywhere else.
 */
export function vecToXyf(order: number, vx: number, vy: number, vz: number, coz = 0): FaceXY {
  let phi = Math.atan2(vy, vx);
  if (phi < 0) phi += TWO_PI;
  return zPhiToXyf(order, vz, phi, coz === 0 ? Math.hypot(vx, vy) : coz);
}

/** Face/x/y of the order-`order` pixel at z = sin(latitude), longitude phi in [0, 2 pi] and coz = cos(latitude). */
function zPhiToXyf(order: number, vz: number, phi: number, coz: number): FaceXY {
  const nside = POW2[order]!;
  const phiT = phi % HALF_PI;
  // Which quarter of the sky in longitude; phi - phiT is a near-exact multiple of pi/2.
  const quarter = ((Math.round((phi - phiT) / HALF_PI) % 4) + 4) % 4;
  let face: number;
  let xx: number;
  let yy: number;
  if (vz >= TWO_THIRDS || vz <= -TWO_THIRDS) {
    const north = vz >= TWO_THIRDS;
    const az = north ? vz : -vz;
    // Distances from the pole corner along both face axes (HEALPix paper, eqs. 19-20).
    const scale = (coz / Math.sqrt(1 + az)) * ROOT3;
    const kx = scale * Math.abs((nside * (2 * phiT - Math.PI)) / Math.PI);
    const ky = (scale * nside * 2 * phiT) / Math.PI;
    if (north) {
      xx = nside - kx;
      yy = nside - ky;
      face = quarter;
    } else {
      xx = ky;
      yy = kx;
      face = 8 + quarter;
    }
  } else {
    const zUnits = (vz + TWO_THIRDS) / FOUR_THIRDS;
    const phiUnits = phiT / HALF_PI;
    xx = (zUnits + phiUnits) * nside;
    yy = (zUnits - phiUnits + 1) * nside;
    if (xx >= nside) {
      xx -= nside;
      if (yy >= nside) {
        yy -= nside;
        face = quarter;
      } else {
        face = ((quarter + 1) % 4) + 4;
      }
    } else if (yy >= nside) {
      yy -= nside;
      face = quarter + 4;
    } else {
      face = 8 + quarter;
    }
  }
  const x = Math.max(0, Math.min(nside - 1, Math.floor(xx)));
  const y = Math.max(0, Math.min(nside - 1, Math.floor(yy)));
  return { face, x, y };
}

/** Face/x/y at `order` of the pixel containing (raDeg, decDeg); RA wraps mod 360. */
function angToXyf(order: number, raDeg: number, decDeg: number): FaceXY {
  checkOrder(order);
  checkPosition(raDeg, decDeg);
  // The longitude straight from RA, as HEALPix's own ang2pix takes it: no trip through a unit
  // vector and atan2 (three trigonometric calls of the ingest's per-row cost).
  const dec = decDeg * DEG;
  const ra = raDeg % 360;
  return zPhiToXyf(order, Math.sin(dec), (ra < 0 ? ra + 360 : ra) * DEG, Math.cos(dec));
}

/** Nested HEALPix index at `order` of the pixel containing (raDeg, decDeg); RA wraps mod 360. */
export function ang2pix(order: number, raDeg: number, decDeg: number): bigint {
  const { face, x, y } = angToXyf(order, raDeg, decDeg);
  return xyfToNested(order, face, x, y);
}

/**
 * ang2pix at an order of 16 or more as the index's two 32-bit halves, written into `out`
 * (high, low): no bigint, for the loader, which writes a 64-bit integer per row.
 */
export function ang2pixHalves(order: number, raDeg: number, decDeg: number, out: Uint32Array): void {
  if (order < 16) throw new RangeError(`ang2pixHalves needs an order of 16 or more, got ${order}`);
  const { face, x, y } = angToXyf(order, raDeg, decDeg);
  // As in xyfToNested: the face's offset lies wholly in the high half from order 16 on.
  out[0] = face * POW2[2 * (order - 16)]! + (spread16(x >>> 16) | (spread16(y >>> 16) << 1));
  out[1] = spread16(x) | (spread16(y) << 1);
}

// Face layout of the standard HEALPix base: ring offset and longitude offset of each face.
const FACE_RING = [2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4];
const FACE_LON = [1, 3, 5, 7, 0, 2, 4, 6, 1, 3, 5, 7];

/**
 * z = cos(theta), sin(theta) and phi of a point given by continuous face coordinates (fx, fy in
 * [0, 1]), written into `out` (no allocation: the coverage search calls this per pixel).
 */
export function faceToZPhi(face: number, fx: number, fy: number, out: Float64Array): void {
  const jr = FACE_RING[face]! - fx - fy;
  let nr: number;
  let z: number;
  let sinTheta: number;
  if (jr < 1) {
    // North polar cap: keep 1 - z exact so sin(theta) is precise near the pole.
    nr = jr;
    const oneMinusZ = (nr * nr) / 3;
    z = 1 - oneMinusZ;
    sinTheta = Math.sqrt(oneMinusZ * (2 - oneMinusZ));
  } else if (jr > 3) {
    nr = 4 - jr;
    const onePlusZ = (nr * nr) / 3;
    z = onePlusZ - 1;
    sinTheta = Math.sqrt(onePlusZ * (2 - onePlusZ));
  } else {
    nr = 1;
    z = ((2 - jr) * 2) / 3;
    sinTheta = Math.sqrt((1 - z) * (1 + z));
  }
  let t = FACE_LON[face]! * nr + fx - fy;
  if (t < 0) t += 8;
  if (t >= 8) t -= 8;
  out[0] = z;
  out[1] = sinTheta;
  out[2] = nr < 1e-300 ? 0 : (0.25 * Math.PI * t) / nr;
}

/** Unit vector of a point given by continuous face coordinates (fx, fy in [0, 1]). */
export function faceToVec(face: number, fx: number, fy: number): [number, number, number] {
  const v = new Float64Array(3);
  faceToVecInto(face, fx, fy, v, 0, new Float64Array(3));
  return [v[0]!, v[1]!, v[2]!];
}

/** faceToVec written into out[k..k+2], `scratch` (3 numbers) taking z, sin(theta), phi: no allocation per point. */
export function faceToVecInto(face: number, fx: number, fy: number, out: Float64Array, k: number, scratch: Float64Array): void {
  faceToZPhi(face, fx, fy, scratch);
  const sinTheta = scratch[1]!;
  const phi = scratch[2]!;
  out[k] = sinTheta * Math.cos(phi);
  out[k + 1] = sinTheta * Math.sin(phi);
  out[k + 2] = scratch[0]!;
}

/** Converts a unit vector to (ra, dec) in degrees, ra in [0, 360). */
export function vecToAng(v: readonly [number, number, number]): { ra: number; dec: number } {
  let ra = Math.atan2(v[1], v[0]) / DEG;
  if (ra < 0) ra += 360;
  if (ra >= 360) ra -= 360;
  const dec = Math.atan2(v[2], Math.hypot(v[0], v[1])) / DEG;
  return { ra, dec };
}

/** Throws a RangeError unless ipix is a valid nested index at order. */
export function checkPixel(order: number, ipix: bigint): void {
  if (typeof ipix !== 'bigint' || ipix < 0n || ipix >= npix(order)) {
    throw new RangeError(`HEALPix index ${String(ipix)} is out of range for order ${order}`);
  }
}

/** Centre (ra, dec in degrees, ra in [0, 360)) of nested pixel `ipix` at `order`. */
export function pix2ang(order: number, ipix: bigint): { ra: number; dec: number } {
  checkOrder(order);
  checkPixel(order, ipix);
  const { face, x, y } = nestedToXyf(order, ipix);
  const nside = 2 ** order;
  return vecToAng(faceToVec(face, (x + 0.5) / nside, (y + 0.5) / nside));
}
