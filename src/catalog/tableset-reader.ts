/** The tableset the caller may see, read from TAP_SCHEMA: the one source of VOSI /tables. */
import type { Database } from '../storage/database.js';
import type { Viewer } from './table-registry.js';
import { readTapColumns } from './tap-columns.js';
import type { ColumnMeta } from '../formats/table-model.js';

/** A table as VODataService describes it. */
export interface TableDescription {
  name: string;
  type: string;
  description: string | null;
  utype: string | null;
  nrows: number | null;
  columns: ColumnMeta[] | null;
  primaryKey: string[];
  foreignKeys: { targetTable: string; description: string | null; columns: { from: string; target: string }[] }[];
}

/** A schema and its tables. */
export interface SchemaDescription {
  name: string;
  description: string | null;
  utype: string | null;
  tables: TableDescription[];
}

/** Read the visible schemas and tables; columns too when `withColumns`; one table when `only` names it. */
export async function readTableset(
  db: Database,
  viewer: Viewer,
  options: { withColumns: boolean; only?: string },
): Promise<SchemaDescription[]> {
  const params: unknown[] = [viewer.user];
  let tableFilter = '';
  if (options.only !== undefined) {
    params.push(options.only);
    tableFilter = `AND t.table_name = $2`;
  }
  const tables = await db.query<{
    schema_name: string;
    schema_description: string | null;
    schema_utype: string | null;
    table_name: string;
    table_type: string;
    description: string | null;
    utype: string | null;
    row_count: bigint | null;
  }>(
    `SELECT s.schema_name, s.description AS schema_description, s.utype AS schema_utype,
            t.table_name, t.table_type, t.description, t.utype, vt.row_count
     FROM "TAP_SCHEMA".schemas s
     JOIN "TAP_SCHEMA".tables t ON t.schema_name = s.schema_name
     LEFT JOIN vodax.tables vt ON vt.table_name = t.table_name
     WHERE vodax.schema_visible_to(s.schema_name, $1) ${tableFilter}
     ORDER BY s.schema_index, s.schema_name, t.table_index, t.table_name`,
    params,
  );
  const names = tables.map((t) => t.table_name);
  const columns = options.withColumns ? await readTapColumns(db, names) : new Map<string, TableDescription['columns']>();
  const keys = options.withColumns ? await readKeys(db, names) : new Map<string, TableDescription['foreignKeys']>();
  const pks = options.withColumns ? await readPrimaryKeys(db, names) : new Map<string, string[]>();
  const schemas = new Map<string, SchemaDescription>();
  for (const t of tables) {
    let s = schemas.get(t.schema_name);
    if (!s) {
      s = { name: t.schema_name, description: t.schema_description, utype: t.schema_utype, tables: [] };
      schemas.set(t.schema_name, s);
    }
    s.tables.push({
      name: t.table_name,
      type: t.table_type === 'view' ? 'view' : 'base_table',
      description: t.description,
      utype: t.utype,
      nrows: t.row_count === null ? null : Number(t.row_count),
      columns: options.withColumns ? (columns.get(t.table_name) ?? []) : null,
      primaryKey: pks.get(t.table_name) ?? [],
      foreignKeys: keys.get(t.table_name) ?? [],
    });
  }
  return [...schemas.values()];
}

/** Foreign keys leaving the given tables. */
async function readKeys(db: Database, tables: string[]): Promise<Map<string, TableDescription['foreignKeys']>> {
  const rows = await db.query<{ key_id: string; from_table: string; target_table: string; description: string | null; from_column: string; target_column: string }>(
    `SELECT k.key_id, k.from_table, k.target_table, k.description, kc.from_column, kc.target_column
     FROM "TAP_SCHEMA".keys k JOIN "TAP_SCHEMA".key_columns kc ON kc.key_id = k.key_id
     WHERE k.from_table = ANY($1) ORDER BY k.key_id`,
    [tables],
  );
  const out = new Map<string, TableDescription['foreignKeys']>();
  const byKey = new Map<string, TableDescription['foreignKeys'][number]>();
  for (const r of rows) {
    let key = byKey.get(r.key_id);
    if (!key) {
      key = { targetTable: r.target_table, description: r.description, columns: [] };
      byKey.set(r.key_id, key);
      out.set(r.from_table, [...(out.get(r.from_table) ?? []), key]);
    }
    key.columns.push({ from: r.from_column, target: r.target_column });
  }
  return out;
}

/** Primary-key columns of the given tables, from PostgreSQL's catalog. */
async function readPrimaryKeys(db: Database, tables: string[]): Promise<Map<string, string[]>> {
  const rows = await db.query<{ table_name: string; attname: string }>(
    `SELECT n.nspname || '.' || c.relname AS table_name, a.attname
     FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
     WHERE i.indisprimary AND n.nspname || '.' || c.relname = ANY($1)
     ORDER BY 1, array_position(i.indkey, a.attnum)`,
    [tables],
  );
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.table_name, [...(out.get(r.table_name) ?? []), r.attname]);
  return out;
}
