/** Encoding of cell values in PostgreSQL's COPY text format. */
import type { CellValue } from '../formats/table-model.js';

/** A value that COPY text cannot carry (a NUL in text); the loader adds the row and column. */
export class UnstorableValueError extends Error {}

/** One value as a COPY text field (`\N` for NULL, escapes for text). */
export function copyField(v: CellValue | undefined): string {
  if (v === null || v === undefined) return '\\N';
  switch (typeof v) {
    case 'number':
      return numberText(v);
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 't' : 'f';
    case 'string':
      return escapeText(v);
    default:
      if (Array.isArray(v)) return '{' + v.map(numberText).join(',') + '}';
      if (v instanceof Date) return v.toISOString();
      throw new TypeError(`cannot store a value of type ${typeof v}`);
  }
}

/** A number as PostgreSQL reads it (NaN and infinities spelled its way, -0 with its sign, which String drops). */
function numberText(n: number): string {
  if (Number.isFinite(n)) return Object.is(n, -0) ? '-0' : String(n);
  if (Number.isNaN(n)) return 'NaN';
  return n > 0 ? 'Infinity' : '-Infinity';
}

/** Escape backslash, tab, newline and carriage return for COPY text; reject NUL, which PostgreSQL text cannot hold. */
function escapeText(s: string): string {
  let needs = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 || c === 9 || c === 10 || c === 13 || c === 0) {
      needs = true;
      break;
    }
  }
  if (!needs) return s;
  if (s.includes('\u0000')) throw new UnstorableValueError('the text holds a NUL character (U+0000), which a database text column cannot store');
  return s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}
