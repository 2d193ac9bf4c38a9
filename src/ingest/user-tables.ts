/**
 * Tables users write into their own L3 databases over HTTP (`PUT`/`DELETE
 * /db/v0/tap/tables/{schema}.{table}`): who may write where, the per-user table quota, and the
 * streamed load of a VOTable, CSV/TSV or FITS table body. Only the owner of an L3 database
 * writes in it; users it is shared with read it. Another user's L3 database does not exist.
 */
import type { Readable } from 'node:stream';
import type { Database } from '../storage/database.js';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, QuotaExceededError, UnauthorizedError, UnsupportedMediaTypeError } from '../errors.js';
import type { TableMeta, TableSource } from '../formats/table-model.js';
import { readCsv } from '../formats/csv-reader.js';
import { readVotable } from '../formats/votable-reader.js';
import { readFitsTable } from '../formats/fits-table-reader.js';
import { clashingTable, loadTable } from './loader.js';
import { dropTable } from './drop.js';

/** Table body formats, chosen by Content-Type. */
export type UserTableFormat = 'votable' | 'csv' | 'tsv' | 'fits';

const FORMATS: Record<string, UserTableFormat> = {
  'application/x-votable+xml': 'votable',
  'text/xml': 'votable',
  'application/xml': 'votable',
  'text/csv': 'csv',
  'text/tab-separated-values': 'tsv',
  'application/fits': 'fits',
};

/** The format of a body from its Content-Type (parameters ignored), or a 415 listing the accepted ones. */
export function formatOfContentType(contentType: string): UserTableFormat {
  const mime = contentType.split(';')[0]!.trim().toLowerCase();
  const format = FORMATS[mime];
  if (!format) {
    const shown = mime === '' ? 'no Content-Type' : `Content-Type '${mime.slice(0, 100)}'`;
    throw new UnsupportedMediaTypeError(`${shown}: send a table as ${Object.keys(FORMATS).join(', ')}`);
  }
  return format;
}

/** Where a user table goes: an L3 database the caller owns, and a table name in it. */
export interface UserTableTarget {
  database: string;
  table: string;
  /** `database.table`, the TAP name. */
  tapName: string;
}

/** A table name ADQL can write without quotes: a letter, then letters, digits and `_`. */
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

/**
 * The database and table a `{schema}.{table}` name means for `user`, when the user may write
 * there: 401 when anonymous, 404 when no schema the user can see matches (identical for another
 * user's private database), 403 for a schema the user sees but does not own as L3.
 */
export async function writableTarget(db: Database, user: string | null, name: string): Promise<UserTableTarget> {
  if (user === null) throw new UnauthorizedError('creating or dropping a table needs a bearer token ("Authorization: Bearer <token>")');
  const shown = JSON.stringify(name.slice(0, 200));
  const candidates = await db.query<{ name: string; level: string; owner: string }>(
    `SELECT d.name, d.level, d.owner FROM vodax.databases d
     WHERE starts_with($2, d.name || '.')
       AND (d.level <> 'L3' OR d.owner = $1 OR EXISTS (SELECT 1 FROM vodax.shares s WHERE s.database = d.name AND s.username = $1))
     ORDER BY length(d.name) DESC LIMIT 1`,
    [user, name],
  );
  const database = candidates[0];
  if (!database) {
    // TAP_SCHEMA, ivoa: schemas of the service itself, visible to all, writable by none.
    const own = await db.query<{ schema_name: string }>(
      `SELECT s.schema_name FROM "TAP_SCHEMA".schemas s
       WHERE starts_with($1, s.schema_name || '.') AND NOT EXISTS (SELECT 1 FROM vodax.databases d WHERE d.name = s.schema_name)
       ORDER BY length(s.schema_name) DESC LIMIT 1`,
      [name],
    );
    if (own[0]) throw new ForbiddenError(`schema '${own[0].schema_name}' belongs to the service; write tables in an L3 database of yours`);
    if (!name.includes('.')) throw new BadRequestError(`table ${shown} must be named schema.table`);
    throw new NotFoundError(`no schema for table ${shown}`);
  }
  if (database.level !== 'L3' || database.owner !== user) {
    const why = database.level !== 'L3' ? `an ${database.level} database` : `owned by ${database.owner} and shared with you for reading`;
    throw new ForbiddenError(`you may not write tables in '${database.name}' (${why}); tables are written by the owner of an L3 database`);
  }
  const table = name.slice(database.name.length + 1);
  return { database: database.name, table, tapName: `${database.name}.${table}` };
}

/** Check that a table name is a plain ADQL identifier (so queries need no quotes). */
export function checkUserTableName(table: string): string {
  if (!TABLE_NAME.test(table)) {
    throw new BadRequestError(`table name ${JSON.stringify(table.slice(0, 100))} must be a letter, then letters, digits or '_' (at most 63)`);
  }
  return table;
}

/** What createUserTable needs besides the database. */
export interface NewUserTable {
  target: UserTableTarget;
  owner: string;
  format: UserTableFormat;
  /**
   * Opens the request body (bounded in size), called once the checks pass, right before reading:
   * nothing is read for a refused request, and the stream has a reader from its first byte.
   */
  body: () => Readable;
  /** Most tables one user may hold in their L3 databases. */
  maxTables: number;
}

/**
 * Create the table and stream the body into it, in one transaction (nothing is left behind on
 * failure). 409 when a table of that name (in any case) exists; 403 past the quota. Returns rows written.
 */
export async function createUserTable(db: Database, spec: NewUserTable): Promise<number> {
  const { target } = spec;
  checkUserTableName(target.table);
  return db.transaction(async (client) => {
    // One user's creations run one at a time, so the quota and name checks hold until commit.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vodax.user-tables:${spec.owner}`]);
    const clash = await clashingTable(client, target.database, target.table);
    if (clash !== null) throw new ConflictError(`table '${target.database}.${clash}' exists already; DELETE it first to replace it`);
    const held = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM vodax.tables t JOIN vodax.databases d ON d.name = t.database WHERE d.owner = $1 AND d.level = 'L3'`,
      [spec.owner],
    );
    if (held.rows[0]!.n >= spec.maxTables) {
      throw new QuotaExceededError(`you hold ${held.rows[0]!.n} tables, the most allowed per user (USER_TABLES_MAX = ${spec.maxTables}); delete one first`);
    }
    const source = await openBody(spec.body(), spec.format, target.table);
    source.meta.position = positionOf(source.meta);
    return loadTable(client, target.database, source);
  });
}

/** Drop a user table; 404 when the database has no such table. */
export async function dropUserTable(db: Database, target: UserTableTarget): Promise<void> {
  await db.transaction(async (client) => {
    if (!(await dropTable(client, target.database, target.table))) throw new NotFoundError(`no table '${target.tapName}'`);
  });
}

/** Open a body as a streaming table source named `table`. */
function openBody(body: Readable, format: UserTableFormat, table: string): Promise<TableSource> {
  const options = { file: 'request body', tableName: table };
  switch (format) {
    case 'votable':
      return readVotable(body, options);
    case 'csv':
      return readCsv(body, options);
    case 'tsv':
      return readCsv(body, { ...options, delimiter: '\t' });
    case 'fits':
      return readFitsTable(body, options);
  }
}

const UCD_RA = /^pos\.eq\.ra(;meta\.main)?$/i;
const UCD_DEC = /^pos\.eq\.dec(;meta\.main)?$/i;

/**
 * The RA/Dec columns to index (HEALPix): by UCD (pos.eq.ra/dec), else named ra and dec (or decl).
 * The index is computed from these very columns, so geometry queries stay exact whatever they hold.
 */
function positionOf(meta: TableMeta): { ra: string; dec: string } | null {
  const scalar = meta.columns.filter((c) => (c.datatype === 'double' || c.datatype === 'float') && !c.arraysize);
  const byUcd = (re: RegExp) => scalar.find((c) => c.ucd && re.test(c.ucd));
  const byName = (...names: string[]) => scalar.find((c) => names.includes(c.name.toLowerCase()));
  const ra = byUcd(UCD_RA) ?? byName('ra');
  const dec = byUcd(UCD_DEC) ?? byName('dec', 'decl');
  return ra && dec && ra !== dec ? { ra: ra.name, dec: dec.name } : null;
}
