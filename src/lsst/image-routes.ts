/**
 * The LSST v0 image face (SPEC section 4): image metadata M9-M13 under /meta/v0/image, and the
 * image service I1, I5-I12 under /image/v0 (lists, whole images with plane selection, the five
 * cutout forms, coadds by tract/patch/filter or by position alone). Routes parse parameters and
 * call the image core; asynchronous image jobs (I2-I4) are not served yet.
 */
import { Readable } from 'node:stream';
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Config } from '../config.js';
import type { Database } from '../storage/database.js';
import type { Viewer } from '../registry/registry.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import { baseUrl } from '../http/base-url.js';
import { intParam, stringParam } from '../http/params.js';
import { ImageCatalog, imageLevel, PLANES, type ImageFilter, type ImageRecord, type Plane } from '../images/catalog.js';
import type { CutoutSpec } from '../images/cutout.js';
import { bestCovering, imageAnswer, type ImageFormat } from '../images/image-service.js';
import { STRETCHES, type Stretch } from '../images/preview.js';
import { sendPage, sendResult } from './envelope.js';

const MAX_COUNT = 100_000;
const MAX_PREVIEW = 4096;

function viewerOf(ctx: Context): Viewer {
  return { user: (ctx.state.user as string | undefined) ?? null };
}

/** All values of a repeatable query parameter. */
function allParams(ctx: Context, name: string): string[] {
  const v = ctx.query[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** A number parameter, or undefined when absent; 400 when not a finite number. */
function numParam(ctx: Context, name: string): number | undefined {
  const raw = stringParam(ctx, name);
  if (raw === undefined) return undefined;
  const t = raw.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) throw new BadRequestError(`parameter ${name} must be a number, got '${raw}'`);
  return Number(t);
}

function has(ctx: Context, name: string): boolean {
  return ctx.query[name] !== undefined;
}

/** The `plane` parameters (repeatable; also comma-separated). */
function planesOf(ctx: Context): Plane[] {
  const out: Plane[] = [];
  for (const raw of allParams(ctx, 'plane').flatMap((v) => v.split(','))) {
    const p = raw.trim().toLowerCase();
    if (p === '') continue;
    const plane = (p === 'image' ? 'data' : p) as Plane;
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

/** The cutout box a request describes (I8-I12); 400 when missing, partial or contradictory. */
export function cutoutSpecOf(ctx: Context): CutoutSpec {
  const sizeNames = ['width', 'height', 'x', 'y', 'x1', 'y1', 'x2', 'y2', 'deltaRa', 'deltaDec', 'widthAng', 'heightAng', 'widthPix', 'heightPix'];
  const used = FORMS.filter((f) => f.names.some((n) => sizeNames.includes(n) && has(ctx, n)));
  if (used.length === 0) {
    throw new BadRequestError('a cutout needs a box: x, y, width, height; or x1, y1, x2, y2; or ra, dec with deltaRa, deltaDec (arcmin), widthAng, heightAng (arcsec) or widthPix, heightPix');
  }
  if (used.length > 1) throw new BadRequestError(`contradictory cutout parameters: give one form of box, not ${used.map((f) => f.names.join('/')).join(' and ')}`);
  const f = used[0]!;
  const missing = f.names.filter((n) => !has(ctx, n));
  if (missing.length > 0) throw new BadRequestError(`this cutout form needs ${f.names.join(', ')}; missing ${missing.join(', ')}`);
  const v = Object.fromEntries(f.names.map((n) => [n, numParam(ctx, n)!]));
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

/** The output format: `format` parameter, else the Accept header; FITS by default. */
function formatOf(ctx: Context): ImageFormat {
  const f = stringParam(ctx, 'format')?.trim().toLowerCase();
  if (f !== undefined && f !== '') {
    if (['fits', 'image/fits', 'application/fits'].includes(f)) return 'fits';
    if (['png', 'image/png'].includes(f)) return 'png';
    if (['jpeg', 'jpg', 'image/jpeg'].includes(f)) return 'jpeg';
    throw new BadRequestError(`unknown format '${f}' (formats: fits, png, jpeg)`);
  }
  const accept = (ctx.get('Accept') || '').toLowerCase();
  for (const token of accept.split(',').map((t) => t.split(';')[0]!.trim())) {
    if (token === 'image/fits' || token === 'application/fits') return 'fits';
    if (token === 'image/png') return 'png';
    if (token === 'image/jpeg') return 'jpeg';
  }
  return 'fits';
}

function stretchOf(ctx: Context): Stretch {
  const s = (stringParam(ctx, 'stretch') ?? 'asinh').trim().toLowerCase();
  if (!(STRETCHES as readonly string[]).includes(s)) throw new BadRequestError(`unknown stretch '${s}' (stretches: ${STRETCHES.join(', ')})`);
  return s as Stretch;
}

/** The id path segment: a positive integer, else 404 (it names no image). */
function idOf(ctx: Context): number {
  const raw = ctx.params.id!;
  if (!/^\d{1,9}$/.test(raw)) throw new NotFoundError(`no image '${raw}' (image ids are integers)`);
  return Number(raw);
}

function dateParam(ctx: Context, name: string): Date | undefined {
  const raw = stringParam(ctx, name);
  if (raw === undefined || raw === '') return undefined;
  const d = new Date(raw);
  if (Number.isNaN(d.getTime())) throw new BadRequestError(`parameter ${name} must be an ISO 8601 time, got '${raw}'`);
  return d;
}

function filterOf(ctx: Context): ImageFilter {
  const f: ImageFilter = {};
  const owner = stringParam(ctx, 'owner');
  if (owner) f.owner = owner;
  f.createAfter = dateParam(ctx, 'createAfter');
  f.createBefore = dateParam(ctx, 'createBefore');
  const band = stringParam(ctx, 'filter');
  if (band) f.band = band;
  if (has(ctx, 'tract')) f.tract = intParam(ctx, 'tract', 0, 0, 2_147_483_647);
  const patch = stringParam(ctx, 'patch');
  if (patch) f.patch = patch;
  if (has(ctx, 'visit')) f.visit = intParam(ctx, 'visit', 0, 0, Number.MAX_SAFE_INTEGER);
  return f;
}

function imageUrl(base: string, img: { level: string; collection: string; kind: string; id: number }): string {
  return `${base}/image/v0/${encodeURIComponent(img.level)}/${encodeURIComponent(img.collection)}/${encodeURIComponent(img.kind)}/${img.id}`;
}

/** All registered metadata of an image (M13). */
function metadataOf(base: string, img: ImageRecord): Record<string, unknown> {
  return {
    url: imageUrl(base, img),
    id: img.id,
    owner: img.owner,
    level: img.level,
    collection: img.collection,
    kind: img.kind,
    created: img.created.toISOString(),
    planes: img.planes,
    naxis1: img.naxis1,
    naxis2: img.naxis2,
    bitpix: img.bitpix,
    compressed: img.compressed,
    fileBytes: img.fileBytes,
    wcs: { ctype: img.wcs.ctype, crpix: img.wcs.crpix, crval: img.wcs.crval, cd: img.wcs.cd, radesys: img.wcs.radesys ?? 'ICRS', sip: img.wcs.sip !== null },
    ra: img.ra,
    dec: img.dec,
    fov: img.fov,
    footprint: img.footprint,
    pixelScale: img.pixelScale,
    filter: img.band,
    emMin: img.emMin,
    emMax: img.emMax,
    tMin: img.tMin,
    tMax: img.tMax,
    exptime: img.exptime,
    fwhm: img.fwhm,
    tract: img.tract,
    patch: img.patch,
    visit: img.visit,
    ccd: img.ccd,
    sourceId: img.sourceId,
    facility: img.facilityName,
    instrument: img.instrumentName,
    annotations: img.annotations,
  };
}

/** Routes M9-M13 and I1, I5-I12. */
export function imageRoutes(config: Config, db: Database): Router {
  const catalog = new ImageCatalog(db);
  const r = new Router();
  const base = (ctx: Context): string => baseUrl(ctx, config.publicUrl);
  const paging = (ctx: Context) => ({ start: intParam(ctx, 'start', 0, 0, Number.MAX_SAFE_INTEGER), count: intParam(ctx, 'count', 1000, 1, MAX_COUNT) });

  const send = async (ctx: Context, image: ImageRecord, cutout: CutoutSpec | null): Promise<void> => {
    const format = formatOf(ctx);
    const maxSize = intParam(ctx, 'maxSize', 1024, 16, MAX_PREVIEW);
    const answer = await imageAnswer(config.dataDir, image, { planes: planesOf(ctx), cutout, format, stretch: stretchOf(ctx), maxSize });
    ctx.status = 200;
    ctx.type = answer.type;
    ctx.length = answer.length;
    ctx.set('Content-Disposition', `inline; filename="${answer.filename}"`);
    if (answer.box) ctx.set('X-Vodax-Cutout', `x ${answer.box.x0}..${answer.box.x1}, y ${answer.box.y0}..${answer.box.y1}${answer.clipped ? ' (clipped)' : ''}`);
    ctx.body = Buffer.isBuffer(answer.body) ? answer.body : Readable.from(answer.body);
  };

  // M9-M13.
  r.get('/meta/v0/image', async (ctx) => sendResult(ctx, await catalog.levels(viewerOf(ctx))));
  r.get('/meta/v0/image/:level', async (ctx) => sendResult(ctx, await catalog.collections(ctx.params.level!, viewerOf(ctx))));
  r.get('/meta/v0/image/:level/:collection', async (ctx) => sendResult(ctx, await catalog.kinds(ctx.params.level!, ctx.params.collection!, viewerOf(ctx))));
  const list = async (ctx: Context, suffix: string): Promise<void> => {
    const { start, count } = paging(ctx);
    const { level, collection, kind } = ctx.params as Record<string, string>;
    const page = await catalog.list(level!, collection!, kind!, viewerOf(ctx), filterOf(ctx), start, count);
    if (page.ids.length === 0 && start === 0) await catalog.kinds(level!, collection!, viewerOf(ctx)).then((kinds) => {
      if (!kinds.includes(kind!)) throw new NotFoundError(`no image kind "${kind}" in ${level}/${collection} (kinds: ${kinds.join(', ')})`);
    });
    const b = base(ctx);
    const levelName = imageLevel(level!);
    sendPage(ctx, { items: page.ids.map((id) => imageUrl(b, { level: levelName, collection: collection!, kind: kind!, id }) + suffix), start: page.start, count: page.count, more: page.more });
  };
  r.get('/meta/v0/image/:level/:collection/:kind', (ctx) => list(ctx, ''));
  r.get('/meta/v0/image/:level/:collection/:kind/:id', async (ctx) => {
    const { level, collection, kind } = ctx.params as Record<string, string>;
    sendResult(ctx, metadataOf(base(ctx), await catalog.get(level!, collection!, kind!, idOf(ctx), viewerOf(ctx))));
  });

  // I1: the service root.
  r.get('/image/v0', async (ctx) => {
    const b = base(ctx);
    sendResult(ctx, {
      service: 'vodax LSST image service v0',
      levels: await catalog.levels(viewerOf(ctx)),
      metadata: `${b}/meta/v0/image`,
      images: `${b}/image/v0/{level}/{collection}/{kind}`,
      image: `${b}/image/v0/{level}/{collection}/{kind}/{id}?plane=data|mask|variance`,
      cutout: `${b}/image/v0/{level}/{collection}/{kind}/{id}/cutout?x=&y=&width=&height= | x1=&y1=&x2=&y2= | ra=&dec=&deltaRa=&deltaDec= (arcmin) | ra=&dec=&widthAng=&heightAng= (arcsec) | ra=&dec=&widthPix=&heightPix=`,
      coaddCutout: `${b}/image/v0/{level}/{collection}/{kind}/cutout?tract=&patch=&filter=&... or ?ra=&dec=&... (the image that best covers the position)`,
      formats: ['image/fits', 'image/png', 'image/jpeg'],
      pixels: '0-based (LSST); FITS headers carry 1-based CRPIX and LTV1/LTV2 offsets',
    });
  });

  // Cutouts by tract/patch/filter or by position alone (before the {id} routes).
  r.get('/image/v0/:level/:collection/:kind/cutout', async (ctx) => {
    const { level, collection, kind } = ctx.params as Record<string, string>;
    const spec = cutoutSpecOf(ctx);
    const viewer = viewerOf(ctx);
    let image: ImageRecord;
    if (has(ctx, 'tract') || has(ctx, 'patch')) {
      const tract = intParam(ctx, 'tract', -1, 0, 2_147_483_647);
      const patch = stringParam(ctx, 'patch');
      const band = stringParam(ctx, 'filter');
      if (tract < 0 || !patch || !band) throw new BadRequestError('a coadd is named by tract, patch and filter together');
      image = await catalog.byTractPatch(level!, collection!, kind!, tract, patch, band, viewer);
    } else {
      if (!('ra' in spec)) throw new BadRequestError('without an image id or tract/patch/filter, a cutout needs a sky position (ra, dec) to choose the image');
      const candidates = await catalog.near(level!, collection!, kind!, spec.ra, spec.dec, stringParam(ctx, 'filter') || undefined, viewer);
      const best = bestCovering(candidates, spec.ra, spec.dec);
      if (!best) throw new NotFoundError(`no ${kind} image in ${level}/${collection} covers ra ${spec.ra}, dec ${spec.dec}`);
      image = best;
    }
    await send(ctx, image, spec);
  });
  r.get('/image/v0/:level/:collection/:kind', (ctx) => {
    const planes = planesOf(ctx);
    return list(ctx, planes.length ? `?${planes.map((p) => `plane=${p}`).join('&')}` : '');
  });
  r.get('/image/v0/:level/:collection/:kind/:id', async (ctx) => {
    const { level, collection, kind } = ctx.params as Record<string, string>;
    await send(ctx, await catalog.get(level!, collection!, kind!, idOf(ctx), viewerOf(ctx)), null);
  });
  r.get('/image/v0/:level/:collection/:kind/:id/cutout', async (ctx) => {
    const { level, collection, kind } = ctx.params as Record<string, string>;
    const image = await catalog.get(level!, collection!, kind!, idOf(ctx), viewerOf(ctx));
    await send(ctx, image, cutoutSpecOf(ctx));
  });
  return r;
}
