/**
 * DataLink 1.1 {links} at /image/v0/datalink/links (GET and POST): ID (repeatable), MAXREC and
 * RESPONSEFORMAT, answered as the links document of links-document.ts. All links start at the
 * request's base URL (or PUBLIC_URL).
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Config } from '../../config.js';
import type { Database } from '../../storage/database.js';
import { BadRequestError } from '../../errors.js';
import { baseUrl } from '../../http/base-url.js';
import { viewerOf } from '../../auth/middleware.js';
import { readRequest, requestLimitsOf } from '../../http/request/read-request.js';
import type { RequestParams } from '../../params/request-params.js';
import { IVOA_PATHS } from '../paths.js';
import { DATALINK_CONTENT_TYPE, errorLink, imageLinks, linksVotable, type LinksDocument } from './links-document.js';
import { resolveIdentifiers } from './linked-images.js';

/** What a {links} request asks: the distinct identifiers in order, and at most how many rows. */
export interface LinksRequest {
  ids: string[];
  maxrec: number;
}

// DataLink 1.1 section 2.1.2: the VOTable forms, MIME parameters stripped.
const VOTABLE_FORMATS = ['votable', 'application/x-votable+xml', 'text/xml'];

/** Read a {links} request; 400 (UsageFault) on anything wrong. */
export function linksRequestOf(params: RequestParams, limits: Pick<Config['limits'], 'defaultMaxrec' | 'hardMaxrec'>): LinksRequest {
  const ids = [...new Set(params.all('ID'))];
  if (ids.length === 0) throw new BadRequestError('UsageFault: parameter ID is missing: give one or more dataset identifiers (ivo://vodax/image?{id})');
  const format = params.single('RESPONSEFORMAT');
  if (format !== undefined && !VOTABLE_FORMATS.includes(format.split(';')[0]!.trim().toLowerCase())) {
    throw new BadRequestError(`UsageFault: RESPONSEFORMAT '${format}' is not served; DataLink answers VOTable only (votable, application/x-votable+xml)`);
  }
  const raw = params.single('MAXREC');
  let maxrec = limits.defaultMaxrec;
  if (raw !== undefined) {
    if (!/^\s*\d+\s*$/.test(raw)) throw new BadRequestError(`UsageFault: MAXREC must be a non-negative integer, got '${raw}'`);
    maxrec = Math.min(Number(raw), limits.hardMaxrec);
  }
  return { ids, maxrec };
}

/** The DataLink routes under `base` (/image/v0/datalink). */
export function datalinkRoutes(base: string, config: Config, db: Database): Router {
  const r = new Router({ prefix: base });
  const links = async (ctx: Context): Promise<void> => {
    const params = await readRequest(ctx, requestLimitsOf(config.limits));
    const request = linksRequestOf(params, config.limits);
    const b = baseUrl(ctx, config.publicUrl);
    const sodaSync = `${b}${IVOA_PATHS.soda}/sync`;
    const doc: LinksDocument = { rows: [], descriptors: [], overflow: false };
    // DataLink 1.1 section 2.1.1: never cut the rows of one ID; stop before the one that would pass MAXREC.
    for (const resolved of await resolveIdentifiers(db, config.dataDir, request.ids, viewerOf(ctx))) {
      const part = 'image' in resolved ? imageLinks(b, sodaSync, resolved.image) : { rows: [errorLink(resolved.did, resolved.error)], descriptor: null };
      if (doc.rows.length + part.rows.length > request.maxrec) {
        doc.overflow = true;
        break;
      }
      doc.rows.push(...part.rows);
      if (part.descriptor) doc.descriptors.push(part.descriptor);
    }
    ctx.status = 200;
    ctx.type = DATALINK_CONTENT_TYPE;
    ctx.body = linksVotable(doc);
  };
  r.get('/links', links);
  r.post('/links', links);
  return r;
}
