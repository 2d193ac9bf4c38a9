/**
 * Running a TAP query: ADQL → validated → PostgreSQL SQL → rows streamed from a read-only
 * query into a table document that any serializer writes. Sync answers, async job results
 * and the v0 /db face all come through here.
 * Endpoint ids (M1-M13, DB1-DB3, I1-I12): docs/endpoints.md.
 */
import type { Database, StreamOptions } from '../storage/database.js';
import type { CellValue, ColumnMeta } from '../formats/table-model.js';
import type { TableDocument } from '../formats/table-writer.js';
import { parseAdql } from '../adql/parser.js';
import { validate, type ValidatedQuery } from '../adql/validator.js';
import { translate, type Translation } from '../adql/translator.js';
import { containsAggregate } from '../adql/aggregates.js';
import type { Catalog } from '../catalog/query-catalog.js';

/** A query ready to run: its SQL and the metadata of its result columns. */
export interface PreparedQuery {
  adql: string;
  sql: string;
  params: unknown[];
  columns: ColumnMeta[];
  maxrec: number;
  /** The most rows the SQL can return (its outer LIMIT: TOP and MAXREC + 1; one for aggregates without GROUP BY), when known. */
  rowLimit?: number;
  /**
   * The SQL without that LIMIT, when the query is a plain scan (nothing ordered, grouped,
   * deduplicated or offset) whose LIMIT is its last clause: wrapped in a query of its own with the
   * LIMIT outside, it is the same rows, and PostgreSQL can flatten it.
   */
  sqlBeforeLimit?: string;
  /**
   * The texts of the query's cones in its SQL when a generic plan serves it (see
   * storage/generic-plans.ts): every spatial condition a small circle that the HEALPix index
   * narrows, on a table that is not sharded.
   */
  genericPlan?: readonly string[];
}

/** The largest cone (degrees) run with a generic plan: its bitmap scan of the HEALPix index is the plan any such cone gets. */
export const GENERIC_PLAN_MAX_RADIUS = 1;

/** The cone texts of a translation that a generic plan may serve, or undefined. */
function genericPlanCones(t: Translation): readonly string[] | undefined {
  if (t.spatial.length === 0) return undefined;
  const cones: string[] = [];
  for (const c of t.spatial) {
    if (c.shape !== 'circle' || c.index === null || c.index.ranges === 0 || !(c.radius <= GENERIC_PLAN_MAX_RADIUS)) return undefined;
    // A sharded table's partitions are pruned by the cone's ranges only when planned with them:
    // a generic plan would reach every shard (a stopped one fails cones nowhere near it).
    if (c.source.table?.partitions !== undefined) return undefined;
    cones.push(c.sql);
  }
  return cones;
}

/**
 * Parse, validate and translate ADQL against what the caller may see; throws 400-class errors.
 * Beside the query to run come the validated query and its whole translation, which DB3's
 * query plan reads.
 */
export function prepareQuery(catalog: Catalog, adql: string, maxrec: number): PreparedQuery & Translation & { validated: ValidatedQuery } {
  const validated = validate(parseAdql(adql), catalog);
  const body = validated.query.body;
  const top = body.kind === 'select' ? body.top : null;
  const limit = Math.min(Math.max(0, Math.floor(maxrec)) + 1, top ?? Infinity);
  // Aggregates without GROUP BY make one group: one row at most, however many they read.
  const oneGroup = body.kind === 'select' && body.groupBy.length === 0 && (body.having !== null || containsAggregate([body.items, body.orderBy]));
  const rowLimit = oneGroup ? Math.min(limit, 1) : limit;
  const translation = translate(validated, { maxrec });
  const suffix = ` LIMIT ${limit}`;
  const plain =
    body.kind === 'select' && !oneGroup && body.orderBy.length === 0 && body.offset === null && body.groupBy.length === 0 && body.having === null && body.quantifier !== 'DISTINCT';
  const sqlBeforeLimit = plain && translation.sql.endsWith(suffix) ? translation.sql.slice(0, -suffix.length) : undefined;
  return { ...translation, adql, maxrec, rowLimit, sqlBeforeLimit, genericPlan: genericPlanCones(translation), validated };
}

/** Options of a query's execution. */
export interface RunOptions {
  signal?: AbortSignal;
  timeoutMs: number;
  requestDate: Date;
  batchSize?: number;
  /** The caller (null: anonymous): TAP_SCHEMA shows only what they may see. */
  viewer: string | null;
  /** The base URL links in the rows start with (ivoa.obscore.access_url); unset: the one images were registered with. */
  baseUrl?: string | null;
  /** Work around the query on its connection (TAP uploads). */
  session?: StreamOptions['session'];
  /** The version of the catalog the query was checked against (see StreamOptions). */
  catalogVersion?: string;
}

/**
 * Start a prepared query and answer its table document once the first rows (or the end) have
 * arrived, so a query that fails at once fails before any output. Rows are cut at MAXREC (the
 * SQL asks for MAXREC+1, so a further row means overflow). MAXREC=0 runs nothing and answers
 * the columns with the overflow flag, as DALI asks.
 */
export async function openQuery(db: Database, q: PreparedQuery, options: RunOptions): Promise<TableDocument> {
  if (q.maxrec === 0) return { columns: q.columns, rows: [], overflowed: () => true, info: queryInfo(q, options) };
  const stream = db.streamReadOnly(q.sql, q.params, {
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    batchSize: options.batchSize,
    session: options.session,
    viewer: options.viewer,
    baseUrl: options.baseUrl,
    catalogVersion: options.catalogVersion,
    genericPlan: q.genericPlan,
  });
  return queryDocument(q, stream, options);
}

/** The INFOs of a query's answer: the query, its language, when it was asked. */
function queryInfo(q: PreparedQuery, options: RunOptions): TableDocument['info'] {
  return { query: q.adql, lang: 'ADQL', requestDate: options.requestDate.toISOString() };
}

/**
 * The table document of `q` over the rows of its running query, once the first rows (or the
 * end) have arrived; rows cut at MAXREC (the SQL asks for MAXREC+1, so a further row means overflow).
 */
export async function queryDocument(q: PreparedQuery, stream: AsyncIterable<unknown[][]>, options: RunOptions): Promise<TableDocument> {
  // Aborted (client gone, job aborted): the stream cancels its query and frees its connection itself.
  const it = stream[Symbol.asyncIterator]();
  const first = await it.next();
  const cut = { overflow: false };
  return { columns: q.columns, rows: rowsUpToMaxrec(it, first, q.maxrec, cut), overflowed: () => cut.overflow, info: queryInfo(q, options) };
}

/**
 * The batches of `it` from `first` on, cut after `maxrec` rows (`cut.overflow` set when a row
 * was left out). At module level, not a generator function made per query: each of those gives
 * its generators a map of their own in the old generation, which keeps a finished query's
 * objects alive through young-generation collections (see Database.readOnlyRows).
 */
async function* rowsUpToMaxrec(
  it: AsyncIterator<unknown[][]>,
  first: IteratorResult<unknown[][]>,
  maxrec: number,
  cut: { overflow: boolean },
): AsyncGenerator<CellValue[][]> {
  let sent = 0;
  let next = first;
  try {
    while (!next.done) {
      const batch = next.value;
      const room = maxrec - sent;
      if (batch.length > room) {
        cut.overflow = true;
        if (room > 0) yield batch.slice(0, room) as CellValue[][];
        return;
      }
      sent += batch.length;
      yield batch as CellValue[][];
      next = await it.next();
    }
  } finally {
    // Stopped early (overflow, consumer gone): end the query and release its connection.
    await it.return?.();
  }
}
