/**
 * Running a TAP query into a sink: the one sequence behind sync answers and async jobs. The
 * uploads are opened, the catalog is the caller's with them, the ADQL is prepared, and the answer
 * document comes as a byte stream in the requested format; the caller writes it wherever it goes
 * (an HTTP response, a job's result file).
 * Endpoint ids (M1-M13, DB1-DB3, I1-I12): docs/endpoints.md.
 */
import type { Config, Limits } from '../config.js';
import type { Database } from '../storage/database.js';
import type { CatalogCache, VersionedCatalog } from '../catalog/query-catalog.js';
import { CatalogMovedError } from '../errors.js';
import type { ResolvedFormat } from '../formats/output-formats.js';
import type { RequestParams } from '../params/request-params.js';
import { tapQueryParameters, type TapQueryParameters } from './tap-parameters.js';
import { prepareQuery, type PreparedQuery } from './prepared-query.js';
import { resultStream } from './result-stream.js';
import { openUploads, parseUploadParam, type OpenedUploads, type UploadRequest, type UploadSpool } from './uploads.js';
import { scratchRoot } from '../system/scratch.js';

/** What TAP queries run over; one of each per server (Services has them all). */
export interface TapQueryServices {
  config: Config;
  db: Database;
  /** The tables each caller may query, shared by sync queries, jobs and DB3. */
  catalogs: CatalogCache;
}

/** A TAP query as its request or job gives it: the TAP parameters and the tables it uploads. */
export interface TapQuery {
  tap: TapQueryParameters;
  uploads: UploadRequest[];
}

/** One run of a query: who asks, where its uploaded parts are, and how long it may take. */
export interface TapQueryRun {
  /** The parts the uploads name: spooled from the request, or a job's files. */
  spool: UploadSpool;
  /** The caller (null: anonymous): the query sees only what they may see. */
  viewer: string | null;
  /** The base URL of the request, or the one a job recorded at submission (ivoa.obscore.access_url). */
  baseUrl?: string | null;
  signal: AbortSignal;
  timeoutMs: number;
  requestDate: Date;
}

/** A running query's answer: its format (and Content-Type) and the document's bytes. */
export interface TapQueryAnswer {
  format: ResolvedFormat;
  body: AsyncIterable<Buffer>;
}

/** Read a TAP query from its parameters (UPLOAD included); throws 400-class errors. */
export function readTapQuery(params: RequestParams, limits: Limits, accept?: string): TapQuery {
  const tap = tapQueryParameters(params, limits, accept);
  return { tap, uploads: parseUploadParam(params.all('upload'), limits.uploadUrls) };
}

/** The query prepared against the caller's catalog with the uploads' tables. */
function prepareWith(entry: VersionedCatalog, query: TapQuery, uploads: OpenedUploads): PreparedQuery {
  return prepareQuery(entry.catalog.withTables(uploads.tables), query.tap.query, query.tap.maxrec);
}

/**
 * Check a query as far as can be without running it (uploads read, ADQL validated against the
 * caller's tables) and answer the format it would come in: HEAD.
 */
export async function checkTapQuery(services: TapQueryServices, query: TapQuery, run: TapQueryRun): Promise<ResolvedFormat> {
  const uploads = await openUploads(query.uploads, run.spool, services.config.limits, run.signal);
  prepareWith(await services.catalogs.current({ user: run.viewer }), query, uploads);
  return query.tap.format;
}

/** How often a query is checked again when the catalog moves on under it before the caller is told to retry. */
const CATALOG_ATTEMPTS = 3;

/**
 * Run a query. Resolves once the first rows have arrived, so a query that fails at once fails
 * here, before any byte; `run.signal` cancels it, and a body not read to its end frees the
 * database by itself (see resultStream). The query is checked against the cached catalog and
 * the database confirms its version in the query's own transaction, before any row (no round
 * trip of its own; a prepared cone checks it inside its plan); when it has moved on, or the
 * cached one refuses the query, the current one decides.
 */
export async function runTapQuery(services: TapQueryServices, query: TapQuery, run: TapQueryRun): Promise<TapQueryAnswer> {
  const uploads = await openUploads(query.uploads, run.spool, services.config.limits, run.signal);
  const viewer = { user: run.viewer };
  let entry = await services.catalogs.cached(viewer);
  for (let attempt = 1; ; attempt++) {
    let prepared: PreparedQuery;
    try {
      prepared = prepareWith(entry, query, uploads);
    } catch (e) {
      // A table created since the catalog was cached: only the current catalog may refuse.
      if (entry.checked) throw e;
      entry = await services.catalogs.current(viewer);
      continue;
    }
    try {
      const body = await resultStream(services.db, prepared, query.tap.format.format.writer, {
        signal: run.signal,
        timeoutMs: run.timeoutMs,
        requestDate: run.requestDate,
        viewer: run.viewer,
        baseUrl: run.baseUrl,
        session: uploads.tables.length ? uploads.session : undefined,
        catalogVersion: entry.version,
      }, { tmpDir: scratchRoot(services.config.dataDir) });
      return { format: query.tap.format, body };
    } catch (e) {
      if (!(e instanceof CatalogMovedError) || attempt >= CATALOG_ATTEMPTS) throw e;
      entry = await services.catalogs.current(viewer);
    }
  }
}
