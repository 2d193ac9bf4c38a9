/**
 * Text cells to typed values: the strict parsers shared by the CSV reader and VOTable TABLEDATA,
 * and the type inference the CSV reader runs on its first rows. Pure; charCode loops, no regexes
 * in the per-cell paths, because the loaders parse millions of cells.
 */
import type { CellValue, ColumnMeta, TapDatatype } from './table-model.js';
import { shown } from './input-checks.js';

/** A text that does not parse as its column's datatype; readers add the file position. */
export class CellSyntaxError extends Error {}

/** Turns one cell's text (never empty; callers map empty to NULL first) into a value. */
export type TextCellParser = (text: string) => CellValue;

const INT_MIN: Record<string, number> = { unsignedByte: 0, short: -32768, int: -2147483648 };
const INT_MAX: Record<string, number> = { unsignedByte: 255, short: 32767, int: 2147483647 };
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/** True for ASCII whitespace (space, tab, CR, LF). */
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** Index of the first non-whitespace character of `text` (its length when there is none). */
function trimStart(text: string): number {
  let s = 0;
  const n = text.length;
  while (s < n && isSpace(text.charCodeAt(s))) s++;
  return s;
}

/** Index just past the last non-whitespace character of `text`, not below `s`. */
function trimEnd(text: string, s: number): number {
  let e = text.length;
  while (e > s && isSpace(text.charCodeAt(e - 1))) e--;
  return e;
}

/** True when text[i] is an ASCII digit. */
function isDigitAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/**
 * Parses an optionally signed decimal integer in text[s, e); returns null when it is not one.
 * Up to 15 digits it accumulates a number (exact); longer ones go through BigInt.
 */
function parseIntRange(text: string, s: number, e: number): number | bigint | null {
  let i = s;
  let neg = false;
  const c0 = text.charCodeAt(i);
  if (c0 === 45 || c0 === 43) {
    neg = c0 === 45;
    i++;
  }
  if (i >= e) return null;
  const digitsStart = i;
  let n = 0;
  for (; i < e; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return null;
    n = n * 10 + c;
  }
  if (e - digitsStart <= 15) return neg ? -n : n;
  const big = BigInt(text.slice(digitsStart, e));
  return neg ? -big : big;
}

/** Exact powers of ten as doubles: 10^0 .. 10^22 are all representable. */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/**
 * Returns the double value of text[s, e) when it is a decimal float literal (digits, optional
 * fraction, optional exponent) or nan/inf/infinity in any case; otherwise undefined.
 * Up to 15 digits and a decimal exponent within ±22, the value is the digits as an exact integer
 * times or divided by an exact power of ten: one correctly rounded operation, so the same double
 * as Number(text) (Clinger's fast path) at a fraction of its cost; other literals go to Number.
 */
function parseDoubleRange(text: string, s: number, e: number): number | undefined {
  let i = s;
  const c0 = text.charCodeAt(i);
  const neg = c0 === 45;
  if (neg || c0 === 43) i++;
  let digits = 0;
  let mantissa = 0;
  let c = 0;
  while (i < e && (c = text.charCodeAt(i) - 48) >= 0 && c <= 9) {
    mantissa = mantissa * 10 + c;
    i++;
    digits++;
  }
  let fraction = 0;
  if (i < e && text.charCodeAt(i) === 46) {
    i++;
    while (i < e && (c = text.charCodeAt(i) - 48) >= 0 && c <= 9) {
      mantissa = mantissa * 10 + c;
      i++;
      digits++;
      fraction++;
    }
  }
  if (digits === 0) return parseSpecialFloat(text, s, e);
  let exponent = 0;
  if (i < e && (text.charCodeAt(i) | 32) === 101) {
    i++;
    const cs = text.charCodeAt(i);
    const negExp = cs === 45;
    if (negExp || cs === 43) i++;
    let expDigits = 0;
    while (i < e && (c = text.charCodeAt(i) - 48) >= 0 && c <= 9) {
      // Clamped: a huge exponent only has to leave the fast path, not be exact.
      if (exponent < 100_000) exponent = exponent * 10 + c;
      i++;
      expDigits++;
    }
    if (expDigits === 0) return undefined;
    if (negExp) exponent = -exponent;
  }
  if (i !== e) return undefined;
  const scale = exponent - fraction;
  if (digits <= 15 && scale >= -22 && scale <= 22) {
    const v = scale < 0 ? mantissa / EXACT_POWERS_OF_TEN[-scale]! : mantissa * EXACT_POWERS_OF_TEN[scale]!;
    return neg ? -v : v;
  }
  return Number(s === 0 && e === text.length ? text : text.slice(s, e));
}

/** nan, inf, infinity (any case, optional sign) as numbers; otherwise undefined. */
function parseSpecialFloat(text: string, s: number, e: number): number | undefined {
  const word = text.slice(s, e).toLowerCase();
  switch (word) {
    case 'nan':
    case '+nan':
    case '-nan':
      return NaN;
    case 'inf':
    case '+inf':
    case 'infinity':
    case '+infinity':
      return Infinity;
    case '-inf':
    case '-infinity':
      return -Infinity;
    default:
      return undefined;
  }
}

/** Boolean words: true/false, t/f, 1/0, yes/no in any case; null when it is none of them. */
function parseBooleanWord(text: string, s: number, e: number): boolean | null {
  const len = e - s;
  if (len === 1) {
    const c = text.charCodeAt(s) | 32;
    if (c === 116 || c === 49 || c === 121) return true; // t 1 y
    if (c === 102 || c === 48 || c === 110) return false; // f 0 n
    return null;
  }
  const word = text.slice(s, e).toLowerCase();
  if (word === 'true' || word === 'yes') return true;
  if (word === 'false' || word === 'no') return false;
  return null;
}

/** Strict ISO 8601 date or date-time check (YYYY-MM-DD[Thh:mm[:ss[.fff]]][Z|±hh:mm]), no regex. */
export function isIsoTimestamp(text: string): boolean {
  const n = text.length;
  if (n < 10) return false;
  if (!(isDigitAt(text, 0) && isDigitAt(text, 1) && isDigitAt(text, 2) && isDigitAt(text, 3) && text.charCodeAt(4) === 45 && isDigitAt(text, 5) && isDigitAt(text, 6) && text.charCodeAt(7) === 45 && isDigitAt(text, 8) && isDigitAt(text, 9))) {
    return false;
  }
  if (n === 10) return true;
  const sep = text.charCodeAt(10);
  if (sep !== 84 && sep !== 32) return false; // 'T' or ' '
  if (n < 16 || !(isDigitAt(text, 11) && isDigitAt(text, 12) && text.charCodeAt(13) === 58 && isDigitAt(text, 14) && isDigitAt(text, 15))) return false;
  let i = 16;
  if (i < n && text.charCodeAt(i) === 58) {
    if (!(i + 2 < n && isDigitAt(text, i + 1) && isDigitAt(text, i + 2))) return false;
    i += 3;
    if (i < n && text.charCodeAt(i) === 46) {
      i++;
      const f = i;
      while (i < n && isDigitAt(text, i)) i++;
      if (i === f) return false;
    }
  }
  if (i === n) return true;
  const z = text.charCodeAt(i);
  if (z === 90 && i + 1 === n) return true; // Z
  if ((z === 43 || z === 45) && i + 6 === n) return isDigitAt(text, i + 1) && isDigitAt(text, i + 2) && text.charCodeAt(i + 3) === 58 && isDigitAt(text, i + 4) && isDigitAt(text, i + 5);
  return false;
}

/** Parses one scalar of a numeric or boolean datatype from text[s, e); throws CellSyntaxError. */
function parseScalar(datatype: TapDatatype, text: string, s: number, e: number): number | bigint | boolean | null {
  switch (datatype) {
    case 'boolean': {
      if (e - s === 1 && text.charCodeAt(s) === 63) return null; // '?'
      const b = parseBooleanWord(text, s, e);
      if (b === null) throw new CellSyntaxError(`${shown(text.slice(s, e))} is not a boolean`);
      return b;
    }
    case 'unsignedByte':
    case 'short':
    case 'int': {
      const v = parseIntRange(text, s, e);
      if (v === null) throw new CellSyntaxError(`${shown(text.slice(s, e))} is not an integer (${datatype})`);
      if (typeof v === 'bigint' || v < INT_MIN[datatype] || v > INT_MAX[datatype]) {
        throw new CellSyntaxError(`${text.slice(s, e)} is out of range for ${datatype}`);
      }
      return v;
    }
    case 'long': {
      const v = parseIntRange(text, s, e);
      if (v === null) throw new CellSyntaxError(`${shown(text.slice(s, e))} is not an integer (long)`);
      const big = typeof v === 'bigint' ? v : BigInt(v);
      if (big < LONG_MIN || big > LONG_MAX) throw new CellSyntaxError(`${text.slice(s, e)} is out of range for long`);
      return big;
    }
    case 'float':
    case 'double': {
      const v = parseDoubleRange(text, s, e);
      if (v === undefined) throw new CellSyntaxError(`${shown(text.slice(s, e))} is not a number (${datatype})`);
      // NaN is how VOTable and FITS spell a NULL float; every reader maps it to NULL alike.
      return Number.isNaN(v) ? null : v;
    }
    default:
      throw new CellSyntaxError(`datatype ${datatype} is not numeric`);
  }
}

const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Whether a double read from decimal `text` keeps its decimal value as a float32: it has at most
 * 6 significant digits (float32 round-trips any such decimal) within float32's normal range,
 * or it is a float32 exactly (0.5, small integers); infinities fit too. The loaders narrow
 * columns of doubles to float with it.
 */
export function fitsFloat32(text: string, v: number): boolean {
  if (!Number.isFinite(v) || v === 0 || Math.fround(v) === v) return true;
  const a = Math.abs(v);
  if (a < FLOAT32_MIN_NORMAL || a > FLOAT32_MAX) return false;
  let significant = 0;
  let leading = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 101 || c === 69) break; // the exponent
    if (c < 48 || c > 57) continue;
    if (leading && c === 48) continue;
    leading = false;
    if (++significant > 6) return false;
  }
  return true;
}

/** True when the column's arraysize makes its cells arrays (strings are never arrays here). */
export function isArrayColumn(col: Pick<ColumnMeta, 'datatype' | 'arraysize'>): boolean {
  if (col.datatype === 'char' || col.datatype === 'unicodeChar') return false;
  return col.arraysize != null && col.arraysize !== '' && col.arraysize !== '1';
}

/**
 * The parser for one column's text cells. Numeric arrays are whitespace- (or comma-)
 * separated numbers, as in VOTable TABLEDATA; NaN elements stay NaN inside arrays.
 */
export function textCellParser(col: Pick<ColumnMeta, 'datatype' | 'arraysize' | 'xtype'>): TextCellParser {
  const datatype = col.datatype;
  if (datatype === 'char' || datatype === 'unicodeChar') {
    if (col.xtype === 'timestamp') {
      return (text) => {
        const s = trimStart(text);
        const e = trimEnd(text, s);
        const t = s === 0 && e === text.length ? text : text.slice(s, e);
        if (!isIsoTimestamp(t)) throw new CellSyntaxError(`${shown(t)} is not an ISO 8601 timestamp`);
        return t;
      };
    }
    // PostgreSQL text cannot hold U+0000: refuse it here, where the reader knows the place.
    return (text) => {
      if (text.indexOf('\u0000') >= 0) throw new CellSyntaxError('the text holds a NUL character (U+0000), which a database text column cannot store');
      return text;
    };
  }
  if (isArrayColumn(col)) {
    if (datatype === 'boolean') {
      return () => {
        throw new CellSyntaxError('boolean arrays are not supported');
      };
    }
    return (text) => parseNumberList(datatype, text);
  }
  return (text) => {
    const s = trimStart(text);
    const e = trimEnd(text, s);
    if (s === e) return null;
    return parseScalar(datatype, text, s, e);
  };
}

/** Parses whitespace/comma-separated numbers; bigint elements of long arrays become numbers. */
function parseNumberList(datatype: TapDatatype, text: string): number[] {
  const out: number[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    while (i < n && (isSpace(c) || c === 44)) c = text.charCodeAt(++i);
    if (i >= n) break;
    const s = i;
    while (i < n && !isSpace(c) && c !== 44) c = text.charCodeAt(++i);
    const v = datatype === 'float' || datatype === 'double' ? parseDoubleRange(text, s, i) : parseScalar(datatype, text, s, i);
    if (v === undefined) throw new CellSyntaxError(`${shown(text.slice(s, i))} is not a number (${datatype})`);
    out.push(typeof v === 'bigint' ? Number(v) : (v as number));
  }
  return out;
}

/** What a sample of texts says a column is; widened cell by cell. */
type Guess = 'none' | 'boolean' | 'int' | 'long' | 'double' | 'timestamp' | 'char';

/** Widens `guess` so that it also admits `text` (non-empty). */
function widen(guess: Guess, text: string): Guess {
  if (guess === 'char') return 'char';
  const s = trimStart(text);
  const e = trimEnd(text, s);
  if (s === e) return 'char';
  if (guess === 'none' || guess === 'boolean') {
    const len = e - s;
    if (len >= 4 && len <= 5) {
      const w = text.slice(s, e).toLowerCase();
      if (w === 'true' || w === 'false') return 'boolean';
    }
    if (guess === 'boolean') return 'char';
  }
  if (guess === 'none' || guess === 'timestamp') {
    if (text.charCodeAt(s + 4) === 45 && isIsoTimestamp(text.slice(s, e))) return 'timestamp';
    if (guess === 'timestamp') return 'char';
  }
  if (guess === 'none' || guess === 'int' || guess === 'long') {
    const v = parseIntRange(text, s, e);
    if (v !== null) {
      if (typeof v === 'number' && v >= -2147483648 && v <= 2147483647) return guess === 'long' ? 'long' : 'int';
      const big = typeof v === 'bigint' ? v : BigInt(v);
      if (big >= LONG_MIN && big <= LONG_MAX) return 'long';
      return parseDoubleRange(text, s, e) !== undefined ? 'double' : 'char';
    }
  }
  return parseDoubleRange(text, s, e) !== undefined ? 'double' : 'char';
}

/**
 * Infers a column type from sample texts (null = NULL cell): boolean (true/false words), int,
 * long, double, char with xtype 'timestamp' (ISO 8601), else char with arraysize '*'.
 * A column with only NULLs in the sample is char '*', the one type every later value fits.
 */
export function inferColumnType(samples: Iterable<string | null>): Pick<ColumnMeta, 'datatype' | 'arraysize' | 'xtype'> {
  let guess: Guess = 'none';
  for (const t of samples) {
    if (t === null) continue;
    guess = widen(guess, t);
    if (guess === 'char') break;
  }
  switch (guess) {
    case 'boolean':
      return { datatype: 'boolean', arraysize: null, xtype: null };
    case 'int':
      return { datatype: 'int', arraysize: null, xtype: null };
    case 'long':
      return { datatype: 'long', arraysize: null, xtype: null };
    case 'double':
      return { datatype: 'double', arraysize: null, xtype: null };
    case 'timestamp':
      return { datatype: 'char', arraysize: '*', xtype: 'timestamp' };
    default:
      return { datatype: 'char', arraysize: '*', xtype: null };
  }
}
