/**
 * The catalog registry: databases (LSST sense), their tables and columns, as the caller may
 * see them. Both faces read it: the LSST /meta listings and the TAP /tables endpoint.
 * Endpoint ids (M5, ...): docs/endpoints.md.
 */
import type { Database } from '../storage/database.js';
import { NotFoundError } from '../errors.js';
import { canonicalLevel } from './levels.js';
import { pgTypeOf, qualified, quoteIdent } from './pg-types.js';
import type { Level } from './model.js';
import type { ColumnMeta } from '../formats/table-model.js';
import { readTapColumns } from './tap-columns.js';
import { LEVELS } from './model.js';

/** Who is asking: a user name, or null for anonymous. */
export interface Viewer {
  user: string | null;
}

/** A registered database as the registry holds it. */
export interface DatabaseInfo {
  name: string;
  level: Level;
  owner: string;
  description: string;
  annotations: Record<string, string>;
}

/** A registered table. */
export interface TableInfo {
  database: string;
  name: string;
  /** Qualified TAP name, `database.table`. */
  tapName: string;
  description: string | null;
  rowCount: number | null;
  annotations: Record<string, string>;
  position: { ra: string; dec: string; hpx: string } | null;
  created: Date;
}

/** Paging and filtering of name lists. */
export interface ListOptions {
  containing?: string;
  start?: number;
  count?: number;
}

/** A page of a list, with the flags of the LSST v0 paging rules. */
export interface Page<T> {
  items: T[];
  start: number;
  count: number;
  more: boolean;
}

// SQL fragment: databases the viewer ($1) may see (L3 is private to its owner and shares), by the one rule in the database.
const VISIBLE = `vodax.schema_visible_to(d.name, $1)`;

/** Read access to the catalog registry. */
export class Registry {
  constructor(
    private readonly db: Database,
    private readonly address: { host: string; port: number },
  ) {}

  /** Host and port of the PostgreSQL server holding the databases (M5's host and port). */
  serverAddress(): { host: string; port: number } {
    return this.address;
  }

  /** Every database the viewer can see, by level then name (for landing pages). */
  async allDatabases(viewer: Viewer): Promise<DatabaseInfo[]> {
    return this.db.query<DatabaseInfo & Record<string, unknown>>(
      `SELECT d.name, d.level, d.owner, d.description, d.annotations FROM vodax.databases d WHERE ${VISIBLE} ORDER BY d.level, d.name`,
      [viewer.user],
    );
  }

  /** The levels that hold at least one database the viewer can see, in canonical order. */
  async levels(viewer: Viewer): Promise<Level[]> {
    const rows = await this.db.query<{ level: string }>(`SELECT DISTINCT d.level FROM vodax.databases d WHERE ${VISIBLE}`, [viewer.user]);
    const present = new Set(rows.map((r) => r.level));
    return LEVELS.filter((l) => present.has(l));
  }

  /** Names of the databases at a level, filtered and paged. */
  async databaseNames(levelText: string, viewer: Viewer, opts: ListOptions): Promise<Page<string>> {
    const level = requireLevel(levelText);
    const { clause, param } = containingClause(opts.containing, 'd.name', 3);
    return this.page(
      `SELECT d.name FROM vodax.databases d WHERE ${VISIBLE} AND d.level = $2 ${clause} ORDER BY d.name`,
      [viewer.user, level, ...param],
      opts,
      (r: { name: string }) => r.name,
    );
  }

  /** One database, or NotFoundError (also when it is someone else's private database). */
  async database(levelText: string, name: string, viewer: Viewer): Promise<DatabaseInfo> {
    const level = requireLevel(levelText);
    const rows = await this.db.query<{ name: string; level: Level; owner: string; description: string; annotations: Record<string, string> }>(
      `SELECT d.name, d.level, d.owner, d.description, d.annotations FROM vodax.databases d
       WHERE ${VISIBLE} AND d.level = $2 AND d.name = $3`,
      [viewer.user, level, name],
    );
    if (rows.length === 0) throw new NotFoundError(`no database "${name}" at level ${level}`);
    return rows[0]!;
  }

  /** Names of a database's tables, filtered and paged. */
  async tableNames(levelText: string, database: string, viewer: Viewer, opts: ListOptions): Promise<Page<string>> {
    const db = await this.database(levelText, database, viewer);
    const { clause, param } = containingClause(opts.containing, 't.pg_table', 2);
    return this.page(
      `SELECT t.pg_table AS name FROM vodax.tables t WHERE t.database = $1 ${clause} ORDER BY t.pg_table`,
      [db.name, ...param],
      opts,
      (r: { name: string }) => r.name,
    );
  }

  /** One table of a database, or NotFoundError. */
  async table(levelText: string, database: string, table: string, viewer: Viewer): Promise<TableInfo> {
    const db = await this.database(levelText, database, viewer);
    const rows = await this.db.query<{
      database: string;
      name: string;
      table_name: string;
      description: string | null;
      row_count: bigint | null;
      annotations: Record<string, string>;
      ra_column: string | null;
      dec_column: string | null;
      hpx_column: string | null;
      created: Date;
    }>(
      `SELECT t.database, t.pg_table AS name, t.table_name, tt.description, t.row_count, t.annotations,
              t.ra_column, t.dec_column, t.hpx_column, t.created
       FROM vodax.tables t LEFT JOIN "TAP_SCHEMA".tables tt ON tt.table_name = t.table_name
       WHERE t.database = $1 AND t.pg_table = $2`,
      [db.name, table],
    );
    const r = rows[0];
    if (!r) throw new NotFoundError(`no table "${table}" in database "${db.name}"`);
    return {
      database: r.database,
      name: r.name,
      tapName: r.table_name,
      description: r.description,
      rowCount: r.row_count === null ? null : Number(r.row_count),
      annotations: r.annotations,
      position: r.ra_column && r.dec_column && r.hpx_column ? { ra: r.ra_column, dec: r.dec_column, hpx: r.hpx_column } : null,
      created: r.created,
    };
  }

  /** A table's declared columns, in TAP_SCHEMA order. */
  async columns(tapName: string): Promise<ColumnMeta[]> {
    return (await readTapColumns(this.db, [tapName])).get(tapName) ?? [];
  }

  /** The table's CREATE TABLE statement, rebuilt from the catalogs (declared columns only). */
  async createStatement(levelText: string, database: string, table: string, viewer: Viewer): Promise<string> {
    const info = await this.table(levelText, database, table, viewer);
    const cols = await this.columns(info.tapName);
    const notNull = new Set(
      (
        await this.db.query<{ attname: string }>(
          `SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND a.attnotnull AND NOT a.attisdropped`,
          [info.database, info.name],
        )
      ).map((r) => r.attname),
    );
    const pk = await this.db.query<{ attname: string }>(
      `SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
       WHERE n.nspname = $1 AND c.relname = $2 AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
      [info.database, info.name],
    );
    const lines = cols.map((c) => {
      const comment = [c.unit ? `unit: ${c.unit}` : '', c.ucd ? `ucd: ${c.ucd}` : ''].filter(Boolean).join('; ');
      return `  ${quoteIdent(c.name)} ${pgTypeOf(c)}${notNull.has(c.name) ? ' NOT NULL' : ''}` + (comment ? ` -- ${comment}` : '');
    });
    if (pk.length) lines.push(`  PRIMARY KEY (${pk.map((r) => quoteIdent(r.attname)).join(', ')})`);
    // Commas go before the comments, so each column line stays valid SQL.
    const body = lines
      .map((l, i) => {
        if (i === lines.length - 1) return l;
        const at = l.indexOf(' -- ');
        return at < 0 ? l + ',' : l.slice(0, at) + ',' + l.slice(at);
      })
      .join('\n');
    return `CREATE TABLE ${qualified(info.database, info.name)} (\n${body}\n);`;
  }

  /** Run a list query with paging; fetch one extra row to know whether more exist. */
  private async page<R extends Record<string, unknown>, T>(sql: string, params: unknown[], opts: ListOptions, pick: (r: R) => T): Promise<Page<T>> {
    const start = opts.start ?? 0;
    const count = opts.count ?? 1000;
    const rows = await this.db.query<R>(`${sql} OFFSET ${start} LIMIT ${count + 1}`, params);
    const more = rows.length > count;
    const items = rows.slice(0, count).map(pick);
    return { items, start, count: items.length, more };
  }
}

/** The canonical level, or NotFoundError naming the levels that exist. */
function requireLevel(text: string): Level {
  const level = canonicalLevel(text);
  if (!level) throw new NotFoundError(`no level "${text}"; levels are ${LEVELS.join(', ')}`);
  return level;
}

/** SQL for `containing`: a case-insensitive LIKE pattern when it holds % or _, else a substring. */
function containingClause(containing: string | undefined, column: string, paramIndex: number): { clause: string; param: string[] } {
  if (containing === undefined || containing === '') return { clause: '', param: [] };
  if (/[%_]/.test(containing)) return { clause: `AND ${column} ILIKE $${paramIndex}`, param: [containing] };
  return { clause: `AND strpos(lower(${column}), lower($${paramIndex})) > 0`, param: [containing] };
}
