/** VOSI endpoints of the TAP service: tables (whole and per table) and availability. */
import { viewerOf } from '../../auth/middleware.js';
import Router from '@koa/router';
import type { Database } from '../../storage/database.js';
import { BadRequestError, NotFoundError } from '../../errors.js';
import { readTableset } from '../../catalog/tableset-reader.js';
import { tablesetXml, tableXml } from './tableset-document.js';
import { availabilityXml } from './availability-document.js';
import { queryParams } from '../../http/request/read-request.js';

/** Routes under `base` (e.g. /db/v0/tap): tables, tables/{name}, availability. */
export function vosiRoutes(base: string, db: Database, startedAt: Date): Router {
  const r = new Router({ prefix: base });
  r.get('/tables', async (ctx) => {
    const detail = (queryParams(ctx).first('detail') ?? 'max').toLowerCase();
    if (detail !== 'min' && detail !== 'max') throw new BadRequestError(`detail must be min or max, got '${detail}'`);
    ctx.type = 'text/xml; charset=utf-8';
    ctx.body = tablesetXml(await readTableset(db, viewerOf(ctx), { withColumns: detail === 'max' }));
  });
  r.get('/tables/:name', async (ctx) => {
    const [schema] = await readTableset(db, viewerOf(ctx), { withColumns: true, only: ctx.params.name! });
    const table = schema?.tables[0];
    if (!table) throw new NotFoundError(`no table '${ctx.params.name}'`);
    ctx.type = 'text/xml; charset=utf-8';
    ctx.body = tableXml(table);
  });
  r.get('/availability', async (ctx) => {
    const up = await db.ping();
    ctx.type = 'text/xml; charset=utf-8';
    ctx.body = availabilityXml({
      available: up,
      note: up ? 'service is accepting queries' : 'the database does not answer',
      upSince: startedAt,
    });
  });
  return r;
}
