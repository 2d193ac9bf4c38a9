/**
 * Types of ADQL values as the validator derives them: a kind (what operations apply) plus the
 * VOTable metadata a result column of that value carries, and the PostgreSQL type the
 * translator casts a computed result column to, so declared datatypes match the values.
 */
import type { ColumnMeta, TapDatatype } from '../formats/table-model.js';

/** What an expression's value is, for type checking. */
export type ValueKind = 'numeric' | 'string' | 'boolean' | 'timestamp' | 'geometry' | 'array' | 'null';

/** Geometry shapes; a BOX is a polygon. */
export type GeometryShape = 'point' | 'circle' | 'polygon';

/**
 * The xtype of a region column (ObsCore s_region): STC-S text such as `POLYGON ICRS 1 2 3 4 5 6`.
 * In geometry expressions its value is the polygon the text describes (vodax.stcs_polygon).
 */
export const REGION_XTYPE = 'adql:REGION';

/** The type and metadata of a value (a ColumnMeta without its name). */
export interface ValueType {
  kind: ValueKind;
  datatype: TapDatatype;
  arraysize: string | null;
  xtype: string | null;
  unit: string | null;
  ucd: string | null;
  utype: string | null;
  description: string | null;
}

const INTEGER_RANK: Partial<Record<TapDatatype, number>> = { boolean: 0, unsignedByte: 1, short: 1, int: 2, long: 3 };
const NUMERIC_RANK: Partial<Record<TapDatatype, number>> = { unsignedByte: 1, short: 1, int: 2, long: 3, float: 4, double: 5 };

/** A plain type with no unit or UCD. */
export function plain(kind: ValueKind, datatype: TapDatatype, arraysize: string | null = null, xtype: string | null = null): ValueType {
  return { kind, datatype, arraysize, xtype, unit: null, ucd: null, utype: null, description: null };
}

export const DOUBLE = plain('numeric', 'double');
export const INT = plain('numeric', 'int');
export const LONG = plain('numeric', 'long');
export const TEXT = plain('string', 'char', '*');
export const NULL_TYPE = plain('null', 'char', '*');

/** The type of a geometry value: DALI double arrays with their xtype. */
export function geometryType(shape: GeometryShape): ValueType {
  const arraysize = shape === 'point' ? '2' : shape === 'circle' ? '3' : '*';
  return plain('geometry', 'double', arraysize, shape);
}

/** True for an xtype naming an ADQL region (any letter case). */
function isRegionXtype(x: string | null | undefined): boolean {
  return x?.toLowerCase() === REGION_XTYPE.toLowerCase();
}

/** True for a region value: STC-S text that geometry functions take as a polygon. */
export function isRegion(t: ValueType): boolean {
  return t.kind === 'geometry' && isRegionXtype(t.xtype);
}

/** The geometry shape of a value type (a region is a polygon), or null. */
export function shapeOf(t: ValueType): GeometryShape | null {
  if (t.kind !== 'geometry') return null;
  return isRegion(t) ? 'polygon' : (t.xtype as GeometryShape);
}

/** The kind of a declared column. */
export function kindOfColumn(c: ColumnMeta): ValueKind {
  const x = c.xtype?.toLowerCase() ?? null;
  if ((x === 'point' || x === 'circle' || x === 'polygon') && (c.datatype === 'double' || c.datatype === 'float')) return 'geometry';
  if (isRegionXtype(x) && (c.datatype === 'char' || c.datatype === 'unicodeChar')) return 'geometry';
  if (x === 'timestamp') return 'timestamp';
  if (c.datatype === 'char' || c.datatype === 'unicodeChar') return 'string';
  if (c.datatype === 'boolean') return c.arraysize ? 'array' : 'boolean';
  return c.arraysize ? 'array' : 'numeric';
}

/** The value type of a declared column (its metadata carried over). */
export function columnType(c: ColumnMeta): ValueType {
  const kind = kindOfColumn(c);
  return {
    kind,
    datatype: c.datatype,
    arraysize: c.arraysize ?? null,
    // Result metadata repeats a region's xtype as declared; DALI shapes are matched in lower case.
    xtype: kind === 'geometry' && !isRegionXtype(c.xtype) ? (c.xtype!.toLowerCase() as GeometryShape) : (c.xtype ?? null),
    unit: c.unit ?? null,
    ucd: c.ucd ?? null,
    utype: c.utype ?? null,
    description: c.description ?? null,
  };
}

/** True for integer datatypes (bitwise operators, MOD). */
export function isInteger(t: ValueType): boolean {
  return t.kind === 'numeric' && INTEGER_RANK[t.datatype] !== undefined;
}

/**
 * The type of an arithmetic result, as PostgreSQL computes it: integers widen to the wider
 * operand (smallint stays smallint), any real makes real, any double (or a real with an
 * integer wider than smallint) makes double.
 */
export function promote(a: ValueType, b: ValueType): ValueType {
  if (a.kind === 'null') return b.kind === 'null' ? DOUBLE : plain('numeric', b.datatype);
  if (b.kind === 'null') return plain('numeric', a.datatype);
  const ra = NUMERIC_RANK[a.datatype] ?? 5;
  const rb = NUMERIC_RANK[b.datatype] ?? 5;
  const hi = Math.max(ra, rb);
  if (hi <= 3) return plain('numeric', hi === 3 ? 'long' : hi === 2 ? 'int' : 'short');
  if (hi === 4 && Math.min(ra, rb) >= 4) return plain('numeric', 'float');
  if (hi === 4 && Math.min(ra, rb) === 1) return plain('numeric', 'float');
  return DOUBLE;
}

/** The common type of CASE branches, COALESCE arguments or set-operation columns; null when incompatible. */
export function unify(a: ValueType, b: ValueType): ValueType | null {
  if (a.kind === 'null') return b;
  if (b.kind === 'null') return a;
  if (a.kind === 'numeric' && b.kind === 'numeric') {
    const p = promote(a, b);
    // Keep the metadata when both sides agree (e.g. COALESCE(a.ra, b.ra)).
    return a.unit === b.unit ? { ...p, unit: a.unit, ucd: a.ucd === b.ucd ? a.ucd : null } : p;
  }
  if (a.kind !== b.kind) return null;
  if (a.kind === 'string') return { ...TEXT, unit: a.unit === b.unit ? a.unit : null };
  if (a.kind === 'geometry') return (isRegion(a) ? isRegion(b) : a.xtype === b.xtype) ? a : null;
  if (a.kind === 'array') return a.datatype === b.datatype ? { ...a, arraysize: a.arraysize === b.arraysize ? a.arraysize : '*' } : null;
  return plain(a.kind, a.datatype, a.arraysize, a.xtype);
}

/** A human name of a type for error messages. */
export function typeName(t: ValueType): string {
  if (t.kind === 'geometry') return isRegion(t) ? 'REGION' : t.xtype!.toUpperCase();
  if (t.kind === 'timestamp') return 'timestamp';
  if (t.kind === 'null') return 'NULL';
  if (t.kind === 'string') return 'string';
  if (t.kind === 'array') return `${t.datatype} array`;
  return t.datatype;
}

/** The PostgreSQL type a value of this type is cast to when it is a computed result column. */
export function pgTypeOfValue(t: ValueType): string {
  if (isRegion(t)) return 'text';
  if (t.kind === 'geometry' || t.kind === 'array') {
    const base = pgScalar(t.datatype);
    return `${base}[]`;
  }
  if (t.kind === 'timestamp') return 'timestamp';
  if (t.kind === 'string' || t.kind === 'null') return 'text';
  return pgScalar(t.datatype);
}

function pgScalar(d: TapDatatype): string {
  switch (d) {
    case 'boolean':
      return 'boolean';
    case 'unsignedByte':
    case 'short':
      return 'smallint';
    case 'int':
      return 'integer';
    case 'long':
      return 'bigint';
    case 'float':
      return 'real';
    case 'double':
      return 'double precision';
    default:
      return 'text';
  }
}
