/**
 * Reading an image request from its parameters: which image (by id, by tract/patch/filter, or by
 * position alone), which planes, which box (the five cutout forms), which output. One reader for
 * the synchronous routes (query string) and for image jobs (stored UWS parameters), so a POST
 * means exactly what the same GET means. Names are case-insensitive (kept lower-cased).
 * Endpoint ids (M1-M13, DB1-DB3, I1-I12): docs/endpoints.md.
 */
import { BadRequestError } from '../errors.js';
import type { RequestParams } from '../params/request-params.js';
import { canonicalLevel } from '../catalog/levels.js';
import { PLANES, type Plane } from './image-catalog.js';
import type { CutoutSpec } from './cutout.js';
import { STRETCHES, type Stretch } from './preview.js';

/** Output formats of image answers. */
export type ImageFormat = 'fits' | 'png' | 'jpeg' | 'hdf5';

/** Content type of each output format. */
export const IMAGE_FORMAT_TYPES: Record<ImageFormat, string> = {
  fits: 'image/fits',
  png: 'image/png',
  jpeg: 'image/jpeg',
  hdf5: 'application/x-hdf5',
};

/** What to answer: planes, an optional box, a format. */
export interface ImageRequest {
  /** Planes asked for; empty means all the image has. */
  planes: Plane[];
  cutout: CutoutSpec | null;
  format: ImageFormat;
  stretch: Stretch;
  /** Largest preview side, pixels. */
  maxSize: number;
}

/** Which image a request names. */
export type ImageTarget =
  | { by: 'id'; level: string; collection: string; kind: string; id: number }
  | { by: 'tract-patch'; level: string; collection: string; kind: string; tract: number; patch: string; band: string }
  | { by: 'position'; level: string; collection: string; kind: string; ra: number; dec: number; band: string | null };

/** Largest preview side a request may ask for. */
export const MAX_PREVIEW = 4096;

/** Largest tract number. */
const MAX_TRACT = 2_147_483_647;

/** The `plane` parameters (repeatable; also comma-separated; `image` means `data`). */
export function planesOf(p: RequestParams): Plane[] {
  const out: Plane[] = [];
  for (const raw of p.all('plane').flatMap((v) => v.split(','))) {
    const name = raw.trim().toLowerCase();
    if (name === '') continue;
    const plane = (name === 'image' ? 'data' : name) as Plane;
    if (!PLANES.includes(plane)) throw new BadRequestError(`unknown plane '${raw}' (planes: ${PLANES.join(', ')})`);
    if (!out.includes(plane)) out.push(plane);
  }
  return out;
}

const FORMS: { form: 'pixel-centre' | 'pixel-corners' | 'sky-box-arcmin' | 'sky-box-arcsec' | 'sky-centre'; names: string[] }[] = [
  { form: 'pixel-centre', names: ['x', 'y', 'width', 'height'] },
  { form: 'pixel-corners', names: ['x1', 'y1', 'x2', 'y2'] },
  { form: 'sky-box-arcmin', names: ['ra', 'dec', 'deltaRa', 'deltaDec'] },
  { form: 'sky-box-arcsec', names: ['ra', 'dec', 'widthAng', 'heightAng'] },
  { form: 'sky-centre', names: ['ra', 'dec', 'widthPix', 'heightPix'] },
];
// Names that tell the forms apart (ra and dec belong to three of them).
const SIZE_NAMES = ['width', 'height', 'x', 'y', 'x1', 'y1', 'x2', 'y2', 'deltaRa', 'deltaDec', 'widthAng', 'heightAng', 'widthPix', 'heightPix'];

/** The cutout box the parameters describe (I8-I12); 400 when missing, partial or contradictory. */
export function cutoutSpecOf(p: RequestParams): CutoutSpec {
  const used = FORMS.filter((f) => f.names.some((n) => SIZE_NAMES.includes(n) && p.has(n)));
  if (used.length === 0) {
    throw new BadRequestError('a cutout needs a box: x, y, width, height; or x1, y1, x2, y2; or ra, dec with deltaRa, deltaDec (arcmin), widthAng, heightAng (arcsec) or widthPix, heightPix');
  }
  if (used.length > 1) throw new BadRequestError(`contradictory cutout parameters: give one form of box, not ${used.map((f) => f.names.join('/')).join(' and ')}`);
  const f = used[0]!;
  const v = Object.fromEntries(f.names.map((n) => [n, p.number(n)]));
  const missing = f.names.filter((n) => v[n] === undefined);
  if (missing.length > 0) throw new BadRequestError(`this cutout form needs ${f.names.join(', ')}; missing ${missing.join(', ')}`);
  switch (f.form) {
    case 'pixel-centre':
      return { form: 'pixel-centre', x: v.x!, y: v.y!, width: v.width!, height: v.height! };
    case 'pixel-corners':
      return { form: 'pixel-corners', x1: v.x1!, y1: v.y1!, x2: v.x2!, y2: v.y2! };
    case 'sky-box-arcmin':
      return { form: 'sky-box', ra: v.ra!, dec: v.dec!, width: v.deltaRa! / 60, height: v.deltaDec! / 60 };
    case 'sky-box-arcsec':
      return { form: 'sky-box', ra: v.ra!, dec: v.dec!, width: v.widthAng! / 3600, height: v.heightAng! / 3600 };
    case 'sky-centre':
      return { form: 'sky-centre', ra: v.ra!, dec: v.dec!, widthPix: v.widthPix!, heightPix: v.heightPix! };
  }
}

/** A format named by short name or MIME type, or null when unknown. */
export function formatByName(name: string): ImageFormat | null {
  const f = name.trim().toLowerCase();
  if (['fits', 'image/fits', 'application/fits'].includes(f)) return 'fits';
  if (['png', 'image/png'].includes(f)) return 'png';
  if (['jpeg', 'jpg', 'image/jpeg'].includes(f)) return 'jpeg';
  if (['hdf5', 'h5', 'application/x-hdf5', 'application/x-hdf'].includes(f)) return 'hdf5';
  return null;
}

/** The output format: the `format` parameter, else the first known type of the Accept header; FITS by default. */
export function formatOf(p: RequestParams, accept = ''): ImageFormat {
  const named = p.first('format');
  if (named !== undefined && named.trim() !== '') {
    const f = formatByName(named);
    if (!f) throw new BadRequestError(`unknown format '${named.trim()}' (formats: fits, png, jpeg, hdf5)`);
    return f;
  }
  for (const token of accept.toLowerCase().split(',').map((t) => t.split(';')[0]!.trim())) {
    const f = token === '' ? null : formatByName(token);
    if (f && token.includes('/')) return f;
  }
  return 'fits';
}

/** The preview stretch (asinh by default). */
export function stretchOf(p: RequestParams): Stretch {
  const s = (p.first('stretch') ?? 'asinh').trim().toLowerCase();
  if (!(STRETCHES as readonly string[]).includes(s)) throw new BadRequestError(`unknown stretch '${s}' (stretches: ${STRETCHES.join(', ')})`);
  return s as Stretch;
}

/** The whole request: planes, box (when `cutout`), format, stretch and preview size. */
export function imageRequestOf(p: RequestParams, cutout: boolean, accept = ''): ImageRequest {
  return {
    planes: planesOf(p),
    cutout: cutout ? cutoutSpecOf(p) : null,
    format: formatOf(p, accept),
    stretch: stretchOf(p),
    maxSize: p.int('maxSize', { min: 16, max: MAX_PREVIEW }) ?? 1024,
  };
}

/** An image id path segment or parameter: a positive integer, or null. */
export function imageIdOf(raw: string): number | null {
  return /^\d{1,9}$/.test(raw) ? Number(raw) : null;
}

/**
 * The image a coadd cutout names without an id: by tract, patch and filter together, or by the
 * sky position of the box alone (with an optional filter).
 */
export function coaddTargetOf(p: RequestParams, where: { level: string; collection: string; kind: string }, spec: CutoutSpec): ImageTarget {
  if (p.has('tract') || p.has('patch')) {
    const tract = p.int('tract', { min: 0, max: MAX_TRACT });
    const patch = p.first('patch');
    const band = p.first('filter');
    if (tract === undefined || !patch || !band) throw new BadRequestError('a coadd is named by tract, patch and filter together');
    return { by: 'tract-patch', ...where, tract, patch, band };
  }
  if (!('ra' in spec)) throw new BadRequestError('without an image id or tract/patch/filter, a cutout needs a sky position (ra, dec) to choose the image');
  return { by: 'position', ...where, ra: spec.ra, dec: spec.dec, band: p.first('filter') || null };
}

/**
 * An image job's parameters: the request's own, with where the image lives (`level`,
 * `collection`, `kind`, and `id` unless chosen by tract/patch or position) and whether it is a
 * cutout (`cutout=true`), as the POST's path said; the format the POST negotiated is made explicit.
 */
export function imageJobParams(p: RequestParams, path: { level: string; collection: string; kind: string; id?: string; cutout: boolean }, format: ImageFormat): RequestParams {
  const out = p.without(['level', 'collection', 'kind', 'id', 'cutout', 'format']);
  out.add('level', path.level);
  out.add('collection', path.collection);
  out.add('kind', path.kind);
  if (path.id !== undefined) out.add('id', path.id);
  out.add('cutout', String(path.cutout));
  out.add('format', format);
  return out;
}

/** What an image job's parameters ask for: the image and the request (400 on anything wrong). */
export function imageJobOf(p: RequestParams): { target: ImageTarget; request: ImageRequest } {
  const one = (name: string): string => {
    const v = p.single(name);
    if (v === undefined) throw new BadRequestError(`an image job needs the parameter ${name}`);
    return v.trim();
  };
  const where = { level: one('level'), collection: one('collection'), kind: one('kind') };
  if (!canonicalLevel(where.level)) throw new BadRequestError(`no image level "${where.level}" (levels: dc, L1, L2, L3, dev)`);
  const cutout = p.oneOf('cutout', ['true', 'false'], { caseInsensitive: true }) === 'true';
  const request = imageRequestOf(p, cutout);
  if (p.has('id')) {
    const id = imageIdOf(one('id'));
    if (id === null) throw new BadRequestError(`parameter id must be an image id (an integer), got '${p.first('id')}'`);
    return { target: { by: 'id', ...where, id }, request };
  }
  if (!request.cutout) throw new BadRequestError('a whole image is named by its id');
  return { target: coaddTargetOf(p, where, request.cutout), request };
}
