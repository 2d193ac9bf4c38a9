/**
 * SIA 2.0 at /image/v0/sia: `query` (GET and POST), its VOSI `capabilities` and `availability`.
 * A query is read into ADQL over ivoa.obscore (sia-parameters.ts) and run as a TAP sync query,
 * so it sees exactly what the caller's TAP queries see and answers in the same formats.
 */
import Router from '@koa/router';
import type { Config } from '../../config.js';
import type { Database } from '../../storage/database.js';
import type { CatalogCache } from '../../catalog/query-catalog.js';
import { baseUrl } from '../../http/base-url.js';
import { availabilityXml } from '../vosi/availability-document.js';
import { siaCapabilitiesXml } from './sia-capabilities.js';
import { siaQuery } from './sia-parameters.js';
import { queryEndpoint } from '../dali/query-endpoint.js';

/** How far any registered footprint reaches from its centre, degrees (the index cone's margin). */
async function footprintMargin(db: Database): Promise<number> {
  const rows = await db.query<{ m: number | null }>('SELECT max(fov) / 2 AS m FROM vodax.images');
  return Number(rows[0]?.m ?? 0);
}

/** The SIA routes under `base`. */
export function siaRoutes(base: string, config: Config, db: Database, catalogs: CatalogCache, startedAt: Date, securityMethods: readonly (string | null)[]): Router {
  const r = new Router({ prefix: base });
  const services = { config, db, catalogs };
  const query = queryEndpoint(services, async (params) => {
    const sia = siaQuery(params, { limits: config.limits, footprintMargin: await footprintMargin(db) });
    return { tap: { lang: 'ADQL', query: sia.adql, maxrec: sia.maxrec, format: sia.format, runId: null }, uploads: [] };
  });
  r.get('/query', query);
  r.post('/query', query);
  r.get('/capabilities', (ctx) => {
    ctx.type = 'text/xml; charset=utf-8';
    ctx.body = siaCapabilitiesXml(baseUrl(ctx, config.publicUrl) + base, securityMethods);
  });
  r.get('/availability', async (ctx) => {
    const up = await db.ping();
    ctx.type = 'text/xml; charset=utf-8';
    ctx.body = availabilityXml({ available: up, note: up ? 'service is accepting queries' : 'the database does not answer', upSince: startedAt });
  });
  return r;
}
