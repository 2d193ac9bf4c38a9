/**
 * The fast paths of TAP results: where PostgreSQL can format the rows exactly as the generic
 * serializer would (CSV, TSV, VOTable TABLEDATA, JSON, BINARY2 and FITS over the column types it knows), the answer is
 * streamed from a COPY instead of rows parsed and formatted in Node. Anything else answers null
 * and goes the generic way (openQuery and the writer).
 */
import { isOneStatement, type Database, type ResultField } from '../storage/database.js';
import { openQuery, queryDocument, type PreparedQuery, type RunOptions } from './prepared-query.js';
import type { TableWriter, WriteOptions } from '../formats/table-writer.js';
import { csvWriter } from '../formats/csv-writer.js';
import { tsvWriter } from '../formats/tsv-writer.js';
import { votableBinary2Writer } from '../formats/votable-binary2-writer.js';
import { votableWriter } from '../formats/votable-writer.js';
import { jsonWriter } from '../formats/json-writer.js';
import { inlineParams } from '../formats/copy/inline-params.js';
import { PG_OID } from '../formats/copy/column-sql.js';
import { jsonDocument, lineCopySql, lineNumberFields, tabledataDocument, textDocument } from '../formats/copy/text-copy.js';
import { binary2CopyPlan, binary2Document } from '../formats/copy/copy-binary2.js';
import { fitsCopyPlan, fitsDocument } from '../formats/copy/copy-fits.js';
import { fitsTableWriter } from '../formats/fits-table-writer.js';

/** The writers with a fast path, and which. */
const FAST_KINDS = new Map<TableWriter, 'csv' | 'tsv' | 'tabledata' | 'json' | 'binary2' | 'fits'>([
  [csvWriter, 'csv'],
  [tsvWriter, 'tsv'],
  [votableWriter, 'tabledata'],
  [jsonWriter, 'json'],
  [votableBinary2Writer, 'binary2'],
  [fitsTableWriter, 'fits'],
]);

/** The binary paths: no text formatting in SQL, so taken on every PostgreSQL. */
const BINARY_KINDS = new Set(['binary2', 'fits']);

/** Bytes of the binary COPY header: more than these means a row has arrived. */
const COPY_HEADER_BYTES = 19;

/**
 * Reads `copy` until its first row (or its end) has arrived, so that a query failing at once
 * throws here, before any output; answers the same bytes, from the start.
 */
async function primed(copy: AsyncIterable<Buffer>): Promise<AsyncIterable<Buffer>> {
  // Aborted (client gone, job aborted): the database ends the COPY and frees its connection itself.
  const it = copy[Symbol.asyncIterator]();
  const early: Buffer[] = [];
  let bytes = 0;
  let done = false;
  try {
    while (bytes <= COPY_HEADER_BYTES) {
      const next = await it.next();
      if (next.done) {
        done = true;
        break;
      }
      early.push(next.value);
      bytes += next.value.length;
    }
  } catch (e) {
    await it.return?.();
    throw e;
  }
  return replay(early, done, it);
}

/** The chunks `primed` read, then the rest of `it` (at module level, as answer-body's headThenRest is). */
async function* replay(early: Buffer[], done: boolean, it: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* early;
    if (done) return;
    for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
  } finally {
    await it.return?.();
  }
}

/**
 * Below this many rows (the planner's estimate) no COPY path is taken: planning the text paths'
 * per-column number formatting costs tens of milliseconds (measured: 15-30 ms for 20 float
 * columns), and describing the columns for any of them is one more planning, more than the
 * generic writers take to write a small result (a cone's).
 */
export const COPY_PATHS_MIN_ROWS = 2000;

/** The oldest PostgreSQL whose planner runs the text fast paths' number formatting quickly. */
const TEXT_PATHS_MIN_VERSION = 160000;

/**
 * The whole answer document of `q` in the format of `writer`, streamed from a COPY, or null when
 * there is no fast path for that format or for the query's column types. Resolves once the first
 * row has arrived (errors before it are thrown, so the caller can still answer 400); options as
 * for openQuery, with the same cancellation. A COPY is taken for results the planner expects
 * to have at least `minRowsPlanned` rows. With `writeOptions`, a query declined once the
 * database was asked (too few rows planned, a column type without a rewrite) is written by
 * `writer` from its rows in the same transaction, and the answer is never null then.
 */
export async function fastDocumentStream(
  db: Database,
  q: PreparedQuery,
  writer: TableWriter,
  options: RunOptions,
  minRowsPlanned = COPY_PATHS_MIN_ROWS,
  writeOptions?: WriteOptions,
): Promise<AsyncIterable<Buffer> | null> {
  const kind = FAST_KINDS.get(writer) ?? null;
  if (kind === null || q.maxrec === 0) return null;
  // The text paths print numbers with per-value SQL that PostgreSQL 15 evaluates hundreds of
  // times slower than 16+ (measured: 50 s for 20,000 rows); there the generic writers are faster.
  const binary = BINARY_KINDS.has(kind);
  if (!binary && (await db.serverVersion()) < TEXT_PATHS_MIN_VERSION) return null;
  // With uploads the session is already set up (their tables loaded): declining now would load them twice.
  const minRows = options.session ? 0 : minRowsPlanned;
  // Too few rows for a COPY whatever the plan (TOP, MAXREC): not worth an EXPLAIN to learn it.
  if (q.rowLimit !== undefined && q.rowLimit < minRows) return null;
  const sql = inlineParams(q.sql, q.params);
  // The EXPLAIN goes in one message with the transaction's start: only a text that is one statement.
  if (sql === null || !isOneStatement(sql)) return null;
  const before = q.sqlBeforeLimit === undefined ? null : inlineParams(q.sqlBeforeLimit, q.params);
  const limited = before !== null && q.rowLimit !== undefined ? { sql: before, limit: q.rowLimit } : null;
  let plan: ReturnType<typeof binary2CopyPlan> = null;
  let fitsPlan: ReturnType<typeof fitsCopyPlan> = null;
  // The text formats: which fields of a line hold numbers as PostgreSQL prints them (lineCopySql joins them so).
  let numberFields: boolean[] | null = null;
  const build = (fields: ResultField[]): string | null => {
    if (kind === 'binary2') {
      plan = binary2CopyPlan(sql, q.columns, fields);
      return plan?.copySql ?? null;
    }
    if (kind === 'fits') {
      fitsPlan = fitsCopyPlan(sql, q.columns, fields);
      return fitsPlan?.copySql ?? null;
    }
    numberFields = lineNumberFields(q.columns, fields);
    return lineCopySql(kind, sql, q.columns, fields, limited ?? undefined);
  };
  const out = await db.copyOutReadOnly(
    sql,
    build,
    {
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      batchSize: options.batchSize,
      viewer: options.viewer,
      baseUrl: options.baseUrl,
      session: options.session,
      catalogVersion: options.catalogVersion,
      genericPlan: q.genericPlan,
      // Declined to rows, a text format's writer copies PostgreSQL's text of floats (the binary ones need the numbers).
      floatsAsText: !binary,
    },
    { asRows: writeOptions !== undefined, minRows, shape: queryShape(q.adql, options.viewer) },
  );
  if (out === null) return null;
  // Declined after the database was asked: the generic writer over the rows of the same transaction.
  if (out.rows) {
    const doc = await queryDocument(q, out.rows, options);
    const fields = out.rows.fields();
    const floatsAsText = binary ? undefined : q.columns.map((_, i) => fields[i]?.dataTypeID === PG_OID.float4 || fields[i]?.dataTypeID === PG_OID.float8);
    return writer.write({ ...doc, floatsAsText }, writeOptions);
  }
  const bytes = await primed(out.copy);
  if (kind === 'csv' || kind === 'tsv') return textDocument(kind, q.columns, bytes, q.maxrec, numberFields);
  if (kind === 'json') return jsonDocument(q.columns, bytes, q.maxrec, numberFields);
  const info = { query: q.adql, lang: 'ADQL', requestDate: options.requestDate.toISOString() };
  if (kind === 'tabledata') return tabledataDocument({ columns: q.columns, info }, bytes, q.maxrec, numberFields);
  if (kind === 'fits') return fitsDocument({ columns: q.columns, info }, fitsPlan!.plans, bytes, q.maxrec, writeOptions?.tmpDir);
  return binary2Document({ columns: q.columns, info }, plan!.plans, bytes, q.maxrec);
}

/**
 * A query's shape, as its caller asks it: its ADQL with every number (and its sign) as `#`, so
 * that cones at other centres (whose translations differ in every HEALPix range) are one shape.
 * Only a guess of the size of the result hangs on it (Database.smallShapes), never the answer;
 * per caller, so one user's queries never change the path (nor the timing) of another's.
 */
export function queryShape(adql: string, viewer: string | null): string {
  return `${viewer ?? ''}\u0000${adql.replace(/-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/g, '#')}`;
}

/**
 * The answer document of `q` in the format of `writer`: the fast path where there is one, else
 * openQuery and the writer. Resolves once the first rows have arrived, as openQuery does.
 */
export async function resultStream(db: Database, q: PreparedQuery, writer: TableWriter, options: RunOptions, writeOptions: WriteOptions = {}): Promise<AsyncIterable<Buffer>> {
  return (await fastDocumentStream(db, q, writer, options, COPY_PATHS_MIN_ROWS, writeOptions)) ?? writer.write(await openQuery(db, q, options), writeOptions);
}
