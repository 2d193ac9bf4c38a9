/**
 * SQL that makes PostgreSQL write a value exactly as the generic serializers write the value the
 * node driver parsed from PostgreSQL's text output: numbers in JavaScript's Number#toString form,
 * timestamps in DALI form. Pure text building; nothing here runs a query.
 */
import type { ColumnMeta } from '../table-model.js';
import { isArrayColumn, isIntegerDatatype, isStringColumn } from '../cell-values.js';

/** PostgreSQL type OIDs the fast paths know. */
export const PG_OID = {
  bool: 16,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  float4: 700,
  float8: 701,
  varchar: 1043,
  timestamp: 1114,
} as const;

/** The reference to result column `i` of the wrapped query (see wrappedQuery). */
export function columnRef(i: number): string {
  return `q."c${i}"`;
}

/**
 * `SELECT <exprs> FROM (<sql>) AS q(c0, c1, ...) [LIMIT n]` over its `columns` result columns:
 * positional names, so duplicate result names do not clash.
 */
export function wrappedQuery(sql: string, columns: number, exprs: string[], limit?: number): string {
  const names = Array.from({ length: columns }, (_, i) => `"c${i}"`).join(', ');
  return `SELECT ${exprs.join(', ')} FROM (${sql}) AS q(${names})${limit === undefined ? '' : ` LIMIT ${limit}`}`;
}

/**
 * Text of a float4/float8 value in Number#toString form of the double the driver parses from
 * PostgreSQL's text. PostgreSQL's shortest-digit output (extra_float_digits >= 1) has the same
 * digits, but switches to exponents at other thresholds (below 1e-4, and from 1e15 for float8
 * or 1e6 for float4, where JavaScript waits until 1e-7 and 1e21), prints -0, and pads exponents
 * to two digits. Inside a range where both print fixed-point the text is taken as it is;
 * elsewhere it is rewritten. One more difference: past 2^53 a short decimal can lie exactly
 * halfway between two doubles, which JavaScript prints (it reads back as the even one) and
 * PostgreSQL avoids with more digits; so there the shortest rounding of PostgreSQL's digits
 * that reads back as the same double is used. The rewrite is vodax.js_number_rewrite (migration
 * 16), called only for the values outside those ranges.
 *
 * `special` gives the SQL of NaN and the infinities when a format writes them otherwise. They,
 * and zero, are tested after the fixed-point range (which they fail: in PostgreSQL NaN sorts
 * above every number), so the usual value pays for no test of them: each test first cost
 * TABLEDATA about 5% of its streaming speed.
 */
export function jsNumberSql(ref: string, oid: number, special?: SpecialFloats): string {
  const high = oid === PG_OID.float4 ? '1e5' : '1e13';
  const t = `(${ref})::text`;
  const specials = special
    ? ` WHEN ${ref} = 'NaN' THEN ${special.nan} WHEN ${ref} = 'Infinity' THEN ${special.posInf} WHEN ${ref} = '-Infinity' THEN ${special.negInf}`
    : '';
  // The usual value first: zero (and -0, which JavaScript prints 0) fails the range test.
  return (
    `CASE WHEN abs(${ref}) >= CAST(1e-3 AS float8) AND abs(${ref}) < CAST(${high} AS float8) THEN ${t}` +
    ` WHEN ${ref} = 0 THEN '0'` +
    specials +
    ` WHEN strpos(${t}, 'e') = 0 THEN ${t}` +
    ` ELSE vodax.js_number_rewrite(${t}, (${ref})::float8, ${oid === PG_OID.float8}) END`
  );
}

/** SQL (text or NULL) a format writes for NaN and the infinities of a float column. */
export interface SpecialFloats {
  nan: string;
  posInf: string;
  negInf: string;
}

/** A timestamp as the driver hands it to the writers: PostgreSQL's text with its first space a 'T'. */
export function timestampSql(ref: string): string {
  return `regexp_replace((${ref})::text, ' ', 'T')`;
}

/**
 * Whether a column of PostgreSQL type `oid` is a number the text serializers write from
 * PostgreSQL's own text of it: integers, and floats (of a float type, or of a small integer
 * type, which prints the same as a number; int8 may not: Number loses digits past 2^53).
 */
export function printsAsNumber(col: ColumnMeta, oid: number): boolean {
  if (isArrayColumn(col) || isStringColumn(col)) return false;
  const int = oid === PG_OID.int2 || oid === PG_OID.int4 || oid === PG_OID.int8;
  if (isIntegerDatatype(col.datatype)) return int;
  return (col.datatype === 'float' || col.datatype === 'double') && (oid === PG_OID.float4 || oid === PG_OID.float8 || oid === PG_OID.int2 || oid === PG_OID.int4);
}

/**
 * The text (SQL, NULL for NULL) a text serializer writes for a column of PostgreSQL type `oid`,
 * before any quoting; null when no exact rewrite is known. `plainFormatter` is the reference.
 */
export function plainTextSql(col: ColumnMeta, oid: number, ref: string, special?: SpecialFloats): string | null {
  if (isStringColumn(col)) {
    if (oid === PG_OID.text || oid === PG_OID.varchar) return ref;
    if (oid === PG_OID.timestamp) return timestampSql(ref);
    return null;
  }
  if (isArrayColumn(col)) return null;
  if (col.datatype === 'boolean') return oid === PG_OID.bool ? `CASE ${ref} WHEN true THEN 'true' WHEN false THEN 'false' END` : null;
  if (!printsAsNumber(col, oid)) return null;
  return oid === PG_OID.float4 || oid === PG_OID.float8 ? jsNumberSql(ref, oid, special) : `(${ref})::text`;
}

/**
 * The TD content (SQL, NULL for NULL) the TABLEDATA writer writes for a column of PostgreSQL
 * type `oid`, before XML escaping; null when no exact rewrite is known. `tdFormatter` of
 * votable-writer.ts is the reference: as plain text, but booleans T/F and infinities +Inf/-Inf.
 */
export function tdTextSql(col: ColumnMeta, oid: number, ref: string): string | null {
  if (col.datatype === 'boolean' && !isArrayColumn(col)) return oid === PG_OID.bool ? `CASE ${ref} WHEN true THEN 'T' WHEN false THEN 'F' END` : null;
  return plainTextSql(col, oid, ref, { nan: "'NaN'", posInf: "'+Inf'", negInf: "'-Inf'" });
}
