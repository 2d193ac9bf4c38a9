/**
 * The contract every table serializer fulfils, and the small pieces they share: a document
 * (columns, a stream of row batches, an overflow flag known only at the end), a writer that
 * turns it into a stream of byte chunks, and a text accumulator that cuts output into chunks
 * of bounded size so memory stays flat whatever the row count.
 */
import type { CellValue, ColumnMeta } from './table-model.js';

/** Metadata echoed into the output where the format has room for it (VOTable INFO, comments). */
export interface TableInfo {
  /** The query text, as the user sent it. */
  query?: string;
  /** Query language, e.g. 'ADQL'. */
  lang?: string;
  /** When the request was received, ISO 8601. */
  requestDate?: string;
  /** Table or resource name (VOTable TABLE name, FITS EXTNAME, HTML title). */
  tableName?: string;
  /** Free-text description of the table. */
  description?: string;
  /** Further name/value pairs (service name, standardID, ...), in order. */
  extra?: Record<string, string>;
}

/** A table answer: its columns, its rows as batches, and whether MAXREC cut it short. */
export interface TableDocument {
  columns: ColumnMeta[];
  /** Batches of rows, each row ordered like `columns`. May throw part-way. */
  rows: AsyncIterable<CellValue[][]> | Iterable<CellValue[][]>;
  /** Asked after the rows are exhausted: true when more rows existed than were sent. */
  overflowed(): boolean;
  info?: TableInfo;
  /**
   * Called when `rows` throws and the writer reports the failure inside the document (see
   * TableWriter.inBandErrors), so the caller can still log it or fail a job.
   */
  onError?(error: unknown): void;
}

/** Options that concern where a writer may put scratch data. */
export interface WriteOptions {
  /** Directory for temporary spool files (FITS, IPAC); os.tmpdir() by default. */
  tmpDir?: string;
}

/** A serializer for one output format. */
export interface TableWriter {
  /** Short name, e.g. 'votable', 'csv'. */
  readonly name: string;
  /** Content-Type to send when the request named the format by short name. */
  readonly mimeType: string;
  /** File name extension for result files, without the dot. */
  readonly extension: string;
  /**
   * True when a failure of `rows` is written into the document (which is then properly closed,
   * `doc.onError` called, and the stream ends normally); false when the stream rethrows it.
   */
  readonly inBandErrors: boolean;
  /** Serializes `doc` as a stream of chunks; stopping early releases the rows and any spool. */
  write(doc: TableDocument, options?: WriteOptions): AsyncIterable<Buffer>;
}

/** Characters of text collected before a chunk is cut. */
export const CHUNK_CHARS = 1 << 16;

/** The message of an error thrown by the rows, for an in-band report. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

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

/** True for the integer VOTable datatypes. */
export function isIntegerDatatype(datatype: string): boolean {
  return datatype === 'short' || datatype === 'int' || datatype === 'long' || datatype === 'unsignedByte';
}

/**
 * Collects text and hands it out as UTF-8 chunks of about CHUNK_CHARS characters, so a writer
 * can build output with plain string concatenation and still stream.
 */
export class TextChunker {
  private text = '';

  /** Appends text. */
  push(s: string): void {
    this.text += s;
  }

  /** True when enough text is collected for a chunk. */
  get full(): boolean {
    return this.text.length >= CHUNK_CHARS;
  }

  /** Takes the collected text as a Buffer (empty when nothing is collected). */
  take(): Buffer {
    const b = Buffer.from(this.text, 'utf8');
    this.text = '';
    return b;
  }

  /** True when nothing is collected. */
  get empty(): boolean {
    return this.text.length === 0;
  }
}

/** Iterates the batches of `rows`, sync or async, with one code path. */
export async function* batchesOf(rows: TableDocument['rows']): AsyncGenerator<CellValue[][]> {
  yield* rows;
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
