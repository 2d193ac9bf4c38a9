/**
 * `GET` or `POST /db/v0/tap/querytype?QUERY=...` (LSST v0 DB3): how a query will run, without running it.
 * Answers in the v0 envelope (or as a name/value table in any other format); errors in the
 * query are DALI error documents, as on the rest of the TAP face.
 * Endpoint ids (M1-M13, DB1-DB3, I1-I12): docs/endpoints.md.
 */
import { callerOf } from '../auth/middleware.js';
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Config } from '../config.js';
import type { Database } from '../storage/database.js';
import { readRequest, requestLimitsOf } from '../http/request/read-request.js';
import { tapQueryParameters } from '../query/tap-parameters.js';
import type { CatalogCache } from '../catalog/query-catalog.js';
import { prepareQuery } from '../query/prepared-query.js';
import { queryPlan } from '../adql/query-plan.js';
import { sendResult } from './envelope.js';
import { shardsInPlan } from '../shard/shard-plan.js';

/** Planning takes milliseconds; a query whose planning takes longer is not worth waiting for. */
const EXPLAIN_TIMEOUT_MS = 5000;

/** EXPLAIN (FORMAT JSON) of a statement, never ANALYZE: read-only, under a short timeout. */
export async function explainJson(db: Database, sql: string, params: unknown[], timeoutMs: number, viewer: string | null): Promise<unknown> {
  let plan: unknown = null;
  // The viewer matters: TAP_SCHEMA tables are views over what the caller may see.
  for await (const batch of db.streamReadOnly(`EXPLAIN (FORMAT JSON) ${sql}`, params, { timeoutMs, viewer })) {
    plan ??= batch[0]?.[0] ?? null;
  }
  return typeof plan === 'string' ? JSON.parse(plan) : plan;
}

/** The querytype endpoint under `base` (the TAP service root). */
export function querytypeRoutes(base: string, config: Config, db: Database, catalogs: CatalogCache): Router {
  const r = new Router({ prefix: base });
  const limits = requestLimitsOf(config.limits);
  // GET as the v0 table lists it; POST too, for queries longer than a URL (as TAP sync takes them).
  const handler = async (ctx: Context) => {
    const params = await readRequest(ctx, limits);
    const tap = tapQueryParameters(params, config.limits, ctx.get('accept') || undefined);
    const user = callerOf(ctx);
    // Prepared as sync and jobs prepare it (UPLOAD is not read: DB3 runs only EXPLAIN).
    const prepared = prepareQuery(await catalogs.get({ user }), tap.query, tap.maxrec);
    const explain = await explainJson(db, prepared.sql, prepared.params, Math.min(EXPLAIN_TIMEOUT_MS, config.limits.syncTimeout * 1000), user);
    // shards: the servers of a sharded table's partitions left in the plan after pruning.
    sendResult(ctx, { ...queryPlan(prepared.validated, prepared, explain), shards: await shardsInPlan(db, explain) }, 'querytype');
  };
  r.get('/querytype', handler);
  r.post('/querytype', handler);
  return r;
}
