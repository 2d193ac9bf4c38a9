/**
 * Dropping a loaded table, the inverse of loadTable: the PostgreSQL table, its TAP_SCHEMA rows
 * (table, columns, keys from or to it) and its vodax.tables row, in the caller's transaction.
 */
import type pg from 'pg';
import { qualified } from '../catalog/pg-types.js';

/** Drop table `table` of database `database`; false when neither catalog nor PostgreSQL knows it. */
export async function dropTable(client: pg.ClientBase, database: string, table: string): Promise<boolean> {
  const tapName = `${database}.${table}`;
  // Keys first: their key_columns go with them (ON DELETE CASCADE), whichever end this table is.
  await client.query('DELETE FROM "TAP_SCHEMA".keys WHERE from_table = $1 OR target_table = $1', [tapName]);
  await client.query('DELETE FROM "TAP_SCHEMA".columns WHERE table_name = $1', [tapName]);
  const described = await client.query('DELETE FROM "TAP_SCHEMA".tables WHERE table_name = $1', [tapName]);
  const registered = await client.query('DELETE FROM vodax.tables WHERE table_name = $1', [tapName]);
  const exists = await client.query(
    'SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2',
    [database, table],
  );
  if (exists.rowCount) await client.query(`DROP TABLE ${qualified(database, table)}`);
  return Boolean(described.rowCount || registered.rowCount || exists.rowCount);
}
