/** The LSST v0 metadata face for databases: `/`, M1-M8 (SPEC section 4). Endpoint ids: docs/endpoints.md. */
import { viewerOf } from '../auth/middleware.js';
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Registry } from '../catalog/table-registry.js';
import { queryParams } from '../http/request/read-request.js';
import { sendPage, sendResult } from './envelope.js';
import { pagingOf } from './paging.js';

/** Paging and filter parameters of a list request. */
function listOptions(ctx: Context) {
  const q = queryParams(ctx);
  return { containing: q.first('containing'), ...pagingOf(q) };
}

/** Routes M1-M8 over the registry. */
export function metaRoutes(registry: Registry): Router {
  const r = new Router();
  for (const top of ['meta', 'db', 'image']) {
    r.get(`/${top}`, (ctx) => sendResult(ctx, ['v0']));
  }
  r.get('/meta/v0', (ctx) => sendResult(ctx, ['db', 'image']));
  // `/db` lists v0, so v0 answers what it serves: the TAP service (DB1-DB3 live under it).
  r.get('/db/v0', (ctx) => sendResult(ctx, ['tap']));
  r.get('/meta/v0/db', async (ctx) => sendResult(ctx, await registry.levels(viewerOf(ctx))));
  r.get('/meta/v0/db/:level', async (ctx) => {
    sendPage(ctx, await registry.databaseNames(ctx.params.level!, viewerOf(ctx), listOptions(ctx)));
  });
  r.get('/meta/v0/db/:level/:db', async (ctx) => {
    const d = await registry.database(ctx.params.level!, ctx.params.db!, viewerOf(ctx));
    const { host, port } = registry.serverAddress();
    sendResult(ctx, [{ name: d.name, owner: d.owner, host, port, description: d.description, level: d.level }, d.annotations]);
  });
  r.get('/meta/v0/db/:level/:db/tables', async (ctx) => {
    sendPage(ctx, await registry.tableNames(ctx.params.level!, ctx.params.db!, viewerOf(ctx), listOptions(ctx)));
  });
  r.get('/meta/v0/db/:level/:db/tables/:table', async (ctx) => {
    const t = await registry.table(ctx.params.level!, ctx.params.db!, ctx.params.table!, viewerOf(ctx));
    const columns = await registry.columns(t.tapName);
    sendResult(ctx, [
      {
        name: t.name,
        descr: t.description,
        database: t.database,
        tapName: t.tapName,
        rowCount: t.rowCount,
        created: t.created.toISOString(),
        ra: t.position?.ra ?? null,
        dec: t.position?.dec ?? null,
        columns: columns.map((c) => ({
          name: c.name,
          datatype: c.datatype,
          arraysize: c.arraysize,
          xtype: c.xtype,
          unit: c.unit,
          ucd: c.ucd,
          utype: c.utype,
          descr: c.description,
          principal: c.principal,
          indexed: c.indexed,
        })),
      },
      t.annotations,
    ]);
  });
  r.get('/meta/v0/db/:level/:db/tables/:table/schema', async (ctx) => {
    sendResult(ctx, await registry.createStatement(ctx.params.level!, ctx.params.db!, ctx.params.table!, viewerOf(ctx)));
  });
  return r;
}
