/** Reading column descriptions from TAP_SCHEMA.columns: one query and one mapping for every reader. */
import type { Database } from '../storage/database.js';
import type { ColumnMeta, TapDatatype } from '../formats/table-model.js';

/** A TAP_SCHEMA.columns row as PostgreSQL returns it. */
interface ColumnRow {
  table_name: string;
  column_name: string;
  datatype: TapDatatype;
  arraysize: string | null;
  xtype: string | null;
  unit: string | null;
  ucd: string | null;
  utype: string | null;
  description: string | null;
  principal: number;
  indexed: number;
  std: number;
}

/** The declared columns of each named table (TAP names), in column_index order, as TAP_SCHEMA spells them. */
export async function readTapColumns(db: Database, tables: readonly string[]): Promise<Map<string, ColumnMeta[]>> {
  const rows = await db.query<ColumnRow & Record<string, unknown>>(
    `SELECT table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std
     FROM "TAP_SCHEMA".columns WHERE table_name = ANY($1) ORDER BY table_name, column_index, column_name`,
    [tables],
  );
  const out = new Map<string, ColumnMeta[]>();
  for (const r of rows) {
    const list = out.get(r.table_name) ?? [];
    list.push({
      name: r.column_name,
      datatype: r.datatype,
      arraysize: r.arraysize,
      xtype: r.xtype,
      unit: r.unit,
      ucd: r.ucd,
      utype: r.utype,
      description: r.description,
      principal: r.principal === 1,
      indexed: r.indexed === 1,
      std: r.std === 1,
    });
    out.set(r.table_name, list);
  }
  return out;
}
