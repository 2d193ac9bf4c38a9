/**
 * VOTable 1.4 output, BINARY2 serialization: per row a NULL bitmap (one bit per column, most
 * significant bit first) and the cells big-endian; variable-length strings and arrays carry a
 * 4-byte count; unicodeChar is UTF-16BE; char is ASCII as VOTable 1.4 defines it, so a non-ASCII
 * character in a char column becomes '?' (columns holding such text should be unicodeChar). The bytes are base64
 * encoded as they are produced, in chunks, so nothing but one chunk is ever held.
 */
import type { CellValue, ColumnMeta } from './table-model.js';
import { type TableDocument, type TableWriter } from './table-writer.js';
import { cellToArray, cellToBoolean, cellToNumber, cellToString, fixedArrayLength, isArrayColumn, isStringColumn } from './cell-values.js';
import { votableArraysize, votableRows, type VotableRowsEncoder } from './votable-writer.js';
import { base64Line } from './base64-line.js';

/** Bytes collected before they are base64 encoded (a multiple of 3, so chunks join cleanly). */
const BLOCK = 3 * (1 << 15);

/** Bytes a builder starts with: a cone's rows fit; a bigger answer grows it to a block. */
const FIRST_BYTES = 8 << 10;

/**
 * A growable byte buffer that hands out base64 text once it holds a block. Not zeroed: every
 * byte before `pos` is written (a row's NULL mask is cleared before its bits are set).
 */
class Base64Builder {
  buf = Buffer.allocUnsafe(FIRST_BYTES);
  view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  pos = 0;

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
    this.view = new DataView(bigger.buffer, bigger.byteOffset, bigger.byteLength);
  }

  get full(): boolean {
    return this.pos >= BLOCK;
  }

  /** Base64 of all whole 3-byte groups collected (or of everything when `last`), as a chunk. */
  take(last: boolean): Buffer {
    const n = last ? this.pos : this.pos - (this.pos % 3);
    const line = base64Line(this.buf, n);
    this.buf.copy(this.buf, 0, n, this.pos);
    this.pos -= n;
    return line;
  }
}

type CellEncoder = (b: Base64Builder, v: CellValue) => void;

/** Writes one element of a numeric datatype at b.pos and advances. */
function elementWriter(datatype: string): { size: number; put: (b: Base64Builder, x: number | bigint) => void } {
  switch (datatype) {
    case 'unsignedByte':
      return { size: 1, put: (b, x) => b.view.setUint8(b.pos++, Number(x) & 0xff) };
    case 'short':
      return { size: 2, put: (b, x) => (b.view.setInt16(b.pos, Number(x)), (b.pos += 2)) };
    case 'int':
      return { size: 4, put: (b, x) => (b.view.setInt32(b.pos, Number(x)), (b.pos += 4)) };
    case 'long':
      return {
        size: 8,
        put: (b, x) => {
          const big = typeof x === 'bigint' ? BigInt.asIntN(64, x) : Number.isFinite(x) ? BigInt(Math.trunc(x)) : 0n;
          b.view.setBigInt64(b.pos, big);
          b.pos += 8;
        },
      };
    case 'float':
      return { size: 4, put: (b, x) => (b.view.setFloat32(b.pos, Number(x)), (b.pos += 4)) };
    default:
      return { size: 8, put: (b, x) => (b.view.setFloat64(b.pos, Number(x)), (b.pos += 8)) };
  }
}

/** The NULL filler of one element: NaN for floating point, 0 for integers. */
function nullElement(datatype: string): number {
  return datatype === 'float' || datatype === 'double' ? NaN : 0;
}

const NON_ASCII = /[^\x00-\x7f]/;
const NON_ASCII_ALL = /[^\x00-\x7f]/g;

/** The string with every non-ASCII UTF-16 unit replaced by '?', so its length is its byte count. */
function asciiOnly(s: string): string {
  return NON_ASCII.test(s) ? s.replace(NON_ASCII_ALL, '?') : s;
}

/** Writes a string as bytes (char: UTF-8) or UTF-16BE code units (unicodeChar). */
function stringEncoder(col: ColumnMeta): CellEncoder {
  const fixed = fixedArrayLength(votableArraysize(col));
  const wide = col.datatype === 'unicodeChar';
  if (fixed === null) {
    return (b, v) => {
      const s = v === null ? '' : cellToString(v);
      if (wide) {
        b.ensure(4 + 2 * s.length);
        b.view.setUint32(b.pos, s.length);
        b.pos += 4;
        for (let k = 0; k < s.length; k++, b.pos += 2) b.view.setUint16(b.pos, s.charCodeAt(k));
      } else {
        b.ensure(4 + s.length);
        b.view.setUint32(b.pos, s.length);
        b.buf.write(asciiOnly(s), b.pos + 4, 'latin1');
        b.pos += 4 + s.length;
      }
    };
  }
  return (b, v) => {
    const s = v === null ? '' : cellToString(v);
    if (wide) {
      b.ensure(2 * fixed);
      for (let k = 0; k < fixed; k++, b.pos += 2) b.view.setUint16(b.pos, k < s.length ? s.charCodeAt(k) : 0);
    } else {
      b.ensure(fixed);
      const n = Math.min(fixed, s.length);
      b.buf.write(asciiOnly(s.slice(0, n)), b.pos, 'latin1');
      b.buf.fill(0, b.pos + n, b.pos + fixed);
      b.pos += fixed;
    }
  };
}

/** Writes fixed arrays (padded or cut to their size) and variable ones (count first). */
function arrayEncoder(col: ColumnMeta): CellEncoder {
  const { size, put } = elementWriter(col.datatype);
  const filler = nullElement(col.datatype);
  const fixed = fixedArrayLength(col.arraysize);
  if (fixed === null) {
    return (b, v) => {
      const a = v === null ? [] : cellToArray(v);
      b.ensure(4 + size * a.length);
      b.view.setUint32(b.pos, a.length);
      b.pos += 4;
      for (const x of a) put(b, x);
    };
  }
  return (b, v) => {
    const a = v === null ? [] : cellToArray(v);
    b.ensure(size * fixed);
    for (let k = 0; k < fixed; k++) put(b, k < a.length ? a[k] : filler);
  };
}

/** The encoder of one column's cells, NULL included (its bit is set by the caller). */
function cellEncoder(col: ColumnMeta): CellEncoder {
  if (isStringColumn(col)) return stringEncoder(col);
  if (isArrayColumn(col)) return arrayEncoder(col);
  if (col.datatype === 'boolean') {
    return (b, v) => b.view.setUint8(b.pos++, v === null ? 0x3f : cellToBoolean(v) ? 0x54 : 0x46);
  }
  const { put } = elementWriter(col.datatype);
  const filler = nullElement(col.datatype);
  if (col.datatype === 'long') return (b, v) => put(b, v === null ? 0 : typeof v === 'bigint' ? v : cellToNumber(v));
  return (b, v) => put(b, v === null ? filler : typeof v === 'number' ? v : cellToNumber(v));
}

/** Fixed bytes of a row beyond strings and variable arrays, to reserve before writing it. */
function fixedRowBytes(columns: ColumnMeta[]): number {
  let n = Math.ceil(columns.length / 8);
  for (const c of columns) {
    const k = fixedArrayLength(votableArraysize(c)) ?? 1;
    n += 8 * Math.max(k, 1) + 4;
  }
  return n;
}

/** BINARY2 rows: a NULL mask and the cells of each row, base64 in lines. */
class Binary2Encoder implements VotableRowsEncoder {
  private readonly encoders: CellEncoder[];
  private readonly maskBytes: number;
  private readonly reserve: number;
  private readonly b = new Base64Builder();

  constructor(columns: ColumnMeta[]) {
    this.encoders = columns.map(cellEncoder);
    this.maskBytes = Math.ceil(columns.length / 8);
    this.reserve = fixedRowBytes(columns);
  }

  *body(batch: CellValue[][]): Iterable<Buffer> {
    const { encoders, maskBytes, reserve, b } = this;
    const n = encoders.length;
    for (const row of batch) {
      b.ensure(reserve);
      const mask = b.pos;
      b.buf.fill(0, mask, mask + maskBytes);
      b.pos += maskBytes;
      for (let i = 0; i < n; i++) {
        let v = row[i];
        if (v === null || v === undefined) {
          b.buf[mask + (i >> 3)] |= 0x80 >> (i & 7);
          v = null;
        }
        encoders[i]!(b, v);
      }
      if (b.full) yield b.take(false);
    }
  }

  *head(text: string): Iterable<Buffer> {
    yield Buffer.from(text, 'utf8');
  }

  *end(tail: string): Iterable<Buffer> {
    if (this.b.pos > 0) yield this.b.take(true);
    yield Buffer.from(tail, 'utf8');
  }
}

/** Writes VOTable 1.4 with BINARY2. */
function writeBinary2(doc: TableDocument): AsyncIterable<Buffer> {
  return votableRows(doc, 'BINARY2', new Binary2Encoder(doc.columns));
}

/** VOTable 1.4, BINARY2 serialization. */
export const votableBinary2Writer: TableWriter = {
  name: 'votable-b2',
  mimeType: 'application/x-votable+xml;serialization=BINARY2',
  extension: 'xml',
  inBandErrors: true,
  write: writeBinary2,
};
