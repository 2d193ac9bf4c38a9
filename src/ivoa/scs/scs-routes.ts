/**
 * Simple Cone Search 1.1 at /db/v0/scs/{schema}.{table}: one service per table with a position.
 * The query (at the table's URL and at its `/query`, GET and POST) is read into ADQL
 * (scs-parameters.ts) and run as a TAP sync query, so it sees exactly the tables the caller's
 * TAP sees: someone else's L3 table is as unknown here (404) as a table that does not exist.
 * A VOTable answer names its ID, RA and Dec columns by SCS's UCDs (scs-field-ucds.ts).
 * VOSI `capabilities` and `availability` beside `query`.
 */
import { Readable } from 'node:stream';
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Config } from '../../config.js';
import type { Database } from '../../storage/database.js';
import { tapName, type CatalogCache } from '../../catalog/query-catalog.js';
import { callerOf } from '../../auth/middleware.js';
import { NotFoundError } from '../../errors.js';
import { baseUrl } from '../../http/base-url.js';
import { availabilityXml } from '../vosi/availability-document.js';
import { queryEndpoint } from '../dali/query-endpoint.js';
import { hasPosition, idColumn, MAX_SR_DEG, positionColumns, scsQuery, type ConeTable } from './scs-parameters.js';
import { scsFieldUcds, wholeWithFieldUcds, withFieldUcds, type FieldUcds } from './scs-field-ucds.js';
import { scsCapabilitiesXml } from './scs-capabilities.js';

/**
 * The table `name` (`schema.table`) names among those the viewer may query, if it has a
 * position. An exact name wins; otherwise case is ignored, as ADQL ignores it.
 */
export async function coneTable(catalogs: CatalogCache, viewer: string | null, name: string): Promise<ConeTable> {
  const { tables } = await catalogs.get({ user: viewer });
  const table = tables.find((t) => tapName(t) === name) ?? tables.find((t) => tapName(t).toLowerCase() === name.toLowerCase());
  if (!table) throw new NotFoundError(`no table "${name}" to cone-search; name it schema.table, as TAP_SCHEMA does`);
  if (!hasPosition(table)) throw new NotFoundError(`table "${tapName(table)}" has no position (RA/Dec columns), so no cone search`);
  return table;
}

/** The SCS routes under `base`. */
export function scsRoutes(base: string, config: Config, db: Database, catalogs: CatalogCache, startedAt: Date, securityMethods: readonly (string | null)[]): Router {
  const r = new Router({ prefix: base });
  const tableOf = (ctx: Context) => coneTable(catalogs, callerOf(ctx), String(ctx.params.table));
  const query = queryEndpoint({ config, db, catalogs }, async (params, ctx) => {
    const table = await tableOf(ctx);
    const scs = scsQuery(params, table, { limits: config.limits });
    if (scs.format.format.name.startsWith('votable')) ctx.state.scsFieldUcds = scsFieldUcds({ id: idColumn(table)?.name, ...positionColumns(table) });
    return { tap: { lang: 'ADQL', query: scs.adql, maxrec: scs.maxrec, format: scs.format, runId: null }, uploads: [] };
  });
  const answer = async (ctx: Context) => {
    await query(ctx);
    const ucds = ctx.state.scsFieldUcds as FieldUcds | undefined;
    if (!ucds || ctx.status !== 200) return;
    if (ctx.body instanceof Readable) ctx.body = withFieldUcds(ctx.body, ucds);
    else if (Buffer.isBuffer(ctx.body)) ctx.body = wholeWithFieldUcds(ctx.body, ucds);
  };
  for (const path of ['/:table', '/:table/query']) {
    r.get(path, answer);
    r.post(path, answer);
  }
  r.get('/:table/capabilities', async (ctx) => {
    const table = await tableOf(ctx);
    ctx.type = 'text/xml; charset=utf-8';
    ctx.body = scsCapabilitiesXml({
      base: `${baseUrl(ctx, config.publicUrl)}${base}/${encodeURIComponent(tapName(table))}`,
      table: tapName(table),
      maxSr: MAX_SR_DEG,
      maxRecords: config.limits.hardMaxrec,
      securityMethods,
    });
  });
  r.get('/:table/availability', async (ctx) => {
    const up = await db.ping();
    // A database that does not answer cannot say which tables exist: the service is down.
    if (up) await tableOf(ctx);
    ctx.type = 'text/xml; charset=utf-8';
    ctx.body = availabilityXml({ available: up, note: up ? 'service is accepting queries' : 'the database does not answer', upSince: startedAt });
  });
  return r;
}
