/** TAP sync (`/db/v0/tap/sync`, GET and POST): also the LSST v0 DB2 endpoint. */
import { callerOf } from '../../auth/middleware.js';
import Router from '@koa/router';
import { Readable } from 'node:stream';
import type { Context } from 'koa';
import type { Config } from '../../config.js';
import type { Database } from '../../storage/database.js';
import { readRequest, requestLimitsOf } from '../../http/request/read-request.js';
import type { CatalogCache } from '../../catalog/query-catalog.js';
import { checkTapQuery, readTapQuery, runTapQuery } from '../../query/run-tap-query.js';
import { UploadSpool } from '../../query/uploads.js';
import { afterResponse } from '../../http/after-response.js';
import { scratchRoot } from '../../system/scratch.js';

/** The sync endpoint under `base`. */
export function syncRoutes(base: string, config: Config, db: Database, catalogs: CatalogCache): Router {
  const r = new Router({ prefix: base });
  const services = { config, db, catalogs };
  const handler = async (ctx: Context) => {
    const requestDate = new Date();
    const spool = new UploadSpool(scratchRoot(config.dataDir));
    // An answer not streamed to its end (client gone, HEAD, an error) cancels the query; the
    // database side then releases its connection by itself, whoever still holds the stream.
    const abort = new AbortController();
    let complete = false;
    ctx.res.once('close', () => {
      if (!complete) abort.abort();
    });
    try {
      const params = await readRequest(ctx, requestLimitsOf(config.limits), { onFile: (part) => spool.save(part) });
      const query = readTapQuery(params, config.limits, ctx.get('accept') || undefined);
      const run = { spool, viewer: callerOf(ctx), signal: abort.signal, timeoutMs: config.limits.syncTimeout * 1000, requestDate };
      if (ctx.method === 'HEAD') {
        // HEAD wants the headers only: the query is checked, nothing is run.
        const format = await checkTapQuery(services, query, run);
        ctx.status = 200;
        ctx.type = format.contentType;
        return;
      }
      const { format, body } = await runTapQuery(services, query, run);
      ctx.status = 200;
      ctx.type = format.contentType;
      ctx.body = Readable.from(
        (async function* () {
          yield* body;
          complete = true;
        })(),
      );
    } finally {
      // Only now is no part still being written to the spool (the reader waits for them).
      afterResponse(ctx, () => spool.dispose());
    }
  };
  r.get('/sync', handler);
  r.post('/sync', handler);
  return r;
}
