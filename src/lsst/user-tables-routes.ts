/**
 * User tables over HTTP: `PUT {base}/tables/{schema}.{table}` creates a table in an L3 database
 * the caller owns from a VOTable, CSV, TSV or FITS body (by Content-Type), streamed into the
 * database; `DELETE` drops it. GET of the same URL is the VOSI table (served by vosiRoutes).
 */
import Router from '@koa/router';
import type { Readable } from 'node:stream';
import type { Context } from 'koa';
import type { Config } from '../config.js';
import type { Database } from '../storage/database.js';
import { BadRequestError } from '../errors.js';
import { callerOf } from '../auth/middleware.js';
import { baseUrl } from '../http/base-url.js';
import { limitedBody } from '../http/limits.js';
import { checkUserTableName, createUserTable, dropUserTable, formatOfContentType, writableTarget } from '../ingest/user-tables.js';

/** PUT and DELETE of `{base}/tables/:name`. */
export function userTablesRoutes(base: string, config: Config, db: Database): Router {
  const r = new Router({ prefix: base });

  r.put('/tables/:name', (ctx) =>
    unreadBodyCloses(ctx, async () => {
      // A client that goes away mid-body fails the load, which rolls back (listening from the
      // start: the connection may close while the checks run, before the body is opened).
      const cut = () => new BadRequestError('the request body was cut short');
      let gone = false;
      const streams: Readable[] = [];
      ctx.req.once('close', () => {
        if (ctx.req.complete) return;
        gone = true;
        for (const s of streams) s.destroy(cut());
      });
      const target = await writableTarget(db, callerOf(ctx), ctx.params.name!);
      checkUserTableName(target.table);
      const format = formatOfContentType(ctx.get('content-type'));
      const body = () => {
        if (gone) throw cut();
        const stream = limitedBody(ctx, config.limits.uploadBytes);
        streams.push(stream);
        return stream;
      };
      const rows = await createUserTable(db, { target, owner: callerOf(ctx)!, format, body, maxTables: config.limits.userTablesMax });
      const location = `${baseUrl(ctx, config.publicUrl)}${base}/tables/${encodeURIComponent(target.tapName)}`;
      ctx.status = 201;
      ctx.set('Location', location);
      ctx.body = { table: target.tapName, rows, location };
    }),
  );

  r.delete('/tables/:name', (ctx) =>
    unreadBodyCloses(ctx, async () => {
      const target = await writableTarget(db, callerOf(ctx), ctx.params.name!);
      await dropUserTable(db, target);
      ctx.status = 204;
    }),
  );
  return r;
}

/** Run a handler; when it fails before the request body was read through, close the connection after answering. */
async function unreadBodyCloses(ctx: Context, handler: () => Promise<void>): Promise<void> {
  try {
    await handler();
  } catch (e) {
    if (!ctx.req.complete) ctx.set('Connection', 'close');
    throw e;
  }
}
