/**
 * The in-memory view of TAP_SCHEMA an ADQL query is validated against: every table the caller
 * may see, its declared columns and, for positional tables, the RA/Dec columns and the hidden
 * HEALPix index column. Immutable; TAP_UPLOAD tables are added per request with `withTables`.
 */
import { CATALOG_VERSION_SQL, type Database } from '../storage/database.js';
import type { Viewer } from './table-registry.js';
import type { ColumnMeta } from '../formats/table-model.js';
import { readTapColumns } from './tap-columns.js';

/** One queryable table. */
export interface CatalogTable {
  /** TAP schema name, e.g. `DC_W13_Stripe82` or `TAP_UPLOAD`. */
  readonly schema: string;
  /** Table name without its schema, e.g. `Object`. */
  readonly name: string;
  /** Where the rows live in PostgreSQL. */
  readonly pgSchema: string;
  readonly pgTable: string;
  readonly description: string | null;
  /** Declared columns, in TAP_SCHEMA order (the hidden index column is never among them). */
  readonly columns: readonly ColumnMeta[];
  /** Declared RA/Dec columns (degrees) and the order-29 nested HEALPix column, when indexed. */
  readonly position: { readonly ra: string; readonly dec: string; readonly hpx: string } | null;
  /** Row count when known (the translator indexes the larger side of a crossmatch). */
  readonly rows?: number | null;
  /**
   * A sharded table's partitions (foreign tables on the shards, and the local default one):
   * the translator runs an aggregate on each, where postgres_fdw pushes it down whole.
   */
  readonly partitions?: ReadonlyArray<{ readonly pgSchema: string; readonly pgTable: string }>;
}

/** A name as ADQL writes it: regular (case-insensitive) or delimited (exact). */
export interface NameRef {
  name: string;
  delimited: boolean;
}

/** The TAP name of a table: `schema.table`. */
export function tapName(t: CatalogTable): string {
  return `${t.schema}.${t.name}`;
}

/** `matches` with both names' lower case known: a delimited name exactly, another in any case. */
function matchesFolded(ref: NameRef, refFolded: string, name: string, nameFolded: string): boolean {
  return ref.delimited ? ref.name === name : refFolded === nameFolded;
}

/** The tables a query may name. */
export class Catalog {
  readonly tables: readonly CatalogTable[];
  /** Each table's schema, name and TAP name lower-cased, once (every query looks its tables up). */
  private readonly folded: ReadonlyArray<{ schema: string; name: string; tap: string }>;

  /** Views of a table that queries derive from it, made once per catalog (see `derived`). */
  private readonly views = new Map<CatalogTable, Map<(t: CatalogTable) => unknown, unknown>>();

  constructor(tables: readonly CatalogTable[]) {
    this.tables = Object.freeze([...tables]);
    this.folded = this.tables.map((t) => ({ schema: t.schema.toLowerCase(), name: t.name.toLowerCase(), tap: tapName(t).toLowerCase() }));
    Object.freeze(this);
  }

  /**
   * Tables matching `[schema.]table` under ADQL identifier rules. A table name may itself hold a
   * dot when written delimited as one identifier (`"DC_W13_Stripe82.Object"`), as TAP names are.
   */
  find(schema: NameRef | null, table: NameRef): CatalogTable[] {
    const schemaKey = schema === null ? '' : schema.name.toLowerCase();
    const tableKey = table.name.toLowerCase();
    const out: CatalogTable[] = [];
    for (let i = 0; i < this.tables.length; i++) {
      const t = this.tables[i]!;
      const f = this.folded[i]!;
      const found =
        schema !== null
          ? matchesFolded(schema, schemaKey, t.schema, f.schema) && matchesFolded(table, tableKey, t.name, f.name)
          : matchesFolded(table, tableKey, t.name, f.name) || (table.delimited ? table.name === tapName(t) : tableKey === f.tap);
      if (found) out.push(t);
    }
    return out;
  }

  /**
   * `make(table)`, made on the first call with this function and kept with the catalog: a view
   * every query of the table needs (the validator's columns) is not rebuilt per query. The
   * value is shared, so it must never be changed.
   */
  derived<T>(table: CatalogTable, make: (t: CatalogTable) => T): T {
    let views = this.views.get(table);
    if (!views) this.views.set(table, (views = new Map()));
    if (!views.has(make)) views.set(make, make(table));
    return views.get(make) as T;
  }

  /** A catalog with `extra` tables added (TAP_UPLOAD), replacing any of the same TAP name. */
  withTables(extra: readonly CatalogTable[]): Catalog {
    // Most queries upload nothing: the catalog as it is, not a copy built per query.
    if (extra.length === 0) return this;
    const names = new Set(extra.map((t) => tapName(t).toLowerCase()));
    return new Catalog([...this.tables.filter((t) => !names.has(tapName(t).toLowerCase())), ...extra]);
  }
}

/**
 * The real name of a declared column: TAP_SCHEMA writes names that are ADQL reserved words
 * delimited (TAP 1.1 declares its own column `"size"`), so the quotes are not part of it.
 */
function declaredName(columnName: string): string {
  const m = /^"((?:[^"]|"")*)"$/.exec(columnName);
  return m ? m[1]!.replace(/""/g, '"') : columnName;
}

/** Read the catalog the viewer may query: two queries over TAP_SCHEMA and vodax.tables. */
export async function loadCatalog(db: Database, viewer: Viewer): Promise<Catalog> {
  const tables = await db.query<{
    schema_name: string;
    table_name: string;
    description: string | null;
    pg_schema: string | null;
    pg_table: string | null;
    ra_column: string | null;
    dec_column: string | null;
    hpx_column: string | null;
    row_count: bigint | null;
  }>(
    `SELECT t.schema_name, t.table_name, t.description, vt.pg_schema, vt.pg_table, vt.ra_column, vt.dec_column, vt.hpx_column, vt.row_count
     FROM "TAP_SCHEMA".tables t
     LEFT JOIN vodax.tables vt ON vt.table_name = t.table_name
     WHERE vodax.schema_visible_to(t.schema_name, $1)
     ORDER BY t.schema_name, t.table_index, t.table_name`,
    [viewer.user],
  );
  const declared = await readTapColumns(
    db,
    tables.map((t) => t.table_name),
  );
  const partitions = await readShardPartitions(db);
  const byTable = new Map<string, ColumnMeta[]>();
  for (const [table, cols] of declared) byTable.set(table, cols.map((c) => Object.freeze({ ...c, name: declaredName(c.name) })));
  return new Catalog(
    tables.map((t) => {
      // TAP names are `schema.table`; the PostgreSQL names equal them (TAP_SCHEMA's own tables too).
      const prefix = `${t.schema_name}.`;
      const name = t.table_name.startsWith(prefix) ? t.table_name.slice(prefix.length) : t.table_name;
      const position =
        t.ra_column && t.dec_column && t.hpx_column ? Object.freeze({ ra: t.ra_column, dec: t.dec_column, hpx: t.hpx_column }) : null;
      return Object.freeze({
        schema: t.schema_name,
        name,
        // TAP_SCHEMA is read through views that show only what the caller may see.
        pgSchema: t.pg_schema ?? (t.schema_name === 'TAP_SCHEMA' ? 'vodax_tap' : t.schema_name),
        pgTable: t.pg_table ?? name,
        description: t.description,
        columns: Object.freeze(byTable.get(t.table_name) ?? []),
        position,
        rows: t.row_count === null ? null : Number(t.row_count),
        ...(partitions.has(`${t.pg_schema}.${t.pg_table}`) ? { partitions: Object.freeze(partitions.get(`${t.pg_schema}.${t.pg_table}`)!) } : {}),
      });
    }),
  );
}

/** The partitions of every sharded table (keyed `pgSchema.pgTable`), the default one included. */
async function readShardPartitions(db: Database): Promise<Map<string, Array<{ pgSchema: string; pgTable: string }>>> {
  const rows = await db.query<{ parent: string; pg_schema: string; pg_table: string }>(
    `SELECT pn.nspname || '.' || pc.relname AS parent, cn.nspname AS pg_schema, cc.relname AS pg_table
       FROM pg_inherits i
       JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace
       JOIN pg_class cc ON cc.oid = i.inhrelid JOIN pg_namespace cn ON cn.oid = cc.relnamespace
      WHERE (pn.nspname, pc.relname) IN (SELECT DISTINCT pg_schema, pg_table FROM vodax.shard_partitions)
      ORDER BY cn.nspname, cc.relname`,
  );
  const out = new Map<string, Array<{ pgSchema: string; pgTable: string }>>();
  for (const r of rows) out.set(r.parent, [...(out.get(r.parent) ?? []), Object.freeze({ pgSchema: r.pg_schema, pgTable: r.pg_table })]);
  return out;
}

/**
 * Catalogs per viewer, reused while the database's catalog version (moved on by triggers on
 * TAP_SCHEMA, databases, tables and shares, whichever process changes them) stays the same:
 * one tiny query per request instead of reloading the catalog.
 */
export class CatalogCache {
  private readonly entries = new Map<string, { version: string; catalog: Promise<Catalog> }>();

  constructor(
    private readonly db: Database,
    private readonly maxEntries = 100,
  ) {}

  /** The viewer's catalog, loaded again when the catalog version has moved on. */
  async get(viewer: Viewer): Promise<Catalog> {
    return (await this.current(viewer)).catalog;
  }

  /** The viewer's catalog and its version, loaded again when the version has moved on. */
  async current(viewer: Viewer): Promise<VersionedCatalog> {
    const [row] = await this.db.query<{ v: string }>(CATALOG_VERSION_SQL);
    const version = row!.v;
    const key = cacheKey(viewer);
    const hit = this.entries.get(key);
    if (hit && hit.version === version) return { catalog: await hit.catalog, version, checked: true };
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    const catalog = loadCatalog(this.db, viewer);
    this.entries.set(key, { version, catalog });
    // A failed load must not stay cached.
    catalog.catch(() => {
      if (this.entries.get(key)?.catalog === catalog) this.entries.delete(key);
    });
    return { catalog: await catalog, version, checked: true };
  }

  /**
   * The viewer's catalog as last loaded, without asking the database (checked: false), else as
   * current() gives it. The caller checks the version where it runs the query
   * (StreamOptions.catalogVersion), in the same round trip as the query's transaction begins.
   */
  async cached(viewer: Viewer): Promise<VersionedCatalog> {
    const hit = this.entries.get(cacheKey(viewer));
    if (hit) {
      const catalog = await hit.catalog.catch(() => null);
      if (catalog) return { catalog, version: hit.version, checked: false };
    }
    return this.current(viewer);
  }
}

/** The cache entry of a viewer (a user name, or anonymous, which no user name can be). */
function cacheKey(viewer: Viewer): string {
  return viewer.user ?? '\u0000anonymous';
}

/** A catalog with the version it was loaded at; `checked`: that version was the database's just now. */
export interface VersionedCatalog {
  catalog: Catalog;
  version: string;
  checked: boolean;
}
