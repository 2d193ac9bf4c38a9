/**
 * The contract every table serializer fulfils: a document
 * (columns, a stream of row batches, an overflow flag known only at the end), a writer that
 * turns it into a stream of byte chunks, and a text accumulator that cuts output into chunks
 * of bounded size so memory stays flat whatever the row count. The cell conversions the writers
 * share are in cell-values.ts.
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
   * Per column: its cells are PostgreSQL's text of real or double precision values (float4out,
   * float8out: shortest round-trip digits), as strings. The writers that honour it (TABLEDATA,
   * CSV, TSV, JSON; the small-result path sets it for no other) copy those already in their own
   * form and read the others as the driver would have (parseFloat).
   */
  floatsAsText?: readonly boolean[];
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
