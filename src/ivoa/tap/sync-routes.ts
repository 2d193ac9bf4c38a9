/** TAP sync (`/db/v0/tap/sync`, GET and POST): also the LSST v0 DB2 endpoint. Endpoint ids: docs/endpoints.md. */
import Router from '@koa/router';
import type { Config } from '../../config.js';
import type { Database } from '../../storage/database.js';
import type { CatalogCache } from '../../catalog/query-catalog.js';
import { readTapQuery } from '../../query/run-tap-query.js';
import { queryEndpoint } from '../dali/query-endpoint.js';

/** The sync endpoint under `base`. */
export function syncRoutes(base: string, config: Config, db: Database, catalogs: CatalogCache): Router {
  const r = new Router({ prefix: base });
  const handler = queryEndpoint({ config, db, catalogs }, (params, ctx) => readTapQuery(params, config.limits, ctx.get('accept') || undefined), { uploads: true });
  r.get('/sync', handler);
  r.post('/sync', handler);
  return r;
}
