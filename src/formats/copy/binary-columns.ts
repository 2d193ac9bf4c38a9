/**
 * Which result columns the binary fast paths (BINARY2, FITS) can carry byte for byte from
 * PostgreSQL's binary COPY, both formats being big-endian: scalars of the types below, and text.
 * Each path adds its own limits and its NULL bytes on top; the COPY statement is built here.
 */
import type { ColumnMeta } from '../table-model.js';
import type { ResultField } from '../../storage/database.js';
import { isArrayColumn, isStringColumn } from '../cell-values.js';
import { PG_OID, columnRef, timestampSql, wrappedQuery } from './column-sql.js';

/**
 * How the binary paths carry an integer datatype: the PostgreSQL types whose values fit it, its
 * size in bytes and the cast that gives every value that size.
 */
const INTEGER_COPY: Record<string, { oids: number[]; size: number; cast: string }> = {
  short: { oids: [PG_OID.int2], size: 2, cast: 'int2' },
  int: { oids: [PG_OID.int2, PG_OID.int4], size: 4, cast: 'int4' },
  long: { oids: [PG_OID.int2, PG_OID.int4, PG_OID.int8], size: 8, cast: 'int8' },
};

/** How one column's bytes are carried: integers copied, floats copied with NaN made canonical, booleans and text converted. */
export type BinaryKind = 'int' | 'float4' | 'float8' | 'bool' | 'text';

export interface BinaryColumn {
  kind: BinaryKind;
  /** Bytes of a value in the COPY (int, float4, float8, bool); 0 for text. */
  size: number;
  /** The SQL selecting the column for COPY. */
  sql: string;
}

/** The binary carriage of result column `i`, or null when its bytes cannot be carried over exactly. */
export function binaryColumn(col: ColumnMeta, oid: number, i: number): BinaryColumn | null {
  const ref = columnRef(i);
  if (isStringColumn(col)) {
    if (oid === PG_OID.text || oid === PG_OID.varchar) return { kind: 'text', size: 0, sql: ref };
    if (oid === PG_OID.timestamp) return { kind: 'text', size: 0, sql: timestampSql(ref) };
    return null;
  }
  if (isArrayColumn(col)) return null;
  switch (col.datatype) {
    case 'boolean':
      return oid === PG_OID.bool ? { kind: 'bool', size: 1, sql: ref } : null;
    case 'short':
    case 'int':
    case 'long': {
      const { oids, size, cast } = INTEGER_COPY[col.datatype]!;
      return oids.includes(oid) ? { kind: 'int', size, sql: `(${ref})::${cast}` } : null;
    }
    case 'float':
      return oid === PG_OID.float4 ? { kind: 'float4', size: 4, sql: ref } : null;
    case 'double':
      if (oid === PG_OID.float8) return { kind: 'float8', size: 8, sql: ref };
      // Small integers are exact as doubles, in PostgreSQL as in JavaScript.
      if (oid === PG_OID.int2 || oid === PG_OID.int4) return { kind: 'float8', size: 8, sql: `(${ref})::float8` };
      return null;
    default:
      return null;
  }
}

/** The plans `plan` makes of every column and the COPY statement, or null when some column has none. */
export function binaryCopyPlan<P extends { sql: string }>(
  sql: string,
  columns: ColumnMeta[],
  fields: ResultField[],
  plan: (col: ColumnMeta, oid: number, i: number) => P | null,
): { plans: P[]; copySql: string } | null {
  if (fields.length !== columns.length || columns.length === 0) return null;
  const plans: P[] = [];
  for (let i = 0; i < columns.length; i++) {
    const p = plan(columns[i]!, fields[i]!.dataTypeID, i);
    if (p === null) return null;
    plans.push(p);
  }
  return { plans, copySql: `COPY (${wrappedQuery(sql, columns.length, plans.map((x) => x.sql))}) TO STDOUT (FORMAT binary)` };
}
