/**
 * Rows to the bytes of a COPY FROM STDIN, with the HEALPix index of each row's position appended:
 * the one interface the loader writes through, in text or binary (copy-binary.ts) format.
 */
import type { CellValue, ColumnMeta } from '../formats/table-model.js';
import { ang2pix, INDEX_ORDER } from '../healpix/nested.js';
import { copyField } from './copy-field.js';

/** Accumulates encoded rows into chunks for COPY. */
export interface RowEncoder {
  /** The COPY statement's options for this encoding ('' for text). */
  readonly copyOptions: string;
  /** Index of the column being encoded when add() threw, for the error that names it. */
  readonly column: number;
  /** Whether a chunk is ready to be taken. */
  readonly full: boolean;
  /** Appends a row (as many values as columns); throws UnstorableValueError on a value it cannot carry. */
  add(row: readonly CellValue[]): void;
  /** The chunk so far; the encoder starts a new one. */
  take(): Buffer | string;
  /** The last chunk, with the format's trailer. */
  end(): Buffer | string;
}

/** Whether a row's RA and Dec are a position (else its HEALPix index is NULL). */
export function positionKnown(ra: CellValue | undefined, dec: CellValue | undefined): ra is number {
  return typeof ra === 'number' && typeof dec === 'number' && Number.isFinite(ra) && Number.isFinite(dec) && Math.abs(dec) <= 90;
}

const TEXT_CHUNK = 262_144;

/** COPY's text format: tab-separated fields, `\N` for NULL (copy-field.ts). */
export class TextRowEncoder implements RowEncoder {
  readonly copyOptions = '';
  column = 0;
  private chunk = '';

  constructor(
    private readonly columns: readonly ColumnMeta[],
    private readonly position: { ra: number; dec: number } | null,
  ) {}

  get full(): boolean {
    return this.chunk.length >= TEXT_CHUNK;
  }

  add(row: readonly CellValue[]): void {
    let line = '';
    const width = this.columns.length;
    for (let i = 0; i < width; i++) {
      this.column = i;
      line += (i ? '\t' : '') + copyField(row[i]);
    }
    if (this.position) {
      const ra = row[this.position.ra];
      const dec = row[this.position.dec];
      line += '\t' + (positionKnown(ra, dec) ? ang2pix(INDEX_ORDER, ra, dec as number).toString() : '\\N');
    }
    this.chunk += line + '\n';
  }

  take(): string {
    const out = this.chunk;
    this.chunk = '';
    return out;
  }

  end(): string {
    return this.take();
  }
}
