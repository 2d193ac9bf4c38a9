/**
 * One storage module for the embedded and an external PostgreSQL alike: parameterised
 * queries, transactions, and streaming read-only queries (rows or COPY) that can be cancelled.
 */
import pg from 'pg';
import { PacedQuery } from './paced-query.js';
import { BadRequestError, CatalogMovedError, QueryCancelledError, ShardUnavailableError, UnavailableError, VodaxError } from '../errors.js';
import { CopyOut } from './copy-out.js';
import { sendCancelRequest } from './cancel-request.js';
import { SmallShapes } from './small-shapes.js';
import { GenericPlans, parameterized, withCatalogCheck } from './generic-plans.js';
import { PG_OID } from '../formats/copy/column-sql.js';

// BIGINT comes back as bigint: exact, where the pg default gives strings.
const INT8_OID = 20;
const TIMESTAMP_OID = 1114;
const TIMESTAMPTZ_OID = 1184;
const bigintTypes = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID && format !== 'binary' ? (v: string) => BigInt(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};
// User queries: timestamps as DALI strings (ISO 8601, no zone), never as local-time Dates.
const userTypes = {
  getTypeParser: ((oid: number, format?: string) => {
    if (format !== 'binary') {
      if (oid === TIMESTAMP_OID) return (v: string) => v.replace(' ', 'T');
      if (oid === TIMESTAMPTZ_OID) return (v: string) => new Date(v).toISOString().replace(/Z$/, '');
    }
    return bigintTypes.getTypeParser(oid, format as 'text');
  }) as typeof pg.types.getTypeParser,
};
const keepText = (v: string) => v;
// User queries whose rows go to a text writer: real and double precision as PostgreSQL's text (StreamOptions.floatsAsText).
const userTypesFloatText = {
  getTypeParser: ((oid: number, format?: string) =>
    (oid === PG_OID.float4 || oid === PG_OID.float8) && format !== 'binary' ? keepText : userTypes.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** How a user query's values are parsed. */
function rowTypes(options: StreamOptions): typeof userTypes {
  return options.floatsAsText ? userTypesFloatText : userTypes;
}

/** Options for a streaming user query. */
export interface StreamOptions {
  /** Rows per batch handed to the consumer. */
  batchSize?: number;
  /** Statement timeout in milliseconds (0: none). */
  timeoutMs?: number;
  /** Aborting cancels the query in the database. */
  signal?: AbortSignal;
  /** The caller, for the views that show TAP_SCHEMA as they may see it (null: anonymous). */
  viewer?: string | null;
  /** The base URL of the request (or PUBLIC_URL): ivoa.obscore builds its access_url from it. */
  baseUrl?: string | null;
  /**
   * The catalog version (CATALOG_VERSION_SQL) the query was checked against: when the
   * database's has moved on, nothing runs and CatalogMovedError is thrown.
   */
  catalogVersion?: string;
  /**
   * Rows of real and double precision columns hold PostgreSQL's text of those values, not
   * numbers (see TableDocument.floatsAsText): for a text writer, which then need not parse and
   * format them again.
   */
  floatsAsText?: boolean;
  /**
   * The texts of the query's cones in `sql` (PreparedQuery.genericPlan): when it runs in one
   * message, it runs as a statement prepared on the connection, its cones' numbers as parameters,
   * with a generic plan (see generic-plans.ts).
   */
  genericPlan?: readonly string[];
  /**
   * Work on the same connection around the query: `setup` before the read-only transaction
   * (e.g. temporary tables of uploads), `cleanup` after it, whatever happened.
   */
  session?: {
    setup(client: pg.PoolClient): Promise<void>;
    cleanup(client: pg.PoolClient): Promise<void>;
  };
}

/** Column description of a streamed result, as PostgreSQL reports it. */
export interface ResultField {
  name: string;
  dataTypeID: number;
}

/** A streamed result: fields are known once the first batch (possibly empty) has arrived. */
export interface RowStream extends AsyncIterable<unknown[][]> {
  fields(): ResultField[];
}

/** The raw bytes of a COPY ... TO STDOUT, with the columns of the query it copies. */
export interface CopyOutStream extends AsyncIterable<Buffer> {
  fields: ResultField[];
}

/** What copyOutReadOnly's generator found: the path taken, and the columns once described. */
interface CopyOutState {
  fields: ResultField[];
  mode: 'copy' | 'rows' | 'declined';
  /** The query whose rows are answered (mode 'rows'): its columns, once described, unless EXPLAIN's describe gave them. */
  rows: PacedQuery | null;
}

/** What copyOutReadOnly answers: the COPY's bytes, or the query's own rows when it declined the COPY. */
export type ReadOnlyOutput = { copy: CopyOutStream; rows?: undefined } | { rows: RowStream; copy?: undefined };


/** Settings of a pool's sessions. */
export interface DatabaseOptions {
  /** Names every connection in pg_stat_activity (vodax: after its process). */
  applicationName?: string;
  /**
   * Session-wide backstops, never the mechanism: every path releases its connection itself, and
   * read-only queries set their own statement timeout. These end what a bug would leave behind.
   */
  idleInTransactionTimeoutMs?: number;
  statementTimeoutMs?: number;
}

/** A PostgreSQL connection pool with the operations vodax needs. */
export class Database {
  readonly pool: pg.Pool;
  /** How the pool's sessions connect: for a session of its own outside the pool (LISTEN). */
  readonly sessionConfig: pg.ClientConfig;
  /** The shapes of queries whose last result was too small for a COPY (copyOutReadOnly). */
  readonly smallShapes = new SmallShapes();
  /** The statements of cones prepared on each connection (generic-plans.ts). */
  readonly genericPlans = new GenericPlans();

  /** `applicationName` names every connection in pg_stat_activity (vodax: after its process). */
  constructor(url: string, poolSize: number, options: DatabaseOptions = {}) {
    this.sessionConfig = {
      connectionString: url,
      connectionTimeoutMillis: 10_000,
      types: bigintTypes,
      // The aggregates of a sharded table run per partition (adql/sharded-aggregate.ts): with
      // exclusion on, the planner drops the partitions whose HEALPix bounds a cone cannot meet.
      options: '-c constraint_exclusion=on',
      ...(options.applicationName ? { application_name: options.applicationName } : {}),
    };
    this.pool = new pg.Pool({
      ...this.sessionConfig,
      max: poolSize,
      idleTimeoutMillis: 30_000,
      ...(options.idleInTransactionTimeoutMs ? { idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs } : {}),
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    });
    // An idle client erroring (server restart) must not crash the process.
    this.pool.on('error', () => {});
  }

  /**
   * Run one parameterised statement and return its rows as objects. With `options.name` the
   * statement is prepared once per connection under that name and then only bound and run
   * (PostgreSQL parses and plans it once): for the statements every request of a kind runs.
   * One name, one SQL text; a prepared statement's columns must be named, not `*` (a column
   * added to the table would otherwise fail it with "cached plan must not change result type").
   */
  async query<T extends Record<string, unknown> = Record<string, unknown>>(sql: string, params: unknown[] = [], options: { name?: string } = {}): Promise<T[]> {
    try {
      const res = options.name ? await this.pool.query<T>({ name: options.name, text: sql, values: params }) : await this.pool.query<T>(sql, params);
      return res.rows;
    } catch (e) {
      throw mapPgError(e);
    }
  }

  /** Run `fn` inside a transaction on one connection; roll back on any error. */
  async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw mapPgError(e);
    } finally {
      client.release();
    }
  }

  /**
   * A pooled connection; the caller must release it (releasing twice is harmless). While it is
   * out, an error of its connection (the server shutting down, 57P01) is kept for the release,
   * which then discards the connection: pg gives a checked-out client no 'error' listener, and
   * an unheard 'error' event would end the process.
   */
  async connect(): Promise<pg.PoolClient> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw new UnavailableError(`database unreachable: ${(e as Error).message}`, 5);
    }
    let failure: Error | undefined;
    const onError = (e: Error) => {
      failure ??= e;
    };
    client.on('error', onError);
    const release = client.release.bind(client);
    let released = false;
    this.checkedOut.add(client);
    client.release = (err?: Error | boolean) => {
      if (released) return;
      released = true;
      this.checkedOut.delete(client);
      client.removeListener('error', onError);
      release(err ?? failure);
    };
    return client;
  }

  /** Connections handed out and not yet released (closed by force when the pool closes). */
  private readonly checkedOut = new Set<pg.PoolClient>();

  /**
   * Stream a read-only query in batches of array rows, under a statement timeout, with
   * memory bounded by a few batches (see PacedQuery). Aborting `signal`, and stopping the
   * iteration early, cancel it in the database.
   */
  streamReadOnly(sql: string, params: unknown[], options: StreamOptions = {}): RowStream {
    const described = { fields: [] as ResultField[] };
    const gen = this.readOnlyRows(sql, params, options, described);
    releaseOnAbort(gen, options.signal);
    return {
      fields: () => described.fields,
      [Symbol.asyncIterator]: () => gen,
    };
  }

  /**
   * streamReadOnly's rows; the result's columns go to `described` once known. A method, not a
   * generator function made per call: V8 gives each such function (as any function whose
   * objects are made with `new`) a map of its own, in the old generation, which young-generation
   * collections treat as alive, and through it the function's scope, the whole query, survives
   * them (measured: 2 MB promoted per scavenge, about 50 µs of GC per cone).
   */
  private async *readOnlyRows(sql: string, params: unknown[], options: StreamOptions, described: { fields: ResultField[] }): AsyncGenerator<unknown[][]> {
    const batchSize = options.batchSize ?? 2000;
    const oneMessage = !options.session && params.length === 0 && isOneStatement(sql);
    const client = await this.connect();
    let query: PacedQuery | null = null;
    let prepared: string | null = null;
    let completed = false;
    let broken: Error | null = null;
    let setUp = false;
    const cancel = this.cancellation(client);
    const onAbort = () => cancel.start();
    try {
      options.signal?.throwIfAborted();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.session) {
        setUp = true;
        await options.session.setup(client);
        options.signal?.throwIfAborted();
      }
      if (oneMessage) {
        // The transaction, the query and its end in one message: one round trip.
        ({ query, prepared } = await oneMessageQuery(client, sql, options, this.genericPlans));
      } else {
        await client.query(beginReadOnly(client, options));
        // A cancel sent between two statements finds nothing to cancel: look before each one.
        options.signal?.throwIfAborted();
        query = new PacedQuery(client, sql, params, batchSize, rowTypes(options));
      }
      for (let rows = await query.next(); rows !== null; rows = await query.next()) {
        if (described.fields.length === 0) described.fields = query.fields();
        yield rows;
      }
      if (described.fields.length === 0) described.fields = query.fields();
      completed = true;
    } catch (e) {
      broken = e instanceof Error && !('code' in e) ? e : null;
      throw this.queryFailure(client, prepared, e, options);
    } finally {
      // Consumer gone before the end: cancel the rest and read on until the backend stops sending.
      if (query && !query.over) {
        cancel.start();
        await query.drain();
      }
      options.signal?.removeEventListener('abort', onAbort);
      await cancel.stop();
      // Run to its end in one message, the transaction is over (its ROLLBACK ran too).
      if (oneMessage && completed) client.release();
      else await endTransaction(endReadOnly(client, options, setUp, broken), completed);
    }
  }

  /**
   * COPY out of a read-only query, in the transaction, timeout, viewer and session that
   * streamReadOnly uses. The planner's estimate of the rows of `sql` (parameters inlined) comes
   * in the same round trip as the transaction's start; below `minRows` the COPY is declined at
   * once. Otherwise `build` turns the result columns of `sql` (described in that round trip too
   * when `minRows` is 0, else in one more: a small result is not planned a third time) into the
   * COPY statement to run, or null to decline. Declined, the answer is null, or with
   * `declinedAsRows` the rows of `sql` itself, run in the same transaction (no second
   * transaction for a small result). Resolves once the first bytes or rows (or the end) have
   * arrived, so a query that fails at once fails here. Aborting `signal`, and stopping the
   * iteration early, cancel the query in the database. With `shape`, a query declined for too
   * few planned rows is remembered by it (smallShapes): the next of that shape runs as rows at
   * once, in one message with its transaction, without asking the planner.
   */
  async copyOutReadOnly(
    sql: string,
    build: (fields: ResultField[]) => string | null,
    options: StreamOptions = {},
    decline: { asRows?: boolean; minRows?: number; shape?: string } = {},
  ): Promise<ReadOnlyOutput | null> {
    const declinedAsRows = decline.asRows ?? false;
    const minRows = decline.minRows ?? 0;
    const shape = declinedAsRows && minRows > 0 && !options.session ? decline.shape : undefined;
    const state: CopyOutState = { fields: [], mode: 'copy', rows: null };
    const gen = this.readOnlyCopy(sql, build, options, { declinedAsRows, minRows, shape }, state);
    releaseOnAbort(gen, options.signal);
    const first = await gen.next();
    if (state.mode === 'declined') return null;
    if (options.signal?.aborted) {
      // The client left while the first bytes came (a small result can finish before the cancel).
      await gen.return(undefined);
      throw new QueryCancelledError('query cancelled');
    }
    // Not a generator: return() must release the connection even before the first next().
    let held: IteratorResult<Buffer | unknown[][]> | null = first;
    const it: AsyncIterableIterator<Buffer | unknown[][]> = {
      next: async () => {
        const r = held;
        held = null;
        return r ?? gen.next();
      },
      return: async () => {
        held = null;
        await gen.return(undefined);
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => it,
    };
    const rowFields = () => (state.fields.length > 0 || state.rows === null ? state.fields : state.rows.fields());
    if (state.mode === 'rows') return { rows: { fields: rowFields, [Symbol.asyncIterator]: () => it as AsyncIterableIterator<unknown[][]> } };
    return { copy: { fields: state.fields, [Symbol.asyncIterator]: () => it as AsyncIterableIterator<Buffer> } };
  }

  /** copyOutReadOnly's bytes or rows, the path taken going to `state` (a method, for the reason readOnlyRows is one). */
  private async *readOnlyCopy(
    sql: string,
    build: (fields: ResultField[]) => string | null,
    options: StreamOptions,
    decline: { declinedAsRows: boolean; minRows: number; shape: string | undefined },
    state: CopyOutState,
  ): AsyncGenerator<Buffer | unknown[][]> {
    const { declinedAsRows, minRows, shape } = decline;
    const client = await this.connect();
    let broken: Error | null = null;
    let setUp = false;
    let copy: CopyOut | null = null;
    let finished = false;
    let completed = false;
    /** The transaction ended by the query's own message. */
    let ended = false;
    let rows: PacedQuery | null = null;
    let prepared: string | null = null;
    const cancel = this.cancellation(client);
    const onAbort = () => cancel.start();
    try {
      options.signal?.throwIfAborted();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.session) {
        setUp = true;
        await options.session.setup(client);
        options.signal?.throwIfAborted();
      }
      if (shape !== undefined && this.smallShapes.has(shape)) {
        state.mode = 'rows';
        ({ query: rows, prepared } = await oneMessageQuery(client, sql, options, this.genericPlans));
        state.rows = rows;
        let count = 0;
        for (let batch = await rows.next(); batch !== null; batch = await rows.next()) {
          count += batch.length;
          if (count >= minRows) this.smallShapes.forget(shape);
          yield batch;
        }
        finished = completed = ended = true;
        return;
      }
      // The planner's row estimate (and, without a minimum, the result's columns) come in the same round trip as the transaction's start.
      const describe = `SELECT * FROM (${sql}) AS q LIMIT 0`;
      const head = `${beginReadOnly(client, options)}; ${minRows > 0 ? '' : `${describe}; `}EXPLAIN (FORMAT JSON) ${sql}`;
      const results = (await client.query(head)) as unknown as pg.QueryResult[];
      const plan = results[results.length - 1].rows[0]?.['QUERY PLAN'] as Array<{ Plan?: { 'Plan Rows'?: number } }> | undefined;
      let statement: string | null = null;
      const planned = Number(plan?.[0]?.Plan?.['Plan Rows'] ?? Infinity);
      if (planned < minRows && shape !== undefined) this.smallShapes.remember(shape);
      if (planned >= minRows) {
        const described = minRows > 0 ? await client.query(describe) : results[results.length - 2];
        state.fields = described.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID }));
        statement = build(state.fields);
      }
      if (statement === null && !declinedAsRows) {
        state.mode = 'declined';
        finished = true;
        return;
      }
      // A cancel sent between two statements finds nothing to cancel: look before each one.
      options.signal?.throwIfAborted();
      if (statement === null) {
        state.mode = 'rows';
        // The transaction's end in the same message as the query when that can be (one round trip less).
        const withEnd = !setUp && isOneStatement(sql);
        rows = state.rows = withEnd
          ? new PacedQuery(client, `${sql}; ROLLBACK`, [], options.batchSize ?? 2000, rowTypes(options), 2, { skip: 0 })
          : new PacedQuery(client, sql, [], options.batchSize ?? 2000, rowTypes(options));
        for (let batch = await rows.next(); batch !== null; batch = await rows.next()) yield batch;
        finished = completed = true;
        ended = withEnd;
        return;
      }
      copy = client.query(new CopyOut(statement));
      // Errors reach the iteration below; this keeps one arriving between two reads from being uncaught.
      copy.on('error', () => {});
      // Not destroyed when the consumer stops: the connection is still in COPY mode until cancelled.
      for await (const chunk of copy.iterator({ destroyOnReturn: false })) yield chunk as Buffer;
      finished = completed = true;
    } catch (e) {
      finished = true;
      broken = e instanceof Error && !('code' in e) ? e : null;
      throw this.queryFailure(client, prepared, e, options);
    } finally {
      if (!finished) {
        // Consumer gone mid-answer: cancel the query and read on until the backend stops sending.
        const rest = copy;
        const drained = rest
          ? (async () => {
              for await (const _ of rest.iterator({ destroyOnReturn: false })) void _;
            })().catch(() => {
              /* the cancellation itself */
            })
          : rows?.drain();
        if (rest || (rows && !rows.over)) cancel.start();
        await drained;
      }
      options.signal?.removeEventListener('abort', onAbort);
      await cancel.stop();
      if (ended) client.release();
      else await endTransaction(endReadOnly(client, options, setUp, broken), completed);
    }
  }

  /**
   * What a read-only query's failure `e` is thrown as; the statement of its generic plan (the text
   * `prepared`), when it had one, hears of it first. That statement checks the catalog version
   * inside its plan, which PostgreSQL reaches only once the plan is valid: a table or column of the
   * catalog it was written for that is gone, or has changed its type, means the catalog moved on
   * under it, as the check would have said (the caller checks the query again).
   */
  private queryFailure(client: pg.PoolClient, prepared: string | null, e: unknown, options: StreamOptions): unknown {
    const code = (e as { code?: unknown }).code;
    if (prepared !== null) this.genericPlans.failed(connectionOf(client), prepared, code);
    if (options.signal?.aborted) return new QueryCancelledError('query cancelled');
    if (prepared !== null && options.catalogVersion !== undefined && STALE_PLAN_CODES.has(code as string)) return new CatalogMovedError();
    return mapPgError(e);
  }

  /**
   * Cancelling what `client`'s backend runs, once started, until stopped. One cancel is not
   * enough: PostgreSQL drops one that arrives while it parses or plans a statement sent in
   * several protocol messages (a cursor's, a COPY's), when it next reads a message; so the cancel
   * is sent again, at growing intervals, until the statement is over. stop() waits for the
   * cancel in flight, so none reaches the statements that follow (ROLLBACK).
   */
  cancellation(client: pg.PoolClient): { start(): void; stop(): Promise<void> } {
    let running: Promise<void> | null = null;
    let stopped = false;
    let wake: () => void = () => {};
    const loop = async () => {
      for (let wait = 10; !stopped; wait = Math.min(wait * 2, 500)) {
        await this.cancelBackend(client);
        if (stopped) break;
        await new Promise<void>((r) => {
          const timer = setTimeout(r, wait);
          wake = () => {
            clearTimeout(timer);
            r();
          };
        });
      }
    };
    return {
      start: () => {
        if (!running && !stopped) running = loop();
      },
      stop: async () => {
        stopped = true;
        wake();
        await running;
      },
    };
  }

  /**
   * Ask PostgreSQL to cancel whatever this client's backend is running: a CancelRequest of its
   * own, not a query of the pool, which waited for a connection when the queries to cancel held
   * them all, and failed once the pool was closing (the backend then ran on after vodax stopped).
   */
  async cancelBackend(client: pg.PoolClient): Promise<void> {
    const c = client as unknown as { processID?: number; secretKey?: number; host: string; port: number };
    if (!c.processID || c.secretKey === undefined) return;
    await sendCancelRequest({ host: c.host, port: c.port }, c.processID, c.secretKey);
  }

  /** PostgreSQL's server_version_num (e.g. 170010), asked once per pool. */
  serverVersion(): Promise<number> {
    this.version ??= this.query<{ v: string }>("SELECT current_setting('server_version_num') AS v").then(
      ([r]) => Number(r!.v),
      (e: unknown) => {
        this.version = undefined;
        throw e;
      },
    );
    return this.version;
  }

  private version: Promise<number> | undefined;

  /** True when the database answers a trivial query. */
  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Close every connection: idle ones at once, those still out after `graceMs` by force (a
   * request that never released its connection must not hold a stopping server).
   */
  async close(graceMs = 2000): Promise<{ forced: number }> {
    const ended = this.pool.end();
    let forced = 0;
    const force = setTimeout(() => {
      for (const client of this.checkedOut) {
        forced++;
        client.release(new Error('the database pool is closing'));
      }
    }, graceMs);
    try {
      await ended;
    } finally {
      clearTimeout(force);
    }
    return { forced };
  }
}

/**
 * When `signal` aborts, end the generator: a suspended one runs its `finally` at once (its
 * connection is released even if its consumer never asks for another value), a running one as
 * soon as its current step is over. The consumer's own return() is then a no-op.
 */
function releaseOnAbort(gen: AsyncGenerator<unknown>, signal: AbortSignal | undefined): void {
  if (!signal) return;
  const end = () => void gen.return(undefined).catch(() => {});
  if (signal.aborted) end();
  else signal.addEventListener('abort', end, { once: true });
}

/**
 * True when `sql` is certainly one statement: no semicolon outside its quoted names and string
 * literals, and none of what this scan does not follow (comments, dollar quoting, backslash
 * escapes). Only such a text is sent in a message with other statements, where a second
 * statement in it would run (a COMMIT would end the read-only transaction).
 */
export function isOneStatement(sql: string): boolean {
  if (sql.includes('\\')) return false;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      // To the closing quote; a doubled one stays inside.
      let k = sql.indexOf(c, i + 1);
      while (k >= 0 && sql[k + 1] === c) k = sql.indexOf(c, k + 2);
      if (k < 0) return false;
      i = k;
    } else if (c === ';' || c === '$' || (c === '-' && sql[i + 1] === '-') || (c === '/' && sql[i + 1] === '*')) {
      return false;
    }
  }
  return true;
}

/**
 * The statements that open a read-only transaction with its timeout, viewer and base URL (SETs:
 * nothing to plan, no row to send), then the check of the catalog version unless the query makes
 * it itself (`checkedByQuery`): the one row they return, when there is one.
 */
function beginReadOnly(client: pg.PoolClient, options: StreamOptions, checkedByQuery = false): string {
  const timeout = Math.max(0, Math.floor(options.timeoutMs ?? 0));
  const sets =
    `BEGIN TRANSACTION READ ONLY; SET LOCAL statement_timeout = ${timeout}; ` +
    `SET LOCAL vodax.viewer = ${client.escapeLiteral(options.viewer ?? '')}; SET LOCAL vodax.base_url = ${client.escapeLiteral(options.baseUrl ?? '')}`;
  if (options.catalogVersion === undefined || checkedByQuery) return sets;
  return `${sets}; SELECT vodax.expect_catalog_version(${client.escapeLiteral(options.catalogVersion)})`;
}

/** The protocol connection of a pooled client: what its prepared statements belong to, whatever wraps the client. */
function connectionOf(client: pg.PoolClient): object {
  return (client as unknown as { connection?: object }).connection ?? client;
}

/**
 * A read-only query (one statement) with its transaction and the transaction's end in one
 * message: one round trip. A query with cones a generic plan serves (options.genericPlan) is
 * EXECUTEd as a statement of `plans` (prepared first, in a round trip of its own, when new on
 * this connection), which checks the catalog version itself; `prepared` is its text then, for
 * GenericPlans.failed.
 */
async function oneMessageQuery(client: pg.PoolClient, sql: string, options: StreamOptions, plans: GenericPlans): Promise<{ query: PacedQuery; prepared: string | null }> {
  const batchSize = options.batchSize ?? 2000;
  const p = options.genericPlan && !options.session ? parameterized(sql, options.genericPlan) : null;
  if (p === null) {
    // The rows are those of the statement after the version check's, when there is one.
    const text = `${beginReadOnly(client, options)}; ${sql}; ROLLBACK`;
    return { query: new PacedQuery(client, text, [], batchSize, rowTypes(options), 2, { skip: options.catalogVersion === undefined ? 0 : 1 }), prepared: null };
  }
  const statement = options.catalogVersion === undefined ? p : withCatalogCheck(p, client.escapeLiteral(options.catalogVersion));
  const name = await plans.statement(connectionOf(client), statement.text, (text) => client.query(text));
  // A cancel sent between two statements finds nothing to cancel: look before the next.
  options.signal?.throwIfAborted();
  // No parallel workers: the generic plan's row estimate is the default selectivity of its ranges
  // (thousands of rows), for which PostgreSQL would start workers for a cone's few (5 ms, measured).
  const text =
    `${beginReadOnly(client, options, true)}; SET LOCAL plan_cache_mode = force_generic_plan; SET LOCAL max_parallel_workers_per_gather = 0; ` +
    `EXECUTE ${name}(${statement.args.join(', ')}); ROLLBACK`;
  return { query: new PacedQuery(client, text, [], batchSize, rowTypes(options), 2, { skip: 0 }), prepared: statement.text };
}

/**
 * Errors of a prepared statement re-planned after what it names changed: undefined_table,
 * undefined_column, and feature_not_supported (its columns' types changed: "cached plan must not
 * change result type").
 */
const STALE_PLAN_CODES: ReadonlySet<string> = new Set(['42P01', '42703', '0A000']);

/** The catalog version: it moves on with every committed change to what queries may see (migrations 9, 14 and 15). */
export const CATALOG_VERSION_SQL = 'SELECT vodax.catalog_version() AS v';

/**
 * Wait for a read-only transaction's end, unless its query ran to the end: then the answer's
 * last bytes need not wait a round trip for the ROLLBACK (the connection stays out of the pool
 * until it is done, and endReadOnly never throws).
 */
async function endTransaction(ending: Promise<void>, completed: boolean): Promise<void> {
  if (!completed) await ending;
}

/**
 * End a read-only query's use of its connection: ROLLBACK (read-only, so no COMMIT is needed),
 * the session's cleanup, and release — destroying a connection left in an unknown state.
 */
async function endReadOnly(client: pg.PoolClient, options: StreamOptions, setUp: boolean, broken: Error | null): Promise<void> {
  await client.query('ROLLBACK').catch((e: Error) => {
    broken ??= e;
  });
  if (setUp) {
    await options.session!.cleanup(client).catch((e: Error) => {
      broken ??= e;
    });
  }
  client.release(broken ?? undefined);
}

/** Turn PostgreSQL errors that mean "cancelled" or "down" into vodax errors; keep others. */
export function mapPgError(e: unknown): unknown {
  if (e instanceof VodaxError) return e;
  const err = e as { code?: string; message?: string };
  // 08001 from postgres_fdw: a shard of a sharded table is down (named, without its address).
  if (err?.code === '08001') {
    const shard = ShardUnavailableError.fromFdw(err.message);
    if (shard) return shard;
  }
  if (err?.code === 'VXCAT') return new CatalogMovedError();
  if (err?.code === '57014') return new QueryCancelledError(`query cancelled: ${err.message ?? 'timeout'}`);
  if (err?.code === '57P01' || err?.code === 'ECONNREFUSED' || err?.code === '08006') {
    return new UnavailableError(`database unavailable: ${err.message ?? err.code}`, 5);
  }
  // Data exceptions (division by zero, bad casts, out of range) are the query's fault, not ours.
  if (typeof err?.code === 'string' && err.code.startsWith('22')) return new BadRequestError(`the query failed: ${err.message}`);
  return e;
}
