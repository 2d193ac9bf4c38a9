/**
 * FITS binary table output: an empty primary HDU (EXTEND = T) and one BINTABLE extension.
 * A FITS header must state the row count and every column width before the data, so the rows
 * are first spooled to a temporary file while the widths, NULLs and integer ranges are noted;
 * then header, rows, heap and padding stream out, and the spool is deleted (also when the
 * consumer stops early or the rows fail).
 *
 * Mapping: boolean L (NULL as byte 0), unsignedByte B, short I, int J, long K (NULL as TNULL,
 * a value absent from the data: the type minimum, else its maximum), float E and double D
 * (NULL as NaN), strings nA with n the longest value (NULL as an empty string; FITS text is
 * printable ASCII, so tabs and line breaks become blanks and other characters '?'),
 * fixed arrays rX (with TDIM for 2-d shapes), variable arrays PX(max) in the heap.
 */
import type { CellValue, ColumnMeta } from './table-model.js';
import { fitsCards, fitsCommentCards, fitsDataPadding, fitsHeaderBytes, fitsText } from '../fits/header-writer.js';
import { RowSpool } from './spool-writer.js';
import { batchesOf, type TableDocument, type TableWriter, type WriteOptions } from './table-writer.js';
import { cellToArray, cellToBoolean, cellToNumber, cellToString, fixedArrayLength, isArrayColumn, isStringColumn } from './cell-values.js';

/** Output chunk size. */
const CHUNK = 1 << 20;

type NumericCode = 'B' | 'I' | 'J' | 'K' | 'E' | 'D';

const ELEMENT: Record<string, { code: NumericCode; size: number; min: bigint; max: bigint }> = {
  unsignedByte: { code: 'B', size: 1, min: 0n, max: 255n },
  short: { code: 'I', size: 2, min: -32768n, max: 32767n },
  int: { code: 'J', size: 4, min: -2147483648n, max: 2147483647n },
  long: { code: 'K', size: 8, min: -9223372036854775808n, max: 9223372036854775807n },
  float: { code: 'E', size: 4, min: 0n, max: 0n },
  double: { code: 'D', size: 8, min: 0n, max: 0n },
  boolean: { code: 'B', size: 1, min: 0n, max: 0n },
};

/** What the spooling pass learns about one column (also the COPY path's, copy/copy-fits.ts). */
export class ColumnStats {
  hasNull = false;
  /** Longest string in bytes, or longest variable array in elements. */
  maxLength = 0;
  /** Integer values present at the type's extremes, and every unsignedByte value seen. */
  sawMin = false;
  sawMax = false;
  readonly bytes = new Uint8Array(256);
  /** Heap bytes of a variable-array column. */
  heap = 0;
}

/** How one column is laid out in a row. */
export interface Layout {
  col: ColumnMeta;
  kind: 'L' | 'A' | 'scalar' | 'fixed' | 'var';
  element: (typeof ELEMENT)[string];
  /** Elements of a fixed array, or bytes of a string. */
  repeat: number;
  /** Bytes in the row. */
  width: number;
  offset: number;
  tnull: bigint | null;
  stats: ColumnStats;
}

function isInteger(datatype: string): boolean {
  return datatype === 'unsignedByte' || datatype === 'short' || datatype === 'int' || datatype === 'long';
}

function kindOf(col: ColumnMeta): Layout['kind'] {
  if (isStringColumn(col)) return 'A';
  if (col.datatype === 'boolean') return 'L';
  if (!isArrayColumn(col)) return 'scalar';
  return fixedArrayLength(col.arraysize) === null ? 'var' : 'fixed';
}

/** Notes one non-null integer value in the stats. */
function noteInteger(stats: ColumnStats, el: Layout['element'], x: number | bigint, datatype: string): void {
  if (datatype === 'unsignedByte') {
    stats.bytes[Number(x) & 0xff] = 1;
    return;
  }
  const b = typeof x === 'bigint' ? x : Number.isFinite(x) ? BigInt(Math.trunc(x)) : 0n;
  if (b <= el.min) stats.sawMin = true;
  if (b >= el.max) stats.sawMax = true;
}

/** A function noting one row's cell in the stats of its column. */
function statsUpdater(col: ColumnMeta, stats: ColumnStats): (v: CellValue) => void {
  const kind = kindOf(col);
  const el = ELEMENT[col.datatype] ?? ELEMENT.double;
  const integer = isInteger(col.datatype);
  return (v) => {
    if (v === null || v === undefined) {
      stats.hasNull = true;
      return;
    }
    if (kind === 'A') {
      const n = cellToString(v).length;
      if (n > stats.maxLength) stats.maxLength = n;
    } else if (kind === 'scalar') {
      if (integer) noteInteger(stats, el, typeof v === 'bigint' ? v : cellToNumber(v), col.datatype);
    } else if (kind === 'fixed' || kind === 'var') {
      const a = cellToArray(v);
      if (kind === 'var') {
        if (a.length > stats.maxLength) stats.maxLength = a.length;
        stats.heap += a.length * el.size;
      }
      if (integer) for (const x of a) noteInteger(stats, el, x, col.datatype);
    }
  };
}

/** The TNULL of an integer column holding NULLs: a value the data does not use, if any. */
function chooseTnull(col: ColumnMeta, stats: ColumnStats, kind: Layout['kind']): bigint | null {
  // A NULL variable array is simply empty; other integer columns need a NULL value.
  if (!isInteger(col.datatype) || kind === 'var' || !stats.hasNull) return null;
  if (col.datatype === 'unsignedByte') {
    for (let k = 255; k >= 0; k--) if (!stats.bytes[k]) return BigInt(k);
    return null;
  }
  const el = ELEMENT[col.datatype];
  if (!stats.sawMin) return el.min;
  if (!stats.sawMax) return el.max;
  return null;
}

/** The row layout of all columns, from the spooling pass's stats. */
export function layOut(columns: ColumnMeta[], stats: ColumnStats[]): { layouts: Layout[]; rowBytes: number } {
  let offset = 0;
  const layouts = columns.map((col, i) => {
    const kind = kindOf(col);
    const element = ELEMENT[col.datatype] ?? ELEMENT.double;
    const fixed = fixedArrayLength(col.arraysize);
    let repeat = 1;
    let width = element.size;
    if (kind === 'A') {
      repeat = Math.max(1, stats[i].maxLength);
      width = repeat;
    } else if (kind === 'L') {
      width = 1;
    } else if (kind === 'fixed') {
      repeat = fixed ?? 1;
      width = repeat * element.size;
    } else if (kind === 'var') {
      width = 8;
    }
    const layout: Layout = { col, kind, element, repeat, width, offset, tnull: chooseTnull(col, stats[i], kind), stats: stats[i] };
    offset += width;
    return layout;
  });
  return { layouts, rowBytes: offset };
}

/** The TFORM of a column. */
function tform(l: Layout): string {
  switch (l.kind) {
    case 'A':
      return `${l.repeat}A`;
    case 'L':
      return '1L';
    case 'scalar':
      return `1${l.element.code}`;
    case 'fixed':
      return `${l.repeat}${l.element.code}`;
    case 'var':
      return `1P${l.element.code}(${l.stats.maxLength})`;
  }
}

/** The header cards of the BINTABLE extension. */
export function tableHeader(doc: Pick<TableDocument, 'info'>, layouts: Layout[], rowBytes: number, rows: number, heap: number, overflow: boolean): string[] {
  const cards: string[] = [
    ...fitsCards('XTENSION', 'BINTABLE', 'binary table extension'),
    ...fitsCards('BITPIX', 8, '8-bit bytes'),
    ...fitsCards('NAXIS', 2, '2-dimensional table'),
    ...fitsCards('NAXIS1', rowBytes, 'bytes per row'),
    ...fitsCards('NAXIS2', rows, 'number of rows'),
    ...fitsCards('PCOUNT', heap, 'heap size in bytes'),
    ...fitsCards('GCOUNT', 1, 'one data group'),
    ...fitsCards('TFIELDS', layouts.length, 'number of columns'),
  ];
  layouts.forEach((l, k) => {
    const n = k + 1;
    const c = l.col;
    cards.push(...fitsCards(`TTYPE${n}`, c.name));
    cards.push(...fitsCards(`TFORM${n}`, tform(l), c.datatype + (c.xtype ? ` ${c.xtype}` : '')));
    if (l.kind === 'fixed' && c.arraysize && c.arraysize.includes('x')) cards.push(...fitsCards(`TDIM${n}`, `(${c.arraysize.split('x').join(',')})`));
    if (l.tnull !== null) cards.push(...fitsCards(`TNULL${n}`, l.tnull, 'value of NULL'));
    if (c.unit) cards.push(...fitsCards(`TUNIT${n}`, c.unit));
    if (c.ucd) cards.push(...fitsCards(`TUCD${n}`, c.ucd));
    if (c.utype) cards.push(...fitsCards(`TUTYP${n}`, c.utype));
    if (c.description) cards.push(...fitsCards(`TCOMM${n}`, c.description));
  });
  const info = doc.info ?? {};
  cards.push(...fitsCards('EXTNAME', info.tableName || 'RESULTS', 'table name'));
  if (info.query !== undefined) cards.push(...fitsCards('QUERY', info.query, 'query text'));
  if (info.lang !== undefined) cards.push(...fitsCards('QUERYLNG', info.lang, 'query language'));
  if (info.requestDate !== undefined) cards.push(...fitsCards('REQDATE', info.requestDate, 'request date'));
  if (overflow) {
    cards.push(...fitsCards('OVERFLOW', true, 'result truncated at MAXREC'));
    cards.push(...fitsCommentCards('The result was truncated: more rows exist than were returned (MAXREC).'));
  }
  if (info.description) cards.push(...fitsCommentCards(info.description));
  if (cards.some((c) => c.startsWith('CONTINUE'))) {
    cards.push(...fitsCards('LONGSTRN', 'OGIP 1.0', 'long string convention (CONTINUE) used'));
  }
  return cards;
}

/** The header of the empty primary HDU. */
export function primaryHeader(): Buffer {
  return fitsHeaderBytes([
    ...fitsCards('SIMPLE', true, 'conforms to FITS standard'),
    ...fitsCards('BITPIX', 8, 'no data'),
    ...fitsCards('NAXIS', 0, 'no data'),
    ...fitsCards('EXTEND', true, 'the table follows in an extension'),
  ]);
}

/** Writes one element of a numeric type at `at`. */
function putElement(view: DataView, at: number, code: NumericCode, x: number | bigint): void {
  switch (code) {
    case 'B':
      view.setUint8(at, Number(x));
      return;
    case 'I':
      view.setInt16(at, Number(x));
      return;
    case 'J':
      view.setInt32(at, Number(x));
      return;
    case 'K':
      view.setBigInt64(at, typeof x === 'bigint' ? BigInt.asIntN(64, x) : Number.isFinite(x) ? BigInt(Math.trunc(x)) : 0n);
      return;
    case 'E':
      view.setFloat32(at, Number(x));
      return;
    case 'D':
      view.setFloat64(at, Number(x));
  }
}

/** The NULL filler of an element: NaN for reals, TNULL (or 0) for integers. */
function filler(l: Layout): number | bigint {
  return l.element.code === 'E' || l.element.code === 'D' ? NaN : (l.tnull ?? 0n);
}

type CellWriter = (buf: Buffer, view: DataView, rowAt: number, v: CellValue, heap: { offset: number }) => void;

/** Writes a column's cell into its row slot (the buffer is zeroed beforehand). */
function cellWriter(l: Layout): CellWriter {
  const at = l.offset;
  const code = l.element.code;
  const fill = filler(l);
  switch (l.kind) {
    case 'L':
      return (buf, _view, rowAt, v) => {
        if (v !== null && v !== undefined) buf[rowAt + at] = cellToBoolean(v) ? 0x54 : 0x46;
      };
    case 'A':
      return (buf, _view, rowAt, v) => {
        if (v !== null && v !== undefined) buf.write(fitsText(cellToString(v)), rowAt + at, l.repeat, 'latin1');
      };
    case 'scalar':
      return (_buf, view, rowAt, v) => {
        putElement(view, rowAt + at, code, v === null || v === undefined ? fill : typeof v === 'number' || typeof v === 'bigint' ? v : cellToNumber(v));
      };
    case 'fixed':
      return (_buf, view, rowAt, v) => {
        const a = v === null || v === undefined ? [] : cellToArray(v);
        for (let k = 0; k < l.repeat; k++) putElement(view, rowAt + at + k * l.element.size, code, k < a.length ? a[k] : fill);
      };
    case 'var':
      return (_buf, view, rowAt, v, heap) => {
        const n = v === null || v === undefined ? 0 : cellToArray(v).length;
        view.setInt32(rowAt + at, n);
        view.setInt32(rowAt + at + 4, n === 0 ? 0 : heap.offset);
        heap.offset += n * l.element.size;
      };
  }
}

/**
 * Cuts fixed-size records into output chunks of about CHUNK bytes, each no bigger than the bytes
 * still to come (a small answer gets a buffer of its size), made only when a record needs it.
 */
class RecordChunker {
  buf = Buffer.alloc(0);
  view = new DataView(this.buf.buffer, 0, 0);
  pos = 0;
  /** `left`: the bytes of records and heap still to come. */
  constructor(
    private readonly size: number,
    private left: number,
  ) {}
  /**
   * Makes room for `n` bytes at `pos`: returns the chunk so far when it is full (to be sent),
   * else null. A new chunk is zeroed (the cell writers leave NULLs and string tails as zeros).
   */
  room(n: number): Buffer | null {
    if (this.pos + n <= this.buf.length) return null;
    const full = this.pos > 0 ? this.take() : null;
    this.buf = Buffer.alloc(Math.max(Math.min(CHUNK, this.left), this.size, n));
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    return full;
  }
  /** The chunk so far. */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.left -= this.pos;
    this.buf = out.subarray(out.length);
    this.pos = 0;
    return out;
  }
}

/** Streams a FITS file with one BINTABLE holding the rows. */
async function* writeFits(doc: TableDocument, options: WriteOptions = {}): AsyncGenerator<Buffer> {
  const spool = await RowSpool.create(options.tmpDir);
  try {
    const stats = doc.columns.map(() => new ColumnStats());
    const updaters = doc.columns.map((c, i) => statsUpdater(c, stats[i]));
    const n = updaters.length;
    for await (const batch of batchesOf(doc.rows)) {
      for (const row of batch) for (let i = 0; i < n; i++) updaters[i](row[i]);
      await spool.append(batch);
    }
    await spool.finish();
    const overflow = doc.overflowed();
    const { layouts, rowBytes } = layOut(doc.columns, stats);
    const heapBytes = stats.reduce((s, c) => s + c.heap, 0);
    yield primaryHeader();
    yield fitsHeaderBytes(tableHeader(doc, layouts, rowBytes, spool.rowCount, heapBytes, overflow));

    const writers = layouts.map(cellWriter);
    const heap = { offset: 0 };
    const out = new RecordChunker(rowBytes, rowBytes * spool.rowCount + heapBytes);
    for await (const batch of spool.read()) {
      for (const row of batch) {
        const full = out.room(rowBytes);
        if (full) yield full;
        for (let i = 0; i < n; i++) writers[i](out.buf, out.view, out.pos, row[i], heap);
        out.pos += rowBytes;
      }
    }
    const vars = layouts.filter((l) => l.kind === 'var');
    if (vars.length > 0) {
      const index = vars.map((l) => layouts.indexOf(l));
      for await (const batch of spool.read()) {
        for (const row of batch) {
          for (let j = 0; j < vars.length; j++) {
            const v = row[index[j]];
            if (v === null || v === undefined) continue;
            const a = cellToArray(v);
            const size = vars[j].element.size;
            for (const x of a) {
              const full = out.room(size);
              if (full) yield full;
              putElement(out.view, out.pos, vars[j].element.code, x);
              out.pos += size;
            }
          }
        }
      }
    }
    if (out.pos > 0) yield out.take();
    yield fitsDataPadding(rowBytes * spool.rowCount + heapBytes);
  } finally {
    await spool.dispose();
  }
}

/** FITS file with one binary table (BINTABLE). */
export const fitsTableWriter: TableWriter = {
  name: 'fits',
  mimeType: 'application/fits',
  extension: 'fits',
  inBandErrors: false,
  write: writeFits,
};
