/**
 * SODA 1.0 at /image/v0/soda: `sync` (GET and POST), `async` (UWS, in index.ts with the other
 * bindings), VOSI `capabilities` and `availability`. Parameters are read by soda-parameters.ts;
 * the cut is the image core's (region-cutout.ts), so a SODA cutout is byte for byte the LSST
 * face's cutout of the same pixel box. A region or band that misses the image answers 204 No
 * Content (SODA 1.0 section 5.1); errors are SODA's text/plain documents (soda-error.ts):
 * UsageError, MultiValuedParamNotSupported, or NotFoundFault for an unknown, malformed or
 * private dataset id (all alike).
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Config } from '../../config.js';
import type { Database } from '../../storage/database.js';
import { viewerOf } from '../../auth/middleware.js';
import { baseUrl } from '../../http/base-url.js';
import { readRequest, requestLimitsOf } from '../../http/request/read-request.js';
import { imageOfDatasetId } from '../../images/dataset-id.js';
import { planRegionCut } from '../../images/region-cutout.js';
import { imageAnswer } from '../../images/image-service.js';
import type { ImageFileSource } from '../../images/image-files.js';
import { sendImageAnswer } from '../../http/image-response.js';
import { availabilityXml } from '../vosi/availability-document.js';
import { sodaCapabilitiesXml } from './soda-capabilities.js';
import { sodaSyncRequestOf } from './soda-parameters.js';

/** Header-safe text (ASCII, one line, bounded). */
function headerText(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, 300);
}

/** The SODA routes under `base`; `asyncPath` is where the UWS binding lives (or null without jobs); image files come from `files`, else are opened per answer. */
export function sodaRoutes(base: string, config: Config, db: Database, startedAt: Date, securityMethods: readonly (string | null)[], asyncPath: string | null, files?: ImageFileSource): Router {
  const r = new Router({ prefix: base });
  const limits = requestLimitsOf(config.limits);

  const sync = async (ctx: Context): Promise<void> => {
    const params = await readRequest(ctx, limits);
    const req = sodaSyncRequestOf(params, asyncPath);
    const image = await imageOfDatasetId(db, req.id, viewerOf(ctx));
    const plan = planRegionCut(image, req.cut, req.format);
    if (plan.noOverlap !== null) {
      ctx.status = 204;
      ctx.set('X-Vodax-No-Overlap', headerText(plan.noOverlap));
      return;
    }
    await sendImageAnswer(ctx, (signal) => imageAnswer(config.dataDir, image, plan.request, { signal, files }));
  };
  r.get('/sync', sync);
  r.post('/sync', sync);
  r.get('/capabilities', (ctx) => {
    ctx.type = 'text/xml; charset=utf-8';
    ctx.body = sodaCapabilitiesXml(baseUrl(ctx, config.publicUrl) + base, securityMethods, asyncPath !== null);
  });
  r.get('/availability', async (ctx) => {
    const up = await db.ping();
    ctx.type = 'text/xml; charset=utf-8';
    ctx.body = availabilityXml({ available: up, note: up ? 'service is accepting requests' : 'the database does not answer', upSince: startedAt });
  });
  return r;
}
