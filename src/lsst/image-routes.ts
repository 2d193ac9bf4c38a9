/**
 * The LSST v0 image face (SPEC section 4): image metadata M9-M13 under /meta/v0/image, and the
 * image service I1, I5-I12 under /image/v0 (lists, whole images with plane selection, the five
 * cutout forms, coadds by tract/patch/filter or by position alone). Routes parse parameters and
 * call the image core; the same requests sent as POST become image jobs (image-job-routes.ts).
 * Endpoint ids (M1-M13, DB1-DB3, I1-I12): docs/endpoints.md.
 */
import { viewerOf } from '../auth/middleware.js';
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Config } from '../config.js';
import type { Database } from '../storage/database.js';
import { NotFoundError } from '../errors.js';
import { baseUrl } from '../http/base-url.js';
import { queryParams } from '../http/request/read-request.js';
import type { RequestParams } from '../params/request-params.js';
import { canonicalLevel } from '../catalog/levels.js';
import { ImageCatalog, imageLevel, type ImageFilter, type ImageRecord } from '../images/image-catalog.js';
import { findImage, imageAnswer } from '../images/image-service.js';
import type { ImageFileSource } from '../images/image-files.js';
import { sendImageAnswer } from '../http/image-response.js';
import { coaddTargetOf, cutoutSpecOf, imageRequestOf, planesOf } from '../images/image-request.js';
import { hipsUrl } from '../images/hips-urls.js';
import { sendPage, sendResult } from './envelope.js';
import { pagingOf } from './paging.js';

/** The id path segment: a positive integer, else 404 (it names no image). */
function idOf(ctx: Context): number {
  const raw = ctx.params.id!;
  if (!/^\d{1,9}$/.test(raw)) throw new NotFoundError(`no image '${raw}' (image ids are integers)`);
  return Number(raw);
}

/** What a list request filters on (M12). */
function filterOf(q: RequestParams): ImageFilter {
  const f: ImageFilter = {};
  const owner = q.first('owner');
  if (owner) f.owner = owner;
  f.createAfter = q.isoTime('createAfter');
  f.createBefore = q.isoTime('createBefore');
  const band = q.first('filter');
  if (band) f.band = band;
  const tract = q.int('tract', { min: 0, max: 2_147_483_647 });
  if (tract !== undefined) f.tract = tract;
  const patch = q.first('patch');
  if (patch) f.patch = patch;
  const visit = q.int('visit', { min: 0, max: Number.MAX_SAFE_INTEGER });
  if (visit !== undefined) f.visit = visit;
  return f;
}

function imageUrl(base: string, img: { level: string; collection: string; kind: string; id: number }): string {
  return `${base}/image/v0/${encodeURIComponent(img.level)}/${encodeURIComponent(img.collection)}/${encodeURIComponent(img.kind)}/${img.id}`;
}

/** All registered metadata of an image (M13). */
function metadataOf(base: string, img: ImageRecord): Record<string, unknown> {
  return {
    url: imageUrl(base, img),
    hips: hipsUrl(base, img),
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

/** Routes M9-M13 and I1, I5-I12; image files come from `files` (the server's open files), else are opened per answer. */
export function imageRoutes(config: Config, db: Database, files?: ImageFileSource): Router {
  const catalog = new ImageCatalog(db);
  const r = new Router();
  const base = (ctx: Context): string => baseUrl(ctx, config.publicUrl);

  const send = async (ctx: Context, image: ImageRecord, cutout: boolean): Promise<void> => {
    const request = imageRequestOf(queryParams(ctx), cutout, ctx.get('Accept'));
    await sendImageAnswer(ctx, (signal) => imageAnswer(config.dataDir, image, request, { signal, files }));
  };

  // M9-M13.
  r.get('/meta/v0/image', async (ctx) => sendResult(ctx, await catalog.levels(viewerOf(ctx))));
  r.get('/meta/v0/image/:level', async (ctx) => sendResult(ctx, await catalog.collections(ctx.params.level!, viewerOf(ctx))));
  r.get('/meta/v0/image/:level/:collection', async (ctx) => sendResult(ctx, await catalog.kinds(ctx.params.level!, ctx.params.collection!, viewerOf(ctx))));
  const list = async (ctx: Context, suffix: string): Promise<void> => {
    const q = queryParams(ctx);
    const { start, count } = pagingOf(q);
    const { level, collection, kind } = ctx.params as Record<string, string>;
    const page = await catalog.list(level!, collection!, kind!, viewerOf(ctx), filterOf(q), start, count);
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
      hips: `${b}/image/v0/hips (the HiPS list; each at ${b}/image/v0/hips/{level}/{collection}/{kind}[/{filter}]/)`,
      coaddCutout: `${b}/image/v0/{level}/{collection}/{kind}/cutout?tract=&patch=&filter=&... or ?ra=&dec=&... (the image that best covers the position)`,
      formats: ['image/fits', 'image/png', 'image/jpeg', 'application/x-hdf5'],
      async: `POST any image or cutout request: 303 See Other to ${b}/image/v0/{job} (a UWS job); then {job}/explain, {job}/status, {job}/results`,
      pixels: '0-based (LSST); FITS headers carry 1-based CRPIX and LTV1/LTV2 offsets',
    });
  });

  // Cutouts by tract/patch/filter or by position alone (before the {id} routes).
  r.get('/image/v0/:level/:collection/:kind/cutout', async (ctx) => {
    const { level, collection, kind } = ctx.params as Record<string, string>;
    const params = queryParams(ctx);
    const target = coaddTargetOf(params, { level: level!, collection: collection!, kind: kind! }, cutoutSpecOf(params));
    await send(ctx, await findImage(catalog, target, viewerOf(ctx)), true);
  });
  r.get('/image/v0/:level/:collection/:kind', (ctx, next) => {
    // An image job's result file (/image/v0/{job}/results/{id}) has this shape: its own router serves it.
    if (ctx.params.collection === 'results' && !canonicalLevel(ctx.params.level!)) return next();
    const planes = planesOf(queryParams(ctx));
    return list(ctx, planes.length ? `?${planes.map((p) => `plane=${p}`).join('&')}` : '');
  });
  r.get('/image/v0/:level/:collection/:kind/:id', async (ctx) => {
    const { level, collection, kind } = ctx.params as Record<string, string>;
    await send(ctx, await catalog.get(level!, collection!, kind!, idOf(ctx), viewerOf(ctx)), false);
  });
  r.get('/image/v0/:level/:collection/:kind/:id/cutout', async (ctx) => {
    const { level, collection, kind } = ctx.params as Record<string, string>;
    const image = await catalog.get(level!, collection!, kind!, idOf(ctx), viewerOf(ctx));
    await send(ctx, image, true);
  });
  return r;
}
