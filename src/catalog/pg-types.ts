/** Mapping between TAP/VOTable column types and PostgreSQL types, in one place. */
import type { ColumnMeta } from '../formats/table-model.js';
import { isArrayColumn } from '../formats/cell-values.js';

/** The PostgreSQL type that stores a column of this TAP type. */
export function pgTypeOf(col: ColumnMeta): string {
  // Arrays as the readers and writers see them: arraysize "1" is one value (it was a one-element
  // array column, which the readers' scalars could not be stored in).
  const array = isArrayColumn(col);
  switch (col.datatype) {
    case 'char':
    case 'unicodeChar':
      if (col.xtype === 'timestamp') return 'timestamp';
      return 'text';
    case 'boolean':
      return array ? 'boolean[]' : 'boolean';
    case 'unsignedByte':
    case 'short':
      return array ? 'smallint[]' : 'smallint';
    case 'int':
      return array ? 'integer[]' : 'integer';
    case 'long':
      return array ? 'bigint[]' : 'bigint';
    case 'float':
      return array ? 'real[]' : 'real';
    case 'double':
      return array ? 'double precision[]' : 'double precision';
  }
}

/** Quote an identifier for PostgreSQL (always, so case and reserved words are safe). */
export function quoteIdent(name: string): string {
  if (name.includes('\u0000')) throw new Error('identifier contains a NUL character');
  return '"' + name.replace(/"/g, '""') + '"';
}

/** A schema-qualified, quoted table name. */
export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}
