/**
 * Writes tables into PostgreSQL and describes them in TAP_SCHEMA, in the caller's transaction:
 * CREATE TABLE, COPY FROM STDIN (binary unless a column needs text; streaming, memory flat),
 * HEALPix index column, rows sorted by it, narrowed types, indexes.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pgTypeOf, qualified, quoteIdent } from '../catalog/pg-types.js';
import type { DatabaseSpec, ForeignKeySpec } from '../catalog/model.js';
import type { CellValue, ColumnMeta, TableMeta, TableSource } from '../formats/table-model.js';
import { BadRequestError, ConflictError, InputFileError } from '../errors.js';
import { MAX_COLUMNS, MAX_COLUMNS_TEXT, shown } from '../formats/input-checks.js';
import { UnstorableValueError } from './copy-field.js';
import { BinaryRowEncoder, binaryEncodable } from './copy-binary.js';
import { TextRowEncoder, type RowEncoder } from './row-encoder.js';

/** The hidden column holding the order-29 nested HEALPix index of a table's position. */
export const HPX_COLUMN = 'vodax_hpx';

/** Progress callback: rows written so far. */
export type Progress = (rows: number) => void;

const PG_NAME_LIMIT = 63;

/** Create the registry entry and schema of a database (in the caller's transaction). */
export async function createDatabase(client: pg.ClientBase, spec: Omit<DatabaseSpec, 'tables'>): Promise<void> {
  checkName(spec.name, 'database');
  await client.query(
    'INSERT INTO vodax.databases (name, level, owner, description, annotations) VALUES ($1, $2, $3, $4, $5)',
    [spec.name, spec.level, spec.owner, spec.description, JSON.stringify(spec.annotations)],
  );
  await client.query(`CREATE SCHEMA ${quoteIdent(spec.name)}`);
  const idx = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM "TAP_SCHEMA".schemas');
  await client.query('INSERT INTO "TAP_SCHEMA".schemas (schema_name, description, schema_index) VALUES ($1, $2, $3)', [
    spec.name,
    spec.description,
    idx.rows[0]!.n,
  ]);
}

/**
 * Create a table in `database`, stream its rows in with COPY, index it and describe it in
 * TAP_SCHEMA. A table with a position is stored in the order of its HEALPix index (as CLUSTER
 * would leave it, and marked so): a cone then reads a few pages, not a row per page. Columns a
 * reader inferred are stored in the narrowest types that hold their values (a CSV's magnitudes
 * of three decimals as real, small integers as smallint).
 */
export async function loadTable(
  client: pg.ClientBase,
  database: string,
  source: TableSource,
  onProgress?: Progress,
): Promise<number> {
  const target = qualified(database, source.meta.name);
  let rows: number;
  let meta: TableMeta;
  try {
    const sorted = Boolean(source.meta.position);
    if (sorted) {
      // The table is created only once its rows are sorted: a taken name is refused before loading.
      const taken = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [target]);
      if (taken.rows[0]!.t !== null) throw duplicateTable();
    }
    const staging = sorted ? qualified(database, `vodax_load_${randomBytes(8).toString('hex')}`) : target;
    const filled = await createAndFill(client, staging, source, { temporary: false, unlogged: sorted }, onProgress);
    rows = filled.rows;
    // Every row has been read: a reader that inferred the types knows the narrowest ones now.
    const columns = source.narrowestColumns?.() ?? source.meta.columns;
    meta = { ...source.meta, columns };
    if (sorted) await writeSorted(client, staging, target, source.meta.columns, columns);
    else await narrowColumns(client, target, source.meta.columns, columns);
  } catch (e) {
    // duplicate_table: a name taken since the caller looked (or the caller did not look).
    if ((e as { code?: unknown }).code === '42P07') throw new ConflictError(`table ${database}.${source.meta.name} exists already`);
    throw e;
  }
  if (meta.primaryKey?.length) {
    await client.query(`ALTER TABLE ${target} ADD PRIMARY KEY (${meta.primaryKey.map(quoteIdent).join(', ')})`);
  }
  if (meta.position) {
    await client.query(`CREATE INDEX ON ${target} (${quoteIdent(HPX_COLUMN)})`);
    // Marked as the clustering index, so that a CLUSTER after later changes keeps the order.
    const index = await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
       WHERE i.indrelid = $1::regclass AND i.indnatts = 1 AND a.attname = $2 ORDER BY c.oid DESC LIMIT 1`,
      [target, HPX_COLUMN],
    );
    await client.query(`ALTER TABLE ${target} CLUSTER ON ${quoteIdent(index.rows[0]!.name)}`);
  }
  await client.query(`ANALYZE ${target}`);
  await describeTable(client, database, meta, rows);
  return rows;
}

/** PostgreSQL's duplicate_table error, for a name found taken before PostgreSQL says so. */
function duplicateTable(): Error {
  return Object.assign(new Error('duplicate table'), { code: '42P07' });
}

/** The columns whose type narrowed, with the PostgreSQL type each is now stored in. */
function narrowingCasts(wide: readonly ColumnMeta[], narrow: readonly ColumnMeta[]): { name: string; type: string }[] {
  return narrow.flatMap((c, i) => (c.datatype !== wide[i]!.datatype ? [{ name: c.name, type: pgTypeOf(c) }] : []));
}

/** Write the staged rows into `target` in HEALPix order, in their narrowest types, and drop the staging table. */
async function writeSorted(client: pg.ClientBase, staging: string, target: string, wide: readonly ColumnMeta[], narrow: readonly ColumnMeta[]): Promise<void> {
  const casts = new Map(narrowingCasts(wide, narrow).map((c) => [c.name, c.type]));
  const select = narrow.map((c) => (casts.has(c.name) ? `${quoteIdent(c.name)}::${casts.get(c.name)} AS ${quoteIdent(c.name)}` : quoteIdent(c.name)));
  // CREATE TABLE AS, not INSERT: PostgreSQL may read and sort with parallel workers for it. (More
  // work_mem than the default 4 MB was measured slower: 1e6 rows sort in 0.7 s with it, 0.9-1.0 s with 256 MB.)
  await client.query(`CREATE TABLE ${target} AS SELECT ${select.join(', ')}, ${quoteIdent(HPX_COLUMN)} FROM ${staging} ORDER BY ${quoteIdent(HPX_COLUMN)}`);
  await client.query(`DROP TABLE ${staging}`);
  const notNull = narrow.filter((c) => c.nullable === false).map((c) => `ALTER COLUMN ${quoteIdent(c.name)} SET NOT NULL`);
  if (notNull.length > 0) await client.query(`ALTER TABLE ${target} ${notNull.join(', ')}`);
}

/** Store columns whose type narrowed in that type (one rewrite of the table). */
async function narrowColumns(client: pg.ClientBase, target: string, wide: readonly ColumnMeta[], narrow: readonly ColumnMeta[]): Promise<void> {
  const casts = narrowingCasts(wide, narrow);
  if (casts.length === 0) return;
  await client.query(`ALTER TABLE ${target} ${casts.map((c) => `ALTER COLUMN ${quoteIdent(c.name)} TYPE ${c.type}`).join(', ')}`);
}

/**
 * Create the table `target` (a quoted, qualified name; TEMPORARY when asked) for a source's
 * columns, plus the HEALPix column when it has a position, and stream its rows in with COPY.
 */
export async function createAndFill(
  client: pg.ClientBase,
  target: string,
  source: TableSource,
  options: { temporary: boolean; unlogged?: boolean },
  onProgress?: Progress,
): Promise<{ rows: number; hasHpx: boolean }> {
  const meta = source.meta;
  checkTable(meta);
  const pos = meta.position ? positionIndexes(meta) : null;
  const defs = meta.columns.map((c) => `${quoteIdent(c.name)} ${pgTypeOf(c)}${c.nullable === false ? ' NOT NULL' : ''}`);
  if (pos) defs.push(`${quoteIdent(HPX_COLUMN)} bigint`);
  const counter = { rows: 0 };
  try {
    const kind = options.temporary ? 'TEMPORARY ' : options.unlogged ? 'UNLOGGED ' : '';
    await client.query(`CREATE ${kind}TABLE ${target} (${defs.join(', ')})`);
    const names = meta.columns.map((c) => quoteIdent(c.name));
    if (pos) names.push(quoteIdent(HPX_COLUMN));
    const encoder: RowEncoder = binaryEncodable(meta.columns) ? new BinaryRowEncoder(meta.columns, pos) : new TextRowEncoder(meta.columns, pos);
    const copy = client.query(copyFrom(`COPY ${target} (${names.join(', ')}) FROM STDIN ${encoder.copyOptions}`));
    await pipeline(Readable.from(copyChunks(source.rows, meta, encoder, counter, onProgress)), copy);
  } catch (e) {
    throw refusedData(e, meta.name);
  }
  return { rows: counter.rows, hasHpx: pos !== null };
}

/**
 * PostgreSQL's refusal of a table's data (data exceptions, 22xxx; limits such as too many
 * columns or a row too big, 54xxx) as an InputFileError naming the table, and the row and column
 * when COPY says them. A backstop: the readers check what they can where they know the file,
 * line and column.
 */
function refusedData(e: unknown, table: string): unknown {
  const err = e as { code?: unknown; message?: string; where?: string };
  if (typeof err?.code !== 'string' || !(err.code.startsWith('22') || err.code.startsWith('54'))) return e;
  // COPY writes one line per row, so its "line N" is row N of the table; but limits are hit when
  // COPY writes its buffered rows, by which time the line is a later one: no place for those.
  const at = err.code.startsWith('22') ? /\bCOPY [^,]*, line (\d+)(?:, column ([^:]+))?/.exec(err.where ?? '') : null;
  const place = at ? `row ${at[1]}${at[2] ? `, column "${at[2]}"` : ''}: ` : '';
  // 54000: the fixed-size values (numbers) of one row must fit a page of 8 kB.
  const hint = err.code === '54000' ? ' (the numbers of one row must fit in 8 kB); fewer columns, or split the table in two' : '';
  return new InputFileError(`${place}${err.message ?? err.code}${hint}`, `table ${table}`);
}

/**
 * The name of a table of `database` that `table` would clash with (the same name in any letter
 * case, since ADQL names are case-insensitive), registered or only in PostgreSQL; else null.
 */
export async function clashingTable(client: pg.ClientBase, database: string, table: string): Promise<string | null> {
  const clash = await client.query<{ name: string }>(
    `SELECT pg_table AS name FROM vodax.tables WHERE database = $1 AND lower(pg_table) = lower($2)
     UNION SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND lower(c.relname) = lower($2)`,
    [database, table],
  );
  return clash.rows[0]?.name ?? null;
}

/** Index a column (for foreign keys and frequent filters) and flag it indexed in TAP_SCHEMA. */
export async function indexColumn(client: pg.ClientBase, database: string, table: string, column: string): Promise<void> {
  await client.query(`CREATE INDEX ON ${qualified(database, table)} (${quoteIdent(column)})`);
  await client.query('UPDATE "TAP_SCHEMA".columns SET indexed = 1 WHERE table_name = $1 AND column_name = $2', [
    `${database}.${table}`,
    column,
  ]);
}

/** Record a foreign key in TAP_SCHEMA.keys/key_columns and index its columns. */
export async function addForeignKey(client: pg.ClientBase, database: string, fk: ForeignKeySpec): Promise<void> {
  const from = `${database}.${fk.fromTable}`;
  const target = `${database}.${fk.targetTable}`;
  const keyId = `${from}(${fk.fromColumns.join(',')})->${target}`;
  await client.query('INSERT INTO "TAP_SCHEMA".keys (key_id, from_table, target_table, description) VALUES ($1, $2, $3, $4)', [
    keyId,
    from,
    target,
    fk.description ?? null,
  ]);
  for (let i = 0; i < fk.fromColumns.length; i++) {
    await client.query('INSERT INTO "TAP_SCHEMA".key_columns (key_id, from_column, target_column) VALUES ($1, $2, $3)', [
      keyId,
      fk.fromColumns[i],
      fk.targetColumns[i],
    ]);
  }
  if (fk.fromColumns.length === 1) await indexColumn(client, database, fk.fromTable, fk.fromColumns[0]!);
}

/** Write TAP_SCHEMA.tables/columns and vodax.tables rows for a loaded table. */
async function describeTable(client: pg.ClientBase, database: string, meta: TableMeta, rows: number): Promise<void> {
  const tapName = `${database}.${meta.name}`;
  const idx = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM "TAP_SCHEMA".tables WHERE schema_name = $1', [database]);
  await client.query(
    'INSERT INTO "TAP_SCHEMA".tables (schema_name, table_name, table_type, description, table_index) VALUES ($1, $2, $3, $4, $5)',
    [database, tapName, 'table', meta.description ?? null, idx.rows[0]!.n],
  );
  const pk = new Set(meta.primaryKey ?? []);
  for (const [i, c] of meta.columns.entries()) {
    await client.query(
      `INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, "size", unit, ucd, utype,
         description, principal, indexed, std, column_index) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`,
      [
        tapName,
        c.name,
        c.datatype,
        c.arraysize ?? null,
        c.xtype ?? null,
        sizeOf(c.arraysize),
        c.unit ?? null,
        c.ucd ?? null,
        c.utype ?? null,
        c.description ?? null,
        c.principal ? 1 : 0,
        c.indexed || (pk.size === 1 && pk.has(c.name)) ? 1 : 0,
        c.std ? 1 : 0,
        i,
      ],
    );
  }
  await client.query(
    `INSERT INTO vodax.tables (table_name, database, pg_schema, pg_table, ra_column, dec_column, hpx_column, row_count)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [tapName, database, database, meta.name, meta.position?.ra ?? null, meta.position?.dec ?? null, meta.position ? HPX_COLUMN : null, rows],
  );
}

/** TAP 1.0's integer `size`: the fixed length of an arraysize, else null. */
function sizeOf(arraysize: string | null | undefined): number | null {
  if (!arraysize || !/^\d+$/.test(arraysize)) return null;
  return Number(arraysize);
}

/** Rows encoded for COPY, in chunks of about 256 kB. */
async function* copyChunks(
  rows: AsyncIterable<CellValue[]> | Iterable<CellValue[]>,
  meta: TableMeta,
  encoder: RowEncoder,
  counter: { rows: number },
  onProgress?: Progress,
): AsyncGenerator<Buffer | string> {
  const width = meta.columns.length;
  for await (const row of rows) {
    if (row.length !== width) {
      throw new BadRequestError(`row ${counter.rows + 1} has ${row.length} values where the table has ${width} columns`);
    }
    try {
      encoder.add(row);
    } catch (e) {
      if (e instanceof UnstorableValueError) {
        throw new InputFileError(`row ${counter.rows + 1}, column "${meta.columns[encoder.column]!.name}": ${e.message}`, `table ${meta.name}`);
      }
      throw e;
    }
    counter.rows++;
    if (encoder.full) {
      yield encoder.take();
      onProgress?.(counter.rows);
    }
  }
  yield encoder.end();
  onProgress?.(counter.rows);
}

/** Positions of the RA and Dec columns; they must exist and be numeric. */
function positionIndexes(meta: TableMeta): { ra: number; dec: number } {
  const find = (name: string, role: string): number => {
    const i = meta.columns.findIndex((c) => c.name === name);
    if (i < 0) throw new BadRequestError(`table ${meta.name}: no column "${name}" for ${role}`);
    const t = meta.columns[i]!.datatype;
    if (t !== 'double' && t !== 'float') throw new BadRequestError(`table ${meta.name}: ${role} column "${name}" must be float or double, not ${t}`);
    return i;
  };
  return { ra: find(meta.position!.ra, 'right ascension'), dec: find(meta.position!.dec, 'declination') };
}

/** A table's names must be usable and unambiguous to ADQL (case-insensitive). */
function checkTable(meta: TableMeta): void {
  checkName(meta.name, 'table');
  if (meta.columns.length === 0) throw new BadRequestError(`table ${meta.name} has no columns`);
  if (meta.columns.length > MAX_COLUMNS) throw new BadRequestError(`table ${meta.name} has ${meta.columns.length} columns; ${MAX_COLUMNS_TEXT}`);
  const seen = new Map<string, string>();
  for (const c of meta.columns) {
    checkName(c.name, 'column');
    if (c.name.toLowerCase() === HPX_COLUMN) throw new BadRequestError(`column name "${c.name}" is reserved`);
    const prior = seen.get(c.name.toLowerCase());
    if (prior !== undefined) throw new BadRequestError(`table ${meta.name}: columns "${prior}" and "${c.name}" differ only in case`);
    seen.set(c.name.toLowerCase(), c.name);
  }
}

/** Names must be non-empty, free of control characters, and fit PostgreSQL's identifier limit. */
function checkName(name: string, what: string): void {
  // eslint-disable-next-line no-control-regex
  if (!name || /[\u0000-\u001f]/.test(name) || Buffer.byteLength(name) > PG_NAME_LIMIT) {
    throw new BadRequestError(`invalid ${what} name ${shown(name)}: 1 to ${PG_NAME_LIMIT} bytes, no control characters`);
  }
}


/** Load a whole database (registry entry, every table, foreign keys) in one transaction. */
export async function loadDatabase(
  client: pg.ClientBase,
  spec: DatabaseSpec,
  onProgress?: (table: string, rows: number) => void,
): Promise<Record<string, number>> {
  await createDatabase(client, spec);
  const counts: Record<string, number> = {};
  for (const t of spec.tables) {
    counts[t.meta.name] = await loadTable(client, spec.name, t, onProgress && ((n) => onProgress(t.meta.name, n)));
  }
  for (const fk of spec.foreignKeys ?? []) await addForeignKey(client, spec.name, fk);
  return counts;
}
