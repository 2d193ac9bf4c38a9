/**
 * Cutouts: the one function that turns a requested box (five forms: pixel centre and size, pixel
 * corners, sky box, sky centre with pixel size) into a clipped pixel box, and an image's planes
 * into FITS HDUs of that box with a shifted WCS, LTV1/LTV2 and provenance cards. The LSST image
 * face and SODA both call it. Pixels are 0-based (LSST); FITS headers stay 1-based.
 */
import { BadRequestError } from '../errors.js';
import type { FitsFile, FitsHdu, PixelRect } from '../fits/file.js';
import { fitsCards, fitsCommentCards } from '../fits/header-writer.js';
import { imageHeaderCards } from '../fits/image-writer.js';
import { bytesPerPixel, encodeBigEndian } from '../fits/pixels.js';
import { isWcsKeyword, wcsCards } from '../wcs/header-wcs.js';
import { shiftWcs, wcsSkyToPixel, type CelestialWcs } from '../wcs/projections.js';
import type { Plane } from './image-catalog.js';

/** The data of an HDU without any. */
async function* noData(): AsyncGenerator<Buffer> {}

/** Largest cutout side, pixels (a box beyond this is refused rather than clipped). */
export const MAX_CUTOUT_PIXELS = 100_000;
/** Largest sky box side, degrees. */
export const MAX_CUTOUT_DEG = 10;

/** A requested box, in one of the five forms. Angles in degrees; pixels 0-based. */
export type CutoutSpec =
  | { form: 'pixel-centre'; x: number; y: number; width: number; height: number }
  | { form: 'pixel-corners'; x1: number; y1: number; x2: number; y2: number }
  | { form: 'sky-box'; ra: number; dec: number; width: number; height: number }
  | { form: 'sky-centre'; ra: number; dec: number; widthPix: number; heightPix: number };

/** Inclusive 0-based pixel bounds. */
export interface PixelBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The box to cut: clipped to the image, with what was asked. */
export interface CutoutBox extends PixelBox {
  requested: PixelBox;
  clipped: boolean;
}

/** What the cutout needs of an image: its WCS and size. */
export interface ImageGeometryRef {
  wcs: CelestialWcs;
  naxis1: number;
  naxis2: number;
}

function finite(name: string, v: number): void {
  if (!Number.isFinite(v)) throw new BadRequestError(`${name} must be a finite number, not ${v}`);
}

function positive(name: string, v: number, max: number, unit: string): void {
  finite(name, v);
  if (v <= 0) throw new BadRequestError(`${name} must be positive, not ${v}`);
  if (v > max) throw new BadRequestError(`${name} ${v} is too large (at most ${max} ${unit})`);
}

function checkSky(ra: number, dec: number): void {
  finite('ra', ra);
  finite('dec', dec);
  if (dec < -90 || dec > 90) throw new BadRequestError(`dec must be between -90 and 90, not ${dec}`);
}

/** A pixel box of integer size centred on a (0-based) position. */
function centred(x: number, y: number, width: number, height: number): PixelBox {
  const w = Math.ceil(width - 1e-9);
  const h = Math.ceil(height - 1e-9);
  // The epsilon keeps a centre that came back from sky coordinates a hair below an integer on it.
  const x0 = Math.floor(x - w / 2 + 0.5 + 1e-7);
  const y0 = Math.floor(y - h / 2 + 0.5 + 1e-7);
  return { x0, y0, x1: x0 + w - 1, y1: y0 + h - 1 };
}

/** Pixel box of a sky position that must project onto the image plane. */
function pixelOf(geom: ImageGeometryRef, ra: number, dec: number): { x: number; y: number } {
  const p = wcsSkyToPixel(geom.wcs, ra, dec);
  if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) throw new BadRequestError(`position (${ra}, ${dec}) is not on this image's projection (too far from it)`);
  return { x: p.x - 1, y: p.y - 1 };
}

/** The requested box in 0-based pixels, before clipping. */
export function requestedBox(spec: CutoutSpec, geom: ImageGeometryRef): PixelBox {
  switch (spec.form) {
    case 'pixel-centre': {
      finite('x', spec.x);
      finite('y', spec.y);
      positive('width', spec.width, MAX_CUTOUT_PIXELS, 'pixels');
      positive('height', spec.height, MAX_CUTOUT_PIXELS, 'pixels');
      return centred(spec.x, spec.y, spec.width, spec.height);
    }
    case 'pixel-corners': {
      for (const k of ['x1', 'y1', 'x2', 'y2'] as const) {
        finite(k, spec[k]);
        if (!Number.isInteger(spec[k])) throw new BadRequestError(`${k} must be an integer pixel, not ${spec[k]}`);
      }
      const box = { x0: Math.min(spec.x1, spec.x2), y0: Math.min(spec.y1, spec.y2), x1: Math.max(spec.x1, spec.x2), y1: Math.max(spec.y1, spec.y2) };
      if (box.x1 - box.x0 + 1 > MAX_CUTOUT_PIXELS || box.y1 - box.y0 + 1 > MAX_CUTOUT_PIXELS) throw new BadRequestError(`the box is too large (at most ${MAX_CUTOUT_PIXELS} pixels a side)`);
      return box;
    }
    case 'sky-centre': {
      checkSky(spec.ra, spec.dec);
      positive('widthPix', spec.widthPix, MAX_CUTOUT_PIXELS, 'pixels');
      positive('heightPix', spec.heightPix, MAX_CUTOUT_PIXELS, 'pixels');
      const p = pixelOf(geom, spec.ra, spec.dec);
      return centred(p.x, p.y, spec.widthPix, spec.heightPix);
    }
    case 'sky-box': {
      checkSky(spec.ra, spec.dec);
      positive('width', spec.width, MAX_CUTOUT_DEG, 'degrees');
      positive('height', spec.height, MAX_CUTOUT_DEG, 'degrees');
      const halfDec = spec.height / 2;
      const cosd = Math.cos((spec.dec * Math.PI) / 180);
      if (Math.abs(spec.dec) + halfDec >= 90 || cosd < 1e-6) throw new BadRequestError('a sky box may not reach a celestial pole');
      const halfRa = spec.width / 2 / cosd;
      // Trace the box's edges (RA/Dec lines) into pixels and keep the pixels they touch.
      let minX = Infinity;
      let minY = Infinity;
      let maxX = -Infinity;
      let maxY = -Infinity;
      const n = 16;
      for (let k = 0; k <= n; k++) {
        const t = -1 + (2 * k) / n;
        for (const [ra, dec] of [
          [spec.ra + t * halfRa, spec.dec - halfDec],
          [spec.ra + t * halfRa, spec.dec + halfDec],
          [spec.ra - halfRa, spec.dec + t * halfDec],
          [spec.ra + halfRa, spec.dec + t * halfDec],
        ] as const) {
          const p = pixelOf(geom, ra, dec);
          minX = Math.min(minX, p.x);
          maxX = Math.max(maxX, p.x);
          minY = Math.min(minY, p.y);
          maxY = Math.max(maxY, p.y);
        }
      }
      const box = { x0: Math.round(minX), y0: Math.round(minY), x1: Math.round(maxX), y1: Math.round(maxY) };
      if (box.x1 - box.x0 + 1 > MAX_CUTOUT_PIXELS || box.y1 - box.y0 + 1 > MAX_CUTOUT_PIXELS) throw new BadRequestError(`the box is too large (at most ${MAX_CUTOUT_PIXELS} pixels a side)`);
      return box;
    }
  }
}

/**
 * The box to cut from an image: the requested box clipped to the image. A box entirely off the
 * image is a BadRequestError naming the image's bounds.
 */
export function resolveCutoutBox(spec: CutoutSpec, geom: ImageGeometryRef, imageName = 'the image'): CutoutBox {
  const r = requestedBox(spec, geom);
  const box = { x0: Math.max(0, r.x0), y0: Math.max(0, r.y0), x1: Math.min(geom.naxis1 - 1, r.x1), y1: Math.min(geom.naxis2 - 1, r.y1) };
  if (box.x0 > box.x1 || box.y0 > box.y1) {
    throw new BadRequestError(
      `the cutout box x ${r.x0}..${r.x1}, y ${r.y0}..${r.y1} lies entirely off ${imageName}, whose pixels are x 0..${geom.naxis1 - 1}, y 0..${geom.naxis2 - 1} (0-based)`,
    );
  }
  return { ...box, requested: r, clipped: box.x0 !== r.x0 || box.y0 !== r.y0 || box.x1 !== r.x1 || box.y1 !== r.y1 };
}

/** One HDU of an answer: its complete header cards and its data, produced a band of rows at a time. */
export interface OutputHdu {
  cards: string[];
  dataBytes: number;
  data: () => AsyncGenerator<Buffer>;
}

/** Structural, compression and WCS keywords: rewritten, never copied from the parent. */
function isRewritten(keyword: string): boolean {
  return (
    /^(SIMPLE|XTENSION|BITPIX|NAXIS\d*|EXTEND|PCOUNT|GCOUNT|BSCALE|BZERO|BLANK|EXTNAME|END|CHECKSUM|DATASUM|THEAP|TFIELDS|INHERIT)$/.test(keyword) ||
    /^T(TYPE|FORM|UNIT|SCAL|ZERO|NULL|DIM|DISP)\d+$/.test(keyword) ||
    /^Z[A-Z0-9_]*$/.test(keyword) ||
    /^LT[VM]\d(_\d)?$/.test(keyword) ||
    /^(PARENTID|PARENTF|CUTBOX|REQBOX|CLIPPED)$/.test(keyword) ||
    isWcsKeyword(keyword)
  );
}

/** The parent's own cards (metadata, COMMENT, HISTORY), without what the answer rewrites. */
export function passThroughCards(hdu: FitsHdu): string[] {
  const out: string[] = [];
  let keptPrevious = false;
  for (const card of hdu.rawCards) {
    const keyword = card.slice(0, 8).trimEnd();
    if (keyword === 'CONTINUE') {
      if (keptPrevious) out.push(card);
      continue;
    }
    keptPrevious = !isRewritten(keyword) && keyword !== '';
    if (keptPrevious) out.push(card);
  }
  return out;
}

/** Drops repeated value cards (and their CONTINUE cards), keeping the first; commentary cards all stay. */
function firstOfEachKeyword(cards: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  let kept = false;
  for (const card of cards) {
    const keyword = card.slice(0, 8).trimEnd();
    if (keyword === 'CONTINUE') {
      if (kept) out.push(card);
      continue;
    }
    const valued = card.slice(8, 10) === '= ' && keyword !== 'COMMENT' && keyword !== 'HISTORY';
    kept = !valued || !seen.has(keyword);
    if (valued) seen.add(keyword);
    if (kept) out.push(card);
  }
  return out;
}

/** Provenance of a cutout: the parent image, the box cut, whether it was clipped, LTV offsets. */
export interface Provenance {
  parentId: number | string;
  parentPath?: string;
  box: CutoutBox;
}

/** The provenance cards of a cutout (LTV offsets, parent, box, clipping). */
export function provenanceCards(p: Provenance): string[] {
  const { box } = p;
  const cards = [
    ...fitsCards('LTV1', -box.x0, 'offset: cutout pixel = parent pixel + LTV1'),
    ...fitsCards('LTV2', -box.y0, 'offset: cutout pixel = parent pixel + LTV2'),
    ...fitsCards('LTM1_1', 1.0, 'no binning'),
    ...fitsCards('LTM2_2', 1.0, 'no binning'),
    ...fitsCards('PARENTID', typeof p.parentId === 'number' ? p.parentId : String(p.parentId), 'image this cutout was cut from'),
  ];
  if (p.parentPath) cards.push(...fitsCards('PARENTF', p.parentPath, 'parent file, relative to the image store'));
  cards.push(
    ...fitsCards('CUTBOX', `[${box.x0}:${box.x1},${box.y0}:${box.y1}]`, 'parent pixels cut, 0-based inclusive x,y'),
    ...fitsCards('REQBOX', `[${box.requested.x0}:${box.requested.x1},${box.requested.y0}:${box.requested.y1}]`, 'box requested, 0-based'),
    ...fitsCards('CLIPPED', box.clipped, 'T when the requested box was clipped to the image'),
  );
  if (box.clipped) cards.push(...fitsCommentCards('The requested box extends beyond the parent image; it was clipped to the image (see REQBOX and CUTBOX).'));
  return cards;
}

/** EXTNAME of each plane in the files vodax writes. */
export const EXTNAMES: Record<Plane, string> = { data: 'IMAGE', mask: 'MASK', variance: 'VARIANCE' };

/** Rows per band when streaming a region, for about 1 MB per band. */
function bandRows(width: number, bpp: number): number {
  return Math.max(1, Math.floor((1 << 20) / Math.max(1, width * bpp)));
}

/** Data of a rectangle of an image HDU, a band of rows at a time, big-endian as FITS stores it. */
async function* regionData(file: FitsFile, hdu: FitsHdu, rect: PixelRect): AsyncGenerator<Buffer> {
  const info = hdu.image!;
  const rows = bandRows(rect.width, bytesPerPixel(info.bitpix));
  for (let y = 0; y < rect.height; y += rows) {
    const band = { x0: rect.x0, y0: rect.y0 + y, width: rect.width, height: Math.min(rows, rect.height - y) };
    if (!info.compressed) yield await file.readRegionBytes(hdu, band);
    else {
      const region = await file.readRegion(hdu, band);
      yield encodeBigEndian(info.bitpix, region.data, 0, band.width * band.height);
    }
  }
}

/**
 * The HDUs of an answer: the given planes of an open image file, cut to `box` (the whole image
 * when `provenance` is null). One plane: a simple FITS file with that plane as the primary HDU;
 * several: an empty primary HDU (with the parent's primary metadata) and one extension per plane.
 */
export function imageHdus(file: FitsFile, hduOf: Partial<Record<Plane, number>>, planes: Plane[], box: PixelBox, wcs: CelestialWcs, provenance: Provenance | null): OutputHdu[] {
  const rect = { x0: box.x0, y0: box.y0, width: box.x1 - box.x0 + 1, height: box.y1 - box.y0 + 1 };
  const sub = shiftWcs(wcs, box.x0, box.y0);
  const extra = provenance ? provenanceCards(provenance) : [];
  const single = planes.length === 1;
  const out: OutputHdu[] = [];
  const primaryMeta = file.hdus[0] && file.hdus[0].image === null ? passThroughCards(file.hdus[0]) : [];
  if (!single) {
    out.push({
      cards: [
        ...fitsCards('SIMPLE', true, 'conforms to FITS standard'),
        ...fitsCards('BITPIX', 8, 'bits per data value'),
        ...fitsCards('NAXIS', 0, 'no data in the primary HDU'),
        ...fitsCards('EXTEND', true, 'FITS dataset may contain extensions'),
        ...primaryMeta,
        ...extra,
      ],
      dataBytes: 0,
      data: noData,
    });
  }
  for (const plane of planes) {
    const index = hduOf[plane];
    if (index === undefined) throw new BadRequestError(`this image has no ${plane} plane`);
    const hdu = file.hdus[index]!;
    const info = hdu.image!;
    const cards = imageHeaderCards({
      primary: single,
      bitpix: info.bitpix,
      width: rect.width,
      height: rect.height,
      bscale: info.bscale,
      bzero: info.bzero,
      blank: info.blank,
      extname: EXTNAMES[plane],
      cards: firstOfEachKeyword([...passThroughCards(hdu), ...(single ? primaryMeta : []), ...wcsCards(sub), ...extra]),
    });
    out.push({ cards, dataBytes: rect.width * rect.height * bytesPerPixel(info.bitpix), data: () => regionData(file, hdu, rect) });
  }
  return out;
}
