/** How the writers read cells: column kinds, and each cell as text, number, boolean, array or exact integer. */
import type { CellValue, ColumnMeta } from './table-model.js';

/** Number of elements a fixed VOTable arraysize ('3', '2x2') holds; null when variable or absent. */
export function fixedArrayLength(arraysize: string | null | undefined): number | null {
  if (!arraysize || arraysize.endsWith('*')) return null;
  let n = 1;
  for (const part of arraysize.split('x')) {
    const k = Number(part);
    if (!Number.isInteger(k) || k < 0) return null;
    n *= k;
  }
  return n;
}

/** True when the column holds strings (char or unicodeChar). */
export function isStringColumn(col: ColumnMeta): boolean {
  return col.datatype === 'char' || col.datatype === 'unicodeChar';
}

/** True when the column holds numeric arrays rather than scalars. */
export function isArrayColumn(col: ColumnMeta): boolean {
  return !isStringColumn(col) && col.arraysize != null && col.arraysize !== '' && col.arraysize !== '1';
}

/** A Date as a DALI timestamp 'YYYY-MM-DDThh:mm:ss.sss' (UTC, no zone letter). */
export function dateToTimestamp(d: Date): string {
  return d.toISOString().slice(0, -1);
}

/** A cell as text for string columns: strings as they are, other values in their usual form. */
export function cellToString(v: Exclude<CellValue, null>): string {
  if (typeof v === 'string') return v;
  if (v instanceof Date) return dateToTimestamp(v);
  if (Array.isArray(v)) return v.join(' ');
  return String(v);
}

/** A cell as a number for numeric columns (booleans 1/0, bigints converted, text parsed). */
export function cellToNumber(v: Exclude<CellValue, null>): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.getTime();
  if (Array.isArray(v)) return v.length > 0 ? v[0] : NaN;
  return Number(v);
}

/** A cell as a boolean for boolean columns ('T', 'true', '1' and non-zero numbers are true). */
export function cellToBoolean(v: Exclude<CellValue, null>): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return /^(t|true|1|y|yes)$/i.test(v.trim());
  if (typeof v === 'bigint') return v !== 0n;
  return cellToNumber(v) !== 0;
}

/** A cell as a numeric array: arrays as they are, a scalar as one element. */
export function cellToArray(v: Exclude<CellValue, null>): number[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return v.trim() === '' ? [] : v.trim().split(/[\s,]+/).map(Number);
  return [cellToNumber(v)];
}

/** Integer digits of a cell in an integer column (bigints exact, numbers truncated). */
export function cellToIntegerText(v: Exclude<CellValue, null>): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Number.isFinite(v) ? String(Math.trunc(v)) : '';
  if (typeof v === 'string' && /^[+-]?\d+$/.test(v.trim())) return BigInt(v.trim()).toString();
  const n = Math.trunc(cellToNumber(v));
  return Number.isFinite(n) ? String(n) : '';
}

/**
 * True when `t` is what String() writes for the number it denotes: plain decimal notation with
 * no sign but a leading minus, and not -0. Then PostgreSQL's shortest round-trip text of a float
 * is already the writers' form of its value (the same digits, both being the shortest that
 * round-trip); exponents (PostgreSQL's start at 1e15 and below 1e-4, JavaScript's elsewhere),
 * NaN, the infinities and -0 are not.
 */
export function isJsFloatText(t: string): boolean {
  const n = t.length;
  let i = n > 0 && t.charCodeAt(0) === 45 ? 1 : 0;
  if (i >= n) return false;
  let dot = -1;
  for (let k = i; k < n; k++) {
    const c = t.charCodeAt(k);
    if (c === 46) {
      if (dot >= 0 || k === i || k === n - 1) return false;
      dot = k;
    } else if (c < 48 || c > 57) return false;
  }
  return !(i === 1 && n === 2 && t.charCodeAt(1) === 48);
}

/**
 * The formatter of column `i` of a document whose cells there may be PostgreSQL's text of floats
 * (TableDocument.floatsAsText): in a float or double column a text already in the writer's form
 * is written as it is (no parse, no format: most of a small answer's cost); any other text goes
 * through `format` as the number the driver would have made of it (parseFloat).
 */
export function withFloatText(
  doc: { floatsAsText?: readonly boolean[] },
  i: number,
  col: ColumnMeta,
  format: (v: Exclude<CellValue, null>) => string,
): (v: Exclude<CellValue, null>) => string {
  if (!doc.floatsAsText?.[i]) return format;
  const asNumber = (v: Exclude<CellValue, null>) => format(typeof v === 'string' ? parseFloat(v) : v);
  if ((col.datatype !== 'double' && col.datatype !== 'float') || isArrayColumn(col)) return asNumber;
  return (v) => (typeof v === 'string' && isJsFloatText(v) ? v : asNumber(v));
}

/** True for the integer VOTable datatypes. */
export function isIntegerDatatype(datatype: string): boolean {
  return datatype === 'short' || datatype === 'int' || datatype === 'long' || datatype === 'unsignedByte';
}

/** A double as plain text: round-trip digits, NaN, Infinity, -Infinity (what most readers parse). */
export function plainNumber(n: number): string {
  return Number.isFinite(n) || Number.isNaN(n) ? String(n) : n > 0 ? 'Infinity' : '-Infinity';
}

/**
 * The plain-text form of a non-null cell, shared by the text formats: numbers with round-trip
 * precision, integers exact, booleans true/false, arrays space-separated, strings unchanged.
 */
export function plainFormatter(col: ColumnMeta): (v: Exclude<CellValue, null>) => string {
  if (isStringColumn(col)) return cellToString;
  if (col.datatype === 'boolean') return (v) => (cellToBoolean(v) ? 'true' : 'false');
  const integer = isIntegerDatatype(col.datatype);
  if (isArrayColumn(col)) {
    return integer
      ? (v) => cellToArray(v).map((x) => (Number.isFinite(x) ? String(Math.trunc(x)) : '')).join(' ')
      : (v) => cellToArray(v).map(plainNumber).join(' ');
  }
  if (integer) return cellToIntegerText;
  return (v) => plainNumber(typeof v === 'number' ? v : cellToNumber(v));
}
